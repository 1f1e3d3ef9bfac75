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

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from engine.contract import ConditionResult, Decision, Finding, Transaction
from engine.contract.decision import CENT
from engine.evaluation.explain import explain
from engine.evaluation.facts import UNSET, Env, FactProvider, bind, new_trace
from engine.language.values import MISSING, to_json
from engine.pack.index import Index
from engine.pack.loop import error_text
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
    pack's external facts (none: zeros, and rules can say so). The rule index settles the rules made of
    simple tests; the others are run (see `engine.pack.index`)."""
    env = bind(pack, tx, facts, trace=False)
    index = pack.index_on(tx.date)
    fired, not_evaluable, run = index.scan(env)
    rules = index.rules
    ran: list[Item] = []
    # the rules the index settled: their effects straight from its masks, but for fee rules, whose fee may
    # fail (then they count as review): those are judged, as every rule that runs below is
    plain = fired & ~index.fees
    deny, review, allowed = bool(plain & index.deny), bool(plain & index.review), bool(plain & index.allow)
    review = review or bool(not_evaluable)
    if fired & index.fees:
        ran.extend(_judged(pack, rules[p], True, None, env) for p in index.in_order(fired & index.fees))
    loop = index.loop  # the plain rules in one compiled function (there are some when there is one)
    positions: Sequence[int]
    if loop is not None:  # then the rules the index left to run
        positions = index.in_order(run) if run else ()
    else:
        positions = index.plain if not run else sorted((*index.plain, *index.in_order(run)))
    if loop is not None or positions:
        trace = env.trace = new_trace(pack.leaf_count)
        if loop is not None:
            ran.extend(_judged(pack, rules[p], verdict, error, env) for p, verdict, error in loop(env, trace))
        for position in positions:
            rule = rules[position]
            plan = rule.plan
            error = None
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
                verdict, error = MISSING, error_text(exc)
            if verdict is False:
                continue
            ran.append(_judged(pack, rule, verdict, error, env))
    outcome, fee = _combined(pack, ran, deny, review, allowed)
    details = Details(pack, tx, env, outcome, fee, ran, (index, fired, not_evaluable))
    return _decided(pack, tx, env, outcome, fee, details)


def verdict_of(rule: CompiledRule, env: Env) -> Verdict:
    """Test one rule in full, recording every condition it reaches (a backend's cross-check)."""
    try:
        return Verdict(rule, rule.test(env))
    except Exception as exc:
        return Verdict(rule, MISSING, error_text(exc))


def decide(pack: Pack, tx: Transaction, env: Env, verdicts: Iterable[Verdict]) -> Decision:
    """Turn the rules that fired (True) or could not be evaluated (MISSING) into a Decision."""
    items = [_judged(pack, rule, value, error, env) for rule, value, error in verdicts]
    outcome, fee = _combined(pack, items)
    return _decided(pack, tx, env, outcome, fee, Details(pack, tx, env, outcome, fee, items))


def _combined(
    pack: Pack, items: Iterable[Item], deny: bool = False, review: bool = False, allowed: bool = False
) -> tuple[str, Decimal]:
    """The outcome of judged rules (with what is already known of others): any deny -> deny; else any review ->
    review; else any allow or fee -> allow; else the pack's default. And the fee they add up to, if allowed."""
    fee = ZERO
    for item in items:
        effect = item[2]
        if effect == "deny":
            deny = True
        elif effect == "review":
            review = True
        else:
            allowed = True
        if item[4] is not None:
            fee += item[4]
    return ("deny" if deny else "review" if review else "allow" if allowed else pack.default), fee


def _decided(pack: Pack, tx: Transaction, env: Env, outcome: str, fee: Decimal, details: Details) -> Decision:
    """The outcome, fee and accruals are settled now; findings, classification and explanation are rendered
    on first access (at once when the facts come from a caller's provider, which may change after this call,
    unless it says it will not before the decision is read: `stable = True`)."""
    accruals = _accruals(pack, env) if outcome == "allow" and pack.accruals else ()
    if accruals and not getattr(env.provider, "whole", True):
        outcome = details.outcome = "review"
        details.extra = tuple(_not_counted(pack, accrual) for accrual in accruals)
        # the accruals stay: the batch counts a held line against its later rows as if it shipped, so that it
        # can still deny a later line that the file alone exhausts
    decision = Decision.deferred(
        tx.id, outcome, fee if outcome == "allow" else ZERO, pack.ruleset, tx.date, fee, accruals, details
    )
    if env.provider is not None and pack.reads_facts and not getattr(env.provider, "stable", False):
        decision.rendered()
    return decision


Item = tuple[CompiledRule, Any, str, "str | None", "Decimal | None"]  # rule, verdict, effect, reason, fee


def _judged(pack: Pack, rule: CompiledRule, value: Any, error: str | None, env: Env) -> Item:
    """A rule's effect on the decision: its own, or review when it could not be evaluated, with its fee."""
    if error is None and value is True and rule.fee_fn is None:
        return (rule, value, rule.effect, None, None)
    reason = error
    if value is MISSING and reason is None:
        reason = _missing_reason(pack, rule, env)
    fee = None
    if reason is None and rule.fee_fn is not None and rule.fee_rate is not None:
        try:
            amount = rule.fee_fn(env)
            if amount is MISSING:
                reason = f"the amount `{rule.fee_of}` is missing"
            else:
                fee = (rule.fee_rate * Decimal(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
        except (ArithmeticError, TypeError, ValueError) as exc:  # fail closed: a fee that cannot be computed
            reason = f"the fee on `{rule.fee_of}` cannot be computed ({type(exc).__name__})"
    return (rule, value, rule.effect if reason is None else "review", reason, fee)


NOT_COUNTED = "USAGE-NOT-COUNTED"


def _not_counted(pack: Pack, accrual: dict[str, Any]) -> Finding:
    """Why an allow that relies on an accruing fact is held: the caller's facts are not the whole record (a
    batch with no decision log counts only its own earlier rows), so what remains is not known."""
    cite = next((a.cite for a in pack.accruals if a.fact == accrual["fact"] and a.cite), None)
    message = (
        f"usage not counted against the log: {accrual['fact']} of `{accrual['key']}` is counted over the earlier "
        "rows of this batch only, not against the decision log; a person must confirm what remains before shipping"
    )
    return Finding(
        rule=NOT_COUNTED, effect="review", title="Usage not counted against the decision log", message=message,
        cite=cite or "clearance: fail closed", conditions=(), in_force=(None, None), rule_effect="review",
    )  # fmt: skip


class Details:
    """What a decision renders on first access, from the evaluation's own facts (see Decision): the items
    judged so far and, from the rule index, the rules it settled (fired, or not evaluable) still to judge; and
    `extra` findings the engine adds (an allow held because usage was not counted)."""

    __slots__ = ("_items", "env", "extra", "fee", "indexed", "outcome", "pack", "tx")

    def __init__(
        self, pack: Pack, tx: Transaction, env: Env, outcome: str, fee: Decimal, items: list[Item],
        indexed: tuple[Index, int, int] | None = None,
    ):  # fmt: skip
        self.pack, self.tx, self.env, self.outcome, self.fee = pack, tx, env, outcome, fee
        self._items = items
        self.indexed = indexed
        self.extra: tuple[Finding, ...] = ()

    @property
    def items(self) -> list[Item]:
        """Every rule that fired or could not be evaluated, in the pack's order, judged."""
        if self.indexed is not None:
            index, fired, not_evaluable = self.indexed
            self.indexed = None
            rules = index.rules
            judged = {index.position_of[id(item[0])]: item for item in self._items}  # fee rules, rules run
            for bits, value in ((fired, True), (not_evaluable, MISSING)):
                for position in index.in_order(bits) if bits else ():
                    if position not in judged:
                        judged[position] = _judged(self.pack, rules[position], value, None, self.env)
            self._items = [judged[position] for position in sorted(judged)]
        return self._items

    def rules(self) -> list[str]:
        return [item[0].id for item in self.items] + [finding.rule for finding in self.extra]

    def findings(self) -> tuple[Finding, ...]:
        env = self.env
        return (
            *(
                Finding.deferred(
                    rule.id,
                    effect,
                    rule.title,
                    rule.cite,
                    rule.in_force_text,
                    rule.effect,
                    reason,
                    fee,
                    _Rendering(rule, value, reason, env),
                )
                for rule, value, effect, reason, fee in self.items
            ),
            *self.extra,
        )

    def classification(self) -> tuple[str | None, dict[str, Any]]:
        return _classification(self.pack, self.env)

    def explanation(self, findings: tuple[Finding, ...], summary: str | None) -> str:
        return explain(self.pack, self.tx, self.outcome, list(findings), self.fee, summary)


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
    return Decision(
        transaction_id=tx.id,
        decision="review",
        fee_usd=ZERO,
        ruleset=pack.ruleset,
        findings=(finding,),
        explanation=explain(pack, tx, "review", [finding], ZERO, None),
        date=tx.date,
        fee_if_allowed=ZERO,
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


class _Rendering:
    """A finding's message, and the conditions it shows with the values each read."""

    __slots__ = ("env", "reason", "rule", "value")

    def __init__(self, rule: CompiledRule, value: Any, reason: str | None, env: Env):
        self.rule, self.value, self.reason, self.env = rule, value, reason, env

    def message(self) -> str:
        rule, reason = self.rule, self.reason
        return rule.message.render(self.env) if reason is None else f"{rule.title}: could not be evaluated: {reason}"

    def conditions(self) -> tuple[ConditionResult, ...]:
        return _conditions(self.rule, self.value, self.env)


def _conditions(rule: CompiledRule, value: Any, env: Env) -> tuple[ConditionResult, ...]:
    trace = env.trace
    conditions = []
    for leaf in rule.leaves:
        result = trace[leaf.slot]
        if result is UNSET:
            if value is True and not rule.flat:
                continue  # short-circuited: not needed for the rule to fire
            try:
                result = leaf.fn(env)
            except Exception:
                result = MISSING
        observed = _observed(leaf.observed, env)
        conditions.append(ConditionResult(leaf.text, observed, None if result is MISSING else result))
    return tuple(conditions)


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
        result = env.trace[leaf.slot]
        if result is UNSET and rule.flat:  # settled by the rule index: every leaf counts
            try:
                result = leaf.fn(env)
            except Exception:
                result = MISSING
        if result is not MISSING:
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
