"""Denied-party screening: normalisation, both CSL layouts, malformed lists, dates in force, the matching
bar (labeled pairs, Volcano/Biren, generic-only queries), filters, explanations and pickling."""

from __future__ import annotations

import csv
import hashlib
import io
import pickle
from datetime import date
from pathlib import Path

import pytest

from engine.errors import ScreeningListError
from engine.screening import (
    ListEntry,
    ListFile,
    Match,
    ScreeningIndex,
    list_code,
    load_csl,
    normalize_name,
)
from engine.screening.alignment import align
from engine.screening.csl import load_aliases, with_aliases

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "screening"
AI = FIXTURES / "csl_ai_entities.csv"
SAMPLE = FIXTURES / "csl_sample.csv"
PAIRS = FIXTURES / "name_pairs.csv"
DENY = 0.92
EL_SOURCE = "Entity List (EL) - Bureau of Industry and Security"
HEADER_2019 = SAMPLE.read_text(encoding="utf-8").splitlines()[0]


@pytest.fixture(scope="module")
def index() -> ScreeningIndex:
    return ScreeningIndex.from_files([AI, SAMPLE])


def names(matches: list[Match]) -> list[str]:
    return [m.entry.name for m in matches]


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, bom: bool = False) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))
    return path


def entry(name: str, *aliases: str, code: str = "EL", file: str = "list.csv", **fields: object) -> ListEntry:
    values: dict[str, object] = {
        "list_code": code,
        "source": f"{code} list",
        "name": name,
        "alt_names": aliases,
        "addresses": "",
        "federal_register_notice": None,
        "start_date": None,
        "end_date": None,
        "source_list_url": None,
        "entry_id": None,
        "file": file,
        "line": 2,
    }
    values.update(fields)
    return ListEntry(**values)  # type: ignore[arg-type]


def one_entry_index(*entries: ListEntry) -> ScreeningIndex:
    return ScreeningIndex.from_entries(entries, [ListFile("list.csv", "sha256:00", len(entries))])


# normalisation (POLICY section 8) -----------------------------------------------------------------------
def test_normalize_example_from_the_policy() -> None:
    assert normalize_name("Moore Threads Technology Co., Ltd.") == "moore threads technology"


def test_normalize_removes_accents_by_nfkd() -> None:
    assert normalize_name("Gülnihal Yeğane") == "gulnihal yegane"
    assert normalize_name("Société Générale d'Équipement") == "societe generale d equipement"
    assert normalize_name("ＡＢＣ Ｔｅｃｈ") == "abc tech"  # compatibility forms fold too


def test_normalize_lower_cases() -> None:
    assert normalize_name("HUAWEI TECHNOLOGIES") == "huawei technologies"


