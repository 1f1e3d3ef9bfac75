"""The `clearance` command with `serve`: the engine's commands, and the HTTP API (which the engine never imports)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from engine.cli import main
from engine.cli.common import fail, open_pack, pack_option
from engine.cli.store import database_target
from engine.store import DecisionLog, StoreError
from engine.store.versions import IN_FORCE_SECONDS


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (default: this machine only).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--database", default=None, help="Database URL (postgresql://...) or SQLite file (default: ./clearance.db)."
)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Server processes.")
@click.option("--secure-cookies", is_flag=True, help="Mark the console's cookie Secure (behind a proxy that ends TLS).")
@pack_option
def serve(
    host: str, port: int, database: str | None, workers: int, secure_cookies: bool, pack_dir: Path | None
) -> None:
    """Run the HTTP API (OpenAPI at /docs), storing every decision in the decision log."""
    import uvicorn

    database = database_target(database)
    pack = open_pack(pack_dir)  # checked before any server starts
    try:
        store = DecisionLog(database)
        store.migrate()
        store.check_key()
        held = store.in_force(pack.name) or _carried_over(store, pack.name)
    except StoreError as exc:
        fail(str(exc))
    if not store.has_keys():
        click.echo("no API keys yet: create one with `clearance keys create --role submitter`", err=True)
    store.close()
    in_force = (
        f"{pack.name} {held['label']} ({held['digest'][:19]}), activated {held['activated_at']} by "
        f"{held['activated_by']}" if held else f"{pack.name} {pack.version} ({pack.digest[:19]}) from {pack.root}"
    )  # fmt: skip
    os.environ["CLEARANCE_DATABASE"] = database
    os.environ["CLEARANCE_PACK"] = str(pack.root)
    if secure_cookies:
        os.environ["CLEARANCE_SECURE_COOKIES"] = "1"
    click.echo(
        f"clearance on http://{host}:{port} (decision log: {database}, "
        f"{'keyed' if store.chain.keyed else 'unkeyed'} chain)\n"
        f"in force: {in_force} (activations are taken within {IN_FORCE_SECONDS:g} s)\n"
        f"first request:\n  curl -s -H 'Authorization: Bearer KEY' -H 'Content-Type: application/json' "
        f"-d @examples/transactions/h200-china-allowed.json http://{host}:{port}/v1/decisions\n"
        f"API documentation: http://{host}:{port}/docs",
        err=True,
    )
    uvicorn.run("api.server:app_from_env", factory=True, host=host, port=port, workers=workers, log_level="warning")


def _carried_over(store: DecisionLog, pack: str) -> dict[str, Any] | None:
    """A log from before activations were recorded judged under its newest published version: that version is
    activated once, so that upgrading changes no rules (a version published since, without a publication in the
    chain, is never one of those)."""
    newest = store.newest(pack)
    if newest is None or store.events("version-published", limit=1):
        return None
    store.activate(newest["digest"], "in force before activations were recorded (the newest version published)")
    return store.in_force(pack)


__all__ = ["main"]
