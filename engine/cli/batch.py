"""`clearance batch IN.csv -o OUT.csv`: every row of a CSV file judged, in input order."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from engine.batch import BatchInputError, BatchOptions, Interrupted, Summary, run_batch
from engine.cli.common import EXIT_INVALID, fail, open_pack, pack_option, printable
from engine.cli.store import judging_pack

EXIT_INTERRUPTED = 130


@click.command()
@click.argument("input_path", metavar="IN.csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Output file.")
@click.option("--jsonl", is_flag=True, help="Write JSON lines instead of CSV.")
@click.option(
    "--workers", type=click.IntRange(min=1), default=None, help="Local worker processes (default: the cores)."
)
@click.option("--scheduler", metavar="ADDRESS", default=None, help="Run on a Dask cluster (tcp://HOST:PORT).")
@click.option("--summary", "summary_path", type=click.Path(dir_okay=False, path_type=Path), help="Summary as JSON.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its last checkpoint.")
@click.option("--chunk-rows", type=click.IntRange(1, 1_000_000), default=1000, hidden=True)
@click.option("--checkpoint-seconds", type=click.FloatRange(0), default=2.0, hidden=True)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when stderr is a terminal).")
@click.option(
    "--database",
    default=None,
    help="A decision log: judge under the newest version published there and count license usage against it "
    "($CLEARANCE_DATABASE; never ./clearance.db unless named). Without one, rows that rely on a license are "
    "held for review.",
)
@pack_option
def batch(
    input_path: Path, output: Path, jsonl: bool, workers: int | None, scheduler: str | None,
    summary_path: Path | None, resume: bool, chunk_rows: int, checkpoint_seconds: float, progress: bool | None,
    database: str | None, pack_dir: Path | None,
) -> None:  # fmt: skip
    """Check every row of a CSV file of transactions.

    Each input row gives one output row, in input order: its cells, then decision, fee_usd, rules, explanation,
    ruleset_version and error (a row that cannot be judged has `error` filled and no decision). Cells that a
    spreadsheet would run as formulas are prefixed with '. The output appears only when complete (it is written
    to OUT.partial first); after an interruption, --resume continues from the last checkpoint."""
    if input_path.resolve() == output.resolve():
        fail("the output file must not be the input file")
    pack, store, header = judging_pack(open_pack(pack_dir), pack_dir is not None, database)
    usage = store.usage() if store is not None else None
    counting = (
        "license usage counted against the decision log (its totals now)"
        if store is not None
        else "license usage not counted against a decision log: rows that rely on a license are held for review"
    )
    click.echo(printable(f"{header}; {counting}"), err=True)
    options = BatchOptions(
        input=input_path,
        output=output,
        pack_dir=pack.root,
        jsonl=jsonl,
        workers=workers or os.cpu_count() or 1,
        scheduler=scheduler,
        resume=resume,
        chunk_rows=chunk_rows,
        checkpoint_seconds=checkpoint_seconds,
        usage=usage,
    )
    show = sys.stderr.isatty() if progress is None else progress
    try:
        summary = _with_progress(options, pack) if show else run_batch(options, pack)
    except BatchInputError as exc:
        fail(str(exc), EXIT_INVALID)
    except (KeyboardInterrupt, Interrupted):
        click.echo(
            f"interrupted: {output} was not written; run the same command with --resume to continue from the "
            "last checkpoint",
            err=True,
        )
        sys.exit(EXIT_INTERRUPTED)
    report = {**summary.as_dict(), "input": str(input_path), "output": str(output), "ruleset": pack.ruleset}
    report["workers"] = "dask " + scheduler if scheduler else options.workers
    if summary_path is not None:
        summary_path.write_text(json.dumps(report, indent=2) + "\n")
    click.echo(_text(report, summary), err=True)


def _with_progress(options: BatchOptions, pack: Any) -> Summary:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]:,} rows, {task.fields[rate]:,.0f} rows/s"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(options.input.name, total=max(options.input.stat().st_size, 1), rows=0, rate=0.0)
        started = bar.get_time()

        def update(done: int, total: int, rows: int) -> None:
            elapsed = max(bar.get_time() - started, 1e-9)
            bar.update(task, completed=done, rows=rows, rate=rows / elapsed)

        return run_batch(options, pack, update)


def _text(report: dict[str, Any], summary: Summary) -> str:
    decisions = report["decisions"]
    lines = [
        f"{report['rows']:,} rows in {report['seconds']:.1f} s ({report['rows_per_second'] or 0:,} rows/s): "
        + ", ".join(f"{decisions[k]:,} {k}" for k in ("allow", "deny", "review", "error")),
        f"fees owed on allowed rows: USD {Decimal_text(report['total_fees_usd'])}",
    ]
    if report["top_rules"]:
        lines.append("most frequent rules: " + ", ".join(f"{r['rule']} ({r['count']:,})" for r in report["top_rules"]))
    if report["errors_by_column"]:
        lines.append("errors by column: " + ", ".join(f"{c} ({n:,})" for c, n in report["errors_by_column"].items()))
    lines.append(f"wrote {report['output']}")
    return "\n".join(lines)


def Decimal_text(amount: str) -> str:
    from decimal import Decimal

    return f"{Decimal(amount):,}"
