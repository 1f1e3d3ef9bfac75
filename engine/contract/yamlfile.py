"""Safe YAML loading for everything the engine reads (pack files and transactions).

It remembers lines and columns, so every diagnostic can name them; rejects duplicate keys; keeps a
date-like scalar that is no real date as a string for the validator to report; reads an integer too long to
be a quantity as a Decimal (for the validator's bounds) instead of failing; and refuses documents that
expand through aliases to many times their size (a "billion laughs"), or nest too deeply. It uses libyaml's
C parser when present.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from engine.errors import Diagnostic

Mark = tuple[int, int, str]  # a scalar's 1-based line and column, and its style ("" plain, '"', "'", "|", ">")


class LineDict(dict[Any, Any]):
    """A mapping loaded from YAML: `line` is where it starts, `key_lines` where each key stands,
    `value_marks` where each scalar value starts."""

    line: int = 0
    key_lines: dict[Any, int]
    key_columns: dict[Any, int]
    value_marks: dict[Any, Mark]


class LineList(list[Any]):
    """A sequence loaded from YAML: `line` is where it starts, `item_lines` where each item starts,
    `item_marks` where each scalar item starts."""

    line: int = 0
    item_lines: list[int]
    item_marks: list[Mark | None]


def _mark(node: Any) -> Mark | None:
    if not isinstance(node, ScalarNode):
        return None
    return node.start_mark.line + 1, node.start_mark.column + 1, node.style or ""


class DuplicateKey(yaml.YAMLError):
    def __init__(self, key: object, line: int):
        self.key = key
        self.line = line
        super().__init__(f"duplicate key `{key}`")


MAX_NODES = 10_000  # values that aliases may add, beyond MAX_EXPANSION times the document's own
MAX_EXPANSION = 10
_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_BASE):
    pass


def _construct_map(loader: _LineLoader, node: MappingNode) -> Iterator[LineDict]:
    data = LineDict()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    data.key_columns = {}
    data.value_marks = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        if isinstance(key_node, ScalarNode):
            key = loader.construct_object(key_node)
            if key in data.key_lines:
                raise DuplicateKey(key, key_node.start_mark.line + 1)
            data.key_lines[key] = key_node.start_mark.line + 1
            data.key_columns[key] = key_node.start_mark.column + 1
            mark = _mark(value_node)
            if mark is not None:
                data.value_marks[key] = mark
    data.update(loader.construct_mapping(node, deep=True))


def _construct_seq(loader: _LineLoader, node: SequenceNode) -> Iterator[LineList]:
    data = LineList()
    data.line = node.start_mark.line + 1
    data.item_lines = [item.start_mark.line + 1 for item in node.value]
    data.item_marks = [_mark(item) for item in node.value]
    yield data
    data.extend(loader.construct_sequence(node, deep=True))


def _construct_timestamp(loader: _LineLoader, node: ScalarNode) -> Any:
    """A date-like scalar that is no real date (2026-13-01) stays a string, for the validator to report."""
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


def _construct_int(loader: _LineLoader, node: ScalarNode) -> Any:
    """An integer too long for int() (over 4,300 digits) is a Decimal, for the validator's bounds to report."""
    if len(str(node.value)) > 100:
        text = str(node.value).replace("_", "")
        try:
            return Decimal(text)
        except InvalidOperation:
            return text
    return loader.construct_yaml_int(node)


_LineLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


class YamlError(Exception):
    """A YAML file could not be parsed: carries the line and column, a stable code and a hint."""

    def __init__(
        self, line: int | None, message: str, *, column: int | None = None, code: str = "yaml-syntax",
        hint: str | None = None,
    ):  # fmt: skip
        self.line = line
        self.column = column
        self.code = code
        self.message = message
        self.hint = hint
        super().__init__(message)


def _size(node: Any, memo: dict[int, int]) -> int:
    """How many values `node` stands for once aliases are expanded; `memo` ends up holding every distinct
    node, so that the expansion can be compared with what the file really holds."""
    known = memo.get(id(node))
    if known is not None:
        return known
    memo[id(node)] = 1  # a recursive alias counts once
    if isinstance(node, MappingNode):
        total = 1 + sum(_size(k, memo) + _size(v, memo) for k, v in node.value)
    elif isinstance(node, SequenceNode):
        total = 1 + sum(_size(item, memo) for item in node.value)
    else:
        total = 1
    memo[id(node)] = total
    return total


