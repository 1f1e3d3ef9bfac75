"""The Decision of SPEC.md: outcome, fee, provenance, every finding with its conditions, and an explanation."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, NamedTuple

CENT = Decimal("0.01")


class ConditionResult(NamedTuple):
    """One condition of a rule as evaluated: its text, the values it read, and its truth (None: missing data)."""

    expr: str
    observed: Any
    result: bool | None

    def as_dict(self) -> dict[str, Any]:
        return {"expr": self.expr, "observed": self.observed, "result": self.result}


class Finding(NamedTuple):
    """A rule that fired, or that could not be evaluated (then `effect` is `review` and `reason` says why)."""

    rule: str
    effect: str
    title: str
    message: str
    cite: str
    conditions: tuple[ConditionResult, ...]
    in_force: tuple[str | None, str | None]
    rule_effect: str
    reason: str | None = None
    fee_usd: Decimal | None = None

    @property
    def evaluable(self) -> bool:
        return self.reason is None

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


@dataclass(frozen=True, slots=True)
class Decision:
    transaction_id: str
    decision: str
    fee_usd: Decimal
    ruleset: dict[str, str]
    findings: tuple[Finding, ...]
    explanation: str
    date: dt.date
    fee_if_allowed: Decimal
    decision_id: str | None = None
    evaluated_at: str | None = None
    classification: dict[str, Any] = field(default_factory=dict)
    accruals: tuple[dict[str, Any], ...] = ()

    @property
    def rules(self) -> list[str]:
        return [f.rule for f in self.findings]

    def stamped(self, decision_id: str, evaluated_at: str) -> Decision:
        return replace(self, decision_id=decision_id, evaluated_at=evaluated_at)

    def to_json(self, *, indent: int | None = None) -> str:
        """The decision as JSON, in the shape of `clearance rules schema decision`."""
        return json.dumps(self.as_dict(), indent=indent, ensure_ascii=False)

    def as_dict(self) -> dict[str, Any]:
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


def money(amount: Decimal) -> str:
    """Money as SPEC.md writes it: a string with two decimals."""
    return str(amount.quantize(CENT))


def money_text(amount: Decimal) -> str:
    return f"USD {amount.quantize(CENT):,}"
