"""The Decision of SPEC.md: outcome, fee, provenance, every finding with its conditions, and an explanation.

The outcome, the fee, the rules that fired and what an allowed decision accrues are settled when a Decision is
made. Its findings (each condition's values, the rendered message) and the explanation are rendered from the
evaluation's own facts on first access, and are the same whenever they are read: a caller that needs only
the outcome does not pay for the prose, and one that reads it gets every word.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

CENT = Decimal("0.01")


class ConditionResult(NamedTuple):
    """One condition of a rule as evaluated: its text, the values it read, and its truth (None: missing data)."""

    expr: str
    observed: Any
    result: bool | None

    def as_dict(self) -> dict[str, Any]:
        return {"expr": self.expr, "observed": self.observed, "result": self.result}


class Render(Protocol):
    """Renders a finding's message and its conditions, each on first access."""

    def message(self) -> str: ...

    def conditions(self) -> tuple[ConditionResult, ...]: ...


class Finding:
    """A rule that fired, or that could not be evaluated (then `effect` is `review` and `reason` says why).

    Immutable. `message` and `conditions` may be rendered on first access (see `Finding.deferred`)."""

    __slots__ = (
        "_conditions", "_message", "_render", "cite", "effect", "fee_usd", "in_force", "reason", "rule",
        "rule_effect", "title",
    )  # fmt: skip

    rule: str
    effect: str
    title: str
    cite: str
    in_force: tuple[str | None, str | None]
    rule_effect: str
    reason: str | None
    fee_usd: Decimal | None

    def __init__(
        self, rule: str, effect: str, title: str, message: str, cite: str,
        conditions: tuple[ConditionResult, ...], in_force: tuple[str | None, str | None], rule_effect: str,
        reason: str | None = None, fee_usd: Decimal | None = None,
    ):  # fmt: skip
        self.rule, self.effect, self.title, self.cite = rule, effect, title, cite
        self.in_force, self.rule_effect, self.reason, self.fee_usd = in_force, rule_effect, reason, fee_usd
        self._message: str | None = message
        self._conditions: tuple[ConditionResult, ...] | None = conditions
        self._render: Render | None = None

    @classmethod
    def deferred(
        cls, rule: str, effect: str, title: str, cite: str, in_force: tuple[str | None, str | None],
        rule_effect: str, reason: str | None, fee_usd: Decimal | None, render: Render,
    ) -> Finding:  # fmt: skip
        """A finding whose message and conditions `render` gives, each on first access."""
        finding = cls.__new__(cls)
        finding.rule, finding.effect, finding.title, finding.cite = rule, effect, title, cite
        finding.in_force, finding.rule_effect, finding.reason, finding.fee_usd = in_force, rule_effect, reason, fee_usd
        finding._message = finding._conditions = None
        finding._render = render
        return finding

    @property
    def message(self) -> str:
        if self._message is None:
            assert self._render is not None
            self._message = self._render.message()
            if self._conditions is not None:
                self._render = None
        return self._message

    @property
    def conditions(self) -> tuple[ConditionResult, ...]:
        if self._conditions is None:
            assert self._render is not None
            self._conditions = self._render.conditions()
            if self._message is not None:
                self._render = None
        return self._conditions

    @property
    def evaluable(self) -> bool:
        return self.reason is None

    def _key(self) -> tuple[Any, ...]:
        return (
            self.rule, self.effect, self.title, self.message, self.cite, self.conditions, self.in_force,
            self.rule_effect, self.reason, self.fee_usd,
        )  # fmt: skip

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Finding) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Finding(rule={self.rule!r}, effect={self.effect!r}, reason={self.reason!r}, fee_usd={self.fee_usd!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Finding, self._key())

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "effect": self.effect,
            "title": self.title,
            "message": self.message,
            "cite": self.cite,
            "conditions": [c.as_dict() for c in self.conditions],
            "in_force": {"from": self.in_force[0], "until": self.in_force[1]},
        }
        if self.fee_usd is not None:
            out["fee_usd"] = money(self.fee_usd)
        if self.reason is not None:
            out["not_evaluable"] = True
            out["rule_effect"] = self.rule_effect
            out["reason"] = self.reason
        return out


class Details(Protocol):
    """What a Decision renders on first access: its findings, its classification and its explanation."""

    def rules(self) -> list[str]: ...

    def findings(self) -> tuple[Finding, ...]: ...

    def classification(self) -> tuple[str | None, dict[str, Any]]: ...

    def explanation(self, findings: tuple[Finding, ...], summary: str | None) -> str: ...


_UNSET: Any = object()


