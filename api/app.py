"""The HTTP API of SPEC.md: a thin shell over the engine's public names and the decision log.

Every error has one shape, `{"error": {"code", "message", "details"}}`; bad input is a 4xx that names what is
wrong, never a 500. Every route but the health checks needs an API key (`Authorization: Bearer KEY` or
`X-API-Key: KEY`) of a role allowed to use it.
"""

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from starlette.exceptions import HTTPException as StarletteHTTPException

import engine
from api.console import add_console
from api.shapes import (
    EXAMPLE,
    MAX_BATCH,
    MAX_BODY,
    NEWEST_SECONDS,
    PERMISSIONS,
    AccessLog,
    ApiError,
    Publication,
    Resolution,
    Simulation,
    error_body,
    log,
)
from api.work import batch_file, publish, ref, simulate_logged
from engine.contract.documents import load_document
from engine.errors import ClearanceError, InvalidDocument, InvalidTransaction
from engine.store import UNKNOWN, Conflict, DecisionLog, NotFound, StoreError
from engine.store.diff import diff


@dataclass
class Caller:
    key_id: str
    role: str


def create_app(pack: engine.Pack, store: DecisionLog) -> FastAPI:
    """The API over `pack` and the decision log `store` (its tables migrated)."""
    app = FastAPI(
        title="clearance",
        version="1",
        description="Screen AI-accelerator exports against dated, declarative rule packs. Every decision is "
        "stored in the decision log before it is returned.",
    )
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
    app.state.pack, app.state.store = pack, store

    # errors: one shape ---------------------------------------------------------------------------------------
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body"), "message": e["msg"]} for e in exc.errors()
        ]
        return JSONResponse(error_body("invalid_request", "the request is not valid", details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("internal", "the server failed; the error is logged"), status_code=500)

    # access log and body limits ------------------------------------------------------------------------------
    app.add_middleware(AccessLog, latency=latency)

    async def body(request: Request, limit: int = MAX_BODY) -> bytes:
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > limit:
                raise ApiError(413, "too_large", f"the request body is larger than {limit:,} bytes")
        return bytes(data)

    # access control ------------------------------------------------------------------------------------------
    def allowed(permission: str) -> Callable[[Request], Awaitable[Caller]]:
        roles = PERMISSIONS[permission]

        async def check(request: Request) -> Caller:
            header = request.headers.get("authorization", "")
            key = header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("x-api-key")
            found = None
            if key:
                found = store.remembered(key)
                if found is UNKNOWN:
                    found = await run_in_threadpool(store.authenticate, key)
            if found is None:
                raise ApiError(401, "unauthorized", "a valid API key is required (Authorization: Bearer KEY)")
            caller = Caller(*found)
            request.state.key_id = caller.key_id
            if caller.role not in roles:
                raise ApiError(
                    403, "forbidden", f"role `{caller.role}` may not do this (needs {' or '.join(sorted(roles))})"
                )
            return caller

        return check

    # health --------------------------------------------------------------------------------------------------
    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"])
    async def readyz() -> JSONResponse:
        ready = await run_in_threadpool(store.ready)
        body = {"status": "ready" if ready else "not ready", "ruleset": pack.ruleset}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["operations"], response_class=PlainTextResponse)
    async def metrics() -> Response:
        data = await run_in_threadpool(generate_latest, registry)
        return Response(data, media_type=CONTENT_TYPE_LATEST)

    # decisions -----------------------------------------------------------------------------------------------
    @app.post(
        "/v1/decisions",
        tags=["decisions"],
        status_code=201,
        responses={
            200: {"description": "the same transaction was submitted before: its stored decision"},
            409: {"description": "the transaction id is in the log with other content"},
            422: {"description": "invalid transaction: every bad field named"},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": engine.contract.transaction_schema(), "example": EXAMPLE}},
            }
        },
    )
    async def create_decision(
        request: Request,
        caller: Annotated[Caller, Depends(allowed("decisions:create"))],
        ruleset: Annotated[str | None, Query(max_length=300, description="a published version to judge under")] = None,
    ) -> JSONResponse:
        """Validate, evaluate, store and return the decision (with its `decision_id`)."""
        raw = await body(request)
        try:
            data = load_document(raw.decode("utf-8"), "request body")
        except UnicodeDecodeError:
            raise ApiError(400, "invalid_document", "the request body is not UTF-8") from None
        except InvalidDocument as exc:
            raise ApiError(400, "invalid_document", exc.message) from None
        judge = await pack_for(ruleset)
        try:
            tx = judge.transaction(data, "request body")
        except InvalidTransaction as exc:
            details = [{"field": e.field, "message": e.message} for e in exc.errors]
            raise ApiError(422, "invalid_transaction", "the transaction is not valid", details) from None
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[Any] = loop.create_future()

        def settle(outcome: Any) -> None:
            if not answered.done():  # a client that went away leaves its future cancelled
                answered.set_result(outcome)

        def answer(outcome: Any) -> None:  # called by the log's writer after the commit
            loop.call_soon_threadsafe(settle, outcome)

        store.submit_later(judge, tx, caller.key_id, answer)
        outcome = await answered
        try:
            if isinstance(outcome, BaseException):
                raise outcome
            record, created = outcome
        except Conflict as exc:
            raise ApiError(409, "conflict", str(exc)) from None
        except StoreError as exc:
            raise ApiError(503, "unavailable", str(exc)) from None
        request.state.decision_id = record["decision_id"]
        if created:
            decided.labels(record["decision"]).inc()
        return JSONResponse(record, status_code=201 if created else 200)

    @app.get("/v1/decisions/{decision_id}", tags=["decisions"])
    async def get_decision(decision_id: str, caller: Annotated[Caller, Depends(allowed("decisions:read"))]) -> Any:
        """A stored decision (by decision id or transaction id), with its transaction and review."""
        try:
            return await run_in_threadpool(store.get, decision_id)
        except NotFound as exc:
            raise ApiError(404, "not_found", str(exc)) from None

    @app.get("/v1/decisions", tags=["decisions"])
    async def list_decisions(
        caller: Annotated[Caller, Depends(allowed("decisions:read"))],
        decision: Annotated[str | None, Query(pattern="^(allow|deny|review)$")] = None,
        since: Annotated[dt.datetime | dt.date | None, Query(description="evaluated at or after")] = None,
        customer: Annotated[str | None, Query(max_length=500, description="part of the name, or the id")] = None,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        """Decisions in log order, filtered, a page at a time (`next_cursor` gives the next page)."""
        when = None
        if since is not None:
            when = since if isinstance(since, dt.datetime) else dt.datetime.combine(since, dt.time())
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.timezone.utc)
        try:
            items, following = await run_in_threadpool(
                lambda: store.search(outcome=decision, since=when, customer=customer, after=cursor, limit=limit)
            )
        except StoreError as exc:
            raise ApiError(400, "bad_cursor", str(exc)) from None
        return {"items": items, "next_cursor": following}

    # reviews -------------------------------------------------------------------------------------------------
    @app.get("/v1/reviews", tags=["reviews"])
    async def list_reviews(
        caller: Annotated[Caller, Depends(allowed("reviews:read"))],
        status: Annotated[str | None, Query(pattern="^(open|resolved)$")] = "open",
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        """The review queue: every `review` decision opens a review."""
        return {"items": await run_in_threadpool(lambda: store.reviews(status, limit))}

    @app.post("/v1/reviews/{decision_id}", tags=["reviews"])
    async def resolve_review(
        decision_id: str, resolution: Resolution, caller: Annotated[Caller, Depends(allowed("reviews:resolve"))]
    ) -> Any:
        """Record a person's resolution beside the engine's decision (which is kept as it was)."""
        try:
            return await run_in_threadpool(
                store.resolve, decision_id, resolution.resolution, resolution.note, caller.key_id
            )
        except NotFound as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        except Conflict as exc:
            raise ApiError(409, "conflict", str(exc)) from None
        except StoreError as exc:
            raise ApiError(422, "invalid_resolution", str(exc)) from None

    # rule versions -----------------------------------------------------------------------------------------
    loaded: dict[str, engine.Pack] = {pack.digest: pack}
    newest: list[Any] = [0.0, None]  # when asked, the newest version's digest

    refreshing: list[asyncio.Future[str | None] | None] = [None]

    async def refresh() -> str | None:
        try:
            found = await run_in_threadpool(store.newest, pack.name)
            newest[:] = [time.monotonic(), found["digest"] if found else None]
            return newest[1]
        finally:
            refreshing[0] = None

    async def newest_digest() -> str | None:
        """The newest published version of this pack, asked of the log every few seconds by one request while
        the others arriving meanwhile wait for its answer (not one query each)."""
        if time.monotonic() - newest[0] <= NEWEST_SECONDS:
            return newest[1]
        task = refreshing[0]
        if task is None:
            task = refreshing[0] = asyncio.ensure_future(refresh())
        return await asyncio.shield(task)

    async def pack_for(ref: str | None) -> engine.Pack:
        """The pack a decision is judged under: the version asked for, else the newest published one of this
        pack, else the pack the server started with."""
        if ref is None:
            ref = await newest_digest()
            if ref is None:
                return pack
        known = loaded.get(ref)
        if known is not None:
            return known
        try:
            version = await run_in_threadpool(store.load_version, ref)
        except NotFound as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        except StoreError as exc:
            raise ApiError(422, "invalid_ruleset", str(exc)) from None
        loaded[ref] = loaded[version.digest] = version
        return version

    @app.get("/v1/rulesets", tags=["rulesets"])
    async def list_rulesets(caller: Annotated[Caller, Depends(allowed("rulesets:read"))]) -> dict[str, Any]:
        """Every published version, oldest first."""
        return {"items": await run_in_threadpool(store.versions)}

    @app.get("/v1/rulesets/{pack_name}/diff", tags=["rulesets"])
    async def diff_rulesets(
        pack_name: str,
        caller: Annotated[Caller, Depends(allowed("rulesets:read"))],
        old: Annotated[str, Query(alias="from", max_length=300)],
        new: Annotated[str, Query(alias="to", max_length=300)],
    ) -> dict[str, Any]:
        """What changed between two versions (labels of this pack, or digests)."""
        try:
            before = await run_in_threadpool(store.version, ref(pack_name, old))
            after = await run_in_threadpool(store.version, ref(pack_name, new))
        except NotFound as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        except StoreError as exc:
            raise ApiError(400, "bad_reference", str(exc)) from None
        return diff(before["files"], after["files"])

    @app.get("/v1/rulesets/{pack_name}/{label}", tags=["rulesets"])
    async def get_ruleset(
        pack_name: str, label: str, caller: Annotated[Caller, Depends(allowed("rulesets:read"))]
    ) -> dict[str, Any]:
        """One version: who published it, when, why, and its files."""
        try:
            return await run_in_threadpool(store.version, ref(pack_name, label))
        except NotFound as exc:
            raise ApiError(404, "not_found", str(exc)) from None

    @app.post("/v1/rulesets", tags=["rulesets"], status_code=201)
    async def publish_ruleset(
        body: Publication, caller: Annotated[Caller, Depends(allowed("rulesets:publish"))]
    ) -> JSONResponse:
        """Publish a version (its files by path), after its own tests pass. 200 when the same content was
        published before; 409 when the label is taken by other content; 422 when its tests fail."""
        try:
            record, created = await run_in_threadpool(publish, store, body, caller.key_id)
        except Conflict as exc:
            raise ApiError(409, "conflict", str(exc)) from None
        except ClearanceError as exc:
            raise ApiError(422, "not_published", str(exc)) from None
        newest[0] = 0.0
        return JSONResponse(record, status_code=201 if created else 200)

    @app.post("/v1/simulations", tags=["rulesets"])
    async def create_simulation(
        body: Simulation, caller: Annotated[Caller, Depends(allowed("simulations:create"))]
    ) -> dict[str, Any]:
        """Judge the logged transactions (since a day) under the current version and the candidate: every
        decision that would flip, every fee that would change, and the rules responsible."""
        current = await pack_for(body.against)
        try:
            return await run_in_threadpool(simulate_logged, store, current, body)
        except ClearanceError as exc:
            raise ApiError(422, "invalid_candidate", str(exc)) from None

    # batches -------------------------------------------------------------------------------------------------
    @app.post(
        "/v1/batches",
        tags=["batches"],
        openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}},
        response_class=PlainTextResponse,
    )
    async def create_batch(
        request: Request,
        caller: Annotated[Caller, Depends(allowed("batches:create"))],
        output: Annotated[str, Query(alias="format", pattern="^(csv|jsonl)$")] = "csv",
    ) -> Response:
        """A CSV file of transactions (the body, `text/csv`) checked as `clearance batch` does: the result CSV
        or JSON lines. The decisions are not stored in the log."""
        raw = await body(request, MAX_BATCH)
        return await run_in_threadpool(batch_file, pack, raw, output)

    add_console(app, pack, store, pack_for)
    return app
