"""The documentation is part of the product: README.md, docs/ and examples/README.md are run, command by command,
and must print what they show (tests/docs.py); the references generated from the code must be current; and the
rule-language reference, the walkthrough's rule and the README's shape are checked here."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.language import BUILTINS, OP_TEXT
from tests import docs
from tests.conftest import ROOT, SHIPPED
from tests.docs_reference import examples, generate, pack_functions

DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text()
LANGUAGE = (DOCS / "rule-language.md").read_text()
AUTHOR = (DOCS / "rule-author.md").read_text()
PACK_CHANGE = ROOT / "examples" / "pack-change"


# --- every document runs and prints what it shows --------------------------------------------------------------


@pytest.mark.parametrize("name", docs.DOCUMENTS)
def test_the_document_runs_and_prints_what_it_shows(name: str) -> None:
    try:
        problems = docs.run_document(name, generated=generate)
    except docs.NoPostgres as exc:
        pytest.skip(str(exc))
    assert problems == [], "\n\n".join(map(str, problems)) + "\n\nrun `make docs` if the product is right"


def test_every_markdown_file_is_run() -> None:
    found = {str(p.relative_to(ROOT)) for p in [ROOT / "README.md", *DOCS.glob("*.md"), ROOT / "examples/README.md"]}
    assert found == set(docs.DOCUMENTS)


def test_a_wrong_output_a_traceback_and_an_unrun_block_are_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runner itself: what it must not let pass."""
    page = tmp_path / "page.md"
    page.write_text(
        "```console\n$ echo hello\ngoodbye\n$ python -c 'raise SystemExit(3)'\n```\n"
        "```console\n$ python -c 'import nothing_such'\n```\n"
        "```python\nprint('never run')\n```\n"
        "```sh\nfalse\n```\n"
    )
    monkeypatch.setattr(docs, "ROOT", tmp_path)
    problems = [p.message for p in docs.run_document("page.md")]
    assert len(problems) == 6, problems
    assert "the output of `echo hello` differs" in problems[0]
    assert "the output of `python -c 'raise SystemExit(3)'` differs" in problems[1]  # [exit status 3] not shown
    assert any("printed a traceback" in p for p in problems)
    assert any("nothing runs" in p for p in problems)
    assert any("`false` exited with 1" in p for p in problems)


def test_volatile_parts_are_blanked_and_nothing_else() -> None:
    shown = "T-1: ALLOW (us-ai-chips 2026-01-15, sha256:5d75bd3b) [0e187e6ea3a446e8a6db385ff7231ddd] 1.0 s"
    now = "T-1: ALLOW (us-ai-chips 2026-01-15, sha256:0a2f78b3) [764d33f0413245a0855dc217c75eff86] 0.8 s"
    assert docs.normalise(shown) == docs.normalise(now)
    assert docs.normalise(shown) != docs.normalise(now.replace("ALLOW", "DENY"))
    assert docs.normalise(shown) != docs.normalise(now.replace("2026-01-15", "2026-01-16"))


# --- the rule-language reference ---------------------------------------------------------------------------------


def _section(text: str, title: str) -> str:
    """The text under a heading, up to the next heading of the same or a higher level."""
    start = text.index(title)
    level = title.split(" ")[0]
    ends = [text.find(f"\n{'#' * n} ", start + 1) for n in range(1, len(level) + 1)]
    ends = [e for e in ends if e != -1]
    return text[start : min(ends) if ends else None]


def test_every_operator_and_function_is_documented() -> None:
    reference = _section(LANGUAGE, "## Operators") + _section(LANGUAGE, "## Functions")
    words = [*OP_TEXT.values(), "and", "or", "not", "+", "-", "*", "/", "if", "else"]
    missing = [
        w for w in words if f"a {w} b`" not in reference and f"`{w} " not in reference and f" {w} " not in reference
    ]
    assert missing == [], f"the rule-language reference misses {missing}"
    functions = [*BUILTINS, *pack_functions()]
    assert "screen" in functions and "fact" in functions
    missing = [f for f in functions if f"`{f}(" not in reference]
    assert missing == [], f"the rule-language reference misses {missing}"


def test_every_condition_form_is_documented() -> None:
    for form in ("{all: [...]}", "{any: [...]}", "{not: ...}", "effective", "fee", "cite", "lookup", "where"):
        assert form in LANGUAGE, form


