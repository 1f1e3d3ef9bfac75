"""Denied-party name screening (POLICY section 8) against Consolidated Screening List files.

    index = ScreeningIndex.from_files(["rules/us-ai-chips/data/csl_ai_entities.csv"])
    for match in index.screen("MooreThreads Technology Ltd", on=date(2025, 3, 1), country="CN"):
        print(match.entry.list_code, match.matched_name, match.score, match.reasons)

Modules: `csl` reads the files; `words` and `tokens` say what a name token is worth and how tokens compare;
`alignment` scores one name against another; `variants` prepares every listed name and the look-up tables;
`index` finds the candidates for a query and ranks the matches.
"""

from __future__ import annotations

from engine.names import normalize_name
from engine.screening.csl import ListEntry, ListFile, list_code, load_csl
from engine.screening.index import Match, ScreeningIndex

__all__ = ["ListEntry", "ListFile", "Match", "ScreeningIndex", "list_code", "load_csl", "normalize_name"]
