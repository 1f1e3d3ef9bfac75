"""The versions a running server judges under: the one in force, and others pinned by name, each compiled once.

The version in force is the newest version of the server's pack published in the log (the pack the server
started with while none is), asked of the log at most every few seconds by one request while the others
arriving meanwhile wait for its answer. Pinned versions are named by label, `pack@label` or digest; every name
is first resolved to a digest by the log, so that the compiled packs are kept by digest only, and at most
`CACHE_SIZE` of them (the start-up pack aside): a stream of distinct names cannot grow the memory.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Any

from fastapi.concurrency import run_in_threadpool

from api.errors import ApiError
from engine.pack import Pack
from engine.store import DecisionLog, NotFound, StoreError

NEWEST_SECONDS = 5.0  # how long the newest published version is remembered before the log is asked again
CACHE_SIZE = 8  # compiled versions kept besides the start-up pack


class Versions:
    def __init__(self, start: Pack, store: DecisionLog, cache_size: int = CACHE_SIZE):
        self.start, self.store, self.cache_size = start, store, cache_size
        self._packs: OrderedDict[str, Pack] = OrderedDict()
        self._loading: dict[str, asyncio.Future[Pack]] = {}
        self._newest: tuple[float, str | None] = (0.0, None)
        self._refreshing: asyncio.Future[str | None] | None = None

    # the version in force ------------------------------------------------------------------------------------
    async def in_force(self) -> Pack:
        digest = await self._newest_digest()
        return self.start if digest is None else await self.by_digest(digest)

    def stale(self) -> None:
        """Ask the log again at the next request (after a publication)."""
        self._newest = (0.0, None)

    async def _newest_digest(self) -> str | None:
        when, digest = self._newest
        if time.monotonic() - when <= NEWEST_SECONDS:
            return digest
        task = self._refreshing
        if task is None:
            task = self._refreshing = asyncio.ensure_future(self._refresh())
        return await asyncio.shield(task)

    async def _refresh(self) -> str | None:
        try:
            found = await run_in_threadpool(self.store.newest, self.start.name)
            digest = found["digest"] if found else None
            self._newest = (time.monotonic(), digest)
            return digest
        finally:
            self._refreshing = None

    # pinned versions ----------------------------------------------------------------------------------------
    async def named(self, ref: str) -> Pack:
        """A published version by label, `pack@label` or digest: 404 when the log has none, 422 when the name
        is ambiguous or the version no longer loads."""
        if ref == self.start.digest:
            return self.start
        try:
            record: dict[str, Any] = await run_in_threadpool(self.store.version, ref, False)
        except NotFound as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        except StoreError as exc:
            raise ApiError(422, "invalid_ruleset", str(exc)) from None
        return await self.by_digest(record["digest"])

    async def by_digest(self, digest: str) -> Pack:
        if digest == self.start.digest:
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
