"""Shared fixtures: the shipped pack, the example pack, and a way to write small packs on disk."""

from __future__ import annotations

import os
import tempfile
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import engine
from engine.store import DecisionLog

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "rules" / "us-ai-chips"
EXAMPLE = ROOT / "tests" / "fixtures" / "packs" / "example"
# what a user's shell may point at: their decision log, their pack, their log key. No test reads any of it.
USER_STATE = ("CLEARANCE_DATABASE", "CLEARANCE_PACK", "CLEARANCE_LOG_KEY", "CLEARANCE_LOG_KEY_FILE")


def pytest_configure(config: pytest.Config) -> None:
    """The suite never reads the user's working state: their environment's log, pack and key are dropped, and
    published versions are unpacked into a cache of the run's own (for this process and every one it starts)."""
    for name in USER_STATE:
        os.environ.pop(name, None)
    os.environ["CLEARANCE_CACHE"] = tempfile.mkdtemp(prefix="clearance-test-cache-")


@pytest.fixture(scope="session")
def shipped_pack() -> engine.Pack:
    return engine.load_pack(SHIPPED)


@pytest.fixture(scope="session")
def example_pack() -> engine.Pack:
    return engine.load_pack(EXAMPLE)


MANIFEST = """\
name: scratch
version: "1"
title: scratch pack
tables:
  things:
    file: data/things.csv
    key: code
    columns: {size: number, ok: bool, since: date, tags: list}
  groups:
    file: data/groups.yaml
"""
THINGS = "code,size,ok,since,tags\nA,10,true,2024-01-01,x;y\nB,,false,2025-01-01,\n"
GROUPS = '"G1": ["CN", "RU"]\n'


@pytest.fixture
def write_pack(tmp_path: Path) -> Callable[..., Path]:
    """Write a pack with the given rule files (name -> YAML text); returns its directory."""

    def write(rules: dict[str, str], manifest: str = MANIFEST, files: dict[str, str] | None = None) -> Path:
        root = tmp_path / "pack"
        (root / "rules").mkdir(parents=True, exist_ok=True)
        (root / "data").mkdir(exist_ok=True)
        (root / "pack.yaml").write_text(manifest)
        (root / "data" / "things.csv").write_text(THINGS)
        (root / "data" / "groups.yaml").write_text(GROUPS)
        for name, text in {**(files or {})}.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        for name, text in rules.items():
            (root / "rules" / name).write_text(textwrap.dedent(text))
        return root

    return write


def tx(**overrides: object) -> dict[str, object]:
    """A valid transaction (JSON-like) with overrides."""
    base: dict[str, object] = {
        "id": "T-1",
        "date": "2026-02-01",
        "product": "H200",
        "quantity": 100,
        "unit_price_usd": "30000",
        "destination": "CN",
        "customer": {"id": "C-ALI", "name": "Alibaba Cloud Computing Ltd.", "country": "CN"},
        "end_use": "commercial-ai",
        "attestations": [
            "us_third_party_tested",
            "kyc_remote_access_controls",
            "us_supply_sufficient",
            "no_foundry_diversion",
            "china_volume_within_50pct",
        ],
    }
    base.update(overrides)
    return base


# a real decision log: a SQLite file, and a PostgreSQL database (skipped without a server, failing in CI) ------
POSTGRES = os.environ.get("CLEARANCE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_or_skip() -> str:
    """A fresh PostgreSQL database for one test (dropped after); skipped on a machine without PostgreSQL, but a
    failure in CI, where it must be there."""
    import psycopg

    try:
        admin = psycopg.connect(POSTGRES, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and is not reachable at {POSTGRES}: {exc}")
        pytest.skip(f"no PostgreSQL at {POSTGRES}: {exc}")
    name = f"clearance_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return POSTGRES.rsplit("/", 1)[0] + "/" + name


def drop_postgres(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "clearance.db")
        return
    url = postgres_or_skip()
    try:
        yield url
    finally:
        drop_postgres(url)


@pytest.fixture
def store(database: str) -> Iterator[DecisionLog]:
    log = DecisionLog(database)
    log.migrate()
    yield log
    log.close()