def test_every_example_of_the_operator_table_compiles(tmp_path: Path) -> None:
    pack = tmp_path / "us-ai-chips"
    shutil.copytree(SHIPPED, pack)
    values = "".join(f"  - name: docs_example_{n}\n    expr: '{e}'\n" for n, e in enumerate(examples()))
    (pack / "rules" / "99-docs.yaml").write_text("values:\n" + values)
    result = CliRunner().invoke(main, ["rules", "validate", str(pack)])
    assert result.exit_code == 0, result.output


def test_the_reference_lists_the_vocabularies(shipped_pack: object) -> None:
    from engine.contract.fields import CSV_COLUMNS
    from engine.contract.transaction import END_USES

    for word in (*END_USES, *shipped_pack.vocabularies["attestations"]):  # type: ignore[attr-defined]
        assert f"`{word}`" in _section(LANGUAGE, "## The transaction"), word
    assert ",".join(CSV_COLUMNS) in LANGUAGE


# --- the rule author's walkthrough -------------------------------------------------------------------------------


def test_the_walkthroughs_rule_validates_and_its_cases_pass(tmp_path: Path) -> None:
    """examples/pack-change, which the rule author's guide adds to the pack, alone with its own cases."""
    pack = tmp_path / "us-ai-chips"
    shutil.copytree(SHIPPED, pack)
    shutil.copy(PACK_CHANGE / "60-volume.yaml", pack / "rules")
    for old in (pack / "tests").glob("*.yaml"):
        old.unlink()
    shutil.copy(PACK_CHANGE / "volume.yaml", pack / "tests")
    runner = CliRunner()
    validated = runner.invoke(main, ["rules", "validate", str(pack)])
    assert validated.exit_code == 0, validated.output
    tested = runner.invoke(main, ["rules", "test", str(pack)])
    assert tested.exit_code == 0, tested.output
    assert "2 passed, 0 failed" in tested.stdout
    assert "$ cat my-pack/rules/60-volume.yaml\n" + (PACK_CHANGE / "60-volume.yaml").read_text() in AUTHOR


def test_the_diagnostic_shown_names_both_mistakes_with_codes_and_hints() -> None:
    shown = re.search(r"<!-- diagnostic:start -->\n```console\n(.*?)```\n<!-- diagnostic:end -->", AUTHOR, re.S)
    assert shown is not None
    text = shown.group(1)
    for part in ("error[unknown-name]", "error[unknown-operator]", "did you mean `destination`?", "did you mean `>=`?"):
        assert part in text
    assert text.rstrip().endswith("[exit status 1]")


def test_exit_codes_are_documented() -> None:
    for text in ("**0** allow", "**1** deny", "**3** review", "**2** invalid input"):
        assert text in README
        assert text in (DOCS / "analyst.md").read_text()


# --- the README's shape ------------------------------------------------------------------------------------------


def test_the_readme_is_a_front_door() -> None:
    assert len(README.splitlines()) <= 150
    for must in ("not legal advice", "make run", "make test", "clearance check", "clearance batch", "/v1/decisions"):
        assert must in README, must
    for guide in ("analyst", "rule-author", "rule-language", "integrator", "operator"):
        assert f"(docs/{guide}.md)" in README, guide


def test_the_readme_holds_one_table_of_figures_and_it_is_the_benchmarks_one() -> None:
    figures = re.findall(r"<!-- figures:start -->\n(.*?)<!-- figures:end -->", README, re.S)
    assert len(figures) == 1
    rows = [line for line in figures[0].splitlines() if line.startswith("|")]
    assert 3 <= len(rows) <= 8
    benchmarks = (DOCS / "benchmarks.md").read_text()
    assert figures[0] in benchmarks, "the README's figures must be the peer table of docs/benchmarks.md"


# --- links, benchmarks, and what the documentation may not say ----------------------------------------------------


def _slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("name", docs.DOCUMENTS)
def test_every_link_leads_somewhere(name: str) -> None:
    page = ROOT / name
    text = page.read_text()
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://")):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{name}: {target}"
        if anchor and linked.suffix == ".md":
            headings = {_slug(h) for h in re.findall(r"^#+ (.*)$", linked.read_text(), re.M)}
            assert anchor in headings, f"{name}: {target}"


def test_every_benchmark_named_exists() -> None:
    text = "\n".join((ROOT / name).read_text() for name in docs.DOCUMENTS)
    for module in set(re.findall(r"python -m benchmarks\.(\w+)", text)):
        assert (ROOT / "benchmarks" / f"{module}.py").exists(), module


def test_the_documentation_speaks_only_of_the_product() -> None:
    for name in docs.DOCUMENTS:
        text = (ROOT / name).read_text()
        for word in ("../shared", "/work/", "POLICY.md"):
            assert word not in text, f"{name} mentions {word}"
