"""The names of each entry (name, aliases, acronyms the name states) prepared for matching, and the tables
that find them: exact normalised names, postings of key tokens, fuzzy keys, initials."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from engine.screening.chinese import han_core, has_han, pinyin_name
from engine.screening.containment import required_words
from engine.screening.csl import ListEntry
from engine.screening.glyphs import fold_lookalikes
from engine.screening.names import LEGAL_FORMS, normalize_name
from engine.screening.tokens import (
    CLASS_WEIGHT,
    KEY_CLASSES,
    MINOR_WORD,
    NUMERIC,
    build_half_index,
    fold,
    fold_key,
    match_tokens,
    skeleton,
    token_class,
)

_PARENTHESISED = re.compile(r"\(([^()]*)\)")
_WORD = re.compile(r"[^\W_]+")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Variant:
    """One name of an entry as the matcher sees it."""

    entry: int
    name: str
    alias: bool
    normalized: str
    tokens: tuple[str, ...]
    classes: tuple[int, ...]
    weights: tuple[float, ...]
    keys: tuple[tuple[str, float], ...]
    # cumulative weights of the other tokens, heaviest first: (0, w1, w1 + w2, ...)
    plain_sums: tuple[float, ...]
    total_weight: float
    # positions of the words a query must hold to hold this name (`containment.required_words`)
    required: tuple[int, ...]


@dataclass(frozen=True)
class Tables:
    """Everything the index looks names up in; built once from the entries."""

    variants: tuple[Variant, ...]
    # token -> (class, weight, folded spelling), for every token of every listed name
    known: Mapping[str, tuple[int, float, str]]
    normalized: Mapping[str, tuple[int, ...]]
    postings: Mapping[str, tuple[int, ...]]
    plain_postings: Mapping[str, tuple[int, ...]]
    initials: Mapping[str, tuple[int, ...]]
    halves: Mapping[str, tuple[str, ...]]
    folds: Mapping[str, tuple[str, ...]]
    skeletons: Mapping[str, tuple[str, ...]]
    native: Mapping[str, tuple[tuple[int, str], ...]]  # a Chinese name as written -> (an entry's variant, the name)


def build_tables(entries: tuple[ListEntry, ...]) -> Tables:
    """Prepare every name of `entries`; token weights account for how common a token is in them."""
    raw: list[tuple[int, str, bool, str, tuple[str, ...]]] = []
    native: dict[str, dict[int, str]] = {}  # a Chinese name as written (`chinese.han_core`) -> entry -> name
    classes_of: dict[str, int] = {}
    frequency: dict[str, int] = {}
    for index, entry in enumerate(entries):
        seen: set[str] = set()
        words: set[str] = set()
        for name, alias in _names_of(entry):
            if has_han(name):  # a Chinese name: compared as written (`native`), and as its Pinyin reads
                native.setdefault(han_core(name), {}).setdefault(index, name)
                reading = pinyin_name(name)
                if reading is None:
                    continue
                normalized = normalize_name(reading)
            else:
                normalized = normalize_name(name) or _fallback_normalized(name)
            if not normalized or normalized in seen:
                continue
            seen.add(normalized)
            tokens = match_tokens(normalized)
            if tokens:
                raw.append((index, name, alias, normalized, tokens))
                words.update(tokens)
        for word in words:
            frequency[word] = frequency.get(word, 0) + 1
            if word not in classes_of:
                classes_of[word] = token_class(word)

    scale = math.log((len(entries) + 1) / 1.5)
    known: dict[str, tuple[int, float, str]] = {}
    for word, count in frequency.items():
        cls = classes_of[word]
        rarity = 1.0
        if cls in KEY_CLASSES and scale > 0:
            rarity = min(1.0, max(0.5, math.log((len(entries) + 1) / (count + 0.5)) / scale))
        known[word] = (cls, CLASS_WEIGHT[cls] * rarity, fold(word))

    variants: list[Variant] = []
    normalized_index: dict[str, list[int]] = {}
    postings: dict[str, list[int]] = {}
    plain_postings: dict[str, list[int]] = {}
    initials: dict[str, list[int]] = {}
    for index, name, alias, normalized, tokens in raw:
        vid = len(variants)
        classes = tuple(known[t][0] for t in tokens)
        weights = tuple(known[t][1] for t in tokens)
        keys = tuple((t, w) for t, c, w in zip(tokens, classes, weights, strict=True) if c in KEY_CLASSES)
        plain = cumulative(w for w, c in zip(weights, classes, strict=True) if c not in KEY_CLASSES)
        required = required_words(tokens, classes)
        variants.append(
            Variant(index, name, alias, normalized, tokens, classes, weights, keys, plain, sum(weights), required)
        )
        normalized_index.setdefault(normalized, []).append(vid)
        if keys:
            for t, _ in keys:  # once per occurrence: the candidate bound adds up the weights
                postings.setdefault(t, []).append(vid)
        else:
            for t in dict.fromkeys(t for t, c in zip(tokens, classes, strict=True) if c != MINOR_WORD):
                plain_postings.setdefault(t, []).append(vid)
        for acronym in _initials(name, tokens, classes):
            initials.setdefault(acronym, []).append(vid)

    folds: dict[str, list[str]] = {}
    skeletons: dict[str, list[str]] = {}
    for word in postings:
        folds.setdefault(fold_key(word), []).append(word)
        folded = known[word][2]
        if len(folded) >= 4 and known[word][0] != NUMERIC:
            skeletons.setdefault(skeleton(folded), []).append(word)
    # each Chinese name as written finds the entries' first variants (a match as written scores 1.0 whatever
    # variant carries it; the explanation names the Chinese name itself)
    first: dict[int, int] = {}
    for vid, variant in enumerate(variants):
        first.setdefault(variant.entry, vid)
    native_index = {
        core: tuple(sorted((first[e], name) for e, name in found.items() if e in first))
        for core, found in native.items()
    }
    return Tables(
        native=native_index,
        variants=tuple(variants),
        known=known,
        normalized=_frozen(normalized_index),
        postings=_frozen(postings),
        plain_postings=_frozen(plain_postings),
        initials=_frozen(initials),
        halves=build_half_index(postings),
        folds=_frozen(folds),
        skeletons=_frozen(skeletons),
    )


def cumulative(weights: Iterable[float]) -> tuple[float, ...]:
    """(0, w1, w1 + w2, ...) over the weights sorted heaviest first."""
    sums = [0.0]
    for w in sorted(weights, reverse=True):
        sums.append(sums[-1] + w)
    return tuple(sums)


def _frozen(table: dict[str, list[T]]) -> dict[str, tuple[T, ...]]:
    return {key: tuple(values) for key, values in table.items()}


def _names_of(entry: ListEntry) -> Iterable[tuple[str, bool]]:
    yield entry.name, False
    for alias in entry.alt_names:
        yield alias, True
    for name in (entry.name, *entry.alt_names):
        if "(" in name:
            for acronym in _stated_acronyms(name):
                yield acronym, True


def _stated_acronyms(name: str) -> list[str]:
    """Parenthesised acronyms that spell the initials of the rest: `Gulf Eagle Contracting (GEC)`."""
    initials = "".join(w[0] for w in match_tokens(normalize_name(name)) if token_class(w) != MINOR_WORD)
    found = []
    for group in _PARENTHESISED.findall(name):
        text = group.strip()
        if len(text) >= 3 and text.isalpha() and text.isupper() and text.lower() == initials:
            found.append(text)
    return found


def _initials(name: str, tokens: tuple[str, ...], classes: tuple[int, ...]) -> set[str]:
    """Initials of a name of three words or more, without and with its legal form (`smi`, `smic`)."""
    found: set[str] = set()
    words = [t for t, c in zip(tokens, classes, strict=True) if c != MINOR_WORD]
    if len(words) >= 3 and all(t.isalpha() for t in words):
        found.add("".join(t[0] for t in words))
        plain = _fallback_normalized(_PARENTHESISED.sub(" ", name)).split()
        with_forms = [t for t in plain if t in LEGAL_FORMS or token_class(t) != MINOR_WORD]
        if len(with_forms) > len(words) and all(t.isalpha() for t in with_forms):
            found.add("".join(t[0] for t in with_forms))
    return found


def _fallback_normalized(name: str) -> str:
    """Words of a name whose normalised form is empty (only legal forms, or only a parenthesised group)."""
    text = "".join(ch for ch in unicodedata.normalize("NFKD", fold_lookalikes(name)) if not unicodedata.combining(ch))
    return " ".join(_WORD.findall(text.lower()))
