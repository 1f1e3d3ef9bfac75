"""The reasons given with a match: which tokens paired, which were left over, and what held or raised the score."""

from __future__ import annotations

from engine.screening.alignment import CAP, CONTAINED, Alignment, Query
from engine.screening.variants import Variant


def explain(query: Query, variant: Variant, result: Alignment) -> list[str]:
    """Why `query` scored what it did against `variant`: the tokens paired, left over, in conflict."""

    def listed(positions: tuple[int, ...]) -> str:
        return ", ".join(f"`{variant.tokens[j]}`" for j in positions)

    def mine(positions: tuple[int, ...]) -> str:
        return ", ".join(f"`{query.spelt[i]}`" for i in positions)

    matched = []
    for _, qs, cs in sorted(result.pairs, key=lambda pair: pair[1]):
        ours = " ".join(query.spelt[i] for i in qs)
        theirs = " ".join(variant.tokens[j] for j in cs)
        matched.append(f"`{ours}`" if ours == theirs else f"`{ours}`~`{theirs}`")
    text = "tokens matched: " + (", ".join(matched) or "none")
    if result.query_unmatched:
        text += "; unmatched: " + mine(result.query_unmatched)
    if result.listed_unmatched:
        text += "; listed only: " + listed(result.listed_unmatched)
    reasons = [text]
    if result.conflicts[0]:
        reasons.append(f"places differ: {mine(result.conflicts[0])} against {listed(result.conflicts[1])}")
    if result.numbers[0]:
        reasons.append(f"numbers differ: {mine(result.numbers[0])} against {listed(result.numbers[1])}")
    if result.capped:
        held = f"score held at {CAP}"
        reasons.append(held if result.numbers[0] else f"no distinctive word in common: {held}")
    if result.contained:
        reasons.append(f"every word of the listed name is in the query: score raised to {CONTAINED}")
    return reasons
