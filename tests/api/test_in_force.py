"""The rules in force (issue 22): publishing stores a version, activating puts it in force (a chained entry of
the log with who, when and why), rolling back is activating an earlier one; a running server takes an activation
on every worker process within seconds; shadow mode judges live decisions again under a candidate without
touching the answers or the licenses; a simulation judges as if every transaction shipped on a given day."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import engine
from api.app import create_app
from api.cli import main
from engine.store import DecisionLog
from engine.store.facts import RecordedFacts
from tests.api.conftest import server
from tests.conftest import tx

FEE_FILE = Path("rules") / "20-china-route.yaml"
VOLATILE = ("decision_id", "evaluated_at", "transaction_id")


@pytest.fixture
def packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The shipped pack, and a copy whose China-route fee is 30% (with a case of its own)."""
    monkeypatch.setenv("CLEARANCE_CACHE", str(tmp_path / "cache"))
    first, second = tmp_path / "v1", tmp_path / "v2"
    shutil.copytree(engine.default_pack_path(), first)
    shutil.copytree(first, second)
    rules = second / FEE_FILE
    rules.write_text(
        rules.read_text().replace(
            "fee: {rate: 0.25, of: transaction_value}", "fee: {rate: 0.30, of: transaction_value}"
        )
    )
    for case in (second / "tests").glob("*.yaml"):
        case.unlink()
    (second / "tests" / "fee.yaml").write_text(
        f"cases:\n  - name: fee\n    transaction: {json.dumps(tx(id='FEE-1'))}\n    expect: {{decision: allow}}\n"
    )
    return first, second


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def without_ids(decision: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in decision.items() if k not in VOLATILE}


def test_publish_without_activation_changes_nothing_and_says_so(store: DecisionLog, packs: tuple[Path, Path]) -> None:
    first, second = packs
    db = ("--database", store.url)
    code, output = cli("rules", "publish", str(first), "--note", "first", "--activate", *db)
    assert code == 0 and "published: us-ai-chips 2026-01-15" in output and "(in force)" in output, output
    code, output = cli("rules", "publish", str(second), "--note", "30%", "--label", "2026-06-01", *db)
    assert code == 0 and "(not in force)" in output and "rules activate us-ai-chips@2026-06-01" in output, output
    assert store.in_force("us-ai-chips")["label"] == "2026-01-15"
    again = cli("rules", "publish", str(first), "--note", "again", "--label", "2026-01-15-rollback", *db)[1]
    assert "already published as us-ai-chips 2026-01-15 (asked for `2026-01-15-rollback`)" in again
    assert "(in force)" in again
    code, listed = cli("rules", "versions", *db)
    assert code == 0 and listed.splitlines()[0].startswith("* ") and listed.splitlines()[1].startswith("  "), listed
    data = json.loads(cli("rules", "versions", "--json", *db)[1])
    assert [v["in_force"] for v in data["versions"]] == [True, False] and len(data["activations"]) == 1


