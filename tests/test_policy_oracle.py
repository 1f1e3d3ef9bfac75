"""The shipped pack agrees with an independent reading of POLICY.md (`tests/policy_oracle.py`).

100,000 generated transactions (the benchmark mix and a boundary-focused mix) are judged by the engine with the
shipped pack and by the oracle; decision and fee must agree. The oracle leaves out denied-party screening, so every
party name the generators use is checked to be far from every listed name. A class of cases where the pack seems to
differ from POLICY is kept out of the comparison only through `KNOWN_DIFFERENCES`, each with its reason.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import engine
from engine.screening import ScreeningIndex, name_similarity
from tests import generators, oracle_transactions
from tests.conftest import tx as worked_tx
from tests.policy_oracle import ATTESTATIONS, decide, item_class_unsettled, licensed

DATA = Path(__file__).resolve().parent.parent / "rules" / "us-ai-chips" / "data"
SOURCES: dict[str, tuple[Callable[[int], Iterator[dict[str, Any]]], int]] = {
    "benchmark": (generators.generate, 60_000),
    "boundary": (oracle_transactions.generate, 40_000),
}
SHOWN = 5

Answer = tuple[str, Decimal]


@dataclass(frozen=True)
class KnownDifference:
    """A class of disagreements between the pack and the letter of POLICY, kept out of the comparison with its
    reason."""

    reason: str
    applies: Callable[[dict[str, Any], Answer, Answer], bool]


def _unsettled_licensed_allow(tx: dict[str, Any], pack: Answer, oracle: Answer) -> bool:
    return pack[0] == "review" and oracle[0] == "allow" and item_class_unsettled(tx) and licensed(tx)


def _id_name_disagreement(tx: dict[str, Any], pack: Answer, oracle: Answer) -> bool:
    customer = tx.get("customer") or {}
    registered = _registered_names().get(customer.get("id"))
    if pack[0] != "review" or oracle[0] != "allow" or registered is None:
        return False
    return name_similarity(str(customer.get("name", "")), registered) < Decimal("0.92")


@cache
def _registered_names() -> dict[str, str]:
    with (DATA / "vetted_customers.csv").open(encoding="utf-8") as handle:
        return {row["customer_id"]: row["name"] for row in csv.DictReader(handle)}


KNOWN_DIFFERENCES: dict[str, KnownDifference] = {
    "unsettled-licensed-allow": KnownDifference(
        reason=(
            "deliberate: the pack holds for review a licensed export (license number, or a license on file) of an "
            "item it cannot classify, because its die area or memory bandwidth is missing, even where every "
            "reading of the item would allow it with the same fee. Its allow rules EAR-LICENSE-ON-FILE, "
            "CN-ROUTE-LICENSED and H20-LICENSED are then not evaluable and fail closed, as every rule does; a "
            "person confirms the classification. The oracle follows POLICY 3 to the letter ('needed for a "
            "decision') and allows. The difference errs toward review, never toward allow"
        ),
        applies=_unsettled_licensed_allow,
    ),
    "id-name-disagreement": KnownDifference(
        reason=(
            "the oracle predates the license register's id/name rule (a customer id of a license holder with the "
            "name of another party is reviewed): it allows where the pack holds such a line for review. The "
            "difference errs toward review, never toward allow"
        ),
        applies=_id_name_disagreement,
    ),
}


@pytest.fixture(scope="module")
def pack() -> engine.Pack:
    return engine.load_pack()


JP_PARTY = {"name": "Sakura Internet Inc.", "country": "JP"}
CN_PARTY = {"name": "Hangzhou Inference Co. Ltd.", "country": "CN"}
RU_PARTY = {"name": "Moscow Compute LLC", "country": "RU"}
CN_HQ_PARTY = {"name": "Lion City Cloud Pte. Ltd.", "country": "SG", "headquarters": "CN"}
WORKED_CASES = [  # POLICY section 9, cases 1-13 (case 14 is denied-party screening, which the oracle leaves out)
    (worked_tx(), "allow", "750000.00"),
    (worked_tx(date="2025-12-20"), "deny", "0.00"),
    (worked_tx(ship_from="TW"), "deny", "0.00"),
    (worked_tx(customer=CN_PARTY), "deny", "0.00"),
    (worked_tx(product="B200"), "deny", "0.00"),
    (worked_tx(attestations=ATTESTATIONS[1:5]), "deny", "0.00"),
    (worked_tx(date="2026-03-01", product="H100", quantity=10, destination="JP", customer=JP_PARTY), "allow", "0.00"),
    (worked_tx(date="2026-03-01", product="RTX 4090D", end_use="consumer", customer=CN_PARTY), "allow", "0.00"),
    (worked_tx(date="2026-03-01", destination="RU", customer=RU_PARTY), "deny", "0.00"),
    (worked_tx(date="2026-03-01", destination="SG", customer=CN_HQ_PARTY), "deny", "0.00"),
    (worked_tx(date="2025-06-01", product="H20", customer=CN_PARTY), "deny", "0.00"),
    (worked_tx(date="2025-03-01", product="H20", customer=CN_PARTY), "allow", "0.00"),
    (worked_tx(end_use="military"), "deny", "0.00"),
]


@pytest.mark.parametrize(("tx", "decision", "fee"), WORKED_CASES, ids=[f"case-{n}" for n in range(1, 14)])
def test_oracle_reproduces_the_worked_cases(tx: dict[str, Any], decision: str, fee: str) -> None:
    assert decide(tx) == (decision, Decimal(fee))


def test_generated_party_names_are_far_from_every_listed_name() -> None:
    """The oracle takes every party as unlisted; that holds only if no generated name is a possible match."""
    index = ScreeningIndex.from_files(sorted(DATA.glob("csl_*.csv")))
    names = {name for _, name, _ in generators.CUSTOMERS} | set(oracle_transactions.party_names())
    near = {name: [(m.matched_name, m.score) for m in index.screen(name)] for name in sorted(names)}
    assert not {name: hits for name, hits in near.items() if hits}


@pytest.mark.slow
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_pack_agrees_with_policy_oracle(pack: engine.Pack, source: str) -> None:
    generate, count = SOURCES[source]
    decisions: Counter[str] = Counter()
    excluded: Counter[str] = Counter()
    fees = 0
    disagreements: list[str] = []
    for tx in generate(count):
        decision = engine.evaluate(pack, engine.parse_transaction(tx))
        ours: Answer = (decision.decision, decision.fee_usd)
        theirs = decide(tx)
        decisions[theirs[0]] += 1
        fees += theirs[1] > 0
        if ours == theirs:
            continue
        known = next((name for name, diff in KNOWN_DIFFERENCES.items() if diff.applies(tx, ours, theirs)), None)
        if known is not None:
            excluded[known] += 1
            continue
        disagreements.append(
            f"{json.dumps(tx, ensure_ascii=False)}\n    pack: {ours[0]} {ours[1]}; oracle (POLICY): "
            f"{theirs[0]} {theirs[1]}; rules: {', '.join(decision.rules)}"
        )
    assert set(decisions) == {"allow", "deny", "review"} and fees > 0, "the comparison lost its reach"
    assert not disagreements, (
        f"{len(disagreements)} of {count} {source} transactions disagree (known differences left out: "
        f"{dict(excluded)}); first {min(SHOWN, len(disagreements))}:\n" + "\n".join(disagreements[:SHOWN])
    )
