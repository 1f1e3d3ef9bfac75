"""The shipped pack's reference data hangs together, the README shows its real output, and the pack's decisions
keep the promises no YAML case can state: invalid input, external facts, explanations, failing closed."""

from __future__ import annotations

import itertools
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import engine
from engine.contract.transaction import COUNTRY_CODES, END_USES
from tests import generators, oracle_transactions
from tests.conftest import ROOT, SHIPPED, tx

ATTESTATIONS = ["us_third_party_tested", "kyc_remote_access_controls", "us_supply_sufficient",
                "no_foundry_diversion", "china_volume_within_50pct", "iaas_remote_users_disclosed"]  # fmt: skip
GULF = {"id": "C-GULF", "name": "Gulf Compute LLC", "country": "AE"}


def test_license_register_hangs_together(shipped_pack: engine.Pack) -> None:
    models = {row["model"] for row in shipped_pack.tables["chips"].rows}
    holders: dict[str, tuple[str, str]] = {}
    numbers = [row["license_number"] for row in shipped_pack.tables["licenses"].rows]
    assert len(numbers) == len({n.casefold() for n in numbers}), "license numbers must be unique, in any case"
    for row in shipped_pack.tables["licenses"].rows:
        assert set(row["products"]) <= models, f"line {row.line}: {row['products']}"
        assert row["products"] and row["destinations"], f"line {row.line}"
        assert set(row["destinations"]) <= COUNTRY_CODES, f"line {row.line}: {row['destinations']}"
        assert row["valid_from"] <= row["valid_to"], f"line {row.line}"
        assert row["quantity_limit"] > 0 and row["value_limit_usd"] > 0, f"line {row.line}"
        # a holder id names one party: the pack matches a quoted license's holder through either
        holder = (row["holder_name"], row["holder_country"])
        assert holders.setdefault(row["holder_id"], holder) == holder, f"line {row.line}: {row['holder_id']}"


def test_country_groups_hold_assigned_codes(shipped_pack: engine.Pack) -> None:
    for name, members in shipped_pack.tables["country_groups"].sets.items():
        assert members <= COUNTRY_CODES, f"{name}: {sorted(members - COUNTRY_CODES)}"
    groups = shipped_pack.tables["country_groups"].sets
    assert "HK" not in groups["D:5"] and "MO" not in groups["D:5"] and "CN" in groups["D:5"]


def test_catalog_aliases_are_unambiguous(shipped_pack: engine.Pack) -> None:
    seen: dict[str, str] = {}
    for row in shipped_pack.tables["chips"].rows:
        for name in (row["model"], *row["aliases"]):
            key = " ".join(name.casefold().split())
            assert seen.setdefault(key, row["model"]) == row["model"], f"`{name}` names two models"


# --- Vocabularies: invalid input, never a silently missing attestation --------------------------------------------


def test_the_vocabularies_are_the_six_attestations_and_the_eleven_end_uses(shipped_pack: engine.Pack) -> None:
    assert shipped_pack.vocabularies["attestations"] == frozenset(ATTESTATIONS)
    assert shipped_pack.vocabularies["end_use"] == frozenset(END_USES) and len(END_USES) == 11


@pytest.mark.parametrize(
    ("written", "nearest"),
    [("us-third-party-tested", "us_third_party_tested"), ("no_foundry_diversions", "no_foundry_diversion"),
     ("KYC_remote_access_controls", "kyc_remote_access_controls")],
)  # fmt: skip
def test_a_misspelt_attestation_is_invalid_input_naming_the_nearest(
    shipped_pack: engine.Pack, written: str, nearest: str
) -> None:
    given = [*ATTESTATIONS[:4], written]
    with pytest.raises(engine.InvalidTransaction) as info:
        engine.check(shipped_pack, tx(attestations=given))
    (error,) = info.value.errors
    assert error.field == "attestations.4"
    assert f"did you mean `{nearest}`?" in error.message


def test_an_attestation_outside_the_vocabulary_is_invalid_even_where_none_is_needed(shipped_pack: engine.Pack) -> None:
    data = tx(destination="JP", customer={"name": "Sakura Internet Inc.", "country": "JP"},
              attestations=["export_compliance_program_reviewed"])  # fmt: skip
    with pytest.raises(engine.InvalidTransaction) as info:
        engine.check(shipped_pack, data)
    assert [e.field for e in info.value.errors] == ["attestations.0"]


