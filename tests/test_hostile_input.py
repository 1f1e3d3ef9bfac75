"""Hostile input, through the real interfaces: one test per defect found by trying to break the engine.

Each test is named after the defect it closes (numbers follow the hardening issue's list). Items 1 and 2
(durable decimals, screening evasion) are tested beside their modules, in tests/engine/durable and
tests/engine/screening; input-contract items also have unit tests in tests/engine/contract."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import engine
from engine.cli import main
from tests.conftest import EXAMPLE, ROOT, tx

H = ROOT / "examples" / "transactions" / "h200-china-allowed.json"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def check(runner: CliRunner, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(main, ["check", *args], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def write(path: Path, text: str | bytes) -> str:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


def h_with(**overrides: object) -> dict[str, object]:
    return {**json.loads(H.read_text()), **overrides}


# wrong decisions ------------------------------------------------------------------------------------------------
def test_3_a_license_matched_by_id_alone_is_reviewed(runner: CliRunner, tmp_path: Path) -> None:
    data = h_with(customer={"id": "C-ALI", "name": "Totally Different Corp", "country": "CN"})
    status, out, _ = check(runner, "--json", write(tmp_path / "t.json", json.dumps(data)))
    decision = json.loads(out)
    assert status == 3 and decision["decision"] == "review"
    assert "LICENSE-HOLDER-MISMATCH" in [f["rule"] for f in decision["findings"]]
    assert "registered to `Alibaba Cloud Computing Ltd.`, not `Totally Different Corp`" in decision["explanation"]


def test_4_duplicate_keys_are_invalid_in_json_and_yaml(runner: CliRunner, tmp_path: Path) -> None:
    text = H.read_text().replace('"destination": "CN",', '"destination": "CN", "destination": "JP",')
    status, _, err = check(runner, write(tmp_path / "t.json", text))
    assert status == 2 and "duplicate key `destination`" in err
    yaml_text = "id: T\ndate: 2026-03-01\ndestination: CN\ndestination: JP\n"
    status, _, err = check(runner, write(tmp_path / "t.yaml", yaml_text))
    assert status == 2 and "t.yaml:4: duplicate key `destination`" in err


def test_5_a_decimal_comma_is_invalid_not_a_hundredfold_fee(runner: CliRunner, tmp_path: Path) -> None:
    status, _, err = check(runner, write(tmp_path / "t.json", json.dumps(h_with(unit_price_usd="31500,50"))))
    assert status == 2 and "field `unit_price_usd`: `31500,50` is not a number" in err


# hangs, resource blow-ups, escapes -------------------------------------------------------------------------------
REDOS_RULE = """\
rules:
  - id: REDOS
    title: evil pattern
    effect: review
    when: 'matches(customer.name, "^(a+)+$")'
    message: m
    cite: c
