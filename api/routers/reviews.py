"""The review queue: every `review` decision waits for a person, whose resolution is kept beside it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool

from api.dependencies import Caller, Services, caller, services
from api.errors import ApiError
from api.shapes import Resolution
from engine.store import Conflict, NotFound, StoreError

router = APIRouter(tags=["reviews"])


@router.get("/v1/reviews")
async def list_reviews(
    who: Annotated[Caller, Depends(caller("reviews:read"))],
    app: Annotated[Services, Depends(services)],
    status: Annotated[str | None, Query(pattern="^(open|resolved)$")] = "open",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """The review queue: every `review` decision opens a review."""
    return {"items": await run_in_threadpool(lambda: app.store.reviews(status, limit))}


@router.post("/v1/reviews/{decision_id}")
async def resolve_review(
    decision_id: str,
    resolution: Resolution,
    who: Annotated[Caller, Depends(caller("reviews:resolve"))],
    app: Annotated[Services, Depends(services)],
) -> Any:
    """Record a person's resolution beside the engine's decision (which is kept as it was)."""
    try:
        return await run_in_threadpool(
            app.store.resolve, decision_id, resolution.resolution, resolution.note, who.key_id
        )
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except Conflict as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    except StoreError as exc:
        raise ApiError(422, "invalid_resolution", str(exc)) from None
