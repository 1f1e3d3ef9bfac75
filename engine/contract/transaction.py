"""The input contract: a proposed export transaction (SPEC.md), validated before any rule sees it."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

import pycountry
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError

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

# Input limits: what a real export transaction needs, and no more (a bound is also a defence)
MAX_QUANTITY = 10**9
MAX_UNIT_PRICE_USD = 10**12
MAX_MEASURE = 10**9
MAX_NAME = 500  # a party name: longer ones are invalid input
MAX_IDENTIFIER = 200  # ids, products, license numbers, attestations
MAX_ATTESTATIONS = 50
MAX_NUMBER_TEXT = 100  # characters of a number written as text

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WHOLE = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)")
_DECIMAL = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d{1,4})?|[+-]?\.\d+")
# characters that can forge or reorder text output: control characters, line and paragraph separators, and the
# bidirectional embeddings, overrides and isolates
_FORGING_CHARACTERS = "\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_FORGING = re.compile(f"[{_FORGING_CHARACTERS}]")
_PRINTABLE = f"^[^{_FORGING_CHARACTERS}]*$"  # checked by pydantic-core's own regex engine


def shown(value: Any, limit: int = 40) -> str:
    """A user's value as an error message quotes it: bounded, with control characters escaped."""
    text = value if isinstance(value, str) else repr(value)
    cut = text[:limit] + ("..." if len(text) > limit else "")
    return cut.encode("unicode_escape").decode("ascii") if _FORGING.search(cut) or not cut.isprintable() else cut


def _country(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 3166-1 alpha-2 country code")
    if value not in COUNTRY_CODES:
        raise ValueError(f"`{shown(value)}` is not an assigned ISO 3166-1 alpha-2 country code (upper case)")
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
    raise ValueError(f"`{shown(value)}` is not a date YYYY-MM-DD")


def _whole_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_NUMBER_TEXT or not _WHOLE.fullmatch(text):
            raise ValueError(f"`{shown(text)}` is not a whole number")
        return int(text.replace(",", ""))
    if isinstance(value, float | Decimal):
        if not value.is_finite() if isinstance(value, Decimal) else not math.isfinite(value):
            raise ValueError(f"`{shown(value)}` is not a whole number")
        if value != int(value):
            raise ValueError(f"`{shown(value)}` is not a whole number")
        return int(value)
    return value


def _decimal(value: Any) -> Any:
    """A number from JSON, YAML or CSV text; a comma only as a thousands separator, in groups of three."""
    if isinstance(value, bool):
        raise ValueError("must be a number")
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_NUMBER_TEXT or not _DECIMAL.fullmatch(text):
            comma = " (a comma is only a thousands separator, in groups of three)" if "," in text else ""
            raise ValueError(f"`{shown(text)}` is not a number{comma}")
        return Decimal(text.replace(",", ""))
    return value


def _no_negative_zero(value: Decimal) -> Decimal:
    return value.copy_abs() if value.is_zero() else value


def _flag(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
        raise ValueError(f"`{shown(value)}` is not true or false")
    return value


# Constraints come before the validators, so that pydantic-core checks them natively (after a validator they
# would run as Python functions, at twice the cost).
Country = Annotated[str, BeforeValidator(_country)]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Quantity = Annotated[int, Field(gt=0, le=MAX_QUANTITY), BeforeValidator(_whole_number)]
Money = Annotated[
    Decimal, Field(ge=0, le=MAX_UNIT_PRICE_USD, allow_inf_nan=False), BeforeValidator(_decimal),
    AfterValidator(_no_negative_zero),
]  # fmt: skip
Measure = Annotated[
    Decimal, Field(ge=0, le=MAX_MEASURE, allow_inf_nan=False), BeforeValidator(_decimal),
    AfterValidator(_no_negative_zero),
]  # fmt: skip
Area = Annotated[Decimal, Field(gt=0, le=MAX_MEASURE, allow_inf_nan=False), BeforeValidator(_decimal)]
Flag = Annotated[bool, BeforeValidator(_flag)]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=MAX_IDENTIFIER, pattern=_PRINTABLE)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME, pattern=_PRINTABLE)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Party(_Model):
    id: Identifier | None = None
    name: Name
    country: Country | None = None
    headquarters: Country | None = Field(default=None, description="ISO code of the ultimate parent's HQ")


class Specs(_Model):
    tpp: Measure | None = None
    die_area_mm2: Area | None = None
    memory_bandwidth_gbs: Measure | None = None
    datacenter: Flag | None = None


class Transaction(_Model):
    id: Identifier
    date: IsoDate
    product: Identifier | None = None
    specs: Specs | None = None
    quantity: Quantity
    unit_price_usd: Money
    ship_from: Country = "US"
    destination: Country
    customer: Party
    end_user: Party | None = None
    end_use: EndUse | None = None
    license_number: Identifier | None = None
    attestations: Annotated[tuple[Identifier, ...], Field(max_length=MAX_ATTESTATIONS)] = ()


def validate_model(data: Any, source: str | None = None) -> Transaction:
    """Validate one transaction with the pydantic model; raise InvalidTransaction naming every bad field."""
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
        elif err["type"] == "string_pattern_mismatch":
            message = "holds a control or bidirectional-formatting character"
        elif err["type"] in ("string_too_long", "too_long"):
            limit = err["ctx"]["max_length"]
            unit = "characters" if isinstance(err.get("input"), str) else "items"
            message = f"is longer than {limit} {unit}" if unit == "characters" else f"has more than {limit} items"
        errors.append(FieldError(loc, _lower_first(message)))
    return errors


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text
