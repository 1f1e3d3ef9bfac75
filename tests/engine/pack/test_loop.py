"""The rules run in full by one compiled function decide exactly as the evaluator's own loop: the same outcome,
fee, findings (with their conditions and errors) and explanation, on the shipped pack, random packs and rules
that fail to run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import engine
from engine.pack import index as index_module
from engine.pack.loop import compile_loop
from tests.conftest import tx
from tests.engine.pack.test_index import random_pack
from tests.generators import as_transaction, generate, hostile


def decisions(pack_dir: Path, txs: list[engine.Transaction], compiled: bool) -> list[tuple[object, ...]]:
    with pytest.MonkeyPatch.context() as patch:
        if not compiled:
            patch.setattr(index_module, "compile_loop", lambda rules, positions: None)
        pack = engine.load_pack(pack_dir)
        out = []
        for one in txs:
            decision = engine.evaluate(pack, one)
            out.append((decision.as_dict(), decision.explanation))
        return out


def agree(pack_dir: Path, txs: list[engine.Transaction]) -> None:
    compiled, looped = decisions(pack_dir, txs, True), decisions(pack_dir, txs, False)
    for a, b in zip(compiled, looped, strict=True):
        assert a == b


@pytest.fixture(scope="module")
def transactions() -> list[engine.Transaction]:
    mixed = [as_transaction(data) for data in generate(500, seed=12)]
    odd = []
    for data in hostile(300, seed=13):
        try:
            odd.append(engine.parse_transaction(data))
        except engine.InvalidTransaction:
            continue
    return mixed + odd


def test_the_shipped_pack_decides_alike(shipped_pack: engine.Pack, transactions: list[engine.Transaction]) -> None:
    index = shipped_pack.index_on(transactions[0].date)
    assert index.loop is not None and index.plain
    agree(shipped_pack.root, transactions)


@pytest.mark.parametrize("seed", range(4))
def test_random_packs_decide_alike(tmp_path: Path, seed: int, transactions: list[engine.Transaction]) -> None:
    agree(random_pack(tmp_path / "pack", 60, seed), transactions)


def test_a_rule_that_fails_is_not_evaluable_with_its_error(
    write_pack: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "PAYS", 10**9)  # every rule run in full, by the compiled function
    root = write_pack(
        {
            "r.yaml": """
            values:
              - {name: huge, expr: "quantity * 1e999999 * 10"}
            rules:
              - {id: REST-FAILS, title: t, effect: deny, cite: c, message: m, when: {all: ['quantity > 0', 'huge > 1']}}
              - {id: GUARD-FAILS, title: t, effect: deny, cite: c, message: m, when: 'huge > 1'}
              - {id: ANY, title: t, effect: review, cite: c, message: m, when: {any: ['quantity > 5', 'huge > 1']}}
              - {id: QUIET, title: t, effect: allow, cite: c, message: m, when: {all: ['quantity < 0', 'huge > 1']}}
              - {id: SAME-1, title: t, effect: deny, cite: c, message: m, when: {all: ['huge > 1', 'quantity > 1']}}
              - {id: SAME-2, title: t, effect: deny, cite: c, message: m, when: 'huge > 1'}
              - {id: P-1, title: t, effect: review, cite: c, message: m, when: {all: ['quantity > 0', 'huge > 2']}}
              - {id: P-2, title: t, effect: review, cite: c, message: m, when: {all: ['quantity > 0', 'quantity > 2']}}
            """
        }
    )
    pack = engine.load_pack(root)
    one = engine.parse_transaction(tx())
    assert pack.index_on(one.date).loop is not None
    agree(root, [one, engine.parse_transaction(tx(quantity=3))])
    decision = engine.evaluate(pack, one)
    assert decision.rules == ["REST-FAILS", "GUARD-FAILS", "ANY", "SAME-1", "SAME-2", "P-1", "P-2"]
    assert decision.decision == "review"
    failed = [f.rule for f in decision.findings if f.reason and f.reason.startswith("error while evaluating: ")]
    assert failed == ["REST-FAILS", "GUARD-FAILS", "ANY", "SAME-1", "SAME-2", "P-1"]


def test_no_rules_compile_to_nothing() -> None:
    assert compile_loop((), ()) is None
