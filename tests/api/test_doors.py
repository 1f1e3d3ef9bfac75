"""The doors around the decision core, tried as a hostile user would (issue 20): each surface judges under the
version in force; only rules-admin and auditor keys pin another version, never stored as a decision; batches
count license use in the log; the console escapes what it is sent and refuses cross-site posts; no work before
authentication; a bounded version cache; 4xx, not 500, for odd cursors and NUL bytes; every role against every
route. Set up as the issue's reproducers are: the shipped pack published, then a copy after `clearance lists
import examples/screening-update.csv` published as `2026-01-15.1`, which lists Example Lake Computing."""

from __future__ import annotations

import base64
import csv
import io
import re
import shutil
import socket
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
from tests.api.conftest import ROOT, server
from tests.conftest import tx

LAKE = tx(id="LAKE-1", date="2026-06-01", product="L40S", destination="JP", end_use="research", attestations=[],
          customer={"name": "Example Lake Computing Co., Ltd.", "country": "JP"})  # fmt: skip
GULF = {"id": "C-GULF", "name": "Gulf Compute LLC", "country": "AE"}
CSV_HEADER = "id,date,product,quantity,unit_price_usd,destination,customer_id,customer_name,customer_country,end_use\n"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DecisionLog]:
    """A SQLite log: what these doors do is the same on PostgreSQL (test_12 also runs there, where a NUL byte
    and an oversized cursor fail differently)."""
    log = DecisionLog(str(tmp_path / "doors.db"))
    log.migrate()
    yield log
    log.close()


@pytest.fixture
def published(store: DecisionLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DecisionLog:
    """The shipped pack published, then `2026-01-15.1`: a copy that lists Example Lake and holds one more
    license (D-2026-9999), so that a page reading the start-up pack shows itself."""
    monkeypatch.setenv("CLEARANCE_CACHE", str(tmp_path / "cache"))
    first = tmp_path / "v1"
    shutil.copytree(engine.default_pack_path(), first)
    store.publish(first, "the shipped pack", by="ana")
    second = tmp_path / "v2"
    shutil.copytree(first, second)
    imported = CliRunner().invoke(
        main, ["lists", "import", str(ROOT / "examples" / "screening-update.csv"), "--pack", str(second)]
    )
    assert imported.exit_code == 0, imported.output
    licenses = second / "data" / "licenses.csv"
    licenses.write_text(
        licenses.read_text() + "D-2026-9999,C-NEW,New Holder LLC,AE,H100,AE,10,1000000,2026-01-01,2026-12-31,new\n"
    )
    store.publish(second, "screening list update", by="ana", label="2026-01-15.1")
    store.activate("us-ai-chips@2026-01-15.1", "the screening list of 2026-05-01", by="ana")
    return store


@pytest.fixture
def client(published: DecisionLog, shipped_pack: engine.Pack) -> Iterator[TestClient]:
    with TestClient(create_app(shipped_pack, published), raise_server_exceptions=False) as test_client:
        yield test_client


def one_row(data: dict[str, Any]) -> str:
    customer = data["customer"]
    row = [data["id"], data["date"], data["product"], str(data["quantity"]), str(data["unit_price_usd"]),
           data["destination"], customer.get("id", ""), customer["name"], customer.get("country", ""),
           data.get("end_use", "")]  # fmt: skip
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row)
    return CSV_HEADER + buffer.getvalue()


