"""The HTTP API against a real SQLite file and a real PostgreSQL database: decisions stored before they are
returned, idempotency and conflicts, errors in one shape (never a 500 for bad input), keys and roles, the review
queue, the log's filters and pages, batches, health, metrics and OpenAPI."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from api.cli import main
from engine.store import DecisionLog
from engine.store.log import _Pending, content_digest
from tests.conftest import SHIPPED, tx
from tests.test_properties import transactions

Headers = dict[str, dict[str, str]]
REVIEW = tx(  # the end use must be established by a person
    id="R-1", product="L40S", destination="SG", end_use="unknown", attestations=[],
    customer={"name": "Lion City Cloud Pte. Ltd.", "country": "SG"},
)  # fmt: skip


def submit(client: TestClient, keys: Headers, data: Any, role: str = "submitter") -> Any:
    return client.post("/v1/decisions", json=data, headers=keys[role])


def test_a_decision_is_stored_and_returned_with_its_id(client: TestClient, keys: Headers, store: DecisionLog) -> None:
    response = submit(client, keys, tx())
    assert response.status_code == 201, response.text
    decision = response.json()
    assert decision["decision"] == "allow" and decision["decision_id"] and decision["evaluated_at"]
    stored = client.get(f"/v1/decisions/{decision['decision_id']}", headers=keys["auditor"]).json()
    assert {k: stored[k] for k in decision} == decision and stored["transaction"]["id"] == "T-1"
    assert store.count() == {"allow": 1}


def test_resubmitting_is_idempotent_and_other_content_is_a_conflict(client: TestClient, keys: Headers) -> None:
    first = submit(client, keys, tx())
    again = submit(client, keys, {**tx(), "quantity": 100.0})  # the same content, written otherwise
    assert again.status_code == 200 and again.json() == first.json()
    changed = submit(client, keys, tx(quantity=101))
    assert changed.status_code == 409 and changed.json()["error"]["code"] == "conflict"


@pytest.mark.parametrize(
    "body, status, code",
    [
        (b'{"id": "T-1", "id": "T-2"}', 400, "invalid_document"),
        (b"\xff\xfe", 400, "invalid_document"),
        (json.dumps(tx(quantity=-1, destination="XX")).encode(), 422, "invalid_transaction"),
        (b"[1, 2]", 422, "invalid_transaction"),
        (b"x" * 70_000, 413, "too_large"),
    ],
)
def test_bad_input_gets_one_error_shape_naming_what_is_wrong(
    client: TestClient, keys: Headers, body: bytes, status: int, code: str
) -> None:
    response = client.post(
        "/v1/decisions", content=body, headers={**keys["submitter"], "Content-Type": "application/json"}
    )
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    if code == "invalid_transaction" and status == 422 and b"XX" in body:
        assert {d["field"] for d in error["details"]} == {"quantity", "destination"}


def test_keys_and_roles(client: TestClient, keys: Headers, store: DecisionLog) -> None:
    assert submit(client, {"none": {}}, tx(), "none").status_code == 401
    assert submit(client, {"bad": {"Authorization": "Bearer clr_0000_nope"}}, tx(), "bad").status_code == 401
    forbidden = submit(client, keys, tx(), "auditor")
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
    assert client.get("/v1/decisions", headers=keys["rules-admin"]).status_code == 403
    assert client.get("/v1/decisions", headers={"X-API-Key": keys["auditor"]["Authorization"][7:]}).status_code == 200
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql("select * from api_keys").all()
    assert rows and all("clr_" not in str(row) and "Bearer" not in str(row) for row in rows)  # digests only


def test_a_review_reaches_the_queue_and_its_resolution_is_kept_beside_the_decision(
    client: TestClient, keys: Headers
) -> None:
    decision = submit(client, keys, REVIEW).json()
    assert decision["decision"] == "review"
    queue = client.get("/v1/reviews?status=open", headers=keys["reviewer"]).json()["items"]
    assert [item["decision_id"] for item in queue] == [decision["decision_id"]]
    url = f"/v1/reviews/{decision['decision_id']}"
    assert client.post(url, json={"resolution": "release", "note": "ok"}, headers=keys["auditor"]).status_code == 403
    assert client.post(url, json={"resolution": "release", "note": ""}, headers=keys["reviewer"]).status_code == 422
    assert client.post(url, json={"resolution": "maybe", "note": "x"}, headers=keys["reviewer"]).status_code == 422
    resolved = client.post(url, json={"resolution": "release", "note": "end use confirmed"}, headers=keys["reviewer"])
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["decision"] == "review" and resolved.json()["review"]["resolution"] == "release"
    assert client.post(url, json={"resolution": "reject", "note": "x"}, headers=keys["reviewer"]).status_code == 409
    assert client.get("/v1/reviews?status=open", headers=keys["reviewer"]).json()["items"] == []
    other = submit(client, keys, {**REVIEW, "id": "R-2"}).json()  # named by its transaction's id, as everywhere
    by_transaction = client.post(
        "/v1/reviews/R-2", json={"resolution": "reject", "note": "no"}, headers=keys["reviewer"]
    )
    assert by_transaction.status_code == 200 and by_transaction.json()["decision_id"] == other["decision_id"]
    assert (
        client.post(
            "/v1/reviews/nope", json={"resolution": "reject", "note": "x"}, headers=keys["reviewer"]
        ).status_code
        == 404
    )


def test_the_log_filters_and_pages_with_a_cursor(client: TestClient, keys: Headers) -> None:
    for i in range(7):
        submit(client, keys, {**REVIEW, "id": f"P-{i}", "destination": "KP" if i % 2 else "SG"})
    seen, cursor = [], None
    while True:
        page = client.get("/v1/decisions", params={"limit": 3, **({"cursor": cursor} if cursor else {})},
                          headers=keys["auditor"]).json()  # fmt: skip
        seen += [item["transaction_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"P-{i}" for i in range(7)]
    denied = client.get("/v1/decisions?decision=deny", headers=keys["auditor"]).json()["items"]
    assert [d["transaction_id"] for d in denied] == ["P-1", "P-3", "P-5"]
    by_customer = client.get(
        "/v1/decisions", params={"customer": "lion city", "since": "2020-01-01"}, headers=keys["auditor"]
    )
    assert len(by_customer.json()["items"]) == 7
    assert client.get("/v1/decisions?cursor=bogus", headers=keys["auditor"]).status_code == 400
    assert client.get("/v1/decisions?decision=maybe", headers=keys["auditor"]).status_code == 422


def test_depletion_from_the_log_allows_exactly_what_the_license_holds(client: TestClient, keys: Headers) -> None:
    line = tx(date="2026-03-15", destination="MO", license_number="L-2026-0004", quantity=100, unit_price_usd="30000",
              customer={"id": "C-MAC", "name": "Macau Data Services Ltd.", "country": "MO"})  # fmt: skip
    outcomes = [submit(client, keys, {**line, "id": f"M-{i}"}).json()["decision"] for i in range(22)]
    assert outcomes == ["allow"] * 20 + ["deny"] * 2


def test_a_csv_batch_returns_the_result_file(client: TestClient, keys: Headers) -> None:
    csv_text = (
        "id,date,quantity,unit_price_usd,destination,customer_name\n"
        "B-1,2026-02-01,10,100,DE,Acme GmbH\nB-2,2026-02-30,1,1,DE,Acme\n"
    )
    response = client.post("/v1/batches", content=csv_text, headers={**keys["submitter"], "Content-Type": "text/csv"})
    assert response.status_code == 200 and response.headers["x-clearance-rows"] == "2"
    lines = response.text.splitlines()
    assert lines[0].endswith("decision,fee_usd,rules,explanation,ruleset_version,error") and len(lines) == 3
    jsonl = client.post("/v1/batches?format=jsonl", content=csv_text, headers=keys["submitter"])
    assert [json.loads(x)["row"] for x in jsonl.text.splitlines()] == [1, 2]
    bad = client.post("/v1/batches", content="a,b\n1,2\n", headers=keys["submitter"])
    assert bad.status_code == 422 and "lacks the required columns" in bad.json()["error"]["message"]


def test_health_metrics_and_openapi(client: TestClient, keys: Headers) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    submit(client, keys, tx())
    submit(client, keys, REVIEW)
    metrics = client.get("/metrics").text
    assert 'clearance_decisions_total{outcome="allow"} 1.0' in metrics and "clearance_open_reviews 1.0" in metrics
    assert "clearance_request_seconds_bucket" in metrics
    spec = client.get("/openapi.json").json()
    assert {"/v1/decisions", "/v1/decisions/{decision_id}", "/v1/reviews", "/v1/batches"} <= set(spec["paths"])
    body = spec["paths"]["/v1/decisions"]["post"]["requestBody"]["content"]["application/json"]
    assert body["example"]["id"] == "T-1"


def test_the_command_line_reads_the_same_log(
    store: DecisionLog, client: TestClient, keys: Headers, tmp_path: Any
) -> None:
    decision = submit(client, keys, REVIEW).json()
    runner = CliRunner()
    db = ["--database", store.url]
    listed = runner.invoke(main, ["log", "list", *db])
    assert listed.exit_code == 0 and decision["decision_id"] in listed.output
    shown = runner.invoke(main, ["log", "show", "R-1", *db])
    assert json.loads(shown.output)["decision_id"] == decision["decision_id"]
    assert decision["decision_id"] in runner.invoke(main, ["reviews", "list", *db]).output
    resolved = runner.invoke(main, ["reviews", "resolve", decision["decision_id"], "--resolution", "reject",
                                    "--note", "no end use given", *db])  # fmt: skip
    assert resolved.exit_code == 0, resolved.output
    pack = tmp_path / "pack"
    import shutil

    shutil.copytree(engine.default_pack_path(), pack)
    exported = runner.invoke(main, ["reviews", "export", "--pack", str(pack), *db])
    assert exported.exit_code == 0 and "wrote 1 case" in exported.output
    tested = runner.invoke(main, ["rules", "test", str(pack), "-k", "R-1"])
    assert "R-1: reject" in tested.output  # the reviewer's judgement is a case of the pack now
    key = runner.invoke(main, ["keys", "create", "--role", "auditor", *db])
    assert key.exit_code == 0 and store.authenticate(key.stdout.strip()) is not None


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.one_of(transactions, st.binary(max_size=200)))
def test_no_input_gets_a_500(client: TestClient, keys: Headers, data: Any) -> None:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()  # NaN and Infinity included
    response = client.post("/v1/decisions", content=body, headers=keys["submitter"])
    assert response.status_code in (200, 201, 400, 409, 413, 422), response.text
    assert "error" in response.json() or "decision" in response.json()


def test_a_body_without_its_length_is_limited_as_it_streams(client: TestClient, keys: Headers) -> None:
    def chunks() -> Any:
        for _ in range(100):
            yield b" " * 1024  # 100 KB of blanks, past the 64 KB limit, sent without a Content-Length

    response = client.post(
        "/v1/decisions", content=chunks(), headers={**keys["submitter"], "Content-Type": "application/json"}
    )
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    rulesets = client.post(
        "/v1/rulesets", content=chunks(), headers={**keys["rules-admin"], "Content-Type": "application/json"}
    )
    assert rulesets.status_code == 400  # within the limit of pack uploads: read, and refused as not JSON


def test_a_revoked_key_is_refused(client: TestClient, keys: Headers, store: DecisionLog) -> None:
    runner = CliRunner()
    key = runner.invoke(
        main, ["keys", "create", "--role", "auditor", "--label", "temp", "--database", store.url]
    ).stdout.strip()
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/v1/decisions", headers=headers).status_code == 200
    listed = runner.invoke(main, ["keys", "list", "--database", store.url]).output
    secret = key.split("_", 2)[2]  # the whole secret, which may itself begin with or hold `_`
    assert "auditor" in listed and "temp" in listed and secret not in listed and key not in listed  # never shown
    revoked = runner.invoke(main, ["keys", "revoke", key, "--database", store.url])
    assert revoked.exit_code == 0, revoked.output
    store.revoke("nothing")  # the server's own cache forgets what it checked (another process: within 10 s)
    assert client.get("/v1/decisions", headers=headers).status_code == 401
    assert runner.invoke(main, ["keys", "revoke", key, "--database", store.url]).exit_code == 2


def test_one_group_commit_keeps_order_idempotency_conflicts_and_depletion(store: DecisionLog) -> None:
    """Submissions committed together: the same transaction twice is one decision, other content under its id is
    a conflict, a license is depleted in the order of the group, reviews open, and the chain verifies."""
    pack = engine.load_pack(SHIPPED)
    line = tx(date="2026-03-15", destination="MO", license_number="L-2026-0004", quantity=900, unit_price_usd="30000",
              customer={"id": "C-MAC", "name": "Macau Data Services Ltd.", "country": "MO"})  # fmt: skip
    datas = [{**line, "id": "G-1"}, {**line, "id": "G-2"}, {**line, "id": "G-1"}, {**line, "id": "G-1", "quantity": 5},
             {**line, "id": "G-3"}, {**REVIEW, "id": "G-4"}]  # fmt: skip
    answers: list[Any] = []
    batch = []
    for data in datas:
        one = engine.parse_transaction(data)
        batch.append(_Pending(pack, one, content_digest(one), "tester", answers.append))
    store._commit(batch)
    assert [type(a).__name__ if isinstance(a, Exception) else (a[0]["decision"], a[1]) for a in answers] == [
        ("allow", True), ("allow", True), ("allow", False), "Conflict", ("deny", True), ("review", True)]  # fmt: skip
    assert answers[2][0] == answers[0][0]
    assert [r["transaction_id"] for r in store.reviews(status="open")] == ["G-4"]
    report = store.verify()
    assert (report.checked, report.problems) == (4, [])
    again = [store.get(i)["decision"] for i in ("G-1", "G-2", "G-3")]
    assert again == ["allow", "allow", "deny"]


def test_reading_the_log_does_not_wait_for_a_writer(store: DecisionLog) -> None:
    """In SQLite a write holds the file's write lock for its whole transaction; reads see a snapshot beside it."""
    import threading

    with store.engine.begin() as writing:
        writing.exec_driver_sql("SELECT 1")  # the write lock is held from here (in SQLite)
        done: list[Any] = []
        reader = threading.Thread(target=lambda: done.append((store.count(), store.open_reviews(), store.versions())))
        reader.start()
        reader.join(timeout=10)
        assert done == [({}, 0, [])], "a read waited for the writer"


