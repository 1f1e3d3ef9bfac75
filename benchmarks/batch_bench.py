"""`clearance batch` end to end on a realistic CSV file: rows per second, peak memory, where the time goes.

    python -m benchmarks.batch_bench                      # 1,000,000 rows: 1 and 2 workers, and a Dask run
    python -m benchmarks.batch_bench --rows 50000 --runs 1,2

The file comes from `examples/make_csv.py` (the shipped pack's products, parties, licenses and attestations).
Each run is the whole command (`python -m engine.cli batch IN -o OUT --summary S`) timed from start to exit;
peak memory is the largest sum of the resident memory of the command and its worker processes, sampled every
0.1 s; the shares of time come from the command's summary (summed over workers). The Dask run starts a local
cluster of processes (one per core) and passes its address with `--scheduler`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def make_input(path: Path, rows: int) -> None:
    subprocess.run([sys.executable, str(ROOT / "examples" / "make_csv.py"), "-o", str(path), "-n", str(rows)],
                   check=True, capture_output=True)  # fmt: skip


def run(source: Path, out: Path, extra: list[str]) -> dict[str, object]:
    summary = out.with_suffix(".summary.json")
    command = [sys.executable, "-m", "engine.cli", "batch", str(source), "-o", str(out), "--summary", str(summary)]
    began = time.perf_counter()
    process = psutil.Popen([*command, *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)
    seconds = time.perf_counter() - began
    if process.returncode != 0:
        raise SystemExit(f"clearance batch failed: {process.stderr.read().decode() if process.stderr else ''}")
    report = json.loads(summary.read_text())
    return {"seconds": seconds, "peak_rss_mb": peak / 2**20, **report}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", default="1,2,dask", help="worker counts, and `dask` for a local Dask cluster")
    parser.add_argument("--keep", type=Path, default=None, help="write the input here (and keep it)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        source = args.keep or Path(tmp) / "transactions.csv"
        if not source.exists():
            began = time.perf_counter()
            make_input(source, args.rows)
            print(f"generated {args.rows:,} rows ({source.stat().st_size / 2**20:.0f} MB) in "
                  f"{time.perf_counter() - began:.0f} s")  # fmt: skip
        outputs = []
        for name in args.runs.split(","):
            out = Path(tmp) / f"out-{name}.csv"
            if name == "dask":
                from distributed import LocalCluster

                with LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:  # fmt: skip
                    result = run(source, out, ["--scheduler", cluster.scheduler_address])
                label = f"dask ({os.cpu_count()} local workers)"
            else:
                result = run(source, out, ["--workers", name])
                label = f"{name} worker{'s' if name != '1' else ''}"
            shares = ", ".join(f"{k} {v:.0%}" for k, v in result["time_share"].items())  # type: ignore[attr-defined]
            rate = result["rows"] / result["seconds"]  # type: ignore[operator]
            print(f"{label:<24} {result['seconds']:8.1f} s  {rate:9,.0f} rows/s  peak {result['peak_rss_mb']:6.0f} MB"
                  f"  ({shares})", flush=True)  # fmt: skip
            outputs.append(out.read_bytes() if args.rows <= 200_000 else out.stat().st_size)
        if len(set(map(hash, outputs))) == 1:
            print("outputs identical across runs" if args.rows <= 200_000 else "outputs of equal size across runs")


if __name__ == "__main__":
    main()
