"""The text of rule expressions: where each node is in it, and syntax errors explained (the column at fault,
and the operator meant)."""

from __future__ import annotations

import ast
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


class SourceText:
    """An expression's text and where each node of its parse tree is in it."""

    def __init__(self, text: str, lead: int = 0):
        self.text = text
        self.lead = lead  # blanks before the text as written
        self.raw = text.encode()
        self.line_starts = [0, *(m.end() for m in re.finditer(b"\n", self.raw))]

    def _offset(self, line: int, col: int) -> int:
        """The byte offset of (1-based line, byte column) in the source."""
        return self.line_starts[min(line - 1, len(self.line_starts) - 1)] + col

    def src(self, node: ast.AST) -> str:
        """The source text of a node, in time linear in its length."""
        start = getattr(node, "lineno", None)
        if start is None or node.end_lineno is None or node.end_col_offset is None:  # type: ignore[attr-defined]
            return ast.unparse(node)
        begin = self._offset(start, node.col_offset)  # type: ignore[attr-defined]
        end = self._offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return self.raw[begin:end].decode()

    def span(self, node: ast.AST) -> tuple[int, int] | None:
        """Character offsets of a node in the expression as written (leading blanks included)."""
        start = getattr(node, "lineno", None)
        if start is None:
            return None
        begin = self._offset(start, node.col_offset)  # type: ignore[attr-defined]
        end = self._offset(node.end_lineno or start, node.end_col_offset or node.col_offset)  # type: ignore[attr-defined]
        chars = len(self.raw[:begin].decode(errors="ignore"))
        return self.lead + chars, self.lead + chars + len(self.raw[begin:end].decode(errors="ignore"))
