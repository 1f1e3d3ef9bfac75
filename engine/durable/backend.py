"""DurableBackend: Decisions from durable-rules, identical to the native backend's."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from engine.contract import Decision, Transaction
from engine.durable.runner import DurableRunner
from engine.durable.translator import BATCH, translate
from engine.errors import EvaluationError
from engine.evaluation import Env, FactProvider, Verdict, bind, decide, failed, verdict_of
from engine.language.values import MISSING
from engine.pack.model import Pack


class DurableBackend:
    """Decisions from durable-rules, in a supervised worker process; values and money from Python.

    The rules that fired (or could not be evaluated) are re-run in Python to record their conditions for
    the explanation; should the two engines ever disagree, the decision is `review` with that finding.
    A rule reading a value the fact cannot carry exactly (see `encoding`: a failed operand, a kind its
    comparisons do not expect) is judged in Python alone: durable-rules never saw that value.
    """

    name = "durable"

    def __init__(self, pack: Pack, *, start_method: str = "spawn"):
        self.pack = pack
        self.translation = translate(pack)
        self.runners: list[DurableRunner] = []
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="durable")
        try:
            for number, chunk in enumerate(self.translation.rulesets()):
                name = f"{_ruleset_name(pack)}_{number}"
                self.runners.append(DurableRunner(name, chunk, start_method=start_method))
        except BaseException:
            self.close()
            raise

    @property
    def runner(self) -> DurableRunner:
        """The first worker (the only one for packs of up to RULES_PER_RULESET durable rules)."""
        return self.runners[0]

    @runner.setter
    def runner(self, value: DurableRunner) -> None:
        self.runners[0] = value

    def _match(self, facts: list[dict[str, Any]]) -> list[frozenset[str] | EvaluationError]:
        """Every worker's answer for each fact, joined: the rule ids that fired, or the first error."""
        joined: list[frozenset[str] | EvaluationError] = [frozenset()] * len(facts)
        if len(self.runners) == 1:
            answers = [self.runners[0].match_each(facts)]
        else:  # the workers run side by side; this process only waits for them
            answers = list(self._pool.map(lambda runner: runner.match_each(facts), self.runners))
        for outcomes in answers:
            for index, outcome in enumerate(outcomes):
                current = joined[index]
                if isinstance(current, EvaluationError):
                    continue
                joined[index] = outcome if isinstance(outcome, EvaluationError) else current | outcome
        return joined

    def evaluate(self, tx: Transaction, facts: FactProvider | None = None) -> Decision:
        return next(iter(self.evaluate_many([tx], facts)))

    def evaluate_many(self, txs: Iterable[Transaction], facts: FactProvider | None = None) -> Iterator[Decision]:
        """Decisions in batches for the worker; one at a time when external facts accrue, so that a provider
        that records each allowed decision is read by the next transaction as the native backend reads it."""
        iterator = iter(txs)
        size = 1 if facts is not None and self.pack.accruals else BATCH
        while batch := list(itertools.islice(iterator, size)):
            envs = [bind(self.pack, tx, facts) for tx in batch]
            encoded = [self.translation.encode(env) for env in envs]
            outcomes = self._match([fact for fact, _ in encoded])
            for tx, env, (_, unsure), outcome in zip(batch, envs, encoded, outcomes, strict=True):
                if isinstance(outcome, EvaluationError):
                    yield failed(self.pack, tx, str(outcome), engine="durable")
                else:
                    yield self._decide(tx, env, outcome, self.translation.python_rules(unsure) if unsure else set())

    def _decide(self, tx: Transaction, env: Env, fired: frozenset[str], python: set[str]) -> Decision:
        verdicts: list[Verdict] = []
        for rule in self.pack.rules_on(tx.date):
            if rule.id in python:
                verdict = verdict_of(rule, env)
                if verdict.value is not False:
                    verdicts.append(verdict)
                continue
            if f"{rule.id}#T" not in fired and (
                f"{rule.id}#F" in fired or rule.id not in self.translation.three_valued
            ):
                continue
            value = True if f"{rule.id}#T" in fired else MISSING
            shadow = verdict_of(rule, env)  # records the conditions shown in the finding
            if shadow.error is not None:
                verdicts.append(shadow)
            elif shadow.value is not value:
                verdicts.append(
                    Verdict(rule, MISSING, f"the durable and native engines disagree ({value} vs {shadow.value})")
                )
            else:
                verdicts.append(Verdict(rule, value))
        return decide(self.pack, tx, env, verdicts)

    def close(self) -> None:
        for runner in self.runners:
            runner.close()
        self._pool.shutdown()

    def __enter__(self) -> DurableBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _ruleset_name(pack: Pack) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in f"{pack.name}_{pack.version}")
