"""The functions of the rule language (`exists`, `coalesce`, `between`, `matches`, ...), as compiler methods."""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from engine.expressions.logic import all_of, is_missing
from engine.expressions.model import FUNCTIONS, Expr, ExprError, Fn, Scope, const, need, parse_date
from engine.values import ANY, BOOL, DATE, LIST, MISSING, NUMBER, STRING


class Functions:
    """Mixin of the compiler: one `f_<name>` method per function of FUNCTIONS."""

    scope: Scope

    def src(self, node: ast.AST) -> str:
        raise NotImplementedError

    def node(self, node: ast.AST) -> Expr:
        raise NotImplementedError

    def _compare(self, op: ast.cmpop, left: Expr, right: Expr, node: ast.AST) -> Fn:
        raise NotImplementedError

    def n_Call(self, node: ast.Call) -> Expr:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = self.src(node.func)
            close = difflib.get_close_matches(name, list(FUNCTIONS), n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            raise ExprError(f"unknown function `{name}`{hint}")
        name = node.func.id
        args = [self.node(a) for a in node.args]
        keywords = {k.arg: self.node(k.value) for k in node.keywords if k.arg}
        if name == "screen":
            if self.scope.screen is None:
                raise ExprError("`screen` needs the pack to declare denied-party `lists`")
            fn, type_ = self.scope.screen(args, keywords)
            return Expr(fn, type_, self.src(node))
        if keywords:
            raise ExprError(f"`{name}` takes no keyword arguments")
        return getattr(self, f"f_{name}")(node, args)

    def _arity(self, node: ast.Call, args: list[Expr], low: int, high: int | None = None) -> None:
        high = low if high is None else high
        if not low <= len(args) <= high:
            want = str(low) if low == high else f"{low} to {high}" if high < 99 else f"at least {low}"
            raise ExprError(f"`{self.src(node)}`: `{self.src(node.func)}` takes {want} arguments")

    def f_exists(self, node: ast.Call, args: list[Expr]) -> Expr:
        self._arity(node, args, 1)
        fn = args[0].fn
        return Expr(lambda env: (v := fn(env)) is not MISSING and v is not None, BOOL, self.src(node))

    def f_missing(self, node: ast.Call, args: list[Expr]) -> Expr:
        self._arity(node, args, 1)
        fn = args[0].fn
        return Expr(lambda env: (v := fn(env)) is MISSING or v is None, BOOL, self.src(node))

    def f_coalesce(self, node: ast.Call, args: list[Expr]) -> Expr:
        self._arity(node, args, 1, 99)
        types = {a.type for a in args} - {ANY}
        if len(types) > 1:
            raise ExprError(f"`{self.src(node)}`: arguments of different types ({', '.join(map(str, types))})")
        fns = [a.fn for a in args]

        def first(env: Any) -> Any:
            for fn in fns:
                value = fn(env)
                if not is_missing(value):
                    return value
            return MISSING

        return Expr(first, types.pop() if types else ANY, self.src(node))

    def f_between(self, node: ast.Call, args: list[Expr]) -> Expr:
        self._arity(node, args, 3)
        value, low, high = args
        low_cmp = self._compare(ast.GtE(), value, low, node)
        high_cmp = self._compare(ast.LtE(), value, high, node)
        return Expr(all_of([low_cmp, high_cmp]), BOOL, self.src(node))

    def f_matches(self, node: ast.Call, args: list[Expr]) -> Expr:
        self._arity(node, args, 2)
        value, pattern = args
        need(value, STRING, "matches")
        if pattern.type is not STRING or pattern.constant is MISSING:
            raise ExprError(f"`{self.src(node)}`: the pattern must be a string literal")
        try:
            regex = re.compile(pattern.constant)
        except re.error as exc:
            raise ExprError(f"`{self.src(node)}`: invalid regular expression: {exc}") from None
        fn = value.fn
        search = regex.search
        return Expr(lambda env: MISSING if (v := fn(env)) is MISSING else search(v) is not None, BOOL, self.src(node))

    def f_date(self, node: ast.Call, args: list[Expr]) -> Expr:
        self._arity(node, args, 1)
        text = args[0].constant
        if args[0].type is not STRING or text is MISSING:
            raise ExprError(f"`{self.src(node)}`: `date` takes a string literal YYYY-MM-DD")
        return const(parse_date(text), DATE, self.src(node))

    def f_lower(self, node: ast.Call, args: list[Expr]) -> Expr:
        self._arity(node, args, 1)
        need(args[0], STRING, "lower")
        fn = args[0].fn
        return Expr(lambda env: MISSING if (v := fn(env)) is MISSING else v.lower(), STRING, self.src(node))

    def f_len(self, node: ast.Call, args: list[Expr]) -> Expr:
        self._arity(node, args, 1)
        if args[0].type not in (STRING, LIST, ANY):
            raise ExprError(f"`{self.src(node)}`: `len` takes a string or a list")
        fn = args[0].fn
        return Expr(lambda env: MISSING if (v := fn(env)) is MISSING else len(v), NUMBER, self.src(node))

    def _numbers(self, node: ast.Call, args: list[Expr], pick: Callable[..., Any]) -> Expr:
        self._arity(node, args, 1, 99)
        for arg in args:
            need(arg, NUMBER, self.src(node.func))
        fns = [a.fn for a in args]

        def reduce(env: Any) -> Any:
            values = [fn(env) for fn in fns]
            return MISSING if any(v is MISSING for v in values) else pick(values)

        return Expr(reduce, NUMBER, self.src(node))

    def f_min(self, node: ast.Call, args: list[Expr]) -> Expr:
        return self._numbers(node, args, min)

    def f_max(self, node: ast.Call, args: list[Expr]) -> Expr:
        return self._numbers(node, args, max)

    def f_round(self, node: ast.Call, args: list[Expr]) -> Expr:
        self._arity(node, args, 2)
        need(args[0], NUMBER, "round")
        places = args[1].constant
        if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= 12:
            raise ExprError(f"`{self.src(node)}`: decimals must be a whole number from 0 to 12")
        quantum = Decimal(1).scaleb(-places)
        fn = args[0].fn
        return Expr(
            lambda env: MISSING if (v := fn(env)) is MISSING else Decimal(v).quantize(quantum, rounding=ROUND_HALF_UP),
            NUMBER,
            self.src(node),
        )
