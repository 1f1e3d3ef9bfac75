"""What a candidate version would change: the same transactions judged under the current version and the
candidate, and every decision that flips (allow -> deny, deny -> allow, to or from review), every fee that
changes, with counts and the rules responsible."""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Iterable
from typing import Any

from engine.contract import Transaction, money
from engine.evaluation import FactProvider, evaluate
from engine.pack import Pack

EXAMPLES = 100


def simulate(
    current: Pack, candidate: Pack, items: Iterable[tuple[Transaction, FactProvider | None]], examples: int = EXAMPLES,
    as_of: dt.date | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Every change from `current` to `candidate` over `items` (transactions, each with its facts), judged as if
    each shipped on `as_of` when given (a change dated in the future tried on today's orders); the first
    `examples` changes of decision or fee in full (a change of rules alone is counted, not listed)."""
    flips: collections.Counter[str] = collections.Counter()
    responsible: collections.Counter[str] = collections.Counter()
    shown: list[dict[str, Any]] = []
    checked = fee_changes = rule_changes = 0
    for tx, facts in items:
        checked += 1
        if as_of is not None:
            tx = tx.model_copy(update={"date": as_of})
        before, after = evaluate(current, tx, facts), evaluate(candidate, tx, facts)
        rules_before, rules_after = before.rules, after.rules
        if before.decision == after.decision and before.fee_usd == after.fee_usd and rules_before == rules_after:
            continue
        kind = (
            f"{before.decision} -> {after.decision}" if before.decision != after.decision
            else "fee changed" if before.fee_usd != after.fee_usd else "rules changed"
        )  # fmt: skip
        if before.decision != after.decision:
            flips[kind] += 1
        elif before.fee_usd != after.fee_usd:
            fee_changes += 1
        else:
            rule_changes += 1
        changed = sorted(set(rules_before) ^ set(rules_after))
        responsible.update(changed)
        if kind != "rules changed" and len(shown) < examples:
            shown.append(
                {
                    "transaction_id": tx.id,
                    "change": kind,
                    "from": {"decision": before.decision, "fee_usd": money(before.fee_usd), "rules": rules_before},
                    "to": {"decision": after.decision, "fee_usd": money(after.fee_usd), "rules": rules_after},
                    "rules_responsible": changed,
                }
            )
    return {
        "current": current.ruleset,
        "candidate": candidate.ruleset,
        "as_of": as_of.isoformat() if as_of else None,
        "checked": checked,
        "unchanged": checked - sum(flips.values()) - fee_changes,
        "flips": dict(flips.most_common()),
        "flipped": sum(flips.values()),
        "fee_changes": fee_changes,
        "rule_changes": rule_changes,
        "rules_responsible": dict(responsible.most_common()),
        "examples": shown,
    }


def render(result: dict[str, Any]) -> str:
    current, candidate = result["current"], result["candidate"]
    as_of = f", as if shipped on {result['as_of']}" if result.get("as_of") else ""
    now, then = current.get("label") or current["version"], candidate.get("label") or candidate["version"]
    lines = [
        f"{result['checked']:,} transactions judged under {current['pack']} {now} "
        f"({current['digest'][:19]}) and the candidate {then} "
        f"({candidate['digest'][:19]}){as_of}; {result['unchanged']:,} with the same decision and fee",
        f"decisions that flip: {result['flipped']:,}"
        + (" (" + ", ".join(f"{k}: {v:,}" for k, v in result["flips"].items()) + ")" if result["flips"] else ""),
        f"fees that change (same decision): {result['fee_changes']:,}; rules that change (same decision and fee): "
        f"{result['rule_changes']:,}",
    ]
    if result["rules_responsible"]:
        lines.append("rules responsible: " + ", ".join(f"{r} ({n:,})" for r, n in result["rules_responsible"].items()))
    for example in result["examples"][:20]:
        lines.append(
            f"  {example['transaction_id']}: {example['change']}: {example['from']['decision']} "
            f"{example['from']['fee_usd']} -> {example['to']['decision']} {example['to']['fee_usd']} "
            f"({', '.join(example['rules_responsible'])})"
        )
    return "\n".join(lines)
