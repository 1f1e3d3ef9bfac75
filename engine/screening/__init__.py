"""Denied-party name screening against Consolidated Screening List files.

    index = ScreeningIndex.from_files(["rules/us-ai-chips/data/csl_ai_entities.csv"])
    for match in index.screen("MooreThreads Technology Ltd", on=date(2025, 3, 1), country="CN"):
        print(match.entry.list_code, match.matched_name, match.score, match.reasons)

Modules: `csl` reads the files; `glyphs` folds look-alike characters and `names` normalises party names
(shared with the pack's `party-name` lookups); `words` and `tokens` say what a name token is worth and how
tokens compare; `alignment` scores one name against another, `containment` says when a query holds every word
of a listed name; `variants` prepares every listed name and the look-up tables, `query` a screened name;
`index` finds the candidates for a query and ranks the matches, `explanation` says why; `function` registers
`screen` as a rule-language function.
"""

from __future__ import annotations

from engine.screening.csl import ListEntry, ListFile, list_code, load_csl
from engine.screening.function import (
    MATCH,
    PartyMatch,
    name_score_function,
    name_similarity,
    screen_function,
    screenable_function,
)
from engine.screening.index import Match, ScreeningIndex
from engine.screening.names import normalize_name

__all__ = [
    "MATCH",
    "ListEntry",
    "ListFile",
    "Match",
    "PartyMatch",
    "ScreeningIndex",
    "list_code",
    "load_csl",
    "name_score_function",
    "name_similarity",
    "normalize_name",
    "screen_function",
    "screenable_function",
]
