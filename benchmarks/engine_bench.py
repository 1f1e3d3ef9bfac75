"""Microseconds per decision for both backends.

    python -m benchmarks.engine_bench                 # shipped pack + generated packs of 30, 300, 3000 rules
    python -m benchmarks.engine_bench --sizes 30 --count 2000 --no-durable

Each decision is timed on its own (perf_counter_ns) and the median and p99 are printed: the engine call
(`evaluate`: outcome, fee, the rules that fired; findings and explanation rendered on first access), the
call with validation (`parse_transaction` of the dict, then `evaluate`), and the call with the explanation
read (which renders every finding). The durable backend is timed over batches (it evaluates a batch in its
worker process) and reported per decision.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import engine
from engine.contract.transaction import END_USES
from engine.durable import DurableBackend
from engine.tester import load_cases
from tests.generators import generate

ROOT = Path(__file__).resolve().parent.parent
COUNTRIES = ["CN", "HK", "MO", "JP", "DE", "GB", "US", "SG", "AE", "SA", "VN", "KZ", "RU", "IR", "IN", "KR", "TW",
             "MY", "BR", "MX", "FR", "NL", "IL", "TR", "EG", "PK", "TH", "ID", "PH", "AU"]  # fmt: skip


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def time_each(evaluate: Callable[[engine.Transaction], engine.Decision], txs: list[engine.Transaction]) -> list[float]:
    for tx in txs[:200]:  # warm up
        evaluate(tx)
    samples = []
    for tx in txs:
        start = time.perf_counter_ns()
        evaluate(tx)
        samples.append((time.perf_counter_ns() - start) / 1000)
    return samples


def time_batches(backend: DurableBackend, txs: list[engine.Transaction], batch: int = 500) -> list[float]:
    list(backend.evaluate_many(txs[:100]))
    per_decision = []
    for start in range(0, len(txs), batch):
        chunk = txs[start : start + batch]
        began = time.perf_counter_ns()
        list(backend.evaluate_many(chunk))
        per_decision.append((time.perf_counter_ns() - began) / 1000 / len(chunk))
    return per_decision


def report(label: str, samples: list[float]) -> None:
    print(f"  {label:<44} median {statistics.median(samples):8.1f} us   p99 {percentile(samples, 0.99):8.1f} us")


def generated_pack(root: Path, rules: int, seed: int = 7) -> Path:
    """A pack of `rules` rules of realistic shape over the transaction's fields."""
    rng = random.Random(seed)
    (root / "rules").mkdir(parents=True)
    (root / "pack.yaml").write_text(f'name: gen-{rules}\nversion: "1"\ntitle: generated pack of {rules} rules\n')
    lines = ["values:", "  - {name: line_value, expr: quantity * unit_price_usd}", "rules:"]
    effects = ["deny", "review", "allow"]
    for i in range(rules):
        country = rng.choice(COUNTRIES)
        threshold = rng.choice([1, 10, 100, 1000])
        price = rng.choice([1000, 10000, 25000, 40000])
        shape = i % 3
        if shape == 0:
            when = f"{{all: ['destination == \"{country}\"', 'quantity >= {threshold}']}}"
        elif shape == 1:
            other = rng.choice(COUNTRIES)
            when = (f"{{any: ['destination == \"{country}\" and unit_price_usd > {price}', "
                    f"'ship_from == \"{other}\" and line_value > {price * threshold}']}}")  # fmt: skip
        else:
            use = rng.choice(END_USES)
            when = f"{{all: ['destination != \"US\"', 'end_use == \"{use}\"', 'quantity >= {threshold}']}}"
        lines += [
            f"  - id: G-{i}",
            f"    title: generated rule {i}",
            f"    effect: {effects[i % 3]}",
            f"    when: {when}",
            f"    message: 'rule {i}: {{destination}} x {{quantity}}'",
            f"    cite: generated {i}",
        ]
    (root / "rules" / "gen.yaml").write_text("\n".join(lines) + "\n")
    return root


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000, help="transactions per measurement")
    parser.add_argument("--sizes", default="30,300,3000", help="rule counts of the generated packs")
    parser.add_argument("--no-durable", action="store_true", help="measure the native backend only")
    args = parser.parse_args(argv)

    pack = engine.load_pack(ROOT / "rules" / "us-ai-chips")
    mix = [engine.parse_transaction(d) for d in generate(args.count)]
    cases = [engine.parse_transaction(c.transaction) for c in load_cases(pack)]
    examples = [engine.parse_transaction(d) for d in _examples()]
    rows = [json.loads(json.dumps(row)) for row in _csv_rows()]  # plain JSON values, as an API receives them
    realistic = [engine.parse_transaction(d) for d in rows]
    print(f"shipped pack {pack.name} {pack.version} ({len(pack.rules)} rules):")
    if realistic:
        label = f"examples/transactions.csv ({len(realistic)} rows)"
        report(f"native, {label}", time_each(lambda t: engine.evaluate(pack, t), realistic * 10))
        report(
            "  ... with validation (dict in)",
            time_each(lambda d: engine.evaluate(pack, engine.parse_transaction(d)), rows * 10),  # type: ignore[arg-type, return-value]
        )
        report("  ... with the explanation read", time_each(lambda t: _explained(pack, t), realistic * 10))
    report(f"native, pack test cases ({len(cases)})", time_each(lambda t: engine.evaluate(pack, t), cases * 20))
    if examples:
        report(
            f"native, examples/ ({len(examples)} transactions)",
            time_each(lambda t: engine.evaluate(pack, t), examples * 200),
        )
    report(f"native, generated mix ({len(mix)})", time_each(lambda t: engine.evaluate(pack, t), mix))
    if not args.no_durable:
        with DurableBackend(pack) as durable:
            report(f"durable, generated mix ({len(mix)}), batches of 500", time_batches(durable, mix))

    first: float | None = None
    for size in (int(s) for s in args.sizes.split(",") if s):
        with tempfile.TemporaryDirectory() as tmp:
            began = time.perf_counter()
            gen = engine.load_pack(generated_pack(Path(tmp) / "pack", size))
            compiled = time.perf_counter() - began
            print(f"generated pack of {size} rules (compiled in {compiled * 1000:.0f} ms):")
            samples = time_each(lambda t, p=gen: engine.evaluate(p, t), mix)
            first = first or statistics.median(samples)
            report(f"native ({statistics.median(samples) / first:.1f}x the first size)", samples)
            report("  ... with the explanation read", time_each(lambda t, p=gen: _explained(p, t), mix))
            if not args.no_durable:
                began = time.perf_counter()
                try:
                    durable = DurableBackend(gen)
                except engine.EvaluationError as exc:
                    print(f"  durable: not measured: {exc}"[:300])
                    continue
                with durable:
                    started = time.perf_counter() - began
                    report(f"durable (worker ready in {started:.1f} s)", time_batches(durable, mix))


def _explained(pack: engine.Pack, tx: engine.Transaction) -> engine.Decision:
    decision = engine.evaluate(pack, tx)
    decision.explanation  # noqa: B018 - renders every finding and the paragraph
    return decision


def _csv_rows() -> list[dict[str, object]]:
    import csv

    from engine.contract.rows import transaction_from_row

    path = ROOT / "examples" / "transactions.csv"
    if not path.is_file():
        return []
    with path.open(newline="") as handle:
        return [transaction_from_row(row) for row in csv.DictReader(handle)]


def _examples() -> list[dict[str, object]]:
    import json

    folder = ROOT / "examples" / "transactions"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []


if __name__ == "__main__":
    main()
