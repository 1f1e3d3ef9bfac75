"""DurableRunner: answers, de-duplication, input checks, and surviving worker crashes and hangs."""

from __future__ import annotations

import gc
import math
import os
import random
import re
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.durable import DurableRunner
from engine.errors import EvaluationError

RULES: dict[str, dict[str, Any]] = {
    "R1-COMPUTE-D5": {"all": [{"m": {"$and": [{"$gte": {"tpp": 4800}}, {"$or": [{"dest": "CN"}, {"dest": "RU"}]}]}}]},
    "R2-ANY-FLAG": {
        "all": [{"m": {"$or": [{"$gte": {"tpp": 4800}}, {"dest": "CN"}, {"$mt": {"desc": ".*missile.*"}}]}}]
    },
    "R3-END-USE-UNKNOWN": {"all": [{"m": {"$or": [{"$nex": {"end_use": 1}}, {"end_use": "unknown"}]}}]},
    "R4-CHEAP-NON-ALLY": {
        "all": [{"m": {"$and": [{"$neq": {"dest": "US"}}, {"$neq": {"dest": "GB"}}, {"$lt": {"price": 100.5}}]}}]
    },
    "R5-NOT-VETTED": {"all": [{"m": {"vetted": False}}]},
}

CLEAN = {"tpp": 10, "dest": "US", "desc": "laptop", "end_use": "office", "price": 500, "vetted": True}
ALL_FIVE = {"tpp": 5000, "dest": "RU", "desc": "a missile part", "price": 10.25, "vetted": False}


def expected(fact: dict[str, Any]) -> frozenset[str]:
    """The same rules in plain Python: a missing field makes every comparison on it false."""
    hits = set()
    tpp, dest, desc, price = (fact.get(k) for k in ("tpp", "dest", "desc", "price"))
    if tpp is not None and tpp >= 4800 and dest in ("CN", "RU"):
        hits.add("R1-COMPUTE-D5")
    if (tpp is not None and tpp >= 4800) or dest == "CN" or (desc is not None and "missile" in desc):
        hits.add("R2-ANY-FLAG")
    if fact.get("end_use", "unknown") == "unknown":
        hits.add("R3-END-USE-UNKNOWN")
    if dest is not None and dest not in ("US", "GB") and price is not None and price < 100.5:
        hits.add("R4-CHEAP-NON-ALLY")
    if fact.get("vetted") is False:
        hits.add("R5-NOT-VETTED")
    return frozenset(hits)