def result_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def sign_in(client: TestClient, key: str) -> str:
    """Sign in through the console's form, as a browser does; the session's CSRF token."""
    form = client.get("/console/login")
    token = CSRF.search(form.text)
    assert token is not None, form.text
    done = client.post(
        "/console/login", data={"key": key, "csrf": token.group(1)}, headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303, done.text
    page = client.get("/console/log")
    found = CSRF.search(page.text)
    assert found is not None
    return found.group(1)


# item 1: every surface judges under the version in force ------------------------------------------------------
def test_1_a_batch_judges_under_the_version_in_force_as_decisions_do(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    decided = client.post("/v1/decisions", json=LAKE, headers=keys["submitter"]).json()
    assert decided["decision"] == "deny" and "SCREEN-CUSTOMER-LISTED" in [f["rule"] for f in decided["findings"]]
    batch = client.post(
        "/v1/batches", content=one_row({**LAKE, "id": "LAKE-2"}),
        headers={**keys["submitter"], "Content-Type": "text/csv"},
    )  # fmt: skip
    row = result_rows(batch.text)[0]
    assert (row["decision"], row["rules"]) == ("deny", decided_rules(decided))


def decided_rules(decision: dict[str, Any]) -> str:
    return ";".join(f["rule"] for f in decision["findings"])


def test_1_the_console_batch_and_licenses_pages_read_the_version_in_force(
    client: TestClient, published: DecisionLog
) -> None:
    csrf = sign_in(client, published.create_key("submitter"))
    licenses = client.get("/console/licenses").text
    assert "D-2026-9999" in licenses and "2026-01-15" in licenses
    upload = client.post(
        "/console/batch", data={"csrf": csrf}, files={"file": ("lake.csv", one_row({**LAKE, "id": "LAKE-3"}))},
        headers={"Origin": "http://testserver"}, follow_redirects=False,
    )  # fmt: skip
    assert upload.status_code == 303, upload.text
    token = upload.headers["location"].rsplit("/", 1)[1]
    for _ in range(200):
        if client.get(f"/console/batch/{token}/status").json()["state"] != "running":
            break
    rows = result_rows(client.get(f"/console/batch/{token}/result.csv").text)
    assert rows[0]["decision"] == "deny" and "SCREEN-CUSTOMER-LISTED" in rows[0]["rules"]


def test_1_a_batch_on_a_real_server_judges_under_the_version_in_force(published: DecisionLog) -> None:
    key = published.create_key("submitter")
    with server(published.url) as base:
        response = httpx.post(
            base + "/v1/batches", content=one_row(LAKE),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "text/csv"}, timeout=60,
        )  # fmt: skip
    assert result_rows(response.text)[0]["decision"] == "deny"


# item 2: pinning a superseded version ------------------------------------------------------------------------
def test_2_a_submitter_who_pins_a_superseded_version_gets_403_and_nothing_is_stored(
    client: TestClient, keys: dict[str, dict[str, str]], published: DecisionLog
) -> None:
    pinned = client.post("/v1/decisions?ruleset=us-ai-chips@2026-01-15", json=LAKE, headers=keys["submitter"])
    assert pinned.status_code == 403 and "rules-admin and auditor" in pinned.json()["error"]["message"]
    assert client.get("/v1/decisions/LAKE-1", headers=keys["auditor"]).status_code == 404
    in_force = client.post("/v1/decisions?ruleset=us-ai-chips@2026-01-15.1", json=LAKE, headers=keys["submitter"])
    assert in_force.status_code == 201 and in_force.json()["decision"] == "deny"  # naming the one in force is fine


@pytest.mark.parametrize("role", ["auditor", "rules-admin"])
def test_2_a_pinned_evaluation_is_marked_never_stored_and_chained(
    client: TestClient, keys: dict[str, dict[str, str]], published: DecisionLog, role: str
) -> None:
    response = client.post("/v1/decisions?ruleset=us-ai-chips@2026-01-15", json=LAKE, headers=keys[role])
    assert response.status_code == 200
    body = response.json()
    assert body["decision"] == "allow" and body["pinned"]["stored"] is False  # the superseded list did not list it
    assert client.get("/v1/decisions/LAKE-1", headers=keys["auditor"]).status_code == 404
    assert published.count() == {}
    [event] = published.events("pinned-evaluation")
    assert event["subject"] == "LAKE-1" and event["body"]["decision"] == "allow"
    assert event["seq"] == body["pinned"]["event"]
    report = published.verify()
    assert report.problems == []
    csrf = sign_in(client, published.create_key("auditor"))
    assert csrf and "pinned</span> allow under us-ai-chips@2026-01-15" in client.get("/console/log").text
    assert client.post("/v1/decisions", json=LAKE, headers=keys[role]).status_code == 403  # no unpinned submission


# item 3: batches and license use recorded in the log -------------------------------------------------------------
def test_3_a_batch_counts_the_license_use_the_api_recorded(
    client: TestClient, keys: dict[str, dict[str, str]], published: DecisionLog, tmp_path: Path
) -> None:
    for i in range(2):
        line = tx(id=f"G-{i}", date="2026-03-01", product="H100", quantity=1000, destination="AE", customer=GULF)
        assert client.post("/v1/decisions", json=line, headers=keys["submitter"]).json()["decision"] == "allow"
    more = tx(id="G-MORE", date="2026-03-02", product="H100", quantity=100, destination="AE", customer=GULF)
    via_api = result_rows(
        client.post(
            "/v1/batches", content=one_row(more), headers={**keys["submitter"], "Content-Type": "text/csv"}
        ).text
    )[0]
    assert via_api["decision"] == "deny" and "LICENSE-QUANTITY-EXHAUSTED" in via_api["rules"]
    assert "2,000 of 2,000 units used" in via_api["explanation"]
    source = tmp_path / "more.csv"
    source.write_text(one_row(more))
    out = tmp_path / "out.csv"
    cli = CliRunner().invoke(main, ["batch", str(source), "-o", str(out), "--database", published.url])
    assert cli.exit_code == 0, cli.output
    assert result_rows(out.read_text())[0]["decision"] == "deny"
    alone = CliRunner().invoke(main, ["batch", str(source), "-o", str(out)])
    row = result_rows(out.read_text())[0]
    assert (
        alone.exit_code == 0
        and row["decision"] == "review"
        and "usage not counted against the log" in (row["explanation"])
    )


# item 8: reflected HTML --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/console/rules/<img src=x onerror=alert(1)>",
        "/console/rules/diff?from=<img src=x onerror=alert(1)>&to=x",
        "/console/<img src=x onerror=alert(1)>",
        "/console/log/<img src=x onerror=alert(1)>",
        "/console/reviews/<img src=x onerror=alert(1)>",
    ],
)
def test_8_console_messages_are_escaped(client: TestClient, published: DecisionLog, path: str) -> None:
    sign_in(client, published.create_key("auditor"))
    response = client.get(path)
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert "<img src=x" not in response.text and "&lt;img src=x onerror=alert(1)&gt;" in response.text


