"""Simulation speed: logged decisions judged under two versions (`clearance simulate`).

    python -m benchmarks.simulate_bench [--decisions 100000]

A SQLite decision log is filled with generated transactions (written straight into the log's table: what a
simulation reads is the transaction and the facts its decision read), the shipped pack is published as the
current version, and a candidate (the China-route fee at 30%) is simulated over every logged transaction with
`python -m engine.cli simulate`, timed from start to exit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import engine
from engine.store import DecisionLog
from engine.store.schema import decisions
from tests.generators import generate


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--decisions", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        database = str(root / "log.db")
        store = DecisionLog(database)
        store.migrate()
        current = root / "current"
        shutil.copytree(engine.default_pack_path(), current)
        candidate = root / "candidate"
        shutil.copytree(current, candidate)
        rules = candidate / "rules" / "20-china-route.yaml"
        rules.write_text(rules.read_text().replace("rate: 0.25", "rate: 0.30"))
        store.publish(current, "the shipped pack")
        began = time.perf_counter()
        now = dt.datetime.now(dt.timezone.utc)
        rows = []
        with store.engine.begin() as connection:
            for data in generate(args.decisions, seed=77):
                tx = engine.parse_transaction(data)
                rows.append({
                    "decision_id": uuid.uuid4().hex, "transaction_id": tx.id, "content_digest": "-", "outcome": "allow",
                    "fee_usd": 0, "customer_name": tx.customer.name, "transaction_date": tx.date, "ruleset_pack": "-",
                    "ruleset_version": "-", "ruleset_digest": "-", "evaluated_at": now, "decision": {},
                    "transaction": tx.model_dump(mode="json", exclude_unset=True), "facts": None,
                })  # fmt: skip
                if len(rows) == 5000:
                    connection.execute(decisions.insert(), rows)
                    rows = []
            if rows:
                connection.execute(decisions.insert(), rows)
        print(f"logged {args.decisions:,} transactions in {time.perf_counter() - began:.1f} s")
        store.close()
        began = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "engine.cli", "simulate", "--candidate", str(candidate), "--database", database],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        seconds = time.perf_counter() - began
        print(result.stdout.strip())
        print(f"simulated in {seconds:.1f} s ({args.decisions * 2 / seconds:,.0f} evaluations/s, whole command)")


if __name__ == "__main__":
    main()
