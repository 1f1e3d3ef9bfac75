"""CSV rows <-> transactions, in the columns of SPEC.md. Empty cells are absent values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CSV_COLUMNS = (
    "id", "date", "product", "quantity", "unit_price_usd", "ship_from", "destination", "customer_id",
    "customer_name", "customer_country", "customer_headquarters", "end_user_name", "end_user_country",
    "end_user_headquarters", "end_use", "license_number", "attestations", "tpp", "die_area_mm2",
    "memory_bandwidth_gbs", "datacenter",
)  # fmt: skip
_PLAIN = ("id", "date", "product", "quantity", "unit_price_usd", "ship_from", "destination", "end_use",
          "license_number")  # fmt: skip
_SPECS = ("tpp", "die_area_mm2", "memory_bandwidth_gbs", "datacenter")


def transaction_from_row(row: Mapping[str, str | None]) -> dict[str, Any]:
    """A transaction (JSON-like) from one CSV row; unknown columns are ignored here (and passed through)."""

    def cell(name: str) -> str | None:
        value = row.get(name)
        if value is None:
            return None
        value = value.strip()
        return value or None

    tx: dict[str, Any] = {name: cell(name) for name in _PLAIN if cell(name) is not None}
    customer = {key: cell(f"customer_{key}") for key in ("id", "name", "country", "headquarters")}
    tx["customer"] = {k: v for k, v in customer.items() if v is not None}
    end_user = {key: cell(f"end_user_{key}") for key in ("name", "country", "headquarters")}
    if any(v is not None for v in end_user.values()):
        tx["end_user"] = {k: v for k, v in end_user.items() if v is not None}
    specs = {name: cell(name) for name in _SPECS if cell(name) is not None}
    if specs:
        tx["specs"] = specs
    attestations = cell("attestations")
    if attestations is not None:
        tx["attestations"] = [a.strip() for a in attestations.split(";") if a.strip()]
    return tx
