"""`clearance rules publish|versions|version|diff`, `clearance replay`, `clearance simulate`, `clearance log
verify`: versions of rule packs in the decision log, and what a change does."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from engine.cli.common import fail, open_pack, pack_option, printable, render_diagnostics
from engine.cli.store import database_option, log_group, named_log, open_log
from engine.contract import transaction_from_row
from engine.errors import ClearanceError, PackError
from engine.evaluation import FactProvider
from engine.pack import Pack
from engine.store import StoreError
from engine.store.diff import diff, render
from engine.store.shadows import render as render_shadow
from engine.store.simulate import render as render_simulation
from engine.store.simulate import simulate
from engine.store.versions import pack_files


@click.command("publish")
@click.argument("pack_dir", metavar="PACK", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--note", required=True, help="What changed, and why (kept with the version).")
@click.option("--label", default=None, help="The version's label (default: the pack's `version`).")
@click.option("--by", "by", default=os.environ.get("USER"), help="Who publishes (default: $USER).")
@click.option("--activate", is_flag=True, help="Also put it in force (`rules activate`), with the same note.")
@database_option
def publish(pack_dir: Path, note: str, label: str | None, by: str | None, activate: bool, database: str | None) -> None:
    """Publish PACK as an immutable version, after its own tests pass. Publishing does not put it in force:
    `clearance rules activate PACK@LABEL` does (or `--activate` here)."""
    store = open_log(database)
    try:
        record, created = store.publish(pack_dir, note, by, label)
        if activate:
            store.activate(record["digest"], note, by)
    except PackError as exc:
        fail(render_diagnostics(exc))
    except ClearanceError as exc:
        fail(str(exc))
    in_force = store.in_force(record["pack"])
    state = "in force" if in_force and in_force["digest"] == record["digest"] else "not in force"
    if created:
        click.echo(f"published: {record['pack']} {record['label']} {record['digest']} ({state})")
    else:  # the same content: that version, whatever label was asked for
        asked = f" (asked for `{label}`)" if label and label != record["label"] else ""
        click.echo(f"already published as {record['pack']} {record['label']}{asked}: {record['digest']} ({state})")
    if in_force is not None and state == "not in force":
        click.echo(f"in force: {in_force['pack']} {in_force['label']}; put it in force with "
                   f"`clearance rules activate {record['pack']}@{record['label']} --note ...`")  # fmt: skip


@click.command("activate")
@click.argument("ref", metavar="PACK@LABEL")
@click.option("--note", required=True, help="Why (kept in the log with who and when).")
@click.option("--by", "by", default=os.environ.get("USER"), help="Who activates (default: $USER).")
@database_option
def activate(ref: str, note: str, by: str | None, database: str | None) -> None:
    """Put a published version in force; servers take it within five seconds. Rolling back is activating an
    earlier version. Every activation is an entry of the tamper-evident log."""
    try:
        record = open_log(database).activate(ref, note, by)
    except ClearanceError as exc:
        fail(str(exc))
    previous = f" (was {record['previous'][:19]})" if record["previous"] else ""
    click.echo(f"in force: {record['pack']} {record['label']} {record['digest']}{previous}")


@click.command("versions")
@click.option("--pack", "pack_name", default=None, help="Only this pack's versions.")
@click.option("--json", "as_json", is_flag=True)
@database_option
def versions(pack_name: str | None, as_json: bool, database: str | None) -> None:
    """The published versions, oldest first, the one in force marked; then the activations."""
    store = open_log(database)
    found = store.versions(pack_name)
    forces = {name: store.in_force(name) for name in dict.fromkeys(v["pack"] for v in found)}
    for item in found:
        held = forces.get(item["pack"])
        item["in_force"] = held is not None and held["digest"] == item["digest"]
    activations = store.activations(pack_name)
    if as_json:
        click.echo(json.dumps({"versions": found, "activations": activations}, indent=2))
        return
    for item in found:
        mark = "*" if item["in_force"] else " "
        click.echo(printable(f"{mark} {item['published_at']}  {item['pack']} {item['label']}  {item['digest']}  "
                             f"by {item['published_by']}: {item['note']}"))  # fmt: skip
    if not any(item["in_force"] for item in found):
        click.echo("(no version activated: servers judge under the pack they were started with)")
    for event in activations:
        click.echo(printable(f"  activated {event['activated_at']}  {event['pack']} {event['label']}  by "
                             f"{event['activated_by']}: {event['note']}"))  # fmt: skip


@click.command("shadow")
@click.argument("target", metavar="PACK@LABEL|report", required=False)
@click.argument("pack_name", metavar="[PACK]", required=False)
@click.option("--off", is_flag=True, help="Stop shadowing (the pack named, or the only one shadowed).")
@click.option("--by", "by", default=os.environ.get("USER"), help="Who (default: $USER).")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
@database_option
def shadow(
    target: str | None, pack_name: str | None, off: bool, by: str | None, as_json: bool, database: str | None
) -> None:
    """Judge every live decision again under a candidate version, beside the one in force: the candidate's
    answer is stored beside the decision, never sent and never counted against a license. `shadow report`
    lists where the two disagree; `shadow --off` ends it."""
    store = open_log(database)
    if off or target in (None, "report"):
        name = pack_name or (target if off and target not in (None, "report") else None) or _only_pack(store)
        if off:
            ended = store.stop_shadow(name, by)
            click.echo(f"shadow of {name} ended" + (f" ({ended['label']})" if ended else ": none was on"))
            return
        report = store.shadow_report(name)
        click.echo(json.dumps(report, indent=2, ensure_ascii=False) if as_json else _lines(render_shadow(report)))
        return
    try:
        record = store.shadow(target, by)
    except ClearanceError as exc:
        fail(str(exc))
    click.echo(f"shadowing {record['pack']} {record['label']} ({record['digest'][:19]}) beside the version in force; "
               f"`clearance rules shadow report` lists where they disagree")  # fmt: skip


def _only_pack(store: Any) -> str:
    packs = sorted({v["pack"] for v in store.versions()})
    if len(packs) != 1:
        fail(f"name the pack: the log has versions of {', '.join(packs) or 'no pack'}")
    return packs[0]


@click.command("version")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@database_option
def version(ref: str, as_json: bool, database: str | None) -> None:
    """One published version (label, pack@label or digest): who, when, why, and its files."""
    try:
        record = open_log(database).version(ref)
    except StoreError as exc:
        fail(str(exc))
    files = record.pop("files")
    if as_json:
        click.echo(json.dumps({**record, "files": sorted(files)}, indent=2))
        return
    for key, value in record.items():
        click.echo(printable(f"{key}: {value}"))
    click.echo(f"files: {len(files)} ({', '.join(sorted(files)[:8])}{', ...' if len(files) > 8 else ''})")


def files_of(ref: str, database: str | None) -> dict[str, str]:
    """A version's files: a directory, or a published version."""
    path = Path(ref)
    if path.is_dir():
        try:
            return pack_files(path)
        except PackError as exc:
            fail(render_diagnostics(exc))
    try:
        files: dict[str, str] = open_log(database).version(ref)["files"]
    except StoreError as exc:
        fail(f"`{ref}` is neither a directory nor a published version: {exc}")
    return files


