"""A Decision renders its findings, classification and explanation on first access, to the same values
whenever and however they are read: as attributes, through as_dict or JSON, after pickling or stamping."""

from __future__ import annotations

import json
import pickle

import engine
from tests.conftest import tx


def test_reading_in_any_order_gives_the_same_decision(shipped_pack: engine.Pack) -> None:
    data = tx(quantity=100, destination="CN")
    first = engine.evaluate(shipped_pack, engine.parse_transaction(data)).as_dict()
    for read in ("explanation", "findings", "classification", "rules"):
        decision = engine.evaluate(shipped_pack, engine.parse_transaction(data))
        getattr(decision, read)
        assert decision.as_dict() == first, read


def test_rules_before_findings_are_the_rules_of_the_findings(shipped_pack: engine.Pack) -> None:
    decision = engine.evaluate(shipped_pack, engine.parse_transaction(tx(destination="KP")))
    rules = decision.rules
    assert rules and rules == [f.rule for f in decision.findings]


def test_a_decision_survives_pickling_and_stamping_unchanged(shipped_pack: engine.Pack) -> None:
    decision = engine.evaluate(shipped_pack, engine.parse_transaction(tx()))
    copied = pickle.loads(pickle.dumps(decision))
    assert copied == decision and copied.explanation == decision.explanation
    stamped = decision.stamped("id-1", "2026-11-29T00:00:00.000Z")
    assert stamped.decision_id == "id-1" and decision.decision_id is None
    assert {**stamped.as_dict(), "decision_id": None, "evaluated_at": None} == decision.as_dict()
    assert json.loads(stamped.to_json())["findings"] == json.loads(decision.to_json())["findings"]


def test_a_rendered_decision_lets_go_of_its_evaluation(shipped_pack: engine.Pack) -> None:
    decision = engine.evaluate(shipped_pack, engine.parse_transaction(tx()))
    assert decision._details is not None
    before = decision.as_dict()
    assert decision._details is None and decision.as_dict() == before


def test_findings_compare_by_what_they_say(shipped_pack: engine.Pack) -> None:
    a = engine.evaluate(shipped_pack, engine.parse_transaction(tx(destination="KP"))).findings
    b = engine.evaluate(shipped_pack, engine.parse_transaction(tx(destination="KP"))).findings
    assert a == b and hash(a[0]) == hash(b[0]) and a[0].message and a[0].conditions
