"""`clearance check`: judge transactions from JSON or YAML files.

Exit status: 0 allow, 1 deny, 3 review, 2 invalid input or usage. With several transactions the status
is the most severe: 2 if any is invalid, else 1 if any is denied, else 3 if any needs review.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import click
import yaml

import engine
from engine.cli.common import (
    EXIT_ALLOW,
    EXIT_FOR,
    EXIT_INVALID,
    SEVERITY,
    backend_for,
    engine_option,
    fail,
    open_pack,
    pack_option,
)
from engine.contract import Decision, money_text
from engine.errors import ClearanceError, InvalidTransaction


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


@click.command()
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
