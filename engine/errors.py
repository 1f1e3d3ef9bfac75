"""The one exception tree of `clearance`.

    ClearanceError                    base of everything raised on purpose
    ├── PackError                     a rule pack cannot be loaded; carries every Diagnostic found
    ├── ScreeningListError            a denied-party list file is malformed (file and line)
    ├── InvalidTransaction            a transaction fails the input contract; carries every FieldError
    ├── EvaluationError               the engine could not produce a decision (e.g. a backend worker died twice)
    ├── StoreError                    the decision log or the ruleset store failed
    │   └── NotFound                  a decision, pack or version does not exist
    └── UsageError                    a command was called with words that do not fit

Messages follow one style: lowercase, no trailing period, user values in backticks, context chained
with colons, e.g. ``rules/route.yaml:12: rule `H200-ROUTE`: unknown name `tpp2```.
"""

from __future__ import annotations

from dataclasses import dataclass


class ClearanceError(Exception):
    """Base of every error `clearance` raises on purpose."""


@dataclass(frozen=True)
class Diagnostic:
    """One problem found while loading a pack: where it is and what is wrong."""

    file: str
    line: int | None
    message: str
    rule: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        subject = f"rule `{self.rule}`: " if self.rule else ""
        return f"{where}: {subject}{self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "rule": self.rule, "message": self.message}


class PackError(ClearanceError):
    """A pack failed to load. `diagnostics` holds every problem, not only the first."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = list(diagnostics)
        count = len(self.diagnostics)
        head = f"{count} problem{'s' if count != 1 else ''} in rule pack"
        super().__init__(head + "\n" + "\n".join(f"  {d}" for d in self.diagnostics))


class ScreeningListError(ClearanceError):
    """A denied-party list file is malformed."""

    def __init__(self, file: str, line: int | None, message: str):
        self.file = file
        self.line = line
        where = file if line is None else f"{file}:{line}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class FieldError:
    """One invalid field of a transaction; `loc` is the path to it."""

    loc: tuple[str | int, ...]
    message: str

    @property
    def field(self) -> str:
        return ".".join(str(part) for part in self.loc) or "(transaction)"

    def __str__(self) -> str:
        return f"field `{self.field}`: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"field": self.field, "loc": list(self.loc), "message": self.message}


class InvalidTransaction(ClearanceError):
    """A transaction fails the input contract. `errors` names every bad field."""

    def __init__(self, errors: list[FieldError], source: str | None = None):
        self.errors = list(errors)
        self.source = source
        prefix = f"{source}: " if source else ""
        super().__init__(prefix + "invalid transaction: " + "; ".join(str(e) for e in self.errors))


class EvaluationError(ClearanceError):
    """The engine could not produce a decision for a valid transaction."""


class StoreError(ClearanceError):
    """The decision log or the ruleset store failed."""


class NotFound(StoreError):
    """A decision, pack or version does not exist."""


class UsageError(ClearanceError):
    """A command was called with words that do not fit."""
