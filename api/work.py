"""The API's work done off the event loop: publishing, simulating and batch files in temporary directories."""

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from fastapi.responses import JSONResponse, Response

import engine
from api.errors import error_body
from api.shapes import Publication, Simulation
from engine.batch import BatchInputError, BatchOptions, run_batch
from engine.store import DecisionLog
from engine.store.simulate import simulate
from engine.store.versions import write_files


def ref(pack_name: str, label: str) -> str:
    return label if label.startswith("sha256:") else f"{pack_name}@{label}"


def publish(store: DecisionLog, body: Publication, by: str) -> tuple[dict[str, Any], bool]:
    with tempfile.TemporaryDirectory(prefix="clearance-publish-") as tmp:
        write_files(Path(tmp), body.files)
        return store.publish(Path(tmp), body.note, by, body.label)


def simulate_logged(store: DecisionLog, current: engine.Pack, body: Simulation) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="clearance-candidate-") as tmp:
        write_files(Path(tmp), body.candidate)
        candidate = engine.load_pack(tmp)
        since = dt.datetime.combine(body.since, dt.time(), dt.timezone.utc) if body.since else None
        return simulate(current, candidate, store.logged(since), as_of=body.as_of)


def batch_file(
    pack: engine.Pack, raw: bytes, output: str, usage: dict[tuple[str, str], dict[str, Any]] | None
) -> Response:
    """A batch of an uploaded file under `pack`, counting license usage from `usage` (the log's totals)."""
    with tempfile.TemporaryDirectory(prefix="clearance-batch-") as tmp:
        source, target = Path(tmp) / "in.csv", Path(tmp) / f"out.{output}"
        source.write_bytes(raw)
        options = BatchOptions(input=source, output=target, pack_dir=pack.root, jsonl=output == "jsonl", usage=usage)
        try:
            summary = run_batch(options, pack)
        except BatchInputError as exc:
            message = str(exc).replace(str(source), "upload")
            return JSONResponse(error_body("invalid_batch", message), status_code=422)
        media = "application/x-ndjson" if output == "jsonl" else "text/csv; charset=utf-8"
        headers = {"X-Clearance-Rows": str(summary.rows)}
        return Response(target.read_bytes(), media_type=media, headers=headers)
