"""CSV files of transactions checked as `clearance batch` checks them, under the version in force, with license
usage counted from the decision log's totals when the batch starts. The decisions are not stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response

from api.dependencies import Caller, Services, caller, read_body, services
from api.shapes import MAX_BATCH
from api.work import batch_file

router = APIRouter(tags=["batches"])


@router.post(
    "/v1/batches",
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}},
    response_class=PlainTextResponse,
)
async def create_batch(
    request: Request,
    who: Annotated[Caller, Depends(caller("batches:create"))],
    app: Annotated[Services, Depends(services)],
    output: Annotated[str, Query(alias="format", pattern="^(csv|jsonl)$")] = "csv",
) -> Response:
    """A CSV file of transactions (the body, `text/csv`) checked as `clearance batch` does, under the version in
    force and counting license usage against the log: the result CSV or JSON lines."""
    raw = await read_body(request, MAX_BATCH)
    pack = await app.versions.in_force()
    usage = await run_in_threadpool(app.store.usage)
    return await run_in_threadpool(batch_file, pack, raw, output, usage)
