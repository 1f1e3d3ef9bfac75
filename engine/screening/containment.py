"""The containment rule: a name that holds every word of a listed name but its legal forms,
in any order and among other words (`Moore Threads Technology Co Ltd Shenzhen Branch Office Holdings`), is at
least a possible match of it.

Connectives and the legal forms beyond the policy's (`sdn bhd`, `fze`) need not be held; name particles
(`du`, `al`, `van`) must: `Wu Jian` does not hold `Du Jian`. The words must also identify the listed name:
two or more with a key token among them, three or more without (a pair of generic words such as `integrated
circuit` is inside too many names), or a single key token of four letters or more (three-letter acronyms
such as `MTT` are inside too many names as well).

A key token is held when found alike or transliterated alike (`tekhnodinamika`, `technodinamika`): one letter
away it is another name (`zhaoji`, `jiangchuang` against `zhaojin`, `jiangchang`). The only word of a listed
name must be found spelt alike (`yuan` is not `yiyuan`). Other words may be one edit away.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.screening.tokens import KEY_CLASSES, MINOR_WORD
from engine.screening.words import PARTICLES

# Score of a query that holds every word of a listed name: a possible match.
CONTAINED = 0.80
# Similarity at which a key token, and another word, count as held.
CONTAINED_KEY_SIMILARITY = 0.96
_CONTAINED_WORD_SIMILARITY = 0.90
_ONE_WORD_MIN_LENGTH = 4


def required_words(tokens: Sequence[str], classes: Sequence[int]) -> tuple[int, ...]:
    """Positions of the words a query must hold to hold the listed name; none when they do not identify it."""
    required = tuple(j for j, t in enumerate(tokens) if classes[j] != MINOR_WORD or t in PARTICLES)
    if len(required) == 1:
        only = required[0]
        identifies = classes[only] in KEY_CLASSES and len(tokens[only]) >= _ONE_WORD_MIN_LENGTH
    else:
        keyed = any(classes[j] in KEY_CLASSES for j in required)
        identifies = len(required) >= (2 if keyed else 3)
    return required if identifies else ()


def holds_every_word(required: Sequence[int], classes: Sequence[int], found: Sequence[float]) -> bool:
    """True when every required word of a listed name (`required_words`) was found well enough: `found[j]`
    is the similarity of word j to the query word it was paired with, 0 if none."""
    if not required:
        return False
    if len(required) == 1:
        return found[required[0]] == 1.0
    return all(found[j] >= word_bar(classes[j]) for j in required)


def word_bar(cls: int) -> float:
    """Similarity at which a word of class `cls` counts as held."""
    return CONTAINED_KEY_SIMILARITY if cls in KEY_CLASSES else _CONTAINED_WORD_SIMILARITY
