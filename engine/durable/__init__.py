"""The `durable` backend: a pack translated to durable-rules (Rete), run in supervised worker processes.

translator   compiled pack -> durable-rules rules and the flat fact of one transaction
encoding     the fact's values as integer codes that compare exactly as the values do
limits       what durable-rules accepts: rule and fact checks, its fixed limits
runner       DurableRunner: rulesets in a worker process, restarted when it dies or hangs
worker       the worker process itself (the only place durable-rules code runs)
backend      DurableBackend: Decisions from the runner's answers, identical to the native backend's
"""

from __future__ import annotations

from engine.durable.backend import DurableBackend
from engine.durable.runner import DurableRunner, Outcome
from engine.durable.translator import Translation, translate

__all__ = ["DurableBackend", "DurableRunner", "Outcome", "Translation", "translate"]
