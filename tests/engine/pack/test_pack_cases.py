"""Semantics tested as data: the YAML cases beside each pack, one pytest case each, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import engine
from engine.durable import DurableBackend
from engine.tester import LoadedCase, load_cases, run_cases
from tests.conftest import EXAMPLE, SHIPPED

PACKS = {"us-ai-chips": SHIPPED, "example": EXAMPLE}


def _cases() -> list[tuple[str, LoadedCase]]:
    out = []
    for name, path in PACKS.items():
        pack = engine.load_pack(path)
        out.extend((name, case) for case in load_cases(pack))
    return out


CASES = _cases()


@pytest.fixture(scope="module")
def packs() -> dict[str, engine.Pack]:
    return {name: engine.load_pack(path) for name, path in PACKS.items()}


@pytest.fixture(scope="module")
def durable(packs: dict[str, engine.Pack]) -> Iterator[dict[str, DurableBackend]]:
    backends = {name: DurableBackend(pack) for name, pack in packs.items()}
    yield backends
    for backend in backends.values():
        backend.close()


def _id(item: tuple[str, LoadedCase]) -> str:
    name, loaded = item
    return f"{name}:{Path(loaded.file).stem}:{loaded.line}"


@pytest.mark.parametrize("item", CASES, ids=[_id(c) for c in CASES])
def test_case_native(item: tuple[str, LoadedCase], packs: dict[str, engine.Pack]) -> None:
    name, loaded = item
    (result,) = run_cases(packs[name], [loaded]).results
    assert result.passed, f"{loaded.file}:{loaded.line} {loaded.case.name}: " + "; ".join(result.problems)


@pytest.mark.parametrize("item", CASES, ids=[_id(c) for c in CASES])
def test_case_durable(
    item: tuple[str, LoadedCase], packs: dict[str, engine.Pack], durable: dict[str, DurableBackend]
) -> None:
    name, loaded = item
    (result,) = run_cases(packs[name], [loaded], durable[name]).results
    assert result.passed, f"{loaded.file}:{loaded.line} {loaded.case.name}: " + "; ".join(result.problems)


def test_every_rule_of_each_pack_is_exercised(packs: dict[str, engine.Pack]) -> None:
    for name, pack in packs.items():
        report = run_cases(pack, load_cases(pack))
        assert report.uncovered == [], f"{name}: rules no case fires: {report.uncovered}"


def test_every_shipped_rule_cites_its_source(packs: dict[str, engine.Pack]) -> None:
    for rule in packs["us-ai-chips"].rules:
        assert rule.cite.strip() and rule.title.strip(), rule.id