def test_activation_and_rollback_on_a_server_with_two_workers(tmp_path: Path, packs: tuple[Path, Path]) -> None:
    first, second = packs
    store = DecisionLog(str(tmp_path / "two-workers.db"))  # (PostgreSQL behind several servers: test_servers)
    store.migrate()
    store.publish(first, "first", by="ana")
    store.publish(second, "30%", by="ana", label="2026-06-01")
    store.activate("us-ai-chips@2026-01-15", "the shipped rules", by="ana")
    key, admin = store.create_key("submitter"), store.create_key("rules-admin")
    headers = {"Authorization": f"Bearer {key}"}
    with server(store.url, workers=2) as base, httpx.Client(base_url=base, timeout=30) as http:

        def fees(prefix: str, count: int = 12) -> set[str]:
            answers = [http.post("/v1/decisions", json=tx(id=f"{prefix}-{i}"), headers=headers) for i in range(count)]
            return {a.json()["fee_usd"] for a in answers}

        def wait_for(label: str) -> None:
            deadline = time.monotonic() + 15  # servers ask the log every 5 s: each process within that
            while http.get("/readyz").json()["ruleset"]["label"] != label:
                assert time.monotonic() < deadline, f"{label} not in force"
                time.sleep(0.2)

        japan = tx(id="J-0", destination="JP", customer={"name": "Sakura Internet Inc.", "country": "JP"})
        before_japan = http.post("/v1/decisions", json=japan, headers=headers).json()
        before = http.post("/v1/decisions", json=tx(id="B-0"), headers=headers).json()
        assert before["fee_usd"] == "750000.00" and before["ruleset"]["label"] == "2026-01-15"
        activated = http.post(
            "/v1/rulesets/us-ai-chips/2026-06-01/activate", json={"note": "the 30% fee"},
            headers={"Authorization": f"Bearer {admin}"},
        )  # fmt: skip
        assert activated.status_code == 200 and activated.json()["previous"] == before["ruleset"]["digest"]
        wait_for("2026-06-01")
        time.sleep(5.5)  # every worker has asked the log since
        assert fees("A", 16) == {"900000.00"}  # on both processes
        code, output = cli(
            "rules", "activate", "us-ai-chips@2026-01-15", "--note", "roll back", "--database", store.url
        )
        assert code == 0 and "in force: us-ai-chips 2026-01-15" in output
        wait_for("2026-01-15")
        time.sleep(5.5)
        assert fees("R", 16) == {"750000.00"}
        after_japan = http.post("/v1/decisions", json={**japan, "id": "J-1"}, headers=headers).json()
    assert without_ids(after_japan) == without_ids(before_japan)  # the earlier answers, byte for byte
    # and the licensed line: the version in force again judges it as it did, with the facts it read then
    rolled_back = store.load_version(store.in_force("us-ai-chips")["digest"])
    logged = store.get("B-0")
    again = engine.evaluate(rolled_back, engine.parse_transaction(logged["transaction"]), RecordedFacts(
        store_facts(store, "B-0")))  # fmt: skip
    assert without_ids(again.as_dict()) == without_ids(before)
    kinds = [(e["kind"], e["body"].get("label")) for e in store.events("version-activated")]
    assert kinds == [("version-activated", "2026-01-15"), ("version-activated", "2026-06-01"),
                     ("version-activated", "2026-01-15")][::-1]  # fmt: skip
    assert store.verify().problems == []
    store.close()


def store_facts(store: DecisionLog, transaction_id: str) -> Any:
    from sqlalchemy import select

    from engine.store.schema import decisions

    with store.engine.connect() as connection:
        return connection.execute(
            select(decisions.c.facts).where(decisions.c.transaction_id == transaction_id)
        ).scalar_one()


def test_every_decision_names_the_label_it_was_judged_under(
    store: DecisionLog, packs: tuple[Path, Path], shipped_pack: engine.Pack
) -> None:
    _, second = packs
    store.publish(second, "30%", by="ana", label="2026-06-01")
    with TestClient(create_app(shipped_pack, store)) as client:
        headers = {"Authorization": f"Bearer {store.create_key('submitter')}"}
        unpublished = client.post("/v1/decisions", json=tx(id="U-1"), headers=headers).json()
        assert unpublished["ruleset"]["label"] is None and client.get("/readyz").json()["ruleset"]["label"] is None
        store.activate("us-ai-chips@2026-06-01", "the 30% fee", by="ana")
        client.app.state.services.versions.stale()
        decided = client.post("/v1/decisions", json=tx(id="U-2"), headers=headers).json()
        ready = client.get("/readyz").json()["ruleset"]
    assert decided["ruleset"]["label"] == "2026-06-01" and decided["ruleset"]["version"] == "2026-01-15"
    assert ready == decided["ruleset"]
    assert store.get("U-2")["ruleset"]["label"] == "2026-06-01"


