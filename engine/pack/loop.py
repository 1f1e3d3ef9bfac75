"""The rules of an epoch that are run in full, as one function compiled for them.

The evaluator's loop over rules costs more than most rules' first test. Here the loop is unrolled into straight
Python: each rule's first conjunct inline (its compiled source, see `engine.language.emit`), the rest through
the rule's own closures, each rule in its own `try`. It does exactly what the evaluator's loop does, rule by
rule: skip the rule when its first conjunct is false, record that conjunct in the trace otherwise, combine it
with the rest in three-valued logic, and report a rule that fails to run as not evaluable with the error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from engine.language.values import MISSING

if TYPE_CHECKING:
    from engine.pack.model import CompiledRule

Ran = list[tuple[int, Any, "str | None"]]  # position, verdict (True or MISSING), error
Loop = Callable[[Any, list[Any]], Ran]
MAX_RULES = 2000  # beyond this the function is too large to be worth compiling; the evaluator's loop runs


def error_text(exc: Exception) -> str:
    """How a rule that failed to run reports the failure."""
    return f"error while evaluating: {type(exc).__name__}: {exc}"


def compile_loop(rules: Sequence[CompiledRule], positions: Sequence[int]) -> Loop | None:
    """One function running the rules at `positions` in order: `loop(env, trace)` gives each rule that fired
    or could not be evaluated. None when it cannot be compiled (the evaluator's own loop then runs)."""
    if not positions or len(positions) > MAX_RULES:
        return None
    names: dict[str, Any] = {"MISSING": MISSING, "ERROR": error_text}
    lines = ["def loop(env, trace):", "    out = []", "    append = out.append"]
    for position in positions:
        rule = rules[position]
        plan = rule.plan
        lines.append("    try:")
        if plan is None:
            names[f"TEST{position}"] = rule.test
            lines += [
                f"        v = TEST{position}(env)",
                "        if v is not False:",
                f"            append(({position}, v, None))",
            ]
        else:
            lines.append(f"        v = {_guard(rule, position, names)}")
            lines += ["        if v is not False:", f"            trace[{plan.guard_slot}] = v"]
            if plan.rest is not None:
                names[f"REST{position}"] = plan.rest
                lines += [
                    f"            r = REST{position}(env)",
                    "            v = False if r is False else (MISSING if v is MISSING or r is MISSING else True)",
                    "            if v is not False:",
                    f"                append(({position}, v, None))",
                ]
            else:
                lines.append(f"            append(({position}, v, None))")
        lines += ["    except Exception as exc:", f"        append(({position}, MISSING, ERROR(exc)))"]
    lines.append("    return out")
    try:
        code = compile("\n".join(lines) + "\n", "<rules>", "exec")
    except (SyntaxError, RecursionError, MemoryError):
        return None
    exec(code, names)  # the source comes from templates and the compiler's own expression sources
    loop: Loop = names["loop"]
    return loop


def _guard(rule: CompiledRule, position: int, names: dict[str, Any]) -> str:
    """The first conjunct as source: inline when the compiler made it from source, else a call of it."""
    assert rule.plan is not None
    leaf = rule.leaves[0]
    expr = leaf.expr
    if rule.plan.guard is leaf.fn and expr.fn is leaf.fn and expr.bindings is not None and expr.source is not None:
        names.update(expr.bindings)
        return expr.source
    names[f"GUARD{position}"] = rule.plan.guard
    return f"GUARD{position}(env)"