def test_normalize_turns_punctuation_into_spaces() -> None:
    assert normalize_name("Moore-Threads/Beijing,Technology") == "moore threads beijing technology"
    assert normalize_name("AL 'ANABI, Abu 'Ubaydah") == "al anabi abu ubaydah"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Moore Thread Intelligent Technology (Beijing) Co., Ltd.", "moore thread intelligent technology"),
        ("GAZPROMBANK (SWITZERLAND) LTD", "gazprombank"),
        (
            "18th Central Institute (18th TsNII) Research Center (NITs) (Kursk)",
            "18th central institute research center",
        ),
    ],
)
def test_normalize_drops_parenthesised_groups(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


LEGAL_FORMS = (
    "co company corp corporation inc incorporated ltd limited llc plc pte pty gmbh ag sa nv bv jsc oao ooo zao ao kk"
)


@pytest.mark.parametrize("form", LEGAL_FORMS.split(" "))
def test_normalize_drops_each_legal_form(form: str) -> None:
    assert normalize_name(f"Acme {form.upper()} Trading {form}.") == "acme trading"


def test_normalize_keeps_legal_form_letters_inside_words() -> None:
    assert normalize_name("Cooper Incorporated Saab Company") == "cooper saab"


def test_normalize_collapses_spaces() -> None:
    assert normalize_name("  Moore \t Threads\u00a0 Technology  ") == "moore threads technology"


# loading ---------------------------------------------------------------------------------------------
def test_load_todays_layout() -> None:
    entries, file = load_csl(AI)
    assert file == ListFile(str(AI), "sha256:" + hashlib.sha256(AI.read_bytes()).hexdigest(), 13)
    assert len(entries) == 13
    moore = entries[0]
    assert moore.name == "Moore Threads Technology Co., Ltd."
    assert moore.list_code == "EL"
    assert moore.source == EL_SOURCE
    assert moore.alt_names == ("Moore Thread Intelligent Technology (Beijing) Co., Ltd.", "Moore Threads", "MTT")
    assert moore.addresses == "Beijing, CN"
    assert moore.federal_register_notice == "88 FR 71991"
    assert moore.start_date == date(2023, 10, 17)
    assert moore.end_date is None
    assert moore.source_list_url is not None and moore.source_list_url.startswith("https://www.bis.doc.gov/")
    assert moore.entry_id == "495a3c5ce81d646481f0941c5956bdb433c8f49f28e889c904a6d59b"
    assert (moore.file, moore.line) == (str(AI), 2)
    assert [e.line for e in entries] == list(range(2, 15))
    by_name = {e.name: e for e in entries}
    assert by_name["National Supercomputing Center Wuxi"].federal_register_notice is None
    assert by_name["Aviation Industry Corporation of China Aircraft Co., Ltd."].list_code == "MEU"
    hexin = by_name["Shenzhen Hexin Computing Co., Ltd."]
    assert (hexin.list_code, hexin.end_date) == ("UVL", date(2025, 6, 30))


def test_load_2019_layout_without_id() -> None:
    entries, file = load_csl(str(SAMPLE))
    assert file.entries == len(entries) == 115
    assert all(e.entry_id is None for e in entries)
    assert {e.list_code for e in entries} == {"EL", "DPL", "SDN", "SSI", "ISN", "PLC", "DTC", "UVL", "CAP"}
    first = entries[0]
    assert (first.name, first.list_code, first.line) == ("ADRIAN MANUEL HERNANDEZ", "DPL", 2)
    assert (first.start_date, first.end_date) == (date(2017, 10, 16), date(2020, 10, 13))
    assert entries[-1].line == 116
    canada = next(e for e in entries if e.name == "2904977 CANADA, INC.")
    assert canada.alt_names == ("CARIBE SOL", "HAVANTUR CANADA INC.")
    assert canada.federal_register_notice is None and canada.start_date is None


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("Entity List (EL) - Bureau of Industry and Security", "EL"),
        ("Military End User (MEU) List - Bureau of Industry and Security", "MEU"),
        ("Unverified List (UVL) - Bureau of Industry and Security", "UVL"),
        ("Denied Persons List (DPL) - Bureau of Industry and Security", "DPL"),
        ("Specially Designated Nationals (SDN) - Treasury Department", "SDN"),
        ("Sectoral Sanctions Identifications List (SSI) - Treasury Department", "SSI"),
        ("ITAR Debarred (DTC) - State Department", "DTC"),
        ("Non-SDN Chinese Military-Industrial Complex Companies List (CMIC) - Treasury Department", "CMIC"),
        ("Military End User List", "MEU"),
        ("Denied Persons List", "DPL"),
        ("Specially Designated Nationals List", "SDN"),
    ],
)
def test_list_code(source: str, code: str) -> None:
    assert list_code(source) == code


