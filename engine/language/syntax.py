"""Syntax errors of rule expressions, explained: the column at fault, and the operator meant."""

from __future__ import annotations

import re

from engine.language.model import ExprError

# operators from other languages that rule authors write, and what this language spells them
MISTAKEN_OPERATORS = (
    ("=>", ">="),
    ("=<", "<="),
    ("<>", "!="),
    ("===", "=="),
    ("!==", "!="),
    ("&&", "and"),
    ("||", "or"),
)
_LONE_EQUALS = re.compile(r"(?<![=!<>])=(?![=])")
_LONE_BANG = re.compile(r"!(?!=)")


def syntax_error(source: str, exc: SyntaxError, lead: int) -> ExprError:
    """Python's SyntaxError for `source` (written after `lead` blanks) as an ExprError with a span."""
    for wrong, right in MISTAKEN_OPERATORS:
        at = source.find(wrong)
        if at >= 0:
            return ExprError(
                f"unknown operator `{wrong}` in `{source}`",
                "unknown-operator",
                span=(lead + at, lead + at + len(wrong)),
                hint=f"did you mean `{right}`?",
            )
    for pattern, wrong, right in ((_LONE_EQUALS, "=", "=="), (_LONE_BANG, "!", "not")):
        found = pattern.search(source)
        if found:
            return ExprError(
                f"unknown operator `{wrong}` in `{source}`",
                "unknown-operator",
                span=(lead + found.start(), lead + found.end()),
                hint=f"did you mean `{right}`?",
            )
    line_starts = [0, *(m.end() for m in re.finditer("\n", source))]
    row = (exc.lineno or 1) - 1
    column = line_starts[min(row, len(line_starts) - 1)] + max((exc.offset or 1) - 1, 0)
    column = min(column, len(source))
    return ExprError(
        f"syntax error in `{source}`: {exc.msg}",
        "syntax-error",
        span=(lead + column, lead + min(column + 1, len(source))),
        hint="an expression is a comparison such as `tpp >= 4800`, joined with `and`, `or`, `not`",
    )
