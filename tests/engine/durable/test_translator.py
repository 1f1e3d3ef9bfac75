"""The durable backend: translation guards, rejection of what durable-rules cannot carry, crash isolation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import engine
from engine.durable import DurableBackend, translate
from engine.durable.encoding import Encoded
from engine.durable.limits import MAX_ALTERNATIVES
from engine.durable.translator import groups
from engine.errors import PackError
from tests.conftest import tx

RULE = """\
  - id: {id}
    title: t
    effect: {effect}
    when: {when}
    message: m
    cite: c
"""


def pack_of(write_pack: Callable[..., Path], *rules: tuple[str, str, str]) -> engine.Pack:
    text = "rules:\n" + "".join(RULE.format(id=i, effect=e, when=w) for i, e, w in rules)
    return engine.load_pack(write_pack({"r.yaml": text}))


def test_translation_keeps_three_valued_logic(write_pack: Callable[..., Path]) -> None:
    pack = pack_of(
        write_pack,
        ("SURE", "deny", "destination == 'CN' and quantity > 5"),
        ("MAYBE", "deny", "specs.tpp > 5"),
    )
    translation = translate(pack)
    assert "SURE#T" in translation.rules and "SURE#F" not in translation.rules  # never missing: no #F needed
    assert {"MAYBE#T", "MAYBE#F"} <= set(translation.rules) and translation.three_valued == {"MAYBE"}


def test_long_lists_become_python_flags_short_ones_stay(write_pack: Callable[..., Path]) -> None:
    long_list = "[" + ", ".join(f"'{c}'" for c in ["AA", "AB", "AC", "AD", "AE", "AF", "AG", "AI", "AL", "AM",
                                                    "AO", "AQ", "AR", "AS", "AT", "AU", "AW"]) + "]"  # fmt: skip
    pack = pack_of(
        write_pack, ("LONG", "deny", f'"destination in {long_list}"'), ("SHORT", "deny", "destination in ['CN', 'HK']")
    )
    translation = translate(pack)
    assert len(translation.flags) == 1
    assert translation.costs["SHORT"] == (2, frozenset({("o0", "'CN'"), ("o0", "'HK'")}))
    assert translation.costs["LONG"] == (0, frozenset({("f0", "True")}))


def test_a_rule_with_too_many_branches_is_rejected_naming_it(write_pack: Callable[..., Path]) -> None:
    clauses = " or ".join(f"quantity == {n}" for n in range(MAX_ALTERNATIVES + 1))
    pack = pack_of(write_pack, ("OK", "deny", "quantity == 1"), ("WIDE", "deny", f'"{clauses}"'))
    with pytest.raises(PackError) as info:
        translate(pack)
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.rule == "WIDE" and "durable-rules takes 400" in diagnostic.message


def test_large_packs_are_split_into_rulesets_that_agree_with_native(write_pack: Callable[..., Path]) -> None:
    rules = [(f"P{n}", "deny", f"customer.name == 'Party {n}' or quantity == {n}") for n in range(450)]
    pack = pack_of(write_pack, *rules)
    translation = translate(pack)
    chunks = translation.rulesets()
    assert len(chunks) >= 2 and sum(len(c) for c in chunks) == len(translation.rules)
    for chunk in chunks:
        assert sum(translation.costs[r.rsplit("#", 1)[0]][0] for r in chunk if r.endswith("#T")) <= MAX_ALTERNATIVES
    txs = [
        engine.parse_transaction(tx(id=f"T{n}", customer={"name": f"Party {n}"}, quantity=(n * 7) % 500 + 1))
        for n in range(0, 450, 9)
    ]
    with DurableBackend(pack) as backend:
        assert len(backend.runners) == len(chunks)
        durable = [d.as_dict() for d in backend.evaluate_many(txs)]
    native = [engine.evaluate(pack, t).as_dict() for t in txs]
    assert durable == native and all(d["decision"] == "deny" for d in native)


def test_too_complex_condition_is_rejected_naming_the_rule(write_pack: Callable[..., Path]) -> None:
    clauses = " or ".join(f"(quantity > {n} and destination != 'C{n}')" for n in range(20))
    pack = pack_of(write_pack, ("BIG", "deny", f'"{clauses}"'))
    with pytest.raises(PackError) as info:
        translate(pack)
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.rule == "BIG" and "groups; durable-rules takes" in diagnostic.message


def test_group_count() -> None:
    assert groups({"$and": [{"a": 1}, {"$or": [{"b": 1}, {"c": 1}]}]}) == 2


def test_a_worker_crash_costs_only_that_transaction(shipped_pack: engine.Pack) -> None:
    txs = [engine.parse_transaction(tx(id=f"T-{n}")) for n in range(3)]
    with DurableBackend(shipped_pack) as backend:
        from engine.durable import DurableRunner

        backend.runner.close()
        backend.runner = DurableRunner("crashy", backend.translation.rules, _allow_fault_injection=True)
        build = backend.translation.encode

        def poisoned(env: Any) -> Encoded:
            encoded = build(env)
            if env["id"] == "T-1":
                encoded.fact["__crash__"] = "segv"
            return encoded

        backend.translation.encode = poisoned  # type: ignore[method-assign]
        decisions = list(backend.evaluate_many(txs))
        assert [d.decision for d in decisions] == ["allow", "review", "allow"]
        assert decisions[1].findings[0].rule == "ENGINE-ERROR"
        assert "worker was killed by SIGSEGV" in decisions[1].explanation
        assert backend.runner.restarts >= 1
        assert backend.evaluate(txs[0]).decision == "allow"  # and it keeps working


def test_backends_agree_on_the_example_pack(example_pack: engine.Pack) -> None:
    from engine.tester import load_cases

    txs = [engine.parse_transaction(c.transaction) for c in load_cases(example_pack)]
    with DurableBackend(example_pack) as backend:
        durable = [d.as_dict() for d in backend.evaluate_many(txs)]
    assert durable == [engine.evaluate(example_pack, t).as_dict() for t in txs]


def test_make_backend_by_name(shipped_pack: engine.Pack) -> None:
    with pytest.raises(engine.UsageError, match="unknown engine `quantum`"):
        engine.make_backend(shipped_pack, "quantum")
    native = engine.make_backend(shipped_pack)
    assert native.evaluate(engine.parse_transaction(tx())).decision == "allow"


def test_rules_and_facts_carry_only_integer_codes(shipped_pack: engine.Pack) -> None:
    """No float, string or date reaches durable-rules: nothing it could round, truncate or mis-parse."""
    from engine.evaluation import bind
    from tests.generators import as_transaction, hostile

    def literals(formula: Any) -> Iterator[Any]:
        if isinstance(formula, dict):
            for key, value in formula.items():
                if key != "$m":
                    yield from literals(value)
        elif isinstance(formula, list):
            for item in formula:
                yield from literals(item)
        else:
            yield formula

    translation = translate(shipped_pack)
    assert {type(v) for v in literals(translation.rules)} <= {int, bool}
    kinds = set()
    for data in hostile(200):
        fact, unsure = translation.encode(bind(shipped_pack, as_transaction(data)))
        kinds |= {type(v) for v in fact.values()}
        assert unsure == []
    assert kinds == {int, bool}
