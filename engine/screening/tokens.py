"""Name tokens for matching: canonical words, their class and weight, and keys for fuzzy look-up."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType

from rapidfuzz.distance import OSA

from engine.screening.words import CANONICAL, COMMON_NAMES, EXPANSIONS, GENERIC, MINOR, PLACES

# Token classes, from most to least telling.
DISTINCTIVE, NUMERIC, COMMON, INITIAL, GENERIC_WORD, PLACE, MINOR_WORD = range(7)
CLASS_WEIGHT = (1.0, 1.0, 0.5, 0.3, 0.25, 0.15, 0.05)
# Classes that identify a party: they are indexed, and a score above the cap needs one of them in common.
KEY_CLASSES = frozenset({DISTINCTIVE, NUMERIC, COMMON})
# Weight of a place that stands unmatched on both sides ("Wuxi" against "Jinan"): a conflict, not noise.
CONFLICT_WEIGHT = 0.6

_FOLDS = (("shch", "sh"), ("kh", "h"), ("ph", "f"), ("ck", "k"), ("q", "k"), ("ou", "u"), ("oo", "u"))
_FOLDS2 = (("ee", "i"), ("y", "i"), ("w", "v"))
_C_NOT_CH = re.compile(r"c(?!h)")
_INNER_CH = re.compile(r"(?<=.)ch")
_DOUBLE = re.compile(r"(.)\1+")
_VOWELS = re.compile(r"[aeiou]+")
_DIGIT = re.compile(r"\d")
_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")


def match_tokens(normalized: str) -> tuple[str, ...]:
    """The words of a normalised name in canonical form: `tech` -> `technology`, `hk` -> `hong kong`."""
    out: list[str] = []
    for word in normalized.split():
        expansion = EXPANSIONS.get(word)
        if expansion is not None:
            out.extend(expansion)
        else:
            out.append(CANONICAL.get(word, word))
    return tuple(out)


def fold(token: str) -> str:
    """A transliteration-tolerant spelling: `tekhnodinamika` and `technodinamika` fold alike."""
    for old, new in _FOLDS:
        if old in token:
            token = token.replace(old, new)
    token = _INNER_CH.sub("h", _C_NOT_CH.sub("k", token))
    for old, new in _FOLDS2:
        if old in token:
            token = token.replace(old, new)
    return _DOUBLE.sub(r"\1", token)


def skeleton(folded: str) -> str:
    """First letter and consonants of a folded token: `muhammad` and `mohammed` give `mhmd`."""
    return folded[:1] + _VOWELS.sub("", folded[1:])


def half_keys(token: str) -> tuple[str, str]:
    """Two keys of which at least one is shared by every token within one edit of the same length."""
    size = len(token)
    half = (size - 1) // 2
    return f"{size}<{token[:half]}", f"{size}>{token[size - half :]}"


def probe_keys(token: str) -> Iterator[str]:
    """Keys to look up for tokens within one edit of `token` (lengths one shorter, equal, one longer)."""
    size = len(token)
    for other in (size - 1, size, size + 1):
        if other < 4:
            continue
        half = (other - 1) // 2
        yield f"{other}<{token[:half]}"
        yield f"{other}>{token[size - half :]}"


def build_half_index(tokens: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Half keys -> tokens, for tokens of four letters or more."""
    buckets: dict[str, list[str]] = {}
    for token in tokens:
        if len(token) >= 4:
            for key in half_keys(token):
                buckets.setdefault(key, []).append(token)
    return {key: tuple(values) for key, values in buckets.items()}


def near(token: str, index: Mapping[str, tuple[str, ...]]) -> set[str]:
    """Tokens of `index` within one edit (optimal string alignment) of `token`."""
    found: set[str] = set()
    if len(token) < 3:
        return found
    for key in probe_keys(token):
        for other in index.get(key, ()):
            if other not in found and OSA.distance(token, other, score_cutoff=1) <= 1:
                found.add(other)
    return found


def _lexicon() -> Mapping[str, int]:
    table: dict[str, int] = {}
    for words, cls in ((COMMON_NAMES, COMMON), (GENERIC, GENERIC_WORD), (PLACES, PLACE), (MINOR, MINOR_WORD)):
        for word in words:
            table[word] = cls
    return MappingProxyType(table)


LEXICON = _lexicon()
_LEXICON_HALVES = MappingProxyType(build_half_index(w for w in LEXICON if len(w) >= 5))


