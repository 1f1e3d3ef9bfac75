"""Versions of rule packs in the decision log (SQLite and PostgreSQL): published after their tests pass, immutable,
pinned, diffed, simulated over logged decisions, replayed bit for bit; and the log's hash chain naming a row
edited or removed behind its back."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

import engine
from api.cli import main
from engine.store import Conflict, DecisionLog, StoreError
from tests.conftest import tx
from tests.generators import generate

FEE_FILE = Path("rules") / "20-china-route.yaml"


@pytest.fixture
def versions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The shipped pack, and a copy whose China-route fee is 30% instead of 25%."""
    monkeypatch.setenv("CLEARANCE_CACHE", str(tmp_path / "cache"))
    first = tmp_path / "v1"
    shutil.copytree(engine.default_pack_path(), first)
    second = tmp_path / "v2"
    shutil.copytree(first, second)
    rules = second / FEE_FILE
    rules.write_text(
        rules.read_text().replace(
            "fee: {rate: 0.25, of: transaction_value}", "fee: {rate: 0.30, of: transaction_value}"
        )
    )
    for case in (second / "tests").glob("*.yaml"):  # the pack's own expectations follow the new rate
        case.unlink()
    return first, second


def test_publishing_runs_the_tests_and_a_version_cannot_be_altered(
    store: DecisionLog, versions: tuple[Path, Path]
) -> None:
    first, second = versions
    record, created = store.publish(first, "the second edition", by="alice")
    assert created and record["label"] == "2026-01-15" and record["digest"] == engine.load_pack(first).digest
    assert store.publish(first, "again", by="bob") == (record, False)  # the same content: the same version
    with pytest.raises(StoreError, match="has no tests"):
        store.publish(second, "30% fee", by="alice")
    shutil.rmtree(second / "tests")
    shutil.copytree(first / "tests", second / "tests")
    with pytest.raises(StoreError, match=r"50 of its \d+ tests fail"):  # the pack's own fee cases expect 25%
        store.publish(second, "30% fee", by="alice")
    # a version keeps its files: editing the directory after publishing changes nothing published
    (first / FEE_FILE).write_text((first / FEE_FILE).read_text().replace("rate: 0.25", "rate: 0.26"))
    assert store.load_version("2026-01-15").digest == record["digest"]
    manifest = first / "pack.yaml"
    manifest.write_text(manifest.read_text().replace("title:", "title: (edited)", 1))
    (first / FEE_FILE).write_text((first / FEE_FILE).read_text().replace("rate: 0.26", "rate: 0.25"))
    with pytest.raises(Conflict, match="already published with other content"):
        store.publish(first, "same label, other content", by="mallory")
    with store.engine.connect() as connection:
        assert connection.execute(text("select count(*) from rulesets")).scalar() == 1


def publish_both(store: DecisionLog, versions: tuple[Path, Path], activate: bool = True) -> None:
    """Both versions published, and the second (the 30% fee) put in force."""
    first, second = versions
    store.publish(first, "the second edition", by="alice")
    fee_cases = second / "tests" / "fee_rate.yaml"
    fee_cases.write_text(
        "cases:\n  - name: an allowed H200 line still pays a fee\n"
        f"    transaction: {json.dumps(tx(id='FEE-1'))}\n    expect: {{decision: allow}}\n"
    )
    store.publish(second, "China-route fee raised to 30%", by="alice", label="2026-06-01")
    if activate:
        store.activate("us-ai-chips@2026-06-01", "the 30% fee", by="alice")


def test_diff_names_the_rule_and_the_field_that_changed(store: DecisionLog, versions: tuple[Path, Path]) -> None:
    publish_both(store, versions)
    result = CliRunner().invoke(main, ["rules", "diff", "2026-01-15", "2026-06-01", "--json", "--database", store.url])
    assert result.exit_code == 0, result.output
    changed = json.loads(result.output)["rules"]["changed"]
    assert [c["id"] for c in changed] == ["FEE-SECTION-232"]
    assert changed[0]["changes"] == [
        {
            "field": "fee",
            "from": '{"rate": 0.25, "of": "transaction_value"}',
            "to": '{"rate": 0.3, "of": "transaction_value"}',
        }
    ]
    text_out = (
        CliRunner().invoke(main, ["rules", "diff", str(versions[0]), "2026-06-01", "--database", store.url]).output
    )
    assert "rule changed: FEE-SECTION-232" in text_out and "0.25" in text_out and "0.3" in text_out


