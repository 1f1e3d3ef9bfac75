"""Screening inside rules: `screen(...)` in YAML, its arguments, and what a finding says about a match."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import engine
from engine.cli import main
from engine.errors import PackError
from tests.conftest import MANIFEST, ROOT, tx

CSL = ROOT / "tests" / "fixtures" / "screening"


def test_strong_match_denies_and_names_list_entry_notice_and_digest(shipped_pack: engine.Pack) -> None:
    decision = engine.evaluate(
        shipped_pack,
        engine.parse_transaction(tx(customer={"name": "MooreThreads Technology Ltd", "country": "CN"})),
    )
    finding = next(f for f in decision.findings if f.rule == "SCREEN-CUSTOMER-LISTED")
    assert decision.decision == "deny"
    assert "`MooreThreads Technology Ltd`" in finding.message
    assert "`Moore Threads Technology Co., Ltd.`" in finding.message
    assert "Entity List (EL)" in finding.message and "88 FR 71991" in finding.message
    digest = shipped_pack.screening.files[0].digest
    assert digest in finding.message
    observed = finding.conditions[0].observed
    assert observed["customer_listed"]["list"] == "EL" and observed["customer_listed"]["score"] >= 0.92


def test_volcano_engine_is_not_biren(shipped_pack: engine.Pack) -> None:
    customer = {"id": "C-BYT", "name": "Beijing Volcano Engine Technology Co. Ltd.", "country": "CN"}
    decision = engine.evaluate(shipped_pack, engine.parse_transaction(tx(customer=customer, date="2026-03-01")))
    assert not [f.rule for f in decision.findings if f.rule.startswith("SCREEN-")]


def test_cyrillic_lookalikes_do_not_evade_the_deny(shipped_pack: engine.Pack) -> None:
    customer = {"name": "M\u043e\u043ere Threads Technology Co., Ltd.", "country": "CN"}  # Cyrillic `о`
    decision = engine.evaluate(shipped_pack, engine.parse_transaction(tx(customer=customer)))
    assert decision.decision == "deny"
    assert "SCREEN-CUSTOMER-LISTED" in decision.rules


def test_junk_tokens_after_a_listed_name_still_need_a_review(shipped_pack: engine.Pack) -> None:
    customer = {"name": "Moore Threads Technology Co., Ltd. 2K 1A", "country": "CN"}
    decision = engine.evaluate(shipped_pack, engine.parse_transaction(tx(customer=customer)))
    finding = next(f for f in decision.findings if f.rule == "SCREEN-CUSTOMER-POSSIBLE")
    assert "`Moore Threads Technology Co., Ltd.`" in finding.message
    assert "SCREEN-CUSTOMER-LISTED" not in decision.rules


def test_entry_not_yet_in_force_does_not_match(shipped_pack: engine.Pack) -> None:
    customer = {"name": "Moore Threads Technology Co Ltd", "country": "CN"}
    before = engine.parse_transaction(tx(customer=customer, date="2023-10-16", destination="JP", product="H100"))
    assert "SCREEN-CUSTOMER-LISTED" not in engine.evaluate(shipped_pack, before).rules


def _pack(write_pack: Callable[..., Path], when: str) -> Path:
    manifest = MANIFEST + "lists:\n  csl: {file: data/csl.csv}\n"
    rules = f"""\
    values:
      - name: hit
        expr: {when}
    rules:
      - id: HIT
        title: hit
        effect: deny
        when: exists(hit) and hit.score >= 0.92
        message: "{{hit.name}} {{hit.list}} {{hit.score}} {{hit.notice}}"
        cite: c
    """
    csl = (CSL / "csl_ai_entities.csv").read_text()
    return write_pack({"r.yaml": rules}, manifest=manifest, files={"data/csl.csv": csl})


@pytest.mark.parametrize(
    ("when", "fragment"),
    [
        ("screen(customer.name, ['EL'], on=5)", "`on` must be a date"),
        ("screen(quantity)", "needs a name"),
        ("screen(customer.name, ['EL'], colour='red')", "has no argument `colour`"),
        ("screen(customer.name, ['EL'], min_score=0.5)", "`min_score` must be a number literal from 0.8 to 1"),
        ("screen(customer.name, 'EL')", "must be a list literal"),
    ],
)
def test_screen_arguments_are_checked(write_pack: Callable[..., Path], when: str, fragment: str) -> None:
    with pytest.raises(PackError) as info:
        engine.load_pack(_pack(write_pack, when))
    assert fragment in str(info.value)


def test_screen_without_lists_is_a_load_error(write_pack: Callable[..., Path]) -> None:
    text = "values:\n  - {name: hit, expr: screen(customer.name)}\n"
    with pytest.raises(PackError, match="needs the pack to declare denied-party"):
        engine.load_pack(write_pack({"r.yaml": text}))


def test_list_filter_and_exclusion(write_pack: Callable[..., Path]) -> None:
    data = {"id": "T", "date": "2026-03-01", "quantity": 1, "unit_price_usd": 1, "destination": "JP",
            "customer": {"name": "Moore Threads"}}  # fmt: skip
    only_uvl = engine.load_pack(_pack(write_pack, "screen(customer.name, ['UVL'], on=date)"))
    assert engine.evaluate(only_uvl, engine.parse_transaction(data)).rules == []
    all_but_el = engine.load_pack(_pack(write_pack, "screen(customer.name, exclude=['EL'], on=date)"))
    assert engine.evaluate(all_but_el, engine.parse_transaction(data)).rules == []
    el = engine.load_pack(_pack(write_pack, "screen(customer.name, ['EL'], on=date)"))
    assert engine.evaluate(el, engine.parse_transaction(data)).rules == ["HIT"]


def test_cli_screen_default_lists_and_exit_status() -> None:
    runner = CliRunner()
    strong = runner.invoke(main, ["screen", "MooreThreads Technology Ltd", "--country", "CN"])
    assert strong.exit_code == 1 and "STRONG" in strong.stdout and "88 FR 71991" in strong.stdout
    none = runner.invoke(main, ["screen", "Beijing Volcano Engine Technology Co. Ltd."])
    assert none.exit_code == 0 and "no match at or above 0.80" in none.stdout


def test_cli_screen_json_with_an_extra_list() -> None:
    result = CliRunner().invoke(main, ["screen", "183rd Guard Air Defense Missile Regiment", "--json",
                                       "--list", str(CSL / "csl_sample.csv")])  # fmt: skip
    body = json.loads(result.stdout)
    assert result.exit_code == 1
    assert body["lists"][0]["entries"] == 115 and body["lists"][0]["digest"].startswith("sha256:")
    top = body["matches"][0]
    assert top["list"] == "ISN" and top["score"] == 1.0 and top["reasons"]


def test_cli_screen_bad_list_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("source,name\nEntity List (EL) - x\n")
    result = CliRunner().invoke(main, ["screen", "x", "--list", str(bad)])
    assert result.exit_code == 2 and "bad.csv:2" in result.stderr


def test_cli_screen_on_date_and_bad_arguments() -> None:
    runner = CliRunner()
    early = runner.invoke(main, ["screen", "Moore Threads Technology", "--on", "2023-10-16"])
    assert early.exit_code == 0
    assert runner.invoke(main, ["screen", "x", "--on", "yesterday"]).exit_code == 2
    assert runner.invoke(main, ["screen", "x", "--country", "china"]).exit_code == 2
