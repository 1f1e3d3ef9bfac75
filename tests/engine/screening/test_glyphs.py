"""Look-alike characters folded before normalising (POLICY section 8): TR39 confusables, compatibility forms,
invisible format characters, digits standing for letters, and Cyrillic words transliterated."""

from __future__ import annotations

import pytest

from engine.screening.glyphs import fold_lookalikes, lookalikes
from engine.screening.names import normalize_name

CYRILLIC_O = "\u043e"


def test_cyrillic_o_in_moore_threads_is_moore_threads() -> None:
    spoofed = f"M{CYRILLIC_O}{CYRILLIC_O}re Threads Technology Co., Ltd."
    assert spoofed != "Moore Threads Technology Co., Ltd."
    assert fold_lookalikes(spoofed) == "Moore Threads Technology Co., Ltd."
    assert normalize_name(spoofed) == "moore threads technology"


@pytest.mark.parametrize(
    ("spoofed", "plain"),
    [
        ("Hu\u0430w\u0435\u0456", "Huawei"),  # Cyrillic а, е, і
        ("\u0412iren", "Biren"),  # Cyrillic В
        ("\u041cOORE", "MOORE"),  # Cyrillic М
        ("\u039cOORE", "MOORE"),  # Greek Μ
        ("M\u039f\u039fRE", "MOORE"),  # Greek Ο
        ("Cambric\u03bfn", "Cambricon"),  # Greek ο
        ("\u0405ophgo", "Sophgo"),  # Cyrillic Ѕ
        ("Phyt\u0456um", "Phytium"),  # Cyrillic і
        ("M\u0585\u0585re", "Moore"),  # Armenian օ
        ("H\u0399KVISION", "HIKVISION"),  # Greek Ι: a capital I, not TR39's `l`
        ("\u0421\u0415\u0422\u0421", "CETC"),  # a word wholly in Cyrillic look-alikes
        ("\uff2d\uff4f\uff4f\uff52\uff45", "Moore"),  # full-width
        ("\U0001d40c\U0001d428\U0001d428\U0001d42b\U0001d41e", "Moore"),  # mathematical bold
        ("Hua\u0261ei", "Huagei"),  # Latin script g: folded, not dropped
        ("\u0131nspur", "inspur"),  # dotless i
    ],
)
def test_lookalikes_fold_to_the_latin_letters_they_imitate(spoofed: str, plain: str) -> None:
    assert fold_lookalikes(spoofed) == plain


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e"])
def test_invisible_format_characters_are_dropped(invisible: str) -> None:
    assert fold_lookalikes(f"Hua{invisible}wei Tech{invisible}nologies") == "Huawei Technologies"


def test_accented_lookalikes_still_fold() -> None:
    assert fold_lookalikes("M\u043e\u0308\u043ere") == "Moore"  # Cyrillic о with a combining diaeresis


@pytest.mark.parametrize(
    ("spoofed", "plain"),
    [("M00re Threads", "Moore Threads"), ("Hikvi5ion C0rp", "Hikvi5ion Corp"), ("Cambr1con", "Cambrlcon")],
)
def test_zero_and_one_between_letters_read_as_letters(spoofed: str, plain: str) -> None:
    assert fold_lookalikes(spoofed) == plain


@pytest.mark.parametrize("name", ["184th Regiment", "H100 Holdings", "200G PSA", "3K Aviation", "A100", "1st Bank"])
def test_numbers_stay_numbers(name: str) -> None:
    assert fold_lookalikes(name) == name


@pytest.mark.parametrize(
    ("russian", "latin"),
    [
        ("\u0413\u0430\u0437\u043f\u0440\u043e\u043c\u0431\u0430\u043d\u043a", "gazprombank"),  # Газпромбанк
        ("\u0413\u0410\u0417\u041f\u0420\u041e\u041c\u0411\u0410\u041d\u041a", "gazprombank"),  # ГАЗПРОМБАНК
        ("\u0428\u0432\u0430\u0431\u0435", "shvabe"),  # Швабе
        ("\u041e\u0431\u044a\u0435\u0434\u0438\u043d\u0435\u043d\u0438\u0435", "obedinenie"),  # Объединение
    ],
)
def test_russian_words_are_transliterated_not_folded(russian: str, latin: str) -> None:
    assert fold_lookalikes(russian) == latin


def test_russian_legal_form_in_cyrillic_is_dropped() -> None:
    # ООО (all look-alikes) folds to OOO, a legal form; Швабе transliterates
    assert normalize_name("\u041e\u041e\u041e \u0428\u0432\u0430\u0431\u0435") == "shvabe"


@pytest.mark.parametrize(("letter", "plain"), [("\u00df", "ss"), ("\u00f8", "o"), ("\u0142", "l"), ("\u00e6", "ae")])
def test_latin_letters_that_nfkd_keeps_whole(letter: str, plain: str) -> None:
    assert normalize_name(f"Acme {letter}") == f"acme {plain}"


def test_other_scripts_are_left_alone() -> None:
    assert fold_lookalikes("\u6469\u5c14\u7ebf\u7a0b") == "\u6469\u5c14\u7ebf\u7a0b"  # 摩尔线程
    assert fold_lookalikes("Moore Threads") == "Moore Threads"


def test_the_table_comes_from_tr39_and_maps_only_to_ascii_letters() -> None:
    table = lookalikes()
    assert table["\u043e"] == "o" and table["\u0412"] == "B" and table["\u039f"] == "O"
    assert len(table) > 1000
    assert all(len(k) == 1 and not k.isascii() for k in table)
    assert all(v.isascii() and v.isalpha() and len(v) == 1 for v in table.values())
