"""The functions of the rule language, each declared once: name, signature, result type, doc and builder.

A builder receives the `Call` being compiled (its arguments already compiled and type-checked by their own
nodes) and returns the Expr of the call. The built-ins are in `BUILTINS`; a plugin adds its own functions
to a pack's scope (screening adds `screen`), so the language core never imports a domain module.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import re2

from engine.language.logic import all_of, is_missing
from engine.language.model import Expr, ExprError, Fn, const, need, parse_date
from engine.language.values import ANY, BOOL, DATE, LIST, MISSING, NUMBER, STRING, Type, display

MANY = 99  # "or more" for arity
MAX_WIDTH = 200  # the widest field a format spec may ask for
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


@dataclass(frozen=True)
class Call:
    """A call being compiled: what a builder sees."""

    name: str
    args: list[Expr]
    keywords: dict[str, Expr]
    text: str
    compare: Callable[[type[ast.cmpop], Expr, Expr], Fn]  # the compiler's comparison, for `between`


@dataclass(frozen=True)
class Function:
    """One function of the rule language."""

    name: str
    signature: str
    doc: str
    result: Type  # ANY where it follows the arguments
    build: Callable[[Call], Expr]
    arity: tuple[int, int] = (1, 1)
    keywords: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"{self.signature}: {self.doc}"

    def check(self, call: Call) -> None:
        low, high = self.arity
        if not low <= len(call.args) <= high:
            want = str(low) if low == high else f"at least {low}" if high >= MANY else f"{low} to {high}"
            raise ExprError(
                f"`{call.text}`: `{self.name}` takes {want} argument{'s' if want != '1' else ''}",
                "bad-argument",
                hint=f"the signature is {self.signature}",
            )
        unknown = sorted(set(call.keywords) - set(self.keywords))
        if unknown:
            takes = f"its keywords are {', '.join(self.keywords)}" if self.keywords else "it takes no keywords"
            raise ExprError(f"`{self.name}` has no argument `{unknown[0]}` ({takes})", "bad-argument")


Functions = Mapping[str, Function]


def _exists(call: Call) -> Expr:
    fn = call.args[0].fn
    return Expr(lambda env: (v := fn(env)) is not MISSING and v is not None, BOOL, call.text)


def _missing(call: Call) -> Expr:
    fn = call.args[0].fn
    return Expr(lambda env: (v := fn(env)) is MISSING or v is None, BOOL, call.text)


def _coalesce(call: Call) -> Expr:
    types = {a.type for a in call.args} - {ANY}
    if len(types) > 1:
        kinds = ", ".join(sorted(map(str, types)))
        raise ExprError(f"`{call.text}`: arguments of different types ({kinds})", "type-mismatch")
    fns = [a.fn for a in call.args]

    def first(env: Any) -> Any:
        for fn in fns:
            value = fn(env)
            if not is_missing(value):
                return value
        return MISSING

    return Expr(first, types.pop() if types else ANY, call.text)


def _between(call: Call) -> Expr:
    value, low, high = call.args
    low_cmp = call.compare(ast.GtE, value, low)
    high_cmp = call.compare(ast.LtE, value, high)
    return Expr(all_of([low_cmp, high_cmp]), BOOL, call.text)


def _matches(call: Call) -> Expr:
    """Regular expressions run on RE2, in time linear in the text: no pattern can hang an evaluation."""
    value, pattern = call.args
    need(value, STRING, "matches")
    if pattern.type is not STRING or pattern.constant is MISSING:
        raise ExprError(f"`{call.text}`: the pattern must be a string literal", "bad-argument")
    try:
        regex = re2.compile(pattern.constant, _RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ExprError(
            f"`{call.text}`: invalid regular expression: {reason}",
            "bad-regex",
            hint="patterns use RE2 syntax (no backreferences or lookaround)",
        ) from None
    fn = value.fn
    search = regex.search
    return Expr(lambda env: MISSING if (v := fn(env)) is MISSING else search(v) is not None, BOOL, call.text)


def _date(call: Call) -> Expr:
    text = call.args[0].constant
    if call.args[0].type is not STRING or text is MISSING:
        raise ExprError(f"`{call.text}`: `date` takes a string literal YYYY-MM-DD", "bad-argument")
    return const(parse_date(text), DATE, call.text)


def _lower(call: Call) -> Expr:
    need(call.args[0], STRING, "lower")
    fn = call.args[0].fn
    return Expr(lambda env: MISSING if (v := fn(env)) is MISSING else v.lower(), STRING, call.text)


def _len(call: Call) -> Expr:
    if call.args[0].type not in (STRING, LIST, ANY):
        raise ExprError(f"`{call.text}`: `len` takes a string or a list", "type-mismatch")
    fn = call.args[0].fn
    return Expr(lambda env: MISSING if (v := fn(env)) is MISSING else len(v), NUMBER, call.text)


def _numbers(pick: Callable[..., Any]) -> Callable[[Call], Expr]:
    def build(call: Call) -> Expr:
        for arg in call.args:
            need(arg, NUMBER, call.name)
        fns = [a.fn for a in call.args]

        def reduce(env: Any) -> Any:
            values = [fn(env) for fn in fns]
            return MISSING if any(v is MISSING for v in values) else pick(values)

        return Expr(reduce, NUMBER, call.text)

    return build


def spec_problem(spec: str, number: bool = True) -> str | None:
    """Why a format spec cannot be used (a width over MAX_WIDTH; for a number, a spec that does not format
    one), or None: checked at load, so that no message is rendered wrongly, or hugely, at run time."""
    if any(int(width) > MAX_WIDTH for width in re.findall(r"\d+", spec.split(".")[0])):
        return f"the width is over {MAX_WIDTH}"
    for sample in (1234, Decimal("1234.5")) if number else ():
        try:
            format(sample, spec)
        except (ValueError, TypeError) as exc:
            return f"it does not fit a number: {exc}"
    return None


def _format(call: Call) -> Expr:
    """A number as text, with a format spec as in message templates: `format(tpp, ",")` gives `15,832`."""
    value, spec = call.args
    need(value, NUMBER, "format")
    if spec.type is not STRING or spec.constant is MISSING:
        raise ExprError(f'`{call.text}`: the format spec must be a string literal, e.g. ","', "bad-argument")
    text = spec.constant
    problem = spec_problem(text)
    if problem is not None:
        raise ExprError(f"`{call.text}`: format spec `{text}`: {problem}", "bad-argument")
    fn = value.fn
    return Expr(lambda env: MISSING if (v := fn(env)) is MISSING else display(v, text), STRING, call.text)


def _round(call: Call) -> Expr:
    need(call.args[0], NUMBER, "round")
    places = call.args[1].constant
    if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= 12:
        raise ExprError(f"`{call.text}`: decimals must be a whole number from 0 to 12", "bad-argument")
    quantum = Decimal(1).scaleb(-places)
    fn = call.args[0].fn

    def rounded(env: Any) -> Any:
        value = fn(env)
        return MISSING if value is MISSING else Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)

    return Expr(rounded, NUMBER, call.text)


BUILTINS: Functions = {
    f.name: f
    for f in (
        Function("exists", "exists(x)", "true when x has a value (never missing)", BOOL, _exists),
        Function("missing", "missing(x)", "true when x has no value (never missing)", BOOL, _missing),
        Function("coalesce", "coalesce(a, b, ...)", "the first argument that has a value", ANY, _coalesce,
                 (1, MANY)),
        Function("between", "between(x, low, high)", "low <= x <= high (numbers or dates)", BOOL, _between,
                 (3, 3)),
        Function("matches", 'matches(x, "regex")', "the regular expression is found in the string x", BOOL,
                 _matches, (2, 2)),
        Function("date", 'date("YYYY-MM-DD")', "a date literal", DATE, _date),
        Function("lower", "lower(x)", "the string in lower case", STRING, _lower),
        Function("len", "len(x)", "the number of items of a list or characters of a string", NUMBER, _len),
        Function("min", "min(a, b, ...)", "the smallest number", NUMBER, _numbers(min), (1, MANY)),
        Function("max", "max(a, b, ...)", "the largest number", NUMBER, _numbers(max), (1, MANY)),
        Function("round", "round(x, n)", "x rounded half-up to n decimals", NUMBER, _round, (2, 2)),
        Function("format", 'format(x, ",")', "the number x as text, with a format spec as in messages", STRING,
                 _format, (2, 2)),
    )
}  # fmt: skip
