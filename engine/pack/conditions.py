"""Condition trees (`when`): expression leaves and `all`/`any`/`not` groups, compiled to one closure.

Every leaf gets a slot in the evaluation's trace, numbered across the pack, and records its result there,
so that a finding shows each condition's value. A rule's `Plan` lets the evaluator test its first conjunct
alone and skip the rule when it is false.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.language import ExprError, Fn, Scope, all_of, any_of, compile_expr
from engine.language.values import BOOL, MISSING
from engine.pack.model import Leaf, Plan

Report = Callable[[ExprError, tuple[Any, ...]], None]  # a problem and where it is inside the rule
MAX_NESTING = 32  # all/any/not groups inside one another


@dataclass(frozen=True)
class Condition:
    test: Fn
    leaves: tuple[Leaf, ...]
    plan: Plan | None


class ConditionCompiler:
    """Compiles the conditions of one pack; `slots` counts the leaves so far."""

    def __init__(self, scope: Scope):
        self.scope = scope
        self.slots = 0

    def compile(self, when: Any, report: Report) -> Condition | None:
        leaves: list[Leaf] = []
        top: list[Fn] = []
        test = self._node(when, leaves, report, ("when",), top)
        if test is None:
            return None
        return Condition(test, tuple(leaves), _plan(when, leaves, top))

    def _node(
        self, when: Any, leaves: list[Leaf], report: Report, loc: tuple[Any, ...], top: list[Fn] | None
    ) -> Fn | None:
        if isinstance(when, str):
            return self._leaf(when, leaves, report, loc)
        if sum(1 for part in loc if part in ("all", "any", "not")) > MAX_NESTING:
            report(ExprError(f"conditions nest more than {MAX_NESTING} groups deep", "too-complex"), loc)
            return None
        if not isinstance(when, dict) or len(when) != 1 or next(iter(when)) not in ("all", "any", "not"):
            report(
                ExprError(
                    "a condition is an expression string or one of {all: [...]}, {any: [...]}, {not: ...}",
                    "bad-condition",
                ),
                loc,
            )
            return None
        ((kind, body),) = when.items()
        if kind == "not":
            inner = self._node(body, leaves, report, (*loc, "not"), None)
            if inner is None:
                return None
            return lambda env: MISSING if (v := inner(env)) is MISSING else not v
        if not isinstance(body, list) or not body:
            report(ExprError(f"`{kind}` needs a non-empty list of conditions", "bad-condition"), loc)
            return None
        parts = [self._node(item, leaves, report, (*loc, kind, i), None) for i, item in enumerate(body)]
        if any(p is None for p in parts):
            return None
        fns: list[Fn] = [p for p in parts if p is not None]
        if top is not None:
            top.extend(fns)
        # `any` evaluates every branch, so that a finding lists every one that held
        return all_of(fns) if kind == "all" else any_of(fns, exhaustive=True)

    def _leaf(self, text: str, leaves: list[Leaf], report: Report, loc: tuple[Any, ...]) -> Fn | None:
        try:
            expr = compile_expr(text, self.scope, want=BOOL)
        except ExprError as exc:
            report(exc, loc)
            return None
        slot = self.slots
        self.slots += 1
        leaves.append(Leaf(slot, expr.text, expr.fn, tuple(expr.observed), expr))
        fn = expr.fn

        def leaf(env: Any) -> Any:
            value = fn(env)
            env.trace[slot] = value
            return value

        return leaf


def _plan(when: Any, leaves: list[Leaf], top: list[Fn]) -> Plan | None:
    """The first conjunct (a plain closure, to skip the rule cheaply when it is false) and the rest."""
    if isinstance(when, str):
        return Plan(leaves[0].fn, leaves[0].slot, None)
    if isinstance(when, dict) and "all" in when and isinstance(when["all"][0], str):
        rest = top[1:]
        return Plan(leaves[0].fn, leaves[0].slot, all_of(rest) if rest else None)
    return None
