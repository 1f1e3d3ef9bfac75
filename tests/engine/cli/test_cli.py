"""The `clearance` command through click's runner: exit codes, text and JSON output, the `rules` group."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from tests.conftest import EXAMPLE, SHIPPED, tx


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write_json(path: Path, data: object) -> str:
    path.write_text(json.dumps(data))
    return str(path)


@pytest.mark.parametrize(
    ("overrides", "status", "decision"),
    [
        ({}, 0, "allow"),
        ({"product": "B200"}, 1, "deny"),
        ({"end_use": "unknown", "destination": "JP", "customer": {"name": "Sakura", "country": "JP"}}, 3, "review"),
    ],
)
def test_check_exit_status_follows_the_decision(
    runner: CliRunner, tmp_path: Path, overrides: dict[str, object], status: int, decision: str
) -> None:
    path = write_json(tmp_path / "t.json", tx(**overrides))
    result = runner.invoke(main, ["check", "--json", path])
    assert result.exit_code == status, result.output
    assert json.loads(result.stdout)["decision"] == decision


def test_check_text_output_explains(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["check", write_json(tmp_path / "t.json", tx(product="B200"))])
    assert result.exit_code == 1
    assert "T-1: DENY" in result.stdout
    text = " ".join(result.stdout.split())  # the explanation is wrapped at 100 columns
    assert "CN-ROUTE-TPP-CEILING" in text and "TPP 36,000 is at or above the route's ceiling" in text
    assert "cite: 91 FR 1684" in result.stdout


def test_check_reads_yaml_from_stdin(runner: CliRunner) -> None:
    text = "id: Y-1\ndate: 2026-03-01\nproduct: H100\nquantity: 10\nunit_price_usd: 25000\ndestination: JP\n"
    text += "customer: {name: Sakura Internet Inc., country: JP}\nend_use: research\n"
    result = runner.invoke(main, ["check", "--json", "-"], input=text)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["transaction_id"] == "Y-1"


def test_check_a_list_gives_the_most_severe_status(runner: CliRunner, tmp_path: Path) -> None:
    items = [
        tx(id="A"),
        tx(id="B", product="B200"),
        tx(id="C", destination="JP", end_use=None, customer={"name": "Sakura", "country": "JP"}),
    ]
    result = runner.invoke(main, ["check", "--json", write_json(tmp_path / "l.json", items)])
    assert result.exit_code == 1
    assert [d["decision"] for d in json.loads(result.stdout)] == ["allow", "deny", "review"]


def test_invalid_transaction_exits_2_naming_each_field(runner: CliRunner, tmp_path: Path) -> None:
    path = write_json(tmp_path / "bad.json", tx(quantity=0, destination="XX"))
    result = runner.invoke(main, ["check", path])
    assert result.exit_code == 2
    assert "field `quantity`" in result.stderr and "field `destination`" in result.stderr
    assert "Traceback" not in result.output


def test_invalid_transaction_in_json_mode(runner: CliRunner, tmp_path: Path) -> None:
    items = [tx(id="A"), tx(id="B", quantity=-1)]
    result = runner.invoke(main, ["check", "--json", write_json(tmp_path / "l.json", items)])
    assert result.exit_code == 2
    body = json.loads(result.stdout)
    assert body[0]["decision"] == "allow"
    assert body[1]["error"]["code"] == "invalid_transaction"
    assert body[1]["error"]["details"][0]["field"] == "quantity"


@pytest.mark.parametrize("content", ["{not json", "id: [unclosed"])
def test_unreadable_input_exits_2(runner: CliRunner, tmp_path: Path, content: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(content)
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 2 and "neither JSON nor YAML" in result.stderr


def test_missing_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["check", str(tmp_path / "nope.json")])
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_usage_error_exits_2(runner: CliRunner) -> None:
    assert runner.invoke(main, ["check"]).exit_code == 2
    assert runner.invoke(main, ["check", "--engine", "quantum", "x"]).exit_code == 2


def test_rules_validate(runner: CliRunner, tmp_path: Path) -> None:
    ok = runner.invoke(main, ["rules", "validate", str(SHIPPED)])
    assert ok.exit_code == 0 and ok.stdout.startswith("ok: us-ai-chips 2026-01-15:")
    bad = tmp_path / "bad"
    (bad / "rules").mkdir(parents=True)
    (bad / "pack.yaml").write_text("name: bad\nversion: '1'\ntitle: t\n")
    (bad / "rules" / "r.yaml").write_text("rules:\n  - id: R\n    title: t\n    effect: deny\n    when: x > 1\n")
    result = runner.invoke(main, ["rules", "validate", str(bad)])
    assert result.exit_code == 1
    assert "rules/r.yaml:2: error[missing-field]: rule `R`: field `message` is required in rule 1" in result.stderr
    assert "rules/r.yaml:2: error[missing-cite]: rule `R`: field `cite` is required in rule 1" in result.stderr


def test_rules_test_reports_coverage_and_fails_below_minimum(runner: CliRunner) -> None:
    result = runner.invoke(main, ["rules", "test", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "17 passed, 0 failed; rule coverage 100.0%" in result.stdout
    assert runner.invoke(main, ["rules", "test", str(EXAMPLE), "--min-coverage", "100"]).exit_code == 0


def test_rules_test_fails_on_a_wrong_expectation(runner: CliRunner, tmp_path: Path) -> None:
    import shutil

    pack = tmp_path / "example"
    shutil.copytree(EXAMPLE, pack)
    cases = pack / "tests" / "cases.yaml"
    cases.write_text(
        cases.read_text().replace(
            "expect: {decision: deny, rules: [EMBARGO]", "expect: {decision: allow, rules: [EMBARGO]"
        )
    )
    result = runner.invoke(main, ["rules", "test", str(pack)])
    assert result.exit_code == 1
    assert "FAIL tests/cases.yaml:14 embargoed destination" in result.stdout
    assert "decision `deny`, expected `allow`" in result.stdout


def test_rules_test_min_coverage(runner: CliRunner, tmp_path: Path) -> None:
    import shutil

    pack = tmp_path / "example"
    shutil.copytree(EXAMPLE, pack)
    cases = pack / "tests" / "cases.yaml"
    text = cases.read_text()
    cases.write_text(text[: text.index("  - name: embargoed destination")])
    result = runner.invoke(main, ["rules", "test", str(pack), "--min-coverage", "50"])
    assert result.exit_code == 1 and "below --min-coverage 50%" in result.stderr


def test_rules_schema_is_json_schema(runner: CliRunner) -> None:
    result = runner.invoke(main, ["rules", "schema"])
    schema = json.loads(result.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    rule = schema["$defs"]["RuleSpec"]
    assert {"id", "title", "effect", "when", "message", "cite"} <= set(rule["required"])
    assert rule["additionalProperties"] is False
    assert "Condition" in schema["$defs"]
    for kind in ("pack", "tests"):
        assert json.loads(runner.invoke(main, ["rules", "schema", kind]).stdout)["type"] == "object"


def test_schema_validates_the_shipped_rule_files(runner: CliRunner) -> None:
    import jsonschema
    import yaml

    schema = json.loads(runner.invoke(main, ["rules", "schema"]).stdout)
    for path in sorted((SHIPPED / "rules").glob("*.yaml")):
        data = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
        jsonschema.validate(data, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"rules": [{"id": "R", "title": "t", "effect": "maybe"}]}, schema)


def test_rules_list_and_show(runner: CliRunner) -> None:
    listed = runner.invoke(main, ["rules", "list", str(SHIPPED), "--on", "2025-12-20"])
    assert "CN-PRESUMPTION-BEFORE-ROUTE" in listed.stdout and "CN-ROUTE-TPP-CEILING" not in listed.stdout
    shown = runner.invoke(main, ["rules", "show", "CN-ROUTE-TPP-CEILING", str(SHIPPED)])
    assert shown.exit_code == 0 and "tpp >= 21000" in shown.stdout and "cite: 91 FR 1684" in shown.stdout
    assert runner.invoke(main, ["rules", "show", "NOPE", str(SHIPPED)]).exit_code == 1


def test_text_output_gives_the_decision_id_says_each_message_once_and_tallies(
    runner: CliRunner, tmp_path: Path
) -> None:
    a = write_json(tmp_path / "a.json", tx(id="A"))
    b = write_json(tmp_path / "b.json", tx(id="B", product="B200"))
    result = runner.invoke(main, ["check", a, b])
    assert result.exit_code == 1
    header = next(line for line in result.stdout.splitlines() if line.startswith("A: ALLOW"))
    assert re.search(r"\[[0-9a-f]{32}\]$", header)
    message = "TPP 36,000 is at or above"
    assert result.stdout.count(message) == 1
    assert result.stdout.rstrip().splitlines()[-1] == "2 decisions: 1 allow, 1 deny, 0 review; fees owed USD 750,000.00"
