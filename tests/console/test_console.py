"""The web console in a real browser (headless Chromium, driven by Playwright) against a real `clearance serve`:
sign in with a key, check a transaction, upload a CSV file and download its result, resolve a review, open a
diff of two rule versions. Each page is also photographed (into docs/screenshots with CLEARANCE_SCREENSHOTS)."""

from __future__ import annotations

import csv
import http.server
import json
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import engine
from engine.store import DecisionLog
from tests.api.conftest import server
from tests.conftest import tx

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CLEARANCE_CHROMIUM", "/usr/bin/chromium")
REVIEW = tx(id="R-1", product="L40S", destination="SG", end_use="unknown", attestations=[],
            customer={"name": "Lion City Cloud Pte. Ltd.", "country": "SG"})  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is required in CI and is not at {CHROMIUM} (.ci/run installs Debian's chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], DecisionLog]]:
    root = tmp_path_factory.mktemp("console")
    os.environ["CLEARANCE_CACHE"] = str(root / "cache")
    database = str(root / "console.db")
    store = DecisionLog(database)
    store.migrate()
    keys = {role: store.create_key(role) for role in ("submitter", "reviewer", "rules-admin", "auditor")}
    first = root / "v1"
    shutil.copytree(engine.default_pack_path(), first)
    store.publish(first, "the second edition", by="alice")
    second = root / "v2"
    shutil.copytree(first, second)
    rules = second / "rules" / "20-china-route.yaml"
    rules.write_text(rules.read_text().replace("rate: 0.25", "rate: 0.30"))
    for case in (second / "tests").glob("*.yaml"):
        case.unlink()
    (second / "tests" / "fee.yaml").write_text(
        f"cases:\n  - name: fee\n    transaction: {json.dumps(tx(id='FEE-1'))}\n    expect: {{decision: allow}}\n"
    )
    store.publish(second, "China-route fee raised to 30%", by="alice", label="2026-06-01")
    store.activate("us-ai-chips@2026-06-01", "the 30% fee", by="alice")
    pack = store.load_version("2026-01-15")
    store.submit(pack, engine.parse_transaction(REVIEW))
    macau = {"id": "C-MAC", "name": "Macau Data Services Ltd.", "country": "MO"}
    line = tx(
        id="LIC-1", date="2026-03-15", destination="MO", quantity=500, license_number="L-2026-0004", customer=macau
    )
    store.submit(pack, engine.parse_transaction(line))
    with server(database) as base:
        yield base, keys, store
    store.close()


def shoot(page: Any, name: str) -> None:
    folder = os.environ.get("CLEARANCE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def signed_in(browser: Any, base: str, key: str) -> Any:
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(base + "/console/check")
    assert page.url.startswith(base + "/console/login")
    shoot(page, "sign-in")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    return page


def test_check_a_transaction(browser: Any, site: tuple[str, dict[str, str], DecisionLog]) -> None:
    base, keys, store = site
    page = signed_in(browser, base, keys["submitter"])
    page.get_by_label("Transaction id").fill("WEB-1")
    page.get_by_label("Date").fill("2026-02-01")
    page.get_by_label("Product").select_option("H200")
    page.get_by_label("Quantity").fill("100")
    page.get_by_label("Unit price (USD)").fill("30000")
    page.get_by_label("Destination").select_option("CN")
    page.get_by_label("Customer name").fill("Alibaba Cloud Computing Ltd.")
    page.get_by_label("Customer country").select_option("CN")
    page.get_by_label("End use").select_option("commercial-ai")
    for name in ("us_third_party_tested", "kyc_remote_access_controls", "us_supply_sufficient",
                 "no_foundry_diversion", "china_volume_within_50pct"):  # fmt: skip
        page.get_by_label(name).check()
    page.get_by_role("button", name="Check").click()
    outcome = page.locator("#outcome")
    outcome.wait_for()
    assert "allow" in outcome.inner_text().lower() and "WEB-1" in outcome.inner_text()
    assert "Fee owed: USD 900000.00" in page.locator("#main").inner_text()  # the newest published version: 30%
    assert page.get_by_text("FEE-SECTION-232").count() >= 1 and page.get_by_text("Cites:").count() >= 1
    shoot(page, "check")
    assert store.get("WEB-1")["decision"] == "allow"  # stored in the log
    for path, name in (("/console/licenses", "licenses"), ("/console/log", "log")):
        page.goto(base + path)
        shoot(page, name)
    page.goto(base + "/console/licenses")
    assert "500 of 2000" in page.content()
    page.goto(base + "/console/log?decision=review")
    page.get_by_role("link", name="R-1").click()
    page.get_by_role("button", name="Replay under its version").click()
    assert "identical to the logged decision" in page.locator("#replay").inner_text()
    shoot(page, "log-entry")


def test_upload_a_csv_file_and_download_the_result(
    browser: Any, site: tuple[str, dict[str, str], DecisionLog], tmp_path: Path
) -> None:
    base, keys, _ = site
    page = signed_in(browser, base, keys["submitter"])
    page.goto(base + "/console/batch")
    page.get_by_label("CSV file").set_input_files(str(ROOT / "examples" / "transactions.csv"))
    page.get_by_role("button", name="Check every row").click()
    page.wait_for_url(base + "/console/batch/*")  # a page of its own, with a progress bar until every row is done
    page.get_by_text("1000 rows checked").wait_for()
    shoot(page, "batch")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the result (CSV)").click()
    saved = tmp_path / "result.csv"
    download.value.save_as(saved)
    with saved.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1000 and all(r["decision"] in ("allow", "deny", "review") for r in rows)


@contextmanager
def foreign_site(html: str) -> Iterator[str]:
    """Another origin (another port of this machine: the same site to a cookie, another origin to the browser)
    serving one page."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the name http.server calls
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_cross_site_post_with_the_reviewers_session_is_refused(
    browser: Any, site: tuple[str, dict[str, str], DecisionLog]
) -> None:
    base, keys, store = site
    decision_id = store.get("R-1")["decision_id"]
    page = signed_in(browser, base, keys["reviewer"])
    page.goto(base + "/console/reviews")
    forged = (
        f'<form method="post" action="{base}/console/reviews/{decision_id}">'
        '<input name="resolution" value="release"><input name="note" value="forged">'
        '<input name="csrf" value="guessed"><button type="submit">Win a prize</button></form>'
    )
    with foreign_site(forged) as evil:
        page.goto(evil)
        page.get_by_role("button", name="Win a prize").click()
        page.wait_for_load_state()
        assert "Refused" in page.content()
    assert store.get("R-1")["review"]["status"] == "open"


def test_sign_out_is_a_form_and_ends_the_session(browser: Any, site: tuple[str, dict[str, str], DecisionLog]) -> None:
    base, keys, _ = site
    page = signed_in(browser, base, keys["auditor"])
    page.goto(base + "/console/log")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(base + "/console/login")
    page.goto(base + "/console/log")
    assert page.url.startswith(base + "/console/login")


def test_resolve_a_review(browser: Any, site: tuple[str, dict[str, str], DecisionLog]) -> None:
    base, keys, store = site
    page = signed_in(browser, base, keys["reviewer"])
    page.goto(base + "/console/reviews")
    shoot(page, "reviews")
    page.get_by_role("link", name="Review R-1").click()
    page.get_by_label("Release (allow)").check()
    page.get_by_label("Note (required: why)").fill("end use confirmed by phone")
    shoot(page, "review")
    page.get_by_role("button", name="Record the resolution").click()
    assert "Resolved: release" in page.locator("#resolution").inner_text()
    assert store.get("R-1")["review"]["note"] == "end use confirmed by phone"


def test_open_a_diff_of_two_versions_and_simulate(browser: Any, site: tuple[str, dict[str, str], DecisionLog]) -> None:
    base, keys, _ = site
    page = signed_in(browser, base, keys["rules-admin"])
    page.goto(base + "/console/rules")
    shoot(page, "rules")
    page.get_by_role("button", name="Show the diff").click()
    section = page.get_by_role("region", name="changed FEE-SECTION-232")
    assert "0.25" in section.inner_text() and "0.3" in section.inner_text()
    shoot(page, "diff")
    page.go_back()
    page.get_by_role("button", name="Simulate over the log").click()
    assert "Simulation over" in page.locator("#sim").inner_text()
    page.goto(base + "/console/rules/us-ai-chips@2026-06-01")
    assert page.get_by_text("FEE-SECTION-232").count() == 1