def lexicon_neighbour(token: str) -> str | None:
    """The lexicon word `token` misspells, if any (five letters or more, one edit)."""
    if len(token) < 5:
        return None
    found = near(token, _LEXICON_HALVES)
    return min(found) if found else None


def token_class(token: str) -> int:
    """Class of a canonical token, as spelt (`feijing` is a name, not a misspelt `beijing`)."""
    if _DIGIT.search(token):
        return NUMERIC
    cls = LEXICON.get(token)
    if cls is not None:
        return cls
    return INITIAL if len(token) == 1 else DISTINCTIVE


def correct(token: str, known: Mapping[str, object]) -> tuple[str, float]:
    """A query word the lists do not know, one edit from a lexicon word, read as that word
    (`technolgies` -> `technology`, `shenzen` -> `shenzhen`), with the similarity to carry; else itself, 1."""
    if token in known or token in LEXICON or _DIGIT.search(token):
        return token, 1.0
    neighbour = lexicon_neighbour(token)
    if neighbour is None:
        return token, 1.0
    return CANONICAL.get(neighbour, neighbour), 1.0 - 0.5 / max(len(token), len(neighbour))


def _number(token: str) -> str:
    match = _ORDINAL.match(token)
    return match.group(1) if match else token


def same_number(a: str, b: str) -> bool:
    """`7th` and `7` name the same number; `54th` and `55th` do not."""
    return _number(a) == _number(b)


def fold_key(token: str) -> str:
    """Key of the folded-spelling table: the number for `7th`, the fold otherwise."""
    return _number(token) if token[:1].isdigit() else fold(token)


def similarity(a: str, b: str, max_edits: int, fa: str | None = None, fb: str | None = None) -> float:
    """Similarity of two tokens in [0, 1]; 0 below the bar. `fa`, `fb`: their folds, if known.

    Equal: 1. One edit (transposition counts one): 1 - 1 / (2 * length), or 1 - 1 / length for a
    substitution of unlike letters or of the first letter (`chengyi` / `chengli`, `runyu` / `xunyu` are
    other names, `phytiun` / `phytium` a slip). More edits, up to `max_edits`: 1 - edits / (2 * length).
    Equal after transliteration folding: 0.96. Person names, and tokens of seven letters or more, with
    equal consonant skeletons: 0.88. Numbers only match numbers, exactly.
    """
    if a == b:
        return 1.0
    if _DIGIT.search(a) or _DIGIT.search(b):
        return 0.95 if same_number(a, b) else 0.0
    la, lb = len(a), len(b)
    shortest, longest = min(la, lb), max(la, lb)
    if shortest < 3 or longest - shortest > 4:
        return 0.0
    edits = OSA.distance(a, b, score_cutoff=4)
    best = 0.0
    if edits <= max_edits and shortest >= 4:
        cost = _edit_cost(a, b) if edits == 1 else edits / 2
        best = 1.0 - cost / longest
    if best >= 0.96 or edits > 4:
        return best
    fa = fold(a) if fa is None else fa
    fb = fold(b) if fb is None else fb
    if fa == fb:
        return 0.96
    names = shortest >= 7 or (a in COMMON_NAMES and b in COMMON_NAMES)
    if best < 0.88 and names and len(fa) >= 4 and len(skeleton(fa)) >= 3 and skeleton(fa) == skeleton(fb):
        best = 0.88
    return best


_SOFT = frozenset(
    frozenset(pair)
    for pair in (
        "ae",
        "ai",
        "ao",
        "au",
        "ay",
        "ei",
        "eo",
        "eu",
        "ey",
        "io",
        "iu",
        "iy",
        "ou",
        "oy",
        "uy",
        "mn",
        "sz",
        "ck",
        "cs",
        "bp",
        "dt",
        "gk",
        "vw",
        "fv",
        "kq",
        "ij",
        "xs",
    )
)


def _edit_cost(a: str, b: str) -> float:
    """Cost of the one edit between `a` and `b`: half, or one for an unlike or first-letter substitution."""
    if len(a) != len(b):
        return 0.5
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) != 1:
        return 0.5
    at = diff[0]
    return 0.5 if at > 0 and frozenset((a[at], b[at])) in _SOFT else 1.0


def edit_bar(a: str, b: str) -> int:
    """Edits allowed between two words that do not identify a party: a quarter of the length, at least one.

    Key tokens (distinctive words, numbers, person names) allow one edit only, and only through the index.
    """
    return max(1, max(len(a), len(b)) // 4)
