"""The rule language: expressions compiled to Python closures (never `eval`).

The syntax is a small, Python-like subset parsed with `ast` and checked node by node: names and dotted
paths, literals, `== != < <= > >=` (chains such as `14000 < tpp < 17500`), `in` / `not in`, `and`, `or`,
`not`, `+ - * /`, `x if cond else y`, list literals, `table["set"]`, `table.column`, and the functions of
the scope's registry (`BUILTINS`, plus those a plugin registers). Every expression has a static type, so
`tpp == "x"` is a load error, not a silent false.

Semantics are three-valued: a closure returns a value, or MISSING when an input it needs is missing.
`and` is false if any side is false, `or` true if any side is true; otherwise MISSING propagates, and a
rule whose condition is MISSING is "not evaluable" (the caller turns that into `review`).

values      runtime values (MISSING, Row), static types, display
model       Expr, ExprError, Scope
logic       three-valued and/or and arithmetic over closures
functions   the function registry: Function, Call, BUILTINS
compiler    compile_expr: `ast` nodes -> closures
"""

from __future__ import annotations

from engine.language.compiler import compile_expr
from engine.language.functions import BUILTINS, Call, Function, Functions
from engine.language.logic import all_of, any_of
from engine.language.model import OP_TEXT, Expr, ExprError, Fn, Scope, Test

__all__ = [
    "BUILTINS",
    "OP_TEXT",
    "Call",
    "Expr",
    "ExprError",
    "Fn",
    "Function",
    "Functions",
    "Scope",
    "Test",
    "all_of",
    "any_of",
    "compile_expr",
]
