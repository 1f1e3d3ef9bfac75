"""The screening index: every listed name and alias prepared once, then screened against many times."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from engine.screening.alignment import CAP, Alignment, Query, align
from engine.screening.chinese import han_core, has_han, pinyin_name
from engine.screening.containment import CONTAINED, CONTAINED_KEY_SIMILARITY, word_bar
from engine.screening.csl import ListEntry, ListFile, load_csl
from engine.screening.explanation import explain
from engine.screening.names import normalize_name
from engine.screening.query import prepare_query
from engine.screening.tokens import DISTINCTIVE, KEY_CLASSES, MINOR_WORD
from engine.screening.variants import Tables, Variant, build_tables, cumulative

# Score of an acronym that equals the initials of a listed name (or the reverse): worth a review, no more.
ACRONYM_SCORE = 0.85
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
    how: str = "its name"  # "its alias `...`", "its Chinese name", "pinyin `...`", "transliterated `...`"


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
        if limit == 0:
            return []
        reading, normalized = self.compared_as(name)
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

        if has_han(name):
            for vid, native in self.native_matches(name):
                if allowed(vid):
                    offer(vid, 1.0, f"native:{native}")
        if not normalized:
            ranked = sorted(best.values(), key=lambda held: (-held[0], self._sort_key(held[1])))
            return [self._match(None, score, vid, why, country, name) for score, vid, why in ranked[:limit]]
        for vid in self._tables.normalized.get(normalized, ()):
            if allowed(vid):
                offer(vid, 1.0, "equal")
        query = self._prepare(normalized)
        for vid in self._candidates(query, threshold):
            variant = variants[vid]
            if variant.normalized == normalized or not allowed(vid):
                continue
            result = align(query, variant.tokens, variant.classes, variant.weights, variant.required)
            score = round(result.score, 4)
            if score >= threshold and score > 0:
                offer(vid, score, result)
        if threshold <= ACRONYM_SCORE:
            for vid, why in self._acronyms(query):
                if allowed(vid):
                    offer(vid, ACRONYM_SCORE, why)

        ranked = sorted(best.values(), key=lambda held: (-held[0], self._sort_key(held[1])))
        return [self._match(query, score, vid, why, country, name, reading) for score, vid, why in ranked[:limit]]

    @staticmethod
    def compared_as(name: str) -> tuple[str | None, str]:
        """A name as the matcher compares it with the lists' Latin names: its Pinyin reading (a name in Chinese;
        else None) and its normalised form."""
        if has_han(name):
            reading = pinyin_name(name)
            return reading, normalize_name(reading) if reading is not None else ""
        return None, normalize_name(name)

    def native_matches(self, name: str) -> tuple[tuple[int, str], ...]:
        """The (variant, Chinese name) of every entry whose Chinese name is `name` as written."""
        return self._tables.native.get(han_core(name), ()) if has_han(name) else ()

    def readable(self, name: str) -> bool:
        """Whether `name` can be compared with the lists at all: read in Latin letters (transliterated, or a
        Chinese name in Pinyin) with something left to compare, or a Chinese name the lists give as written.
        A name that is not (an unknown script, symbols only) must be screened by a person."""
        if has_han(name):
            return pinyin_name(name) is not None or han_core(name) in self._tables.native
        normalized = normalize_name(name)
        return bool(normalized) and normalized.isascii()

    # the query --------------------------------------------------------------------------------------
    def _prepare(self, normalized: str) -> Query:
        return prepare_query(self._tables, normalized)

    # candidates -------------------------------------------------------------------------------------
    def _candidates(self, query: Query, threshold: float) -> list[int]:
        """Names that could reach `threshold`.

        A name with key tokens must share one with the query (else its score is capped below 0.80) and
        pass an upper bound of its score: on each side, the key tokens the other side hits (times their
        best similarity) plus its heaviest other words, no more of them than the other side has (each
        pairs with one). A query token read as listed words run together lifts the bound for the names
        holding all those words. A name of generic words only must, above the cap, have all its words
        among the query's. Up to `CONTAINED`, a name all of whose key tokens the query hits is a candidate
        whatever its bound: the query may hold every word of it among many others.
        """
        tables = self._tables
        known = tables.known
        hit: dict[str, float] = {}  # listed key token -> best similarity to a query token or run
        for found in (*query.hits, *(got for _, got in query.runs)):
            for t, s in found.items():
                if s > hit.get(t, 0.0):
                    hit[t] = s
        reach: dict[int, float] = {}
        held: dict[int, int] = {}  # name -> how many of its key tokens the query holds alike
        for t, s in hit.items():
            w = known[t][1] * s
            alike = s >= CONTAINED_KEY_SIMILARITY
            for vid in tables.postings.get(t, ()):
                reach[vid] = reach.get(vid, 0.0) + w
                if alike:
                    held[vid] = held.get(vid, 0) + 1
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
        containing = threshold <= CONTAINED
        variants = tables.variants
        out: list[int] = []
        for vid, weight in reach.items():
            variant = variants[vid]
            if containing and held.get(vid) == len(variant.keys) and _may_hold(query, variant, parts):
                out.append(vid)
                continue
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

    def _match(
        self, query: Query | None, score: float, vid: int, why: Alignment | str, country: str | None, name: str,
        reading: str | None = None,
    ) -> Match:  # fmt: skip
        variant = self._tables.variants[vid]
        entry = self._entries[variant.entry]
        reasons: list[str] = []
        matched, alias = variant.name, variant.alias
        if isinstance(why, str) and why.startswith("native:"):
            matched, alias = why.removeprefix("native:"), True
            how = "its Chinese name"
            reasons.append(
                f"its Chinese name `{matched}` equals `{name}` as written (simplified, without company forms)"
            )
        else:
            how = f"pinyin `{reading}`" if reading is not None else _how(name, variant)
            if reading is not None:
                reasons.append(f"read in Pinyin as `{reading}`")
            if variant.alias:
                reasons.append(f"alias `{variant.name}`")
            if why == "equal":
                assert query is not None
                reasons.append(f"normalised names equal: `{query.normalized}`")
            elif isinstance(why, str):
                reasons.append(why)
            else:
                assert query is not None
                reasons.extend(explain(query, variant, why))
        if country:
            code = country.strip().upper()
            if not entry.addresses:
                reasons.append(f"entry has no address to compare with `{code}`")
            elif entry.mentions_country(code):
                reasons.append(f"address mentions `{code}`")
            else:
                reasons.append(f"address does not mention `{code}`")
        return Match(entry, matched, alias, score, tuple(reasons), self._digests[variant.entry], how)


def _how(name: str, variant: Variant) -> str:
    """How a name in Latin letters (or transliterated into them) met a listed name."""
    letters = [ch for ch in name if ch.isalpha()]
    if letters and not any(ch.isascii() for ch in letters) and not any(_looks_latin_letter(ch) for ch in letters):
        return f"transliterated `{normalize_name(name)}`"
    if has_han(variant.name):
        return f"the Pinyin of its Chinese name `{variant.name}`"
    return f"its alias `{variant.name}`" if variant.alias else "its name"


def _looks_latin_letter(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("LATIN ")


def _may_hold(query: Query, variant: Variant, parts: set[str]) -> bool:
    """Whether the query may hold every required word of `variant` that is not a key token (the caller has
    seen it hold the key tokens): each is a part of a query word read as several, or near a query word."""
    if not variant.required:
        return False
    for j in variant.required:
        cls = variant.classes[j]
        if cls in KEY_CLASSES:
            continue
        word, bar = variant.tokens[j], word_bar(cls)
        if word not in parts and not any(query.plain_similarity(i, word) >= bar for i in range(len(query.tokens))):
            return False
    return True
