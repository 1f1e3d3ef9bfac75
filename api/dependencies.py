"""What the routes share, as FastAPI dependencies: the services (the log, the versions), the caller and its
role, and request bodies read within their limits, after the caller is known."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CollectorRegistry, Counter, Histogram
from pydantic import BaseModel, ValidationError

from api.errors import ApiError, validation_details
from api.shapes import MAX_BODY, PERMISSIONS
from api.versions import Versions
from engine.pack import Pack
from engine.store import UNKNOWN, DecisionLog

Model = TypeVar("Model", bound=BaseModel)
PARSE_INLINE = 64 * 1024  # a body larger than this is parsed off the event loop


@dataclass
class Metrics:
    registry: CollectorRegistry
    decided: Counter
    latency: Histogram


@dataclass
class Services:
    """What one app serves from: the pack it started with, the decision log, the versions, its metrics."""

    pack: Pack
    store: DecisionLog
    versions: Versions
    metrics: Metrics


@dataclass
class Caller:
    key_id: str
    role: str

    def may(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("x-api-key")


def caller(*permissions: str) -> Callable[[Request], Awaitable[Caller]]:
    """The authenticated caller, whose role has at least one of `permissions` (401 without a valid key, 403 for
    the wrong role). Nothing of the request's body is read before this."""
    roles = set().union(*(PERMISSIONS[p] for p in permissions))

    async def check(request: Request) -> Caller:
        store = services(request).store
        key = bearer(request)
        found = None
        if key:
            found = store.remembered(key)
            if found is UNKNOWN:
                found = await run_in_threadpool(store.authenticate, key)
        if found is None:
            raise ApiError(401, "unauthorized", "a valid API key is required (Authorization: Bearer KEY)")
        who = Caller(*found)
        request.state.key_id = who.key_id
        if who.role not in roles:
            raise ApiError(403, "forbidden", f"role `{who.role}` may not do this (needs {' or '.join(sorted(roles))})")
        return who

    return check


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request's body, refused (413) as soon as it passes `limit` bytes."""
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise ApiError(413, "too_large", f"the request body is larger than {limit:,} bytes")
    return bytes(data)


async def read_model(request: Request, model: type[Model], limit: int) -> Model:
    """A JSON body validated as `model`; a large one is parsed off the event loop."""
    raw = await read_body(request, limit)
    try:
        data: Any = await run_in_threadpool(json.loads, raw) if len(raw) > PARSE_INLINE else json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "invalid_document", f"the request body is not JSON: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "invalid_request", "the request is not valid", validation_details(exc.errors())) from None
