"""`clearance screen`: a party's name against denied-party lists."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import click

from engine.cli.common import EXIT_ALLOW, EXIT_DENY, EXIT_REVIEW, fail, open_pack, pack_option, printable
from engine.contract.transaction import MAX_NAME
from engine.errors import ScreeningListError
from engine.screening import PartyMatch, ScreeningIndex


@click.command()
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
    if not name.strip():
        fail("NAME: give the name of a party to screen")
    if len(name) > MAX_NAME:
        fail(f"NAME: a party name is at most {MAX_NAME} characters")
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
        shipped = open_pack(pack_dir).screening
        if shipped is None:
            fail("the pack declares no denied-party lists; name one with --list")
        index = shipped
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
        click.echo(printable(f"`{name}` against {entries:,} entries in {len(index.files)} list file(s):"))
        if not matches:
            click.echo(f"  no match at or above {threshold:.2f}")
        for m in matches:
            label = "STRONG" if m.score >= 0.92 else "possible"
            alias = " (alias)" if m.alias else ""
            click.echo(printable(f"  {m.score:.4f} {label:<8} {m.entry.list_code:<4} {m.entry.name}"))
            notice = m.entry.federal_register_notice or "notice not given"
            click.echo(printable(f"         matched `{m.matched_name}`{alias}; {notice}"))
            for reason in m.reasons:
                click.echo(printable(f"         - {reason}"))
    best = max((m.score for m in matches), default=0.0)
    sys.exit(EXIT_DENY if best >= 0.92 else EXIT_REVIEW if best >= 0.80 else EXIT_ALLOW)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
