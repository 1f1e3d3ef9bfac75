"""Scoring one query name against one listed name: a weighted alignment of their tokens.

Each query token is paired with at most one listed token (or a run of adjacent listed tokens
it spells as one word, and the reverse), best pairs first. Each side's coverage is the weighted share
of its tokens that found a partner, times the similarity of the pair; the score is the harmonic mean
of the two coverages. Weights come from the token class (a city or a trade word weighs little) and the
token's rarity in the loaded lists. A place unmatched on both sides is a conflict and weighs more.
Without a key token (distinctive word, number or person name) in common the score is held below 0.80,
unless the listed name has no key token at all, every one of its words was found and the query adds
no key token. So is it when each side has a number the other lacks (`54th` against `55th`).

A query that holds every word of the listed name but its legal forms and connectives, among any other
words, scores at least `CONTAINED` (see `containment`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.screening.containment import CONTAINED, holds_every_word, required_words
from engine.screening.tokens import (
    CONFLICT_WEIGHT,
    KEY_CLASSES,
    MINOR_WORD,
    NUMERIC,
    PLACE,
    edit_bar,
    similarity,
)

CAP = 0.79
BEST_UNEQUAL = 0.99


@dataclass(slots=True)
class Query:
    """A query name prepared once for all the listed names it is compared with."""

    normalized: str
    spelt: tuple[str, ...]  # the query's own words
    tokens: tuple[str, ...]  # the same, misspelt lexicon words corrected
    factors: tuple[float, ...]  # similarity of each word to its corrected form
    classes: tuple[int, ...]
    weights: tuple[float, ...]
    folds: tuple[str, ...]
    # listed token -> (class, weight, folded spelling)
    known: Mapping[str, tuple[int, float, str]]
    # per query token: listed key token -> similarity (found through the index)
    hits: list[dict[str, float]]
    # adjacent query tokens read as one word: (positions, listed key token -> similarity)
    runs: list[tuple[tuple[int, ...], dict[str, float]]]
    # query token i spells the listed words `parts` run together
    splits: list[tuple[int, tuple[str, ...]]]
    has_plain: bool
    cache: dict[tuple[int, str], float] = field(default_factory=dict)

    def plain_similarity(self, i: int, token: str) -> float:
        """Similarity of query token i to a listed token that is not a key token."""
        key = (i, token)
        value = self.cache.get(key)
        if value is None:
            mine = self.tokens[i]
            if self.classes[i] in KEY_CLASSES:
                value = 0.0
            elif self.classes[i] == MINOR_WORD or self.known[token][0] == MINOR_WORD:
                value = self.factors[i] if mine == token else 0.0
            else:
                value = similarity(mine, token, edit_bar(mine, token), self.folds[i], self.known[token][2])
                value *= self.factors[i]
            self.cache[key] = value
        return value


@dataclass(frozen=True, slots=True)
class Alignment:
    """The outcome of comparing a query with one listed name, with what is needed to explain it."""

    score: float
    pairs: tuple[tuple[float, tuple[int, ...], tuple[int, ...]], ...]
    query_unmatched: tuple[int, ...]
    listed_unmatched: tuple[int, ...]
    conflicts: tuple[tuple[int, ...], tuple[int, ...]]
    numbers: tuple[tuple[int, ...], tuple[int, ...]]
    capped: bool
    contained: bool = False  # the score was raised to CONTAINED: the query holds every listed word


def align(
    query: Query,
    tokens: tuple[str, ...],
    classes: tuple[int, ...],
    weights: tuple[float, ...],
    required: tuple[int, ...] | None = None,
) -> Alignment:
    """Score `query` against one listed name given as canonical tokens with their classes and weights
    (and the positions of the words a query must hold to hold it, `required_words`, if known)."""
    n, m = len(query.tokens), len(tokens)
    pairs: list[tuple[float, int, tuple[int, ...], tuple[int, ...]]] = []
    for j, token in enumerate(tokens):
        if classes[j] in KEY_CLASSES:
            for i in range(n):
                s = query.hits[i].get(token)
                if s:
                    pairs.append((s, 2, (i,), (j,)))
            for run, hits in query.runs:
                s = hits.get(token)
                if s:
                    pairs.append((s, len(run) + 1, run, (j,)))
        elif query.has_plain:
            for i in range(n):
                s = query.plain_similarity(i, token)
                if s:
                    pairs.append((s, 2, (i,), (j,)))
    for i, parts in query.splits:
        k = len(parts)
        for j in range(m - k + 1):
            if tokens[j : j + k] == parts:
                pairs.append((1.0, k + 1, (i,), tuple(range(j, j + k))))
    pairs.sort(key=lambda p: (p[0], p[1]), reverse=True)

    got_q = [0.0] * n
    got_c = [0.0] * m
    taken: list[tuple[float, tuple[int, ...], tuple[int, ...]]] = []
    for s, _, qs, cs in pairs:
        if any(got_q[i] for i in qs) or any(got_c[j] for j in cs):
            continue
        for i in qs:
            got_q[i] = s
        for j in cs:
            got_c[j] = s
        taken.append((s, qs, cs))

    wq = list(query.weights)
    wc = list(weights)
    q_places = tuple(i for i in range(n) if not got_q[i] and query.classes[i] == PLACE)
    c_places = tuple(j for j in range(m) if not got_c[j] and classes[j] == PLACE)
    if q_places and c_places:
        for i in q_places:
            wq[i] = CONFLICT_WEIGHT
        for j in c_places:
            wc[j] = CONFLICT_WEIGHT
    else:
        q_places = c_places = ()
    cov_q = sum(w * s for w, s in zip(wq, got_q, strict=True)) / sum(wq)
    cov_c = sum(w * s for w, s in zip(wc, got_c, strict=True)) / sum(wc)
    score = 2 * cov_q * cov_c / (cov_q + cov_c) if cov_q + cov_c else 0.0
    score = min(score, BEST_UNEQUAL)

    q_unmatched = tuple(i for i in range(n) if not got_q[i])
    c_unmatched = tuple(j for j in range(m) if not got_c[j])
    numbers = (
        tuple(i for i in q_unmatched if query.classes[i] == NUMERIC),
        tuple(j for j in c_unmatched if classes[j] == NUMERIC),
    )
    if not (numbers[0] and numbers[1]):
        numbers = ((), ())
    if numbers[0]:
        capped = score > CAP
    elif any(got_c[j] and classes[j] in KEY_CLASSES for j in range(m)):
        capped = False
    elif any(cls in KEY_CLASSES for cls in classes):
        capped = score > CAP  # every key token of the listed name was missed
    else:
        # a listed name of generic words only: every one of them must be found, and nothing telling added
        loose = any(classes[j] != MINOR_WORD for j in c_unmatched) or any(
            query.classes[i] in KEY_CLASSES for i in q_unmatched
        )
        capped = loose and score > CAP
    if capped:
        score = CAP
    if required is None:
        required = required_words(tokens, classes)
    contained = score < CONTAINED and holds_every_word(required, classes, got_c)
    if contained:
        score, capped = CONTAINED, False
    return Alignment(score, tuple(taken), q_unmatched, c_unmatched, (q_places, c_places), numbers, capped, contained)