def test_rules_test_counts_a_case_with_a_misspelt_attestation_as_a_bad_case(tmp_path: Path) -> None:
    from engine.tester import check_cases, load_cases

    pack_dir = tmp_path / "us-ai-chips"
    shutil.copytree(SHIPPED, pack_dir)
    for old in (pack_dir / "tests").glob("*.yaml"):
        old.unlink()
    (pack_dir / "tests" / "typo.yaml").write_text(
        "cases:\n  - name: typo\n    transaction: {id: T, date: 2026-02-01, product: H200, quantity: 1,\n"
        "      unit_price_usd: '1', destination: CN, customer: {name: X}, attestations: [us-third-party-tested]}\n"
        "    expect: {decision: deny}\n"
    )
    pack = engine.load_pack(pack_dir)
    (problem,) = check_cases(pack, load_cases(pack))
    assert problem.code == "bad-test" and "did you mean `us_third_party_tested`?" in problem.message


# --- Depletion: license usage from the caller's provider ----------------------------------------------------------


def _gulf_h100(quantity: int, price: str = "30000", **overrides: Any) -> dict[str, Any]:
    return tx(date="2026-03-01", product="H100", quantity=quantity, unit_price_usd=price, destination="AE",
              customer=GULF, **overrides)  # fmt: skip


def test_without_a_provider_only_this_line_is_counted_and_the_explanation_says_so(shipped_pack: engine.Pack) -> None:
    decision = engine.check(shipped_pack, _gulf_h100(10))
    assert decision.decision == "allow" and decision.rules == ["EAR-LICENSE-ON-FILE"]
    assert "0 of 2,000 units and USD 0.00 of 70,000,000.00 used (usage not counted" in decision.explanation
    assert decision.accruals == (
        {"fact": "license_usage", "key": "D-2026-7781", "amounts": {"units": 10, "value_usd": 300000}},
    )


def test_a_line_past_the_remaining_quantity_is_denied_saying_how_much_is_used(shipped_pack: engine.Pack) -> None:
    facts = engine.InMemoryFacts({"license_usage": {"D-2026-7781": {"units": 1950, "value_usd": 1_000_000}}})
    decision = engine.check(shipped_pack, _gulf_h100(100), facts=facts)
    assert decision.decision == "deny" and decision.rules == ["LICENSE-QUANTITY-EXHAUSTED"]
    assert "license D-2026-7781 exhausted: 1,950 of 2,000 units used, this line needs 100" in decision.explanation
    assert "usage not counted" not in decision.explanation and decision.accruals == ()
    assert engine.check(shipped_pack, _gulf_h100(50), facts=facts).decision == "allow"


def test_a_line_past_the_remaining_value_is_denied(shipped_pack: engine.Pack) -> None:
    facts = engine.InMemoryFacts({"license_usage": {"D-2026-7781": {"units": 10, "value_usd": 69_900_000}}})
    decision = engine.check(shipped_pack, _gulf_h100(10), facts=facts)
    assert decision.decision == "deny" and decision.rules == ["LICENSE-VALUE-EXHAUSTED"]
    assert "exhausted by value: USD 69,900,000.00 of 70,000,000.00 used, this line needs USD 300,000.00" in (
        decision.explanation
    )


def test_allowed_lines_accrue_until_the_license_is_exhausted(shipped_pack: engine.Pack) -> None:
    facts = engine.InMemoryFacts()
    outcomes = []
    for index in range(5):
        decision = engine.check(shipped_pack, _gulf_h100(600, "1000", id=f"L-{index}", license_number="D-2026-7781"),
                                facts=facts)  # fmt: skip
        facts.record(decision)
        outcomes.append(decision.decision)
    assert outcomes == ["allow", "allow", "allow", "deny", "deny"]
    assert facts.fact("license_usage", "D-2026-7781") == {"units": 1800, "value_usd": 1_800_000}


