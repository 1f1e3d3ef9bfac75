"""The transaction contract as one table: every field a rule can read, declared once.

Each `Field` names a fact of a transaction as the rule language spells it (`customer.name`, `specs.tpp`),
its type in the language, its CSV column and whether the contract always gives it. Everything else is
derived from this table: the rule compiler's field types, the evaluator's facts, the durable backend's
always-given fields and the CSV mapping. The pydantic model in `transaction.py` validates the shape; a
test checks that the two agree, so a new field is one line here and one attribute there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

Kind = str  # a rule-language type name: "string", "number", "bool", "date" or "list"


@dataclass(frozen=True)
class Field:
    """One fact of a transaction.

    `path` is the attribute path in the validated Transaction; `fallback` is a party path read when this
    one is absent (the end user defaults to the customer); `always_given` holds when the contract requires
    the field or defaults it; `csv` is its column in a CSV row (`None`: not carried in CSV).
    """

    name: str
    kind: Kind
    always_given: bool = False
    csv: str | None = None
    doc: str = ""
    fallback: str | None = None
    derived: bool = False  # computed from the transaction, not one of its attributes

    @cached_property
    def path(self) -> tuple[str, ...]:
        return tuple(self.name.split("."))

    def read(self, tx: Any) -> Any:
        """This field's value in a validated Transaction (None when absent; the fallback party's when set)."""
        value: Any = tx
        for part in self.path[:-1]:
            value = getattr(value, part, None) or (getattr(tx, self.fallback) if self.fallback else None)
            if value is None:
                return None
        return getattr(value, self.path[-1], None)


PARTY_ATTRIBUTES = (
    ("id", "string", False, "the party's identifier in the exporter's records"),
    ("name", "string", True, "the party's legal name (at most 500 characters)"),
    ("country", "string", False, "ISO 3166-1 alpha-2 country of the party"),
    ("headquarters", "string", False, "ISO alpha-2 country of the ultimate parent's headquarters"),
)
SPEC_ATTRIBUTES = (
    ("tpp", "number", "total processing performance (TPP) of the item"),
    ("die_area_mm2", "number", "applicable die area in mm²"),
    ("memory_bandwidth_gbs", "number", "memory bandwidth in GB/s"),
    ("datacenter", "bool", "designed or marketed for data centers"),
)

FIELDS: tuple[Field, ...] = (  # in the order of the CSV columns
    Field("id", "string", True, "id", "unique per submission"),
    Field("date", "date", True, "date", "the date of the export; the rules in force on it apply"),
    Field("product", "string", False, "product", "catalog model or alias, case-insensitive"),
    Field("quantity", "number", True, "quantity", "units, a whole number"),
    Field("unit_price_usd", "number", True, "unit_price_usd", "price per unit in USD, a decimal"),
    Field("ship_from", "string", True, "ship_from", "ISO alpha-2 country the export leaves from; default US"),
    Field("destination", "string", True, "destination", "ISO alpha-2 country of the ultimate consignee"),
    *(
        Field(f"customer.{attr}", kind, given, f"customer_{attr}", f"customer: {doc}")
        for attr, kind, given, doc in PARTY_ATTRIBUTES
    ),
    *(
        Field(
            f"end_user.{attr}",
            kind,
            given,
            None if attr == "id" else f"end_user_{attr}",
            f"end user (default: the customer): {doc}",
            fallback="customer",
        )
        for attr, kind, given, doc in PARTY_ATTRIBUTES
    ),
    Field("end_use", "string", False, "end_use", "the stated end use, from the contract's vocabulary"),
    Field("license_number", "string", False, "license_number", "a license the exporter holds"),
    Field("attestations", "list", True, "attestations", "the exporter's attestations; CSV: `;`-separated"),
    *(Field(f"specs.{attr}", kind, False, attr, doc) for attr, kind, doc in SPEC_ATTRIBUTES),
    Field(
        "assumed",
        "list",
        True,
        None,
        "the fields the contract defaulted because they were not given (`ship_from`)",
        derived=True,
    ),
)
BY_NAME: Mapping[str, Field] = {f.name: f for f in FIELDS}
ALWAYS_GIVEN: frozenset[str] = frozenset(f.name for f in FIELDS if f.always_given)
CSV_COLUMNS: tuple[str, ...] = tuple(f.csv for f in FIELDS if f.csv is not None)