def test_simulation_over_logged_decisions_finds_exactly_the_fees_that_change(
    store: DecisionLog, versions: tuple[Path, Path]
) -> None:
    publish_both(store, versions)
    current = store.load_version("2026-01-15")
    mix = [*generate(700, seed=13), *(tx(id=f"FEE-{i}", quantity=1 + i) for i in range(300))]  # China-route lines
    logged = [store.submit(current, engine.parse_transaction(data))[0] for data in mix]
    expected = sum(
        1 for d in logged if d["decision"] == "allow" and "FEE-SECTION-232" in [f["rule"] for f in d["findings"]]
    )
    assert expected > 10
    result = CliRunner().invoke(main, ["simulate", "--candidate", str(versions[1]), "--against", "2026-01-15", "--json",
                                       "--database", store.url])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["checked"] == 1000 and report["flipped"] == 0
    assert report["fee_changes"] == expected and report["rule_changes"] == 0
    example = report["examples"][0]
    assert Decimal(example["to"]["fee_usd"]) / Decimal(example["from"]["fee_usd"]) == Decimal("1.2")


def test_replay_reproduces_every_logged_decision(store: DecisionLog, versions: tuple[Path, Path]) -> None:
    store.publish(versions[0], "the second edition", by="alice")
    pack = store.load_version("2026-01-15")
    line = tx(date="2026-03-15", destination="MO", license_number="L-2026-0004", quantity=100, unit_price_usd="30000",
              customer={"id": "C-MAC", "name": "Macau Data Services Ltd.", "country": "MO"})  # fmt: skip
    ids = [store.submit(pack, engine.parse_transaction({**line, "id": f"M-{i}"}))[0]["decision_id"] for i in range(22)]
    ids += [store.submit(pack, engine.parse_transaction(d))[0]["decision_id"] for d in generate(150, seed=21)]
    for decision_id in ids:  # the depleted ones included: the facts they read are replayed with them
        stored, again = store.replay(decision_id)
        assert stored == again, decision_id
    result = CliRunner().invoke(main, ["replay", ids[21], "--database", store.url])
    assert result.exit_code == 0 and "identical (deny" in result.output


def test_check_pins_a_published_version(store: DecisionLog, versions: tuple[Path, Path], tmp_path: Path) -> None:
    publish_both(store, versions)
    path = tmp_path / "t.json"
    path.write_text(json.dumps(tx()))
    for label, fee in (("2026-01-15", "750000.00"), ("2026-06-01", "900000.00")):
        result = CliRunner().invoke(main, ["check", str(path), "--json", "--ruleset", label, "--database", store.url])
        assert json.loads(result.output)["fee_usd"] == fee, result.output


def test_log_verify_names_a_row_edited_or_removed_behind_its_back(store: DecisionLog) -> None:
    pack = engine.load_pack()
    for data in generate(12, seed=3):
        store.submit(pack, engine.parse_transaction(data))
    runner = CliRunner()
    intact = runner.invoke(main, ["log", "verify", "--database", store.url])
    assert intact.exit_code == 0 and "12 entries checked (unkeyed): the chain is intact" in intact.output
    with store.engine.begin() as connection:
        connection.execute(text("update decisions set transaction_id = 'FORGED' where seq = 5"))
    edited = runner.invoke(main, ["log", "verify", "--database", store.url])
    assert edited.exit_code == 1 and "entry 5 (" in edited.output and "FORGED" in edited.output
    assert "entry 6" not in edited.output  # only the entry touched
    with store.engine.begin() as connection:
        connection.execute(
            text("delete from reviews where decision_id in (select decision_id from decisions where seq = 8)")
        )
        connection.execute(text("delete from decisions where seq = 8"))
        connection.execute(
            text("delete from reviews where decision_id in (select decision_id from decisions where seq = 12)")
        )
        connection.execute(text("delete from decisions where seq = 12"))
    removed = runner.invoke(main, ["log", "verify", "--database", store.url]).output
    assert "entry 9 (" in removed and "entries are missing at the end" in removed


