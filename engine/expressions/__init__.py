"""Expressions of the rule language, compiled to Python closures (never `eval`).

The syntax is a small, Python-like subset parsed with `ast` and checked node by node: names and dotted
paths, literals, `== != < <= > >=` (chains such as `14000 < tpp < 17500`), `in` / `not in`, `and`, `or`,
`not`, `+ - * /`, `x if cond else y`, list literals, `table["set"]`, `table.column`, and the functions of
FUNCTIONS. Every expression has a static type, so `tpp == "x"` is a load error, not a silent false.

Semantics are three-valued: a closure returns a value, or MISSING when an input it needs is missing.
`and` is false if any side is false, `or` true if any side is true; otherwise MISSING propagates, and a
rule whose condition is MISSING is "not evaluable" (the caller turns that into `review`).
"""

from __future__ import annotations

from engine.expressions.logic import all_of, any_of
from engine.expressions.model import FUNCTIONS, OP_TEXT, Expr, ExprError, Fn, Scope
from engine.expressions.parser import compile_expr

__all__ = ["FUNCTIONS", "OP_TEXT", "Expr", "ExprError", "Fn", "Scope", "all_of", "any_of", "compile_expr"]
