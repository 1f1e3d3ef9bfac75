"""Where chunks of a batch are judged: in this process, in local worker processes, or on a Dask cluster."""

from __future__ import annotations

import signal
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from engine.batch.csvfiles import BatchInputError
from engine.batch.judge import Judge, RowResult
from engine.errors import PackError
from engine.pack import Pack, compile_pack
from engine.pack.loader import pack_contents

if TYPE_CHECKING:
    from engine.batch.runner import BatchOptions


class Pending(Protocol):
    def result(self) -> tuple[list[RowResult], dict[str, int]]: ...


class Done:
    """A chunk judged in this process."""

    def __init__(self, value: tuple[list[RowResult], dict[str, int]]):
        self.value = value

    def result(self) -> tuple[list[RowResult], dict[str, int]]:
        return self.value


# worker processes ------------------------------------------------------------------------------------------
_judge: Judge | None = None
_bundles: dict[tuple[str, tuple[str, ...]], Judge] = {}


def _start_worker(pack_dir: str, header: list[str]) -> None:
    global _judge
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    _judge = Judge(compile_pack(pack_dir), header)


def _judged(judge: Judge, rows: list[list[str]]) -> tuple[list[RowResult], dict[str, int]]:
    results = judge.chunk(rows)
    timing = dict(judge.timing)
    judge.timing = dict.fromkeys(timing, 0)
    return results, timing


def _judge_chunk(rows: list[list[str]]) -> tuple[list[RowResult], dict[str, int]]:
    assert _judge is not None
    return _judged(_judge, rows)


def _judge_remote(bundle: tuple[str, dict[str, bytes]], header: list[str], rows: list[list[str]]) -> Any:
    """A chunk judged on a Dask worker, under the pack shipped to it (unpacked once per worker process)."""
    digest, files = bundle
    key = (digest, tuple(header))
    judge = _bundles.get(key)
    if judge is None:
        root = Path(tempfile.mkdtemp(prefix="clearance-pack-"))
        for name, data in files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        judge = _bundles[key] = Judge(compile_pack(root), header)
    return _judged(judge, rows)


def pack_bundle(pack: Pack) -> tuple[str, dict[str, bytes]]:
    """The pack's files, to ship to machines that do not have its directory."""
    return pack.digest, pack_contents(pack.root)


class Engine:
    """Where chunks are judged: here (one worker), in local processes, or on a Dask cluster."""

    def __init__(self, options: BatchOptions, pack: Pack, header: list[str]):
        self.options, self.pack, self.header = options, pack, header
        self.pool: ProcessPoolExecutor | None = None
        self.client: Any = None

    def __enter__(self) -> Callable[[list[list[str]]], Pending]:
        options, pack, header = self.options, self.pack, self.header
        if options.scheduler:
            from distributed import Client

            try:
                self.client = Client(options.scheduler, timeout="10s")
            except OSError as exc:
                raise BatchInputError(f"cannot reach the Dask scheduler at {options.scheduler}: {exc}") from None
            try:
                shipped = pack_bundle(pack)
            except PackError as exc:
                raise BatchInputError(f"the pack cannot be shipped to the cluster: {exc}") from None
            bundle = self.client.scatter(shipped, broadcast=True)
            client = self.client
            return lambda rows: client.submit(_judge_remote, bundle, header, rows, pure=False)
        if options.workers <= 1:
            judge = Judge(pack, header)
            return lambda rows: Done(_judged(judge, rows))
        self.pool = ProcessPoolExecutor(
            options.workers,
            mp_context=get_context("spawn"),
            initializer=_start_worker,
            initargs=(str(pack.root), header),
        )
        pool = self.pool

        def submit(rows: list[list[str]]) -> Future[tuple[list[RowResult], dict[str, int]]]:
            return pool.submit(_judge_chunk, rows)

        return submit

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=kind is None, cancel_futures=True)
        if self.client is not None:
            self.client.close()
