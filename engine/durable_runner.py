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
import json
import math
import multiprocessing
import os
import re
import signal
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from engine.errors import EvaluationError

Outcome = frozenset[str] | EvaluationError
"""What `DurableRunner.match_each` returns for one fact."""

STATE_GUARD: dict[str, Any] = {"$nex": {"$s": 1}}
"""Added around every rule condition so that no rule can match the engine's own state object."""

WARM_FIELD = "_warm"
CRASH_FIELD = "__crash__"
RESERVED_FIELDS = frozenset({"sid", "id", WARM_FIELD})
MAX_FIELDS = 249
"""durable-rules fails with error 302 at 255 properties; the sid takes one."""
MAX_STRING_BYTES = 65535
"""Past 65,535 UTF-8 bytes, `$mt` silently misses matches (`.*x.*` on 65,535 `y` then `x`)."""

_INT_LIMIT = 2**63
_RULE_KEYS = frozenset({"all", "any", "pri"})
_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_FAULTS = {"segv": signal.SIGSEGV, "fpe": signal.SIGFPE, "kill": signal.SIGKILL}


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
        if not _NAME.fullmatch(name):
            raise ValueError(f"ruleset name `{name}` must match `{_NAME.pattern}`")
        if not 1 <= warm_sessions <= 1000:
            raise ValueError(f"warm_sessions must be between 1 and 1000, got `{warm_sessions}`")
        if timeout <= 0 or register_timeout <= 0:
            raise ValueError("timeouts must be positive")
        self.name = name
        self._rules_json = _prepare_rules(name, rules)
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
            raise EvaluationError(_summarise(problems))
        self._evaluate(payloads, outcomes)
        errors = [str(o) for o in outcomes if isinstance(o, EvaluationError)]
        if errors:
            raise EvaluationError(_summarise(errors))
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
            problem = _check_fact(fact, allow_fault_injection=self._fault_injection)
            if problem is None:
                payloads[index] = _clean(fact)
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
            target=_worker_main,
            args=(child_end, self._progress, ruleset, self._rules_json, self._warm_sessions),
            kwargs={"fault_injection": self._fault_injection},
            name=f"durable-{ruleset}",
            daemon=True,
        )
        try:
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


