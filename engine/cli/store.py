"""`clearance keys|log|reviews`: API keys, the decision log and the review queue, from the command line."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import click
import yaml

from engine.cli.common import fail, printable
from engine.pack import Pack
from engine.store import ROLES, Conflict, DecisionLog, NotFound, StoreError

DEFAULT_DATABASE = "clearance.db"

database_option = click.option(
    "--database",
    default=None,
    help="Database URL (postgresql://...) or SQLite file (default: $CLEARANCE_DATABASE or ./clearance.db).",
)


def database_target(database: str | None) -> str:
    """The decision log a command uses: `--database`, else $CLEARANCE_DATABASE, else ./clearance.db."""
    return database or os.environ.get("CLEARANCE_DATABASE") or DEFAULT_DATABASE


def open_log(database: str | None) -> DecisionLog:
    store = DecisionLog(database_target(database))
    click.get_current_context().call_on_close(store.close)
    try:
        store.migrate()
    except Exception as exc:  # a database that cannot be reached or read
        fail(f"the decision log cannot be opened: {exc}")
    return store


def named_log(database: str | None) -> str | None:
    """The decision log a command was told of: `--database`, else $CLEARANCE_DATABASE; never a `./clearance.db`
    that happens to be in the working directory (it must not change the rules or the counts silently)."""
    return database or os.environ.get("CLEARANCE_DATABASE") or None


def judging_pack(pack: Pack, explicit: bool, database: str | None) -> tuple[Pack, DecisionLog | None, str]:
    """The pack a command judges under, the log it was told of, and a line saying which: with a log named,
    the version in force there (unless a pack directory was given explicitly); else the pack itself."""
    target = named_log(database)
    where = _shown(pack.root) if explicit or os.environ.get("CLEARANCE_PACK") else "the shipped pack"
    if target is None:
        return pack, None, f"rules: {pack.name} {pack.version} from {where} (no decision log named)"
    store = open_log(target)
    held = None if explicit else store.in_force(pack.name)
    if held is None:
        why = "a pack directory given" if explicit else "no version activated there"
        return pack, store, f"rules: {pack.name} {pack.version} from {where} ({why}); decision log {target}"
    try:
        version = store.load_version(held["digest"])
    except StoreError as exc:
        fail(str(exc))
    return version, store, f"rules: {pack.name} {held['label']} ({held['digest'][:19]}), in force in {target}"


def _shown(path: Path) -> str:
    """A path as a user gave it: relative to the working directory when it is below it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def load_ruleset(ref: str, database: str | None) -> Pack:
    """A published version (label, pack@label or digest) from the decision log; fail saying why it cannot be."""
    try:
        return open_log(database).load_version(ref)
    except StoreError as exc:
        fail(str(exc))


@click.group()
def keys() -> None:
    """API keys (each with one role)."""


@keys.command("create")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--label", default=None, help="Who or what the key is for.")
@click.option("--only-if-none", is_flag=True, help="Create a key only if the log has none yet.")
@database_option
def keys_create(role: str, label: str | None, only_if_none: bool, database: str | None) -> None:
    """Create an API key and print it (once: the log keeps only a digest of it)."""
    store = open_log(database)
    if only_if_none and store.has_keys():
        click.echo("the decision log has API keys already; none created", err=True)
        return
    key = store.create_key(role, label)
    click.echo(key)
    click.echo(f"a `{role}` key: keep it now, it cannot be shown again", err=True)


@keys.command("list")
@database_option
def keys_list(database: str | None) -> None:
    """Every key: its id, role, label, and when it was created or revoked (never the key itself)."""
    for item in open_log(database).list_keys():
        revoked = f"  revoked {item['revoked_at']}" if item["revoked_at"] else ""
        click.echo(
            printable(f"{item['key_id']}  {item['role']:<12} {item['created_at']}  {item['label'] or ''}{revoked}")
        )


@keys.command("revoke")
@click.argument("key_id")
@database_option
def keys_revoke(key_id: str, database: str | None) -> None:
    """Revoke a key by its id (`clr_<id>_...`); servers stop accepting it within ten seconds."""
    if not open_log(database).revoke(key_id.removeprefix("clr_").split("_")[0]):
        fail(f"no active key `{key_id}`")
    click.echo(f"revoked {key_id}")


@click.group("log")
def log_group() -> None:
    """The decision log."""


