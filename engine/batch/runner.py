"""`clearance batch`: a CSV file of transactions in, one output row per input row out, in input order.

The file is read in chunks; the chunks are judged in this process, in local worker processes, or on a Dask
cluster, and written in input order as they come back, so that memory stays flat however long the file.
Rows whose decision read an external fact (license usage) are judged again here, in input order, against
the decision log's totals when the batch started (if it has a log) plus what the earlier allowed rows of the
file accrued: the output is the same for any number of workers. Without a log, a row that relies on a license
is held for review ("usage not counted against the log").

The output is written to `OUT.partial` and renamed to `OUT` only when every row is in it; a checkpoint
(`OUT.partial.json`) records the rows written, the facts accrued and the summary so far, so that `--resume`
continues after an interruption from the last checkpoint, without repeating or losing a row.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.batch.csvfiles import OUTPUT_COLUMNS, BatchInputError, CsvWriter, InputFile, open_input
from engine.batch.judge import FileFacts, Judge, RowResult
from engine.batch.workers import Engine, Pending
from engine.evaluation.facts import amount_from_text
from engine.evaluation.kernel import NOT_COUNTED
from engine.pack import Pack, compile_pack

CHECKPOINT_SECONDS = 2.0
STATE_VERSION = 1
STAGES = ("reading", "validating", "evaluating", "explaining", "writing")


@dataclass
class BatchOptions:
    input: Path
    output: Path
    pack_dir: Path
    jsonl: bool = False
    workers: int = 1
    scheduler: str | None = None
    resume: bool = False
    chunk_rows: int = 1000
    checkpoint_seconds: float = CHECKPOINT_SECONDS
    # the decision log's usage totals when the batch starts, `{(fact, key): amounts}`, to count rows against;
    # None: no log, and a row that relies on an accruing fact (a license) is held for review, never allowed
    usage: dict[tuple[str, str], dict[str, Any]] | None = None


@dataclass
class Summary:
    """Counts by decision, fees, the most frequent rules, errors by column, and where the time went."""

    rows: int = 0
    decisions: collections.Counter[str] = field(default_factory=collections.Counter)
    fees: Decimal = Decimal("0.00")
    rules: collections.Counter[str] = field(default_factory=collections.Counter)
    errors_by_column: collections.Counter[str] = field(default_factory=collections.Counter)
    timing: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    seconds: float = 0.0

    def add(self, result: RowResult) -> None:
        self.rows += 1
        if result.outcome is None:
            self.decisions["error"] += 1
            self.errors_by_column.update(result.error_columns)
            return
        self.decisions[result.outcome] += 1
        if result.outcome == "allow":
            self.fees += Decimal(result.fee)
        self.rules.update(result.rules)

    def state(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "decisions": dict(self.decisions),
            "fees": str(self.fees),
            "rules": dict(self.rules),
            "errors_by_column": dict(self.errors_by_column),
            "timing": self.timing,
            "seconds": self.seconds,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Summary:
        return cls(
            rows=state["rows"],
            decisions=collections.Counter(state["decisions"]),
            fees=Decimal(state["fees"]),
            rules=collections.Counter(state["rules"]),
            errors_by_column=collections.Counter(state["errors_by_column"]),
            timing={**dict.fromkeys(STAGES, 0), **state["timing"]},
            seconds=state["seconds"],
        )

    def as_dict(self) -> dict[str, Any]:
        total = sum(self.timing.values()) or 1
        return {
            "rows": self.rows,
            "decisions": {k: self.decisions.get(k, 0) for k in ("allow", "deny", "review", "error")},
            "total_fees_usd": str(self.fees.quantize(Decimal("0.01"))),
            "top_rules": [{"rule": rule, "count": count} for rule, count in self.rules.most_common(10)],
            "errors_by_column": dict(self.errors_by_column.most_common()),
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows / self.seconds) if self.seconds else None,
            "time_share": {stage: round(ns / total, 3) for stage, ns in self.timing.items()},
        }


# the run -----------------------------------------------------------------------------------------------------
class Interrupted(BaseException):
    """SIGTERM: stop at once, keeping the last checkpoint (a BaseException, as KeyboardInterrupt is, so that
    nothing that reports a row's own failure takes it for one)."""


def run_batch(
    options: BatchOptions,
    pack: Pack | None = None,
    progress: Callable[[int, int, int], None] | None = None,
) -> Summary:
    """Run a batch; raise BatchInputError before any work when the input cannot be read or its header does not
    fit. `progress(bytes_read, total_bytes, rows)` is called after each chunk."""
    pack = pack or compile_pack(options.pack_dir)
    source = open_input(options.input)
    partial = options.output.with_name(options.output.name + ".partial")
    state_path = options.output.with_name(options.output.name + ".partial.json")
    fingerprint = _fingerprint(options, source, pack)
    facts = FileFacts.from_totals(options.usage or {})
    facts.whole = options.usage is not None
    summary = Summary()
    skip = 0
    if options.resume and state_path.is_file() and partial.is_file():
        state = json.loads(state_path.read_text())
        if state.get("fingerprint") != fingerprint:
            source.close()
            raise BatchInputError(
                f"{state_path}: the checkpoint is for another input, pack or output format; "
                "run without --resume to start again"
            )
        skip = state["rows"]
        summary = Summary.from_state(state["summary"])
        facts.facts = _facts_in(state["facts"])
        out: Any = partial.open("r+b")
        out.truncate(state["bytes"])
        out.seek(state["bytes"])
    else:
        out = partial.open("wb")
        if source.bom and not options.jsonl:
            out.write("\ufeff".encode())
        if not options.jsonl:
            out.write(CsvWriter(source.delimiter).rows([[*source.header, *OUTPUT_COLUMNS]]).encode("utf-8"))
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if _main_thread() else None
    began = time.perf_counter() - summary.seconds
    try:
        with Engine(options, pack, source.header) as submit:
            writer = _Writer(out, source, options.jsonl)
            rows = _chunks(source, options.chunk_rows, skip, summary)
            window: collections.deque[tuple[list[tuple[int, list[str]]], Pending]] = collections.deque()
            ahead = max(2, 2 * max(options.workers, 1))
            judge = Judge(pack, source.header)  # for the rows that read external facts, in input order
            last_checkpoint = time.perf_counter()
            for chunk in rows:
                window.append((chunk, submit([cells for _, cells in chunk])))
                while len(window) >= ahead or (window and _ready(window[0][1])):
                    _finish(window.popleft(), judge, facts, summary, writer)
                    if time.perf_counter() - last_checkpoint >= options.checkpoint_seconds:
                        summary.seconds = time.perf_counter() - began
                        _checkpoint(state_path, out, fingerprint, summary, facts)
                        last_checkpoint = time.perf_counter()
                    if progress:
                        progress(source.position, source.size, summary.rows)
            while window:
                _finish(window.popleft(), judge, facts, summary, writer)
                if progress:
                    progress(source.position, source.size, summary.rows)
        summary.seconds = time.perf_counter() - began
        out.flush()
        os.fsync(out.fileno())
        out.close()
        os.replace(partial, options.output)
        state_path.unlink(missing_ok=True)
        return summary
    except BatchInputError:  # the file itself is at fault (a quote left open): nothing of it is kept
        out.close()
        partial.unlink(missing_ok=True)
        state_path.unlink(missing_ok=True)
        raise
    except BaseException:
        if not out.closed:
            out.close()
        raise
    finally:
        source.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Interrupted("terminated")


def _ready(pending: Pending) -> bool:
    done = getattr(pending, "done", None)
    return True if done is None else bool(done())


def _chunks(source: InputFile, size: int, skip: int, summary: Summary) -> Iterator[list[tuple[int, list[str]]]]:
    clock = time.perf_counter_ns
    began = clock()
    chunk: list[tuple[int, list[str]]] = []
    for number, row in enumerate(source.rows()):
        if number < skip:
            continue
        chunk.append(row)
        if len(chunk) >= size:
            summary.timing["reading"] += clock() - began
            yield chunk
            chunk = []
            began = clock()
    summary.timing["reading"] += clock() - began
    if chunk:
        yield chunk


def _finish(
    item: tuple[list[tuple[int, list[str]]], Pending], judge: Judge, facts: FileFacts, summary: Summary,
    writer: _Writer,
) -> None:  # fmt: skip
    chunk, pending = item
    results, timing = pending.result()
    for stage, ns in timing.items():
        summary.timing[stage] += ns
    final = []
    for (_, cells), result in zip(chunk, results, strict=True):
        if result.reads_facts:  # judged again against what the earlier rows of the file accrued
            result = judge.row(cells, facts)
            for stage, ns in judge.timing.items():
                summary.timing[stage] += ns
            judge.timing = dict.fromkeys(judge.timing, 0)
        if result.outcome == "allow" or NOT_COUNTED in result.rules:  # a line held only for that counts as shipped
            for accrual in result.accruals:
                facts.add(accrual["fact"], accrual["key"], accrual["amounts"])
        summary.add(result)
        final.append(result)
    began = time.perf_counter_ns()
    writer.write(chunk, final, summary.rows - len(final))
    summary.timing["writing"] += time.perf_counter_ns() - began


class _Writer:
    def __init__(self, out: Any, source: InputFile, jsonl: bool):
        self.out = out
        self.header = source.header
        self.width = len(source.header)
        self.jsonl = jsonl
        self.csv = CsvWriter(source.delimiter)

    def write(self, chunk: list[tuple[int, list[str]]], results: list[RowResult], first: int) -> None:
        if self.jsonl:
            lines = [
                json.dumps(self._record(first + i + 1, line, cells, result), ensure_ascii=False)
                for i, ((line, cells), result) in enumerate(zip(chunk, results, strict=True))
            ]
            self.out.write(("\n".join(lines) + "\n").encode("utf-8", "replace"))
            return
        width = self.width
        rows = []
        for (_, cells), result in zip(chunk, results, strict=True):
            own = cells[:width] + [""] * (width - len(cells))
            rows.append([*own, *result.cells, *cells[width:]])  # extra cells kept, after the output columns
        self.out.write(self.csv.rows(rows).encode("utf-8", "surrogateescape"))

    def _record(self, row: int, line: int, cells: list[str], result: RowResult) -> dict[str, Any]:
        record: dict[str, Any] = {"row": row, "line": line, "input": dict(zip(self.header, cells, strict=False))}
        if len(cells) > self.width:
            record["extra_cells"] = cells[self.width :]
        decision, fee, _, explanation, version, error = result.cells
        record.update(
            decision=decision or None,
            fee_usd=fee or None,
            rules=list(result.rules),
            explanation=explanation or None,
            ruleset_version=version,
            error=error or None,
        )
        return record


def _checkpoint(path: Path, out: Any, fingerprint: dict[str, Any], summary: Summary, facts: FileFacts) -> None:
    """Everything written so far is on disk, and the checkpoint says how far that is (written, then renamed)."""
    out.flush()
    os.fsync(out.fileno())
    state = {
        "fingerprint": fingerprint,
        "rows": summary.rows,
        "bytes": out.tell(),
        "summary": summary.state(),
        "facts": _facts_out(facts),
        "written_at": dt.datetime.now(dt.timezone.utc).isoformat(),
    }
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(state))
    os.replace(temporary, path)


def _fingerprint(options: BatchOptions, source: InputFile, pack: Pack) -> dict[str, Any]:
    stat = options.input.stat()
    return {
        "version": STATE_VERSION,
        "input": str(options.input.resolve()),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "pack": pack.digest,
        "format": "jsonl" if options.jsonl else "csv",
        "usage_counted_against_log": options.usage is not None,
        "header": source.header,
    }


def _facts_out(facts: FileFacts) -> list[list[Any]]:
    return [
        [name, _key_out(key), {f: str(v) for f, v in fields.items()}]
        for name, by_key in facts.facts.items()
        for key, fields in by_key.items()
    ]


def _facts_in(saved: list[list[Any]]) -> dict[str, dict[Any, dict[str, Any]]]:
    facts: dict[str, dict[Any, dict[str, Any]]] = {}
    for name, key, fields in saved:
        facts.setdefault(name, {})[_key_in(key)] = {f: amount_from_text(v) for f, v in fields.items()}
    return facts


def _key_out(key: Any) -> Any:
    return {"decimal": str(key)} if isinstance(key, Decimal) else key


def _key_in(key: Any) -> Any:
    return Decimal(key["decimal"]) if isinstance(key, dict) else key
