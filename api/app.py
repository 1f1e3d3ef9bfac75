"""The HTTP API of SPEC.md: a thin shell over the engine's public names and the decision log.

`create_app` only assembles: the services (the log, the versions, the metrics) on `app.state`, the error
handlers, the access-log middleware, one router per resource (`api/routers/`) and the console (`api/console/`).
Every error has one shape, `{"error": {"code", "message", "details"}}`; bad input is a 4xx that names what is
wrong, never a 500. Every route but the health checks needs an API key (`Authorization: Bearer KEY` or
`X-API-Key: KEY`) of a role allowed to use it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

import engine
from api import errors
from api.console import add_console
from api.dependencies import Metrics, Services
from api.routers import batches, decisions, operations, reviews, rulesets
from api.shapes import AccessLog
from api.versions import Versions
from engine.store import DecisionLog


def create_app(pack: engine.Pack, store: DecisionLog, *, secure_cookies: bool = False) -> FastAPI:
    """The API over `pack` (judged under while no version is published) and the decision log `store` (its tables
    migrated). `secure_cookies`: the console's cookie is `Secure` even when the request did not come over TLS
    (behind a proxy that ends TLS)."""
    app = FastAPI(
        title="clearance",
        version="1",
        description="Screen AI-accelerator exports against dated, declarative rule packs. Every decision is "
        "stored in the decision log before it is returned.",
    )
    app.state.services = Services(pack, store, Versions(pack, store), _metrics(store))
    errors.install(app)
    app.add_middleware(AccessLog, latency=app.state.services.metrics.latency)
    for module in (operations, decisions, reviews, rulesets, batches):
        app.include_router(module.router)
    add_console(app, secure_cookies=secure_cookies)
    return app


def _metrics(store: DecisionLog) -> Metrics:
    registry = CollectorRegistry()
    decided = Counter("clearance_decisions_total", "Decisions made, by outcome", ["outcome"], registry=registry)
    latency = Histogram(
        "clearance_request_seconds", "Request latency", ["route"], registry=registry,
        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    )  # fmt: skip

    class OpenReviews:
        def collect(self) -> Any:
            gauge = GaugeMetricFamily("clearance_open_reviews", "Reviews waiting for a person")
            gauge.add_metric([], store.open_reviews())
            yield gauge

    registry.register(OpenReviews())
    return Metrics(registry, decided, latency)
