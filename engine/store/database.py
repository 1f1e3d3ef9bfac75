"""Opening the log's database: a URL as SQLAlchemy takes it, and SQLite set up for a log (WAL, a flush at every
commit, the write lock taken when a transaction begins)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event


def database_url(url: str) -> str:
    """A database URL as SQLAlchemy takes it: `postgresql://` uses psycopg 3; a bare path is a SQLite file."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{Path(url).resolve()}"
    return url


def reader(engine: Engine) -> Engine:
    """The same database for reading only: in SQLite, its transactions do not take the write lock."""
    return engine.execution_options(reading=True)


def make_engine(url: str) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite"):
        created = create_engine(
            url, pool_size=8, max_overflow=16, connect_args={"timeout": 60, "check_same_thread": False}
        )

        @event.listens_for(created, "connect")
        def _sqlite_connect(dbapi: Any, record: Any) -> None:
            dbapi.isolation_level = None  # transactions begin where the store says (BEGIN IMMEDIATE)
            cursor = dbapi.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")  # a committed decision survives a power cut
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(created, "begin")
        def _sqlite_begin(connection: Connection) -> None:
            # a write takes the file's write lock at once (no upgrade from read to write that could fail midway);
            # a read (`reader`) reads a snapshot, beside the writer (WAL)
            reading = connection.get_execution_options().get("reading", False)
            connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

        return created
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
