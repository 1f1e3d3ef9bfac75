"""Evaluation: a compiled pack and a valid transaction in, a Decision out.

facts      the named facts of one evaluation (from the contract's field table) and its condition trace
kernel     evaluate, and the interface every backend shares: bind, Verdict, decide, failed
explain    the one-paragraph explanation
backends   the Backend protocol and the native backend
"""

from engine.evaluation.backends import Backend, NativeBackend
from engine.evaluation.facts import CountedFacts, Env, FactProvider, InMemoryFacts, Trace, bind, transaction_facts
from engine.evaluation.kernel import ZERO, Verdict, decide, evaluate, failed, verdict_of

__all__ = [
    "ZERO",
    "Backend",
    "CountedFacts",
    "Env",
    "FactProvider",
    "InMemoryFacts",
    "NativeBackend",
    "Trace",
    "Verdict",
    "bind",
    "decide",
    "evaluate",
    "failed",
    "transaction_facts",
    "verdict_of",
]
