"""Published versions: listed, shown, diffed, published (after their tests pass), and simulated against the
logged transactions. Bodies that carry a whole pack are read only after the key is checked."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.dependencies import Caller, Services, caller, read_model, services
from api.errors import ApiError
from api.shapes import MAX_PACK, Activation, Publication, Simulation
from api.work import publish, ref, simulate_logged
from engine.errors import ClearanceError
from engine.store import Conflict, NotFound, StoreError
from engine.store.diff import diff

router = APIRouter(tags=["rulesets"])
PACK_BODY = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}


@router.get("/v1/rulesets")
async def list_rulesets(
    who: Annotated[Caller, Depends(caller("rulesets:read"))], app: Annotated[Services, Depends(services)]
) -> dict[str, Any]:
    """Every published version, oldest first."""
    return {"items": await run_in_threadpool(app.store.versions)}


@router.get("/v1/rulesets/{pack_name}/diff")
async def diff_rulesets(
    pack_name: str,
    who: Annotated[Caller, Depends(caller("rulesets:read"))],
    app: Annotated[Services, Depends(services)],
    old: Annotated[str, Query(alias="from", max_length=300)],
    new: Annotated[str, Query(alias="to", max_length=300)],
) -> dict[str, Any]:
    """What changed between two versions (labels of this pack, or digests)."""
    try:
        before = await run_in_threadpool(app.store.version, ref(pack_name, old))
        after = await run_in_threadpool(app.store.version, ref(pack_name, new))
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except StoreError as exc:
        raise ApiError(400, "bad_reference", str(exc)) from None
    return diff(before["files"], after["files"])


@router.get("/v1/rulesets/{pack_name}/shadow")
async def shadow_report(
    pack_name: str,
    who: Annotated[Caller, Depends(caller("rulesets:shadow-report"))],
    app: Annotated[Services, Depends(services)],
    limit: Annotated[int, Query(ge=0, le=1000)] = 100,
) -> dict[str, Any]:
    """Where the shadowed candidate and the version in force disagree on the live decisions both judged."""
    report: dict[str, Any] = await run_in_threadpool(app.store.shadow_report, pack_name, None, limit)
    report["shadowing"] = await run_in_threadpool(app.store.shadowed, pack_name)
    return report


@router.delete("/v1/rulesets/{pack_name}/shadow")
async def stop_shadow(
    pack_name: str,
    who: Annotated[Caller, Depends(caller("rulesets:shadow"))],
    app: Annotated[Services, Depends(services)],
) -> dict[str, Any]:
    """Stop judging live decisions again under the candidate."""
    ended = await run_in_threadpool(app.store.stop_shadow, pack_name, who.key_id)
    app.versions.stale()
    return {"pack": pack_name, "ended": ended}


@router.get("/v1/rulesets/{pack_name}/{label}")
async def get_ruleset(
    pack_name: str,
    label: str,
    who: Annotated[Caller, Depends(caller("rulesets:read"))],
    app: Annotated[Services, Depends(services)],
) -> dict[str, Any]:
    """One version: who published it, when, why, and its files."""
    try:
        found: dict[str, Any] = await run_in_threadpool(app.store.version, ref(pack_name, label))
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except StoreError as exc:
        raise ApiError(400, "bad_reference", str(exc)) from None
    return found


@router.post("/v1/rulesets/{pack_name}/{label}/activate")
async def activate_ruleset(
    pack_name: str,
    label: str,
    body: Activation,
    who: Annotated[Caller, Depends(caller("rulesets:activate"))],
    app: Annotated[Services, Depends(services)],
) -> dict[str, Any]:
    """Put a published version in force (rolling back is activating an earlier one): who, when and why are
    chained in the log, and every server process takes it within five seconds."""
    try:
        record: dict[str, Any] = await run_in_threadpool(
            app.store.activate, ref(pack_name, label), body.note, who.key_id
        )
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except StoreError as exc:
        raise ApiError(422, "not_activated", str(exc)) from None
    app.versions.stale()
    return record


@router.post("/v1/rulesets/{pack_name}/{label}/shadow")
async def start_shadow(
    pack_name: str,
    label: str,
    who: Annotated[Caller, Depends(caller("rulesets:shadow"))],
    app: Annotated[Services, Depends(services)],
) -> dict[str, Any]:
    """Judge every live decision again under this candidate, beside the version in force: the answer is stored
    beside the decision, never sent, never counted against a license (`GET .../shadow` reports)."""
    try:
        record: dict[str, Any] = await run_in_threadpool(app.store.shadow, ref(pack_name, label), who.key_id)
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except StoreError as exc:
        raise ApiError(422, "not_shadowed", str(exc)) from None
    app.versions.stale()
    return {"shadowing": record}


@router.post("/v1/rulesets", status_code=201, openapi_extra={"requestBody": PACK_BODY})
async def publish_ruleset(
    request: Request,
    who: Annotated[Caller, Depends(caller("rulesets:publish"))],
    app: Annotated[Services, Depends(services)],
) -> JSONResponse:
    """Publish a version (a `Publication`: its files by path, a note, a label), after its own tests pass; it is
    not in force until activated (`in_force` says whether it is). 200 when the same content was published before
    (under the label the answer names); 409 when the label is taken by other content; 422 when its tests fail."""
    body = await read_model(request, Publication, MAX_PACK)
    try:
        record, created = await run_in_threadpool(publish, app.store, body, who.key_id)
    except Conflict as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    except ClearanceError as exc:
        raise ApiError(422, "not_published", str(exc)) from None
    app.versions.stale()
    held = await run_in_threadpool(app.store.in_force, record["pack"])
    record["in_force"] = held is not None and held["digest"] == record["digest"]
    return JSONResponse(record, status_code=201 if created else 200)


@router.post("/v1/simulations", openapi_extra={"requestBody": PACK_BODY})
async def create_simulation(
    request: Request,
    who: Annotated[Caller, Depends(caller("simulations:create"))],
    app: Annotated[Services, Depends(services)],
) -> dict[str, Any]:
    """Judge the logged transactions (since a day) under the version in force (or `against`) and the candidate
    (a `Simulation`): every decision that would flip, every fee that would change, and the rules responsible."""
    body = await read_model(request, Simulation, MAX_PACK)
    current = await (app.versions.named(body.against) if body.against else app.versions.in_force())
    try:
        result: dict[str, Any] = await run_in_threadpool(simulate_logged, app.store, current, body)
    except ClearanceError as exc:
        raise ApiError(422, "invalid_candidate", str(exc)) from None
    return result
