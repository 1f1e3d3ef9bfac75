"""The app as uvicorn runs it: settings from the environment that `clearance serve` sets."""

from __future__ import annotations

import logging
import os
import sys

from fastapi import FastAPI

import engine
from api.app import create_app
from engine.cli.store import database_target
from engine.store import DecisionLog


def app_from_env() -> FastAPI:
    """`CLEARANCE_DATABASE` (a URL or a SQLite file), `CLEARANCE_PACK` (default: the shipped pack) and
    `CLEARANCE_SECURE_COOKIES` (1: the console's cookie is `Secure` behind a proxy that ends TLS)."""
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(message)s")
    store = DecisionLog(database_target(None))
    secure = os.environ.get("CLEARANCE_SECURE_COOKIES", "") in ("1", "true", "yes")
    return create_app(engine.load_pack(), store, secure_cookies=secure)
