"""Real `clearance serve` processes (uvicorn) on loopback: two servers on one database deplete a license exactly
(no lost, duplicated or over-allowed decisions), and a server killed under load keeps every decision it
acknowledged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from engine.store import DecisionLog
from tests.api.conftest import ROOT, free_port, server
from tests.conftest import tx

LINE = tx(date="2026-03-15", destination="MO", license_number="L-2026-0004", quantity=100, unit_price_usd="30000",
          customer={"id": "C-MAC", "name": "Macau Data Services Ltd.", "country": "MO"})  # fmt: skip


def test_two_servers_deplete_a_license_exactly(database: str) -> None:
    store = DecisionLog(database)
    store.migrate()
    key = store.create_key("submitter")
    headers = {"Authorization": f"Bearer {key}"}
    with server(database) as first, server(database) as second:

        def client(index: int) -> list[tuple[int, str]]:
            base = first if index % 2 else second
            out = []
            with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
                for j in range(2):
                    response = http.post("/v1/decisions", json={**LINE, "id": f"C{index}-{j}"})
                    out.append((response.status_code, response.json().get("decision", response.text)))
            return out

        with ThreadPoolExecutor(64) as pool:  # 32 clients on each server
            results = [r for rs in pool.map(client, range(64)) for r in rs]
    assert {status for status, _ in results} == {201}
    outcomes = [outcome for _, outcome in results]
    assert outcomes.count("allow") == 20 and outcomes.count("deny") == len(results) - 20
    assert store.count() == {"allow": 20, "deny": len(results) - 20}  # every one stored, none twice
    usage = store.usage()[("license_usage", "L-2026-0004")]
    assert usage["units"] == 2000
    store.close()


def test_a_server_killed_under_load_keeps_every_decision_it_acknowledged(tmp_path: Path) -> None:
    database = str(tmp_path / "crash.db")
    store = DecisionLog(database)
    store.migrate()
    headers = {"Authorization": f"Bearer {store.create_key('submitter')}"}
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "api", "serve", "--port", str(port), "--database", database],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def load(worker: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
            for j in range(10_000):
                if stop.is_set():
                    return
                try:
                    response = http.post("/v1/decisions", json={**tx(), "id": f"K{worker}-{j}"})
                except httpx.HTTPError:
                    return
                if response.status_code == 201:
                    with lock:
                        acknowledged.append(response.json()["decision_id"])

    threads = [threading.Thread(target=load, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    while len(acknowledged) < 200:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    stop.set()
    for thread in threads:
        thread.join()
    stored = set()
    for decision_id in acknowledged:
        stored.add(store.get(decision_id)["decision_id"])
    assert len(acknowledged) >= 200 and stored == set(acknowledged)
    store.close()
