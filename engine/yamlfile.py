"""Safe YAML loading that remembers line numbers, so every diagnostic can name file and line."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode


class LineDict(dict[Any, Any]):
    """A mapping loaded from YAML: `line` is where it starts, `key_lines` where each key stands."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list[Any]):
    """A sequence loaded from YAML: `line` is where it starts, `item_lines` where each item starts."""

    line: int = 0
    item_lines: list[int]


class DuplicateKey(yaml.YAMLError):
    def __init__(self, key: object, line: int):
        self.key = key
        self.line = line
        super().__init__(f"duplicate key `{key}`")


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_map(loader: _LineLoader, node: MappingNode) -> Iterator[LineDict]:
    data = LineDict()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, _ in node.value:
        if isinstance(key_node, ScalarNode):
            key = loader.construct_object(key_node)
            if key in data.key_lines:
                raise DuplicateKey(key, key_node.start_mark.line + 1)
            data.key_lines[key] = key_node.start_mark.line + 1
    data.update(loader.construct_mapping(node, deep=True))


def _construct_seq(loader: _LineLoader, node: SequenceNode) -> Iterator[LineList]:
    data = LineList()
    data.line = node.start_mark.line + 1
    data.item_lines = [item.start_mark.line + 1 for item in node.value]
    yield data
    data.extend(loader.construct_sequence(node, deep=True))


def _construct_timestamp(loader: _LineLoader, node: ScalarNode) -> Any:
    """A date-like scalar that is no real date (2026-13-01) stays a string, for the validator to report."""
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


class YamlError(Exception):
    """A YAML file could not be parsed: carries the line."""

    def __init__(self, line: int | None, message: str):
        self.line = line
        self.message = message
        super().__init__(message)


def load_yaml(text: str) -> Any:
    """Parse one YAML document with the safe loader, keeping line numbers."""
    try:
        return yaml.load(text, Loader=_LineLoader)
    except DuplicateKey as exc:
        raise YamlError(exc.line, str(exc)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlError(line, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise YamlError(None, f"invalid YAML: {exc}") from None


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
