"""The `clearance` command: one module per command group, over the engine's public names.

common   exit statuses, options, opening a pack, printing diagnostics
batch    `clearance batch`
check    `clearance check`
rules    `clearance rules validate|test|list|show|schema`
screen   `clearance screen`
store    `clearance keys|log|reviews`: API keys, the decision log, the review queue
"""

from __future__ import annotations

import click

from engine.cli.batch import batch
from engine.cli.check import check
from engine.cli.lists import lists_group
from engine.cli.rules import rules
from engine.cli.screen import screen
from engine.cli.store import keys, log_group, reviews
from engine.cli.versions import (
    activate,
    publish,
    replay,
    rules_diff,
    shadow,
    simulate_command,
    version,
    versions,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="clearance")
def main() -> None:
    """Screen AI-accelerator exports against dated, declarative rule packs."""


main.add_command(batch)
main.add_command(check)
main.add_command(rules)
main.add_command(screen)
main.add_command(lists_group)
main.add_command(keys)
main.add_command(log_group)
main.add_command(reviews)
main.add_command(replay)
main.add_command(simulate_command)
for command in (publish, activate, shadow, versions, version, rules_diff):
    rules.add_command(command)

__all__ = ["main"]