def test_a_quoted_license_that_is_not_needed_accrues_nothing(shipped_pack: engine.Pack) -> None:
    data = tx(date="2026-03-01", product="H100", destination="JP", customer=GULF, license_number="D-2026-7781")
    decision = engine.check(shipped_pack, data)
    assert decision.decision == "allow" and decision.rules == ["NLR-COUNTRY-GROUP"]
    assert "license number D-2026-7781 was given but is not needed" in decision.explanation
    assert decision.accruals == ()


def test_without_a_number_a_covering_license_with_room_is_preferred(tmp_path: Path) -> None:
    pack_dir = tmp_path / "us-ai-chips"
    shutil.copytree(SHIPPED, pack_dir)
    register = pack_dir / "data" / "licenses.csv"
    renewal = "D-2026-7790,C-GULF,Gulf Compute LLC,AE,H100,AE,5000,200000000,2026-02-01,2027-01-31,renewal\n"
    register.write_text(register.read_text() + renewal)
    pack = engine.load_pack(pack_dir)
    facts = engine.InMemoryFacts({"license_usage": {"D-2026-7781": {"units": 2000, "value_usd": 60_000_000}}})
    decision = engine.check(pack, _gulf_h100(100), facts=facts)
    assert decision.decision == "allow" and "license D-2026-7790 held by" in decision.explanation
    assert decision.accruals[0]["key"] == "D-2026-7790"


# --- Explanations -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "summary", "fields"),
    [
        ({}, "3A090.a (TPP 15,832)", {"eccn": "3A090.a", "tpp": 15832}),
        ({"product": "RTX 4090D", "end_use": "consumer"},
         "not 3A090 (Note 2: not designed for datacenters; TPP 4,700)", {"eccn": "not 3A090", "tpp": 4700}),
        ({"product": "L2"}, "not 3A090 (below the thresholds: TPP 1,544, PD 5.25)", {"eccn": "not 3A090"}),
        ({"product": "H20"}, "H20-class (memory bandwidth 4,000 GB/s)", {"eccn": "not 3A090"}),
        ({"product": "H20", "date": "2025-03-01"}, "not 3A090 (below the thresholds: TPP 2,368, PD 2.91)",
         {"eccn": "not 3A090"}),
        ({"product": "Z9", "specs": {"tpp": 4000, "die_area_mm2": 1000}}, "3A090.b (TPP 4,000, PD 4.00; designed "
         "for datacenters: assumed, not given)", {"eccn": "3A090.b", "tpp": 4000, "performance_density": 4}),
        ({"product": "Z9", "specs": {"tpp": 3000}}, "cannot be classified: the die area is not given and TPP is "
         "between 1,600 and 4,800", {"tpp": 3000}),
        ({"product": "Z9"}, "cannot be classified: the product is not in the catalog and no TPP was given", {}),
    ],
)  # fmt: skip
def test_every_decision_states_the_classification(
    shipped_pack: engine.Pack, overrides: dict[str, Any], summary: str, fields: dict[str, Any]
) -> None:
    decision = engine.check(shipped_pack, tx(**overrides))
    assert f"Classification: {summary}." in decision.explanation
    assert {k: v for k, v in decision.classification.items() if k in fields} == fields
    if not fields:
        assert decision.classification == {}


def test_a_3a090_item_denied_on_the_china_route_names_its_classification(shipped_pack: engine.Pack) -> None:
    data = tx(product="RTX 4090", customer={"name": "Shanghai Example AI Co. Ltd.", "country": "CN"}, attestations=[])
    decision = engine.check(shipped_pack, data)
    denials = [f for f in decision.findings if f.effect == "deny"]
    assert decision.decision == "deny" and len(denials) >= 6
    assert all("3A090.a" in f.message for f in denials) and not any("H200" in f.title for f in denials)


