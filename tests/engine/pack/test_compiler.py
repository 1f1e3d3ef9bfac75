"""Loading a pack: every kind of rule-file mistake is reported with file, line and rule id, all at once."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

import engine
from engine.errors import Diagnostic, PackError

RULE = """\
rules:
  - id: R1
    title: a rule
    effect: deny
    when: {when}
    message: "m"
    cite: c
"""


def problems(write_pack: Callable[..., Path], rules: dict[str, str], **kwargs: object) -> list[Diagnostic]:
    root = write_pack(rules, **kwargs)
    with pytest.raises(PackError) as info:
        engine.load_pack(root)
    return info.value.diagnostics


def only(diagnostics: list[Diagnostic]) -> Diagnostic:
    assert len(diagnostics) == 1, diagnostics
    return diagnostics[0]


def test_a_valid_pack_loads(write_pack: Callable[..., Path]) -> None:
    pack = engine.load_pack(write_pack({"r.yaml": RULE.format(when="destination == 'CN'")}))
    assert [r.id for r in pack.rules] == ["R1"]
    assert pack.digest.startswith("sha256:")


def test_unknown_field_names_file_line_and_rule(write_pack: Callable[..., Path]) -> None:
    text = RULE.format(when="destination == 'CN'") + "    severity: high\n"
    d = only(problems(write_pack, {"r.yaml": text}))
    assert (d.file, d.line, d.column, d.rule, d.code) == ("rules/r.yaml", 8, 5, "R1", "unknown-field")
    assert "unknown field `severity` in rule 1" in d.message


def test_missing_cite(write_pack: Callable[..., Path]) -> None:
    text = RULE.format(when="destination == 'CN'").replace("    cite: c\n", "")
    d = only(problems(write_pack, {"r.yaml": text}))
    assert d.rule == "R1" and d.file == "rules/r.yaml" and d.line == 2
    assert d.code == "missing-cite" and "field `cite` is required in rule 1" in d.message


def test_unknown_operator(write_pack: Callable[..., Path]) -> None:
    d = only(problems(write_pack, {"r.yaml": RULE.format(when="'quantity ** 2 > 1'")}))
    assert d.line == 5 and d.rule == "R1"
    assert "is not supported" in d.message


def test_syntax_error_in_expression(write_pack: Callable[..., Path]) -> None:
    d = only(problems(write_pack, {"r.yaml": RULE.format(when="'destination == '")}))
    assert d.line == 5 and "syntax error" in d.message


def test_undefined_value_with_suggestion(write_pack: Callable[..., Path]) -> None:
    d = only(problems(write_pack, {"r.yaml": RULE.format(when="destinaton == 'CN'")}))
    assert d.line == 5
    assert (d.code, d.message, d.hint) == ("unknown-name", "unknown name `destinaton`", "did you mean `destination`?")


def test_undefined_table_column(write_pack: Callable[..., Path]) -> None:
    text = """\
    values:
      - name: thing
        lookup: {table: things, match: [{columns: [code], value: product}]}
    rules:
      - id: R1
        title: t
        effect: deny
        when: thing.sise > 3
        message: m
        cite: c
    """
    d = only(problems(write_pack, {"r.yaml": text}))
    assert d.line == 8 and d.rule == "R1"
    assert d.code == "unknown-name" and "table `things` has no column `sise`" in d.message
    assert d.hint == "did you mean `size`?"


def test_type_mismatch_string_with_number(write_pack: Callable[..., Path]) -> None:
    d = only(problems(write_pack, {"r.yaml": RULE.format(when="quantity == 'ten'")}))
    assert d.line == 5
    assert "type mismatch" in d.message and "`quantity` (number)" in d.message and "(string)" in d.message


def test_type_mismatch_in_list(write_pack: Callable[..., Path]) -> None:
    d = only(problems(write_pack, {"r.yaml": RULE.format(when='\'quantity in ["a", "b"]\'')}))
    assert "type mismatch" in d.message


def test_condition_must_be_boolean(write_pack: Callable[..., Path]) -> None:
    d = only(problems(write_pack, {"r.yaml": RULE.format(when="quantity + 1")}))
    assert "is a number, expected a bool" in d.message


def test_duplicate_rule_id_across_files(write_pack: Callable[..., Path]) -> None:
    rule = RULE.format(when="destination == 'CN'")
    d = only(problems(write_pack, {"a.yaml": rule, "b.yaml": rule}))
    assert (d.file, d.line, d.rule) == ("rules/b.yaml", 2, "R1")
    assert "duplicate rule id (first defined in rules/a.yaml)" in d.message


def test_bad_date(write_pack: Callable[..., Path]) -> None:
    text = RULE.format(when="destination == 'CN'") + "    effective: {from: 2026-13-01}\n"
    d = only(problems(write_pack, {"r.yaml": text}))
    assert d.line == 8 and d.rule == "R1" and "effective.from" in d.message


def test_bad_date_literal_in_expression(write_pack: Callable[..., Path]) -> None:
    d = only(problems(write_pack, {"r.yaml": RULE.format(when="'date >= \"2026-02-30\"'")}))
    assert "`2026-02-30` is not a date YYYY-MM-DD" in d.message


def test_until_before_from(write_pack: Callable[..., Path]) -> None:
    text = RULE.format(when="destination == 'CN'") + "    effective: {from: 2026-01-02, until: 2026-01-01}\n"
    d = only(problems(write_pack, {"r.yaml": text}))
    assert "is before `from`" in d.message


def test_invalid_yaml_names_the_line(write_pack: Callable[..., Path]) -> None:
    d = only(problems(write_pack, {"r.yaml": "rules:\n  - id: R1\n    title: [unclosed\n"}))
    assert d.file == "rules/r.yaml" and d.line is not None and "invalid YAML" in d.message


def test_duplicate_yaml_key(write_pack: Callable[..., Path]) -> None:
    text = RULE.format(when="destination == 'CN'") + "    cite: again\n"
    d = only(problems(write_pack, {"r.yaml": text}))
    assert d.line == 8 and d.message == "duplicate key `cite`"


def test_unknown_function(write_pack: Callable[..., Path]) -> None:
    d = only(problems(write_pack, {"r.yaml": RULE.format(when="'exist(product)'")}))
    assert (d.code, d.message, d.hint) == ("unknown-function", "unknown function `exist`", "did you mean `exists`?")


def test_bad_regex(write_pack: Callable[..., Path]) -> None:
    d = only(problems(write_pack, {"r.yaml": RULE.format(when="'matches(product, \"(abc\")'")}))
    assert "invalid regular expression" in d.message


def test_message_template_is_checked(write_pack: Callable[..., Path]) -> None:
    text = RULE.format(when="destination == 'CN'").replace('message: "m"', 'message: "see {nope}"')
    d = only(problems(write_pack, {"r.yaml": text}))
    assert d.line == 6 and "message: unknown name `nope`" in d.message


def test_fee_rule_needs_a_fee(write_pack: Callable[..., Path]) -> None:
    text = RULE.format(when="destination == 'CN'").replace("effect: deny", "effect: fee")
    d = only(problems(write_pack, {"r.yaml": text}))
    assert "needs `fee: {rate, of}`" in d.message


def test_value_cycle(write_pack: Callable[..., Path]) -> None:
    text = "values:\n  - {name: a, expr: b + 1}\n  - {name: b, expr: a + 1}\n" + RULE.format(when="a > 1")
    found = problems(write_pack, {"r.yaml": text})
    assert any("depends on itself: a -> b -> a" in d.message for d in found)


def test_unknown_set_and_table(write_pack: Callable[..., Path]) -> None:
    found = problems(write_pack, {"r.yaml": RULE.format(when="'destination in groups[\"G9\"]'")})
    assert "table `groups` has no set `G9`" in only(found).message


def test_bad_table_cell_names_data_file_and_line(write_pack: Callable[..., Path]) -> None:
    root = write_pack({"r.yaml": RULE.format(when="destination == 'CN'")})
    (root / "data" / "things.csv").write_text("code,size,ok,since,tags\nA,ten,maybe,2024-02-30,\n")
    with pytest.raises(PackError) as info:
        engine.load_pack(root)
    messages = [(d.file, d.line, d.message) for d in info.value.diagnostics]
    assert ("data/things.csv", 2, "column `size`: `ten` is not a number") in messages
    assert ("data/things.csv", 2, "column `ok`: `maybe` is not true or false") in messages
    assert ("data/things.csv", 2, "column `since`: `2024-02-30` is not a date YYYY-MM-DD") in messages


def test_every_problem_is_reported_at_once(write_pack: Callable[..., Path]) -> None:
    good = RULE.format(when="destination == 'CN'")
    bad_one = RULE.format(when="nope == 1").replace("R1", "R2")
    bad_two = RULE.format(when="quantity == 'x'").replace("R1", "R3").replace("    cite: c\n", "")
    found = problems(write_pack, {"a.yaml": good, "b.yaml": bad_one, "c.yaml": bad_two})
    assert {d.rule for d in found} == {"R2", "R3"}
    assert {d.file for d in found} == {"rules/b.yaml", "rules/c.yaml"}


def test_a_bad_pack_never_loads_partially(write_pack: Callable[..., Path]) -> None:
    good = RULE.format(when="destination == 'CN'")
    bad = RULE.format(when="nope == 1").replace("R1", "R2")
    root = write_pack({"a.yaml": good, "b.yaml": bad})
    with pytest.raises(PackError):
        engine.load_pack(root)


def test_error_message_style(write_pack: Callable[..., Path]) -> None:
    d = only(problems(write_pack, {"r.yaml": RULE.format(when="destinaton == 'CN'")}))
    assert str(d) == "rules/r.yaml:5:11: rule `R1`: unknown name `destinaton` (did you mean `destination`?)"


def test_not_a_pack(tmp_path: Path) -> None:
    with pytest.raises(PackError, match=re.escape("not a rule pack: `pack.yaml` not found")):
        engine.load_pack(tmp_path)


def test_missing_table_file(write_pack: Callable[..., Path]) -> None:
    root = write_pack({"r.yaml": RULE.format(when="destination == 'CN'")})
    (root / "data" / "groups.yaml").unlink()
    with pytest.raises(PackError, match=re.escape("table `groups`: file `data/groups.yaml` not found")):
        engine.load_pack(root)


def test_digest_changes_with_rules_not_tests(write_pack: Callable[..., Path]) -> None:
    root = write_pack({"r.yaml": RULE.format(when="destination == 'CN'")})
    first = engine.load_pack(root).digest
    (root / "tests").mkdir()
    (root / "tests" / "cases.yaml").write_text("cases: []\n")
    assert engine.load_pack(root).digest == first
    (root / "rules" / "r.yaml").write_text(RULE.format(when="destination == 'RU'"))
    assert engine.load_pack(root).digest != first
