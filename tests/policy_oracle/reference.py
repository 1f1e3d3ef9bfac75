"""The reference data POLICY refers to, read from the pack's data directory: the chip catalog (section 3), the
country groups (section 4) and the license register (section 5). Never the pack's rules."""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parents[2] / "rules" / "us-ai-chips" / "data"

LEGAL_FORMS = frozenset(
    {
        "co", "company", "corp", "corporation", "inc", "incorporated", "ltd", "limited", "llc", "plc", "pte", "pty",
        "gmbh", "ag", "sa", "nv", "bv", "jsc", "oao", "ooo", "zao", "ao", "kk",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Chip:
    """One catalog row (section 3)."""

    model: str
    names: frozenset[str]
    datacenter: bool
    us_commercial: bool
    tpp: Fraction | None
    die_area: Fraction | None
    bandwidth: Fraction | None


@dataclass(frozen=True)
class License:
    """One row of the license register (section 5); products are catalog models, lower case."""

    number: str
    holder_id: str
    holder_name: str
    holder_key: str
    holder_country: str
    products: frozenset[str]
    destinations: frozenset[str]
    quantity_limit: int
    value_limit_usd: Decimal
    valid_from: dt.date
    valid_to: dt.date


@dataclass(frozen=True)
class PolicyData:
    """The reference data the policy refers to."""

    chips: Mapping[str, Chip]
    groups: Mapping[str, frozenset[str]]
    licenses: tuple[License, ...]

    def group(self, name: str) -> frozenset[str]:
        return self.groups.get(name, frozenset())

    def license(self, number: str) -> License | None:
        """The register row with this number, exactly as written (surrounding spaces aside)."""
        return next((row for row in self.licenses if row.number == number.strip()), None)

    def holder_name(self, customer_id: str) -> str | None:
        """The registered name of the holder with this id, if the id belongs to a register holder."""
        return next((row.holder_name for row in self.licenses if row.holder_id == customer_id.strip()), None)


@cache
def policy_data(root: Path = DATA) -> PolicyData:
    """Read the catalog, the country groups and the license register of the pack's data directory."""
    chips: dict[str, Chip] = {}
    for row in _rows(root / "chips.csv"):
        names = {row["model"], *row["aliases"].split(";")}
        chip = Chip(
            model=row["model"].strip(),
            names=frozenset(name.strip().lower() for name in names if name.strip()),
            datacenter=row["datacenter"].strip().lower() == "true",
            us_commercial=row["us_commercial"].strip().lower() == "true",
            tpp=_fraction(row["tpp"]),
            die_area=_fraction(row["die_area_mm2"]),
            bandwidth=_fraction(row["memory_bandwidth_gbs"]),
        )
        chips.update(dict.fromkeys(chip.names, chip))
    groups = yaml.safe_load((root / "country_groups.yaml").read_text(encoding="utf-8"))
    licenses = tuple(
        License(
            number=row["license_number"].strip(),
            holder_id=row["holder_id"].strip(),
            holder_name=row["holder_name"].strip(),
            holder_key=normalise_name(row["holder_name"]),
            holder_country=row["holder_country"].strip(),
            products=frozenset(_split(row["products"], str.lower)),
            destinations=frozenset(_split(row["destinations"], str.upper)),
            quantity_limit=int(row["quantity_limit"]),
            value_limit_usd=Decimal(row["value_limit_usd"].strip()),
            valid_from=dt.date.fromisoformat(row["valid_from"].strip()),
            valid_to=dt.date.fromisoformat(row["valid_to"].strip()),
        )
        for row in _rows(root / "licenses.csv")
    )
    return PolicyData(
        chips=chips, groups={str(name): frozenset(codes) for name, codes in groups.items()}, licenses=licenses
    )


def normalise_name(name: str) -> str:
    """Section 8 normalisation: accents off, lower case, no place qualifiers, punctuation or legal forms.

    Look-alike folding (TR39 confusables) is left out: no generated name holds a look-alike character."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"\([^()]*\)", " ", text)
    text = "".join(ch if ch.isalnum() or ch.isspace() else " " for ch in text)
    return " ".join(word for word in text.split() if word not in LEGAL_FORMS)


# -- values as a transaction writes them ---------------------------------------------------------------------


def to_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())


def to_decimal(value: Any) -> Decimal:
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value).strip().replace(",", ""))


def to_measure(value: Any, default: Fraction | None) -> Fraction | None:
    return default if value is None else Fraction(to_decimal(value))


def to_flag(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "yes", "1")


def to_list(value: Any) -> list[str]:
    """A list of strings, or one `;`-separated string (the CSV form), with surrounding spaces removed."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    return [str(part).strip() for part in value]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _split(cell: str, case: Any) -> list[str]:
    return [case(part.strip()) for part in cell.split(";") if part.strip()]


def _fraction(value: str) -> Fraction | None:
    return Fraction(Decimal(value.strip())) if value and value.strip() else None
