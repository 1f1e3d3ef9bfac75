"""Python source for compiled expressions: one function per expression instead of a chain of closures.

The compiler builds each node's closure and, beside it, the same node as Python source over `env` (`Expr.source`),
with MISSING handled exactly as the closures in `engine.language.logic` handle it. A node without source (a
function of a plugin, a lookup's row) appears in the source as a call of its closure. `finish` compiles the whole
expression into one function; the closures stay, for the parts that are shown or translated on their own.

The source is made from the expression's parse tree and the compiler's own templates: names read from `env`
are quoted with `repr`, constants other than booleans, integers and strings are bound by name, and no text of
the expression is ever pasted into the source.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Mapping
from typing import Any

from engine.language.logic import divide
from engine.language.model import Expr, Fn
from engine.language.values import MISSING, TABLE

ARITHMETIC = {"Add": "+", "Sub": "-", "Mult": "*"}
COMPARISON = {"Lt": "<", "LtE": "<=", "Gt": ">", "GtE": ">=", "Eq": "==", "NotEq": "!="}
_NUMBERS = itertools.count(1)  # bound names and temporaries are unique across expressions, so that the sources of
# several expressions can be joined in one function (see `engine.pack.loop`)


def define(source: str, name: str, bindings: Mapping[str, Any]) -> Any:
    """The function `name` that `source` defines, over a copy of `bindings`; None when Python cannot compile it
    (source nested too deep for its parser, far beyond real rules: the caller keeps what it had). Every source
    comes from the compiler's templates and its own expression sources (see the module's doc)."""
    try:
        code = compile(source, f"<{name}>", "exec")
    except (SyntaxError, RecursionError, MemoryError):
        return None
    namespace = dict(bindings)
    exec(code, namespace)
    return namespace[name]


class Derived:
    """Reads a derived value by name as `env[name]` does (the facts compute it on first use, see
    `engine.evaluation.facts.Env`), and knows the value's expression: an expression reading it computes it
    inline instead, with the same result, and keeps it in the facts as they would."""

    __slots__ = ("_compute", "_made", "expr", "name")

    def __init__(self, name: str, expr: Expr | None):
        self.name, self.expr = name, expr
        self._compute: Fn | None = None
        self._made = False

    def __call__(self, env: Any) -> Any:
        return env[self.name]

    def compute(self) -> Fn | None:
        """`compute(env)`: the value computed from its source and kept in `env` (None without source)."""
        if not self._made:
            self._made = True
            expr = self.expr
            if expr is not None and expr.source is not None and expr.bindings is not None:
                source = f"def compute(env):\n    v = {expr.source}\n    env[{self.name!r}] = v\n    return v\n"
                self._compute = define(source, "compute", expr.bindings)
        return self._compute


class Emitter:
    """The source of one expression: the names it binds (closures and constants) and its temporaries."""

    def __init__(self) -> None:
        self.names: dict[str, Any] = {"MISSING": MISSING, "DIVIDE": divide}

    def bind(self, value: Any, prefix: str) -> str:
        name = f"{prefix}{next(_NUMBERS)}"
        self.names[name] = value
        return name

    def temp(self) -> str:
        return f"t{next(_NUMBERS)}"

    def of(self, expr: Expr) -> str:
        """The source of `expr`: its own, a literal, a bound constant, or a call of its closure."""
        if expr.source is not None:
            return expr.source
        value = expr.constant
        if value is not MISSING and expr.type is not TABLE:
            if value is True or value is False or value is None:
                return repr(value)
            if type(value) in (int, str):
                return repr(value)
            return self.bind(value, "K")
        return f"{self.bind(expr.fn, 'F')}(env)"

    def name(self, fn: Fn, name: str) -> str:
        """A name as the scope resolved it: `env[name]` when that is what its function does, else a call. A
        derived value compiled from source is computed inline on first use (`Derived`)."""
        if isinstance(fn, Derived) and fn.name == name:
            compute = fn.compute()
            if compute is None:
                return f"env[{name!r}]"
            return f"(env[{name!r}] if {name!r} in env else {self.bind(compute, 'D')}(env))"
        if type(fn) is operator.itemgetter and fn.__reduce__() == (operator.itemgetter, (name,)):
            return f"env[{name!r}]"
        return f"{self.bind(fn, 'F')}(env)"

    # the forms of logic.py, as source -----------------------------------------------------------------------
    def binary(self, op: str, left: str, right: str) -> str:
        """`left op right` (an operator, or `DIVIDE`), missing when either side is."""
        a, b = self.temp(), self.temp()
        applied = f"DIVIDE({a}, {b})" if op == "DIVIDE" else f"{a} {op} {b}"
        return f"(MISSING if ({a} := {left}) is MISSING else (MISSING if ({b} := {right}) is MISSING else {applied}))"

    def against(self, op: str, left: str, constant: str) -> str:
        """`left op constant`, missing when left is."""
        a = self.temp()
        return f"(MISSING if ({a} := {left}) is MISSING else {a} {op} {constant})"

    def unary(self, op: str, operand: str) -> str:
        a = self.temp()
        return f"(MISSING if ({a} := {operand}) is MISSING else {op}{a})"

    def all_of(self, parts: list[str]) -> str:
        """Three-valued `and` (logic.all_of): false at the first false, else missing if any is, else true."""
        return self._first(parts, "False")

    def any_of(self, parts: list[str]) -> str:
        """Three-valued `or` (logic.any_of, not exhaustive): true at the first true, else missing if any is."""
        return self._first(parts, "True")

    def _first(self, parts: list[str], wins: str) -> str:
        """`wins` at the first part that is `wins`, else missing if any part is, else the other boolean."""
        if len(parts) == 1:
            return parts[0]
        temps = [self.temp() for _ in parts]
        other = "True" if wins == "False" else "False"
        tail = f"(MISSING if {' or '.join(f'{t} is MISSING' for t in temps)} else {other})"
        for temp, part in reversed(list(zip(temps, parts, strict=True))):
            tail = f"({wins} if ({temp} := {part}) is {wins} else {tail})"
        return tail

    def choose(self, test: str, body: str, orelse: str) -> str:
        c = self.temp()
        return f"(MISSING if ({c} := {test}) is MISSING else ({body} if {c} else {orelse}))"

    def builtin(self, name: str, args: list[Expr]) -> str | None:
        """The source of the built-ins that run most (`exists`, `missing`, `coalesce`); None for the others,
        which run as their closures."""
        if name in ("exists", "missing"):
            a = self.temp()
            if name == "exists":
                return f"(({a} := {self.of(args[0])}) is not MISSING and {a} is not None)"
            return f"(({a} := {self.of(args[0])}) is MISSING or {a} is None)"
        if name != "coalesce":
            return None
        tail = "MISSING"  # the first argument that has a value
        for arg in reversed(args):
            a = self.temp()
            tail = f"({a} if ({a} := {self.of(arg)}) is not MISSING and {a} is not None else {tail})"
        return tail

    def field(self, record: str, attr: str) -> str:
        """A column of a row (a dict), missing when the row is."""
        r = self.temp()
        return f"(MISSING if ({r} := {record}) is MISSING or {r} is None else {r}.get({attr!r}, MISSING))"

    def finish(self, expr: Expr) -> None:
        """Replace the closure of `expr` by one function compiled from its source, when it has source of its
        own (a closure call alone gains nothing) and Python can compile it (it nests too deep for the parser
        only far beyond real rules; the closure then stays)."""
        if expr.source is None:
            return
        compiled = define(f"def expression(env):\n    return {expr.source}\n", "expression", self.names)
        if compiled is not None:
            expr.fn = compiled
            expr.bindings = self.names
