"""The app as uvicorn runs it: settings from the environment that `clearance serve` sets."""

from __future__ import annotations

import logging
import os
import sys

from fastapi import FastAPI

import engine
from api.app import create_app
from engine.store import DecisionLog

DEFAULT_DATABASE = "clearance.db"


def app_from_env() -> FastAPI:
    """`CLEARANCE_DATABASE` (a URL or a SQLite file) and `CLEARANCE_PACK` (default: the shipped pack)."""
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(message)s")
    store = DecisionLog(os.environ.get("CLEARANCE_DATABASE", DEFAULT_DATABASE))
    return create_app(engine.load_pack(), store)
