"""`clearance check`: judge transactions from JSON or YAML files.

Exit status: 0 allow, 1 deny, 3 review, 2 invalid input or usage. With several transactions the status
is the most severe: 2 if any is invalid, else 1 if any is denied, else 3 if any needs review.
"""

from __future__ import annotations

import json
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

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
    printable,
)
from engine.cli.store import judging_pack, load_ruleset, named_log
from engine.contract import Decision, money_text
from engine.contract.documents import load_document
from engine.errors import ClearanceError, InvalidDocument, InvalidTransaction


def read_documents(source: str) -> tuple[str, Any]:
    """Read JSON or YAML from a file or `-`; return (name, data). Raise InvalidDocument when unreadable."""
    name = "<stdin>" if source == "-" else source
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidDocument(name, None, f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise InvalidDocument(name, None, f"not UTF-8 text (byte {exc.start})") from None
    return name, load_document(text, name)


class JsonOutput:
    """Decisions written as they come, so that memory stays flat: one object for one result, else a list."""

    def __init__(self) -> None:
        self.first: str | None = None
        self.count = 0

    def add(self, item: dict[str, Any]) -> None:
        text = json.dumps(item, indent=2)
        self.count += 1
        if self.count == 1:
            self.first = text
            return
        if self.count == 2:
            click.echo("[\n" + _indented(self.first or ""), nl=False)
        click.echo(",\n" + _indented(text), nl=False)

    def close(self) -> None:
        if self.count == 1:
            click.echo(self.first)
        elif self.count > 1:
            click.echo("\n]")


def _indented(text: str) -> str:
    return textwrap.indent(text, "  ")


@click.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Machine output: the decisions as JSON.")
@pack_option
@engine_option
@click.option("--ruleset", default=None, help="A published version (label, pack@label or digest) to judge under.")
@click.option(
    "--database",
    default=None,
    help="A decision log: judge under the newest version published there ($CLEARANCE_DATABASE; never ./clearance.db "
    "unless named).",
)
def check(
    files: tuple[str, ...], as_json: bool, pack_dir: Path | None, engine_name: str, ruleset: str | None,
    database: str | None,
) -> None:  # fmt: skip
    """Judge the transaction(s) in FILE (JSON or YAML; `-` reads stdin; one object or a list).

    Every transaction gets a decision or an error; a file that cannot be read gets an error entry and the
    others are still judged. Exit status: 0 allow, 1 deny, 3 review, 2 invalid input (the most severe)."""
    if ruleset is not None:
        pack = load_ruleset(ruleset, database)
    else:
        pack, _, header = judging_pack(open_pack(pack_dir), pack_dir is not None, database)
        if named_log(database):
            click.echo(printable(header), err=True)
    output = JsonOutput()
    status = EXIT_ALLOW
    tally: dict[str, int] = {}
    fees = Decimal("0.00")
    invalid = 0

    def error(where: str, code: str, message: str, details: list[dict[str, Any]] | None = None) -> None:
        nonlocal status, invalid
        status = worst(status, EXIT_INVALID)
        invalid += 1
        if as_json:
            output.add({"error": {"code": code, "message": f"{where}: {message}", "details": details or []}})
        else:
            click.echo(printable(f"{where}: {message}"), err=True)

    with backend_for(pack, engine_name) as backend:
        for source in files:
            if source.lower().endswith(".csv"):
                error(source, "csv_file", f"a CSV file is checked with `clearance batch {source} -o OUT.csv`")
                continue
            try:
                name, data = read_documents(source)
            except InvalidDocument as exc:
                error(exc.where, "invalid_document", exc.message)
                continue
            items = data if isinstance(data, list) else [data]
            if not items:
                error(name, "no_transactions", "no transactions (an empty list)")
            for index, item in enumerate(items):
                where = f"{name}[{index}]" if isinstance(data, list) else name
                try:
                    decision = engine.check(pack, item, backend=backend)
                except InvalidTransaction as exc:
                    error(where, "invalid_transaction", "invalid transaction: " + "; ".join(map(str, exc.errors)),
                          [e.as_dict() for e in exc.errors])  # fmt: skip
                    continue
                except ClearanceError as exc:
                    fail(f"{where}: {exc}")
                tally[decision.decision] = tally.get(decision.decision, 0) + 1
                fees += decision.fee_usd
                if as_json:
                    output.add(decision.as_dict())
                else:
                    click.echo(render_decision(decision))
                status = worst(status, EXIT_FOR[decision.decision])
    if as_json:
        output.close()
    elif sum(tally.values()) + invalid > 1:
        click.echo(render_tally(tally, fees, invalid))
    sys.exit(status)


def worst(a: int, b: int) -> int:
    return a if SEVERITY[a] >= SEVERITY[b] else b


def render_decision(decision: Decision) -> str:
    """A decision as text: the header (with its id), each finding with its citation and the values it read,
    then the explanation, where each finding's message is said once."""
    ruleset = decision.ruleset
    fee = f"fee {money_text(decision.fee_usd)}" if decision.decision == "allow" else "no fee"
    stamp = f"  [{decision.decision_id}]" if decision.decision_id else ""
    lines = [
        f"{decision.transaction_id}: {decision.decision.upper()}  {fee}  "
        f"({ruleset['pack']} {ruleset.get('label') or ruleset['version']}, {str(ruleset['digest'])[:15]}){stamp}"
    ]
    for finding in decision.findings:
        lines.append(f"  {finding.effect:<6} {finding.rule}: {finding.title}")
        if finding.reason is not None:
            lines.extend(textwrap.wrap(f"could not be evaluated: {finding.reason}", 100, initial_indent=" " * 9,
                                       subsequent_indent=" " * 9))  # fmt: skip
        lines.append(f"         cite: {finding.cite}")
        for cond in finding.conditions:
            verdict = {True: "true", False: "false", None: "missing"}[cond.result]
            observed = json.dumps(cond.observed, default=str, ensure_ascii=False)
            lines.append(f"         {verdict:<7} {cond.expr}   (observed: {observed})")
    lines.append("")
    lines.extend(textwrap.wrap(decision.explanation, 100, initial_indent="  ", subsequent_indent="  "))
    lines.append("")
    return "\n".join(printable(line) for line in lines)


def render_tally(tally: dict[str, int], fees: Decimal, invalid: int) -> str:
    """The day's work in one line: counts by decision, invalid inputs, and the fees owed."""
    counts = ", ".join(f"{tally.get(outcome, 0)} {outcome}" for outcome in ("allow", "deny", "review"))
    judged = sum(tally.values())
    extra = f", {invalid} invalid" if invalid else ""
    return f"{judged} decision{'s' if judged != 1 else ''}: {counts}{extra}; fees owed {money_text(fees)}"