def test_the_version_in_force_is_asked_once_by_concurrent_requests(
    store: DecisionLog, shipped_pack: engine.Pack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    import httpx

    from api.app import create_app

    asked: list[str | None] = []
    in_force = store.in_force

    def counted(pack: str) -> Any:
        asked.append(pack)
        return in_force(pack)

    monkeypatch.setattr(store, "in_force", counted)
    headers = {"Authorization": f"Bearer {store.create_key('submitter')}"}

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=create_app(shipped_pack, store))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = await asyncio.gather(
                *(client.post("/v1/decisions", json=tx(id=f"N-{i}"), headers=headers) for i in range(24))
            )
        return [a.status_code for a in answers]

    assert asyncio.run(run()) == [201] * 24
    assert asked == [shipped_pack.name]


def test_a_key_whose_secret_begins_with_an_underscore_works_and_is_never_listed(
    store: DecisionLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.store.keys as keys_module

    monkeypatch.setattr(keys_module.secrets, "token_urlsafe", lambda n: "_" + "x_y" * 14)
    key = store.create_key("auditor", "underscored")
    assert store.authenticate(key) is not None and store.authenticate(key[:-1]) is None
    listed = CliRunner().invoke(main, ["keys", "list", "--database", store.url]).output
    assert "_x_yx_y" not in listed and "underscored" in listed
