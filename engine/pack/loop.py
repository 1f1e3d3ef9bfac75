"""The rules of an epoch that are run in full, as one function compiled for them.

The evaluator's loop over rules costs more than most rules' first test. Here the loop is unrolled into straight
Python: each rule's conditions inline (their compiled source, see `engine.language.emit`) where the rule is an
`all` of conditions, its closures otherwise, each rule in its own `try`. It does exactly what the evaluator's loop
does, rule by rule: skip the rule when its first conjunct is false, record each condition it reaches in the trace,
combine them in three-valued logic, and report a rule that fails to run as not evaluable with the error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from engine.language.emit import define
from engine.language.values import MISSING

if TYPE_CHECKING:
    from engine.pack.model import CompiledRule, Leaf

Ran = list[tuple[int, Any, "str | None"]]  # position, verdict (True or MISSING), error
Loop = Callable[[Any, list[Any]], Ran]
MAX_RULES = 2000  # beyond this the function is too large to be worth compiling; the evaluator's loop runs
MAX_REST = 20  # conditions after the first of an `all` written inline (each nests one level deeper)


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
    for group in _groups(rules, positions, names):
        first = rules[group[0]]
        if first.plan is None:
            names[f"TEST{group[0]}"] = first.test
            lines += [
                "    try:",
                f"        v = TEST{group[0]}(env)",
                "        if v is not False:",
                f"            append(({group[0]}, v, None))",
            ]
        elif len(group) == 1:
            lines += ["    try:", f"        v = {_guard(first, group[0], names)}", "        if v is not False:"]
            lines += _body(first, group[0], names, " " * 12)
        else:  # rules that start with the same condition: it is tested once for all of them
            lines += ["    try:", f"        g = {_guard(first, group[0], names)}", "    except Exception as exc:",
                      "        e = ERROR(exc)", *(f"        append(({p}, MISSING, e))" for p in group),
                      "    else:", "        if g is not False:"]  # fmt: skip
            for position in group:
                lines += ["            try:", "                v = g"]
                lines += _body(rules[position], position, names, " " * 16)
                lines += [
                    "            except Exception as exc:",
                    f"                append(({position}, MISSING, ERROR(exc)))",
                ]
            continue
        lines += ["    except Exception as exc:", f"        append(({group[0]}, MISSING, ERROR(exc)))"]
    lines.append("    return out")
    loop: Loop | None = define("\n".join(lines) + "\n", "loop", names)
    return loop


def _guard(rule: CompiledRule, position: int, names: dict[str, Any]) -> str:
    """The first conjunct as source: inline when the compiler made it from source, else a call of it."""
    assert rule.plan is not None
    leaf = rule.leaves[0]
    if rule.plan.guard is leaf.fn and _inline(leaf, names):
        return str(leaf.expr.source)
    names[f"GUARD{position}"] = rule.plan.guard
    return f"GUARD{position}(env)"


def _groups(rules: Sequence[CompiledRule], positions: Sequence[int], names: dict[str, Any]) -> list[list[int]]:
    """The positions in order, rules in a row whose first condition is the same text (so the same value: the
    facts compute each value once) grouped together."""
    groups: list[list[int]] = []
    last = None
    for position in positions:
        rule = rules[position]
        plan = rule.plan
        shared = plan is not None and plan.guard is rule.leaves[0].fn and _inline(rule.leaves[0], names)
        text = rule.leaves[0].text if shared else None
        if text is not None and text == last:
            groups[-1].append(position)
        else:
            groups.append([position])
        last = text
    return groups


def _body(rule: CompiledRule, position: int, names: dict[str, Any], at: str) -> list[str]:
    """Lines that judge a rule whose first condition gave `v` (not false): record it, combine it with the rest,
    and report the rule when it fired or could not be evaluated."""
    assert rule.plan is not None
    lines = [f"{at}trace[{rule.plan.guard_slot}] = v"]
    if rule.plan.rest is None:
        return [*lines, f"{at}append(({position}, v, None))"]
    return [
        *lines,
        *_rest(rule, position, names, at),
        f"{at}v = False if r is False else (MISSING if v is MISSING or r is MISSING else True)",
        f"{at}if v is not False:",
        f"{at}    append(({position}, v, None))",
    ]


def _rest(rule: CompiledRule, position: int, names: dict[str, Any], at: str) -> list[str]:
    """Lines setting `r` to the rest of an `all` (three-valued `and`: false at the first false, else missing if
    any is), each condition recorded in the trace as its leaf records it. Inline when the rest is conditions
    the compiler made from source; else the rule's closure for the rest."""
    assert rule.plan is not None
    when = rule.when
    rest = rule.leaves[1:]
    plain = isinstance(when, dict) and all(isinstance(w, str) for w in when.get("all", ()))
    if (
        not plain
        or len(when["all"]) != 1 + len(rest)
        or len(rest) > MAX_REST
        or not all(_inline(leaf, names) for leaf in rest)
    ):
        names[f"REST{position}"] = rule.plan.rest
        return [f"{at}r = REST{position}(env)"]
    lines = [f"{at}r = True"]
    indent = at
    for number, leaf in enumerate(rest):
        if number:
            lines += [f"{indent}else:", f"{indent}    if c is MISSING:", f"{indent}        r = MISSING"]
            indent += "    "
        lines += [f"{indent}c = {leaf.expr.source}", f"{indent}trace[{leaf.slot}] = c", f"{indent}if c is False:",
                  f"{indent}    r = False"]  # fmt: skip
    lines += [f"{indent}elif c is MISSING:", f"{indent}    r = MISSING"]
    return lines


def _inline(leaf: Leaf, names: dict[str, Any]) -> bool:
    """Whether a leaf's condition can be written inline (its function was compiled from its source); if so,
    its source's names are bound."""
    expr = leaf.expr
    if expr.fn is not leaf.fn or expr.bindings is None or expr.source is None:
        return False
    names.update(expr.bindings)
    return True
