"""Bytes of memory per decision (tracemalloc), with and without reading the explanation.

    python -m benchmarks.memory_bench [--count 2000]

For each input set: `peak` is the most memory an evaluation holds at once beyond what was there before it
(tracemalloc's peak, reset before each call), `kept` what a caller keeping every Decision holds per decision.
Each is measured for `evaluate` alone and for `evaluate` followed by reading `decision.explanation` (which
renders every finding). Medians over the transactions.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

import engine
from benchmarks.engine_bench import generated_pack
from engine.contract.rows import transaction_from_row
from tests.generators import as_transaction, generate

ROOT = Path(__file__).resolve().parent.parent


def peak_per_call(call: Callable[[engine.Transaction], object], txs: list[engine.Transaction]) -> float:
    samples = []
    for tx in txs:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = call(tx)
        samples.append(tracemalloc.get_traced_memory()[1] - before)
        del result
    return statistics.median(samples)


def kept_per_call(call: Callable[[engine.Transaction], object], txs: list[engine.Transaction]) -> float:
    before = tracemalloc.get_traced_memory()[0]
    kept = [call(tx) for tx in txs]
    grown = tracemalloc.get_traced_memory()[0] - before
    del kept
    return grown / len(txs)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args(argv)
    pack = engine.load_pack(ROOT / "rules" / "us-ai-chips")
    with (ROOT / "examples" / "transactions.csv").open(newline="") as handle:
        realistic = [engine.parse_transaction(transaction_from_row(row)) for row in csv.DictReader(handle)]
    sets = {
        "examples/transactions.csv": realistic[: args.count],
        "generated mix": [as_transaction(d) for d in generate(args.count)],
    }

    def decide(tx: engine.Transaction) -> object:
        return engine.evaluate(pack, tx)

    def explained(tx: engine.Transaction) -> object:
        decision = engine.evaluate(pack, tx)
        decision.explanation  # noqa: B018 - renders the findings and the explanation
        return decision

    for tx in realistic[:200]:  # warm the caches (names, dates, the rule index) before measuring
        explained(tx)
    tracemalloc.start()
    print(f"shipped pack {pack.name} {pack.version}: bytes per decision (median), tracemalloc")
    measure(sets, decide, explained)
    tracemalloc.stop()
    mix = sets["generated mix"]
    for size in (30, 300):
        with tempfile.TemporaryDirectory() as tmp:
            generated = engine.load_pack(generated_pack(Path(tmp) / "pack", size))
            for tx in mix[:200]:
                engine.evaluate(generated, tx).explanation  # noqa: B018 - warm up
            tracemalloc.start()
            print(f"generated pack of {size} rules:")
            measure(
                {"generated mix": mix},
                lambda tx, p=generated: engine.evaluate(p, tx),
                lambda tx, p=generated: _explained(p, tx),
            )
            tracemalloc.stop()


def _explained(pack: engine.Pack, tx: engine.Transaction) -> object:
    decision = engine.evaluate(pack, tx)
    decision.explanation  # noqa: B018 - renders the findings and the explanation
    return decision


def measure(
    sets: dict[str, list[engine.Transaction]],
    decide: Callable[[engine.Transaction], object],
    explained: Callable[[engine.Transaction], object],
) -> None:
    for label, txs in sets.items():
        for mode, call in (("evaluate", decide), ("evaluate + explanation", explained)):
            peak = peak_per_call(call, txs)
            kept = kept_per_call(call, txs)
            print(f"  {label:<28} {mode:<24} peak {peak:8,.0f} B   kept {kept:8,.0f} B", flush=True)


if __name__ == "__main__":
    sys.exit(main())
