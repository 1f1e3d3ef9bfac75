"""The versions a running server judges under: the one in force, a candidate shadowed beside it, and others
pinned by name, each compiled once.

The version in force is the version of the server's pack that the log's latest activation names (the pack the
server started with while none was ever activated); the shadowed candidate, the one the latest `shadow` names.
Both are asked of the log at most every `NEWEST_SECONDS` by one request while the others arriving meanwhile
wait for its answer: an activation reaches every worker process within that time. Pinned versions are named by
label, `pack@label` or digest; every name is first resolved to a digest by the log, so that the compiled packs
are kept by digest only, and at most `CACHE_SIZE` of them (the start-up pack aside): a stream of distinct names
cannot grow the memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from typing import Any

from fastapi.concurrency import run_in_threadpool

from api.errors import ApiError
from engine.pack import Pack
from engine.store import DecisionLog, NotFound, StoreError
from engine.store.versions import IN_FORCE_SECONDS

NEWEST_SECONDS = IN_FORCE_SECONDS  # how long the version in force is remembered before the log is asked again
CACHE_SIZE = 8  # compiled versions kept besides the start-up pack


class Versions:
    def __init__(self, start: Pack, store: DecisionLog, cache_size: int = CACHE_SIZE):
        self.start, self.store, self.cache_size = start, store, cache_size
        self._packs: OrderedDict[str, Pack] = OrderedDict()
        self._loading: dict[str, asyncio.Future[Pack]] = {}
        self._state: tuple[float, str | None, str | None] = (0.0, None, None)  # when, in force, shadowed
        self._refreshing: asyncio.Future[tuple[str | None, str | None]] | None = None
        self.last = start  # the version found in force when last asked (for what shows it, not what judges)

    # the version in force, and the candidate shadowed beside it --------------------------------------
    async def in_force(self) -> Pack:
        digest, _ = await self._current()
        self.last = self.start if digest is None else await self.by_digest(digest)
        return self.last

    async def shadowed(self) -> Pack | None:
        """The candidate every live decision is judged again under, if one is shadowed."""
        _, digest = await self._current()
        return None if digest is None else await self.by_digest(digest)

    def stale(self) -> None:
        """Ask the log again at the next request (after a publication or an activation here)."""
        self._state = (0.0, None, None)

    async def _current(self) -> tuple[str | None, str | None]:
        when, in_force, shadowed = self._state
        if time.monotonic() - when <= NEWEST_SECONDS:
            return in_force, shadowed
        task = self._refreshing
        if task is None:
            task = self._refreshing = asyncio.ensure_future(self._refresh())
        return await asyncio.shield(task)

    async def _refresh(self) -> tuple[str | None, str | None]:
        try:
            held, candidate = await run_in_threadpool(self._ask)
            self._state = (time.monotonic(), held, candidate)
            return held, candidate
        finally:
            self._refreshing = None

    def _ask(self) -> tuple[str | None, str | None]:
        name = self.start.name
        if self.start.label is None:  # the start-up pack, as the version it was published as (if it was)
            with contextlib.suppress(StoreError):
                self.start = self.start.labelled(self.store.version(self.start.digest, False)["label"])
        held, candidate = self.store.in_force(name), self.store.shadowed(name)
        return (held["digest"] if held else None), (candidate["digest"] if candidate else None)

    # pinned versions ----------------------------------------------------------------------------------------
    async def named(self, ref: str) -> Pack:
        """A published version by label, `pack@label` or digest: 404 when the log has none, 422 when the name
        is ambiguous or the version no longer loads."""
        try:
            record: dict[str, Any] = await run_in_threadpool(self.store.version, ref, False)
        except NotFound as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        except StoreError as exc:
            raise ApiError(422, "invalid_ruleset", str(exc)) from None
        return await self.by_digest(record["digest"])

    async def by_digest(self, digest: str) -> Pack:
        if digest == self.start.digest and self.start.label is not None:
            return self.start
        found = self._packs.get(digest)
        if found is not None:
            self._packs.move_to_end(digest)
            return found
        loading = self._loading.get(digest)
        if loading is None:  # one compilation per version, however many requests ask for it at once
            loading = self._loading[digest] = asyncio.ensure_future(self._load(digest))
        return await asyncio.shield(loading)

    async def _load(self, digest: str) -> Pack:
        try:
            pack = await run_in_threadpool(self.store.load_version, digest)
        except NotFound as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        except StoreError as exc:
            raise ApiError(422, "invalid_ruleset", str(exc)) from None
        finally:
            self._loading.pop(digest, None)
        self._packs[digest] = pack
        while len(self._packs) > self.cache_size:
            self._packs.popitem(last=False)
        return pack

    @property
    def cached(self) -> int:
        return len(self._packs)
