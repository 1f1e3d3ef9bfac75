"""Denied-party screening as a rule-language function: `screen(name, ["EL", ...], on=date)`.

`screen_function(index)` declares it for the registry of a pack that has lists.

It returns the best match of a party's name on the pack's lists (score >= `min_score`, default 0.80), or
none. A rule reads the match's fields, with its thresholds in YAML:

    when: exists(customer_hit) and customer_hit.score >= 0.92

The party's name is screened once per evaluation against all lists; each `screen(...)` call then picks
its lists from that one result.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.language import Call, Expr, ExprError, Function
from engine.language.values import BOOL, DATE, LIST, MISSING, NUMBER, STRING, Type
from engine.screening.csl import ListEntry, ListFile
from engine.screening.index import ScreeningIndex

DEFAULT_MIN_SCORE = Decimal("0.80")
MATCH_FIELDS: dict[str, Type] = {
    "score": NUMBER,
    "list": STRING,
    "source": STRING,
    "name": STRING,
    "matched_name": STRING,
    "notice": STRING,
    "list_url": STRING,
    "list_digest": STRING,
    "entry_id": STRING,
    "start_date": DATE,
    "reasons": STRING,
    "how": STRING,
    "score_text": STRING,
}
MATCH = Type("match", fields=tuple(MATCH_FIELDS.items()))


@dataclass(frozen=True, slots=True)
class PartyMatch:
    """A screening match as rules and explanations see it."""

    score: Decimal
    list: str
    source: str
    name: str
    matched_name: str
    notice: str
    list_url: Any
    list_digest: str
    entry_id: Any
    start_date: Any
    reasons: str
    file: str
    line: int
    how: str = "its name"

    @property
    def score_text(self) -> str:
        """The score as an explanation shows it: two places when that is exact (`1.00`, `0.95`), else all four
        (`0.9199` is never shown as `0.92`, the strong-match threshold)."""
        two = self.score.quantize(Decimal("0.01"))
        return str(two) if two == self.score else f"{self.score:.4f}"

    @classmethod
    def of(cls, match: Any) -> PartyMatch:
        entry = match.entry
        return cls(
            score=Decimal(str(round(match.score, 4))),
            list=entry.list_code,
            source=entry.source,
            name=entry.name,
            matched_name=match.matched_name,
            notice=entry.federal_register_notice or f"notice not given; see {entry.source_list_url or entry.source}",
            list_url=entry.source_list_url or MISSING,
            list_digest=match.list_digest,
            entry_id=entry.entry_id or MISSING,
            start_date=entry.start_date or MISSING,
            reasons="; ".join(match.reasons),
            file=entry.file,
            line=entry.line,
            how=match.how,
        )

    def __str__(self) -> str:
        return f"{self.name} ({self.list}, score {self.score})"

    def as_observed(self) -> dict[str, Any]:
        return {
            "list": self.list,
            "name": self.name,
            "matched_name": self.matched_name,
            "score": float(self.score),
            "notice": self.notice,
            "list_digest": self.list_digest,
            "how": self.how,
        }


def party_screener(index: Any) -> Callable[[str, Any], tuple[Any, ...]]:
    """Every match of a name at or above 0.80 on a date (the best 50), memoised by name: batches repeat their
    parties on many dates. An entry is in force on a date or not as a whole (all its names), so the matches
    on a date are the matches on any date, best first, less the entries not in force that day."""

    @functools.lru_cache(maxsize=16_384)
    def every_match(name: str) -> tuple[Any, ...]:
        return tuple(index.screen(name, threshold=float(DEFAULT_MIN_SCORE), limit=MAX_MATCHES))

    def matches(name: str, day: Any) -> tuple[Any, ...]:
        found = every_match(name)
        if day is not None:
            found = tuple(match for match in found if match.entry.in_force(day))
        return found[:50]

    return matches


MAX_MATCHES = 10_000  # of one name at 0.80 or above, on any date; far beyond any real name


def screen_function(index: Any) -> Function:
    """The `screen` function over a pack's lists (`index`), for the pack's function registry. Without
    lists it is still declared, so that a rule using it is told what the pack lacks."""
    if index is None:
        build = _no_lists
    else:
        screener = party_screener(index)

        def build(call: Call) -> Expr:
            return _compile_screen(screener, call)

    return Function(
        name="screen",
        signature='screen(name, ["EL", ...], on=date, exclude=[...], min_score=0.8)',
        doc="the best denied-party match of a name on the pack's lists",
        result=MATCH,
        build=build,
        arity=(1, 2),
        keywords=("on", "exclude", "min_score"),
    )


def _no_lists(call: Call) -> Expr:
    raise ExprError(
        "`screen` needs the pack to declare denied-party `lists`",
        "unknown-function",
        hint="add `lists: {name: {file: data/....csv}}` to pack.yaml",
    )


def _compile_screen(screener: Callable[[str, Any], tuple[Any, ...]], call: Call) -> Expr:
    """Compile `screen(name, [lists], on=date, exclude=[lists], min_score=0.8)`."""
    args, keywords = call.args, call.keywords
    name = args[0]
    if name.type is not STRING:
        raise ExprError(f"`screen` needs a name (a string), but `{name.text}` is a {name.type}", "type-mismatch")
    include = _codes(args[1], "lists") if len(args) == 2 else None
    exclude = _codes(keywords["exclude"], "exclude") if "exclude" in keywords else frozenset()
    on = keywords.get("on")
    if on is not None and on.type is not DATE:
        raise ExprError(f"`screen`: `on` must be a date, not {on.type}", "type-mismatch")
    min_score = keywords.get("min_score")
    threshold = DEFAULT_MIN_SCORE
    if min_score is not None:
        if min_score.type is not NUMBER or min_score.constant is MISSING or not 0.8 <= min_score.constant <= 1:
            raise ExprError("`screen`: `min_score` must be a number literal from 0.8 to 1", "bad-argument")
        threshold = Decimal(min_score.constant)
    name_fn = name.fn
    on_fn = on.fn if on is not None else None

    def screen(env: Any) -> Any:
        party = name_fn(env)
        if party is MISSING:
            return MISSING
        day = on_fn(env) if on_fn is not None else None
        if day is MISSING:
            return MISSING
        for match in screener(party, day):
            code = match.entry.list_code
            if (include is None or code in include) and code not in exclude and match.score >= threshold:
                return PartyMatch.of(match)
        return None

    return Expr(screen, MATCH, call.text)


def _codes(expr: Expr, what: str) -> frozenset[str]:
    if expr.type is not LIST or expr.constant is MISSING:
        raise ExprError(f'`screen`: `{what}` must be a list literal of list codes, e.g. ["EL", "MEU"]', "bad-argument")
    return frozenset(expr.constant)


def screenable_function(index: Any) -> Function:
    """`screenable(name)`: whether a party's name can be compared with the lists at all (read in Latin letters,
    or given by the lists as written); a name in a script the screener cannot read is for a person to screen."""
    readable = functools.lru_cache(maxsize=16_384)(index.readable if index is not None else _readable_alone)

    def build(call: Call) -> Expr:
        (name,) = call.args
        if name.type is not STRING and name.type.kind != "any":
            raise ExprError(
                f"`screenable` needs a name (a string), but `{name.text}` is a {name.type}", "type-mismatch"
            )
        fn = name.fn

        def screenable(env: Any) -> Any:
            party = fn(env)
            return MISSING if party is MISSING or party is None else readable(party)

        return Expr(screenable, BOOL, call.text)

    return Function(
        name="screenable",
        signature="screenable(name)",
        doc="whether a name can be screened at all: read in Latin letters (transliterated, Chinese in Pinyin) or "
        "given by the lists as written",
        result=BOOL,
        build=build,
        arity=(1, 1),
    )


def _readable_alone(name: str) -> bool:
    return _index_of("-").readable(name)


@functools.lru_cache(maxsize=4_096)
def _index_of(name: str) -> ScreeningIndex:
    entry = ListEntry(
        list_code="NAME", source="name comparison", name=name, alt_names=(), addresses="",
        federal_register_notice=None, start_date=None, end_date=None, source_list_url=None, entry_id=None,
        file="", line=0,
    )  # fmt: skip
    return ScreeningIndex.from_entries([entry], [ListFile("", "", 1)])


@functools.lru_cache(maxsize=16_384)
def name_similarity(a: str, b: str) -> Decimal:
    """The matcher's score of name `a` against name `b`, in [0, 1] to four places (0.92 and above: the same
    party), as denied-party screening scores a party against a listed name."""
    found = _index_of(b).screen(a, threshold=0.0, limit=1)
    return Decimal(str(round(found[0].score, 4))) if found else Decimal(0)


def name_score_function() -> Function:
    """`name_score(a, b)`: the matcher's similarity of two party names, in [0, 1] (1.0 for equal normalised
    names, 0.92 and above a strong match): to tell whether two names given for one party are the same party."""

    def build(call: Call) -> Expr:
        first, second = call.args
        for arg in call.args:
            if arg.type is not STRING and arg.type.kind != "any":
                raise ExprError(
                    f"`name_score` compares names (strings), but `{arg.text}` is a {arg.type}", "type-mismatch"
                )
        fa, fb = first.fn, second.fn

        def compare(env: Any) -> Any:
            a, b = fa(env), fb(env)
            if a is MISSING or b is MISSING or a is None or b is None:
                return MISSING
            return name_similarity(a, b)

        return Expr(compare, NUMBER, call.text)

    return Function(
        name="name_score",
        signature="name_score(a, b)",
        doc="the denied-party matcher's similarity of two party names, from 0 to 1 (0.92 and above: the same party)",
        result=NUMBER,
        build=build,
        arity=(2, 2),
    )
