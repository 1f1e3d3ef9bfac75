"""The README is part of the product: its rule-language reference and its walkthrough must stay true."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from engine.cli import main
from engine.language import BUILTINS, OP_TEXT
from tests.conftest import ROOT, SHIPPED

README = (ROOT / "README.md").read_text()


def _section(title: str) -> str:
    """The text under a heading, up to the next heading of the same or a higher level."""
    start = README.index(title)
    level = title.split(" ")[0]
    ends = [README.find(f"\n{'#' * n} ", start + 1) for n in range(2, len(level) + 1)]
    ends = [e for e in ends if e != -1]
    return README[start : min(ends) if ends else None]


def test_every_operator_and_function_is_documented() -> None:
    reference = _section("### The rule language")
    words = [*OP_TEXT.values(), "and", "or", "not", "+", "-", "*", "/", "if else", *BUILTINS, "screen"]
    missing = [w for w in words if f"`{w}`" not in reference and f"`{w}(" not in reference]
    assert missing == [], f"README's rule-language reference misses {missing}"


def test_every_condition_form_is_documented() -> None:
    reference = _section("### The rule language")
    for form in ("{all: [...]}", "{any: [...]}", "{not: ...}", "effective", "fee", "cite", "lookup", "where"):
        assert form in reference, form


def test_the_rule_written_from_scratch_validates_and_passes(tmp_path: Path) -> None:
    walkthrough = _section("### Writing a rule from scratch")
    blocks = re.findall(r"```yaml\n(.*?)```", walkthrough, re.S)
    assert len(blocks) == 2
    pack = tmp_path / "us-ai-chips"
    shutil.copytree(SHIPPED, pack)
    (pack / "rules" / "60-volume.yaml").write_text(blocks[0])
    for old in (pack / "tests").glob("*.yaml"):
        old.unlink()
    (pack / "tests" / "volume.yaml").write_text(blocks[1])
    runner = CliRunner()
    validated = runner.invoke(main, ["rules", "validate", str(pack)])
    assert validated.exit_code == 0, validated.output
    tested = runner.invoke(main, ["rules", "test", str(pack)])
    assert tested.exit_code == 0, tested.output
    assert "2 passed, 0 failed" in tested.stdout


def test_the_diagnostic_shown_is_real_output(tmp_path: Path) -> None:
    walkthrough = _section("### Writing a rule from scratch")
    rule = re.findall(r"```yaml\n(.*?)```", walkthrough, re.S)[0]
    pack = tmp_path / "us-ai-chips"
    shutil.copytree(SHIPPED, pack)
    broken = rule.replace('destination == "AE"', 'destinaton == "AE"').replace("quantity > 1000", "quantity => 1000")
    (pack / "rules" / "60-volume.yaml").write_text(broken)
    shown = re.search(r"<!-- diagnostic:start -->\n```\n(.*?)```\n<!-- diagnostic:end -->", README, re.S)
    assert shown is not None
    result = CliRunner().invoke(main, ["rules", "validate", str(pack)])
    assert result.exit_code == 1
    assert result.stderr == shown.group(1)


def test_exit_codes_are_documented() -> None:
    for text in ("**0** allow", "**1** deny", "**3** review", "**2** invalid input"):
        assert text in README