def random_facts(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    facts = []
    for _ in range(count):
        fact = {
            "tpp": rng.choice([0, 4799, 4800, 4800.5, 9000]),
            "dest": rng.choice(["CN", "RU", "US", "GB", "DE"]),
            "desc": rng.choice(["laptop", "missile", "guided missile kit", "Missile", "server"]),
            "end_use": rng.choice(["unknown", "research", "datacenter"]),
            "price": rng.choice([1, 100, 100.5, 100.25, 250.0]),
            "vetted": rng.choice([True, False]),
        }
        facts.append({k: v for k, v in fact.items() if rng.random() > 0.15})
    return facts


@pytest.fixture(scope="module")
def runner() -> Iterator[DurableRunner]:
    with DurableRunner("test", RULES) as runner:
        yield runner


@pytest.fixture(scope="module")
def faulty() -> Iterator[DurableRunner]:
    with DurableRunner("faulty", RULES, timeout=1.0, _allow_fault_injection=True) as runner:
        yield runner


def test_comparisons_and_or(runner: DurableRunner) -> None:
    facts = [
        {**CLEAN, "tpp": 4800, "dest": "CN"},
        {**CLEAN, "tpp": 4799, "dest": "CN"},
        {**CLEAN, "tpp": 4800, "dest": "RU", "price": 100.25},
        {**CLEAN, "dest": "DE", "price": 100.5},
    ]
    assert runner.match(facts) == [
        {"R1-COMPUTE-D5", "R2-ANY-FLAG"},
        {"R2-ANY-FLAG"},
        {"R1-COMPUTE-D5", "R2-ANY-FLAG", "R4-CHEAP-NON-ALLY"},
        set(),
    ]


def test_every_matching_rule_fires(runner: DurableRunner) -> None:
    assert runner.match([ALL_FIVE]) == [frozenset(RULES)]


def test_or_branches_fire_once(runner: DurableRunner) -> None:
    # All three branches of R2 are true: durable-rules fires it three times.
    [answer] = runner.match([{**CLEAN, "tpp": 9000, "dest": "US", "desc": "missile"}])
    assert answer == frozenset({"R2-ANY-FLAG"})
    assert isinstance(answer, frozenset)


def test_first_fact_ever_matching_nothing() -> None:
    # Without pre-warming, deleting that session can free garbage (SIGSEGV).
    for _ in range(3):
        with DurableRunner("fresh", RULES) as runner:
            assert runner.match([CLEAN]) == [frozenset()]
            assert runner.match_each([CLEAN]) == [frozenset()]
            assert runner.restarts == 0


def test_more_facts_than_sessions(runner: DurableRunner) -> None:
    facts = random_facts(5000, seed=7)
    assert runner.match(facts) == [expected(fact) for fact in facts]
    assert runner.restarts == 0


def test_missing_fields_do_not_match(runner: DurableRunner) -> None:
    answers = runner.match([{"dest": "CN", "end_use": "x"}, {"tpp": 5000, "end_use": "x"}, {}])
    assert answers == [{"R2-ANY-FLAG"}, {"R2-ANY-FLAG"}, {"R3-END-USE-UNKNOWN"}]


@pytest.mark.parametrize("field", ["sid", "id", "$s", "$anything", "_warm", "__crash__"])
def test_reserved_field_names_are_rejected(runner: DurableRunner, monkeypatch: pytest.MonkeyPatch, field: str) -> None:
    monkeypatch.setattr(runner, "_run_batch", lambda *args: pytest.fail("a batch was sent"))
    with pytest.raises(EvaluationError, match=re.escape(f"fact 1: field `{field}` is reserved")):
        runner.match([CLEAN, {**CLEAN, field: "x"}])


@pytest.mark.parametrize(
    "value", [math.nan, math.inf, -math.inf, 2**63, -(2**63) - 1, None, [1], {"a": 1}, Decimal("1")]
)
def test_unsupported_values_are_rejected(runner: DurableRunner, value: object) -> None:
    with pytest.raises(EvaluationError, match="fact 0: field `tpp`"):
        runner.match([{**CLEAN, "tpp": value}])


def test_64_bit_integers_are_accepted(runner: DurableRunner) -> None:
    assert runner.match([{**CLEAN, "tpp": 2**63 - 1}, {**CLEAN, "tpp": -(2**63)}]) == [{"R2-ANY-FLAG"}, set()]


def test_field_count_and_string_length_limits(runner: DurableRunner) -> None:
    wide = {f"f{i}": i for i in range(249)}
    assert runner.match([wide]) == [{"R3-END-USE-UNKNOWN"}]
    with pytest.raises(EvaluationError, match="fact 0: `250` fields"):
        runner.match([{**wide, "one_more": 1}])
    longest = "y" * (65535 - 7) + "missile"
    assert runner.match([{**CLEAN, "desc": longest}]) == [{"R2-ANY-FLAG"}]
    with pytest.raises(EvaluationError, match="field `desc`: strings longer than 65535"):
        runner.match([{**CLEAN, "desc": "é" + longest}])


def test_concurrent_callers_get_their_own_answers(runner: DurableRunner) -> None:
    chunks = [random_facts(200, seed=seed) for seed in range(8)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(runner.match, chunks))
    assert answers == [[expected(fact) for fact in chunk] for chunk in chunks]


def test_match_each_keeps_the_other_answers(runner: DurableRunner) -> None:
    answers = runner.match_each([ALL_FIVE, {**CLEAN, "sid": "s1"}, CLEAN])
    assert answers[0] == frozenset(RULES)
    assert isinstance(answers[1], EvaluationError)
    assert answers[2] == frozenset()


def test_rejected_ruleset_names_the_durable_error() -> None:
    rules = {**RULES, "R-IN": {"all": [{"m": {"$in": {"dest": ["CN", "RU"]}}}]}}
    with pytest.raises(EvaluationError, match=r"error code: 202.*rule `R-IN`"):
        DurableRunner("rejected", rules)


@pytest.mark.parametrize(
    "body, problem",
    [
        ({"all": [{"m": {"x": 1}}], "run": "act"}, "must not carry `run`"),
        ({"all": [{"m": {"x": 1}}], "count": 2}, "unsupported keys `count`"),
        ({"all": []}, "non-empty list"),
        ({"all": [{"m$not": {"x": 1}}]}, "alias `m$not`"),
        ({"all": [{"m": {"x": {1, 2}}}]}, "not plain JSON"),
    ],
)
def test_malformed_rules_are_rejected(body: dict[str, Any], problem: str) -> None:
    with pytest.raises(EvaluationError, match=re.escape(problem)):
        DurableRunner("malformed", {"R1": body})


def test_hanging_registration_times_out() -> None:
    # From about 520 `$or` alternatives, durable-rules never returns from create_ruleset.
    rules = {"R-BIG": {"all": [{"m": {"$or": [{"dest": f"C{i}"} for i in range(600)]}}]}}
    started = time.monotonic()
    with pytest.raises(EvaluationError, match="did not register the rules within 1 s"):
        DurableRunner("big", rules, register_timeout=1.0)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("fault, reason", [("segv", "SIGSEGV"), ("fpe", "SIGFPE"), ("hang", "within 1 s")])
def test_crash_or_hang_fails_only_that_fact(faulty: DurableRunner, fault: str, reason: str) -> None:
    restarts = faulty.restarts
    facts = [ALL_FIVE, CLEAN, {**ALL_FIVE, "__crash__": fault}, {**CLEAN, "dest": "CN"}]
    answers = faulty.match_each(facts)
    assert answers[:2] == [frozenset(RULES), frozenset()]
    assert answers[3] == expected(facts[3]) == {"R2-ANY-FLAG"}
    assert isinstance(answers[2], EvaluationError)
    assert re.match(rf"fact 2: the durable-rules worker .*{reason}.*\(twice\)", str(answers[2]))
    assert faulty.restarts == restarts + 2
    assert faulty.match([ALL_FIVE]) == [frozenset(RULES)]


def test_several_crashes_in_one_batch(faulty: DurableRunner) -> None:
    facts = random_facts(60, seed=3)
    poisoned = {5: "segv", 30: "exit", 59: "fpe"}
    for index, fault in poisoned.items():
        facts[index] = {**facts[index], "__crash__": fault}
    answers = faulty.match_each(facts)
    for index, (fact, answer) in enumerate(zip(facts, answers, strict=True)):
        if index in poisoned:
            assert isinstance(answer, EvaluationError)
        else:
            assert answer == expected(fact)


def test_crash_that_does_not_repeat_is_answered(faulty: DurableRunner, tmp_path: Path) -> None:
    restarts = faulty.restarts
    once = {**ALL_FIVE, "__crash__": f"segv-once:{tmp_path / 'crashed'}"}
    assert faulty.match([CLEAN, once, CLEAN]) == [set(), frozenset(RULES), set()]
    assert faulty.restarts == restarts + 1


def test_match_raises_for_a_crashing_fact(faulty: DurableRunner) -> None:
    with pytest.raises(EvaluationError, match=r"fact 1: .*SIGSEGV"):
        faulty.match([CLEAN, {"__crash__": "segv"}])


def test_worker_killed_between_calls(faulty: DurableRunner) -> None:
    pid = faulty.worker_pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    assert faulty.match([ALL_FIVE]) == [frozenset(RULES)]
    assert faulty.worker_pid != pid


def test_real_integer_division_by_zero_is_isolated() -> None:
    # durable-rules divides integers in C: unit_price 0 kills the process with SIGFPE.
    rules = {
        "R9-HIGH-VALUE": {
            "all": [
                {
                    "m": {
                        "$and": [
                            {"$ex": {"unit_price": 1}},
                            {"$gt": {"quantity": {"$div": {"$l": 1000000, "$r": {"$m": "unit_price"}}}}},
                        ]
                    }
                }
            ]
        }
    }
    with DurableRunner("fee", rules) as runner:
        facts = [{"quantity": 5, "unit_price": 300000}, {"quantity": 5, "unit_price": 0}, {"quantity": 1}]
        answers = runner.match_each(facts)
    assert answers[0] == {"R9-HIGH-VALUE"}
    assert isinstance(answers[1], EvaluationError)
    assert "SIGFPE" in str(answers[1])
    assert answers[2] == frozenset()


def test_forgotten_runner_stops_its_worker() -> None:
    runner = DurableRunner("forgotten", RULES)
    pid = runner.worker_pid
    assert pid is not None
    del runner
    gc.collect()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_close_stops_the_worker() -> None:
    runner = DurableRunner("closing", RULES)
    pid = runner.worker_pid
    assert pid is not None
    runner.close()
    runner.close()
    assert runner.worker_pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(EvaluationError, match="closed"):
        runner.match([CLEAN])