def test_load_accepts_bom_any_column_order_quotes_and_embedded_newlines(tmp_path: Path) -> None:
    header = ["name", "alt_names", "addresses", "source", "start_date", "end_date", "_id"]
    rows = [
        ["Acme, Inc.", "Acme;Acme Trading; ;A C M E", "1 Road,\nBeijing, CN", EL_SOURCE, "2020-01-02", "", "x1"],
        ['The "Quoted" Co', "", "", "Unverified List (UVL) - Bureau of Industry and Security", "", "", ""],
    ]
    path = write_csv(tmp_path / "list.csv", header, rows, bom=True)
    entries, file = load_csl(path)
    acme, quoted = entries
    assert acme.alt_names == ("Acme", "Acme Trading", "A C M E")
    assert acme.addresses == "1 Road,\nBeijing, CN"
    assert (acme.start_date, acme.end_date, acme.entry_id, acme.line) == (date(2020, 1, 2), None, "x1", 2)
    assert (quoted.name, quoted.list_code, quoted.entry_id, quoted.line) == ('The "Quoted" Co', "UVL", None, 4)
    assert quoted.federal_register_notice is None and quoted.source_list_url is None
    assert file.digest == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_load_skips_blank_lines_and_counts_them(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(f"source,name\n{EL_SOURCE},First\n\n{EL_SOURCE},Second\n", encoding="utf-8")
    assert [(e.name, e.line) for e in load_csl(path)[0]] == [("First", 2), ("Second", 4)]


# malformed lists -------------------------------------------------------------------------------------
def error_of(path: Path) -> ScreeningListError:
    with pytest.raises(ScreeningListError) as caught:
        load_csl(path)
    return caught.value


@pytest.mark.parametrize("missing", ["source", "name"])
def test_missing_required_column(tmp_path: Path, missing: str) -> None:
    header = [c for c in ["_id", "source", "name", "addresses"] if c != missing]
    err = error_of(write_csv(tmp_path / "l.csv", header, [["1", "x", "y"]]))
    assert (err.file, err.line) == (str(tmp_path / "l.csv"), 1)
    assert str(err) == f"{tmp_path / 'l.csv'}:1: missing required column `{missing}`"


def test_wrong_number_of_fields(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text(f"{HEADER_2019}\n{EL_SOURCE},,,,Acme,,,,,,,,,,,,,,,,,,,,,,,\n{EL_SOURCE},Acme\n", encoding="utf-8")
    err = error_of(path)
    assert (err.file, err.line) == (str(path), 3)
    assert "expected 28 fields as in the header, found 2" in str(err)


def test_empty_name(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", ["source", "name"], [[EL_SOURCE, "Acme"], [EL_SOURCE, "  "]])
    err = error_of(path)
    assert (err.line, str(err)) == (3, f"{path}:3: empty `name`")


@pytest.mark.parametrize("value", ["2023-13-01", "17/10/2023", "20231017", "2023-02-30", "2023-1-5", "soon"])
@pytest.mark.parametrize("column", ["start_date", "end_date"])
def test_bad_date(tmp_path: Path, column: str, value: str) -> None:
    path = write_csv(tmp_path / "l.csv", ["source", "name", column], [[EL_SOURCE, "Acme", ""], [EL_SOURCE, "B", value]])
    err = error_of(path)
    assert (err.file, err.line) == (str(path), 3)
    assert f"`{column}` is not a date of the form YYYY-MM-DD: `{value}`" in str(err)


def test_empty_file_and_bad_encoding(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert (error_of(empty).line, "empty" in str(error_of(empty))) == (1, True)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(f"source,name\n{EL_SOURCE},Acme\n{EL_SOURCE},Soci\xe9t\xe9\n".encode("latin-1"))
    err = error_of(latin)
    assert (err.file, err.line, str(err)) == (str(latin), 3, f"{latin}:3: not valid UTF-8")


@pytest.mark.parametrize("after", ["", "\n", "\n\n\r\n"])
def test_header_without_rows_is_an_error(tmp_path: Path, after: str) -> None:
    path = tmp_path / "l.csv"
    path.write_text(f"{HEADER_2019}\n{after}", encoding="utf-8")
    err = error_of(path)
    assert (err.file, err.line) == (str(path), 2)
    assert str(err) == f"{path}:2: no entries: the header is followed by no row"
    with pytest.raises(ScreeningListError, match="no entries"):
        ScreeningIndex.from_files([AI, path])


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"
    err = error_of(missing)
    assert (err.file, err.line, str(err)) == (
        str(missing),
        None,
        f"{missing}: cannot read the file: no such file or directory",
    )


def test_index_from_files_reports_the_bad_file(tmp_path: Path) -> None:
    bad = write_csv(tmp_path / "bad.csv", ["source", "name"], [[EL_SOURCE, "A"], [EL_SOURCE, "B"], ["", "C"]])
    with pytest.raises(ScreeningListError) as caught:
        ScreeningIndex.from_files([AI, bad])
    assert (caught.value.file, caught.value.line) == (str(bad), 4)


# dates in force ----------------------------------------------------------------------------------------
def test_in_force_bounds_are_inclusive() -> None:
    lifted = entry("Acme", start_date=date(2024, 4, 11), end_date=date(2025, 6, 30))
    assert not lifted.in_force(date(2024, 4, 10))
    assert lifted.in_force(date(2024, 4, 11))
    assert lifted.in_force(date(2025, 6, 30))
    assert not lifted.in_force(date(2025, 7, 1))
    assert entry("Open").in_force(date(1900, 1, 1))


def test_screen_on_a_date_drops_lifted_and_future_entries(index: ScreeningIndex) -> None:
    hexin = "Shenzhen Hexin Computing Co., Ltd."  # UVL 2024-04-11 .. 2025-06-30
    assert names(index.screen(hexin, on=date(2025, 6, 30))) == [hexin]
    assert index.screen(hexin, on=date(2025, 7, 1)) == []
    assert index.screen(hexin, on=date(2024, 4, 10)) == []
    assert names(index.screen(hexin)) == [hexin]
    future = one_entry_index(entry("Acme Photonics", start_date=date(2030, 1, 1)))
    assert future.screen("Acme Photonics", on=date(2026, 1, 1)) == []
    assert [m.score for m in future.screen("Acme Photonics", on=date(2030, 1, 1))] == [1.0]


# matching ----------------------------------------------------------------------------------------------
def test_equal_normalised_names_score_one(index: ScreeningIndex) -> None:
    [match] = index.screen("MOORE THREADS TECHNOLOGY COMPANY LIMITED (Beijing)")
    assert (match.entry.name, match.matched_name, match.alias, match.score) == (
        "Moore Threads Technology Co., Ltd.",
        "Moore Threads Technology Co., Ltd.",
        False,
        1.0,
    )
    assert match.reasons == ("normalised names equal: `moore threads technology`",)
    assert match.list_digest == index.files[0].digest


@pytest.mark.parametrize(
    "query",
    [
        "MooreThreads Technology",  # spacing
        "Moore Threads  Tech. Co",  # abbreviation
        "Moore-Threads Technology, Co. Ltd",  # punctuation
        "Technology Moore Threads Limited",  # word order
        "Moore Threads Technology Corp",  # legal form
        "Moore Thraeds Technology",  # typo
        "Beijing Moore Threads Technology Co., Ltd.",  # place qualifier
    ],
)
def test_variants_of_a_listed_name_reach_the_deny_bar(index: ScreeningIndex, query: str) -> None:
    found = index.screen(query, threshold=DENY)
    assert names(found)[:1] == ["Moore Threads Technology Co., Ltd."]
    assert found[0].score >= 0.92


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("National University of Defence Technology", "National University of Defense Technology"),
        ("Huawei Technolgies", "Huawei Technologies Co., Ltd."),
        ("Shenzen Hexin Computing", "Shenzhen Hexin Computing Co., Ltd."),
        ("Guangdong Universty of Technology", "Guangdong University of Technology"),
    ],
)
def test_misspelt_common_words_still_reach_the_deny_bar(index: ScreeningIndex, query: str, listed: str) -> None:
    found = index.screen(query, threshold=DENY)
    assert names(found) == [listed]
    assert 0.92 <= found[0].score < 1.0


def test_a_city_does_not_pass_for_a_listed_name_one_letter_away() -> None:
    feijing = one_entry_index(entry("Feijing Communication Technology Co., Ltd."))
    assert feijing.screen("Beijing Communication Technology Co., Ltd.") == []
    assert [m.score for m in feijing.screen("Feijing Communication Technology")] == [1.0]


def test_alias_match_says_so(index: ScreeningIndex) -> None:
    [match] = index.screen("Zhipu AI Co., Ltd.", threshold=DENY)
    assert (match.entry.name, match.matched_name, match.alias, match.score) == (
        "Beijing Zhipu Huazhang Technology Co., Ltd.",
        "Zhipu AI",
        True,
        1.0,
    )
    assert match.reasons[0] == "alias `Zhipu AI`"


def test_one_match_per_entry_with_its_best_name(index: ScreeningIndex) -> None:
    found = index.screen("Moore Threads", threshold=0.5)
    assert names(found).count("Moore Threads Technology Co., Ltd.") == 1
    assert found[0].matched_name == "Moore Threads" and found[0].score == 1.0


def test_volcano_engine_is_not_biren() -> None:
    biren = one_entry_index(entry("Beijing Biren Technology Development Co., Ltd."))
    assert [
        m.score for m in biren.screen("Beijing Volcano Engine Technology Co. Ltd.", threshold=0.0) if m.score >= 0.80
    ] == []
    [self_match] = biren.screen("Beijing Biren Technology Development Co., Ltd.")
    assert self_match.score == 1.0


def test_shared_city_and_generic_words_stay_below_a_possible_match(index: ScreeningIndex) -> None:
    for query in (
        "Beijing Volcano Engine Technology Co. Ltd.",
        "Shanghai Enflame Technology Co., Ltd.",
        "Tianjin Information Technology Co., Ltd.",
    ):
        assert index.screen(query) == [], query


def test_the_two_biren_companies_are_not_a_strong_match(index: ScreeningIndex) -> None:
    found = index.screen("Shanghai Biren Intelligent Technology Co., Ltd.", threshold=0.5)
    assert (found[0].entry.name, found[0].score) == ("Shanghai Biren Intelligent Technology Co., Ltd.", 1.0)
    other = [m for m in found if m.entry.name == "Beijing Biren Technology Development Co., Ltd."]
    assert len(other) == 1 and other[0].score < DENY


@pytest.mark.parametrize(
    "query",
    [
        "Technology Co., Ltd.",
        "CORP",
        "International Trading Limited",
        "Beijing Technology Development Co., Ltd.",
        "Information Technology Co",
        "National University",
        "National Supercomputing Center",
        "Research Institute of China",
        "Joint Stock Company",
        "Aviation Industry Corporation",
    ],
)
def test_generic_only_queries_match_nothing(index: ScreeningIndex, query: str) -> None:
    assert index.screen(query, threshold=0.80) == []


def test_different_places_and_numbers_are_conflicts(index: ScreeningIndex) -> None:
    [wuxi] = [
        m
        for m in index.screen("National Supercomputing Center Jinan", threshold=0.0)
        if m.entry.name == "National Supercomputing Center Wuxi"
    ]
    assert wuxi.score < 0.80
    assert "places differ: `jinan` against `wuxi`" in wuxi.reasons
    regiment = "184th Guard Air Defense Missile Regiment"
    assert index.screen(regiment) == []
    held = index.screen(regiment, threshold=0.0)[0]
    assert (held.entry.name, held.score) == ("183rd Guard Air Defense Missile Regiment", 0.79)
    assert held.reasons[-2:] == ("numbers differ: `184th` against `183rd`", "score held at 0.79")
    tir = index.screen("8th of Tir", threshold=0.0)[0]
    assert tir.score < 0.80 and "numbers differ: `8th` against `7th`" in tir.reasons


def test_reasons_name_the_matched_and_unmatched_tokens(index: ScreeningIndex) -> None:
    [match] = index.screen("Huawie Technologies Co", threshold=DENY)
    assert (match.entry.name, match.alias) == ("Huawei Technologies Co., Ltd.", False)
    assert match.reasons == ("tokens matched: `huawie`~`huawei`, `technology`",)
    [other] = index.screen("Biren Intelligent Technology Development", threshold=0.80, lists={"EL"})[1:]
    assert other.entry.name == "Beijing Biren Technology Development Co., Ltd."
    assert other.reasons == (
        "tokens matched: `biren`, `technology`, `development`; unmatched: `intelligent`; listed only: `beijing`",
    )


def test_acronyms(index: ScreeningIndex) -> None:
    [gec] = index.screen("GEC")  # stated in the listed name: "Gulf Eagle Contracting (GEC)"
    assert (gec.entry.name, gec.matched_name, gec.alias) == ("Gulf Eagle Contracting (GEC)", "GEC", True)
    assert gec.score == 1.0
    smic = one_entry_index(entry("Semiconductor Manufacturing International Corporation"))
    [initials] = smic.screen("SMIC")
    assert initials.score == 0.85
    assert initials.reasons == ("`smic` is the initials of `semiconductor manufacturing international`",)
    assert smic.screen("SMIC", threshold=DENY) == []


def test_lists_restrict_to_list_codes(index: ScreeningIndex) -> None:
    assert names(index.screen("Huawei", lists={"EL"})) == ["Huawei Technologies Co., Ltd."]
    assert names(index.screen("Huawei", lists=["el", "MEU"])) == ["Huawei Technologies Co., Ltd."]
    assert index.screen("Huawei", lists={"MEU", "SDN"}) == []
    assert index.screen("Huawei", lists=()) == []


def test_country_adds_a_reason_and_never_filters(index: ScreeningIndex) -> None:
    [cn] = index.screen("Huawei", country="cn")
    [us] = index.screen("Huawei", country="US")
    assert cn.entry == us.entry and cn.score == us.score == 1.0
    assert cn.reasons[-1] == "address mentions `CN`"
    assert us.reasons[-1] == "address does not mention `US`"
    [debarred] = index.screen("Gunther Kohlke", country="DE")
    assert debarred.reasons[-1] == "entry has no address to compare with `DE`"
    assert entry("Acme", addresses="1 Road, Dubai, AE; P.O. Box 7, Tehran, IR").mentions_country("ir")


def test_results_sorted_by_score_then_name_and_limited(index: ScreeningIndex) -> None:
    found = index.screen("Gunther Migeotte", threshold=0.5)  # five entries of that name, one per address
    assert len(found) == 5 and {m.score for m in found} == {1.0}
    assert [m.entry.line for m in found] == sorted(m.entry.line for m in found)
    assert len(index.screen("Gunther Migeotte", limit=2)) == 2
    assert index.screen("Gunther Migeotte", limit=0) == []
    mixed = index.screen("Biren Intelligent Technology", threshold=0.5)
    assert [m.score for m in mixed] == sorted((m.score for m in mixed), reverse=True)
    assert len(mixed) >= 2


def test_arguments_are_checked(index: ScreeningIndex) -> None:
    with pytest.raises(ValueError, match=r"threshold `1\.5` is not between 0 and 1"):
        index.screen("Huawei", threshold=1.5)
    with pytest.raises(ValueError, match="limit `-1` is negative"):
        index.screen("Huawei", limit=-1)
    assert index.screen("") == [] and index.screen("Co., Ltd.") == []
    with pytest.raises(ValueError, match="not a given list file"):
        ScreeningIndex.from_entries([entry("Acme", file="other.csv")], [ListFile("list.csv", "sha256:00", 1)])


def test_candidate_pruning_loses_no_match(index: ScreeningIndex) -> None:
    """Screening through the index equals scoring every listed name, for the labeled queries."""
    tables = index._tables
    for row in labeled_pairs():
        query = index._prepare(index.compared_as(row["query"])[1])
        if not query.tokens:
            continue
        brute: dict[int, float] = {tables.variants[vid].entry: 1.0 for vid, _ in index.native_matches(row["query"])}
        for variant in tables.variants:
            score = (
                1.0
                if variant.normalized == query.normalized
                else round(align(query, variant.tokens, variant.classes, variant.weights).score, 4)
            )
            brute[variant.entry] = max(brute.get(variant.entry, 0.0), score)
        for threshold in (DENY, 0.80):
            expected = sorted(s for s in brute.values() if s >= threshold)
            got = sorted(m.score for m in index.screen(row["query"], threshold=threshold, limit=1000))
            assert [s for s in got if s != 0.85] == expected, row["query"]


# evasion: look-alikes, junk and filler words, and what must still stay apart -------------------------------
MOORE = "Moore Threads Technology Co., Ltd."
CYRILLIC_MOORE = "M\u043e\u043ere Threads Technology Co., Ltd."  # Cyrillic `о` twice
CONTAINED_REASON = "every word of the listed name is in the query: score raised to 0.8"


def test_cyrillic_o_moore_threads_is_a_strong_match(index: ScreeningIndex) -> None:
    assert CYRILLIC_MOORE != MOORE
    [match] = index.screen(CYRILLIC_MOORE, threshold=DENY)
    assert (match.entry.name, match.score) == (MOORE, 1.0)
    assert match.reasons == ("normalised names equal: `moore threads technology`",)
    assert [m.score for m in one_entry_index(entry(MOORE)).screen(CYRILLIC_MOORE)] == [1.0]


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("\u041c\u043e\u043ere Threads Technology", MOORE),  # Cyrillic М, о
        ("Moore Thr\u0435\u0430ds T\u0435chnology", MOORE),  # Cyrillic е, а
        ("M\u039f\u039fRE THREADS TECHNOLOGY", MOORE),  # Greek Ο
        ("M\u0585\u0585re Threads Technology", MOORE),  # Armenian օ
        ("\uff2d\uff4f\uff4f\uff52\uff45 \uff34\uff48\uff52\uff45\uff41\uff44\uff53 Technology", MOORE),
        ("M00re Threads Technology", MOORE),  # zeros for o
        ("Moo\u200bre Thr\u200deads Tech\u00adnology", MOORE),  # zero-width space, joiner, soft hyphen
        ("Moore\u200bThreads Technology", MOORE),  # a zero-width space for a space
        ("M.o.o.r.e Threads Technology", MOORE),  # inserted punctuation
        ("Technology Threads Moore Co., Ltd.", MOORE),  # reordered
        ("Hu\u0430w\u0435\u0456 T\u0435chnologies", "Huawei Technologies Co., Ltd."),  # Cyrillic а, е, і
        ("\u0412iren Technology Development", "Beijing Biren Technology Development Co., Ltd."),  # Cyrillic В
        ("\u0413\u0430\u0437\u043f\u0440\u043e\u043c\u0431\u0430\u043d\u043a", "GAZPROMBANK OAO"),  # Газпромбанк
        ("Aktsionernoye Obshchestvo Shvabe", "AKTSIONERNOE OBSHCHESTVO SHVABE"),  # transliteration
    ],
)
def test_lookalike_invisible_and_reordered_spellings_reach_the_deny_bar(
    index: ScreeningIndex, query: str, listed: str
) -> None:
    assert listed in names(index.screen(query, threshold=DENY))


