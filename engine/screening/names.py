"""Party-name normalisation, shared by lookups and denied-party screening."""

from __future__ import annotations

import functools
import re
import unicodedata

from engine.screening.glyphs import fold_lookalikes

LEGAL_FORMS = frozenset(
    [
        "co",
        "company",
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "plc",
        "pte",
        "pty",
        "gmbh",
        "ag",
        "sa",
        "nv",
        "bv",
        "jsc",
        "oao",
        "ooo",
        "zao",
        "ao",
        "kk",
    ]
)
_PARENTHESISED = re.compile(r"\([^()]*\)")
_PUNCTUATION = re.compile(r"[^\w\s]|_")


@functools.lru_cache(maxsize=16_384)  # batches and lookups repeat their parties
def normalize_name(name: str) -> str:
    """Look-alikes folded, NFKD without accents, lower case, no parenthesised qualifiers, punctuation to
    spaces, no legal forms.

    >>> normalize_name("Tencent Cloud Computing (Beijing) Co., Ltd.")
    'tencent cloud computing'
    """
    decomposed = unicodedata.normalize("NFKD", fold_lookalikes(name))
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    while True:  # innermost first, so nested qualifiers go too: "Acme (Holdings (Asia))"
        text, count = _PARENTHESISED.subn(" ", text)
        if not count:
            break
    text = _PUNCTUATION.sub(" ", text)
    return " ".join(word for word in _join_initials(text.split()) if word not in LEGAL_FORMS)


def _join_initials(words: list[str]) -> list[str]:
    """Runs of single letters are one word: `S.A.` -> `sa`, `U. S. A.` -> `usa`."""
    out: list[str] = []
    run = ""
    for word in words:
        if len(word) == 1 and word.isalpha():
            run += word
            continue
        if run:
            out.append(run)
            run = ""
        out.append(word)
    if run:
        out.append(run)
    return out
