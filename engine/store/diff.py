"""A semantic diff of two versions of a pack, as a compliance officer reads it: rules added, removed and changed
(which field: condition, threshold, dates, citation...), values, reference data rows added, removed or changed
(catalog, country groups, licenses, screening lists), and the manifest."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import yaml

Files = dict[str, str]


def _yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 200 else text[:197] + "..."


def _by_id(files: Files, key: str, ident: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every `key` item (rules, values) of the YAML files, by its `ident` field, with its file."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, text in files.items():
        if not name.endswith((".yaml", ".yml")) or name.startswith("tests/"):
            continue
        data = _yaml(text)
        if isinstance(data, dict) and isinstance(data.get(key), list):
            for item in data[key]:
                if isinstance(item, dict) and ident in item:
                    found[str(item[ident])] = (name, item)
    return found


def _items(kind: str, old: Files, new: Files, key: str, ident: str) -> dict[str, Any]:
    before, after = _by_id(old, key, ident), _by_id(new, key, ident)
    changed = []
    for name in sorted(before.keys() & after.keys()):
        a, b = before[name][1], after[name][1]
        fields = [
            {"field": field, "from": _shown(a.get(field)), "to": _shown(b.get(field))}
            for field in sorted(a.keys() | b.keys())
            if a.get(field) != b.get(field)
        ]
        if fields:
            changed.append({"id": name, "file": after[name][0], "changes": fields})
    return {
        "added": [_entry(n, after[n]) for n in sorted(after.keys() - before.keys())],
        "removed": [_entry(n, before[n]) for n in sorted(before.keys() - after.keys())],
        "changed": changed,
    }  # fmt: skip


def _entry(name: str, found: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {"id": name, "file": found[0], "title": found[1].get("title")}


def _rows(text: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, [])
    rows: dict[str, dict[str, str]] = {}
    for number, cells in enumerate(reader, 2):
        if cells:
            row = dict(zip(header, cells, strict=False))
            key = cells[0] if cells[0] not in rows else f"{cells[0]} (line {number})"
            rows[key] = row
    return header, rows


def _data(old: Files, new: Files) -> list[dict[str, Any]]:
    """Reference data files (CSV rows by their first column; YAML groups by name) that differ."""
    out = []
    names = sorted(n for n in old.keys() | new.keys() if n.startswith("data/") or n.startswith("lists/"))
    for name in names:
        a, b = old.get(name), new.get(name)
        if a == b:
            continue
        if a is None or b is None:
            out.append({"file": name, "file_added" if a is None else "file_removed": True})
            continue
        if name.endswith(".csv"):
            (_, before), (_, after) = _rows(a), _rows(b)
            changed = []
            for key in sorted(before.keys() & after.keys()):
                cells = [
                    {"column": c, "from": before[key].get(c), "to": after[key].get(c)}
                    for c in sorted(before[key].keys() | after[key].keys())
                    if before[key].get(c) != after[key].get(c)
                ]
                if cells:
                    changed.append({"row": key, "changes": cells})
            out.append({"file": name, "rows_added": sorted(after.keys() - before.keys()),
                        "rows_removed": sorted(before.keys() - after.keys()), "rows_changed": changed})  # fmt: skip
        else:
            before_data, after_data = _yaml(a), _yaml(b)
            if isinstance(before_data, dict) and isinstance(after_data, dict):
                groups = []
                for key in sorted(before_data.keys() | after_data.keys(), key=str):
                    x, y = before_data.get(key), after_data.get(key)
                    if x != y:
                        if isinstance(x, list) and isinstance(y, list):
                            groups.append({"group": str(key), "added": sorted(set(map(str, y)) - set(map(str, x))),
                                           "removed": sorted(set(map(str, x)) - set(map(str, y)))})  # fmt: skip
                        else:
                            groups.append({"group": str(key), "from": _shown(x), "to": _shown(y)})
                out.append({"file": name, "groups_changed": groups})
            else:
                out.append({"file": name, "changed": True})
    return out


def diff(old: Files, new: Files) -> dict[str, Any]:
    """What changed from `old` to `new` (two versions' files by path)."""
    manifest_before, manifest_after = _yaml(old.get("pack.yaml", "")) or {}, _yaml(new.get("pack.yaml", "")) or {}
    manifest = [
        {"field": f, "from": _shown(manifest_before.get(f)), "to": _shown(manifest_after.get(f))}
        for f in sorted(manifest_before.keys() | manifest_after.keys())
        if manifest_before.get(f) != manifest_after.get(f)
    ]
    return {
        "manifest": manifest,
        "rules": _items("rules", old, new, "rules", "id"),
        "values": _items("values", old, new, "values", "name"),
        "data": _data(old, new),
    }


def render(result: dict[str, Any]) -> str:
    """The diff as text."""
    lines: list[str] = []
    for change in result["manifest"]:
        lines.append(f"pack.yaml: {change['field']}: {change['from']} -> {change['to']}")
    for kind in ("rules", "values"):
        part = result[kind]
        singular = kind[:-1]
        for item in part["added"]:
            lines.append(
                f"{singular} added: {item['id']}"
                + (f" ({item['title']})" if item.get("title") else "")
                + f" [{item['file']}]"
            )
        for item in part["removed"]:
            lines.append(
                f"{singular} removed: {item['id']}"
                + (f" ({item['title']})" if item.get("title") else "")
                + f" [{item['file']}]"
            )
        for item in part["changed"]:
            lines.append(f"{singular} changed: {item['id']} [{item['file']}]")
            lines += [f"  {c['field']}: {c['from']} -> {c['to']}" for c in item["changes"]]
    for data in result["data"]:
        if data.get("file_added") or data.get("file_removed"):
            lines.append(f"{data['file']}: file {'added' if data.get('file_added') else 'removed'}")
            continue
        if "rows_added" in data:
            added, removed, changed = data["rows_added"], data["rows_removed"], data["rows_changed"]
            summary = f"{len(added)} rows added, {len(removed)} removed, {len(changed)} changed"
            lines.append(f"{data['file']}: {summary}")
            lines += [f"  + {row}" for row in data["rows_added"][:50]]
            lines += [f"  - {row}" for row in data["rows_removed"][:50]]
            for row in data["rows_changed"][:50]:
                lines.append(
                    f"  ~ {row['row']}: " + "; ".join(f"{c['column']} {c['from']} -> {c['to']}" for c in row["changes"])
                )
        elif "groups_changed" in data:
            for group in data["groups_changed"]:
                if "added" in group:
                    lines.append(
                        f"{data['file']}: {group['group']}: +{', '.join(group['added']) or '-'} "
                        f"/ -{', '.join(group['removed']) or '-'}"
                    )
                else:
                    lines.append(f"{data['file']}: {group['group']}: {group['from']} -> {group['to']}")
        else:
            lines.append(f"{data['file']}: changed")
    return "\n".join(lines) if lines else "no differences"
