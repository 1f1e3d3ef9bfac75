"""Names in Chinese and other scripts (POLICY section 8, third edition): read as written and in Pinyin, matched
with the lists' Chinese names, transliterated, or, when nothing can read them, held for a person."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import engine
from engine.cli import main
from engine.errors import ScreeningListError
from engine.screening import PartyMatch
from engine.screening.chinese import han_core, has_han, pinyin_name
from engine.screening.csl import load_aliases, load_csl, with_aliases
from tests.conftest import ROOT, SHIPPED

DAY = dt.date(2026, 3, 1)


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("华为技术有限公司", "华为技术"),
        ("華為技術有限公司", "华为技术"),  # traditional folded to simplified
        ("华为技术有限公司(深圳)", "华为技术"),  # a place in ASCII parentheses
        ("华为技术（深圳）有限公司", "华为技术"),  # in full-width ones
        ("摩尔线程智能科技（北京）有限责任公司", "摩尔线程智能科技"),
        ("中科寒武纪科技股份有限公司", "中科寒武纪科技"),
        ("华为 技术", "华为技术"),
    ],
)
def test_a_name_as_written_is_simplified_without_places_or_company_forms(name: str, core: str) -> None:
    assert han_core(name) == core


@pytest.mark.parametrize(
    ("name", "reading"),
    [
        ("华为技术有限公司", "huawei technology co ltd"),
        ("北京火山引擎科技有限公司", "beijing huoshan yinqing technology co ltd"),
        ("中科寒武纪科技股份有限公司", "zhongke hanwuji technology joint stock co ltd"),
        ("国防科技大学", "guofang technology university"),
        ("国家超级计算无锡中心", "guojia chaoji jisuan wuxi center"),
        ("重庆智能信息集团国际", "chongqing intelligent information group international"),
        ("华为 Technologies", "huawei Technologies"),
    ],
)
def test_pinyin_joins_each_words_syllables_after_the_section_8_words(name: str, reading: str) -> None:
    assert pinyin_name(name) == reading


def test_han_is_found_in_any_plane_and_only_there() -> None:
    assert has_han("華") and has_han("a 华 b") and has_han("\U00020000")
    assert not has_han("Huawei") and not has_han("Газпром") and not has_han("삼성")


@pytest.mark.parametrize(
    ("name", "listed", "how"),
    [
        ("华为技术有限公司", "Huawei Technologies Co., Ltd.", "its Chinese name"),
        ("華為技術有限公司", "Huawei Technologies Co., Ltd.", "its Chinese name"),
        ("摩爾線程智能科技有限責任公司", "Moore Threads Technology Co., Ltd.", "its Chinese name"),
        (
            "智谱华章科技有限公司",
            "Beijing Zhipu Huazhang Technology Co., Ltd.",
            "pinyin `zhipu huazhang technology co ltd`",
        ),
        (
            "Moer Xiancheng Intelligent Technology",
            "Moore Threads Technology Co., Ltd.",
            "the Pinyin of its Chinese name",
        ),
        ("Газпромбанк", "Gazprombank", "transliterated `gazprombank`"),
    ],
)
def test_a_listed_party_written_in_another_script_is_found_and_the_way_is_said(
    shipped_pack: engine.Pack, name: str, listed: str, how: str
) -> None:
    assert shipped_pack.screening is not None
    best = shipped_pack.screening.screen(name, on=DAY)[0]
    assert best.entry.name.casefold().startswith(listed.casefold()), best
    assert best.score >= 0.92 and best.how.startswith(how), best


@pytest.mark.parametrize(
    "name",
    ["阿里云计算有限公司", "腾讯云计算（北京）有限责任公司", "北京火山引擎科技有限公司", "上海火山引擎科技有限公司"],
)
def test_clean_chinese_names_share_generic_words_and_do_not_match(shipped_pack: engine.Pack, name: str) -> None:
    assert shipped_pack.screening is not None
    assert shipped_pack.screening.screen(name, on=DAY, threshold=0.8) == []


@pytest.mark.parametrize(
    ("name", "readable"),
    [
        ("华为技术有限公司", True),
        ("Газпромбанк", True),
        ("삼성전자", True),
        ("شركة الاختبار", True),
        ("\U000f0041\U000f0042 Co.", False),  # private-use characters: no script to read
        ("★★★", False),
        ("Co., Ltd.", False),  # nothing left to compare
    ],
)
def test_a_name_nothing_can_read_is_not_screenable(shipped_pack: engine.Pack, name: str, readable: bool) -> None:
    assert shipped_pack.screening is not None
    assert shipped_pack.screening.readable(name) is readable


def test_the_explanation_shows_what_matched_and_how(shipped_pack: engine.Pack) -> None:
    huawei = {"name": "华为技术有限公司", "country": "CN"}
    data = {"id": "WC-26", "date": "2026-03-01", "product": "RTX 4090D", "quantity": 10, "unit_price_usd": "1800",
            "destination": "CN", "end_use": "consumer", "customer": huawei}  # fmt: skip
    decision = engine.check(shipped_pack, data)
    assert decision.decision == "deny"
    assert (
        "customer `华为技术有限公司` ~ `Huawei Technologies Co., Ltd.` (its Chinese name, 1.00; 84 FR 22961)"
        in decision.explanation
    )
    pinyin = engine.check(shipped_pack, {**data, "customer": {"name": "智谱华章科技有限公司", "country": "CN"}})
    assert "(pinyin `zhipu huazhang technology co ltd`, 0.9677;" in pinyin.explanation


def test_a_score_is_shown_to_two_places_only_when_that_is_exact() -> None:
    def shown(score: str) -> str:
        match = PartyMatch(Decimal(score), "EL", "s", "n", "n", "x", None, "d", None, None, "r", "f", 1)
        return match.score_text

    assert [shown(s) for s in ("1", "0.95", "0.9199", "0.8")] == ["1.00", "0.95", "0.9199", "0.80"]


# the aliases file -----------------------------------------------------------------------------------------------------
def test_aliases_join_their_entries_and_say_which_name_no_entry(tmp_path: Path) -> None:
    entries, _ = load_csl(SHIPPED / "data" / "csl_ai_entities.csv")
    path = tmp_path / "aliases.csv"
    path.write_text(
        'list_name,native_name,script,note\n"Huawei Technologies Co., Ltd.",华为技术有限公司,Hans,\n'
        "Delisted Example Ltd,示例有限公司,Hans,\n",
        encoding="utf-8",
    )
    joined, unmatched = with_aliases(entries, load_aliases(path))
    huawei = next(e for e in joined if e.name.startswith("Huawei"))
    assert "华为技术有限公司" in huawei.alt_names
    assert [(a.listed, a.line) for a in unmatched] == [("Delisted Example Ltd", 3)]


def test_an_alias_row_with_an_unquoted_comma_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = tmp_path / "aliases.csv"
    path.write_text(
        "list_name,native_name,script,note\nHuawei Technologies Co., Ltd.,华为技术有限公司,Hans,\n", encoding="utf-8"
    )
    with pytest.raises(ScreeningListError, match=r"aliases.csv:2: expected 4 fields as in the header, found 5"):
        load_aliases(path)


def test_the_shipped_aliases_all_name_an_entry() -> None:
    entries, _ = load_csl(SHIPPED / "data" / "csl_ai_entities.csv")
    _, unmatched = with_aliases(entries, load_aliases(SHIPPED / "data" / "native_names.csv"))
    assert unmatched == []


def test_importing_a_list_keeps_the_aliases_and_names_those_left_without_an_entry(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    import shutil

    shutil.copytree(SHIPPED, pack)
    update = ROOT / "examples" / "screening-update.csv"
    kept = CliRunner().invoke(main, ["lists", "import", str(update), "--pack", str(pack)])
    assert kept.exit_code == 0 and "data/native_names.csv: the list keeps its aliases" in kept.output
    assert "华为技术有限公司" in (pack / "data" / "native_names.csv").read_text(encoding="utf-8")
    shrunk = tmp_path / "shrunk.csv"
    lines = update.read_text(encoding="utf-8").splitlines(keepends=True)
    shrunk.write_text("".join(line for line in lines if "Huawei" not in line), encoding="utf-8")
    dropped = CliRunner().invoke(main, ["lists", "import", str(shrunk), "--pack", str(pack), "--dry-run"])
    assert "? 华为技术有限公司 (line 14): no entry is named `Huawei Technologies Co., Ltd.`" in dropped.output


def test_a_pack_whose_aliases_file_is_outside_it_does_not_load(write_pack: object, tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    import shutil

    shutil.copytree(SHIPPED, pack)
    manifest = pack / "pack.yaml"
    manifest.write_text(manifest.read_text().replace("aliases: data/native_names.csv", "aliases: ../elsewhere.csv"))
    with pytest.raises(engine.PackError) as raised:
        engine.load_pack(pack)
    assert [d.code for d in raised.value.diagnostics] == ["outside-pack"]  # one problem, not one per screening rule
