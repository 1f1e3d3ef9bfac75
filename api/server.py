"""The app as uvicorn runs it: settings from the environment that `clearance serve` sets."""

from __future__ import annotations

import logging
import sys

from fastapi import FastAPI

import engine
from api.app import create_app
from engine.cli.store import database_target
from engine.store import DecisionLog


def app_from_env() -> FastAPI:
    """`CLEARANCE_DATABASE` (a URL or a SQLite file) and `CLEARANCE_PACK` (default: the shipped pack)."""
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(message)s")
    store = DecisionLog(database_target(None))
    return create_app(engine.load_pack(), store)
