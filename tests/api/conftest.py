"""The API's fixtures: a real SQLite file, a real PostgreSQL database (skipped without a server, failing in CI),
keys of every role, an in-process client, and real `clearance serve` processes."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

import engine
from api.app import create_app
from engine.store import DecisionLog

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def keys(store: DecisionLog) -> dict[str, dict[str, str]]:
    """Request headers carrying a key of each role."""
    return {
        role: {"Authorization": f"Bearer {store.create_key(role)}"}
        for role in ("submitter", "reviewer", "auditor", "rules-admin")
    }


@pytest.fixture
def client(store: DecisionLog, shipped_pack: engine.Pack) -> Iterator[TestClient]:
    with TestClient(create_app(shipped_pack, store), raise_server_exceptions=False) as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(database: str, port: int | None = None, workers: int = 1) -> Iterator[str]:
    """A real `clearance serve` process (uvicorn) on loopback; its base URL."""
    port = port or free_port()
    command = [
        sys.executable,
        "-m",
        "api",
        "serve",
        "--port",
        str(port),
        "--database",
        database,
        "--workers",
        str(workers),
    ]
    logs = tempfile.TemporaryFile()  # noqa: SIM115 - closed below; the access log: a pipe nobody reads would fill and block the server
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=logs, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                logs.seek(0)
                raise AssertionError(f"the server exited: {logs.read().decode(errors='replace')[-2000:]}")
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield base
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        logs.close()


@pytest.fixture
def serve() -> Callable[..., object]:
    return server