def test_each_allow_states_its_ground(shipped_pack: engine.Pack) -> None:
    japan = {"destination": "JP", "product": "H100", "customer": {"name": "Sakura Internet Inc.", "country": "JP"}}
    grounds = {
        "no license required: H100 is 3A090.a (TPP 15,832), and JP is in Country Group A:5": tx(**japan),
        "no license required: L2 is not 3A090 (below the thresholds: TPP 1,544, PD 5.25), which needs no license to "
        "VN (Country Group D:1)": tx(
            product="L2", destination="VN", customer={"name": "Hanoi AI Compute JSC", "country": "VN"}
        ),
        "license on file: H100 is 3A090.a (TPP 15,832) and AE (Country Group D:4) needs": _gulf_h100(1),
        "license D-2026-7781 held by `Gulf Compute LLC` (C-GULF) covers H100 to AE": _gulf_h100(1),
        "case-by-case route for 3A090.a items to CN (FR 2026-00789), every condition met": tx(),
        "license L-2026-0001 held by `Alibaba Cloud Computing Ltd.` (C-ALI) covers H200 to CN": tx(),
        "License Exception SPP: RTX 4090D is not 3A090": tx(date="2025-10-01", product="RTX 4090D", destination="SY"),
    }
    for text, data in grounds.items():
        decision = engine.check(shipped_pack, data)
        assert decision.decision == "allow" and text in decision.explanation, decision.explanation


def test_an_assumed_ship_from_is_labelled(shipped_pack: engine.Pack) -> None:
    assumed = engine.check(shipped_pack, tx()).explanation
    given = engine.check(shipped_pack, tx(ship_from="US")).explanation
    assert "shipped from US (assumed: not given);" in assumed
    assert "shipped from US;" in given and "assumed" not in given


def test_a_date_after_the_law_the_pack_knows_says_so(shipped_pack: engine.Pack) -> None:
    later = engine.check(shipped_pack, tx(date="2027-06-01", destination="JP", product="H100",
                                          customer={"name": "Sakura Internet Inc.", "country": "JP"}))  # fmt: skip
    assert later.decision == "allow" and "as known on 2026-01-15" in later.explanation
    assert "in force on that date" in engine.check(shipped_pack, tx(date="2025-12-20")).explanation


def test_cites_name_regulations_and_messages_are_plain(shipped_pack: engine.Pack) -> None:
    for rule in shipped_pack.rules:
        assert not re.search(r"POLICY|\.md\b|section \d", rule.cite), f"{rule.id}: {rule.cite}"
        assert re.search(r"CFR|FR|Proclamation|Form 8-K|HTSUS|arrangement|List", rule.cite), f"{rule.id}: {rule.cite}"
        text = rule.message.source
        assert not re.search(r"not attested|condition not met", text), f"{rule.id}: {text}"


# --- Failing closed -----------------------------------------------------------------------------------------------


def test_generated_transactions_are_each_decided_by_a_rule(shipped_pack: engine.Pack) -> None:
    """A quick sample of the generators (the slow suite runs many more): no transaction reaches the default."""
    streams = itertools.chain(generators.generate(1500), oracle_transactions.generate(1500))
    judged = 0
    for data in streams:
        try:
            decision = engine.check(shipped_pack, data)
        except engine.InvalidTransaction:
            continue
        judged += 1
        assert any(f.effect in ("allow", "deny", "review") for f in decision.findings), data
        assert "No rule decides" not in decision.explanation, data
    assert judged >= 2800


def test_every_example_is_decided_as_its_name_says(shipped_pack: engine.Pack) -> None:
    expected = {"allowed": "allow", "denied": "deny", "review": "review"}
    examples = sorted((ROOT / "examples" / "transactions").glob("*.json"))
    assert len(examples) >= 20
    for path in examples:
        want = expected[path.stem.rsplit("-", 1)[-1]]
        decision = engine.check(shipped_pack, json.loads(path.read_text()))
        assert decision.decision == want, f"{path.name}: {decision.decision}: {decision.explanation}"


@pytest.mark.slow
def test_no_generated_transaction_reaches_the_default(shipped_pack: engine.Pack) -> None:
    """The pack fails closed by rules, not by luck: every one of 100,000 generated transactions (realistic,
    boundary and missing-data mixes) is decided by a rule; none falls through to the default."""
    streams = itertools.chain(generators.generate(60_000), oracle_transactions.generate(40_000))
    judged = undecided = 0
    examples: list[str] = []
    for data in streams:
        try:
            tx = shipped_pack.transaction(data)
        except engine.InvalidTransaction:
            continue
        judged += 1
        decision = engine.evaluate(shipped_pack, tx)
        if not any(f.effect in ("allow", "deny", "review") for f in decision.findings):
            undecided += 1
            if len(examples) < 5:
                examples.append(json.dumps(data, default=str))
    assert judged >= 95_000
    assert undecided == 0, "\n".join(examples)