def _load(text: str) -> Any:
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        distinct: dict[int, int] = {}
        if _size(node, distinct) > MAX_EXPANSION * len(distinct) + MAX_NODES:
            raise YamlError(
                None,
                f"aliases expand the document to more than {MAX_EXPANSION} times what it holds",
                hint="YAML aliases (`*name`) may repeat a part, not multiply it",
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_yaml(text: str) -> Any:
    """Parse one YAML document with the safe loader, keeping line numbers."""
    try:
        return _load(text)
    except RecursionError:
        raise YamlError(None, "the document is nested too deeply") from None
    except DuplicateKey as exc:
        raise YamlError(exc.line, str(exc), code="duplicate-key", hint="a key may appear once in a mapping") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        lines = text.splitlines()
        source = lines[line - 1] if line is not None and line <= len(lines) else ""
        above = next((ln for ln in reversed(lines[: (line or 1) - 1]) if ln.strip()), "")
        message, hint = _explain(str(exc.problem or exc.context), source, above)
        raise YamlError(line, message, column=column, hint=hint) from None
    except yaml.YAMLError as exc:
        raise YamlError(None, f"invalid YAML: {exc}") from None


_QUOTED_START = re.compile(r"^\s*(?:-\s+|[\w.-]+:\s+)([\"'])(.*)$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _explain(problem: str, source: str, above: str) -> tuple[str, str | None]:
    """PyYAML's problem in rule-file terms, with what to do (`above`: the last non-blank line before)."""
    quoted = _QUOTED_START.match(source)
    if quoted and not quoted.group(2).rstrip().endswith(quoted.group(1)):
        return (
            "a value that begins with a quote must be quoted whole",
            "wrap the whole expression in the other kind of quote, e.g. `- '\"x\" not in attestations'`",
        )
    if "\t" in problem or "'\\t'" in problem:
        return "a tab character: YAML is indented with spaces", "replace the tabs with spaces"
    misaligned = _indent(source) != _indent(above) and not above.rstrip().endswith(":")
    if "<block" in problem or ("mapping values are not allowed" in problem and misaligned):
        return (
            "this line's indentation does not fit the lines above",
            "keys of one mapping, and items of one list, must start in the same column",
        )
    if "mapping values are not allowed" in problem:
        return (
            "a `:` where no new key can start",
            "quote a value that holds `: `, or indent the key under its parent",
        )
    if "could not find expected ':'" in problem:
        return "a line that is neither `key: value` nor a list item", "check the indentation and the quotes"
    return f"invalid YAML: {problem}", None


def load_yaml_file(path: Path) -> Any:
    return load_yaml(path.read_text(encoding="utf-8"))


def line_of(data: Any, loc: Sequence[str | int]) -> int | None:
    """The line of the deepest element of `loc` that the loaded data knows about."""
    line: int | None = getattr(data, "line", None)
    node = data
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
        inner = getattr(node, "line", None)
        if inner and isinstance(node, LineList | LineDict) and part == loc[-1]:
            line = line or inner
    return line


def value_at(data: Any, loc: Sequence[str | int]) -> Any:
    """The loaded value at `loc`, or None when there is none."""
    node = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def key_column(data: Any, loc: Sequence[str | int]) -> int | None:
    """The 1-based column of the key at `loc`, when `loc` ends at a key of a mapping."""
    node = value_at(data, loc[:-1])
    return node.key_columns.get(loc[-1]) if isinstance(node, LineDict) and loc else None


def mark_of(data: Any, loc: Sequence[str | int]) -> Mark | None:
    """Where the scalar at `loc` starts (line, column, style), or None when `loc` is not a scalar."""
    node = value_at(data, loc[:-1])
    last = loc[-1] if loc else None
    if isinstance(node, LineDict):
        return node.value_marks.get(last)
    if isinstance(node, LineList) and isinstance(last, int) and 0 <= last < len(node.item_marks):
        return node.item_marks[last]
    return None


def yaml_diagnostic(rel: str, exc: YamlError) -> Diagnostic:
    """A YAML error of file `rel` as a pack diagnostic."""
    return Diagnostic(file=rel, line=exc.line, column=exc.column, code=exc.code, message=exc.message, hint=exc.hint)


def not_utf8_diagnostic(rel: str, exc: UnicodeDecodeError) -> Diagnostic:
    """A file of the pack that is not UTF-8 text, as a pack diagnostic."""
    return Diagnostic(file=rel, code="not-utf8", message=f"not UTF-8 text (byte {exc.start})")
