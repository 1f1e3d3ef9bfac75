"""Look-alike characters read as the Latin letters they imitate, before a name is normalised (TR39 confusables).

    >>> fold_lookalikes("M\u043e\u043ere Threads")  # Cyrillic `о` twice
    'Moore Threads'

Compatibility forms (full-width, mathematical letters) fold by NFKC; invisible format characters
(zero-width space and joiners, soft hyphen, direction marks) are dropped; the letters of other scripts that
Unicode TR39 lists as confusable with a Latin letter (Cyrillic `о`, `а`, `е`, `р`, `с`, `В`, Greek `Ο`,
Armenian `օ`, ...) become that letter, as do the digits `0` and `1` standing between letters (`M00re`).

A word is folded only when every letter of it looks Latin: a word with a Cyrillic letter that imitates
none (`Газпромбанк`) is Russian, and is transliterated instead (`gazprombank`), so that its `р` reads `r`,
not `p`; a word of another script (Greek, Arabic, Hangul...) is transliterated by anyascii, and Han characters
are left to `chinese`. A word written wholly in Cyrillic letters that all imitate Latin ones (`АТОМ`) is read as a
look-alike: a disguise costs more than a missed transliteration.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from types import MappingProxyType

from anyascii import anyascii
from confusable_homoglyphs import confusables  # type: ignore[import-untyped]

from engine.screening.chinese import has_han

# Latin letters that NFKD leaves whole, in the spelling the lists use.
_LATIN = MappingProxyType(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ħ": "h", "ı": "i", "ŧ": "t"}
)
# Cyrillic letters, as the lists transliterate them (BGN/PCGN, simplified).
_CYRILLIC = MappingProxyType(
    {
        **dict(zip("абвгдезийклмнопрстуфыэ", "abvgdeziyklmnoprstufye", strict=True)),
        **{"ё": "e", "ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ь": ""},
        **{"ю": "yu", "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u"},
    }
)
_DIGIT_IN_WORD = re.compile(r"(?<=[^\W\d_])[01]+(?=[^\W\d_])")
_DIGIT_LETTERS = str.maketrans("01", "ol")


@functools.cache
def lookalikes() -> MappingProxyType[str, str]:
    """Non-ASCII characters -> the ASCII letter they imitate, from the TR39 confusables data.

    Read once, on first use (the data file is about 1 MB). TR39 maps a capital `I` look-alike to `l`
    (alike in sans-serif type); in a name it stands for `I`.
    """
    table: dict[str, str] = {}
    for char, homoglyphs in confusables.confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        letters = sorted(
            {
                glyph["c"]
                for glyph in homoglyphs
                if len(glyph["c"]) == 1 and glyph["c"].isascii() and glyph["c"].isalpha()
            }
        )
        if letters:
            letter = letters[0]
            table[char] = "I" if letter == "l" and char.isupper() else letter
    return MappingProxyType(table)


def fold_lookalikes(name: str) -> str:
    """`name` with look-alike characters folded to Latin letters and invisible characters removed."""
    text = unicodedata.normalize("NFKC", name)
    if not text.isascii():
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
        text = "".join(_fold_word(word) for word in _words_and_gaps(text))
    if "0" in text or "1" in text:
        text = _DIGIT_IN_WORD.sub(lambda found: found.group().translate(_DIGIT_LETTERS), text)
    return text


def _words_and_gaps(text: str) -> list[str]:
    """`text` cut into runs of word characters (letters, digits, combining marks) and runs of the rest."""
    out: list[str] = []
    run: list[str] = []
    in_word = False
    for ch in text:
        wordy = ch.isalnum() or unicodedata.category(ch)[0] == "M"
        if wordy != in_word and run:
            out.append("".join(run))
            run = []
        in_word = wordy
        run.append(ch)
    if run:
        out.append("".join(run))
    return out


def _fold_word(word: str) -> str:
    if word.isascii():
        return word
    table = lookalikes()
    bases = [_base(ch) for ch in word]
    if all(_looks_latin(ch, table) for ch in bases):
        return "".join(table.get(ch) or _LATIN.get(ch.lower(), ch) for ch in bases)
    read = "".join(_transliterate(ch) for ch in word)
    if has_han(word) or any(ch.isascii() and ch.isalnum() for ch in read):
        return read
    return word  # no reading: kept as written, and the name cannot be screened


def _base(ch: str) -> str:
    """The letter under the accents: `ӧ` -> `о`, so that an accented look-alike is still one."""
    return unicodedata.normalize("NFD", ch)[0] if unicodedata.decomposition(ch) else ch


def _looks_latin(ch: str, table: MappingProxyType[str, str]) -> bool:
    if ch.isascii() or ch in table or not ch.isalpha():
        return True
    return unicodedata.name(ch, "").startswith("LATIN ")


def _transliterate(ch: str) -> str:
    """A letter in Latin letters: Cyrillic as the lists spell it, Latin letters NFKD leaves whole, any other
    script but Han (read in Pinyin by `chinese`) through anyascii; a character it has no reading for is kept
    (and the name then cannot be screened: see `screening.index.ScreeningIndex.readable`)."""
    if ch.isascii():
        return ch
    lower = ch.lower()
    found = _CYRILLIC.get(lower)
    if found is not None:
        return found
    found = _LATIN.get(lower)
    if found is not None or has_han(ch) or not ch.isalnum():
        return found if found is not None else ch
    return str(anyascii(ch))
