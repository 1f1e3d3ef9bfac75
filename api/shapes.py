"""The API's shapes: limits, permissions, the one error shape, request bodies, and the access-log middleware."""

import datetime as dt
import json
import logging
import time
from typing import Any

from fastapi.responses import JSONResponse
from prometheus_client import Histogram
from pydantic import BaseModel, Field

log = logging.getLogger("clearance.access")

MAX_BODY = 64 * 1024  # one transaction
MAX_BATCH = 50 * 1024 * 1024  # one CSV upload, or the files of a pack
LARGE_BODIES = ("/v1/batches", "/v1/rulesets", "/v1/simulations", "/console/batch")
PERMISSIONS = {
    "decisions:create": {"submitter"},
    "decisions:read": {"submitter", "reviewer", "auditor"},
    "reviews:read": {"reviewer", "auditor"},
    "reviews:resolve": {"reviewer"},
    "batches:create": {"submitter"},
    "rulesets:read": {"submitter", "reviewer", "auditor", "rules-admin"},
    "rulesets:publish": {"rules-admin"},
    "simulations:create": {"rules-admin", "auditor"},
}
NEWEST_SECONDS = 5.0  # how long the newest published version is remembered before the log is asked again
EXAMPLE = {
    "id": "T-1",
    "date": "2026-02-01",
    "product": "H200",
    "quantity": 100,
    "unit_price_usd": "30000",
    "destination": "CN",
    "customer": {"id": "C-ALI", "name": "Alibaba Cloud Computing Ltd.", "country": "CN"},
    "end_use": "commercial-ai",
    "attestations": ["us_third_party_tested", "kyc_remote_access_controls", "us_supply_sufficient",
                     "no_foundry_diversion", "china_volume_within_50pct"],
}  # fmt: skip


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


class Publication(BaseModel):
    files: dict[str, str] = Field(
        description="every file of the pack by its path (pack.yaml, rules/..., data/..., tests/...)"
    )
    note: str = Field(min_length=1, max_length=5000, description="what changed and why")
    label: str | None = Field(default=None, max_length=200, description="default: the pack's `version`")


class Simulation(BaseModel):
    candidate: dict[str, str] = Field(description="the candidate pack's files by path")
    against: str | None = Field(default=None, description="the current version (default: the newest published)")
    since: dt.date | None = Field(default=None, description="logged decisions since this day (default: all)")


class Resolution(BaseModel):
    resolution: str = Field(pattern="^(release|reject)$", description="`release` (allow) or `reject` (deny)")
    note: str = Field(min_length=1, max_length=5000, description="why: required")


class _TooLarge(Exception):
    """A request body past its route's limit, found while it streams in."""


class AccessLog:
    """Refuses a body declared larger than its route's limit (413), times every request and logs it as one JSON
    line with the decision's id (a plain ASGI middleware: no cost beyond its own work)."""

    def __init__(self, app: Any, latency: Histogram):
        self.app = app
        self.latency = latency

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        path = scope["path"]
        limit = MAX_BATCH if path in LARGE_BODIES else MAX_BODY
        status = 500
        length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if length is not None and (not length.isdigit() or int(length) > limit):
            response = JSONResponse(error_body("too_large", f"the request body is larger than {limit:,} bytes"), 413)
            status = 413
            await response(scope, receive, send)
        else:
            received = 0
            started = False

            async def receiving() -> Any:  # a body sent without its length is counted as it arrives
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise _TooLarge
                return message

            async def sending(message: Any) -> None:
                nonlocal status, started
                if message["type"] == "http.response.start":
                    status = message["status"]
                    started = True
                await send(message)

            try:
                await self.app(scope, receiving, sending)
            except _TooLarge:
                if started:
                    raise
                status = 413
                too_large = error_body("too_large", f"the request body is larger than {limit:,} bytes")
                await JSONResponse(too_large, 413)(scope, receive, send)
        elapsed = time.perf_counter() - began
        route = scope.get("route")
        self.latency.labels(getattr(route, "path", "other")).observe(elapsed)
        state = scope.get("state") or {}
        if log.isEnabledFor(logging.INFO):
            log.info(
                json.dumps(
                    {
                        "method": scope["method"],
                        "path": path,
                        "status": status,
                        "ms": round(elapsed * 1000, 2),
                        "decision_id": state.get("decision_id"),
                        "key": state.get("key_id"),
                    }
                )
            )
