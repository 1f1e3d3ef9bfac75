"""evaluate(pack, transaction) -> Decision. Pure: no IO, no clock, no globals.

Every rule in force on the transaction's date is tested. A rule whose condition is true fires; one whose
condition depends on missing data (or fails to run) is "not evaluable" and counts as `review`, never as a
silent false. Combining: any deny -> deny; else any review -> review; else any allow or fee -> allow; else
the pack's default. Fees are Decimal, rounded half-up to the cent, and owed only when the decision is allow.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from engine.decision import CENT, ConditionResult, Decision, Finding, money_text
from engine.pack import CompiledRule, Pack
from engine.transaction import Transaction
from engine.values import MISSING, to_json

_UNSET: Any = object()
ZERO = Decimal("0.00")


class Env(dict[str, Any]):
    """The facts of one evaluation: transaction fields, then derived values computed on first use."""

    __slots__ = ("derive", "results")
    derive: dict[str, Any]
    results: list[Any]

    def __missing__(self, key: str) -> Any:
        value = self.derive[key](self)
        self[key] = value
        return value


def transaction_facts(tx: Transaction) -> dict[str, Any]:
    """The transaction as flat named facts (`customer.name`, `specs.tpp`); absent fields are MISSING."""
    specs = tx.specs
    customer = tx.customer
    end_user = tx.end_user or customer
    return {
        "id": tx.id,
        "date": tx.date,
        "product": tx.product if tx.product is not None else MISSING,
        "specs.tpp": _given(specs.tpp) if specs else MISSING,
        "specs.die_area_mm2": _given(specs.die_area_mm2) if specs else MISSING,
        "specs.memory_bandwidth_gbs": _given(specs.memory_bandwidth_gbs) if specs else MISSING,
        "specs.datacenter": _given(specs.datacenter) if specs else MISSING,
        "quantity": tx.quantity,
        "unit_price_usd": tx.unit_price_usd,
        "ship_from": tx.ship_from,
        "destination": tx.destination,
        "end_use": _given(tx.end_use),
        "license_number": _given(tx.license_number),
        "attestations": frozenset(tx.attestations),
        "customer.id": _given(customer.id),
        "customer.name": customer.name,
        "customer.country": _given(customer.country),
        "customer.headquarters": _given(customer.headquarters),
        "end_user.id": _given(end_user.id),
        "end_user.name": end_user.name,
        "end_user.country": _given(end_user.country),
        "end_user.headquarters": _given(end_user.headquarters),
    }


def _given(value: Any) -> Any:
    return MISSING if value is None else value


def bind(pack: Pack, tx: Transaction) -> Env:
    env = Env(transaction_facts(tx))
    env.derive = pack.derive
    env.results = [_UNSET] * pack.leaf_count
    return env


def evaluate(pack: Pack, tx: Transaction) -> Decision:
    """Judge one valid transaction under the rules of `pack` in force on its date."""
    env = bind(pack, tx)
    verdicts: list[tuple[CompiledRule, Any, str | None]] = []
    results = env.results
    for rule in pack.rules_on(tx.date):
        guard = rule.guard
        try:
            if guard is None:
                verdict = rule.test(env)
            else:
                verdict = guard(env)
                if verdict is False:
                    continue
                results[rule.guard_slot] = verdict
                if rule.rest is not None:
                    rest = rule.rest(env)
                    verdict = False if rest is False else (MISSING if MISSING in (verdict, rest) else True)
        except Exception as exc:  # fail closed: a rule that cannot run is recorded, never silently false
            verdicts.append((rule, MISSING, f"error while evaluating: {type(exc).__name__}: {exc}"))
            continue
        if verdict is not False:
            verdicts.append((rule, verdict, None))
    return decide(pack, tx, env, verdicts)


def decide(pack: Pack, tx: Transaction, env: Env, verdicts: Iterable[tuple[CompiledRule, Any, str | None]]) -> Decision:
    """Turn the rules that fired (True) or could not be evaluated (MISSING) into a Decision."""
    findings: list[Finding] = []
    for rule, verdict, error in verdicts:
        findings.append(_finding(pack, rule, env, verdict, error))
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
    return Decision(
        transaction_id=tx.id,
        decision=outcome,
        fee_usd=fee if outcome == "allow" else ZERO,
        ruleset=pack.ruleset,
        findings=tuple(findings),
        explanation=explain(pack, tx, outcome, findings, fee),
        date=tx.date,
        fee_if_allowed=fee,
    )


def _finding(pack: Pack, rule: CompiledRule, env: Env, verdict: Any, error: str | None) -> Finding:
    results = env.results
    conditions = []
    for leaf in rule.leaves:
        result = results[leaf.slot]
        if result is _UNSET:
            if verdict is True:
                continue  # short-circuited: not needed for the rule to fire
            try:
                result = leaf.fn(env)
            except Exception:
                result = MISSING
        observed = _observed(leaf.observed, env)
        conditions.append(ConditionResult(leaf.text, observed, None if result is MISSING else result))
    fee = None
    reason = error
    if verdict is MISSING and reason is None:
        reason = _missing_reason(pack, rule, env)
    if reason is None and rule.fee_fn is not None and rule.fee_rate is not None:
        amount = rule.fee_fn(env)
        if amount is MISSING:
            reason = f"the amount `{rule.fee_of}` is missing"
        else:
            fee = (rule.fee_rate * Decimal(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
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
        if env.results[leaf.slot] is not MISSING:
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


def explain(pack: Pack, tx: Transaction, outcome: str, findings: list[Finding], fee: Decimal) -> str:
    """One paragraph a compliance officer can read."""
    what = tx.product or "an unnamed item"
    sentences = [
        f"{outcome.upper()}: {tx.quantity:,} x {what} from {tx.ship_from} to {tx.destination} on "
        f"{tx.date.isoformat()}, judged under the rules of {pack.name} {pack.version} in force on that date."
    ]
    evaluable = [f for f in findings if f.reason is None]
    deciding = [f for f in evaluable if f.effect == outcome or (outcome == "allow" and f.effect == "fee")]
    if outcome == "deny":
        sentences.append(_reasons("Denied because", deciding))
    elif outcome == "review" and deciding:
        sentences.append(_reasons("A person must decide because", deciding))
    elif outcome == "allow" and deciding:
        sentences.append(_reasons("Allowed:", deciding))
    elif outcome != "review":
        sentences.append(f"No rule in force applies; the pack's default outcome is {pack.default}.")
    unknown: dict[str, list[str]] = {}
    for f in findings:
        if f.reason is not None:
            unknown.setdefault(f.reason, []).append(f.rule)
    for reason, rules in unknown.items():
        count = f"{len(rules)} rule{'s' if len(rules) > 1 else ''}"
        sentences.append(f"{count} could not be evaluated ({', '.join(rules)}): {reason}.")
    if outcome == "allow":
        sentences.append(f"Fee owed: {money_text(fee)}." if fee else "No fee is owed.")
    elif outcome == "review" and fee:
        sentences.append(f"If allowed, a fee of {money_text(fee)} would be owed.")
    others = [f for f in evaluable if f not in deciding and f.effect != "fee"]
    if others:
        sentences.append("Also noted: " + "; ".join(f"{f.message} [{f.rule}]" for f in others) + ".")
    dated = [f"{f.rule} ({_period(f.in_force)})" for f in findings if f.in_force != (None, None)]
    if dated:
        sentences.append(f"Dated rules applied on {tx.date.isoformat()}: {', '.join(dated)}.")
    return " ".join(sentences)


def _period(in_force: tuple[str | None, str | None]) -> str:
    start, until = in_force
    if start and until:
        return f"in force {start} to {until}"
    return f"in force from {start}" if start else f"in force until {until}"


def _reasons(lead: str, findings: list[Finding]) -> str:
    parts = [f"({i}) {f.message.rstrip('.')} [{f.rule}; {f.cite}]" for i, f in enumerate(findings, 1)]
    return f"{lead} " + "; ".join(parts) + "."