def _prepare_rules(name: str, rules: Mapping[str, Mapping[str, Any]]) -> str:
    """Validate rule bodies, add the state guard, and return them as JSON (rule id, body) pairs."""
    problems: list[str] = []
    prepared: list[tuple[str, dict[str, Any]]] = []
    for rule_id, body in rules.items():
        problem = _check_rule(rule_id, body)
        if problem:
            problems.append(f"rule `{rule_id}`: {problem}")
            continue
        guarded: dict[str, Any] = {k: v for k, v in body.items() if k == "pri"}
        for key in ("all", "any"):
            if key in body:
                guarded[key] = [
                    {alias: {"$and": [STATE_GUARD, condition]} for alias, condition in entry.items()}
                    for entry in body[key]
                ]
        prepared.append((rule_id, guarded))
    if not problems:
        try:
            return json.dumps(prepared, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as error:
            problems.append(f"rules are not plain JSON: {error}")
    raise EvaluationError(f"ruleset `{name}`: " + "; ".join(problems))


def _check_rule(rule_id: object, body: object) -> str | None:
    if not isinstance(rule_id, str) or not rule_id:
        return "rule ids must be non-empty strings"
    if not isinstance(body, Mapping):
        return f"expected a mapping, got `{type(body).__name__}`"
    if "run" in body:
        return "must not carry `run`: the runner adds its own action"
    unknown = sorted(str(k) for k in body if k not in _RULE_KEYS)
    if unknown:
        return "unsupported keys " + ", ".join(f"`{k}`" for k in unknown)
    if ("all" in body) == ("any" in body):
        return "needs exactly one of `all` and `any`"
    if "pri" in body and (isinstance(body["pri"], bool) or not isinstance(body["pri"], int)):
        return "`pri` must be an integer"
    entries = body.get("all", body.get("any"))
    if not isinstance(entries, list) or not entries:
        return "`all`/`any` must be a non-empty list"
    for entry in entries:
        if not isinstance(entry, Mapping) or len(entry) != 1:
            return "each `all`/`any` entry must map one alias to a condition"
        ((alias, condition),) = entry.items()
        if not isinstance(alias, str) or not alias or "$" in alias:
            return f"alias `{alias}` must be a plain name (sequence operators are not supported)"
        if not isinstance(condition, Mapping) or not condition:
            return f"the condition of alias `{alias}` must be a non-empty mapping"
    return None


def _check_fact(fact: object, *, allow_fault_injection: bool) -> str | None:
    """Why `fact` cannot be sent to durable-rules, or `None` if it can."""
    if not isinstance(fact, Mapping):
        return f"expected a mapping, got `{type(fact).__name__}`"
    if len(fact) > MAX_FIELDS:
        return f"`{len(fact)}` fields is more than durable-rules handles ({MAX_FIELDS})"
    for key, value in fact.items():
        if not isinstance(key, str):
            return f"field names must be strings, got `{key!r}`"
        if key == CRASH_FIELD and allow_fault_injection:
            if not isinstance(value, str):
                return f"field `{CRASH_FIELD}` must be a string"
            continue
        if key in RESERVED_FIELDS or key == CRASH_FIELD or key.startswith("$"):
            return f"field `{key}` is reserved"
        if isinstance(value, bool):
            continue
        if isinstance(value, str):
            if len(value) > MAX_STRING_BYTES // 4 and len(value.encode("utf-8", "replace")) > MAX_STRING_BYTES:
                return f"field `{key}`: strings longer than {MAX_STRING_BYTES} UTF-8 bytes are not supported"
            continue
        if isinstance(value, int):
            if not -_INT_LIMIT <= value < _INT_LIMIT:
                return f"field `{key}`: integer `{value}` does not fit in 64 bits"
        elif isinstance(value, float):
            if not math.isfinite(value):
                return f"field `{key}`: `{value}` is not a finite number"
        else:
            return f"field `{key}`: unsupported value type `{type(value).__name__}`"
    return None


def _clean(fact: Mapping[str, Any]) -> dict[str, Any]:
    """A plain dict of plain values (no subclasses, which the worker might not be able to unpickle)."""
    clean: dict[str, Any] = {}
    for key, value in fact.items():
        if isinstance(value, bool):
            clean[str.__str__(key)] = bool(value)
        elif isinstance(value, int):
            clean[str.__str__(key)] = int(value)
        elif isinstance(value, float):
            clean[str.__str__(key)] = float(value)
        else:
            clean[str.__str__(key)] = str.__str__(value)
    return clean


def _summarise(messages: list[str], limit: int = 5) -> str:
    shown = "; ".join(messages[:limit])
    more = len(messages) - limit
    return shown + (f" (and {more} more)" if more > 0 else "")


# ---- worker side: everything below runs in the worker process only ----


def _worker_main(
    connection: Connection,
    progress: ctypes.c_longlong,
    ruleset: str,
    rules_json: str,
    warm_sessions: int,
    *,
    fault_injection: bool = False,
) -> None:
    """Entry point of the worker process: register, report, then answer batches until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle
    rules: list[tuple[str, dict[str, Any]]] = [(r, b) for r, b in json.loads(rules_json)]
    try:
        evaluator = _Evaluator(ruleset, rules, warm_sessions)
    except Exception as error:
        connection.send(("rejected", _error_text(error)))
        connection.send(("culprits", _culprits(ruleset, rules)))
        connection.close()
        return
    connection.send(("ready",))
    while True:
        try:
            message = connection.recv()
        except EOFError:
            break
        if message[0] != "match":
            break
        facts: list[dict[str, Any]] = message[1]
        results: list[tuple[str, ...] | str] = []
        for index, fact in enumerate(facts):
            progress.value = index
            if fault_injection and CRASH_FIELD in fact:
                fact = _inject_fault(fact)
            try:
                results.append(evaluator.evaluate(fact))
            except Exception as error:
                results.append(f"durable-rules failed: {_error_text(error)}")
        progress.value = len(facts)
        connection.send(("answers", results, evaluator.tainted))
        if evaluator.tainted:
            break
    connection.close()


class _Evaluator:
    """One QuietHost with one pre-warmed ruleset, evaluating facts with the safe call pattern."""

    def __init__(self, ruleset: str, rules: list[tuple[str, dict[str, Any]]], warm_sessions: int):
        from durable import engine as durable_engine

        self._not_handled = durable_engine.MessageNotHandledException
        self._host = _quiet_host()
        self._ruleset = ruleset
        self._found: dict[str, list[str]] = {}
        self._sequence = 0
        self.tainted = False  # a session could not be deleted: replace the worker after this batch
        self._host.register_rulesets({ruleset: _definition(rules, self._found)})
        self._warm(warm_sessions)

    def _warm(self, count: int) -> None:
        """Open `count` sessions at once, each firing the sentinel rule, then delete them.

        Every session slot then has initialised context pointers: deleting a session in which no action
        ran no longer frees garbage (the SIGSEGV when the first fact ever matches nothing).
        """
        sids = [f"warm-{i}" for i in range(count)]
        for sid in sids:
            self._found[sid] = []
            self._host.assert_fact(self._ruleset, {"sid": sid, WARM_FIELD: 1})
        fired = all(WARM_FIELD in self._found.pop(sid) for sid in sids)
        for sid in sids:
            self._delete(sid)
        if not fired or self.tainted:
            raise RuntimeError("pre-warming the sessions failed")

    def evaluate(self, fact: dict[str, Any]) -> tuple[str, ...]:
        """The distinct rule ids fired by `fact`, in firing order."""
        self._sequence += 1
        sid = f"f{self._sequence}"
        payload = {**fact, "sid": sid}
        json.dumps(payload, ensure_ascii=False)  # fail on serialisation before any engine state exists
        hits: list[str] = []
        self._found[sid] = hits
        try:
            try:
                state = self._host.assert_fact(self._ruleset, payload)
            except self._not_handled:
                return ()
            if isinstance(state, dict) and "exception" in state:
                raise RuntimeError(f"a rule action failed: {state['exception']}")
            return tuple(dict.fromkeys(hits))
        finally:
            del self._found[sid]
            self._delete(sid)

    def _delete(self, sid: str) -> None:
        try:
            self._host.delete_state(self._ruleset, sid)
        except Exception as error:
            if "309" not in str(error):  # 309: no such session, e.g. assert_fact failed before creating it
                self.tainted = True


def _quiet_host() -> Any:
    """A durable-rules Host without the timer threads that race with the caller (`_run` does nothing)."""
    from durable import engine as durable_engine

    class QuietHost(durable_engine.Host):
        def _run(self) -> None:
            """Start no timer threads."""

    return QuietHost()


def _definition(rules: list[tuple[str, dict[str, Any]]], found: dict[str, list[str]]) -> dict[str, Any]:
    """The durable-rules ruleset: one recording action per rule, plus the pre-warm sentinel."""
    definition: dict[str, Any] = {
        f"r{i}": {**body, "run": _recorder(rule_id, found)} for i, (rule_id, body) in enumerate(rules)
    }
    sentinel = {"$and": [STATE_GUARD, {WARM_FIELD: 1}]}
    definition[WARM_FIELD] = {"all": [{"m": sentinel}], "run": _recorder(WARM_FIELD, found)}
    return definition


def _recorder(rule_id: str, found: dict[str, list[str]]) -> Callable[[Any], None]:
    """An action that only appends `rule_id` to the hits of the session's sid (it cannot raise)."""

    def record(c: Any) -> None:
        hits = found.get(c.s.sid)
        if hits is not None:
            hits.append(rule_id)

    return record


def _culprits(ruleset: str, rules: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """The ids of the rules that durable-rules rejects even on their own."""
    host = _quiet_host()
    culprits: list[str] = []
    for index, (rule_id, body) in enumerate(rules):
        try:
            host.register_rulesets({f"{ruleset}_probe{index}": _definition([(rule_id, body)], {})})
        except Exception:
            culprits.append(rule_id)
    return culprits


def _error_text(error: BaseException) -> str:
    """durable-rules' own message (e.g. ``Could not create ruleset, error code: 202``), or type: message."""
    if type(error).__module__ == "durable_rules_engine":
        return str(error)
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _inject_fault(fact: dict[str, Any]) -> dict[str, Any]:
    """Test hook: crash, hang or exit on `__crash__` before durable-rules sees the fact.

    Values: `segv`, `fpe`, `kill`, `hang`, `exit`, or `segv-once:<path>` (crash only if `path` does not
    exist yet, creating it: a crash that does not repeat in a fresh worker).
    """
    kind = str(fact[CRASH_FIELD])
    rest = {k: v for k, v in fact.items() if k != CRASH_FIELD}
    if kind.startswith("segv-once:"):
        try:
            with open(kind.partition(":")[2], "x"):
                pass
        except FileExistsError:
            return rest
        kind = "segv"
    if kind in _FAULTS:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core files from deliberate crashes
        os.kill(os.getpid(), _FAULTS[kind])
        time.sleep(60)
    if kind == "hang":
        while True:
            time.sleep(1)
    if kind == "exit":
        os._exit(70)
    raise ValueError(f"unknown fault `{kind}`")
