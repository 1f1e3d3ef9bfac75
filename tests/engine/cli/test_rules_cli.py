"""`clearance rules validate|test|schema`: diagnostics with carets and JSON, test reports as JSON and JUnit,
case selection, and the JSON Schemas of every contract."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

import engine
from engine.cli import main
from tests.conftest import EXAMPLE, SHIPPED, tx


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def broken_pack(tmp_path: Path) -> Path:
    root = tmp_path / "pack"
    shutil.copytree(EXAMPLE, root)
    rules = root / "rules" / "main.yaml"
    text = rules.read_text().replace("        - power >= 800", "        - power => 800", 1)
    rules.write_text(text)
    return root


def test_validate_prints_the_code_a_caret_under_the_culprit_and_the_hint(runner: CliRunner, broken_pack: Path) -> None:
    result = runner.invoke(main, ["rules", "validate", str(broken_pack)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    head = next(i for i, line in enumerate(lines) if "error[unknown-operator]" in line)
    assert lines[head].startswith("rules/main.yaml:31:17: error[unknown-operator]: rule `HIGH-POWER`:")
    assert lines[head + 1] == "  31 |         - power => 800"
    assert lines[head + 2] == "     |                 ^^"
    assert lines[head + 3] == "  hint: did you mean `>=`?"


def test_validate_json(runner: CliRunner, broken_pack: Path) -> None:
    result = runner.invoke(main, ["rules", "validate", "--json", str(broken_pack)])
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert body["ok"] is False
    (d,) = body["diagnostics"]
    assert {k: d[k] for k in ("file", "line", "column", "end_column", "code", "rule", "hint")} == {
        "file": "rules/main.yaml", "line": 31, "column": 17, "end_column": 19, "code": "unknown-operator",
        "rule": "HIGH-POWER", "hint": "did you mean `>=`?",
    }  # fmt: skip
    ok = runner.invoke(main, ["rules", "validate", "--json", str(SHIPPED)])
    assert ok.exit_code == 0 and json.loads(ok.stdout) == {"ok": True, "diagnostics": []}


def test_validate_checks_the_packs_tests_too(runner: CliRunner, tmp_path: Path) -> None:
    root = tmp_path / "pack"
    shutil.copytree(EXAMPLE, root)
    case = root / "tests" / "extra.yaml"
    case.write_text(
        "cases:\n  - name: typo\n    transaction: {id: X, date: 2026-01-01, quantity: 1, unit_price_usd: 1,"
        " destination: CN, customer: {name: A}}\n    expect: {decision: deny, rules: [EMBARGOO]}\n"
    )
    result = runner.invoke(main, ["rules", "validate", "--json", str(root)])
    assert result.exit_code == 1
    (d,) = json.loads(result.stdout)["diagnostics"]
    assert (d["code"], d["file"], d["line"], d["hint"]) == (
        "bad-test",
        "tests/extra.yaml",
        2,
        "did you mean `EMBARGO`?",
    )


def test_rules_test_json(runner: CliRunner) -> None:
    result = runner.invoke(main, ["rules", "test", "--json", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["failed"] == 0 and report["passed"] == len(report["cases"]) == 17
    assert report["coverage"] == 1.0 and report["uncovered"] == []
    assert all(case["passed"] and case["decision"] in ("allow", "deny", "review") for case in report["cases"])


def test_rules_test_selects_cases_with_k(runner: CliRunner) -> None:
    everything = json.loads(runner.invoke(main, ["rules", "test", "--json", str(EXAMPLE)]).stdout)["cases"]
    word = everything[0]["name"].split()[0]
    result = runner.invoke(main, ["rules", "test", "--json", "-k", word.upper(), str(EXAMPLE)])
    chosen = json.loads(result.stdout)["cases"]
    assert 0 < len(chosen) < len(everything)
    assert all(word.casefold() in c["name"].casefold() or word.casefold() in c["file"] for c in chosen)
    none = runner.invoke(main, ["rules", "test", "-k", "no such case anywhere", str(EXAMPLE)])
    assert none.exit_code == 1 and "no case matches" in none.stderr


def test_rules_test_junit(runner: CliRunner, tmp_path: Path) -> None:
    root = tmp_path / "pack"
    shutil.copytree(EXAMPLE, root)
    first = sorted((root / "tests").glob("*.yaml"))[0]
    first.write_text(first.read_text().replace("decision: deny", "decision: allow", 1))
    junit = tmp_path / "out" / "junit.xml"
    junit.parent.mkdir()
    result = runner.invoke(main, ["rules", "test", "--junit", str(junit), str(root)])
    assert result.exit_code == 1
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "17" and suite.get("failures") == "1"
    failures = [case for case in suite.iter("testcase") if case.find("failure") is not None]
    assert len(failures) == 1 and "expected `allow`" in (failures[0].find("failure").get("message") or "")  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ["rules", "pack", "tests", "transaction", "decision"])
def test_every_schema_is_a_valid_json_schema(runner: CliRunner, kind: str) -> None:
    result = runner.invoke(main, ["rules", "schema", kind])
    assert result.exit_code == 0
    jsonschema.Draft202012Validator.check_schema(json.loads(result.stdout))


def test_decisions_validate_against_the_decision_schema(runner: CliRunner, shipped_pack: engine.Pack) -> None:
    schema = json.loads(runner.invoke(main, ["rules", "schema", "decision"]).stdout)
    for overrides in ({}, {"product": "B200"}, {"end_use": "unknown"}, {"specs": None, "product": "Mystery"}):
        decision = engine.check(shipped_pack, tx(**overrides))
        jsonschema.validate(json.loads(decision.to_json()), schema)
    bad = json.loads(engine.check(shipped_pack, tx()).to_json())
    bad["fee_usd"] = 12
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_transactions_validate_against_the_transaction_schema(runner: CliRunner) -> None:
    schema = json.loads(runner.invoke(main, ["rules", "schema", "transaction"]).stdout)
    jsonschema.validate(tx(), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**tx(), "colour": "red"}, schema)