def test_log_verify_names_a_searched_column_edited_behind_its_back(store: DecisionLog) -> None:
    """The columns beside the hashed content (what `log list` shows and filters on) must agree with it: a deny
    turned into an allow there would hide it from `log list --decision deny`."""
    pack = engine.load_pack()
    for data in generate(6, seed=5):
        store.submit(pack, engine.parse_transaction(data))
    runner = CliRunner()
    assert runner.invoke(main, ["log", "verify", "--database", store.url]).exit_code == 0
    edits = {
        2: "outcome = case when outcome = 'allow' then 'deny' else 'allow' end",
        3: "fee_usd = fee_usd + 1",
        4: "customer_name = 'Someone Else Ltd'",
        5: "evaluated_at = evaluated_at - interval '1 day'" if store.url.startswith("postgresql") else
           "evaluated_at = '2020-01-01 00:00:00.000000'",
    }  # fmt: skip
    with store.engine.begin() as connection:
        for seq, change in edits.items():
            connection.execute(text(f"update decisions set {change} where seq = {seq}"))
    result = runner.invoke(main, ["log", "verify", "--database", store.url])
    assert result.exit_code == 1, result.output
    for seq, column in ((2, "outcome"), (3, "fee_usd"), (4, "customer_name"), (5, "evaluated_at")):
        assert f"entry {seq} (" in result.output and f"`{column}` column disagrees" in result.output, result.output
    assert "entry 1 (" not in result.output and "entry 6 (" not in result.output


def test_the_api_publishes_lists_diffs_activates_simulates_and_judges_under_the_version_in_force(
    client: Any, keys: dict[str, dict[str, str]], versions: tuple[Path, Path]
) -> None:
    from engine.store.versions import pack_files

    first, second = versions
    body = {"files": pack_files(first), "note": "the second edition"}
    assert client.post("/v1/rulesets", json=body, headers=keys["submitter"]).status_code == 403
    published = client.post("/v1/rulesets", json=body, headers=keys["rules-admin"])
    assert published.status_code == 201, published.text
    assert client.post("/v1/rulesets", json=body, headers=keys["rules-admin"]).status_code == 200
    failing = client.post(
        "/v1/rulesets", json={"files": pack_files(second), "note": "no tests"}, headers=keys["rules-admin"]
    )
    assert failing.status_code == 422 and "no tests" in failing.json()["error"]["message"]
    fee_cases = second / "tests" / "fee_rate.yaml"
    fee_cases.write_text(
        f"cases:\n  - name: fee\n    transaction: {json.dumps(tx(id='FEE-1'))}\n    expect: {{decision: allow}}\n"
    )
    newer = {"files": pack_files(second), "note": "30% fee", "label": "2026-06-01"}
    assert client.post("/v1/rulesets", json=newer, headers=keys["rules-admin"]).status_code == 201
    activation = {"note": "the 30% fee"}
    path = "/v1/rulesets/us-ai-chips/2026-06-01/activate"
    assert client.post(path, json=activation, headers=keys["auditor"]).status_code == 403
    assert client.post(path, json=activation, headers=keys["rules-admin"]).json()["in_force"] is True
    listed = client.get("/v1/rulesets", headers=keys["auditor"]).json()["items"]
    assert [v["label"] for v in listed] == ["2026-01-15", "2026-06-01"]
    shown = client.get("/v1/rulesets/us-ai-chips/2026-06-01", headers=keys["auditor"]).json()
    assert shown["note"] == "30% fee" and "pack.yaml" in shown["files"]
    changed = client.get("/v1/rulesets/us-ai-chips/diff?from=2026-01-15&to=2026-06-01", headers=keys["auditor"]).json()
    assert [c["id"] for c in changed["rules"]["changed"]] == ["FEE-SECTION-232"]
    # decisions: judged under the version in force (the newest published); another is pinned only by an auditor
    newest = client.post("/v1/decisions", json=tx(id="N-1"), headers=keys["submitter"]).json()
    pinned = client.post("/v1/decisions?ruleset=us-ai-chips@2026-01-15", json=tx(id="N-2"), headers=keys["auditor"])
    assert pinned.status_code == 200 and pinned.json()["pinned"]["stored"] is False
    assert (newest["fee_usd"], pinned.json()["fee_usd"]) == ("900000.00", "750000.00")
    assert newest["ruleset"]["digest"] != pinned.json()["ruleset"]["digest"]
    missing = client.post("/v1/decisions?ruleset=nope", json=tx(id="N-3"), headers=keys["auditor"])
    assert missing.status_code == 404
    simulated = client.post(
        "/v1/simulations",
        json={"candidate": pack_files(first), "against": "us-ai-chips@2026-06-01"},
        headers=keys["auditor"],
    ).json()
    assert simulated["checked"] == 1 and simulated["fee_changes"] == 1 and simulated["flipped"] == 0


