"""The API's shapes: limits, permissions, request bodies, and the access-log middleware."""

import datetime as dt
import json
import logging
import time
from typing import Annotated, Any

from fastapi.responses import JSONResponse
from prometheus_client import Histogram
from pydantic import AfterValidator, BaseModel, Field

from api.errors import error_body

log = logging.getLogger("clearance.access")

MAX_BODY = 64 * 1024  # one transaction
MAX_BATCH = 50 * 1024 * 1024  # one CSV upload
MAX_PACK = 16 * 1024 * 1024  # the files of a pack (published or simulated)
LIMITS = {"/v1/batches": MAX_BATCH, "/console/batch": MAX_BATCH, "/v1/rulesets": MAX_PACK, "/v1/simulations": MAX_PACK}
PERMISSIONS = {
    "decisions:create": {"submitter"},
    "decisions:pin": {"rules-admin", "auditor"},  # judge under a version other than the one in force, not stored
    "decisions:read": {"submitter", "reviewer", "auditor"},
    "reviews:read": {"reviewer", "auditor"},
    "reviews:resolve": {"reviewer"},
    "batches:create": {"submitter"},
    "rulesets:read": {"submitter", "reviewer", "auditor", "rules-admin"},
    "rulesets:publish": {"rules-admin"},
    "rulesets:activate": {"rules-admin"},
    "rulesets:shadow": {"rules-admin"},
    "rulesets:shadow-report": {"rules-admin", "auditor"},
    "simulations:create": {"rules-admin", "auditor"},
}
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


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("holds a NUL character")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]


class Publication(BaseModel):
    files: dict[Text, Text] = Field(
        description="every file of the pack by its path (pack.yaml, rules/..., data/..., tests/...)"
    )
    note: Text = Field(min_length=1, max_length=5000, description="what changed and why")
    label: Text | None = Field(default=None, max_length=200, description="default: the pack's `version`")


class Simulation(BaseModel):
    candidate: dict[Text, Text] = Field(description="the candidate pack's files by path")
    against: Text | None = Field(
        default=None, max_length=300, description="the current version (default: the one in force)"
    )
    since: dt.date | None = Field(default=None, description="logged decisions since this day (default: all)")
    as_of: dt.date | None = Field(
        default=None, description="judge every transaction as if it shipped on this day (default: its own date)"
    )


class Activation(BaseModel):
    note: Text = Field(min_length=1, max_length=5000, description="why this version goes into force: required")


class Resolution(BaseModel):
    resolution: str = Field(pattern="^(release|reject)$", description="`release` (allow) or `reject` (deny)")
    note: Text = Field(min_length=1, max_length=5000, description="why: required")


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
        limit = LIMITS.get(path, MAX_BODY)
        status = 500
        length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        query = scope.get("query_string", b"")
        if "\x00" in path or b"\x00" in query or b"%00" in query.lower():  # no database takes it: say so at once
            status = 400
            body = error_body("invalid_request", "the request's path or query holds a NUL character")
            await JSONResponse(body, 400)(scope, receive, send)
        elif length is not None and (not length.isdigit() or int(length) > limit):
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
