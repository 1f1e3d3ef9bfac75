"""The explanation of a decision: one paragraph a compliance officer can read."""

from __future__ import annotations

from decimal import Decimal

from engine.contract import Finding, Transaction, money_text
from engine.pack.model import Pack


def explain(
    pack: Pack, tx: Transaction, outcome: str, findings: list[Finding], fee: Decimal, classification: str | None = None
) -> str:
    """One paragraph a compliance officer can read."""
    what = tx.product or "an unnamed item"
    origin = tx.ship_from if "ship_from" in tx.model_fields_set else f"{tx.ship_from} (assumed: not given)"
    name = pack.label or pack.version  # the published label when it is a published version
    if pack.law_as_of is not None and tx.date > pack.law_as_of:
        under = f"the rules of {pack.name} {name} as known on {pack.law_as_of.isoformat()}"
        under += " (the latest law this pack knows)"
    else:
        under = f"the rules of {pack.name} {name} in force on that date"
    sentences = [
        f"{outcome.upper()}: {tx.quantity:,} x {what} from {origin} to {tx.destination} on "
        f"{tx.date.isoformat()}, judged under {under}."
    ]
    if classification:
        sentences.append(f"Classification: {classification.rstrip('.')}.")
    evaluable = [f for f in findings if f.reason is None]
    deciding = [f for f in evaluable if f.effect == outcome or (outcome == "allow" and f.effect == "fee")]
    if outcome == "deny":
        sentences.append(_reasons("Denied because", deciding))
    elif outcome == "review" and deciding:
        sentences.append(_reasons("A person must decide because", deciding))
    elif outcome == "allow" and deciding:
        sentences.append(_reasons("Allowed:", deciding))
    elif not findings:
        sentences.append(f"No rule decides this transaction; the pack's default outcome is {pack.default}.")
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
    decided = {id(f) for f in deciding}  # by identity: comparing findings whole is quadratic in large packs
    others = [f for f in evaluable if id(f) not in decided and f.effect != "fee"]
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
