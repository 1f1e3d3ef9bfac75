"""The native and durable backends give identical decisions, findings and fees on 100,000 generated
transactions (boundaries and missing fields included), on hostile ones (decimals a hair off a threshold,
integers past 2**53 and 2**63, huge and tiny magnitudes, strings past 64 KB) and on the pack tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

import engine
from engine.durable import DurableBackend
from tests.generators import as_transaction, generate, hostile

COUNT = 100_000
HOSTILE = 20_000
FAST_HOSTILE = 300
CHUNK = 5_000


def compare(pack: engine.Pack, stream: Iterator[dict[str, Any]]) -> tuple[int, set[str], list[str]]:
    """How many transactions were checked, the decisions seen, and the first few mismatches."""
    checked = 0
    decisions: set[str] = set()
    mismatches: list[str] = []
    with DurableBackend(pack) as durable:
        while chunk := list(itertools.islice(stream, CHUNK)):
            txs = [as_transaction(data) for data in chunk]  # hostile ones may pass the contract's limits
            natives = [engine.evaluate(pack, tx) for tx in txs]
            for native, other in zip(natives, durable.evaluate_many(txs), strict=True):
                checked += 1
                decisions.add(native.decision)
                if native.as_dict() != other.as_dict():
                    mismatches.append(f"{native.transaction_id}: {native.rules} vs {other.rules}")
    return checked, decisions, mismatches


@pytest.mark.slow
def test_backends_agree_on_generated_transactions(shipped_pack: engine.Pack) -> None:
    checked, decisions, mismatches = compare(shipped_pack, generate(COUNT))
    assert checked == COUNT
    assert decisions == {"allow", "deny", "review"}
    assert mismatches == [], (len(mismatches), mismatches[:5])


@pytest.mark.slow
def test_backends_agree_on_hostile_transactions(shipped_pack: engine.Pack) -> None:
    checked, decisions, mismatches = compare(shipped_pack, hostile(HOSTILE))
    assert checked == HOSTILE
    assert decisions == {"allow", "deny", "review"}
    assert mismatches == [], (len(mismatches), mismatches[:5])


def test_backends_agree_on_a_few_hundred_hostile_transactions(shipped_pack: engine.Pack) -> None:
    checked, decisions, mismatches = compare(shipped_pack, hostile(FAST_HOSTILE, seed=7))
    assert checked == FAST_HOSTILE
    assert decisions == {"allow", "deny", "review"}
    assert mismatches == [], (len(mismatches), mismatches[:5])
