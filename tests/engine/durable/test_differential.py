"""The native and durable backends give identical decisions, findings and fees on 100,000 generated
transactions (boundaries and missing fields included) and on the pack tests."""

from __future__ import annotations

import itertools

import pytest

import engine
from engine.durable import DurableBackend
from engine.errors import InvalidTransaction
from tests.generators import generate

COUNT = 100_000
CHUNK = 5_000


@pytest.mark.slow
def test_backends_agree_on_generated_transactions(shipped_pack: engine.Pack) -> None:
    checked = mismatches = 0
    decisions: set[str] = set()
    examples: list[str] = []
    stream = generate(COUNT)
    with DurableBackend(shipped_pack) as durable:
        while chunk := list(itertools.islice(stream, CHUNK)):
            txs = []
            for data in chunk:
                try:
                    txs.append(engine.parse_transaction(data))
                except InvalidTransaction:  # the generator only makes valid transactions
                    raise
            natives = [engine.evaluate(shipped_pack, tx) for tx in txs]
            for native, other in zip(natives, durable.evaluate_many(txs), strict=True):
                checked += 1
                decisions.add(native.decision)
                if native.as_dict() != other.as_dict():
                    mismatches += 1
                    if len(examples) < 5:
                        examples.append(f"{native.transaction_id}: {native.rules} vs {other.rules}")
    assert checked == COUNT
    assert decisions == {"allow", "deny", "review"}
    assert mismatches == 0, examples
