"""Load test of the HTTP API from a second process on loopback: stored decisions per second and latency.

    python -m benchmarks.api_bench                       # SQLite, 1 and 2 server processes; PostgreSQL if reachable
    python -m benchmarks.api_bench --seconds 10 --clients 64

64 concurrent clients (an async httpx client in this process) post generated transactions (each with a new
id) to `POST /v1/decisions` of a real `clearance serve` (uvicorn) for a fixed time; every 201 is a decision
stored in the log before it was answered. Beside it, the same load on a bare FastAPI endpoint that returns a
constant (`benchmarks/bare_app.py`) and on `/healthz` of clearance, so that the framework's, the engine's and
the store's shares are visible. The load generator shares the machine's two cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from engine.store import DecisionLog
from tests.generators import generate

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("CLEARANCE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def running(command: list[str], port: int, ready: str) -> Iterator[str]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + ready, timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"the server did not start: {' '.join(command)}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


async def load(base: str, path: str, headers: dict[str, str], clients: int, seconds: float) -> dict[str, Any]:
    """`clients` keep-alive connections, each sending requests one after another for `seconds`: a small HTTP/1.1
    client on asyncio streams (a general-purpose client would cost more than the server it measures)."""
    host, port = base.removeprefix("http://").split(":")
    bodies = itertools.cycle(list(generate(5000, seed=99)))
    counter = itertools.count()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop = time.perf_counter() + seconds
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())

    def request() -> bytes:
        if path == "/healthz":
            return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()
        body = json.dumps({**next(bodies), "id": f"LOAD-{os.getpid()}-{time.time_ns()}-{next(counter)}"}).encode()
        head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n")  # fmt: skip
        return head.encode() + body

    async def client() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while time.perf_counter() < stop:
                data = request()
                began = time.perf_counter()
                writer.write(data)
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                status = int(lines[0].split()[1])
                length = next(int(x.split(":", 1)[1]) for x in lines if x.lower().startswith("content-length:"))
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - began)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "statuses": statuses,
    }


def report(label: str, result: dict[str, Any]) -> None:
    rate, p50, p99 = result["per_second"], result["p50_ms"], result["p99_ms"]
    print(f"  {label:<46} {rate:8,.0f} /s   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   {result['statuses']}", flush=True)


def postgres_database() -> str | None:
    try:
        import psycopg

        with psycopg.connect(POSTGRES, autocommit=True, connect_timeout=3) as admin:
            admin.execute("DROP DATABASE IF EXISTS clearance_bench WITH (FORCE)")
            admin.execute("CREATE DATABASE clearance_bench")
    except Exception as exc:
        print(f"PostgreSQL not measured: {exc}")
        return None
    return POSTGRES.rsplit("/", 1)[0] + "/clearance_bench"


def shadow_candidate(root: Path) -> Path:
    """A candidate version to shadow: the shipped pack with the China-route fee at 30% (and a case of its own)."""
    import shutil

    import engine
    from tests.conftest import tx

    candidate = root / "candidate"
    shutil.copytree(engine.default_pack_path(), candidate)
    rules = candidate / "rules" / "20-china-route.yaml"
    rules.write_text(rules.read_text().replace("rate: 0.25", "rate: 0.30"))
    for case in (candidate / "tests").glob("*.yaml"):
        case.unlink()
    (candidate / "tests" / "fee.yaml").write_text(
        f"cases:\n  - name: fee\n    transaction: {json.dumps(tx(id='FEE-1'))}\n    expect: {{decision: allow}}\n"
    )
    return candidate


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", default="1,2", help="server process counts to measure")
    args = parser.parse_args(argv)
    port = 8790
    print(f"{args.clients} clients, {args.seconds:.0f} s each, loopback, load generator in a second process")
    with running([sys.executable, "-m", "uvicorn", "benchmarks.bare_app:app", "--port", str(port), "--log-level",
                  "warning"], port, "/docs") as base:  # fmt: skip
        report(
            "bare FastAPI endpoint (a constant)",
            asyncio.run(load(base, "/v1/decisions", {}, args.clients, args.seconds)),
        )
    with tempfile.TemporaryDirectory() as tmp:
        databases = [("SQLite", str(Path(tmp) / "bench.db"))]
        postgres = postgres_database()
        if postgres:
            databases.append(("PostgreSQL", postgres))
        for name, database in databases:
            store = DecisionLog(database)
            store.migrate()
            headers = {"Authorization": f"Bearer {store.create_key('submitter')}"}
            store.close()
            for workers in args.workers.split(","):
                port += 1
                command = [sys.executable, "-m", "api", "serve", "--port", str(port), "--database", database,
                           "--workers", workers]  # fmt: skip
                with running(command, port, "/readyz") as base:
                    label = f"{name}, {workers} server process{'es' if workers != '1' else ''}"
                    if name == "SQLite" and workers == "1":
                        report("clearance /healthz (no engine, no store)",
                               asyncio.run(load(base, "/healthz", {}, args.clients, args.seconds)))  # fmt: skip
                        asyncio.run(load(base, "/v1/decisions", headers, args.clients, 2))  # warm-up, not reported
                    report(f"{label}: stored decisions", asyncio.run(load(base, "/v1/decisions", headers,
                                                                           args.clients, args.seconds)))  # fmt: skip
                    if name == "SQLite" and workers == "1":  # the cost of shadowing a candidate, in the same run
                        log = DecisionLog(database)
                        record, _ = log.publish(shadow_candidate(Path(tmp)), "a candidate", label="candidate")
                        log.shadow(record["digest"])
                        log.close()
                        time.sleep(6)  # the server asks the log every 5 s
                        report(f"{label}: stored, a candidate shadowed", asyncio.run(
                            load(base, "/v1/decisions", headers, args.clients, args.seconds)))  # fmt: skip
                        log = DecisionLog(database)
                        log.stop_shadow(record["pack"])
                        log.close()
                        time.sleep(6)
                        report(f"{label}: stored decisions, again", asyncio.run(
                            load(base, "/v1/decisions", headers, args.clients, args.seconds)))  # fmt: skip


if __name__ == "__main__":
    main()
