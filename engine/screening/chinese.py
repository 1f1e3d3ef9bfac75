"""Party names written in Chinese characters, made comparable with the lists (POLICY section 8).

Two readings of a name holding Han characters, simplified or traditional:

- as written (`han_core`): NFKC, traditional forms folded to simplified (OpenCC's tables), parenthesised place
  qualifiers and company forms (有限公司 ...) dropped, spaces and punctuation removed: `華為技術有限公司` and
  `华为技术（深圳）有限公司` both read `华为技术`, compared for equality with the lists' Chinese names;
- in Hanyu Pinyin (`pinyin_name`): the company-form and industry words of section 8 translated first, the rest
  cut into words (jieba's dictionary, through rjieba) and each word's syllables joined: `华为技术有限公司` reads
  `huawei technology co ltd`, compared as any Latin name is.

The converters are imported on the first Han name, so that a process that screens none never loads them.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

# POLICY section 8: the company-form and industry words translated before the rest is read in Pinyin, longest
# first (so that 有限责任公司 is not read as 有限 + 责任 + 公司).
TRANSLATED = (
    ("股份有限公司", "joint stock co ltd"),
    ("有限责任公司", "co ltd"),
    ("有限公司", "co ltd"),
    ("股份", "joint stock"),
    ("科技", "technology"),
    ("技术", "technology"),
    ("智能", "intelligent"),
    ("信息", "information"),
    ("集团", "group"),
    ("国际", "international"),
    ("大学", "university"),
    ("中心", "center"),
)
# Company forms dropped from a name compared as written, as the Latin legal forms are (section 8).
FORMS = ("股份有限公司", "有限责任公司", "有限公司", "股份公司", "公司")
_TRANSLATED = re.compile("|".join(re.escape(word) for word, _ in TRANSLATED))
_FORMS = re.compile("|".join(re.escape(word) for word in FORMS))
_PARENTHESISED = re.compile(r"\([^()]*\)")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_NOT_HAN_WORD = re.compile(r"[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f\w]|_")


def has_han(text: str) -> bool:
    """Whether `text` holds a Han character (Chinese, or Japanese kanji)."""
    return _HAN.search(text) is not None


@functools.cache
def _to_simplified() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """`text` after NFKC (full-width forms, compatibility ideographs) with traditional forms as simplified."""
    return str(_to_simplified().convert(unicodedata.normalize("NFKC", text)))


@functools.lru_cache(maxsize=16_384)
def han_core(name: str) -> str:
    """A Chinese name as compared with the lists' Chinese names: simplified, without parenthesised qualifiers
    or company forms, without spaces or punctuation (`华为技术（深圳）有限公司` -> `华为技术`)."""
    text = simplified(name).lower()
    while True:
        text, count = _PARENTHESISED.subn("", text)
        if not count:
            break
    text = _FORMS.sub("", text)
    return _NOT_HAN_WORD.sub("", text)


@functools.cache
def _segmenter() -> Any:
    import rjieba

    return rjieba


@functools.cache
def _pinyin() -> Any:
    from pypinyin import Style, lazy_pinyin

    return lambda word: lazy_pinyin(word, style=Style.NORMAL, errors="default")


@functools.lru_cache(maxsize=16_384)
def pinyin_name(name: str) -> str | None:
    """A name with Han characters read in Latin letters: the section 8 words translated, every other Han word
    in Pinyin with its syllables joined, what is not Han kept as it is; None when a character has no reading."""
    text = simplified(name)
    parts: list[str] = []
    position = 0
    for found in _TRANSLATED.finditer(text):
        parts.append(_read(text[position : found.start()]))
        parts.append(f" {dict(TRANSLATED)[found.group()]} ")
        position = found.end()
    parts.append(_read(text[position:]))
    reading = " ".join("".join(parts).split())
    return None if has_han(reading) else reading


def _read(text: str) -> str:
    """Han words in Pinyin (each word's syllables joined), anything else as it is."""
    if not has_han(text):
        return text
    pinyin = _pinyin()
    out = []
    for word in _segmenter().cut(text):
        if has_han(word):
            out.append(" " + "".join(pinyin(word)) + " ")
        else:
            out.append(word)
    return "".join(out)