@click.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True)
@database_option
def rules_diff(old: str, new: str, as_json: bool, database: str | None) -> None:
    """What changed from OLD to NEW (each a published version or a pack directory)."""
    result = diff(files_of(old, database), files_of(new, database))
    click.echo(json.dumps(result, indent=2, ensure_ascii=False) if as_json else _lines(render(result)))


@click.command()
@click.argument("decision_id")
@pack_option
@database_option
def replay(decision_id: str, pack_dir: Path | None, database: str | None) -> None:
    """Judge a logged decision again under the version it was made under; exit 1 when the result differs."""
    fallback = open_pack(pack_dir)
    try:
        stored, again = open_log(database).replay(decision_id, fallback)
    except StoreError as exc:
        fail(str(exc))
    if stored == again:
        click.echo(f"{stored['decision_id']}: identical ({stored['decision']}, {stored['ruleset']['digest']})")
        return
    for key in sorted(stored.keys() | again.keys()):
        if stored.get(key) != again.get(key):
            click.echo(
                printable(f"{key}: logged {json.dumps(stored.get(key))[:300]} / now {json.dumps(again.get(key))[:300]}")
            )
    raise SystemExit(1)


@click.command("simulate")
@click.option("--candidate", type=click.Path(file_okay=False, exists=True, path_type=Path), required=True)
@click.option("--against", default=None, help="The current version (default: the one in force, or --pack).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Logged decisions since this day.")
@click.option(
    "--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
    help="Judge every transaction as if it shipped on this day (a change dated in the future, tried today).",
)  # fmt: skip
@click.option("--input", "input_path", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="A CSV file of transactions instead of the log.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True)
@pack_option
@database_option
def simulate_command(
    candidate: Path, against: str | None, since: dt.datetime | None, as_of: dt.datetime | None,
    input_path: Path | None, as_json: bool, pack_dir: Path | None, database: str | None,
) -> None:  # fmt: skip
    """Judge logged transactions (or a CSV file) under the current version and the CANDIDATE; report every
    decision that would flip and every fee that would change, with the rules responsible. Rows whose decision
    and fee stay the same are counted, not listed."""
    proposed = open_pack(candidate)
    store = open_log(database) if input_path is None or named_log(database) else None
    try:
        if against is not None:
            current = (store or open_log(database)).load_version(against)
        else:
            held = store.in_force(proposed.name) if store is not None else None
            current = store.load_version(held["digest"]) if store is not None and held else open_pack(pack_dir)
    except StoreError as exc:
        fail(str(exc))
    if input_path is not None:
        items: Iterator[tuple[Any, FactProvider | None]] = _csv_items(proposed, input_path)
    else:
        assert store is not None
        items = store.logged(since.replace(tzinfo=dt.timezone.utc) if since else None)
    result = simulate(current, proposed, items, as_of=as_of.date() if as_of else None)
    click.echo(json.dumps(result, indent=2) if as_json else _lines(render_simulation(result)))


def _lines(text: str) -> str:
    return "\n".join(printable(line) for line in text.splitlines())


def _csv_items(pack: Pack, path: Path) -> Iterator[tuple[Any, FactProvider | None]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            try:
                yield pack.transaction(transaction_from_row(row)), None
            except ClearanceError:
                continue  # a row that is not a valid transaction cannot flip


key_file_option = click.option(
    "--key-file",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="The log's key, for a keyed log (default: $CLEARANCE_LOG_KEY_FILE or $CLEARANCE_LOG_KEY).",
)


def _keyed_log(database: str | None, key_file: str | None) -> Any:
    from engine.store.chain import log_key

    store = open_log(database)
    if key_file:
        try:
            store.chain = type(store.chain)(log_key(key_file))
        except StoreError as exc:
            fail(str(exc))
    return store


def _anchor(text: str) -> tuple[int, str]:
    seq, _, digest = text.strip().partition(":")
    if not seq.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise click.BadParameter("an anchor is `SEQ:HASH`, as `clearance log anchor` prints it", param_hint="--anchor")
    return int(seq), digest


@log_group.command("verify")
@click.option("--anchor", "anchor_text", metavar="HEAD", default=None, help="An anchor taken earlier (`log anchor`).")
@key_file_option
@database_option
def log_verify(anchor_text: str | None, key_file: str | None, database: str | None) -> None:
    """Check the log's hash chain: name every entry altered, removed or moved since it was written, every
    column, review or usage total that disagrees with the chain, a head moved back, and (with --anchor) a log
    cut back or rebuilt since the anchor was taken. Exit 1 when anything is wrong."""
    anchor = _anchor(anchor_text) if anchor_text else None
    report = _keyed_log(database, key_file).verify(anchor)
    for problem in report.problems:
        click.echo(printable(problem))
    for note in report.notes:
        click.echo(printable(f"note: {note}"))
    checked = report.checked
    mode = "keyed" if report.head and report.head.keyed_from is not None else "unkeyed"
    click.echo(
        f"{checked:,} {'entry' if checked == 1 else 'entries'} checked ({mode}"
        + (f", against the anchor at entry {anchor[0]}" if anchor else "")
        + "): "
        + (
            "the chain is intact"
            if not report.problems
            else f"{len(report.problems)} problem{'s' if len(report.problems) > 1 else ''}"
        )
    )
    if report.problems:
        raise SystemExit(1)


@log_group.command("anchor")
@database_option
def log_anchor(database: str | None) -> None:
    """Print the head of the chain (`SEQ:HASH`): keep it outside the database (a ticket, a notebook, another
    system), and `log verify --anchor SEQ:HASH` later shows whether the log was cut back or rewritten since."""
    try:
        found = open_log(database).anchor()
    except StoreError as exc:
        fail(str(exc))
    click.echo(f"{found.seq}:{found.hash}")


@log_group.command("new-key")
def log_new_key() -> None:
    """Print a new random key for a keyed log (keep it in a file outside the database, readable by the server
    only, and name it with $CLEARANCE_LOG_KEY_FILE)."""
    import secrets

    click.echo(secrets.token_urlsafe(48))
