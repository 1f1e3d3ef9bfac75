"""Three-valued (Kleene) logic: a condition is true, false, or unsettled (None) because data is missing."""

from __future__ import annotations

Truth = bool | None
"""A condition's truth: None when missing data leaves it unsettled."""


def all_of(*values: Truth) -> Truth:
    """Three-valued AND: false if any is false, else unsettled if any is unsettled."""
    if any(value is False for value in values):
        return False
    return True if all(value is True for value in values) else None


def any_of(*values: Truth) -> Truth:
    """Three-valued OR: true if any is true, else unsettled if any is unsettled."""
    if any(value is True for value in values):
        return True
    return False if all(value is False for value in values) else None


def negate(value: Truth) -> Truth:
    """Three-valued NOT."""
    return None if value is None else not value


def settled(values: set[Truth]) -> Truth:
    """The one truth every reading gives, or None when the readings differ."""
    return next(iter(values)) if len(values) == 1 else None
