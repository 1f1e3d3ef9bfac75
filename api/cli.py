"""The `clearance` command with `serve`: the engine's commands, and the HTTP API (which the engine never imports)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from engine.cli import main
from engine.cli.common import fail, open_pack, pack_option
from engine.cli.store import database_target
from engine.store import DecisionLog, StoreError


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
    except StoreError as exc:
        fail(str(exc))
    if not store.has_keys():
        click.echo("no API keys yet: create one with `clearance keys create --role submitter`", err=True)
    store.close()
    os.environ["CLEARANCE_DATABASE"] = database
    os.environ["CLEARANCE_PACK"] = str(pack.root)
    if secure_cookies:
        os.environ["CLEARANCE_SECURE_COOKIES"] = "1"
    click.echo(
        f"clearance {pack.name} {pack.version} on http://{host}:{port} (decision log: {database}, "
        f"{'keyed' if store.chain.keyed else 'unkeyed'} chain)\n"
        f"first request:\n  curl -s -H 'Authorization: Bearer KEY' -H 'Content-Type: application/json' "
        f"-d @examples/transactions/h200-china-allowed.json http://{host}:{port}/v1/decisions\n"
        f"API documentation: http://{host}:{port}/docs",
        err=True,
    )
    uvicorn.run("api.server:app_from_env", factory=True, host=host, port=port, workers=workers, log_level="warning")


__all__ = ["main"]