@pytest.mark.parametrize(
    "query",
    [
        "Moore Threads Technology Co., Ltd. 2K 1A",  # junk tokens
        "Moore Threads Technology Co Ltd Shenzhen Branch Office Holdings",  # four filler words
        "Moore Threads Technology Co Ltd Shenzhen Branch Office Holdings International Trading Group",
        "Shenzhen Holdings Group Moore Threads Technology International Trading",  # filler on both sides
        "Technology Trading Threads Holdings Moore Group 77 X9",  # reordered among filler and junk
        "M\u043e\u043ere Threads Technology Co., Ltd. 2K 1A",  # look-alikes and junk
    ],
)
def test_listed_name_with_junk_or_filler_words_is_a_possible_match(query: str) -> None:
    for screened in (one_entry_index(entry(MOORE)), ScreeningIndex.from_files([AI, SAMPLE])):
        found = [m for m in screened.screen(query) if m.entry.name == MOORE]
        assert found and found[0].score >= 0.80, query


def test_a_contained_name_says_why() -> None:
    [match] = one_entry_index(entry(MOORE)).screen("Moore Threads Technology Co., Ltd. 2K 1A")
    assert match.score == 0.80
    assert match.reasons == (
        "tokens matched: `moore`, `threads`, `technology`; unmatched: `2k`, `1a`",
        CONTAINED_REASON,
    )


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("Gazprombank Leasing Holdings International Trading", "GAZPROMBANK OAO"),  # one word, five letters
        ("Du Jian Trading Holdings International Group", "DU, Jian"),  # the particle is held
        ("Sugon Wuxi National Supercomputing Center Branch Holdings", "National Supercomputing Center Wuxi"),
        ("Tekhnodinamika Holdings Moscow International Trading Group", "AO Technodinamika Holding"),
    ],
)
def test_containment_holds_for_names_whose_words_identify_them(query: str, listed: str) -> None:
    [match] = one_entry_index(entry(listed)).screen(query)
    assert match.score >= 0.80 and CONTAINED_REASON in match.reasons


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("Threads Technology Co Ltd Shenzhen Branch Office Holdings", MOORE),  # `moore` missing
        ("Wu Jian Trading", "DU, Jian"),  # the particle `du` missing
        ("MTT Logistics International Trading Holdings", "MTT"),  # a three-letter acronym
        ("Zhaoji Technology Holdings Group International", "Zhaojin Technology Co., Ltd."),  # one letter away
        ("Gang Yuan Trading Holdings International", "Yiyuan"),  # one word, alike only once transliterated
        ("Beijing Integrated Circuit Design Holdings", "Integrated Circuit Co., Ltd."),  # two generic words
        ("Beijing Volcano Engine Technology Co. Ltd.", "Beijing Biren Technology Development Co., Ltd."),
        ("Shanghai Moore Industries Technology Holdings", MOORE),  # a shared trade word and city only
    ],
)
def test_containment_needs_every_word_and_words_that_identify(query: str, listed: str) -> None:
    assert one_entry_index(entry(listed)).screen(query) == []