"""


@pytest.mark.parametrize("backend", ["native", "durable"])
def test_6_a_backtracking_regex_cannot_hang_evaluation(write_pack: object, backend: str) -> None:
    root = write_pack({"r.yaml": REDOS_RULE})  # type: ignore[operator]
    pack = engine.load_pack(root)
    with engine.make_backend(pack, backend) as judge:  # type: ignore[attr-defined]
        start = time.perf_counter()
        decision = judge.evaluate(engine.parse_transaction(tx(customer={"name": "a" * 34 + "b"})))
        assert time.perf_counter() - start < 2.0
    assert decision.rules == []
    assert engine.evaluate(pack, engine.parse_transaction(tx(customer={"name": "aaaa"}))).rules == ["REDOS"]


def test_7_a_pack_cannot_read_or_print_files_outside_it(runner: CliRunner, tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("code,col\nS,TOP-SECRET\n")
    pack = tmp_path / "pack"
    shutil.copytree(EXAMPLE, pack)
    manifest = (pack / "pack.yaml").read_text()
    (pack / "pack.yaml").write_text(manifest.replace("tables:\n", "tables:\n  s: {file: ../secret.csv, key: code}\n"))
    result = runner.invoke(main, ["rules", "validate", "--json", str(pack)])
    assert result.exit_code == 1
    (d,) = json.loads(result.stdout)["diagnostics"]
    assert d["code"] == "outside-pack" and "TOP-SECRET" not in result.output


def test_8_a_huge_format_width_is_a_load_error(write_pack: object) -> None:
    text = REDOS_RULE.replace("message: m", 'message: "{quantity:>900000000}"').replace("^(a+)+$", "x")
    with pytest.raises(engine.PackError) as info:
        engine.load_pack(write_pack({"r.yaml": text}))  # type: ignore[operator]
    assert [d.code for d in info.value.diagnostics] == ["bad-template"]


def test_9_yaml_aliases_cannot_amplify_a_rule_file(write_pack: object) -> None:
    lines = ["a0: &a0 [x, x, x, x]"] + [
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)
    ]
    bomb = "\n".join(lines) + "\nrules: []\n"
    assert len(bomb) < 1000
    start = time.perf_counter()
    with pytest.raises(engine.PackError) as info:
        engine.load_pack(write_pack({"bomb.yaml": bomb}))  # type: ignore[operator]
    assert time.perf_counter() - start < 2.0
    assert info.value.diagnostics[0].code == "yaml-syntax" and "aliases" in info.value.diagnostics[0].message


def test_9_a_long_literal_list_loads_in_linear_time(write_pack: object) -> None:
    members = ", ".join(f'"P{i}"' for i in range(8000))
    text = REDOS_RULE.replace('matches(customer.name, "^(a+)+$")', f"product in [{members}]")
    start = time.perf_counter()
    engine.load_pack(write_pack({"r.yaml": text}))  # type: ignore[operator]
    assert time.perf_counter() - start < 5.0  # 62 s before


def test_10_a_ten_megabyte_name_is_invalid_input_at_once(runner: CliRunner, tmp_path: Path) -> None:
    data = h_with(customer={"name": "A" * 10_000_000, "country": "CN"})
    start = time.perf_counter()
    status, _, err = check(runner, write(tmp_path / "t.json", json.dumps(data)))
    assert status == 2 and "field `customer.name`: is longer than 500 characters" in err
    assert time.perf_counter() - start < 10.0 and len(err) < 1000


def test_10_json_output_is_streamed_one_decision_at_a_time(runner: CliRunner, tmp_path: Path) -> None:
    items = [h_with(id=f"T-{i}") for i in range(300)]
    status, out, _ = check(runner, "--json", write(tmp_path / "t.json", json.dumps(items)))
    decisions = json.loads(out)
    assert status == 0 and [d["transaction_id"] for d in decisions] == [f"T-{i}" for i in range(300)]


def test_11_fee_overflow_is_invalid_input(runner: CliRunner, tmp_path: Path) -> None:
    status, _, err = check(runner, write(tmp_path / "a.json", json.dumps(h_with(quantity=10**26))))
    assert status == 2 and "field `quantity`: input should be less than or equal to 1000000000" in err
    text = H.read_text().replace('"quantity": 256', '"quantity": ' + "9" * 5000)
    status, _, err = check(runner, write(tmp_path / "b.json", text))
    assert status == 2 and "field `quantity`" in err


def test_12_control_characters_cannot_forge_output(runner: CliRunner, tmp_path: Path) -> None:
    data = h_with(
        id="T-1\nEX-FAKE: ALLOW  fee USD 0.00", customer={"name": "Acme\x1b[2K\rFAKE: ALLOW", "country": "CN"}
    )
    status, out, err = check(runner, write(tmp_path / "t.json", json.dumps(data)))
    assert status == 2
    assert "\x1b" not in err and not any(line.startswith("EX-FAKE") for line in (out + err).splitlines())
    assert "field `id`: holds a control or bidirectional-formatting character" in err


# tracebacks where a named error is promised ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "text", "fragment"),
    [
        ("deep.json", "[" * 1000 + "]" * 1000, "nested too deeply"),
        ("deep.yaml", "a:\n" + "".join(" " * (i + 1) + "- \n" for i in range(600)), ""),
        ("date.yaml", "id: T\ndate: 2026-02-30\nquantity: 1\n", "`2026-02-30` is not a date"),
        ("digits.json", '{"id": "T", "quantity": ' + "1" * 5000 + "}", "field `quantity`"),
        ("bytes.json", b'{"id": "\xff\xfe"}', "not UTF-8 text"),
    ],
)
def test_13_malformed_documents_are_named_errors(
    runner: CliRunner, tmp_path: Path, name: str, text: str | bytes, fragment: str
) -> None:
    status, _, err = check(runner, write(tmp_path / name, text))
    assert status == 2 and "Traceback" not in err
    assert fragment in err and err.startswith(str(tmp_path / name))


@pytest.mark.parametrize(
    ("file", "content", "code"),
    [
        ("data/things.csv", b"code,size\nA,\xff\n", "not-utf8"),
        ("data/things.csv", 'code,size\nA,"' + "x" * 200_000 + '"\n', "bad-table"),
        ("tests/t.yaml", b"cases:\n  - name: \xff\n", "not-utf8"),
    ],
)
def test_13_malformed_pack_files_are_diagnostics(
    runner: CliRunner, write_pack: object, file: str, content: str | bytes, code: str
) -> None:
    root = write_pack({"r.yaml": REDOS_RULE.replace("^(a+)+$", "x")})  # type: ignore[operator]
    target = root / file
    target.parent.mkdir(parents=True, exist_ok=True)
    write(target, content)
    result = runner.invoke(main, ["rules", "validate", "--json", str(root)])
    assert (result.exit_code == 1 and result.exception is None) or isinstance(result.exception, SystemExit)
    codes = [d["code"] for d in json.loads(result.stdout)["diagnostics"]]
    assert code in codes


# lost or misleading output ----------------------------------------------------------------------------------------
def test_14_every_file_gets_a_decision_or_an_error(runner: CliRunner, tmp_path: Path) -> None:
    a = write(tmp_path / "a.json", json.dumps(h_with(id="A")))
    b = write(tmp_path / "b.json", json.dumps(h_with(id="B", product="B200")))
    status, out, _ = check(runner, "--json", a, b, str(tmp_path / "missing.json"))
    entries = json.loads(out)
    assert status == 2
    assert [e.get("transaction_id") for e in entries[:2]] == ["A", "B"]
    assert (
        entries[2]["error"]["code"] == "invalid_document"
        and "missing.json: cannot read" in entries[2]["error"]["message"]
    )


def test_14_no_transactions_is_invalid_input(runner: CliRunner, tmp_path: Path) -> None:
    status, _, err = check(runner, write(tmp_path / "empty.json", "[]"))
    assert status == 2 and "no transactions" in err


def test_14_screening_an_empty_name_is_a_usage_error(runner: CliRunner) -> None:
    for name in ("", "   "):
        result = runner.invoke(main, ["screen", name])
        assert result.exit_code == 2 and "give the name of a party" in result.stderr


def test_15_a_price_of_minus_zero_owes_no_negative_fee(runner: CliRunner, tmp_path: Path) -> None:
    status, out, _ = check(runner, "--json", write(tmp_path / "t.json", json.dumps(h_with(unit_price_usd="-0"))))
    decision = json.loads(out)
    assert status == 0 and decision["fee_usd"] == "0.00" and decision["fee_if_allowed_usd"] == "0.00"
    assert "-0.00" not in out and "-0.00" not in decision["explanation"]
