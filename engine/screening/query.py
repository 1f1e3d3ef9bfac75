"""A query name prepared once for all the listed names it is compared with: its canonical tokens, their
classes and weights, and the listed key tokens it (or a run of its words, or a split of one) comes near."""

from __future__ import annotations

from collections.abc import Mapping

from engine.screening.alignment import Query
from engine.screening.tokens import (
    CLASS_WEIGHT,
    DISTINCTIVE,
    KEY_CLASSES,
    correct,
    fold,
    fold_key,
    match_tokens,
    near,
    similarity,
    skeleton,
    token_class,
)
from engine.screening.variants import Tables
from engine.screening.words import CANONICAL

# Longest run of words read as one, or word read as several.
_MAX_RUN_LENGTH = 32


def prepare_query(tables: Tables, normalized: str) -> Query:
    """A query name prepared for scoring against every listed name in `tables`."""
    known = tables.known
    spelt = match_tokens(normalized)
    corrected = [correct(t, known) for t in spelt]
    tokens = tuple(t for t, _ in corrected)
    factors = tuple(f for _, f in corrected)
    classes = tuple(known[t][0] if t in known else token_class(t) for t in tokens)
    weights = tuple(known[t][1] if t in known else CLASS_WEIGHT[c] for t, c in zip(tokens, classes, strict=True))
    folds = tuple(known[t][2] if t in known else fold(t) for t in tokens)
    # only key tokens look for similar listed key tokens: a city must not pass for a listed name
    hits = [_near(tables, t, f) if c in KEY_CLASSES else {} for t, f, c in zip(tokens, folds, classes, strict=True)]
    runs: list[tuple[tuple[int, ...], dict[str, float]]] = []
    for size in (2, 3):
        for start in range(len(tokens) - size + 1):
            joined = "".join(tokens[start : start + size])
            if len(joined) <= _MAX_RUN_LENGTH:
                found = _near(tables, joined, fold(joined), fuzzy=False)
                if found:
                    runs.append((tuple(range(start, start + size)), found))
    splits = [
        (i, parts)
        for i, (t, c) in enumerate(zip(tokens, classes, strict=True))
        if c == DISTINCTIVE and t not in hits[i]
        for parts in _splits(known, t)
    ]
    has_plain = any(c not in KEY_CLASSES for c in classes)
    return Query(normalized, spelt, tokens, factors, classes, weights, folds, known, hits, runs, splits, has_plain)


def _near(tables: Tables, token: str, folded: str, fuzzy: bool = True) -> dict[str, float]:
    """Listed key tokens similar to `token`, with their similarity."""
    found: dict[str, float] = {}
    if token in tables.postings:
        found[token] = 1.0
    if len(token) < 3 and not token.isdigit():
        return found
    # within one edit, equal folded, or equal skeletons: `similarity` is above 0 for no other token
    candidates = near(token, tables.halves) if fuzzy else set()
    candidates.update(tables.folds.get(fold_key(token), ()))
    if fuzzy and len(folded) >= 4:
        candidates.update(tables.skeletons.get(skeleton(folded), ()))
    candidates.discard(token)
    known = tables.known
    for other in candidates:
        s = similarity(token, other, 1, folded, known[other][2])
        if s:
            found[other] = s
    return found


def _splits(known: Mapping[str, object], token: str) -> list[tuple[str, ...]]:
    """Ways to read `token` as two or three listed words run together (`moorethreads`)."""
    size = len(token)
    out: list[tuple[str, ...]] = []
    if size < 5 or size > _MAX_RUN_LENGTH:
        return out

    def word(text: str) -> str | None:
        canonical = CANONICAL.get(text, text)
        return canonical if canonical in known else None

    for cut in range(2, size - 1):
        head = word(token[:cut])
        if head is None:
            continue
        rest = token[cut:]
        tail = word(rest)
        if tail is not None:
            out.append((head, tail))
        for cut2 in range(2, len(rest) - 1):
            middle, last = word(rest[:cut2]), word(rest[cut2:])
            if middle is not None and last is not None:
                out.append((head, middle, last))
    return out