# the labeled pairs -------------------------------------------------------------------------------------
def labeled_pairs() -> list[dict[str, str]]:
    with PAIRS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def pair_score(query: str, listed: str, fixtures: dict[str, tuple[ListEntry, ListFile]]) -> float:
    """Best score of `query` against `listed` alone: the fixture entry (with its aliases) when listed there."""
    held = fixtures.get(listed)
    one = held[0] if held else entry(listed)
    files = [held[1]] if held else [ListFile("list.csv", "sha256:00", 1)]
    found = ScreeningIndex.from_entries([one], files).screen(query, threshold=0.0)
    return found[0].score if found else 0.0


@pytest.fixture(scope="module")
def scored_pairs() -> list[tuple[dict[str, str], float]]:
    """Every labeled pair with its score against its listed name alone."""
    fixtures: dict[str, tuple[ListEntry, ListFile]] = {}
    for path in (AI, SAMPLE):
        entries, file = load_csl(path)
        if path == AI:  # with the Chinese names it goes by, as the shipped pack declares them
            entries, _ = with_aliases(entries, load_aliases(FIXTURES / "native_names.csv"))
        for e in entries:
            fixtures.setdefault(e.name, (e, file))
    return [(row, pair_score(row["query"], row["listed"], fixtures)) for row in labeled_pairs()]


