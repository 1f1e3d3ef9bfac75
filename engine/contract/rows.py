"""CSV rows -> transactions, in the columns of the field table. Empty cells are absent values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.contract.fields import CSV_COLUMNS, FIELDS

LIST_SEPARATOR = ";"
# (column, the object it belongs to or None, the attribute, a `;`-separated list)
_COLUMNS = tuple(
    (f.csv, f.path[0] if len(f.path) == 2 else None, f.path[-1], f.kind == "list") for f in FIELDS if f.csv is not None
)

__all__ = ["CSV_COLUMNS", "LIST_SEPARATOR", "transaction_from_row"]


def transaction_from_row(row: Mapping[str, str | None]) -> dict[str, Any]:
    """A transaction (JSON-like) from one CSV row; unknown columns are ignored here (and passed through).

    A nested object (`customer`, `end_user`, `specs`) is present when any of its cells is; the customer is
    always present, so that a row without a name is reported as `customer.name` missing."""
    tx: dict[str, Any] = {"customer": {}}
    get = row.get
    for column, owner, attribute, is_list in _COLUMNS:
        cell = get(column)
        if not cell:
            continue
        value: Any = cell.strip()
        if not value:
            continue
        if is_list:
            value = [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]
        if owner is None:
            tx[attribute] = value
        elif owner in tx:
            tx[owner][attribute] = value
        else:
            tx[owner] = {attribute: value}
    return tx
