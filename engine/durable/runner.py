"""Evaluate translated durable-rules rulesets in a crash-isolated worker process.

durable-rules 2.0.28 can kill its process (SIGSEGV in `delete_state`, SIGFPE on an integer division by
zero) or loop forever (rules matching the engine's state object, large `$or` lists). `DurableRunner`
therefore keeps the engine in a worker process and never runs durable-rules code in the caller:

    caller                                    worker (spawned)
    DurableRunner.match_each(facts)  --pipe-->  QuietHost + one ruleset, pre-warmed sessions
        <-- results, or EOF / silence           evaluates facts one at a time, writing the index of
                                                the current fact into shared memory

When the worker dies or stops making progress, the runner kills it, reads which fact it was working on,
and evaluates that fact alone in a fresh worker and the other facts of the batch separately. A fact that
brings down two workers gets an `EvaluationError`; the other facts keep their answers.

Inside the worker every fact follows the only call pattern found correct: a unique sid, `json.dumps`
first, `assert_fact`, `MessageNotHandledException` means no match, an `exception` in the returned state
is an error, and `delete_state` always (error 309 ignored).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import signal
import sys
import threading
import time
import types
import weakref
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from engine.durable.limits import NAME, check_fact, clean, prepare_rules, summarise
from engine.durable.worker import worker_main
from engine.errors import EvaluationError

Outcome = frozenset[str] | EvaluationError
"""What `DurableRunner.match_each` returns for one fact."""


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Start a worker without re-running the caller's script in it.

    A spawned process imports the parent's `__main__` module again, so a script that builds a durable
    backend without an `if __name__ == "__main__":` guard would build one again in every worker, which
    fails. The worker needs nothing from `__main__` (its target and arguments live in this package), so
    the parent's main module is hidden while the worker process starts."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


class DurableRunner:
    """Matches flat facts against translated durable-rules rules in a supervised worker process.

    `rules` maps rule id -> durable-rules rule body without `run`, e.g.
    ``{"R1": {"all": [{"m": {"$and": [{"$gte": {"tpp": 4800}}, {"dest": "CN"}]}}]}}``.
    The runner adds the state guard and one action per rule that records the rule id.

    `timeout` is how long the worker may go without finishing a fact before it is presumed hung, so a
    batch may take up to `timeout` per fact. `register_timeout` bounds registering and pre-warming the
    rules in a new worker. One batch is evaluated at a time; concurrent callers wait for each other.
    """

    def __init__(
        self,
        name: str,
        rules: Mapping[str, Mapping[str, Any]],
        *,
        warm_sessions: int = 8,
        start_method: str = "spawn",
        timeout: float = 30.0,
        register_timeout: float = 20.0,
        _allow_fault_injection: bool = False,
    ):
        if not NAME.fullmatch(name):
            raise ValueError(f"ruleset name `{name}` must match `{NAME.pattern}`")
        if not 1 <= warm_sessions <= 1000:
            raise ValueError(f"warm_sessions must be between 1 and 1000, got `{warm_sessions}`")
        if timeout <= 0 or register_timeout <= 0:
            raise ValueError("timeouts must be positive")
        self.name = name
        self._rules_json = prepare_rules(name, rules)
        self._warm_sessions = warm_sessions
        self._timeout = timeout
        self._register_timeout = register_timeout
        self._fault_injection = _allow_fault_injection
        # Any: typeshed's BaseContext (what `get_context(str)` returns) lacks `Process`
        self._context: Any = multiprocessing.get_context(start_method)
        self._progress: ctypes.c_longlong = self._context.RawValue(ctypes.c_longlong, -1)
        self._lock = threading.Lock()
        self._slot = _WorkerSlot()
        self._finalizer = weakref.finalize(self, self._slot.discard, graceful=True)
        self._generation = 0
        self._closed = False
        self._slot.worker = self._start_worker()

    @property
    def restarts(self) -> int:
        """How many workers were started after the first one (crashes, hangs, recycling)."""
        return max(self._generation - 1, 0)

    @property
    def worker_pid(self) -> int | None:
        """The process id of the current worker, if one is running."""
        worker = self._slot.worker
        return worker.process.pid if worker else None

    def match(self, facts: Iterable[Mapping[str, Any]]) -> list[frozenset[str]]:
        """The rule ids that fired for each fact; raises `EvaluationError` if any fact fails.

        Invalid facts are reported before anything is sent to the worker. Use `match_each` to keep the
        answers of the other facts when one fact cannot be evaluated.
        """
        outcomes, payloads = self._prepare(facts)
        problems = [str(o) for o in outcomes if o is not None]
        if problems:
            raise EvaluationError(summarise(problems))
        self._evaluate(payloads, outcomes)
        errors = [str(o) for o in outcomes if isinstance(o, EvaluationError)]
        if errors:
            raise EvaluationError(summarise(errors))
        return [o for o in outcomes if isinstance(o, frozenset)]

    def match_each(self, facts: Iterable[Mapping[str, Any]]) -> list[Outcome]:
        """For each fact, the set of rule ids that fired, or the `EvaluationError` that stopped it.

        A fact that is invalid, that durable-rules refuses, or that crashes or hangs two workers gets an
        error; every other fact gets its answer.
        """
        outcomes, payloads = self._prepare(facts)
        self._evaluate(payloads, outcomes)
        return [o if o is not None else EvaluationError(f"fact {i}: no answer") for i, o in enumerate(outcomes)]

    def close(self) -> None:
        """Stop the worker. Safe to call more than once."""
        with self._lock:
            self._closed = True
            self._finalizer()

    def __enter__(self) -> DurableRunner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _prepare(self, facts: Iterable[Mapping[str, Any]]) -> tuple[list[Outcome | None], dict[int, dict[str, Any]]]:
        """An error for every invalid fact (`None` for the others), and the valid ones as plain dicts."""
        outcomes: list[Outcome | None] = []
        payloads: dict[int, dict[str, Any]] = {}
        for index, fact in enumerate(facts):
            problem = check_fact(fact, allow_fault_injection=self._fault_injection)
            if problem is None:
                payloads[index] = clean(fact)
                outcomes.append(None)
            else:
                outcomes.append(EvaluationError(f"fact {index}: {problem}"))
        return outcomes, payloads

    def _evaluate(self, payloads: dict[int, dict[str, Any]], outcomes: list[Outcome | None]) -> None:
        """Fill `outcomes` for `payloads` (fact index -> fact), isolating each fact that crashes a worker."""
        with self._lock:
            if self._closed:
                raise EvaluationError(f"runner `{self.name}` is closed")
            self._isolate(payloads, outcomes)

    def _isolate(self, payloads: dict[int, dict[str, Any]], outcomes: list[Outcome | None]) -> None:
        """Evaluate groups of facts; when a worker is lost, split its group around the fact it was on.

        That fact is retried alone in a fresh worker and fails on a second loss; the facts before and
        after it are evaluated again as their own groups. If the position is unknown, the group is halved.
        """
        strikes: dict[int, list[str]] = {}
        queue: deque[list[int]] = deque([list(payloads)] if payloads else [])
        answers: dict[tuple[str, ...], frozenset[str]] = {}
        while queue:
            group = queue.popleft()
            try:
                worker = self._ensure_worker()
            except EvaluationError as error:
                for index in [i for g in (group, *queue) for i in g]:
                    outcomes[index] = EvaluationError(f"fact {index}: {error}")
                return
            batch = self._run_batch(worker, [payloads[i] for i in group])
            if isinstance(batch, _Answered):
                for index, result in zip(group, batch.results, strict=True):
                    if isinstance(result, str):
                        outcomes[index] = EvaluationError(f"fact {index}: {result}")
                    else:
                        outcomes[index] = answers.setdefault(result, frozenset(result))
                if batch.retire:
                    self._slot.discard(graceful=True)
                continue
            self._slot.discard(graceful=False)
            position = 0 if len(group) == 1 else batch.position
            if not 0 <= position < len(group):
                half = len(group) // 2
                queue.extendleft([group[half:], group[:half]])
                continue
            suspect = group[position]
            strikes.setdefault(suspect, []).append(batch.reason)
            parts = [group[:position], group[position + 1 :]]
            if len(strikes[suspect]) >= 2:
                first, second = strikes[suspect]
                reasons = f"{first} (twice)" if first == second else f"{first}, then {second}"
                outcomes[suspect] = EvaluationError(f"fact {suspect}: the durable-rules worker {reasons}")
            else:
                parts.insert(0, [suspect])
            queue.extendleft(reversed([p for p in parts if p]))

    def _ensure_worker(self) -> _Worker:
        worker = self._slot.worker
        if worker is not None and worker.process.is_alive():
            return worker
        self._slot.discard(graceful=False)
        self._slot.worker = self._start_worker()
        return self._slot.worker

    def _start_worker(self) -> _Worker:
        self._generation += 1
        ruleset = f"{self.name}_{self._generation}"
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(
            target=worker_main,
            args=(child_end, self._progress, ruleset, self._rules_json, self._warm_sessions),
            kwargs={"fault_injection": self._fault_injection},
            name=f"durable-{ruleset}",
            daemon=True,
        )
        try:
            with _main_module_hidden():
                process.start()
        except BaseException:
            parent_end.close()
            raise
        finally:
            child_end.close()
        worker = _Worker(process, parent_end)
        try:
            self._await_ready(worker, ruleset)
        except BaseException:
            worker.stop(graceful=False)
            raise
        return worker

    def _await_ready(self, worker: _Worker, ruleset: str) -> None:
        deadline = time.monotonic() + self._register_timeout
        message = worker.receive(deadline)
        if message is None:
            raise EvaluationError(
                f"ruleset `{self.name}`: durable-rules did not register the rules within "
                f"{self._register_timeout:g} s (large `$or` lists make it loop forever)"
            )
        if message is _EOF:
            death = worker.death()
            raise EvaluationError(f"ruleset `{self.name}`: the durable-rules worker {death} while registering")
        if message[0] == "ready":
            return
        text = f"ruleset `{self.name}`: durable-rules rejected the rules: {message[1]}"
        # The worker then tries each rule on its own; give it a few seconds to name the culprits.
        culprits = worker.receive(min(deadline, time.monotonic() + 5.0))
        if isinstance(culprits, tuple) and culprits[1]:
            text += "; rejected on their own: " + ", ".join(f"rule `{r}`" for r in culprits[1])
        raise EvaluationError(text)

    def _run_batch(self, worker: _Worker, facts: list[dict[str, Any]]) -> _Answered | _Lost:
        """Send one batch and wait for its answers while the worker keeps making progress."""
        try:
            self._progress.value = -1
            try:
                worker.connection.send(("match", facts))
            except OSError:
                return _Lost(-1, worker.death())
            last, changed = -1, time.monotonic()
            interval = min(0.1, self._timeout / 4)
            while True:
                message = worker.receive(time.monotonic() + interval)
                if message is _EOF:
                    return _Lost(self._progress.value, worker.death())
                if message is not None:
                    return _Answered(message[1], message[2])
                current, now = self._progress.value, time.monotonic()
                if current != last:
                    last, changed = current, now
                elif now - changed >= self._timeout:
                    return _Lost(current, f"did not finish the fact within {self._timeout:g} s")
        except BaseException:
            # Interrupted (e.g. KeyboardInterrupt): the worker's answer would be misread later.
            self._slot.discard(graceful=False)
            raise


@dataclass(frozen=True)
class _Answered:
    results: list[tuple[str, ...] | str]
    retire: bool


@dataclass(frozen=True)
class _Lost:
    position: int
    reason: str


_EOF: Any = object()


@dataclass
class _Worker:
    """One worker process and the caller's end of its pipe."""

    process: BaseProcess
    connection: Connection

    def receive(self, deadline: float) -> Any:
        """The next message, `None` if none arrived by `deadline`, or `_EOF` if the worker is gone."""
        try:
            if not self.connection.poll(max(deadline - time.monotonic(), 0.0)):
                return None
            return self.connection.recv()
        except (EOFError, OSError):
            return _EOF

    def death(self) -> str:
        """How the worker ended, e.g. ``was killed by SIGSEGV``."""
        self.process.join(timeout=5.0)
        code = self.process.exitcode
        if code is None:
            return "stopped answering"
        if code < 0:
            try:
                return f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"was killed by signal {-code}"
        return f"exited with code {code}"

    def stop(self, *, graceful: bool) -> None:
        """End the process (asking first if `graceful`) and release the pipe and the process handle."""
        if graceful and self.process.is_alive():
            with contextlib.suppress(OSError):
                self.connection.send(("close",))
            self.process.join(timeout=2.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5.0)
        self.connection.close()
        if not self.process.is_alive():
            self.process.close()


class _WorkerSlot:
    """Holds the current worker apart from the runner, so a finalizer can stop it."""

    def __init__(self) -> None:
        self.worker: _Worker | None = None

    def discard(self, *, graceful: bool) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.stop(graceful=graceful)