def rates(scored: list[tuple[dict[str, str], float]], threshold: float) -> tuple[float, float, list[str]]:
    """Precision and recall at `threshold`, and the pairs on the wrong side of it."""
    tp = fp = fn = 0
    wrong = []
    for row, score in scored:
        hit, is_match = score >= threshold, row["label"] == "match"
        tp += hit and is_match
        fp += hit and not is_match
        fn += is_match and not hit
        if hit != is_match:
            wrong.append(f"{row['label']} {row['kind']} {score}: {row['query']!r} / {row['listed']!r}")
    return tp / (tp + fp), tp / (tp + fn), wrong


def test_labeled_pairs_at_the_deny_threshold(scored_pairs: list[tuple[dict[str, str], float]]) -> None:
    rows = [row for row, _ in scored_pairs]
    assert len(rows) >= 390
    assert {row["label"] for row in rows} == {"match", "nonmatch"}
    kinds = {row["kind"] for row in rows}
    assert {
        "spacing",
        "punctuation",
        "word-order",
        "abbreviation",
        "alias",
        "transliteration",
        "legal-form",
        "typo",
        "similar-company",
        "generic-only",
        "shared-city",
        "homoglyph",
        "zero-width",
        "junk-tokens",
        "inserted-words",
        "shared-generic",
    } <= kinds
    precision, recall, wrong = rates(scored_pairs, DENY)
    assert precision >= 0.98 and recall >= 0.90, (precision, recall, wrong)