def test_rules_list_and_show_read_published_versions(store: DecisionLog, versions: tuple[Path, Path]) -> None:
    publish_both(store, versions)
    runner = CliRunner()
    listed = runner.invoke(main, ["rules", "list", "--published", "--database", store.url])
    assert listed.exit_code == 0 and "2026-01-15" in listed.output and "China-route fee raised to 30%" in listed.output
    shown = runner.invoke(
        main, ["rules", "show", "FEE-SECTION-232", "--ruleset", "2026-06-01", "--database", store.url]
    )
    assert shown.exit_code == 0 and "rate: '0.3'" in shown.output, shown.output


def test_simulating_a_lower_threshold_flips_exactly_the_route_lines_between_the_thresholds(
    store: DecisionLog, versions: tuple[Path, Path]
) -> None:
    from engine.store.simulate import simulate

    first, _ = versions
    store.publish(first, "the second edition", by="alice")
    current = store.load_version("2026-01-15")
    candidate_dir = first.parent / "ceiling"
    shutil.copytree(first, candidate_dir)
    route = candidate_dir / "rules" / "20-china-route.yaml"
    route.write_text(
        route.read_text().replace("- tpp >= 21000", "- tpp >= 15000").replace("tpp < 21000 and", "tpp < 15000 and")
    )
    candidate = engine.load_pack(candidate_dir)
    mix = [*generate(700, seed=13), *(tx(id=f"CEIL-{i}", quantity=1 + i) for i in range(300))]
    logged = {d["transaction_id"]: d for d in (store.submit(current, engine.parse_transaction(m))[0] for m in mix)}
    report = simulate(current, candidate, store.logged(), examples=10_000)
    assert report["checked"] == 1000
    # the changed threshold reaches exactly the China-route items with 15,000 <= TPP < 21,000
    destination = {m["id"]: m["destination"] for m in mix if str(m["date"]) >= "2026-01-15"}  # the route's dates
    between = {  # controlled items to the route's destinations, between the two thresholds
        tid
        for tid, d in logged.items()
        if 15000 <= (d["classification"].get("tpp") or 0) < 21000
        and str(d["classification"].get("eccn", "")).startswith("3A090")
        and destination.get(tid) in ("CN", "HK", "MO")
    }
    touched = {e["transaction_id"] for e in report["examples"] if "CN-ROUTE-TPP-CEILING" in e["to"]["rules"]}
    assert len(between) >= 300
    # listed: the lines whose decision or fee changes; a line denied already gains a rule, and is only counted
    assert touched == {t for t in between if logged[t]["decision"] != "deny"}
    assert report["rule_changes"] == len(between - touched) > 0
    flipped = {
        e["transaction_id"]
        for e in report["examples"]
        if e["change"].endswith("-> deny") and e["change"] != "deny -> deny"
    }
    assert flipped == {t for t in between if logged[t]["decision"] != "deny"}
    assert report["flips"].get("allow -> deny", 0) >= 100 and report["flipped"] == len(flipped)
    assert "CN-ROUTE-TPP-CEILING" in report["rules_responsible"]


