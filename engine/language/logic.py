"""Three-valued logic and arithmetic over closures: MISSING propagates, false wins `and`, true wins `or`."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from engine.language.model import Fn
from engine.language.values import MISSING


def is_missing(value: Any) -> bool:
    return value is MISSING or value is None


def all_of(fns: list[Fn]) -> Fn:
    """Three-valued `and`: false if any is false (stops there), else missing if any is missing, else true."""
    if len(fns) == 1:
        return fns[0]
    if len(fns) == 2:
        first, second = fns

        def pair(env: Any) -> Any:
            a = first(env)
            if a is False:
                return False
            b = second(env)
            if b is False:
                return False
            return MISSING if a is MISSING or b is MISSING else True

        return pair

    def conjunction(env: Any) -> Any:
        result: Any = True
        for fn in fns:
            value = fn(env)
            if value is False:
                return False
            if value is MISSING:
                result = MISSING
        return result

    return conjunction


def any_of(fns: list[Fn], *, exhaustive: bool = False) -> Fn:
    """Three-valued `or`: true if any is true, else missing if any is missing, else false.

    `exhaustive` evaluates every branch even after one is true, so that each is recorded."""
    if len(fns) == 1:
        return fns[0]

    def disjunction(env: Any) -> Any:
        result: Any = False
        for fn in fns:
            value = fn(env)
            if value is True:
                if not exhaustive:
                    return True
                result = True
            elif value is MISSING and result is False:
                result = MISSING
        return result

    return disjunction


def binary(op: Callable[[Any, Any], Any], lf: Fn, rf: Fn) -> Fn:
    """`op(left, right)`, missing when either side is."""

    def apply(env: Any) -> Any:
        a = lf(env)
        if a is MISSING:
            return MISSING
        b = rf(env)
        return MISSING if b is MISSING else op(a, b)

    return apply


def divide(a: Any, b: Any) -> Any:
    if b == 0:
        return MISSING
    return Decimal(a) / Decimal(b)


ORDER_OPS: dict[type, Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
EQ_OPS: dict[type, Callable[[Any, Any], bool]] = {ast.Eq: operator.eq, ast.NotEq: operator.ne}