# item 9: cross-site requests and the session ---------------------------------------------------------------------
@pytest.fixture
def review(client: TestClient, keys: dict[str, dict[str, str]]) -> str:
    unknown = tx(id="R-1", product="L40S", destination="SG", end_use="unknown", attestations=[],
                 customer={"name": "Lion City Cloud Pte. Ltd.", "country": "SG"})  # fmt: skip
    decided = client.post("/v1/decisions", json=unknown, headers=keys["submitter"]).json()
    assert decided["decision"] == "review"
    return str(decided["decision_id"])


def test_9_a_cross_site_post_with_the_reviewers_cookie_is_refused(
    client: TestClient, published: DecisionLog, review: str
) -> None:
    csrf = sign_in(client, published.create_key("reviewer"))
    form = {"resolution": "release", "note": "forged", "csrf": csrf}
    for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/page"},
                    {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}):  # fmt: skip
        refused = client.post(f"/console/reviews/{review}", data=form, headers=headers)
        assert refused.status_code == 403 and "Refused" in refused.text
    no_token = client.post(f"/console/reviews/{review}", data={**form, "csrf": ""})
    assert no_token.status_code == 403
    assert published.get(review)["review"]["status"] == "open"
    done = client.post(f"/console/reviews/{review}", data=form, headers={"Origin": "http://testserver"})
    assert done.status_code == 200 and published.get(review)["review"]["resolution"] == "release"


def test_9_the_cookie_holds_a_session_that_sign_out_ends_and_that_expires(
    client: TestClient, published: DecisionLog
) -> None:
    key = published.create_key("auditor")
    csrf = sign_in(client, key)
    cookie = client.cookies.get("clearance_session")
    assert cookie and key not in cookie and "clr_" not in cookie
    assert client.get("/console/logout").status_code in (404, 405)  # a link cannot sign anyone out:
    assert client.get("/console/log", follow_redirects=False).status_code == 200  # still signed in
    assert client.post("/console/logout", data={"csrf": csrf}, headers={"Origin": "http://testserver"},
                       follow_redirects=False).status_code == 303  # fmt: skip
    client.cookies.set("clearance_session", cookie, path="/console")  # the old cookie, replayed
    assert client.get("/console/log", follow_redirects=False).status_code == 303  # signed out: to the sign-in page
    token = published.open_session(key)
    assert token is not None and published.session(token) is not None
    later = published.clock
    published.clock = lambda: later() + __import__("datetime").timedelta(hours=9)
    assert published.session(token) is None
    published.clock = later


