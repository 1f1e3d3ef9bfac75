"""The worker process: the only place durable-rules code runs (see engine.durable.runner)."""

from __future__ import annotations

import ctypes
import json
import os
import signal
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from engine.durable.limits import CRASH_FIELD, FAULTS, STATE_GUARD, WARM_FIELD


def worker_main(
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
        evaluator = Evaluator(ruleset, rules, warm_sessions)
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


class Evaluator:
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
    if kind in FAULTS:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core files from deliberate crashes
        os.kill(os.getpid(), FAULTS[kind])
        time.sleep(60)
    if kind == "hang":
        while True:
            time.sleep(1)
    if kind == "exit":
        os._exit(70)
    raise ValueError(f"unknown fault `{kind}`")
