"""What compiled expressions are made of: Expr, the compile-time Scope, and checks shared by the compiler."""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.values import ANY, DATE, MISSING, NUMBER, STRING, Type

Fn = Callable[[Any], Any]

FUNCTIONS = {
    "exists": "exists(x): true when x has a value (never missing)",
    "missing": "missing(x): true when x has no value (never missing)",
    "coalesce": "coalesce(a, b, ...): the first argument that has a value",
    "between": "between(x, low, high): low <= x <= high (numbers or dates)",
    "matches": 'matches(x, "regex"): the regular expression is found in the string x',
    "date": 'date("YYYY-MM-DD"): a date literal',
    "lower": "lower(x): the string in lower case",
    "len": "len(x): the number of items of a list or characters of a string",
    "min": "min(a, b, ...): the smallest number",
    "max": "max(a, b, ...): the largest number",
    "round": "round(x, n): x rounded half-up to n decimals",
    "screen": 'screen(name, ["EL", ...], on=date): the best denied-party match of a name on the pack\'s lists',
}


class ExprError(Exception):
    """An expression is wrong; the message follows the project's error style."""


@dataclass
class Expr:
    """A compiled expression: its closure, static type, source text and the operands shown as observed."""

    fn: Fn
    type: Type
    text: str
    observed: list[tuple[str, Fn]] = field(default_factory=list)
    constant: Any = MISSING
    node: ast.AST | None = None
    parts: dict[int, Expr] = field(default_factory=dict, repr=False)


class Scope:
    """What names mean while compiling: the caller supplies resolvers for names, tables and functions."""

    def __init__(
        self,
        resolve_name: Callable[[str], tuple[Fn, Type] | None],
        tables: dict[str, Any],
        known_names: Callable[[], list[str]],
        screen: Callable[[list[Expr], dict[str, Expr]], tuple[Fn, Type]] | None = None,
        row: Any = None,
    ):
        self.resolve_name = resolve_name
        self.tables = tables
        self.known_names = known_names
        self.screen = screen
        self.row = row

    def with_row(self, table: Any) -> Scope:
        return Scope(self.resolve_name, self.tables, self.known_names, self.screen, row=table)


OP_TEXT = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
}


def const(value: Any, type_: Type, text: str) -> Expr:
    return Expr(lambda env: value, type_, text, constant=value)


def need(expr: Expr, type_: Type, what: str) -> None:
    if expr.type is not type_ and expr.type is not ANY:
        raise ExprError(f"`{what}` needs a {type_}, but `{expr.text}` is a {expr.type}")


def dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ExprError(f"`{text}` is not a date YYYY-MM-DD") from None


def coerce_dates(left: Expr, right: Expr, where: str) -> tuple[Expr, Expr]:
    """A string literal compared with a date is read as a date: `date >= "2026-01-15"`."""
    if left.type is DATE and right.type is STRING and right.constant is not MISSING:
        return left, const(parse_date(right.constant), DATE, right.text)
    if right.type is DATE and left.type is STRING and left.constant is not MISSING:
        return const(parse_date(left.constant), DATE, left.text), right
    return left, right


def check_members(left: Expr, right: Expr, where: str) -> None:
    if left.type is ANY:
        return
    for member in right.constant:
        member_type = NUMBER if isinstance(member, int | Decimal) and not isinstance(member, bool) else None
        member_type = STRING if isinstance(member, str) else member_type
        if member_type is not None and member_type is not left.type:
            raise ExprError(
                f"type mismatch in `{where}`: `{left.text}` is a {left.type} but the list holds {member_type}s"
            )