# the shipped rules against a test register: what no shipped license can show ------------------------------------
def with_licenses(tmp_path: Path, *rows: str) -> engine.Pack:
    """The shipped pack with license rows added to its register (its own tests left out)."""
    root = tmp_path / "pack"
    shutil.copytree(SHIPPED, root, ignore=shutil.ignore_patterns("tests"))
    register = root / "data" / "licenses.csv"
    register.write_text(register.read_text() + "".join(row + "\n" for row in rows))
    return engine.load_pack(root)


def test_the_fee_is_owed_from_its_first_day_2026_01_15(tmp_path: Path) -> None:
    """An allowed China-route line dated 2026-01-15, the day 91 FR 1684 took effect, owes the 25% fee (a license
    valid from that day); the day before, the route is not in force."""
    pack = with_licenses(
        tmp_path, "L-2026-0115,C-DAY,Day One Cloud Ltd.,CN,H200,CN,1000,100000000,2026-01-15,2026-12-31,test"
    )
    line = tx(date="2026-01-15", customer={"id": "C-DAY", "name": "Day One Cloud Ltd.", "country": "CN"})
    first_day = engine.check(pack, line)
    assert (first_day.decision, first_day.fee_usd) == ("allow", Decimal("750000.00")), first_day.explanation
    assert {"CN-ROUTE-LICENSED", "FEE-SECTION-232"} <= set(first_day.rules)
    day_before = engine.check(pack, {**line, "date": "2026-01-14"})
    assert day_before.decision == "deny" and day_before.fee_usd == 0


def test_a_line_that_fills_a_license_exactly_uses_it_not_its_renewal(tmp_path: Path) -> None:
    """Without a license number, the first covering license with room is used: a line of exactly what remains
    has room (`<=`), so the renewal beside it is not taken instead."""
    pack = with_licenses(
        tmp_path,
        "D-2026-0001,C-TWIN,Twin Compute LLC,AE,H100,AE,1000,100000000,2026-01-01,2026-06-30,first",
        "D-2026-0002,C-TWIN,Twin Compute LLC,AE,H100,AE,5000,500000000,2026-01-01,2026-12-31,renewal",
    )
    line = tx(date="2026-03-01", product="H100", quantity=1000, destination="AE",
              customer={"id": "C-TWIN", "name": "Twin Compute LLC", "country": "AE"})  # fmt: skip
    decision = engine.check(pack, line)
    assert decision.decision == "allow" and "EAR-LICENSE-ON-FILE" in decision.rules
    assert [a["key"] for a in decision.accruals] == ["D-2026-0001"]
    assert "license D-2026-0001 held by" in decision.explanation
    over = engine.check(pack, {**line, "quantity": 1001})  # one more than the first holds: the renewal
    assert [a["key"] for a in over.accruals] == ["D-2026-0002"]


def test_4_the_memory_bandwidth_is_asked_for_only_where_it_can_change_the_decision(
    shipped_pack: engine.Pack,
) -> None:
    """POLICY section 3: a figure the decision does not depend on is not needed. An item below the 3A090
    thresholds without a memory bandwidth is H20-class or not; that matters only where the H20 class needs a
    license (China, Hong Kong, Macau and D:5, from 2025-04-09). Everywhere else it is allowed either way."""
    needs = {"CN", "HK", "MO"} | set(shipped_pack.tables["country_groups"].sets["D:5"])
    item = {"product": "Example Accelerator Z9", "specs": {"tpp": 1500, "die_area_mm2": 500}, "end_use": "research",
            "attestations": []}  # fmt: skip
    for destination in sorted(COUNTRY_CODES):
        data = tx(id=f"BW-{destination}", destination=destination, customer={"name": "Example Buyer", "country": "JP"},
                  **item)  # fmt: skip
        decision = engine.check(shipped_pack, data)
        unsettled = "ITEM-CLASSIFICATION-UNSETTLED" in decision.rules
        assert unsettled == (destination in needs), (destination, decision.rules)
        before = engine.check(shipped_pack, {**data, "date": "2025-04-08"})  # before the H20 class existed
        assert "ITEM-CLASSIFICATION-UNSETTLED" not in before.rules, destination
