"""Shadow mode: live decisions judged again under a candidate version, beside the version in force. The
candidate's answers are stored beside the decisions (never sent, never counted against a license); the report
lists where the two disagree."""

from __future__ import annotations

import collections
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from engine.contract import money
from engine.store.schema import decisions, shadows


class ShadowStore:
    """Shadowed answers in the log's database (a part of DecisionLog)."""

    engine: Engine
    reader: Engine
    shadowed: Callable[[str], dict[str, Any] | None]

    def shadow_report(self, pack: str, digest: str | None = None, examples: int = 100) -> dict[str, Any]:
        """Where the candidate (`digest`, default: the one shadowed now, else the last one) and the version in
        force disagree on the decisions judged by both: counts by outcome change and fee change, and each
        disagreement with both explanations."""
        if digest is None:
            current = self.shadowed(pack)
            digest = current["digest"] if current else self._last_candidate(pack)
        changes: collections.Counter[str] = collections.Counter()
        shown: list[dict[str, Any]] = []
        judged = agreed = 0
        label = None
        query = (
            select(decisions.c.decision, shadows.c.decision.label("shadow"), shadows.c.candidate_label)
            .select_from(decisions.join(shadows))
            .where((shadows.c.candidate_digest == digest) & (decisions.c.ruleset_pack == pack))
            .order_by(decisions.c.seq)
        )
        with self.reader.connect() as connection:
            for row in connection.execute(query.execution_options(yield_per=1000)):
                judged += 1
                label = row.candidate_label
                live, again = row.decision, row.shadow
                before = (live["decision"], Decimal(live["fee_usd"]))
                after = (again.get("decision", "error"), Decimal(again.get("fee_usd", "0")))
                if before == after:
                    agreed += 1
                    continue
                kind = f"{before[0]} -> {after[0]}" if before[0] != after[0] else "fee changed"
                changes[kind] += 1
                if len(shown) < examples:
                    shown.append(
                        {
                            "transaction_id": live["transaction_id"], "decision_id": live["decision_id"],
                            "change": kind,
                            "in_force": {"decision": before[0], "fee_usd": money(before[1]),
                                         "explanation": live["explanation"]},
                            "candidate": {"decision": after[0], "fee_usd": money(after[1]),
                                          "explanation": again.get("explanation") or again.get("error")},
                        }
                    )  # fmt: skip
        return {
            "pack": pack, "candidate": {"digest": digest, "label": label}, "judged": judged, "agreed": agreed,
            "disagreed": judged - agreed, "changes": dict(changes.most_common()), "examples": shown,
        }  # fmt: skip

    def _last_candidate(self, pack: str) -> str | None:
        query = (
            select(shadows.c.candidate_digest)
            .select_from(decisions.join(shadows))
            .where(decisions.c.ruleset_pack == pack)
            .order_by(decisions.c.seq.desc())
            .limit(1)
        )
        with self.reader.connect() as connection:
            found = connection.execute(query).scalar()
        return str(found) if found else None


def render(report: dict[str, Any]) -> str:
    """The report as text: the counts, then each disagreement with both explanations."""
    candidate = report["candidate"]
    name = f"{report['pack']} {candidate['label'] or ''} ({(candidate['digest'] or 'none')[:19]})"
    lines = [
        f"shadow of {name}: {report['judged']:,} live decisions judged again, {report['agreed']:,} the same, "
        f"{report['disagreed']:,} different"
    ]
    if report["changes"]:
        lines.append("by change: " + ", ".join(f"{kind} ({n:,})" for kind, n in report["changes"].items()))
    for example in report["examples"]:
        before, after = example["in_force"], example["candidate"]
        lines += [
            f"{example['transaction_id']}: {example['change']}: {before['decision']} {before['fee_usd']} -> "
            f"{after['decision']} {after['fee_usd']}",
            f"  in force:  {before['explanation']}",
            f"  candidate: {after['explanation']}",
        ]
    return "\n".join(lines)