def test_the_command_line_judges_under_the_version_in_force_only_with_a_log_named(
    store: DecisionLog, packs: tuple[Path, Path], tmp_path: Path
) -> None:
    _, second = packs
    store.publish(second, "30%", by="ana", label="2026-06-01")
    path = tmp_path / "t.json"
    path.write_text(json.dumps(tx()))
    published_only = CliRunner().invoke(main, ["check", str(path), "--json", "--database", store.url])
    assert json.loads(published_only.stdout)["fee_usd"] == "750000.00"  # published, not activated: not in force
    assert "no version activated there" in published_only.stderr
    store.activate("us-ai-chips@2026-06-01", "the 30% fee", by="ana")
    in_force = CliRunner().invoke(main, ["check", str(path), "--json", "--database", store.url])
    assert json.loads(in_force.stdout)["fee_usd"] == "900000.00" and "2026-06-01" in in_force.stderr
    assert json.loads(in_force.stdout)["ruleset"]["label"] == "2026-06-01"
    alone = CliRunner().invoke(main, ["check", str(path), "--json"])
    assert json.loads(alone.stdout)["fee_usd"] == "750000.00" and alone.stderr == ""


# shadow mode ---------------------------------------------------------------------------------------------------
@pytest.fixture
def shadowing(store: DecisionLog, packs: tuple[Path, Path]) -> Iterator[tuple[engine.Pack, engine.Pack]]:
    first, second = packs
    store.publish(first, "first", by="ana")
    store.activate("us-ai-chips@2026-01-15", "the shipped rules", by="ana")
    store.publish(second, "30%", by="ana", label="2026-06-01")
    yield store.load_version("2026-01-15"), store.load_version("2026-06-01")


def orders(count: int) -> Iterator[dict[str, Any]]:
    """A day's orders: China-route lines (fees), licensed lines that use up D-2026-7781, and others."""
    gulf = {"id": "C-GULF", "name": "Gulf Compute LLC", "country": "AE"}
    for i in range(count):
        kind = i % 4
        if kind == 0:
            yield tx(id=f"O-{i}", quantity=1 + i % 7)
        elif kind == 1:
            yield tx(id=f"O-{i}", date="2026-03-01", product="H100", quantity=40, destination="AE", customer=gulf)
        elif kind == 2:
            yield tx(id=f"O-{i}", date="2026-03-01", product="H100", destination="JP",
                     customer={"name": "Sakura Internet Inc.", "country": "JP"})  # fmt: skip
        else:
            yield tx(id=f"O-{i}", destination="RU", customer={"name": "Moscow Compute LLC", "country": "RU"})


def test_a_shadow_over_a_thousand_submissions_reports_exactly_the_changed_ones(
    store: DecisionLog, shadowing: tuple[engine.Pack, engine.Pack], database: str, tmp_path: Path
) -> None:
    current, candidate = shadowing
    code, output = cli("rules", "shadow", "us-ai-chips@2026-06-01", "--database", store.url)
    assert code == 0 and "shadowing us-ai-chips 2026-06-01" in output
    assert store.shadowed("us-ai-chips")["label"] == "2026-06-01"
    answers = [store.submit(current, engine.parse_transaction(o), shadow=candidate)[0] for o in orders(1000)]
    plain = DecisionLog(str(tmp_path / "plain.db"))  # the same orders without shadowing
    plain.migrate()
    unshadowed = [plain.submit(current, engine.parse_transaction(o))[0] for o in orders(1000)]
    assert [without_ids(a) for a in answers] == [without_ids(u) for u in unshadowed]  # nothing reached the answers
    assert store.usage() == plain.usage()  # and no license was used by the candidate
    plain.close()
    report = store.shadow_report("us-ai-chips", examples=1000)
    changed = {a["transaction_id"] for a in answers if a["decision"] == "allow" and a["fee_usd"] != "0.00"}
    assert report["judged"] == 1000 and report["disagreed"] == len(changed) > 200
    assert {e["transaction_id"] for e in report["examples"]} == changed
    assert report["changes"] == {"fee changed": len(changed)}
    example = report["examples"][0]
    assert (
        "25%" in example["in_force"]["explanation"] or example["in_force"]["fee_usd"] != example["candidate"]["fee_usd"]
    )
    code, text = cli("rules", "shadow", "report", "--database", store.url)
    assert code == 0 and f"1,000 live decisions judged again, {1000 - len(changed):,} the same" in text
    assert cli("rules", "shadow", "--off", "--database", store.url)[0] == 0 and store.shadowed("us-ai-chips") is None
    assert store.verify().problems == []


