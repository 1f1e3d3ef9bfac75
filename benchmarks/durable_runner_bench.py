"""Microseconds per fact of `DurableRunner.match` on a 15-rule set, for batches of 1, 100 and 1,000 facts.

    .venv/bin/python -m benchmarks.durable_runner_bench [--seconds 3]

Each line is the median over batches of (batch time / batch size). The in-process line runs the worker's
evaluator directly in this process (same call pattern, no pipe, no isolation) to show the cost of the pipe.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from engine.durable import DurableRunner
from engine.durable.limits import prepare_rules
from engine.durable.worker import Evaluator

D5 = ["CN", "MO", "RU", "BY", "IR", "KP", "SY", "CU", "VE", "AF", "IQ", "LY", "MM", "KH", "LA", "VN"]
ALLIES = ["US", "CA", "GB", "AU", "NZ", "JP", "KR", "DE", "FR", "NL", "IE", "IT", "ES", "SE", "FI", "NO"]
OTHERS = ["IN", "BR", "AE", "SG", "MY", "TH", "IL", "SA", "MX", "ZA"]
KEYWORDS = ["military", "weapon", "nuclear", "missile"]


def one_of(field: str, values: list[str]) -> dict[str, Any]:
    return {"$or": [{field: v} for v in values]}


def none_of(field: str, values: list[str]) -> dict[str, Any]:
    return {"$and": [{"$neq": {field: v}} for v in values]}


def rule(condition: dict[str, Any]) -> dict[str, Any]:
    return {"all": [{"m": condition}]}


RULES: dict[str, dict[str, Any]] = {
    "R01-ADV-COMPUTE-D5": rule({"$and": [{"$gte": {"tpp": 4800}}, one_of("dest", D5)]}),
    "R02-MID-COMPUTE": rule(
        {"$and": [{"$gte": {"tpp": 1600}}, {"$lt": {"tpp": 4800}}, {"$gte": {"perf_density": 5.92}}]}
    ),
    "R03-EMBARGO": rule(one_of("dest", ["CU", "IR", "KP", "SY"])),
    "R04-KEYWORDS": rule({"$or": [{"$imt": {"desc": f".*{k}.*"}} for k in KEYWORDS]}),
    "R05-DENIED-PARTY": rule({"denied_party": True}),
    "R06-HBM-NON-ALLY": rule({"$and": [{"$gte": {"mem_bw": 1400}}, none_of("dest", ALLIES)]}),
    "R07-HIGH-VALUE": rule({"$gt": {"order_value": 1000000}}),
    "R08-BULK-UNVETTED": rule({"$and": [{"$gte": {"quantity": 1000}}, {"vetted": False}]}),
    "R09-TRANSSHIP": rule(one_of("via", ["AE", "SG", "MY", "HK"])),
    "R10-END-USER-MISSING": rule({"$nex": {"end_user": 1}}),
    "R11-DEST-MISSING": rule({"$nex": {"dest": 1}}),
    "R12-DC-UNVETTED": rule({"$and": [{"$gte": {"tpp": 4800}}, {"end_use": "datacenter"}, {"vetted": False}]}),
    "R13-MILITARY-USE": rule(one_of("end_use", ["military", "defense", "intelligence"])),
    "R14-LOW-PRICE": rule({"$and": [{"$lt": {"unit_price": 100.0}}, {"$gte": {"tpp": 1600}}]}),
    "R15-END-USE-UNKNOWN": rule({"$or": [{"$nex": {"end_use": 1}}, {"end_use": "unknown"}]}),
}


def random_facts(count: int, rng: random.Random) -> list[dict[str, Any]]:
    facts = []
    for _ in range(count):
        quantity = rng.choice([1, 8, 64, 1000, 4096])
        unit_price = rng.choice([50.0, 2500.0, 30000.0])
        fact: dict[str, Any] = {
            "tpp": rng.choice([300, 1600, 2400, 4800, 16000]),
            "perf_density": rng.choice([1.0, 5.92, 12.5]),
            "mem_bw": rng.choice([800, 1400, 3350]),
            "dest": rng.choice(D5 + ALLIES + OTHERS),
            "via": rng.choice(["", "AE", "NL", "SG"]),
            "desc": rng.choice(["gpu server", "accelerator for missile guidance", "Nuclear sim cluster", "nic"]),
            "denied_party": rng.random() < 0.05,
            "vetted": rng.random() < 0.7,
            "quantity": quantity,
            "unit_price": unit_price,
            "order_value": quantity * unit_price,
            "end_user": "acme",
            "end_use": rng.choice(["datacenter", "research", "military", "unknown"]),
        }
        facts.append({k: v for k, v in fact.items() if rng.random() > 0.05})
    return facts


def per_fact_us(
    run: Callable[[list[dict[str, Any]]], object], facts: list[dict[str, Any]], size: int, seconds: float
) -> tuple[float, int]:
    """Median µs per fact over batches of `size`, running for about `seconds`."""
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    offset = 0
    while time.perf_counter() < deadline or len(samples) < 5:
        batch = facts[offset : offset + size]
        offset = (offset + size) % (len(facts) - size)
        started = time.perf_counter()
        run(batch)
        samples.append((time.perf_counter() - started) / size * 1e6)
    return statistics.median(samples), len(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    args = parser.parse_args()
    facts = random_facts(20000, random.Random(42))
    sizes = (1, 100, 1000)
    with DurableRunner("bench", RULES) as runner:
        runner.match(facts[:2000])  # warm up both processes
        for size in sizes:
            median, batches = per_fact_us(runner.match, facts, size, args.seconds)
            print(f"DurableRunner.match   batch {size:>5}: {median:8.1f} µs/fact  (median of {batches} batches)")
    evaluator = Evaluator("bench_inproc", _rules_pairs(), warm_sessions=8)

    def in_process(batch: list[dict[str, Any]]) -> object:
        return [evaluator.evaluate(fact) for fact in batch]

    in_process(facts[:2000])
    for size in sizes:
        median, batches = per_fact_us(in_process, facts, size, args.seconds)
        print(f"in-process evaluator  batch {size:>5}: {median:8.1f} µs/fact  (median of {batches} batches)")


def _rules_pairs() -> list[tuple[str, dict[str, Any]]]:
    import json

    return [(rule_id, body) for rule_id, body in json.loads(prepare_rules("bench", RULES))]


if __name__ == "__main__":
    main()