def test_labeled_pairs_at_the_possible_match_threshold(scored_pairs: list[tuple[dict[str, str], float]]) -> None:
    # below the deny bar the containment rule makes some affiliates possible matches (`Gazprombank Leasing`
    # holds `Gazprombank`): a review, as POLICY section 8 asks, counted here as false positives
    precision, recall, wrong = rates(scored_pairs, 0.80)
    assert precision >= 0.92 and recall >= 0.98, (precision, recall, wrong)


def test_adversarial_pairs_by_kind(scored_pairs: list[tuple[dict[str, str], float]]) -> None:
    def scores(kind: str, label: str) -> dict[str, float]:
        return {row["query"]: score for row, score in scored_pairs if row["kind"] == kind and row["label"] == label}

    for kind in ("homoglyph", "zero-width"):
        assert len(scores(kind, "match")) >= 8
        assert {q: s for q, s in scores(kind, "match").items() if s < DENY} == {}, kind
    for kind in ("junk-tokens", "inserted-words"):  # POLICY: at least a possible match
        assert len(scores(kind, "match")) >= 4
        assert {q: s for q, s in scores(kind, "match").items() if s < 0.80} == {}, kind
    apart = {**scores("shared-generic", "nonmatch"), **scores("shared-city", "nonmatch")}
    assert len(apart) >= 30
    assert {q: s for q, s in apart.items() if s >= DENY} == {}
    # two possible matches, both honest: a shared two-word trade name, and every (generic) word of SMIC's name
    assert sorted(q for q, s in apart.items() if s >= 0.80) == [
        "Gulf Gate Trading LLC",
        "International Semiconductor Manufacturing Services Group",
    ]


