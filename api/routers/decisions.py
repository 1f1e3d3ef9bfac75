"""Decisions: submitted (judged under the version in force and stored), read, listed; and evaluations under a
pinned version, which rules-admin and auditor keys make for simulation and replay and which are never stored as
decisions (each is chained in the log as a `pinned-evaluation` event)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

import engine
from api.dependencies import Caller, Services, caller, read_body, services
from api.errors import ApiError
from api.shapes import EXAMPLE
from engine.contract.documents import load_document
from engine.errors import InvalidDocument, InvalidTransaction
from engine.evaluation import CountedFacts
from engine.store import Conflict, NotFound, StoreError
from engine.store.log import content_digest

router = APIRouter(tags=["decisions"])


def transaction_of(pack: engine.Pack, raw: bytes) -> engine.Transaction:
    """The request body as a transaction valid under the pack: 400 when it is not a document, 422 naming every
    bad field."""
    try:
        data = load_document(raw.decode("utf-8"), "request body")
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_document", "the request body is not UTF-8") from None
    except InvalidDocument as exc:
        raise ApiError(400, "invalid_document", exc.message) from None
    try:
        return pack.transaction(data, "request body")
    except InvalidTransaction as exc:
        details = [{"field": e.field, "message": e.message} for e in exc.errors]
        raise ApiError(422, "invalid_transaction", "the transaction is not valid", details) from None


async def stored(app: Services, pack: engine.Pack, tx: engine.Transaction, key_id: str) -> tuple[dict[str, Any], bool]:
    """Judge and store through the log's writer (group commit), without holding a thread while it works."""
    loop = asyncio.get_running_loop()
    answered: asyncio.Future[Any] = loop.create_future()

    def settle(outcome: Any) -> None:
        if not answered.done():  # a client that went away leaves its future cancelled
            answered.set_result(outcome)

    def answer(outcome: Any) -> None:  # called by the log's writer after the commit
        loop.call_soon_threadsafe(settle, outcome)

    app.store.submit_later(pack, tx, key_id, answer, shadow=await app.versions.shadowed())
    outcome = await answered
    try:
        if isinstance(outcome, BaseException):
            raise outcome
        record, created = outcome
    except Conflict as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    except StoreError as exc:
        raise ApiError(503, "unavailable", str(exc)) from None
    return record, created


def pinned_evaluation(
    app: Services, pack: engine.Pack, tx: engine.Transaction, ref: str, who: Caller
) -> dict[str, Any]:
    """Judge under a pinned version with the log's usage as it is now, use none of it, store no decision; chain
    the evaluation in the log as an event, and mark the answer as pinned."""
    decision = engine.stamp(engine.evaluate(pack, tx, CountedFacts.from_totals(app.store.usage())))
    record = decision.as_dict()
    body = {
        "transaction_id": tx.id, "content_digest": content_digest(tx), "ref": ref, "ruleset": pack.ruleset,
        "decision_id": record["decision_id"], "decision": record["decision"], "fee_usd": record["fee_usd"],
    }  # fmt: skip
    event = app.store.record_event("pinned-evaluation", tx.id, body, who.key_id)
    return {**record, "pinned": {"ref": ref, "stored": False, "event": event["seq"]}}


@router.post(
    "/v1/decisions",
    status_code=201,
    responses={
        200: {"description": "the same transaction was submitted before: its stored decision; or an evaluation "
              "under a pinned version (rules-admin, auditor), marked `pinned` and not stored as a decision"},
        403: {"description": "a submitter pinned a version other than the one in force"},
        409: {"description": "the transaction id is in the log with other content"},
        422: {"description": "invalid transaction: every bad field named"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": engine.contract.transaction_schema(), "example": EXAMPLE}},
        }
    },
)  # fmt: skip
async def create_decision(
    request: Request,
    who: Annotated[Caller, Depends(caller("decisions:create", "decisions:pin"))],
    app: Annotated[Services, Depends(services)],
    ruleset: Annotated[
        str | None, Query(max_length=300, description="a published version to judge under (rules-admin, auditor)")
    ] = None,
) -> JSONResponse:
    """Validate, judge under the version in force, store and return the decision (with its `decision_id`)."""
    current = await app.versions.in_force()
    judge = current if ruleset is None else await app.versions.named(ruleset)
    if ruleset is not None and who.may("decisions:pin"):
        tx = transaction_of(judge, await read_body(request))
        return JSONResponse(await run_in_threadpool(pinned_evaluation, app, judge, tx, ruleset, who))
    if judge.digest != current.digest:
        raise ApiError(
            403, "forbidden",
            f"a `{who.role}` key judges under the version in force ({current.name} {current.version}, "
            f"{current.digest[:19]}); evaluating under `{ruleset}` is for rules-admin and auditor keys, and is "
            "never stored as a decision",
        )  # fmt: skip
    if not who.may("decisions:create"):
        raise ApiError(403, "forbidden", f"role `{who.role}` may not submit decisions (it may pin a version)")
    tx = transaction_of(judge, await read_body(request))
    record, created = await stored(app, judge, tx, who.key_id)
    request.state.decision_id = record["decision_id"]
    if created:
        app.metrics.decided.labels(record["decision"]).inc()
    return JSONResponse(record, status_code=201 if created else 200)


@router.get("/v1/decisions/{decision_id}")
async def get_decision(
    decision_id: str,
    who: Annotated[Caller, Depends(caller("decisions:read"))],
    app: Annotated[Services, Depends(services)],
) -> Any:
    """A stored decision (by decision id or transaction id), with its transaction and review."""
    try:
        return await run_in_threadpool(app.store.get, decision_id)
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None


@router.get("/v1/decisions")
async def list_decisions(
    who: Annotated[Caller, Depends(caller("decisions:read"))],
    app: Annotated[Services, Depends(services)],
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
            lambda: app.store.search(outcome=decision, since=when, customer=customer, after=cursor, limit=limit)
        )
    except StoreError as exc:
        raise ApiError(400, "bad_cursor", str(exc)) from None
    return {"items": items, "next_cursor": following}