@log_group.command("list")
@click.option("--decision", "outcome", type=click.Choice(["allow", "deny", "review"]), default=None)
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None)
@click.option("--customer", default=None, help="Part of the customer's name, or its id.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON lines.")
@database_option
def log_list(
    outcome: str | None, since: dt.datetime | None, customer: str | None, limit: int, as_json: bool,
    database: str | None,
) -> None:  # fmt: skip
    """Decisions in log order, filtered."""
    store = open_log(database)
    when = since.replace(tzinfo=dt.timezone.utc) if since else None
    items, _ = store.search(outcome=outcome, since=when, customer=customer, limit=limit)
    for item in items:
        if as_json:
            click.echo(json.dumps(item, ensure_ascii=False))
        else:
            click.echo(printable(
                f"{item['evaluated_at']}  {item['decision_id']}  {item['transaction_id']:<20} "
                f"{item['decision']:<6} {item['fee_usd']:>14}  {', '.join(f['rule'] for f in item['findings'])}"
            ))  # fmt: skip


@log_group.command("show")
@click.argument("decision_id")
@database_option
def log_show(decision_id: str, database: str | None) -> None:
    """One decision (by decision id or transaction id) as JSON, with its transaction and review."""
    try:
        click.echo(json.dumps(open_log(database).get(decision_id), indent=2, ensure_ascii=False))
    except NotFound as exc:
        fail(str(exc))


@log_group.command("events")
@click.option("--kind", default=None, help="Only this kind (review-resolved, version-published, pinned-evaluation).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON lines.")
@database_option
def log_events(kind: str | None, limit: int, as_json: bool, database: str | None) -> None:
    """The log's other entries, chained with the decisions, newest first: reviews resolved, versions published,
    evaluations under a pinned version."""
    for item in open_log(database).events(kind, limit):
        if as_json:
            click.echo(json.dumps(item, ensure_ascii=False))
        else:
            click.echo(printable(f"{item['recorded_at']}  entry {item['seq']}  {item['kind']:<18} {item['subject']}  "
                                 f"by {item['recorded_by']}"))  # fmt: skip


@click.group()
def reviews() -> None:
    """The review queue: every `review` decision waits here for a person."""


@reviews.command("list")
@click.option("--status", type=click.Choice(["open", "resolved"]), default="open", show_default=True)
@database_option
def reviews_list(status: str, database: str | None) -> None:
    for item in open_log(database).reviews(status):
        line = f"{item['opened_at']}  {item['decision_id']}  {item['transaction_id']:<20} {', '.join(item['rules'])}"
        if item["resolution"]:
            line += f"  -> {item['resolution']} by {item['reviewer']}: {item['note']}"
        click.echo(printable(line))


@reviews.command("resolve")
@click.argument("decision_id")
@click.option("--resolution", type=click.Choice(["release", "reject"]), required=True)
@click.option("--note", required=True, help="Why (required).")
@click.option("--reviewer", default=os.environ.get("USER", "cli"), show_default=True)
@database_option
def reviews_resolve(decision_id: str, resolution: str, note: str, reviewer: str, database: str | None) -> None:
    """Record a resolution beside the engine's decision."""
    try:
        open_log(database).resolve(decision_id, resolution, note, reviewer)
    except (NotFound, Conflict, StoreError) as exc:
        fail(str(exc))
    click.echo(f"{decision_id}: {resolution}")


@reviews.command("export")
@click.option("--pack", "pack_dir", type=click.Path(file_okay=False, exists=True, path_type=Path), required=True)
@click.option("--name", default="reviewed.yaml", show_default=True, help="File written under the pack's tests/.")
@database_option
def reviews_export(pack_dir: Path, name: str, database: str | None) -> None:
    """Write resolved reviews as the pack's test cases: a release expects `allow`, a reject `deny`, so that a
    reviewer's judgement becomes a regression test (one that fails until the rules agree with it)."""
    resolved = open_log(database).reviews("resolved", limit=1_000_000)
    cases: list[dict[str, Any]] = []
    for item in resolved:
        expected = "allow" if item["resolution"] == "release" else "deny"
        cases.append(
            {
                "name": f"{item['transaction_id']}: {item['resolution']} by {item['reviewer']}: {item['note']}",
                "transaction": item["transaction"],
                "expect": {"decision": expected},
            }
        )
    target = pack_dir / "tests" / name
    target.parent.mkdir(exist_ok=True)
    header = "# Resolved reviews from the decision log, as test cases (clearance reviews export).\n"
    target.write_text(header + yaml.safe_dump({"cases": cases}, sort_keys=False, allow_unicode=True))
    click.echo(f"wrote {len(cases)} case{'s' if len(cases) != 1 else ''} to {target}")
