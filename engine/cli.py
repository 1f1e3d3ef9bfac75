"""The `clearance` command.

Exit status of `check`: 0 allow, 1 deny, 3 review, 2 invalid input or usage. With several transactions
the status is the most severe: 2 if any is invalid, else 1 if any is denied, else 3 if any needs review.
"""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
import yaml

import engine
from engine.decision import Decision, money_text
from engine.errors import ClearanceError, InvalidTransaction, PackError
from engine.pack import Pack

EXIT_ALLOW, EXIT_DENY, EXIT_INVALID, EXIT_REVIEW = 0, 1, 2, 3
EXIT_FOR = {"allow": EXIT_ALLOW, "deny": EXIT_DENY, "review": EXIT_REVIEW}
SEVERITY = {EXIT_ALLOW: 0, EXIT_REVIEW: 1, EXIT_DENY: 2, EXIT_INVALID: 3}

pack_option = click.option(
    "--pack",
    "pack_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Rule pack directory (default: the shipped pack, or $CLEARANCE_PACK).",
)
engine_option = click.option(
    "--engine",
    "engine_name",
    type=click.Choice(engine.BACKENDS),
    default="native",
    show_default=True,
    help="Evaluation backend.",
)


def fail(message: str, status: int = EXIT_INVALID) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def open_pack(path: Path | None) -> Pack:
    try:
        return engine.load_pack(path)
    except PackError as exc:
        fail(str(exc))


@contextmanager
def backend_for(pack: Pack, name: str) -> Iterator[engine.Backend]:
    try:
        backend = engine.make_backend(pack, name)
    except ClearanceError as exc:
        fail(str(exc))
    try:
        yield backend
    finally:
        backend.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="clearance")
def main() -> None:
    """Screen AI-accelerator exports against dated, declarative rule packs."""


# check -------------------------------------------------------------------------------------------------
def read_documents(source: str) -> tuple[str, Any]:
    """Read JSON or YAML from a file or `-`; return (name, data)."""
    name = "<stdin>" if source == "-" else source
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"{name}: cannot read: {exc.strerror}")
    except UnicodeDecodeError:
        fail(f"{name}: not UTF-8 text")
    try:
        return name, json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return name, yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f":{mark.line + 1}" if mark else ""
        fail(f"{name}{where}: neither JSON nor YAML: {exc.problem}")
    except yaml.YAMLError as exc:
        fail(f"{name}: neither JSON nor YAML: {exc}")


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Machine output: the decisions as JSON.")
@pack_option
@engine_option
def check(files: tuple[str, ...], as_json: bool, pack_dir: Path | None, engine_name: str) -> None:
    """Judge the transaction(s) in FILE (JSON or YAML; `-` reads stdin; one object or a list)."""
    pack = open_pack(pack_dir)
    outputs: list[dict[str, Any]] = []
    status = EXIT_ALLOW
    with backend_for(pack, engine_name) as backend:
        for source in files:
            name, data = read_documents(source)
            items = data if isinstance(data, list) else [data]
            for index, item in enumerate(items):
                where = f"{name}[{index}]" if isinstance(data, list) else name
                try:
                    decision = engine.check(pack, item, backend=backend)
                except InvalidTransaction as exc:
                    outputs.append({"error": invalid_body(exc, where)})
                    if not as_json:
                        click.echo(f"{where}: {exc}", err=True)
                    status = worst(status, EXIT_INVALID)
                    continue
                except ClearanceError as exc:
                    fail(f"{where}: {exc}")
                outputs.append(decision.as_dict())
                if not as_json:
                    click.echo(render_decision(decision))
                status = worst(status, EXIT_FOR[decision.decision])
    if as_json:
        click.echo(json.dumps(outputs[0] if len(outputs) == 1 else outputs, indent=2))
    sys.exit(status)


def worst(a: int, b: int) -> int:
    return a if SEVERITY[a] >= SEVERITY[b] else b


def invalid_body(exc: InvalidTransaction, where: str) -> dict[str, Any]:
    return {
        "code": "invalid_transaction",
        "message": f"{where}: invalid transaction",
        "details": [e.as_dict() for e in exc.errors],
    }


def render_decision(decision: Decision) -> str:
    ruleset = decision.ruleset
    fee = f"fee {money_text(decision.fee_usd)}" if decision.decision == "allow" else "no fee"
    lines = [
        f"{decision.transaction_id}: {decision.decision.upper()}  {fee}  "
        f"({ruleset['pack']} {ruleset['version']}, {ruleset['digest'][:15]})"
    ]
    for finding in decision.findings:
        lines.append(f"  {finding.effect:<6} {finding.rule}: {finding.title}")
        lines.extend(textwrap.wrap(finding.message, 100, initial_indent="         ", subsequent_indent="         "))
        lines.append(f"         cite: {finding.cite}")
        for cond in finding.conditions:
            verdict = {True: "true", False: "false", None: "missing"}[cond.result]
            observed = json.dumps(cond.observed, default=str)
            lines.append(f"         {verdict:<7} {cond.expr}   (observed: {observed})")
    lines.append("")
    lines.extend(textwrap.wrap(decision.explanation, 100, initial_indent="  ", subsequent_indent="  "))
    lines.append("")
    return "\n".join(lines)


# rules -------------------------------------------------------------------------------------------------
@main.group()
def rules() -> None:
    """Validate, test, list and show rule packs; print the JSON Schema of pack files."""