class Decision:
    """The answer for one transaction. Immutable; `findings`, `classification` and `explanation` may be
    rendered on first access, always to the same values."""

    __slots__ = (
        "_classification", "_details", "_explanation", "_findings", "accruals", "date", "decision", "decision_id",
        "evaluated_at", "fee_if_allowed", "fee_usd", "ruleset", "transaction_id",
    )  # fmt: skip

    transaction_id: str
    decision: str
    fee_usd: Decimal
    ruleset: dict[str, str | None]
    date: dt.date
    fee_if_allowed: Decimal
    decision_id: str | None
    evaluated_at: str | None
    accruals: tuple[dict[str, Any], ...]

    def __init__(
        self, transaction_id: str, decision: str, fee_usd: Decimal, ruleset: dict[str, str | None],
        findings: tuple[Finding, ...], explanation: str, date: dt.date, fee_if_allowed: Decimal,
        decision_id: str | None = None, evaluated_at: str | None = None,
        classification: dict[str, Any] | None = None, accruals: tuple[dict[str, Any], ...] = (),
    ):  # fmt: skip
        self.transaction_id, self.decision, self.fee_usd, self.ruleset = transaction_id, decision, fee_usd, ruleset
        self.date, self.fee_if_allowed, self.accruals = date, fee_if_allowed, accruals
        self.decision_id, self.evaluated_at = decision_id, evaluated_at
        self._findings: tuple[Finding, ...] | None = findings
        self._explanation: str | None = explanation
        self._classification: Any = (None, {} if classification is None else classification)
        self._details: Details | None = None

    @classmethod
    def deferred(
        cls, transaction_id: str, decision: str, fee_usd: Decimal, ruleset: dict[str, str | None], date: dt.date,
        fee_if_allowed: Decimal, accruals: tuple[dict[str, Any], ...], details: Details,
    ) -> Decision:  # fmt: skip
        """A decision whose findings, classification and explanation `details` renders on first access."""
        made = cls.__new__(cls)
        made.transaction_id, made.decision, made.fee_usd, made.ruleset = transaction_id, decision, fee_usd, ruleset
        made.date, made.fee_if_allowed, made.accruals = date, fee_if_allowed, accruals
        made.decision_id = made.evaluated_at = None
        made._findings = made._explanation = None
        made._classification = _UNSET
        made._details = details
        return made

    @property
    def findings(self) -> tuple[Finding, ...]:
        if self._findings is None:
            assert self._details is not None
            self._findings = self._details.findings()
        return self._findings

    @property
    def rules(self) -> list[str]:
        """The ids of the findings' rules, in the pack's order."""
        if self._findings is None and self._details is not None:
            return self._details.rules()
        return [f.rule for f in self.findings]

    def _classified(self) -> tuple[str | None, dict[str, Any]]:
        if self._classification is _UNSET:
            assert self._details is not None
            self._classification = self._details.classification()
        result: tuple[str | None, dict[str, Any]] = self._classification
        return result

    @property
    def classification(self) -> dict[str, Any]:
        return self._classified()[1]

    @property
    def explanation(self) -> str:
        if self._explanation is None:
            assert self._details is not None
            self._explanation = self._details.explanation(self.findings, self._classified()[0])
        return self._explanation

    def rendered(self) -> Decision:
        """This decision with everything rendered now (before the facts it was made from change)."""
        for finding in self.findings:
            finding.message  # noqa: B018 - renders the message and conditions
        self.explanation  # noqa: B018
        self.classification  # noqa: B018
        self._details = None
        return self

    def stamped(self, decision_id: str, evaluated_at: str) -> Decision:
        made = Decision.__new__(Decision)
        for name in Decision.__slots__:
            setattr(made, name, getattr(self, name))
        made.decision_id, made.evaluated_at = decision_id, evaluated_at
        return made

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Decision) and self.as_dict() == other.as_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Decision(transaction_id={self.transaction_id!r}, decision={self.decision!r}, "
            f"fee_usd={self.fee_usd!r}, rules={self.rules!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            Decision,
            (
                self.transaction_id, self.decision, self.fee_usd, self.ruleset, self.findings, self.explanation,
                self.date, self.fee_if_allowed, self.decision_id, self.evaluated_at, self.classification,
                self.accruals,
            ),
        )  # fmt: skip

    def to_json(self, *, indent: int | None = None) -> str:
        """The decision as JSON, in the shape of `clearance rules schema decision`."""
        return json.dumps(self.as_dict(), indent=indent, ensure_ascii=False)

    def as_dict(self) -> dict[str, Any]:
        out = self._as_dict()
        self._details = None  # everything is rendered: the facts it was rendered from can go
        return out

    def _as_dict(self) -> dict[str, Any]:
        return {
            "transaction_id": self.transaction_id,
            "decision": self.decision,
            "fee_usd": money(self.fee_usd),
            "ruleset": dict(self.ruleset),
            "findings": [f.as_dict() for f in self.findings],
            "explanation": self.explanation,
            "date": self.date.isoformat(),
            "fee_if_allowed_usd": money(self.fee_if_allowed),
            "decision_id": self.decision_id,
            "evaluated_at": self.evaluated_at,
            "classification": dict(self.classification),
            "accruals": [
                {"fact": a["fact"], "key": a["key"], "amounts": {k: str(v) for k, v in a["amounts"].items()}}
                for a in self.accruals
            ],
        }


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def stamp(decision: Decision, clock: Callable[[], dt.datetime] | None = None) -> Decision:
    """Give a decision its id and evaluation time (the evaluator itself never reads the clock)."""
    now = (clock or utcnow)()
    return decision.stamped(uuid.uuid4().hex, now.isoformat(timespec="milliseconds").replace("+00:00", "Z"))


def money(amount: Decimal) -> str:
    """Money as SPEC.md writes it: a string with two decimals."""
    return str(amount.quantize(CENT))


def money_text(amount: Decimal) -> str:
    return f"USD {amount.quantize(CENT):,}"
