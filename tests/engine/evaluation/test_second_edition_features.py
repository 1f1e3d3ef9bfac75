"""Engine features a pack declares in pack.yaml: external facts with a provider and accruals, vocabularies, the
classification every decision reports, the date of the law it knows, assumed values, `name_score`, and the
explanation when no rule decides."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

import engine
from engine.durable import DurableBackend
from tests.conftest import MANIFEST, tx

FEATURES = (
    MANIFEST
    + """\
default: review
law_as_of: 2026-01-15
vocabularies:
  attestations: [us_third_party_tested, kyc_remote_access_controls]
classification:
  summary: '"large" if quantity >= 100 else "small"'
  fields: {size: '"large" if quantity >= 100 else "small"', units: quantity}
facts:
  usage:
    description: units already allowed under a license
    key: string
    fields: {units: number, value_usd: number}
    accrue: {key: license_number, units: quantity, value_usd: quantity * unit_price_usd}
"""
)
RULES = """\
values:
  - name: used
    expr: fact("usage", license_number)
rules:
  - id: WITHIN-LIMIT
    title: within the license's 1,000 units
    effect: allow
    when: used.units + quantity <= 1000
    message: "{used.units:,} units used{'' if used.counted else ' (usage not counted)'}, this line {quantity:,}"
    cite: c
  - id: EXHAUSTED
    title: past the license's 1,000 units
    effect: deny
    when: used.units + quantity > 1000
    message: "license {license_number} exhausted: {used.units:,} of 1,000 units used, this line needs {quantity:,}"
    cite: c
  - id: SAME-PARTY
    title: the end user is the customer
    effect: review
    when: exists(end_user.name) and name_score(end_user.name, customer.name) < 0.92
    message: "the end user `{end_user.name}` is another party than the customer `{customer.name}`"
    cite: c
"""


def line(**overrides: object) -> dict[str, object]:
    base = tx(product="X", license_number="L-1", quantity=400, unit_price_usd="10", attestations=[])
    return {**base, **overrides}


@pytest.fixture
def pack(write_pack: Callable[..., Path]) -> engine.Pack:
    return engine.load_pack(write_pack({"r.yaml": RULES}, manifest=FEATURES))


def test_without_a_provider_usage_is_zero_and_said_not_counted(pack: engine.Pack) -> None:
    decision = engine.check(pack, line())
    assert decision.decision == "allow" and decision.rules == ["WITHIN-LIMIT"]
    assert "0 units used (usage not counted), this line 400" in decision.explanation


def test_a_provider_gives_usage_and_the_decisions_accrue_into_it(pack: engine.Pack) -> None:
    facts = engine.InMemoryFacts({"usage": {"L-1": {"units": 500, "value_usd": 5000}}})
    first = engine.check(pack, line(id="A"), facts=facts)
    assert first.decision == "allow" and "500 units used, this line 400" in first.explanation
    assert first.accruals == ({"fact": "usage", "key": "L-1", "amounts": {"units": 400, "value_usd": Decimal("4000")}},)
    facts.record(first)
    second = engine.check(pack, line(id="B"), facts=facts)
    assert second.decision == "deny" and second.accruals == ()
    assert "license L-1 exhausted: 900 of 1,000 units used, this line needs 400" in second.explanation
    assert second.as_dict()["accruals"] == [] and first.as_dict()["accruals"][0]["amounts"] == {
        "units": "400",
        "value_usd": "4000",
    }


def test_the_durable_backend_reads_a_recording_provider_in_turn(pack: engine.Pack) -> None:
    txs = [engine.parse_transaction(line(id=f"T-{i}")) for i in range(4)]

    def run(evaluate_many: Callable[..., object]) -> list[str]:
        facts = engine.InMemoryFacts()
        out = []
        for decision in evaluate_many(txs, facts):  # type: ignore[attr-defined]
            facts.record(decision)
            out.append(decision.decision)
        return out

    native = run(engine.NativeBackend(pack).evaluate_many)
    with DurableBackend(pack) as durable:
        assert run(durable.evaluate_many) == native == ["allow", "allow", "deny", "deny"]


def test_a_value_outside_the_vocabulary_is_invalid_with_the_nearest_suggested(pack: engine.Pack) -> None:
    with pytest.raises(engine.InvalidTransaction) as info:
        engine.check(pack, line(attestations=["us_third_party_tested", "us-third-party-tested"]))
    (error,) = info.value.errors
    assert error.field == "attestations.1"
    assert (
        error.message
        == "`us-third-party-tested` is not in the pack's vocabulary (did you mean `us_third_party_tested`?)"
    )


def test_every_decision_reports_the_classification(pack: engine.Pack) -> None:
    decision = engine.check(pack, line(quantity=150))
    assert decision.classification == {"size": "large", "units": 150}
    assert "Classification: large." in decision.explanation
    assert decision.as_dict()["classification"] == {"size": "large", "units": 150}


def test_a_date_past_the_law_the_pack_knows_says_so(pack: engine.Pack) -> None:
    assert "in force on that date" in engine.check(pack, line(date="2026-01-15")).explanation
    later = engine.check(pack, line(date="2029-06-01")).explanation
    assert "as known on 2026-01-15 (the latest law this pack knows)" in later


def test_a_value_not_given_is_labelled_assumed(pack: engine.Pack) -> None:
    assert "from US (assumed: not given) to CN" in engine.check(pack, line()).explanation
    assert "from US to CN" in engine.check(pack, line(ship_from="US")).explanation


def test_name_score_tells_one_party_from_another(pack: engine.Pack) -> None:
    same = line(end_user={"name": "ALIBABA CLOUD COMPUTING LIMITED"})
    assert "SAME-PARTY" not in engine.check(pack, same).rules
    other = line(end_user={"name": "Totally Different Corp"})
    assert "SAME-PARTY" in engine.check(pack, other).rules


def test_no_rule_deciding_is_said_and_fails_closed(write_pack: Callable[..., Path]) -> None:
    quiet = (
        RULES.split("rules:")[0]
        + "rules:\n  - {id: NEVER, title: t, effect: deny, when: quantity < 0, message: m, cite: c}\n"
    )
    pack = engine.load_pack(write_pack({"r.yaml": quiet}, manifest=FEATURES))
    decision = engine.check(pack, line())
    assert decision.decision == "review" and decision.findings == ()
    assert "No rule decides this transaction; the pack's default outcome is review." in decision.explanation


@pytest.mark.parametrize(
    ("expr", "code"),
    [('fact("usages", license_number)', "unknown-name"), ('fact("usage", quantity)', "type-mismatch")],
)
def test_a_wrong_fact_is_a_load_error(write_pack: Callable[..., Path], expr: str, code: str) -> None:
    rules = RULES.replace('fact("usage", license_number)', expr)
    with pytest.raises(engine.PackError) as info:
        engine.load_pack(write_pack({"r.yaml": rules}, manifest=FEATURES))
    assert info.value.diagnostics[0].code == code


def test_a_decision_read_after_its_facts_change_still_shows_the_facts_it_was_made_on(pack: engine.Pack) -> None:
    facts = engine.InMemoryFacts({"usage": {"L-1": {"units": 500, "value_usd": 5000}}})
    first = engine.check(pack, line(id="A"), facts=facts)
    facts.record(first)  # before anything of `first` beyond its outcome is read
    facts.add("usage", "L-1", {"units": 50})
    assert "500 units used, this line 400" in first.explanation
    assert "500 units used" in first.findings[0].message
