"""One test per diagnostic code: each mistake is reported with its stable code, file, line and column.

Tests assert codes and positions, not wording; every code of `engine.errors.CODES` is covered here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import engine
from engine.durable.translator import translate
from engine.errors import CODES, Diagnostic, PackError
from engine.tester import check_cases, load_cases
from tests.engine.pack.test_compiler import RULE as ONE_RULE

RULE = ONE_RULE.replace('message: "m"', 'message: "{message}"')


def diagnose(write_pack: Callable[..., Path], rules: dict[str, str] | None = None, **kwargs: object) -> Diagnostic:
    """The one diagnostic of a pack written with these files."""
    root = write_pack(rules if rules is not None else {}, **kwargs)
    with pytest.raises(PackError) as info:
        engine.load_pack(root)
    assert len(info.value.diagnostics) == 1, info.value.diagnostics
    found = info.value.diagnostics[0]
    return found


def rule(when: str = "quantity > 1", message: str = "m") -> dict[str, str]:
    return {"r.yaml": RULE.format(when=when, message=message)}


def at(d: Diagnostic) -> tuple[str, int | None, int | None]:
    return d.code, d.line, d.column


def test_not_a_pack(tmp_path: Path) -> None:
    with pytest.raises(PackError) as info:
        engine.load_pack(tmp_path)
    (d,) = info.value.diagnostics
    assert d.code == "not-a-pack"


def test_yaml_syntax_names_a_half_quoted_expression(write_pack: Callable[..., Path]) -> None:
    text = 'rules:\n  - id: R1\n    when:\n      all:\n        - "x" not in attestations\n'
    d = diagnose(write_pack, {"r.yaml": text})
    assert at(d) == ("yaml-syntax", 5, 15)
    assert d.hint is not None and "quote" in d.hint


def test_yaml_syntax_names_an_indentation_slip(write_pack: Callable[..., Path]) -> None:
    text = RULE.format(when="quantity > 1", message="m").replace("    effect: deny", "     effect: deny")
    d = diagnose(write_pack, {"r.yaml": text})
    assert (d.code, d.line) == ("yaml-syntax", 4)
    assert "indentation" in d.message


def test_duplicate_key(write_pack: Callable[..., Path]) -> None:
    text = RULE.format(when="quantity > 1", message="m") + "    effect: review\n"
    assert at(diagnose(write_pack, {"r.yaml": text}))[:2] == ("duplicate-key", 8)


def test_not_utf8(write_pack: Callable[..., Path]) -> None:
    root = write_pack({})
    (root / "rules" / "r.yaml").write_bytes(b"rules: []\n# \xff\n")
    with pytest.raises(PackError) as info:
        engine.load_pack(root)
    (d,) = info.value.diagnostics
    assert (d.code, d.file) == ("not-utf8", "rules/r.yaml")


def test_not_a_mapping(write_pack: Callable[..., Path]) -> None:
    assert diagnose(write_pack, {"r.yaml": "- just\n- a list\n"}).code == "not-a-mapping"


def test_a_misspelt_key_is_unknown_and_its_field_missing(write_pack: Callable[..., Path]) -> None:
    text = RULE.format(when="quantity > 1", message="m").replace("    effect: deny", "    efect: deny")
    with pytest.raises(PackError) as info:
        engine.load_pack(write_pack({"r.yaml": text}))
    missing, unknown = info.value.diagnostics
    assert (missing.code, missing.line, missing.rule) == ("missing-field", 2, "R1")
    assert at(unknown) == ("unknown-field", 4, 5) and unknown.hint == "did you mean `effect`?"


def test_unknown_field_alone(write_pack: Callable[..., Path]) -> None:
    d = diagnose(write_pack, {"r.yaml": RULE.format(when="quantity > 1", message="m") + "    severty: high\n"})
    assert at(d) == ("unknown-field", 8, 5) and d.end_column == 12 and d.rule == "R1"
    assert "in rule 1" in d.message


def test_unknown_field_suggests_the_right_key(write_pack: Callable[..., Path]) -> None:
    text = RULE.format(when="quantity > 1", message="m") + "    tgas: [a]\n"
    assert diagnose(write_pack, {"r.yaml": text}).hint == "did you mean `tags`?"


def test_missing_field(write_pack: Callable[..., Path]) -> None:
    text = RULE.format(when="quantity > 1", message="m").replace("    title: a rule\n", "")
    d = diagnose(write_pack, {"r.yaml": text})
    assert (d.code, d.line, d.rule) == ("missing-field", 2, "R1")


def test_invalid_value_suggests_the_nearest_choice(write_pack: Callable[..., Path]) -> None:
    text = RULE.format(when="quantity > 1", message="m").replace("effect: deny", "effect: denyy")
    d = diagnose(write_pack, {"r.yaml": text})
    assert (d.code, d.line, d.hint) == ("invalid-value", 4, "did you mean `deny`?")
    assert "`denyy`" in d.message


def test_bad_date_echoes_the_value(write_pack: Callable[..., Path]) -> None:
    text = RULE.format(when="quantity > 1", message="m") + "    effective: {from: 2026-06-31}\n"
    d = diagnose(write_pack, {"r.yaml": text})
    assert (d.code, d.line) == ("bad-date", 8)
    assert "`2026-06-31`" in d.message


def test_a_blank_cite_is_missing(write_pack: Callable[..., Path]) -> None:
    text = RULE.format(when="quantity > 1", message="m").replace("cite: c", 'cite: "   "')
    assert diagnose(write_pack, {"r.yaml": text}).code == "missing-cite"


def test_file_not_found(write_pack: Callable[..., Path]) -> None:
    root = write_pack(rule())
    (root / "data" / "groups.yaml").unlink()
    with pytest.raises(PackError) as info:
        engine.load_pack(root)
    codes = {d.code for d in info.value.diagnostics}
    assert "file-not-found" in codes


@pytest.mark.parametrize("path", ["../../secret.csv", "/etc/passwd", "data/../../secret.csv"])
def test_files_outside_the_pack_are_refused(write_pack: Callable[..., Path], path: str) -> None:
    from tests.conftest import MANIFEST

    root = write_pack(rule(), manifest=MANIFEST.replace("file: data/things.csv", f"file: {path}"))
    (root.parent.parent / "secret.csv").write_text("code,size\nSECRET,1\n")
    d = diagnose(write_pack, rule(), manifest=MANIFEST.replace("file: data/things.csv", f"file: {path}"))
    assert (d.code, d.file) == ("outside-pack", "pack.yaml")


def test_a_symbolic_link_out_of_the_pack_is_refused(write_pack: Callable[..., Path], tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("rules: []\n")
    root = write_pack(rule())
    (root / "rules" / "link.yaml").symlink_to(secret)
    with pytest.raises(PackError) as info:
        engine.load_pack(root)
    (d,) = info.value.diagnostics
    assert (d.code, d.file) == ("outside-pack", "rules/link.yaml")


def test_a_rule_glob_out_of_the_pack_is_refused(write_pack: Callable[..., Path]) -> None:
    from tests.conftest import MANIFEST

    d = diagnose(write_pack, rule(), manifest=MANIFEST + "rules: [rules/*.yaml, ../*/*.yaml]\n")
    assert (d.code, d.message) == ("outside-pack", "glob `../*/*.yaml` is outside the pack")


def test_no_rule_files(write_pack: Callable[..., Path]) -> None:
    assert diagnose(write_pack, {}).code == "no-rule-files"


def test_bad_table(write_pack: Callable[..., Path]) -> None:
    d = diagnose(write_pack, rule(), files={"data/things.csv": "code,size,ok,since,tags\nA,10,true\n"})
    assert (d.code, d.file, d.line) == ("bad-table", "data/things.csv", 2)


def test_bad_list(write_pack: Callable[..., Path]) -> None:
    from tests.conftest import MANIFEST

    manifest = MANIFEST + "lists:\n  csl: {file: data/csl.csv}\n"
    d = diagnose(write_pack, rule(), manifest=manifest, files={"data/csl.csv": "not,a,list\n1,2,3\n"})
    assert (d.code, d.file) == ("bad-list", "data/csl.csv")


def test_duplicate_rule(write_pack: Callable[..., Path]) -> None:
    d = diagnose(
        write_pack,
        {
            "a.yaml": RULE.format(when="quantity > 1", message="m"),
            "b.yaml": RULE.format(when="quantity > 2", message="m"),
        },
    )
    assert (d.code, d.file, d.line, d.rule) == ("duplicate-rule", "rules/b.yaml", 2, "R1")


def test_duplicate_value(write_pack: Callable[..., Path]) -> None:
    text = "values:\n  - {name: v, expr: quantity}\n  - {name: v, expr: quantity + 1}\n"
    assert at(diagnose(write_pack, {"v.yaml": text}))[:2] == ("duplicate-value", 3)


def test_value_cycle(write_pack: Callable[..., Path]) -> None:
    text = "values:\n  - {name: a, expr: b + 1}\n  - {name: b, expr: a + 1}\n"
    d = diagnose(write_pack, {"v.yaml": text})
    assert d.code == "value-cycle" and "a -> b -> a" in d.message


def test_syntax_error_points_at_the_column(write_pack: Callable[..., Path]) -> None:
    assert at(diagnose(write_pack, rule(when="quantity > (1"))) == ("syntax-error", 5, 22)  # the unclosed `(`


def test_unknown_operator_suggests_the_right_one(write_pack: Callable[..., Path]) -> None:
    d = diagnose(write_pack, rule(when="quantity => 10000"))
    assert at(d) == ("unknown-operator", 5, 20) and d.end_column == 22
    assert d.hint == "did you mean `>=`?"


def test_columns_count_the_quote_of_a_quoted_expression(write_pack: Callable[..., Path]) -> None:
    d = diagnose(write_pack, rule(when="'quantity => 10000'"))
    assert at(d) == ("unknown-operator", 5, 21)


def test_columns_inside_a_block_list(write_pack: Callable[..., Path]) -> None:
    d = diagnose(write_pack, rule(when="\n      all:\n        - quantity > 1\n        - destinaton == 'CN'"))
    assert at(d) == ("unknown-name", 8, 11) and d.end_column == 21
    assert d.hint == "did you mean `destination`?"


def test_unknown_name(write_pack: Callable[..., Path]) -> None:
    d = diagnose(write_pack, rule(when="quantty > 1"))
    assert at(d) == ("unknown-name", 5, 11) and d.hint == "did you mean `quantity`?"


def test_unknown_function(write_pack: Callable[..., Path]) -> None:
    d = diagnose(write_pack, rule(when="exist(product)"))
    assert at(d) == ("unknown-function", 5, 11) and d.hint == "did you mean `exists`?"


def test_type_mismatch(write_pack: Callable[..., Path]) -> None:
    d = diagnose(write_pack, rule(when="""'quantity == "ten"'"""))
    assert at(d) == ("type-mismatch", 5, 12) and d.end_column == 29


def test_bad_argument(write_pack: Callable[..., Path]) -> None:
    d = diagnose(write_pack, rule(when="exists(product, quantity)"))
    assert at(d) == ("bad-argument", 5, 11) and d.hint == "the signature is exists(x)"


def test_bad_regex(write_pack: Callable[..., Path]) -> None:
    assert diagnose(write_pack, rule(when="""'matches(product, "(")'""")).code == "bad-regex"


def test_not_allowed(write_pack: Callable[..., Path]) -> None:
    assert at(diagnose(write_pack, rule(when="'[x for x in attestations]'")))[:2] == ("not-allowed", 5)


def test_too_complex_an_expression(write_pack: Callable[..., Path]) -> None:
    d = diagnose(write_pack, rule(when="'" + " + ".join(["quantity"] * 700) + " > 1'"))
    assert (d.code, d.line) == ("too-complex", 5)


def nested_nots(depth: int) -> str:
    """`when:` nesting `depth` block-style `not:` groups around one expression."""
    lines = [f"{'  ' * (i + 3)}not:" for i in range(depth)]
    return "\n" + "\n".join(lines) + f"\n{'  ' * (depth + 3)}quantity > 1"


def test_too_complex_a_condition(write_pack: Callable[..., Path]) -> None:
    assert engine.load_pack(write_pack(rule(when=nested_nots(30))))
    d = diagnose(write_pack, rule(when=nested_nots(40)))
    assert (d.code, d.rule) == ("too-complex", "R1")


def test_three_hundred_nested_nots_are_a_diagnostic(write_pack: Callable[..., Path]) -> None:
    assert diagnose(write_pack, rule(when=nested_nots(300))).code in ("too-complex", "yaml-syntax")


def test_bad_condition(write_pack: Callable[..., Path]) -> None:
    assert at(diagnose(write_pack, rule(when="{some: [quantity > 1]}")))[:2] == ("bad-condition", 5)


def test_bad_template_format_spec_is_caught_at_load(write_pack: Callable[..., Path]) -> None:
    d = diagnose(write_pack, rule(message="{quantity:,.2q} units"))
    assert (d.code, d.line) == ("bad-template", 6)


def test_bad_template_width_is_bounded(write_pack: Callable[..., Path]) -> None:
    assert diagnose(write_pack, rule(message="{quantity:>900000000}")).code == "bad-template"


def test_bad_test_names_an_unknown_rule(write_pack: Callable[..., Path]) -> None:
    case = (
        "defaults: {id: T, date: 2026-01-01, quantity: 1, unit_price_usd: 1, destination: CN, customer: {name: A}}\n"
        "cases:\n  - name: one\n    transaction: {}\n    expect: {decision: deny, rules: [R11]}\n"
        "  - name: two\n    transaction: {quantity: -1}\n    expect: {decision: deny}\n"
    )
    root = write_pack(rule(), files={"tests/t.yaml": case})
    pack = engine.load_pack(root)
    found = check_cases(pack, load_cases(pack))
    assert [(d.code, d.line) for d in found] == [("bad-test", 3), ("bad-test", 6)]
    assert found[0].hint == "did you mean `R1`?" and "`quantity`" in found[1].message


def test_durable_limit(write_pack: Callable[..., Path]) -> None:
    clauses = " or ".join(f"quantity == {n}" for n in range(401))
    pack = engine.load_pack(write_pack(rule(when=f"'{clauses}'")))
    with pytest.raises(PackError) as info:
        translate(pack)
    (d,) = info.value.diagnostics
    assert (d.code, d.rule) == ("durable-limit", "R1")


def test_every_code_is_asserted_in_this_file() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    assert [code for code in CODES if f'"{code}"' not in source.replace(f'"{code}": ', "")] == []
