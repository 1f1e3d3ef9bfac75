"""The screening index: every listed name and alias prepared once, then screened against many times."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from engine.screening.alignment import CAP, Alignment, Query, align
from engine.screening.csl import ListEntry, ListFile, load_csl
from engine.screening.names import normalize_name
from engine.screening.tokens import (
    CLASS_WEIGHT,
    DISTINCTIVE,
    KEY_CLASSES,
    MINOR_WORD,
    correct,
    fold,
    fold_key,
    match_tokens,
    near,
    similarity,
    skeleton,
    token_class,
)
from engine.screening.variants import Tables, Variant, build_tables, cumulative
from engine.screening.words import CANONICAL

# Score of an acronym that equals the initials of a listed name (or the reverse): worth a review, no more.
ACRONYM_SCORE = 0.85
_MAX_RUN_LENGTH = 32
# Acronyms of three letters collide with the initials of too many listed names to be worth a review.
_ACRONYM_MIN, _ACRONYM_MAX = 4, 8


@dataclass(frozen=True)
class Match:
    """A listed entry that a screened name may designate, and why."""

    entry: ListEntry
    matched_name: str
    alias: bool
    score: float
    reasons: tuple[str, ...]
    list_digest: str


class ScreeningIndex:
    """Denied-party names indexed for fast, explainable fuzzy screening. Immutable and picklable."""

    __slots__ = ("_digests", "_entries", "_files", "_tables")
    _digests: tuple[str, ...]
    _entries: tuple[ListEntry, ...]
    _files: tuple[ListFile, ...]
    _tables: Tables

    def __init__(self, entries: Sequence[ListEntry], files: Sequence[ListFile]):
        digests = {f.path: f.digest for f in files}
        for entry in entries:
            if entry.file not in digests:
                raise ValueError(f"entry `{entry.name}` comes from `{entry.file}`, which is not a given list file")
        entries = tuple(entries)
        object.__setattr__(self, "_entries", entries)
        object.__setattr__(self, "_files", tuple(files))
        object.__setattr__(self, "_digests", tuple(digests[entry.file] for entry in entries))
        object.__setattr__(self, "_tables", build_tables(entries))

    @classmethod
    def from_files(cls, paths: Sequence[str | Path]) -> ScreeningIndex:
        """Load and index CSL files (ScreeningListError names the file and line of a malformed row)."""
        entries: list[ListEntry] = []
        files: list[ListFile] = []
        for path in paths:
            loaded, file = load_csl(path)
            entries.extend(loaded)
            files.append(file)
        return cls(entries, files)

    @classmethod
    def from_entries(cls, entries: Sequence[ListEntry], files: Sequence[ListFile]) -> ScreeningIndex:
        """Index entries already loaded; each entry's `file` must be the `path` of one of `files`."""
        return cls(entries, files)

    @property
    def files(self) -> tuple[ListFile, ...]:
        return self._files

    @property
    def entries(self) -> tuple[ListEntry, ...]:
        return self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        names = len(self._tables.variants)
        return f"ScreeningIndex({len(self._entries)} entries, {names} names, {len(self._files)} files)"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a ScreeningIndex cannot be changed")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("a ScreeningIndex cannot be changed")

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name in self.__slots__:
            object.__setattr__(self, name, state[name])

    def screen(
        self,
        name: str,
        *,
        on: date | None = None,
        country: str | None = None,
        lists: Collection[str] | None = None,
        threshold: float = 0.80,
        limit: int = 10,
    ) -> list[Match]:
        """Entries whose name or an alias matches `name` with a score of at least `threshold`, best first.

        One match per entry (its best name), ties by entry name. `on` keeps the entries in force that day,
        `lists` the given list codes. `country` (ISO alpha-2) never removes a match: it only adds a reason
        saying whether the entry's address names that country.
        """
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold `{threshold}` is not between 0 and 1")
        if limit < 0:
            raise ValueError(f"limit `{limit}` is negative")
        normalized = normalize_name(name)
        if not normalized or limit == 0:
            return []
        wanted = None if lists is None else {code.strip().upper() for code in lists}
        entries = self._entries
        variants = self._tables.variants

        def allowed(vid: int) -> bool:
            entry = entries[variants[vid].entry]
            if wanted is not None and entry.list_code not in wanted:
                return False
            return on is None or entry.in_force(on)

        best: dict[int, tuple[float, int, Alignment | str]] = {}

        def offer(vid: int, score: float, why: Alignment | str) -> None:
            entry = variants[vid].entry
            held = best.get(entry)
            if held is None or score > held[0] or (score == held[0] and vid < held[1]):
                best[entry] = (score, vid, why)

        for vid in self._tables.normalized.get(normalized, ()):
            if allowed(vid):
                offer(vid, 1.0, "equal")
        query = self._prepare(normalized)
        for vid in self._candidates(query, threshold):
            variant = variants[vid]
            if variant.normalized == normalized or not allowed(vid):
                continue
            result = align(query, variant.tokens, variant.classes, variant.weights)
            score = round(result.score, 4)
            if score >= threshold and score > 0:
                offer(vid, score, result)
        if threshold <= ACRONYM_SCORE:
            for vid, why in self._acronyms(query):
                if allowed(vid):
                    offer(vid, ACRONYM_SCORE, why)

        ranked = sorted(best.values(), key=lambda held: (-held[0], self._sort_key(held[1])))
        return [self._match(query, score, vid, why, country) for score, vid, why in ranked[:limit]]

    # the query --------------------------------------------------------------------------------------
    def _prepare(self, normalized: str) -> Query:
        known = self._tables.known
        spelt = match_tokens(normalized)
        corrected = [correct(t, known) for t in spelt]
        tokens = tuple(t for t, _ in corrected)
        factors = tuple(f for _, f in corrected)
        classes = tuple(known[t][0] if t in known else token_class(t) for t in tokens)
        weights = tuple(known[t][1] if t in known else CLASS_WEIGHT[c] for t, c in zip(tokens, classes, strict=True))
        folds = tuple(known[t][2] if t in known else fold(t) for t in tokens)
        # only key tokens look for similar listed key tokens: a city must not pass for a listed name
        hits = [self._near(t, f) if c in KEY_CLASSES else {} for t, f, c in zip(tokens, folds, classes, strict=True)]
        runs: list[tuple[tuple[int, ...], dict[str, float]]] = []
        for size in (2, 3):
            for start in range(len(tokens) - size + 1):
                joined = "".join(tokens[start : start + size])
                if len(joined) <= _MAX_RUN_LENGTH:
                    found = self._near(joined, fold(joined), fuzzy=False)
                    if found:
                        runs.append((tuple(range(start, start + size)), found))
        splits = [
            (i, parts)
            for i, (t, c) in enumerate(zip(tokens, classes, strict=True))
            if c == DISTINCTIVE and t not in hits[i]
            for parts in self._splits(t)
        ]
        has_plain = any(c not in KEY_CLASSES for c in classes)
        return Query(normalized, spelt, tokens, factors, classes, weights, folds, known, hits, runs, splits, has_plain)

    def _near(self, token: str, folded: str, fuzzy: bool = True) -> dict[str, float]:
        """Listed key tokens similar to `token`, with their similarity."""
        tables = self._tables
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

    def _splits(self, token: str) -> list[tuple[str, ...]]:
        """Ways to read `token` as two or three listed words run together (`moorethreads`)."""
        known = self._tables.known
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

    # candidates -------------------------------------------------------------------------------------
    def _candidates(self, query: Query, threshold: float) -> list[int]:
        """Names that could reach `threshold`.

        A name with key tokens must share one with the query (else its score is capped below 0.80) and
        pass an upper bound of its score: on each side, the key tokens the other side hits (times their
        best similarity) plus its heaviest other words, no more of them than the other side has (each
        pairs with one). A query token read as listed words run together lifts the bound for the names
        holding all those words. A name of generic words only must, above the cap, have all its words
        among the query's.
        """
        tables = self._tables
        known = tables.known
        hit: dict[str, float] = {}  # listed key token -> best similarity to a query token or run
        for found in (*query.hits, *(got for _, got in query.runs)):
            for t, s in found.items():
                if s > hit.get(t, 0.0):
                    hit[t] = s
        reach: dict[int, float] = {}
        for t, s in hit.items():
            w = known[t][1] * s
            for vid in tables.postings.get(t, ()):
                reach[vid] = reach.get(vid, 0.0) + w
        parts: set[str] = set()
        for _, split in query.splits:
            parts.update(split)
        for t in parts:
            for vid in tables.postings.get(t, ()):
                reach.setdefault(vid, 0.0)

        floor = threshold - 1e-9
        q_total = sum(query.weights)
        q_plain = cumulative(w for w, c in zip(query.weights, query.classes, strict=True) if c not in KEY_CLASSES)
        reach_of = []  # query tokens that reach listed key tokens: key tokens, and tokens within a run
        for i, (w, found) in enumerate(zip(query.weights, query.hits, strict=True)):
            in_runs = {t: 1.0 for run, got in query.runs if i in run for t in got}
            if found or in_runs:
                reach_of.append((w, {**found, **in_runs}))
        strict = threshold > CAP
        variants = tables.variants
        out: list[int] = []
        for vid, weight in reach.items():
            variant = variants[vid]
            c_plain = variant.plain_sums
            if parts and any(all(p in variant.tokens for p in split) for _, split in query.splits):
                ub_c = ub_q = 1.0
            else:
                if strict and not weight:
                    continue
                pairs = min(len(q_plain), len(c_plain)) - 1
                ub_c = (weight + c_plain[pairs]) / variant.total_weight
                if 2 * ub_c / (1 + ub_c) < floor:
                    continue
                q_reach = q_plain[pairs]
                for w, found in reach_of:
                    q_reach += w * max((found.get(t, 0.0) for t, _ in variant.keys), default=0.0)
                ub_q = q_reach / q_total
            if ub_c + ub_q and 2 * ub_c * ub_q / (ub_c + ub_q) >= floor:
                out.append(vid)

        cover = set(parts)
        cover.update(t for t, c in zip(query.tokens, query.classes, strict=True) if c not in KEY_CLASSES)
        plain: set[int] = set()
        for t in cover:
            plain.update(tables.plain_postings.get(t, ()))
        for vid in plain:
            variant = variants[vid]
            words = (t for t, c in zip(variant.tokens, variant.classes, strict=True) if c != MINOR_WORD)
            if not strict or all(t in cover for t in words):
                out.append(vid)
        return out

    def _acronyms(self, query: Query) -> list[tuple[int, str]]:
        """Names whose initials the query is (`nudt`), and acronym names the query's initials spell."""
        tables = self._tables
        out: list[tuple[int, str]] = []
        tokens = query.tokens
        if len(tokens) == 1 and query.classes[0] == DISTINCTIVE and tokens[0] not in tables.postings:
            acronym = tokens[0]
            if acronym.isalpha() and _ACRONYM_MIN <= len(acronym) <= _ACRONYM_MAX:
                for vid in tables.initials.get(acronym, ()):
                    out.append((vid, f"`{acronym}` is the initials of `{tables.variants[vid].normalized}`"))
        words = [t for t, c in zip(tokens, query.classes, strict=True) if c != MINOR_WORD and t.isalpha()]
        if _ACRONYM_MIN <= len(words) <= _ACRONYM_MAX:
            initials = "".join(t[0] for t in words)
            for vid in tables.normalized.get(initials, ()):
                if tables.variants[vid].classes == (DISTINCTIVE,):
                    out.append((vid, f"the initials of `{query.normalized}` are `{initials}`"))
        return out

    # results ----------------------------------------------------------------------------------------
    def _sort_key(self, vid: int) -> tuple[str, str, str, int]:
        entry = self._entries[self._tables.variants[vid].entry]
        return (entry.name, entry.list_code, entry.file, entry.line)

    def _match(self, query: Query, score: float, vid: int, why: Alignment | str, country: str | None) -> Match:
        variant = self._tables.variants[vid]
        entry = self._entries[variant.entry]
        reasons: list[str] = []
        if variant.alias:
            reasons.append(f"alias `{variant.name}`")
        if why == "equal":
            reasons.append(f"normalised names equal: `{query.normalized}`")
        elif isinstance(why, str):
            reasons.append(why)
        else:
            reasons.extend(_explain(query, variant, why))
        if country:
            code = country.strip().upper()
            if not entry.addresses:
                reasons.append(f"entry has no address to compare with `{code}`")
            elif entry.mentions_country(code):
                reasons.append(f"address mentions `{code}`")
            else:
                reasons.append(f"address does not mention `{code}`")
        return Match(entry, variant.name, variant.alias, score, tuple(reasons), self._digests[variant.entry])


