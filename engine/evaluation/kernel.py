"""The evaluation kernel: evaluate(pack, transaction) -> Decision. Pure: no IO, no clock, no globals.

Every rule in force on the transaction's date is tested. A rule whose condition is true fires; one whose
condition depends on missing data (or fails to run) is "not evaluable" and counts as `review`, never as a
silent false. Combining: any deny -> deny; else any review -> review; else any allow or fee -> allow; else
the pack's default. Fees are Decimal, rounded half-up to the cent, and owed only when the decision is allow.

Its public interface is what every backend uses: `bind` the facts of a transaction, find each rule's
`Verdict` (natively here, or in durable-rules), `decide` them into a Decision, or give the `failed`
decision of a transaction the engine could not judge.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from engine.contract import ConditionResult, Decision, Finding, Transaction
from engine.contract.decision import CENT
from engine.evaluation.explain import explain
from engine.evaluation.facts import UNSET, Env, FactProvider, bind
from engine.language.values import MISSING, to_json
from engine.pack.model import CompiledRule, Pack

ZERO = Decimal("0.00")

__all__ = ["ZERO", "Verdict", "bind", "decide", "evaluate", "failed", "verdict_of"]


class Verdict(NamedTuple):
    """What a rule gave: True (it fired) or MISSING (not evaluable, with `error` when it failed to run)."""

    rule: CompiledRule
    value: Any
    error: str | None = None


def evaluate(pack: Pack, tx: Transaction, facts: FactProvider | None = None) -> Decision:
    """Judge one valid transaction under the rules of `pack` in force on its date; `facts` provides the
    pack's external facts (none: zeros, and rules can say so)."""
    env = bind(pack, tx, facts)
    verdicts: list[Verdict] = []
    trace = env.trace
    for rule in pack.rules_on(tx.date):
        plan = rule.plan
        try:
            if plan is None:
                verdict = rule.test(env)
            else:
                verdict = plan.guard(env)
                if verdict is False:
                    continue
                trace[plan.guard_slot] = verdict
                if plan.rest is not None:
                    rest = plan.rest(env)
                    verdict = False if rest is False else (MISSING if MISSING in (verdict, rest) else True)
        except Exception as exc:  # fail closed: a rule that cannot run is recorded, never silently false
            verdicts.append(Verdict(rule, MISSING, _error(exc)))
            continue
        if verdict is not False:
            verdicts.append(Verdict(rule, verdict))
    return decide(pack, tx, env, verdicts)


def verdict_of(rule: CompiledRule, env: Env) -> Verdict:
    """Test one rule in full, recording every condition it reaches (a backend's cross-check)."""
    try:
        return Verdict(rule, rule.test(env))
    except Exception as exc:
        return Verdict(rule, MISSING, _error(exc))


def _error(exc: Exception) -> str:
    return f"error while evaluating: {type(exc).__name__}: {exc}"


def decide(pack: Pack, tx: Transaction, env: Env, verdicts: Iterable[Verdict]) -> Decision:
    """Turn the rules that fired (True) or could not be evaluated (MISSING) into a Decision."""
    findings = [_finding(pack, verdict, env) for verdict in verdicts]
    return _decision(pack, tx, findings, env)


def failed(pack: Pack, tx: Transaction, message: str, *, engine: str = "native") -> Decision:
    """The decision for a transaction the `engine` could not judge: `review`, saying why (fail closed)."""
    finding = Finding(
        rule="ENGINE-ERROR",
        effect="review",
        title=f"The {engine} engine could not evaluate this transaction",
        message=f"the {engine} engine failed: {message}",
        cite="clearance: fail closed",
        conditions=(),
        in_force=(None, None),
        rule_effect="review",
        reason=message,
    )
    return _decision(pack, tx, [finding], None)


def _decision(pack: Pack, tx: Transaction, findings: list[Finding], env: Env | None) -> Decision:
    effects = {f.effect for f in findings}
    if "deny" in effects:
        outcome = "deny"
    elif "review" in effects:
        outcome = "review"
    elif effects & {"allow", "fee"}:
        outcome = "allow"
    else:
        outcome = pack.default
    fee = sum((f.fee_usd for f in findings if f.fee_usd is not None), ZERO)
    summary, classification = _classification(pack, env)
    return Decision(
        transaction_id=tx.id,
        decision=outcome,
        fee_usd=fee if outcome == "allow" else ZERO,
        ruleset=pack.ruleset,
        findings=tuple(findings),
        explanation=explain(pack, tx, outcome, findings, fee, summary),
        date=tx.date,
        fee_if_allowed=fee,
        classification=classification,
        accruals=_accruals(pack, env) if outcome == "allow" else (),
    )


