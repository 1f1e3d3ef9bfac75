"""What durable-rules 2.0.28 accepts: checks on rules and facts before anything reaches it."""

from __future__ import annotations

import json
import math
import re
import signal
from collections.abc import Mapping
from typing import Any

from engine.errors import EvaluationError

STATE_GUARD: dict[str, Any] = {"$nex": {"$s": 1}}
"""Added around every rule condition so that no rule can match the engine's own state object."""

WARM_FIELD = "_warm"
CRASH_FIELD = "__crash__"
RESERVED_FIELDS = frozenset({"sid", "id", WARM_FIELD})
MAX_FIELDS = 249
"""durable-rules fails with error 302 at 255 properties; the sid takes one, the engine's own bookkeeping
the rest of the margin."""
MAX_OPERANDS = MAX_FIELDS - 1
"""Operands and flags of one fact: every field but the constant `_one`."""
MAX_GROUPS = 13
"""`$and`/`$or` groups in one rule: 2 slots a group, 32 slots, and the runner's state guard takes one group
(error 113 past that)."""
MAX_ALTERNATIVES = 400
"""`$or` branches, or distinct equality tests, in one ruleset: error 303 or an endless loop past about 511."""
RULES_PER_RULESET = 500
"""Larger rulesets overflow durable-rules' fixed-size node tables (error 107)."""
MAX_STRING_BYTES = 65535
"""Past 65,535 UTF-8 bytes, `$mt` silently misses matches (`.*x.*` on 65,535 `y` then `x`)."""

_INT_LIMIT = 2**63
_RULE_KEYS = frozenset({"all", "any", "pri"})
NAME = re.compile(r"[A-Za-z0-9_.-]+")
FAULTS = {"segv": signal.SIGSEGV, "fpe": signal.SIGFPE, "kill": signal.SIGKILL}


def prepare_rules(name: str, rules: Mapping[str, Mapping[str, Any]]) -> str:
    """Validate rule bodies, add the state guard, and return them as JSON (rule id, body) pairs."""
    problems: list[str] = []
    prepared: list[tuple[str, dict[str, Any]]] = []
    for rule_id, body in rules.items():
        problem = _check_rule(rule_id, body)
        if problem:
            problems.append(f"rule `{rule_id}`: {problem}")
            continue
        guarded: dict[str, Any] = {k: v for k, v in body.items() if k == "pri"}
        for key in ("all", "any"):
            if key in body:
                guarded[key] = [
                    {alias: {"$and": [STATE_GUARD, condition]} for alias, condition in entry.items()}
                    for entry in body[key]
                ]
        prepared.append((rule_id, guarded))
    if not problems:
        try:
            return json.dumps(prepared, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as error:
            problems.append(f"rules are not plain JSON: {error}")
    raise EvaluationError(f"ruleset `{name}`: " + "; ".join(problems))


def _check_rule(rule_id: object, body: object) -> str | None:
    if not isinstance(rule_id, str) or not rule_id:
        return "rule ids must be non-empty strings"
    if not isinstance(body, Mapping):
        return f"expected a mapping, got `{type(body).__name__}`"
    if "run" in body:
        return "must not carry `run`: the runner adds its own action"
    unknown = sorted(str(k) for k in body if k not in _RULE_KEYS)
    if unknown:
        return "unsupported keys " + ", ".join(f"`{k}`" for k in unknown)
    if ("all" in body) == ("any" in body):
        return "needs exactly one of `all` and `any`"
    if "pri" in body and (isinstance(body["pri"], bool) or not isinstance(body["pri"], int)):
        return "`pri` must be an integer"
    entries = body.get("all", body.get("any"))
    if not isinstance(entries, list) or not entries:
        return "`all`/`any` must be a non-empty list"
    for entry in entries:
        if not isinstance(entry, Mapping) or len(entry) != 1:
            return "each `all`/`any` entry must map one alias to a condition"
        ((alias, condition),) = entry.items()
        if not isinstance(alias, str) or not alias or "$" in alias:
            return f"alias `{alias}` must be a plain name (sequence operators are not supported)"
        if not isinstance(condition, Mapping) or not condition:
            return f"the condition of alias `{alias}` must be a non-empty mapping"
    return None


def check_fact(fact: object, *, allow_fault_injection: bool) -> str | None:
    """Why `fact` cannot be sent to durable-rules, or `None` if it can."""
    if not isinstance(fact, Mapping):
        return f"expected a mapping, got `{type(fact).__name__}`"
    if len(fact) > MAX_FIELDS:
        return f"`{len(fact)}` fields is more than durable-rules handles ({MAX_FIELDS})"
    for key, value in fact.items():
        if not isinstance(key, str):
            return f"field names must be strings, got `{key!r}`"
        if key == CRASH_FIELD and allow_fault_injection:
            if not isinstance(value, str):
                return f"field `{CRASH_FIELD}` must be a string"
            continue
        if key in RESERVED_FIELDS or key == CRASH_FIELD or key.startswith("$"):
            return f"field `{key}` is reserved"
        if isinstance(value, bool):
            continue
        if isinstance(value, str):
            if len(value) > MAX_STRING_BYTES // 4 and len(value.encode("utf-8", "replace")) > MAX_STRING_BYTES:
                return f"field `{key}`: strings longer than {MAX_STRING_BYTES} UTF-8 bytes are not supported"
            continue
        if isinstance(value, int):
            if not -_INT_LIMIT <= value < _INT_LIMIT:
                return f"field `{key}`: integer `{value}` does not fit in 64 bits"
        elif isinstance(value, float):
            if not math.isfinite(value):
                return f"field `{key}`: `{value}` is not a finite number"
        else:
            return f"field `{key}`: unsupported value type `{type(value).__name__}`"
    return None


def clean(fact: Mapping[str, Any]) -> dict[str, Any]:
    """A plain dict of plain values (no subclasses, which the worker might not be able to unpickle)."""
    clean: dict[str, Any] = {}
    for key, value in fact.items():
        if isinstance(value, bool):
            clean[str.__str__(key)] = bool(value)
        elif isinstance(value, int):
            clean[str.__str__(key)] = int(value)
        elif isinstance(value, float):
            clean[str.__str__(key)] = float(value)
        else:
            clean[str.__str__(key)] = str.__str__(value)
    return clean


def summarise(messages: list[str], limit: int = 5) -> str:
    shown = "; ".join(messages[:limit])
    more = len(messages) - limit
    return shown + (f" (and {more} more)" if more > 0 else "")
