"""Evaluation semantics: every rule that fired, deny > review > allow, three-valued logic, fees in Decimal."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

import engine
from engine.evaluation import bind
from engine.language.values import MISSING
from tests.conftest import tx

RULES = """\
values:
  - name: thing
    lookup: {table: things, match: [{columns: [code], value: product}]}
  - name: size
    expr: coalesce(specs.tpp, thing.size)
rules:
  - id: BIG
    title: big thing
    effect: deny
    when: size >= 10
    message: "size {size} is big"
    cite: c1
  - id: GROUP
    title: group destination
    effect: review
    when: destination in groups["G1"]
    message: "{destination} is in G1"
    cite: c2
  - id: OK
    title: ok thing
    effect: allow
    when: exists(thing) and thing.ok
    message: "thing {thing} is ok"
    cite: c3
  - id: FEE
    title: fee
    effect: fee
    when: exists(thing)
    message: "fee"
    cite: c4
    fee: {rate: 0.125, of: quantity * unit_price_usd}
  - id: LATER
    title: dated
    effect: deny
    when: destination == "JP"
    message: "late"
    cite: c5
    effective: {from: 2026-01-15, until: 2026-06-30}
"""


@pytest.fixture
def pack(write_pack: Callable[..., Path]) -> engine.Pack:
    return engine.load_pack(write_pack({"r.yaml": RULES}))


def judge(pack: engine.Pack, **fields: object) -> engine.Decision:
    data = {"id": "T", "date": "2026-02-01", "quantity": 3, "unit_price_usd": "0.04", "destination": "US",
            "customer": {"name": "Acme"}}  # fmt: skip
    data.update(fields)
    return engine.evaluate(pack, engine.parse_transaction(data))


def test_every_rule_that_fires_is_listed_and_deny_wins(pack: engine.Pack) -> None:
    decision = judge(pack, product="A", destination="CN")
    assert decision.decision == "deny"
    assert decision.rules == ["BIG", "GROUP", "OK", "FEE"]


def test_review_beats_allow(pack: engine.Pack) -> None:
    decision = judge(pack, product="A", destination="RU", specs={"tpp": 1})
    assert decision.decision == "review" and decision.rules == ["GROUP", "OK", "FEE"]


def test_default_when_nothing_fires(pack: engine.Pack) -> None:
    decision = judge(pack, product="Z", specs={"tpp": 1})
    assert decision.decision == "allow" and decision.findings == () and decision.fee_usd == Decimal("0")
    assert "default outcome is allow" in decision.explanation


def test_fee_is_decimal_rounded_half_up_and_owed_only_on_allow(pack: engine.Pack) -> None:
    allowed = judge(pack, product="A", specs={"tpp": 1}, quantity=3, unit_price_usd="0.04")
    assert allowed.decision == "allow"
    assert allowed.fee_usd == Decimal("0.02")  # 0.125 * 0.12 = 0.015 -> 0.02 (half-up; float would give 0.01)
    assert allowed.as_dict()["fee_usd"] == "0.02"
    held = judge(pack, product="A", specs={"tpp": 1}, destination="RU")
    assert held.decision == "review" and held.fee_usd == Decimal("0") and held.fee_if_allowed == Decimal("0.02")
    assert "If allowed, a fee of USD 0.02 would be owed" in held.explanation


def test_missing_data_makes_a_rule_not_evaluable_never_false(pack: engine.Pack) -> None:
    decision = judge(pack, product="B")  # B has no size in the table
    (finding,) = [f for f in decision.findings if f.rule == "BIG"]
    assert finding.effect == "review" and finding.rule_effect == "deny"
    assert finding.reason == "`specs.tpp`, `thing.size` are missing"
    assert finding.conditions[0].result is None
    assert decision.decision == "review"


def test_conditions_record_observed_values(pack: engine.Pack) -> None:
    decision = judge(pack, product="A")
    (big,) = [f for f in decision.findings if f.rule == "BIG"]
    assert big.conditions[0].as_dict() == {"expr": "size >= 10", "observed": 10, "result": True}
    assert big.message == "size 10 is big" and big.cite == "c1"


def test_rules_in_force_follow_the_transaction_date(pack: engine.Pack) -> None:
    def rules_on(day: str) -> list[str]:
        return judge(pack, destination="JP", date=day, product="Z", specs={"tpp": 1}).rules

    assert rules_on("2026-01-14") == []
    assert rules_on("2026-01-15") == ["LATER"]
    assert rules_on("2026-06-30") == ["LATER"]
    assert rules_on("2026-07-01") == []
    later = judge(pack, destination="JP", date="2026-03-01", product="Z", specs={"tpp": 1}).findings[0]
    assert later.in_force == ("2026-01-15", "2026-06-30")


def test_evaluation_is_pure(pack: engine.Pack) -> None:
    first = judge(pack, product="A", destination="CN")
    second = judge(pack, product="A", destination="CN")
    assert first == second and first.decision_id is None and first.evaluated_at is None


def test_check_stamps_id_and_time(pack: engine.Pack) -> None:
    data = {"id": "T", "date": "2026-02-01", "quantity": 1, "unit_price_usd": 1, "destination": "US",
            "customer": {"name": "Acme"}}  # fmt: skip
    one, two = engine.check(pack, data), engine.check(pack, data)
    assert one.decision_id and one.decision_id != two.decision_id
    assert one.evaluated_at and one.evaluated_at.endswith("Z")


def test_a_rule_that_raises_fails_closed(pack: engine.Pack) -> None:
    rule = pack.rule("GROUP")

    def boom(env: object) -> object:
        raise RuntimeError("kaput")

    object.__setattr__(rule, "test", boom)
    object.__setattr__(rule, "plan", None)
    decision = judge(pack, product="Z", specs={"tpp": 1})
    (finding,) = decision.findings
    assert decision.decision == "review" and finding.rule == "GROUP"
    assert finding.reason == "error while evaluating: RuntimeError: kaput"


def test_shipped_pack_decision_shape(shipped_pack: engine.Pack) -> None:
    decision = engine.check(shipped_pack, tx())
    body = decision.as_dict()
    assert set(body) >= {"transaction_id", "decision", "fee_usd", "ruleset", "findings", "explanation",
                         "decision_id", "evaluated_at"}  # fmt: skip
    assert body["ruleset"] == {
        "pack": "us-ai-chips",
        "version": "2026-01-15",
        "label": None,
        "digest": shipped_pack.digest,
    }
    assert body["decision"] == "allow" and body["fee_usd"] == "750000.00"
    for finding in body["findings"]:
        assert set(finding) >= {"rule", "effect", "title", "message", "cite", "conditions"}
        assert finding["cite"]
        for condition in finding["conditions"]:
            assert set(condition) == {"expr", "observed", "result"}


def test_same_transaction_before_and_after_the_route(shipped_pack: engine.Pack) -> None:
    before = engine.evaluate(shipped_pack, engine.parse_transaction(tx(date="2026-01-14")))
    after = engine.evaluate(shipped_pack, engine.parse_transaction(tx(date="2026-02-01")))
    assert before.decision == "deny" and after.decision == "allow"
    (presumption,) = before.findings
    assert presumption.rule == "CN-PRESUMPTION-BEFORE-ROUTE" and presumption.in_force == ("2023-11-17", "2026-01-14")
    assert {f.in_force for f in after.findings} == {("2026-01-15", None)}
    assert "in force on that date" in before.explanation
    assert "Dated rules applied on 2026-01-14: CN-PRESUMPTION-BEFORE-ROUTE (in force 2023-11-17 to 2026-01-14)" in (
        before.explanation
    )
    assert "CN-ROUTE-LICENSED (in force from 2026-01-15)" in after.explanation


def test_missing_is_not_a_boolean() -> None:
    with pytest.raises(TypeError):
        bool(MISSING)


def test_a_lookup_with_where_never_changes_the_evaluations_facts(shipped_pack: engine.Pack) -> None:
    env = bind(shipped_pack, engine.parse_transaction(tx()))
    before = dict(env)
    license_row = env["license_on_file"]  # a lookup whose `where` reads `row`
    assert license_row is not None
    assert "row" not in env
    assert {k: v for k, v in env.items() if k in before} == before


FEE_RULE = """\
rules:
  - id: HUGE-FEE
    title: a fee on an amount too large to round to the cent
    effect: fee
    when: quantity > 0
    fee: {rate: 0.25, of: quantity * unit_price_usd * quantity * unit_price_usd}
    message: fee
    cite: c
"""


def test_a_fee_that_cannot_be_computed_fails_closed(write_pack: Callable[..., Path]) -> None:
    pack = engine.load_pack(write_pack({"r.yaml": FEE_RULE}))
    decision = engine.evaluate(pack, engine.parse_transaction(tx(quantity=10**9, unit_price_usd="999999999999")))
    (finding,) = decision.findings
    assert decision.decision == "review" and finding.reason is not None and "cannot be computed" in finding.reason
