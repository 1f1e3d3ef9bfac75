"""Reading transactions from JSON or YAML text, safely: duplicate keys, absurd nesting, numbers too long to
be read and invalid dates become named errors, never tracebacks or silently kept values."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from engine.contract.yamlfile import YamlError, load_yaml
from engine.errors import InvalidDocument

MAX_INT_DIGITS = 100


def load_document(text: str, source: str) -> Any:
    """The JSON (or else YAML) document in `text`; raise InvalidDocument saying what is wrong and where."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_int=_integer)
    except _DuplicateKey as exc:
        raise InvalidDocument(source, exc.line, f"duplicate key `{exc.key}`") from None
    except RecursionError:
        raise InvalidDocument(source, None, "the document is nested too deeply") from None
    except (json.JSONDecodeError, ValueError):
        pass
    try:
        return load_yaml(text)
    except YamlError as exc:
        message = exc.message if exc.message.startswith("duplicate key") else f"neither JSON nor YAML: {exc.message}"
        raise InvalidDocument(source, exc.line, message) from None


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key
        self.line: int | None = None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _integer(text: str) -> Any:
    """A JSON integer; one too long for int() is a Decimal, for the validator's bounds to report."""
    return int(text) if len(text) <= MAX_INT_DIGITS else Decimal(text)
