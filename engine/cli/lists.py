"""`clearance lists import FILE --pack DIR`: a downloaded Consolidated Screening List checked, compared with the
pack's current list (entries added, removed, changed, lifted) and written into the pack, ready to publish."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import click

from engine.cli.common import fail, printable
from engine.errors import ClearanceError
from engine.pack.spec import Manifest
from engine.screening.csl import ListEntry, load_aliases, load_csl, with_aliases

COMPARED = ("list_code", "name", "alt_names", "addresses", "federal_register_notice", "start_date", "end_date")


def _key(entry: ListEntry) -> str:
    return entry.entry_id or f"{entry.list_code}|{entry.name}"


def compare(before: list[ListEntry], after: list[ListEntry]) -> dict[str, Any]:
    old = {_key(e): e for e in before}
    new = {_key(e): e for e in after}
    changed, lifted = [], []
    for key in sorted(old.keys() & new.keys()):
        a, b = old[key], new[key]
        fields = {f: [str(getattr(a, f)), str(getattr(b, f))] for f in COMPARED if getattr(a, f) != getattr(b, f)}
        if not fields:
            continue
        if a.end_date is None and b.end_date is not None:
            lifted.append({"entry": key, "name": b.name, "end_date": str(b.end_date)})
        else:
            changed.append({"entry": key, "name": b.name, "changes": fields})
    return {
        "added": [{"entry": k, "name": new[k].name, "list": new[k].list_code} for k in sorted(new.keys() - old.keys())],
        "removed": [
            {"entry": k, "name": old[k].name, "list": old[k].list_code} for k in sorted(old.keys() - new.keys())
        ],
        "changed": changed,
        "lifted": lifted,
    }


@click.group("lists")
def lists_group() -> None:
    """Denied-party screening lists of a pack."""


@lists_group.command("import")
@click.argument("source", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--pack", "pack_dir", type=click.Path(file_okay=False, exists=True, path_type=Path), required=True)
@click.option("--list", "list_name", default=None, help="Which of the pack's lists (default: its first).")
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True)
def import_list(source: Path, pack_dir: Path, list_name: str | None, dry_run: bool, as_json: bool) -> None:
    """Check SOURCE (a Consolidated Screening List CSV, either layout), show what changed against the pack's
    list, and write it into the pack (publish the pack and activate it to put it in force)."""
    import yaml

    try:
        manifest = Manifest.model_validate(yaml.safe_load((pack_dir / "pack.yaml").read_text()))
    except Exception as exc:
        fail(f"{pack_dir / 'pack.yaml'}: cannot be read: {exc}")
    if not manifest.lists:
        fail(f"{pack_dir} declares no screening lists")
    name = list_name or next(iter(manifest.lists))
    if name not in manifest.lists:
        fail(f"the pack has no list `{name}` (it has: {', '.join(manifest.lists)})")
    target = pack_dir / manifest.lists[name].file
    try:
        incoming, loaded = load_csl(source)
    except ClearanceError as exc:
        fail(str(exc))
    current = load_csl(target)[0] if target.is_file() else []
    result = {"list": name, "file": str(target), "entries": loaded.entries, "digest": loaded.digest,
              **compare(current, incoming)}  # fmt: skip
    aliases_file = manifest.lists[name].aliases
    if aliases_file:  # kept apart from the list: the new list keeps them; say which name none of its entries
        try:
            _, unmatched = with_aliases(incoming, load_aliases(pack_dir / aliases_file))
        except ClearanceError as exc:
            fail(str(exc))
        result["aliases"] = aliases_file
        result["aliases_unmatched"] = [{"listed": a.listed, "alias": a.name, "line": a.line} for a in unmatched]
    if not dry_run:
        shutil.copyfile(source, target)
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    click.echo(
        f"{source}: {loaded.entries:,} entries ({loaded.digest[:19]}): {len(result['added'])} added, "
        f"{len(result['removed'])} removed, {len(result['changed'])} changed, {len(result['lifted'])} lifted"
    )
    for kind, sign in (("added", "+"), ("removed", "-"), ("lifted", "^"), ("changed", "~")):
        for item in result[kind][:50]:
            click.echo(printable(f"  {sign} {item['name']} [{item['entry']}]"))
    if "aliases" in result:
        kept = "keeps" if not result["aliases_unmatched"] else "keeps, but for"
        click.echo(f"{result['aliases']}: the list {kept} its aliases" + (":" if result["aliases_unmatched"] else ""))
        for alias in result["aliases_unmatched"]:
            click.echo(printable(f"  ? {alias['alias']} (line {alias['line']}): no entry is named `{alias['listed']}`"))
    click.echo(f"{'would write' if dry_run else 'wrote'} {target}; publish the pack and activate it to put it in force")