def test_live_decisions_through_the_api_are_shadowed_and_the_console_shows_the_report(
    store: DecisionLog, shadowing: tuple[engine.Pack, engine.Pack], shipped_pack: engine.Pack
) -> None:
    admin = {"Authorization": f"Bearer {store.create_key('rules-admin')}"}
    headers = {"Authorization": f"Bearer {store.create_key('submitter')}"}
    with TestClient(create_app(shipped_pack, store)) as client:
        started = client.post("/v1/rulesets/us-ai-chips/2026-06-01/shadow", headers=admin)
        assert started.status_code == 200
        client.app.state.services.versions.stale()
        answer = client.post("/v1/decisions", json=tx(id="S-1"), headers=headers).json()
        assert answer["fee_usd"] == "750000.00"  # the client gets the version in force only
        report = client.get("/v1/rulesets/us-ai-chips/shadow", headers=admin).json()
        assert report["shadowing"]["label"] == "2026-06-01" and report["changes"] == {"fee changed": 1}
        assert report["examples"][0]["candidate"]["fee_usd"] == "900000.00"
        stopped = client.delete("/v1/rulesets/us-ai-chips/shadow", headers=admin).json()
        assert stopped["ended"]["label"] == "2026-06-01"


# simulation as of a date -------------------------------------------------------------------------------------------
def test_a_change_dated_in_the_future_is_tried_on_todays_orders(
    store: DecisionLog, packs: tuple[Path, Path], tmp_path: Path
) -> None:
    first, _ = packs
    store.publish(first, "first", by="ana")
    store.activate("us-ai-chips@2026-01-15", "the shipped rules", by="ana")
    current = store.load_version("2026-01-15")
    for order in orders(40):
        store.submit(current, engine.parse_transaction(order))
    future = tmp_path / "future"
    shutil.copytree(first, future)
    route = future / FEE_FILE
    text = route.read_text()
    fee = text[text.index("  - id: FEE-SECTION-232") :]
    fee = fee[: fee.index("\n  - id:", 10)] if "\n  - id:" in fee[10:] else fee
    raised = (
        fee.replace("FEE-SECTION-232", "FEE-SECTION-232-2027")
        .replace("rate: 0.25", "rate: 0.30")
        .replace("effective: {from: 2026-01-15}", "effective: {from: 2027-01-01}")
    )
    ended = fee.replace("effective: {from: 2026-01-15}", "effective: {from: 2026-01-15, until: 2026-12-31}")
    route.write_text(text.replace(fee, ended + ("\n" if not ended.endswith("\n") else "") + raised))
    engine.load_pack(future)  # the change loads
    today = json.loads(cli("simulate", "--candidate", str(future), "--json", "--database", store.url)[1])
    assert today["flipped"] == 0 and today["fee_changes"] == 0 and today["examples"] == []
    code, output = cli(
        "simulate", "--candidate", str(future), "--as-of", "2027-01-04", "--json", "--database", store.url
    )
    later = json.loads(output)
    assert code == 0 and later["as_of"] == "2027-01-04" and later["fee_changes"] == 10
    assert {e["change"] for e in later["examples"]} == {"fee changed"}  # no "deny 0.00 -> deny 0.00" noise
    assert later["unchanged"] == 30
