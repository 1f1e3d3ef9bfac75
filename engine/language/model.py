"""What compiled expressions are made of: Expr, ExprError, the compile-time Scope, and shared checks."""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from engine.language.values import ANY, DATE, MISSING, NUMBER, STRING, Type

if TYPE_CHECKING:
    from engine.language.functions import Function

Fn = Callable[[Any], Any]


class ExprError(Exception):
    """An expression is wrong. `code` is stable (see `engine.errors.CODES`); `span` is the (start, end)
    character offsets of the culprit inside the expression text, when known; `hint` says what to do."""

    def __init__(
        self, message: str, code: str, *, span: tuple[int, int] | None = None,
        hint: str | None = None,
    ):  # fmt: skip
        super().__init__(message)
        self.message = message
        self.code = code
        self.span = span
        self.hint = hint

    def __str__(self) -> str:
        return self.message


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
    ref: str | None = None  # the name this expression reads, when it is just a name
    test: Test | None = None  # the test it is, when it is a simple test of one name (see `Test`)
    source: str | None = None  # the same expression as Python source over `env` (see `engine.language.emit`)
    bindings: dict[str, Any] | None = None  # the names its compiled source uses, once `fn` is compiled from it


Test = tuple[Any, ...]
"""A boolean expression in a form the rule index reads: `("eq", name, frozenset)` (the name's text is one of
these), `("ne", name, frozenset)` (none of these), `("lt"|"le"|"gt"|"ge", name, number)`, `("is", name)` (a
boolean name), or `("and", (test, ...))`. Each is three-valued like the expression: missing when the name is."""


@dataclass(frozen=True)
class Scope:
    """What names mean while compiling: the caller resolves names, and supplies the tables and the
    functions (the built-ins and those a plugin registers, such as `screen`). `row` is the table whose
    row `row` names inside a lookup's `where`."""

    resolve_name: Callable[[str], tuple[Fn, Type] | None]
    tables: Mapping[str, Any]
    known_names: Callable[[], list[str]]
    functions: Mapping[str, Function]
    row: Any = None

    def with_row(self, table: Any) -> Scope:
        return Scope(self.resolve_name, self.tables, self.known_names, self.functions, row=table)


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
        raise ExprError(f"`{what}` needs a {type_}, but `{expr.text}` is a {expr.type}", "type-mismatch")


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
        raise ExprError(f"`{text}` is not a date YYYY-MM-DD", "bad-date") from None


def coerce_dates(left: Expr, right: Expr) -> tuple[Expr, Expr]:
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
                f"type mismatch in `{where}`: `{left.text}` is a {left.type} but the list holds {member_type}s",
                "type-mismatch",
            )


ORDER_TESTS = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge"}


def simple_test(kind: type[ast.cmpop], left: Expr, right: Expr) -> Test | None:
    """The comparison `left <op> right` as a Test, when left is a name of text or number and right a constant."""
    value = right.constant
    if left.ref is None or value is MISSING or right.type is ANY:
        return None
    if left.type is STRING:
        if kind in (ast.Eq, ast.NotEq) and type(value) is str:
            return ("eq" if kind is ast.Eq else "ne", left.ref, frozenset((value,)))
        if kind in (ast.In, ast.NotIn) and isinstance(value, frozenset) and all(type(v) is str for v in value):
            return ("eq" if kind is ast.In else "ne", left.ref, value)
    if left.type is NUMBER and kind in ORDER_TESTS and type(value) in (int, Decimal):
        return (ORDER_TESTS[kind], left.ref, value)
    return None