def _classification(pack: Pack, env: Env | None) -> tuple[str | None, dict[str, Any]]:
    """The classification the pack reports for every decision: its summary in words, and its fields."""
    spec = pack.classification
    if spec is None or env is None:
        return None, {}
    try:
        summary = spec.summary(env)
    except Exception:
        summary = MISSING
    fields: dict[str, Any] = {}
    for name, fn in spec.fields:
        try:
            value = fn(env)
        except Exception:
            continue
        if value is not MISSING and value is not None:
            fields[name] = to_json(value)
    return (None if summary is MISSING or summary is None else str(summary)), fields


def _accruals(pack: Pack, env: Env | None) -> tuple[dict[str, Any], ...]:
    """What an allowed decision adds to each external fact that accrues (a key that is missing adds nothing)."""
    if env is None:
        return ()
    out = []
    for accrual in pack.accruals:
        try:
            key = accrual.key(env)
            amounts = {field: fn(env) for field, fn in accrual.amounts}
        except Exception:
            continue
        if key is MISSING or key is None or any(v is MISSING for v in amounts.values()):
            continue
        out.append({"fact": accrual.fact, "key": key, "amounts": amounts})
    return tuple(out)


def _finding(pack: Pack, verdict: Verdict, env: Env) -> Finding:
    rule, value, error = verdict
    trace = env.trace
    conditions = []
    for leaf in rule.leaves:
        result = trace[leaf.slot]
        if result is UNSET:
            if value is True:
                continue  # short-circuited: not needed for the rule to fire
            try:
                result = leaf.fn(env)
            except Exception:
                result = MISSING
        observed = _observed(leaf.observed, env)
        conditions.append(ConditionResult(leaf.text, observed, None if result is MISSING else result))
    fee = None
    reason = error
    if value is MISSING and reason is None:
        reason = _missing_reason(pack, rule, env)
    if reason is None and rule.fee_fn is not None and rule.fee_rate is not None:
        try:
            amount = rule.fee_fn(env)
            if amount is MISSING:
                reason = f"the amount `{rule.fee_of}` is missing"
            else:
                fee = (rule.fee_rate * Decimal(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
        except (ArithmeticError, TypeError, ValueError) as exc:  # fail closed: a fee that cannot be computed
            reason = f"the fee on `{rule.fee_of}` cannot be computed ({type(exc).__name__})"
    message = rule.message.render(env) if reason is None else f"{rule.title}: could not be evaluated: {reason}"
    return Finding(
        rule=rule.id,
        effect=rule.effect if reason is None else "review",
        title=rule.title,
        message=message,
        cite=rule.cite,
        conditions=tuple(conditions),
        in_force=rule.in_force_text,
        rule_effect=rule.effect,
        reason=reason,
        fee_usd=fee,
    )


def _observed(observed: tuple[tuple[str, Any], ...], env: Env) -> Any:
    if len(observed) == 1:
        try:
            return to_json(observed[0][1](env))
        except Exception:
            return None
    values = {}
    for label, fn in observed:
        try:
            values[label] = to_json(fn(env))
        except Exception:
            values[label] = None
    return next(iter(values.values())) if len(values) == 1 else values


def _missing_reason(pack: Pack, rule: CompiledRule, env: Env) -> str:
    """Name the inputs that are missing, following derived values down to what the transaction lacks."""
    names: list[str] = []
    memo: dict[str, list[str]] = {}
    for leaf in rule.leaves:
        if env.trace[leaf.slot] is not MISSING:
            continue
        for label, fn in leaf.observed:
            if _lacks(fn, env):
                names.extend(r for r in _roots(pack, label, env, memo) if r not in names)
    if not names:
        return "a value it needs is missing"
    return ", ".join(f"`{n}`" for n in names) + (" is missing" if len(names) == 1 else " are missing")


def _lacks(fn: Any, env: Env) -> bool:
    try:
        value = fn(env)
    except Exception:
        return True
    return value is MISSING or value is None


def _roots(pack: Pack, label: str, env: Env, memo: dict[str, list[str]]) -> list[str]:
    """The missing inputs under a missing value: transaction fields, or fields of a row not found."""
    if label in memo:
        return memo[label]
    memo[label] = []  # guards against cycles; values cannot be cyclic, but be safe
    value = pack.values.get(label.split(".", 1)[0])
    roots: list[str] = []
    if value is not None and value.inputs and "." not in label:
        for input_label, fn in value.inputs:
            if _lacks(fn, env):
                roots.extend(r for r in _roots(pack, input_label, env, memo) if r not in roots)
    memo[label] = roots or [label]
    return memo[label]