def test_9_the_cookie_is_secure_over_tls_or_when_told(published: DecisionLog, shipped_pack: engine.Pack) -> None:
    key = published.create_key("auditor")
    with TestClient(create_app(shipped_pack, published, secure_cookies=True)) as proxied:  # TLS ended in front
        assert "secure" in proxied.get("/console/login").headers["set-cookie"].lower()
    with TestClient(create_app(shipped_pack, published), base_url="https://testserver") as secured:
        form = secured.get("/console/login")
        token = CSRF.search(form.text)
        assert token is not None and "secure" in form.headers["set-cookie"].lower()
        done = secured.post("/console/login", data={"key": key, "csrf": token.group(1)},
                            headers={"Origin": "https://testserver"}, follow_redirects=False)  # fmt: skip
        assert done.status_code == 303 and "secure" in done.headers["set-cookie"].lower()
    with TestClient(create_app(shipped_pack, published)) as plain:
        assert "secure" not in plain.get("/console/login").headers["set-cookie"].lower()


def test_9_console_pages_carry_the_security_headers(client: TestClient, published: DecisionLog) -> None:
    sign_in(client, published.create_key("auditor"))
    for path in ("/console/login", "/console/log", "/console/rules", "/console/nowhere"):
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] and headers["cache-control"] == "no-store"
    for template in (ROOT / "api" / "templates").glob("*.html"):
        text = template.read_text()
        assert "<script>" not in text and "style=" not in text and " on" + "click=" not in text, template.name


# item 10: no work before authentication --------------------------------------------------------------------------
def _headers_only(base: str, path: str, length: int, key: str | None = None) -> str:
    """Send a request's headers announcing `length` bytes, and none of the body: the server's answer (it must
    answer without waiting for the body)."""
    host, port = base.removeprefix("http://").split(":")
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{auth}"
            f"Content-Length: {length}\r\n\r\n".encode()
        )
        return sock.recv(4096).decode(errors="replace")


def test_10_a_big_body_is_refused_before_it_is_read(published: DecisionLog) -> None:
    key = published.create_key("rules-admin")
    with server(published.url) as base:
        for path in ("/v1/rulesets", "/v1/simulations"):
            assert _headers_only(base, path, 15 * 1024 * 1024).startswith("HTTP/1.1 401")
            assert _headers_only(base, path, 17 * 1024 * 1024, key).startswith("HTTP/1.1 413")
        assert httpx.get(base + "/healthz", timeout=5).status_code == 200


# item 11: the version cache -----------------------------------------------------------------------------------------
def test_11_wildcards_are_not_digests_and_the_cache_holds_each_version_once(
    client: TestClient, keys: dict[str, dict[str, str]], published: DecisionLog
) -> None:
    for wild in ("sha256:5d%", "sha256:%", "sha256:________", "sha256:5D75BD3B"):
        response = client.post(f"/v1/decisions?ruleset={wild}", json=LAKE, headers=keys["auditor"])
        assert response.status_code == 404, (wild, response.text)
    digest = published.versions()[0]["digest"]
    names = [digest[: 7 + n] for n in range(8, 40)] + ["2026-01-15", "us-ai-chips@2026-01-15"]
    for name in names:
        assert client.post(f"/v1/decisions?ruleset={name}", json=LAKE, headers=keys["auditor"]).status_code == 200
    assert client.app.state.services.versions.cached <= 2  # the two published versions at most, each once


# item 12: no 500 for odd input -------------------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def both(request: pytest.FixtureRequest, tmp_path: Path, shipped_pack: engine.Pack) -> Iterator[TestClient]:
    """A client over a log on SQLite and on PostgreSQL."""
    from tests.conftest import drop_postgres, postgres_or_skip

    url = str(tmp_path / "both.db") if request.param == "sqlite" else postgres_or_skip()
    log = DecisionLog(url)
    log.migrate()
    try:
        with TestClient(create_app(shipped_pack, log), raise_server_exceptions=False) as test_client:
            yield test_client
    finally:
        log.close()
        if request.param == "postgresql":
            drop_postgres(url)