def _explain(query: Query, variant: Variant, result: Alignment) -> list[str]:
    def listed(positions: tuple[int, ...]) -> str:
        return ", ".join(f"`{variant.tokens[j]}`" for j in positions)

    def mine(positions: tuple[int, ...]) -> str:
        return ", ".join(f"`{query.spelt[i]}`" for i in positions)

    matched = []
    for _, qs, cs in sorted(result.pairs, key=lambda pair: pair[1]):
        ours = " ".join(query.spelt[i] for i in qs)
        theirs = " ".join(variant.tokens[j] for j in cs)
        matched.append(f"`{ours}`" if ours == theirs else f"`{ours}`~`{theirs}`")
    text = "tokens matched: " + (", ".join(matched) or "none")
    if result.query_unmatched:
        text += "; unmatched: " + mine(result.query_unmatched)
    if result.listed_unmatched:
        text += "; listed only: " + listed(result.listed_unmatched)
    reasons = [text]
    if result.conflicts[0]:
        reasons.append(f"places differ: {mine(result.conflicts[0])} against {listed(result.conflicts[1])}")
    if result.numbers[0]:
        reasons.append(f"numbers differ: {mine(result.numbers[0])} against {listed(result.numbers[1])}")
    if result.capped:
        held = f"score held at {CAP}"
        reasons.append(held if result.numbers[0] else f"no distinctive word in common: {held}")
    return reasons
