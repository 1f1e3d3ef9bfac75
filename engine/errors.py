"""The one exception tree of `clearance`.

    ClearanceError                    base of everything raised on purpose
    ├── PackError                     a rule pack cannot be loaded; carries every Diagnostic found
    ├── ScreeningListError            a denied-party list file is malformed (file and line)
    ├── InvalidDocument               a file or body is not a readable JSON or YAML document
    ├── InvalidTransaction            a transaction fails the input contract; carries every FieldError
    ├── EvaluationError               the engine could not produce a decision (e.g. a backend worker died twice)
    └── UsageError                    a command was called with words that do not fit

Messages follow one style: lowercase, no trailing period, user values in backticks, context chained
with colons, e.g. ``rules/route.yaml:12: rule `H200-ROUTE`: unknown name `tpp2```.
"""

from __future__ import annotations

from dataclasses import dataclass


class ClearanceError(Exception):
    """Base of every error `clearance` raises on purpose."""


# The stable codes of pack diagnostics: programs and tests match these, never the wording.
CODES: dict[str, str] = {
    "not-a-pack": "the directory has no `pack.yaml`",
    "yaml-syntax": "a file is not valid YAML",
    "duplicate-key": "a YAML mapping names a key twice",
    "not-utf8": "a file is not UTF-8 text",
    "not-a-mapping": "a file or entry must be a mapping",
    "unknown-field": "a key the file format does not know (a typo is suggested)",
    "missing-field": "a required key is absent",
    "invalid-value": "a value does not fit its field",
    "bad-date": "a date is not a real date YYYY-MM-DD",
    "missing-cite": "a rule has no citation of the regulation it encodes",
    "file-not-found": "a file the manifest names does not exist",
    "outside-pack": "a path that leads outside the pack's directory (absolute, `..`, or a symbolic link out)",
    "no-rule-files": "no rule file matches the manifest's globs",
    "bad-table": "a reference table is malformed",
    "bad-list": "a denied-party list file is malformed",
    "duplicate-rule": "two rules have one id",
    "duplicate-value": "two values (or a value and a field or table) have one name",
    "value-cycle": "a value depends on itself",
    "syntax-error": "an expression cannot be parsed",
    "unknown-operator": "an operator the language does not have, such as `=>`",
    "unknown-name": "a name, column, set or field that is not defined",
    "unknown-function": "a function the language does not have",
    "type-mismatch": "operands of the wrong type, such as a number compared with a string",
    "bad-argument": "a function called with wrong arguments",
    "bad-regex": "a regular expression that does not compile",
    "not-allowed": "a construct rule expressions do not allow",
    "bad-condition": "a condition that is neither an expression nor all/any/not",
    "too-complex": "an expression or condition nested deeper than the limits",
    "bad-template": "a message template that cannot be rendered, such as a bad format spec",
    "bad-test": "a pack test case that names unknown rules or holds an invalid transaction",
    "durable-limit": "a rule the durable backend cannot carry safely",
}


@dataclass(frozen=True, kw_only=True)
class Diagnostic:
    """One problem found while loading a pack: where it is (file, 1-based line and column), a stable
    `code` (see CODES), the rule it concerns, what is wrong, and a hint of what to do."""

    file: str
    line: int | None = None
    column: int | None = None
    end_column: int | None = None
    code: str
    rule: str | None = None
    message: str
    hint: str | None = None

    def __post_init__(self) -> None:
        assert self.code in CODES, self.code

    @property
    def where(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}" + (f":{self.column}" if self.column is not None else "")

    def __str__(self) -> str:
        subject = f"rule `{self.rule}`: " if self.rule else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.where}: {subject}{self.message}{hint}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_column": self.end_column,
            "code": self.code,
            "rule": self.rule,
            "message": self.message,
            "hint": self.hint,
        }


class PackError(ClearanceError):
    """A pack failed to load. `diagnostics` holds every problem, not only the first; `root` is the pack
    directory their files are relative to."""

    def __init__(self, diagnostics: list[Diagnostic], root: str | None = None):
        self.diagnostics = list(diagnostics)
        self.root = root
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


class InvalidDocument(ClearanceError):
    """A file or request body is not a readable JSON or YAML document (or holds duplicate keys)."""

    def __init__(self, source: str, line: int | None, message: str):
        self.source = source
        self.line = line
        self.message = message
        super().__init__(f"{self.where}: {message}")

    @property
    def where(self) -> str:
        return self.source if self.line is None else f"{self.source}:{self.line}"


class InvalidTransaction(ClearanceError):
    """A transaction fails the input contract. `errors` names every bad field."""

    def __init__(self, errors: list[FieldError], source: str | None = None):
        self.errors = list(errors)
        self.source = source
        prefix = f"{source}: " if source else ""
        super().__init__(prefix + "invalid transaction: " + "; ".join(str(e) for e in self.errors))


class EvaluationError(ClearanceError):
    """The engine could not produce a decision for a valid transaction."""


class UsageError(ClearanceError):
    """A command was called with words that do not fit."""
