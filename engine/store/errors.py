"""What the decision log raises."""

from __future__ import annotations

from engine.errors import ClearanceError


class StoreError(ClearanceError):
    """The decision log cannot do what was asked."""


class Conflict(StoreError):
    """The transaction id (or the version label) is in the log with other content."""


class NotFound(StoreError):
    """No such decision, review or version."""
