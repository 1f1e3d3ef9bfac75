"""The input contract: a proposed export transaction (SPEC.md), validated before any rule sees it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

import pycountry
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from engine.errors import FieldError, InvalidTransaction

COUNTRY_CODES = frozenset(c.alpha_2 for c in pycountry.countries)
EndUse = Literal[
    "commercial-ai",
    "cloud-services",
    "research",
    "consumer",
    "industrial",
    "military",
    "military-intelligence",
    "wmd",
    "supercomputer",
    "advanced-ic-fabrication",
    "unknown",
]
END_USES: tuple[str, ...] = get_args(EndUse)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _country(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 3166-1 alpha-2 country code")
    if value not in COUNTRY_CODES:
        raise ValueError(f"`{value}` is not an assigned ISO 3166-1 alpha-2 country code (upper case)")
    return value


def _iso_date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        raise ValueError("must be a date YYYY-MM-DD, not a date and time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"`{value}` is not a date YYYY-MM-DD")


def _whole_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    if isinstance(value, str):
        value = value.strip()
        if not re.fullmatch(r"[+-]?\d+", value):
            raise ValueError(f"`{value}` is not a whole number")
        return int(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"`{value}` is not a whole number")
        return int(value)
    return value


def _decimal(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        return value.strip().replace(",", "") if re.fullmatch(r"\s*[\d,]+(\.\d*)?\s*", value) else value.strip()
    return value


def _flag(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
        raise ValueError(f"`{value}` is not true or false")
    return value


Country = Annotated[str, BeforeValidator(_country)]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Quantity = Annotated[int, BeforeValidator(_whole_number), Field(gt=0)]
Money = Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, allow_inf_nan=False)]
Measure = Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, allow_inf_nan=False)]
Flag = Annotated[bool, BeforeValidator(_flag)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Party(_Model):
    id: str | None = Field(default=None, min_length=1)
    name: str = Field(min_length=1)
    country: Country | None = None
    headquarters: Country | None = Field(default=None, description="ISO code of the ultimate parent's HQ")


class Specs(_Model):
    tpp: Measure | None = None
    die_area_mm2: Annotated[Decimal, BeforeValidator(_decimal), Field(gt=0, allow_inf_nan=False)] | None = None
    memory_bandwidth_gbs: Measure | None = None
    datacenter: Flag | None = None


class Transaction(_Model):
    id: str = Field(min_length=1)
    date: IsoDate
    product: str | None = Field(default=None, min_length=1)
    specs: Specs | None = None
    quantity: Quantity
    unit_price_usd: Money
    ship_from: Country = "US"
    destination: Country
    customer: Party
    end_user: Party | None = None
    end_use: EndUse | None = None
    license_number: str | None = Field(default=None, min_length=1)
    attestations: tuple[str, ...] = ()


def parse_transaction(data: Any, source: str | None = None) -> Transaction:
    """Validate one transaction; raise InvalidTransaction naming every bad field."""
    if isinstance(data, Transaction):
        return data
    if not isinstance(data, Mapping):
        raise InvalidTransaction([FieldError((), "a transaction must be an object")], source)
    try:
        return Transaction.model_validate(data)
    except ValidationError as exc:
        raise InvalidTransaction(field_errors(exc), source) from None


def field_errors(exc: ValidationError) -> list[FieldError]:
    errors = []
    for err in exc.errors(include_url=False):
        loc = tuple(part for part in err["loc"] if not (isinstance(part, str) and part.startswith("function-")))
        message = err["msg"]
        if err["type"] == "missing":
            message = "is required"
        elif err["type"] == "extra_forbidden":
            message = "is not a known field"
        elif message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        errors.append(FieldError(loc, _lower_first(message)))
    return errors


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text