@rules.command()
@click.argument("pack_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
def validate(pack_dir: Path | None) -> None:
    """Load PACK and report every problem with file, line and rule id."""
    try:
        pack = engine.load_pack(pack_dir)
    except PackError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(
        f"ok: {pack.name} {pack.version}: {len(pack.rules)} rules, {len(pack.values)} values, "
        f"{len(pack.tables)} tables, {pack.digest}"
    )


@rules.command(name="test")
@click.argument("pack_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--min-coverage", type=click.FloatRange(0, 100), default=0.0, help="Fail below this % of rules fired.")
@click.option("-v", "--verbose", is_flag=True, help="List every case.")
@engine_option
def test_pack(pack_dir: Path | None, min_coverage: float, verbose: bool, engine_name: str) -> None:
    """Run the YAML cases beside PACK and report rule coverage."""
    from engine.tester import load_cases, run_cases

    pack = open_pack(pack_dir)
    try:
        cases = load_cases(pack)
    except PackError as exc:
        fail(str(exc), 1)
    with backend_for(pack, engine_name) as backend:
        report = run_cases(pack, cases, backend)
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
    coverage = report.coverage * 100
    click.echo(f"\n{passed} passed, {len(report.failed)} failed; rule coverage {coverage:.1f}%")
    if report.uncovered:
        click.echo(f"rules never fired: {', '.join(report.uncovered)}")
    if report.failed:
        sys.exit(1)
    if coverage < min_coverage:
        click.echo(f"error: rule coverage {coverage:.1f}% is below --min-coverage {min_coverage:g}%", err=True)
        sys.exit(1)


@rules.command(name="schema")
@click.argument("kind", required=False, type=click.Choice(["rules", "pack", "tests"]), default="rules")
def schema(kind: str) -> None:
    """Print the JSON Schema of a kind of pack file (rules, pack or tests) for editors."""
    from engine.spec import json_schemas

    click.echo(json.dumps(json_schemas()[kind], indent=2))


@rules.command(name="list")
@click.argument("pack_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--on", "on", default=None, help="Only the rules in force on this date (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True)
def list_rules(pack_dir: Path | None, on: str | None, as_json: bool) -> None:
    """List the rules of PACK with effect and dates in force."""
    import datetime as dt

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
@click.argument("pack_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
def show_rule(rule_id: str, pack_dir: Path | None) -> None:
    """Show one rule of PACK: its condition, message, citation and dates."""
    pack = open_pack(pack_dir)
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


# screen ------------------------------------------------------------------------------------------------
@main.command()
@click.argument("name")
@click.option("--country", default=None, help="ISO alpha-2 country of the party (reported, never a filter).")
@click.option("--list", "lists", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A CSL CSV file to screen against, instead of the pack's lists (repeatable).")  # fmt: skip
@click.option("--on", "on", default=None, help="Only entries in force on this date (YYYY-MM-DD).")
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.80, show_default=True)
@click.option("--limit", type=click.IntRange(1, 100), default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine output.")
@pack_option
def screen(
    name: str,
    country: str | None,
    lists: tuple[Path, ...],
    on: str | None,
    threshold: float,
    limit: int,
    as_json: bool,
    pack_dir: Path | None,
) -> None:
    """Screen NAME against denied-party lists: the best matches, with scores and why.

    Exit status: 0 no match, 1 a strong match (>= 0.92), 3 a possible match, 2 usage or a bad list file.
    """
    import datetime as dt

    from engine.errors import ScreeningListError
    from engine.screening import ScreeningIndex
    from engine.screening_rules import PartyMatch

    day = None
    if on is not None:
        try:
            day = dt.date.fromisoformat(on)
        except ValueError:
            fail(f"--on: `{on}` is not a date YYYY-MM-DD")
    if country is not None and not (len(country) == 2 and country.isalpha() and country.isupper()):
        fail(f"--country: `{country}` is not an ISO alpha-2 code in upper case")
    if lists:
        try:
            index = ScreeningIndex.from_files(list(lists))
        except ScreeningListError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"{exc.filename}: cannot read: {exc.strerror}")
    else:
        index = open_pack(pack_dir).screening
        if index is None:
            fail("the pack declares no denied-party lists; name one with --list")
    matches = index.screen(name, on=day, country=country, threshold=threshold, limit=limit)
    if as_json:
        click.echo(json.dumps({
            "query": name,
            "lists": [{"path": f.path, "digest": f.digest, "entries": f.entries} for f in index.files],
            "matches": [{**PartyMatch.of(m).as_observed(), "alias": m.alias, "reasons": list(m.reasons),
                         "source": m.entry.source, "start_date": _iso(m.entry.start_date),
                         "end_date": _iso(m.entry.end_date), "file": m.entry.file, "line": m.entry.line}
                        for m in matches],
        }, indent=2))  # fmt: skip
    else:
        entries = sum(f.entries for f in index.files)
        click.echo(f"`{name}` against {entries:,} entries in {len(index.files)} list file(s):")
        if not matches:
            click.echo(f"  no match at or above {threshold:.2f}")
        for m in matches:
            label = "STRONG" if m.score >= 0.92 else "possible"
            alias = " (alias)" if m.alias else ""
            click.echo(f"  {m.score:.4f} {label:<8} {m.entry.list_code:<4} {m.entry.name}")
            click.echo(
                f"         matched `{m.matched_name}`{alias}; {m.entry.federal_register_notice or 'notice not given'}"
            )
            for reason in m.reasons:
                click.echo(f"         - {reason}")
    best = max((m.score for m in matches), default=0.0)
    sys.exit(EXIT_DENY if best >= 0.92 else EXIT_REVIEW if best >= 0.80 else EXIT_ALLOW)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


if __name__ == "__main__":  # pragma: no cover
    main()