def test_the_command_line_judges_under_the_version_in_force(
    store: DecisionLog, versions: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(tx()))
    runner = CliRunner()
    monkeypatch.setenv("CLEARANCE_DATABASE", store.url)
    before = runner.invoke(main, ["check", str(path), "--json"])
    assert json.loads(before.stdout)["fee_usd"] == "750000.00"  # nothing published: the working directory
    publish_both(store, versions)
    after = runner.invoke(main, ["check", str(path), "--json"])
    assert json.loads(after.stdout)["fee_usd"] == "900000.00" and "2026-06-01" in after.stderr


def test_15_a_stray_clearance_db_in_the_working_directory_never_changes_the_rules(
    versions: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user who followed the guides has `./clearance.db` holding a newer version; `check` without --database
    (or $CLEARANCE_DATABASE) still judges under the pack directory, and says nothing about that log."""
    work = tmp_path / "work"
    work.mkdir()
    stray = DecisionLog(str(work / "clearance.db"))
    stray.migrate()
    publish_both(stray, versions)
    stray.close()
    path = tmp_path / "t.json"
    path.write_text(json.dumps(tx()))
    monkeypatch.chdir(work)
    monkeypatch.delenv("CLEARANCE_DATABASE", raising=False)
    result = CliRunner().invoke(main, ["check", str(path), "--json"])
    assert json.loads(result.stdout)["fee_usd"] == "750000.00" and result.stderr == ""
    named = CliRunner().invoke(main, ["check", str(path), "--json", "--database", "clearance.db"])
    assert json.loads(named.stdout)["fee_usd"] == "900000.00"  # named, it is read


def test_13_publishing_refuses_a_symbolic_link_and_stores_nothing_from_outside(
    store: DecisionLog, versions: tuple[Path, Path], tmp_path: Path
) -> None:
    first, _ = versions
    secret = tmp_path / "secret.txt"
    secret.write_text("the exporter's private notes")
    (first / "data" / "notes.txt").symlink_to(secret)
    result = CliRunner().invoke(main, ["rules", "publish", str(first), "--note", "n", "--database", store.url])
    assert result.exit_code == 2 and "data/notes.txt: error[outside-pack]" in result.output, result.output
    assert store.versions() == []
    (first / "data" / "notes.txt").unlink()
    (first / "data" / "linked").symlink_to(tmp_path, target_is_directory=True)  # a linked folder too
    with pytest.raises(engine.PackError, match="data/linked"):
        store.publish(first, "n")


@pytest.mark.parametrize(
    "files, message",
    [
        ({"rules": "x", "rules/10.yaml": "rules: []"}, "`rules` is given both as a file and as the folder"),
        ({"pack.yaml/x": "y"}, "`pack.yaml` is given both as a file"),
        ({"../up.yaml": "y"}, "not a relative path inside the pack"),
        ({"/abs.yaml": "y"}, "not a relative path inside the pack"),
        ({"data/\x00.csv": "y"}, "holds a NUL character"),
    ],
)
def test_12_publishing_a_file_that_collides_with_a_folder_is_a_4xx(
    client: Any, keys: dict[str, dict[str, str]], files: dict[str, str], message: str
) -> None:
    from engine.store.versions import pack_files

    body = {"files": {**pack_files(engine.default_pack_path()), **files}, "note": "n"}
    for route, payload in (("/v1/rulesets", body), ("/v1/simulations", {"candidate": body["files"]})):
        response = client.post(route, json=payload, headers=keys["rules-admin"])
        assert response.status_code == 422, response.text
        assert message in json.dumps(response.json()["error"])
