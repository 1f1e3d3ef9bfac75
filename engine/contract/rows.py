"""CSV rows -> transactions, in the columns of the field table. Empty cells are absent values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.contract.fields import CSV_COLUMNS, FIELDS

LIST_SEPARATOR = ";"
_COLUMNS = tuple((f.csv, f.path, f.kind) for f in FIELDS if f.csv is not None)

__all__ = ["CSV_COLUMNS", "LIST_SEPARATOR", "transaction_from_row"]


def transaction_from_row(row: Mapping[str, str | None]) -> dict[str, Any]:
    """A transaction (JSON-like) from one CSV row; unknown columns are ignored here (and passed through).

    A nested object (`customer`, `end_user`, `specs`) is present when any of its cells is; the customer is
    always present, so that a row without a name is reported as `customer.name` missing."""
    tx: dict[str, Any] = {"customer": {}}
    for column, path, kind in _COLUMNS:
        cell = row.get(column)
        if cell is None or not cell.strip():
            continue
        value: Any = cell.strip()
        if kind == "list":
            value = [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]
        target = tx
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = value
    return tx