def test_chinese_pairs_by_kind(scored_pairs: list[tuple[dict[str, str], float]]) -> None:
    """POLICY section 8, third edition: a listed party's Chinese name, as written, in traditional characters or
    with a place qualifier, is a strong match; read in Pinyin alone, at least a possible one but for a name whose
    Pinyin shares nothing with the listed name (`寒武纪`, hanwuji, is Cambricon); clean names of unlisted
    companies stay below a possible match whatever generic words they share with a listed one."""

    def scores(kind: str) -> dict[str, float]:
        return {row["query"]: score for row, score in scored_pairs if row["kind"] == kind}

    for kind in ("chinese-as-written", "chinese-traditional", "chinese-place"):
        assert len(scores(kind)) >= 6 and {q: s for q, s in scores(kind).items() if s < DENY} == {}, kind
    assert {q: s for q, s in scores("chinese-pinyin").items() if s < 0.80} == {"寒武纪": 0.597}
    clean = scores("chinese-clean")
    assert len(clean) >= 12 and {q: s for q, s in clean.items() if s >= 0.80} == {}


# the index as a value ----------------------------------------------------------------------------------
def test_pickle_round_trip(index: ScreeningIndex) -> None:
    copy = pickle.loads(pickle.dumps(index))
    assert len(copy) == len(index) == 128
    assert copy.files == index.files
    for query in ("MooreThreads Technology", "Zhipu AI", "National Supercomputing Center Jinan", "GEC"):
        assert copy.screen(query, threshold=0.5) == index.screen(query, threshold=0.5)


def test_index_is_immutable(index: ScreeningIndex) -> None:
    with pytest.raises(AttributeError):
        index._tables = None  # type: ignore[assignment]
    with pytest.raises(AttributeError):
        del index._entries
    assert [f.path for f in index.files] == [str(AI), str(SAMPLE)]
    assert [f.entries for f in index.files] == [13, 115]
