"""clearance: screen AI-accelerator exports against dated, declarative rule packs.

The embedding API (the CLI and the HTTP API use only these names):

    pack = load_pack("rules/us-ai-chips")          # compile once (PackError lists every problem)
    tx = parse_transaction({...})                   # InvalidTransaction names every bad field
    decision = evaluate(pack, tx)                   # pure: no IO, no clock
    tx = validate(pack, {...})                      # ... and the pack's vocabularies
    decision = check(pack, {...})                   # validate + evaluate + stamp with an id and time
    decision = check(pack, {...}, facts=provider)   # external facts (e.g. license usage) from the caller
    for d in evaluate_many(pack, txs): ...
    backend = make_backend(pack, "durable")         # the same Decisions from durable-rules
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from engine.backends import BACKENDS, Backend, NativeBackend, make_backend
from engine.contract import ConditionResult, Decision, Finding, Transaction, money, parse_transaction
from engine.contract.decision import stamp
from engine.errors import (
    ClearanceError,
    Diagnostic,
    EvaluationError,
    FieldError,
    InvalidTransaction,
    PackError,
    ScreeningListError,
    UsageError,
)
from engine.evaluation import FactProvider, InMemoryFacts, evaluate
from engine.pack import Pack, compile_pack

__all__ = [
    "BACKENDS",
    "Backend",
    "ClearanceError",
    "ConditionResult",
    "Decision",
    "Diagnostic",
    "EvaluationError",
    "FactProvider",
    "FieldError",
    "Finding",
    "InMemoryFacts",
    "InvalidTransaction",
    "NativeBackend",
    "Pack",
    "PackError",
    "ScreeningListError",
    "Transaction",
    "UsageError",
    "check",
    "default_pack_path",
    "evaluate",
    "evaluate_many",
    "load_pack",
    "make_backend",
    "money",
    "parse_transaction",
    "stamp",
    "validate",
]

Clock = Callable[[], dt.datetime]


def default_pack_path() -> Path:
    """The shipped pack, or the directory named by CLEARANCE_PACK."""
    override = os.environ.get("CLEARANCE_PACK")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "rules" / "us-ai-chips"


def load_pack(path: str | Path | None = None) -> Pack:
    """Load and compile a pack directory (default: the shipped pack)."""
    return compile_pack(default_pack_path() if path is None else path)


def validate(pack: Pack, data: Any, source: str | None = None) -> Transaction:
    """A transaction valid under the input contract and the pack's vocabularies; InvalidTransaction names every
    field that is not."""
    return pack.transaction(data, source)


def check(
    pack: Pack, data: Any, *, backend: Backend | None = None, clock: Clock | None = None,
    facts: FactProvider | None = None,
) -> Decision:  # fmt: skip
    """Validate one transaction (a mapping or a Transaction), judge it (with the caller's external `facts`),
    and stamp the decision."""
    tx = validate(pack, data)
    decision = backend.evaluate(tx, facts) if backend is not None else evaluate(pack, tx, facts)
    return stamp(decision, clock)


def evaluate_many(
    pack: Pack, transactions: Iterable[Transaction], facts: FactProvider | None = None
) -> Iterator[Decision]:
    """Judge many valid transactions with the native backend, in turn."""
    for tx in transactions:
        yield evaluate(pack, tx, facts)
