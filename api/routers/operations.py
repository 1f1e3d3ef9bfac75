"""Health, readiness (with the version in force) and metrics: no key needed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.dependencies import Services, services

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(app: Annotated[Services, Depends(services)]) -> JSONResponse:
    ready = await run_in_threadpool(app.store.ready)
    in_force = await app.versions.in_force() if ready else app.pack
    body = {"status": "ready" if ready else "not ready", "ruleset": in_force.ruleset}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(app: Annotated[Services, Depends(services)]) -> Response:
    data = await run_in_threadpool(generate_latest, app.metrics.registry)
    return Response(data, media_type=CONTENT_TYPE_LATEST)
