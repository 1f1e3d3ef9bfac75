"""Runtime values of the rule language: the MISSING marker, static types, table rows, and display."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


class _Missing:
    """A value the transaction or a table does not give. Comparisons over it are not evaluable."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        raise TypeError("MISSING has no truth value")

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Type:
    """Static type of an expression: number, string, bool, date, list, record (a table's row), any, or an
    object type a plugin declares with its `fields` (a screening match: `hit.score`, `hit.list`)."""

    kind: str
    of: str | None = None
    fields: tuple[tuple[str, Type], ...] | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.kind} of `{self.of}`" if self.of else self.kind

    def field_type(self, name: str) -> Type | None:
        """The type of an object type's field, or None when it has no such field."""
        return dict(self.fields or ()).get(name)


NUMBER = Type("number")
STRING = Type("string")
BOOL = Type("bool")
DATE = Type("date")
LIST = Type("list")
ANY = Type("any")
TABLE = Type("table")


TYPES: dict[str, Type] = {"string": STRING, "number": NUMBER, "bool": BOOL, "date": DATE, "list": LIST}


def record(table: str) -> Type:
    return Type("record", table)


class Row(dict[str, Any]):
    """One row of a reference table; `key` is its identifying value, for display."""

    __slots__ = ("key", "line", "table")

    def __init__(self, table: str, key: Any, line: int, values: dict[str, Any]):
        super().__init__(values)
        self.table = table
        self.key = key
        self.line = line

    def __reduce__(self) -> Any:
        return (Row, (self.table, self.key, self.line, dict(self)))


def to_json(value: Any) -> Any:
    """A value as it appears in a decision's JSON (observed values)."""
    if value is MISSING:
        return None
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Row):
        return value.key
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    if hasattr(value, "as_observed"):
        return value.as_observed()
    return str(value)


def display(value: Any, spec: str = "") -> str:
    """A value as a message template shows it: `{tpp:,}` gives `15,832`."""
    kind = type(value)
    if spec and (kind is int or kind is Decimal):
        try:
            return format(value, spec)
        except (ValueError, TypeError):
            return str(value)
    if kind is str:
        return value
    if kind is int:
        return str(value)
    if kind is Decimal:
        return format(value.normalize() if value == value.to_integral_value() else value, "f")
    if kind is dt.date:
        return value.isoformat()
    if value is MISSING:
        return "missing"
    if value is None:
        return "none"
    if kind is bool:
        return "yes" if value else "no"
    if isinstance(value, Row):
        return str(value.key)
    if isinstance(value, frozenset | set | tuple | list):
        return ", ".join(display(v) for v in (sorted(value) if isinstance(value, frozenset | set) else value))
    if spec:
        try:
            return format(value, spec)
        except (ValueError, TypeError):
            return str(value)
    return str(value)
