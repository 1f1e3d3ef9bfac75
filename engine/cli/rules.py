"""`clearance rules`: validate, test, list and show rule packs; print JSON Schemas."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import yaml

import engine
from engine.cli.common import backend_for, engine_option, fail, open_pack, render_diagnostics
from engine.cli.store import load_ruleset
from engine.contract import decision_schema, transaction_schema
from engine.errors import PackError
from engine.pack.spec import json_schemas
from engine.tester import TestReport, check_cases, load_cases, run_cases, select_cases

SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "rules": lambda: json_schemas()["rules"],
    "pack": lambda: json_schemas()["pack"],
    "tests": lambda: json_schemas()["tests"],
    "transaction": transaction_schema,
    "decision": decision_schema,
}


@click.group()
def rules() -> None:
    """Validate, test, list and show rule packs; print the JSON Schema of pack files."""


pack_argument = click.argument("pack_dir", required=False, type=click.Path(file_okay=False, path_type=Path))


@rules.command()
@pack_argument
@click.option("--json", "as_json", is_flag=True, help='Machine output: {"ok": bool, "diagnostics": [...]}.')
def validate(pack_dir: Path | None, as_json: bool) -> None:
    """Load PACK and its test cases; report every problem with file, line, column, code and hint.

    Exit status: 0 valid, 1 problems found."""
    root = engine.default_pack_path() if pack_dir is None else pack_dir
    problems: PackError | None = None
    pack = None
    try:
        pack = engine.load_pack(root)
        cases = load_cases(pack)
        found = check_cases(pack, cases)
        if found:
            problems = PackError(found, str(pack.root))
    except PackError as exc:
        problems = exc
    if as_json:
        diagnostics = [d.as_dict() for d in problems.diagnostics] if problems else []
        click.echo(json.dumps({"ok": problems is None, "diagnostics": diagnostics}, indent=2))
        sys.exit(0 if problems is None else 1)
    if problems is not None:
        click.echo(render_diagnostics(problems), err=True)
        sys.exit(1)
    assert pack is not None
    click.echo(
        f"ok: {pack.name} {pack.version}: {len(pack.rules)} rules, {len(pack.values)} values, "
        f"{len(pack.tables)} tables, {len(cases)} test cases, {pack.digest}"
    )


@rules.command(name="test")
@pack_argument
@click.option("--min-coverage", type=click.FloatRange(0, 100), default=0.0, help="Fail below this % of rules fired.")
@click.option("-v", "--verbose", is_flag=True, help="List every case.")
@click.option("-k", "pattern", default=None, help="Run only the cases whose name or file contains PATTERN.")
@click.option("--json", "as_json", is_flag=True, help="Machine output: every case, the coverage and the totals.")
@click.option("--junit", "junit", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the results as JUnit XML to FILE, for CI systems.")  # fmt: skip
@engine_option
def test_pack(
    pack_dir: Path | None, min_coverage: float, verbose: bool, pattern: str | None, as_json: bool,
    junit: Path | None, engine_name: str,
) -> None:  # fmt: skip
    """Run the YAML cases beside PACK and report rule coverage.

    Exit status: 0 all passed (and coverage reached), 1 otherwise."""
    pack = open_pack(pack_dir)
    try:
        cases = select_cases(load_cases(pack), pattern)
    except PackError as exc:
        fail(render_diagnostics(exc), 1)
    if not cases:
        fail(f"-k: no case matches `{pattern}`" if pattern else "the pack has no test cases", 1)
    with backend_for(pack, engine_name) as backend:
        report = run_cases(pack, cases, backend)
    if junit is not None:
        junit.write_text(report.junit_xml(pack.name), encoding="utf-8")
    coverage = report.coverage * 100
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        _print_report(report, verbose)
    if report.failed:
        sys.exit(1)
    if coverage < min_coverage:
        click.echo(f"error: rule coverage {coverage:.1f}% is below --min-coverage {min_coverage:g}%", err=True)
        sys.exit(1)


def _print_report(report: TestReport, verbose: bool) -> None:
    for result in report.results:
        if verbose or not result.passed:
            where = f"{result.file}:{result.line}"
            click.echo(f"{'PASS' if result.passed else 'FAIL'} {where} {result.name}")
            for problem in result.problems:
                click.echo(f"     {problem}")
    click.echo("\nrule coverage (cases in which each rule fired):")
    for rule_id in report.rules:
        click.echo(f"  {report.fired[rule_id]:>4}  {rule_id}")
    passed = len(report.results) - len(report.failed)
    click.echo(f"\n{passed} passed, {len(report.failed)} failed; rule coverage {report.coverage * 100:.1f}%")
    if report.uncovered:
        click.echo(f"rules never fired: {', '.join(report.uncovered)}")


@rules.command(name="schema")
@click.argument("kind", required=False, type=click.Choice(list(SCHEMAS)), default="rules")
def schema(kind: str) -> None:
    """Print a JSON Schema: of a pack file (rules, pack, tests), a transaction or a decision."""
    click.echo(json.dumps(SCHEMAS[kind](), indent=2))


@rules.command(name="list")
@pack_argument
@click.option("--on", "on", default=None, help="Only the rules in force on this date (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True)
@click.option("--published", is_flag=True, help="List the published versions instead (see `rules versions`).")
@click.option("--database", default=None, help="The decision log (with --published).")
@click.pass_context
def list_rules(
    context: click.Context, pack_dir: Path | None, on: str | None, as_json: bool, published: bool, database: str | None
) -> None:
    """List the rules of PACK with effect and dates in force (or, with --published, the published versions)."""
    if published:
        from engine.cli.versions import versions

        context.invoke(versions, pack_name=None, as_json=as_json, database=database)
        return
    pack = open_pack(pack_dir)
    chosen = list(pack.rules)
    if on is not None:
        try:
            day = dt.date.fromisoformat(on)
        except ValueError:
            fail(f"--on: `{on}` is not a date YYYY-MM-DD")
        chosen = list(pack.rules_on(day))
    if as_json:
        click.echo(json.dumps([r.summary() for r in chosen], indent=2))
        return
    for rule in chosen:
        since = rule.effective_from.isoformat() if rule.effective_from else "always"
        until = rule.effective_until.isoformat() if rule.effective_until else ""
        click.echo(f"{rule.id:<32} {rule.effect:<7} {since:>10} .. {until:<10} {rule.title}")


@rules.command(name="show")
@click.argument("rule_id")
@pack_argument
@click.option("--ruleset", default=None, help="A published version (label, pack@label or digest) instead of PACK.")
@click.option("--database", default=None, help="The decision log (with --ruleset).")
def show_rule(rule_id: str, pack_dir: Path | None, ruleset: str | None, database: str | None) -> None:
    """Show one rule of PACK (or of a published version): its condition, message, citation and dates."""
    pack = load_ruleset(ruleset, database) if ruleset is not None else open_pack(pack_dir)
    try:
        rule = pack.rule(rule_id)
    except KeyError:
        fail(f"rule `{rule_id}` is not in pack `{pack.name}`", 1)
    data = {
        **rule.summary(),
        "description": rule.description,
        "when": rule.when,
        "message": rule.message.source,
    }
    if rule.fee_rate is not None:
        data["fee"] = {"rate": str(rule.fee_rate), "of": rule.fee_of}
    click.echo(yaml.safe_dump(_plain(data), sort_keys=False, allow_unicode=True, width=100))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
