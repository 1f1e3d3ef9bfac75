"""Evaluation backends compiled from one pack: `native` (Python closures) and `durable` (durable-rules Rete).

Both produce identical Decisions through the one evaluation kernel; `native` is the default. A backend is
built once per pack and used for many transactions. A new backend implements `Backend` and is named here.
"""

from __future__ import annotations

from engine.durable import DurableBackend
from engine.errors import UsageError
from engine.evaluation import Backend, NativeBackend
from engine.pack.model import Pack

BACKENDS = ("native", "durable")

__all__ = ["BACKENDS", "Backend", "NativeBackend", "make_backend"]


def make_backend(pack: Pack, name: str = "native") -> Backend:
    """Build the named backend for `pack`."""
    if name == "native":
        return NativeBackend(pack)
    if name == "durable":
        return DurableBackend(pack)
    raise UsageError(f"unknown engine `{name}` (choose from {', '.join(BACKENDS)})")