def test_12_an_oversized_cursor_and_nul_bytes_are_4xx(both: TestClient) -> None:
    store = both.app.state.services.store
    keys = {role: {"Authorization": f"Bearer {store.create_key(role)}"} for role in ("auditor", "reviewer")}
    client = both
    cursor = base64.urlsafe_b64encode(b"seq:99999999999999999999999").decode().rstrip("=")
    response = client.get(f"/v1/decisions?cursor={cursor}", headers=keys["auditor"])
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_cursor"
    for path in ("/v1/decisions/%00", "/v1/decisions?customer=%00x", "/v1/rulesets/us-ai-chips/%00"):
        response = client.get(path, headers=keys["auditor"])
        assert response.status_code == 400 and "NUL" in response.json()["error"]["message"], path
    note = client.post("/v1/reviews/x", json={"resolution": "release", "note": "a\x00b"}, headers=keys["reviewer"])
    assert note.status_code == 422


# every role against every route ---------------------------------------------------------------------------------
ROLES = ("submitter", "reviewer", "auditor", "rules-admin")
ROUTES = [  # (method, path, the roles that may use it), written out here, not read from the code
    ("POST", "/v1/decisions", {"submitter"}),
    ("GET", "/v1/decisions", {"submitter", "reviewer", "auditor"}),
    ("GET", "/v1/decisions/x", {"submitter", "reviewer", "auditor"}),
    ("GET", "/v1/reviews", {"reviewer", "auditor"}),
    ("POST", "/v1/reviews/x", {"reviewer"}),
    ("POST", "/v1/batches", {"submitter"}),
    ("GET", "/v1/rulesets", set(ROLES)),
    ("GET", "/v1/rulesets/us-ai-chips/2026-01-15", set(ROLES)),
    ("GET", "/v1/rulesets/us-ai-chips/diff?from=2026-01-15&to=2026-01-15.1", set(ROLES)),
    ("POST", "/v1/rulesets", {"rules-admin"}),
    ("POST", "/v1/simulations", {"rules-admin", "auditor"}),
    ("POST", "/v1/decisions?ruleset=2026-01-15", {"rules-admin", "auditor"}),
    ("POST", "/v1/rulesets/us-ai-chips/2026-01-15/activate", {"rules-admin"}),
    ("POST", "/v1/rulesets/us-ai-chips/2026-01-15/shadow", {"rules-admin"}),
    ("DELETE", "/v1/rulesets/us-ai-chips/shadow", {"rules-admin"}),
    ("GET", "/v1/rulesets/us-ai-chips/shadow", {"rules-admin", "auditor"}),
]


@pytest.mark.parametrize(("method", "path", "allowed"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_every_role_against_every_route(
    client: TestClient, keys: dict[str, dict[str, str]], method: str, path: str, allowed: set[str]
) -> None:
    assert client.request(method, path).status_code == 401
    for role in ROLES:
        status = client.request(method, path, headers=keys[role], content=b"{}").status_code
        if role in allowed:
            assert status not in (401, 403), (role, status)
        else:
            assert status == 403, (role, status)


CONSOLE = [
    ("GET", "/console/check", {"submitter", "reviewer", "auditor"}),
    ("GET", "/console/batch", {"submitter"}),
    ("GET", "/console/reviews", {"reviewer", "auditor"}),
    ("GET", "/console/licenses", {"submitter", "reviewer", "auditor"}),
    ("GET", "/console/rules", set(ROLES)),
    ("POST", "/console/reviews/x", {"reviewer"}),
    ("POST", "/console/check", {"submitter"}),
]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_console_page(published: DecisionLog, shipped_pack: engine.Pack, role: str) -> None:
    with TestClient(create_app(shipped_pack, published)) as browser:
        csrf = sign_in(browser, published.create_key(role))
        for method, path, allowed in CONSOLE:
            data = {"csrf": csrf} if method == "POST" else None
            status = browser.request(method, path, data=data, headers={"Origin": "http://testserver"}).status_code
            assert (status != 403) == (role in allowed), (role, method, path, status)
