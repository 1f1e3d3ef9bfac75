"""Reading a pack's files: the manifest, rule files and lists, each validated against the file format, with
every problem reported as a located, coded Diagnostic. Also the pack's digest."""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import io
import json
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from engine.contract.yamlfile import (
    LineDict,
    YamlError,
    key_column,
    line_of,
    load_yaml,
    not_utf8_diagnostic,
    yaml_diagnostic,
)
from engine.errors import Diagnostic, PackError, ScreeningListError
from engine.pack.spec import Manifest
from engine.screening import ScreeningIndex
from engine.screening.csl import ListEntry, ListFile, load_aliases, load_csl, with_aliases

MANIFEST = "pack.yaml"


@dataclass
class SpecFile:
    """A validated pack file: the model, the raw data (with lines and columns) and the text's lines.

    `kept` maps a list key (`rules`, `values`) to the raw indexes of the entries the model holds, for a
    file read with `partial` keys, where entries with problems were left out."""

    spec: Any
    raw: Any
    lines: list[str]
    kept: dict[str, list[int]] = field(default_factory=dict)

    def raw_index(self, key: str, index: int) -> int:
        kept = self.kept.get(key)
        return kept[index] if kept is not None else index


def read_spec(
    model: type[BaseModel], path: Path, rel: str, diagnostics: list[Diagnostic], *, partial: tuple[str, ...] = ()
) -> SpecFile | None:
    """Parse and validate one YAML file, or None (with its problems in `diagnostics`).

    With `partial` list keys (`rules`, `values`), entries with problems are reported and left out, and the
    rest is returned, so that the compiler still checks them: one bad rule hides no other problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        diagnostics.append(not_utf8_diagnostic(rel, exc))
        return None
    lines = text.splitlines()
    try:
        data = load_yaml(text)
    except YamlError as exc:
        diagnostics.append(yaml_diagnostic(rel, exc))
        return None
    if data is None:
        data = LineDict()
    if not isinstance(data, dict):
        diagnostics.append(
            Diagnostic(
                file=rel, line=getattr(data, "line", 1), code="not-a-mapping", message="the file must hold a mapping"
            )
        )
        return None
    try:
        return SpecFile(model.model_validate(data), data, lines)
    except ValidationError as exc:
        diagnostics.extend(spec_diagnostics(exc, model, data, rel))
        errors = exc.errors()
    bad = {(e["loc"][0], e["loc"][1]) for e in errors if len(e["loc"]) >= 2 and e["loc"][0] in partial}
    if len(bad) != len({tuple(e["loc"][:2]) for e in errors}):
        return None  # a problem outside the partial lists: nothing of the file is usable
    rest = dict(data)
    kept: dict[str, list[int]] = {}
    for key in partial:
        if isinstance(data.get(key), list):
            kept[key] = [i for i in range(len(data[key])) if (key, i) not in bad]
            rest[key] = [data[key][i] for i in kept[key]]
    try:
        return SpecFile(model.model_validate(rest), data, lines, kept)
    except ValidationError:
        return None


def spec_diagnostics(exc: ValidationError, model: type[BaseModel], data: Any, rel: str) -> list[Diagnostic]:
    """Pydantic's errors for a pack file as Diagnostics: the one place they are translated."""
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        rule, where, inner = _subject(data, loc)
        field = ".".join(str(p) for p in inner) or "(file)"
        kind = err["type"]
        hint = None
        if kind == "extra_forbidden":
            code, message = "unknown-field", f"unknown field `{field}`{where}"
            close = difflib.get_close_matches(str(loc[-1]), _fields_at(model, loc[:-1]), n=1)
            hint = f"did you mean `{close[0]}`?" if close else None
        elif kind == "missing":
            code = "missing-cite" if loc[-1] == "cite" else "missing-field"
            message = f"field `{field}` is required{where}"
        elif loc and loc[-1] == "cite":
            code, message = "missing-cite", f"field `{field}` must cite the regulation the rule encodes{where}"
        elif kind.startswith("date_"):
            code = "bad-date"
            message = f"field `{field}`: `{err.get('input')}` is not a real date YYYY-MM-DD{where}"
        else:
            code = "invalid-value"
            text = err["msg"].removeprefix("Value error, ")
            got = err.get("input")
            shown = f" (got `{got}`)" if isinstance(got, str | int | float) and not isinstance(got, bool) else ""
            message = f"field `{field}`: {text[:1].lower()}{text[1:]}{shown}{where}"
            expected = (err.get("ctx") or {}).get("expected")
            if isinstance(got, str) and isinstance(expected, str):
                choices = [c.strip(" '") for c in expected.replace(" or ", ", ").split(",")]
                close = difflib.get_close_matches(got, choices, n=1)
                hint = f"did you mean `{close[0]}`?" if close else None
        column = key_column(data, loc) if code == "unknown-field" else None
        end = column + len(str(loc[-1])) if column is not None else None
        out.append(
            Diagnostic(
                file=rel, line=line_of(data, loc), column=column, end_column=end, code=code, rule=rule,
                message=message, hint=hint,
            )
        )  # fmt: skip
    return out


def _subject(data: Any, loc: tuple[Any, ...]) -> tuple[str | None, str, tuple[Any, ...]]:
    """For a location inside a rule or a value: its id, ` in rule N` (1-based), and the path inside it."""
    if len(loc) >= 2 and loc[0] in ("rules", "values", "cases") and isinstance(loc[1], int):
        kind = {"rules": "rule", "values": "value", "cases": "case"}[loc[0]]
        try:
            entry = data[loc[0]][loc[1]]
            name = entry.get("id") if kind == "rule" else entry.get("name")
        except (AttributeError, IndexError, KeyError, TypeError):
            name = None
        label = f" in {kind} {loc[1] + 1}" + (f" (`{name}`)" if name is not None and kind != "rule" else "")
        return (str(name) if kind == "rule" and name is not None else None), label, loc[2:]
    return None, "", loc


def _fields_at(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """The field names (by alias) of the model found at `loc` inside `model`, to suggest a typo's fix."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        fields = {f.alias or name: f for name, f in current.model_fields.items()}
        if part not in fields:
            return []
        current = _model_in(fields[part].annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside `X`, `X | None`, `list[X]` or `dict[str, X]`, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (list, dict, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def inside(root: Path, relative: str) -> Path | None:
    """The path `relative` names in the pack, or None when it leads outside the pack's directory: an
    absolute path, `..`, or a symbolic link that points out. A pack reads nothing but its own files."""
    if not relative or PurePosixPath(relative).is_absolute() or PureWindowsPath(relative).is_absolute():
        return None
    path = root / relative
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return None
    return path if resolved.is_relative_to(root.resolve()) else None


def outside(file: str, what: str, path: str) -> Diagnostic:
    return Diagnostic(
        file=file,
        code="outside-pack",
        message=f"{what} `{path}` is outside the pack",
        hint="a pack reads only files below its own directory",
    )


def glob_files(root: Path, patterns: list[str], diagnostics: list[Diagnostic] | None = None) -> list[Path]:
    """The files the globs match inside the pack; a glob or a match that leads outside is reported."""
    found: set[Path] = set()
    for pattern in patterns:
        if inside(root, pattern.replace("*", "x").replace("?", "x")) is None or ".." in PurePosixPath(pattern).parts:
            if diagnostics is not None:
                diagnostics.append(outside(MANIFEST, "glob", pattern))
            continue
        for path in root.glob(pattern):
            if not path.is_file():
                continue
            if inside(root, path.relative_to(root).as_posix()) is None:
                if diagnostics is not None:
                    diagnostics.append(outside(path.relative_to(root).as_posix(), "the link", path.name))
                continue
            found.add(path)
    return sorted(found)


SKIPPED = ("__pycache__", ".git", ".pytest_cache")


def pack_contents(root: Path) -> dict[str, bytes]:
    """Every file of a pack by its path, as a version stores it whole: hidden files and caches left out.
    PackError (`outside-pack`) for a symbolic link anywhere in it: a link's target is not the pack's, and a
    version must never carry (and serve) a file from outside."""
    files: dict[str, bytes] = {}
    links: list[Diagnostic] = []
    for folder, dirs, names in os.walk(root, followlinks=False):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED and not d.startswith("."))
        for name in [*dirs, *sorted(names)]:
            path = here / name
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                links.append(
                    Diagnostic(
                        file=relative,
                        code="outside-pack",
                        message=f"`{relative}` is a symbolic link: a published pack holds its own files only",
                        hint="replace the link with the file itself",
                    )
                )
            elif name in names and not name.startswith(".") and path.is_file():
                files[relative] = path.read_bytes()
    if links:
        raise PackError(links, str(root))
    return dict(sorted(files.items()))


def pack_digest(root: Path, manifest: Manifest) -> str:
    """sha256 over the manifest, rule files and data files (not tests), each in canonical form: what decides a
    decision. YAML is read and written back as sorted JSON, CSV as its rows, so that comments, quoting, key
    order and line endings do not change the digest, and any change of content does."""
    paths = {root / MANIFEST, *glob_files(root, manifest.rules)}
    named = [t.file for t in manifest.tables.values()] + [lst.file for lst in manifest.lists.values()]
    named += [lst.aliases for lst in manifest.lists.values() if lst.aliases]
    paths.update(path for path in (inside(root, file) for file in named) if path is not None)
    digest = hashlib.sha256()
    for path in sorted(p for p in paths if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(canonical_content(path) + b"\0")
    return "sha256:" + digest.hexdigest()


def canonical_content(path: Path) -> bytes:
    """A file's content in canonical form (see `pack_digest`); its bytes when it cannot be read as its kind."""
    raw = path.read_bytes()
    suffix = path.suffix.lower()
    try:
        if suffix in (".yaml", ".yml", ".json"):
            data = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            return json.dumps(data, sort_keys=True, separators=(",", ":"), default=_tagged).encode()
        if suffix == ".csv":
            rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
            return json.dumps([row for row in rows if row], separators=(",", ":")).encode()
    except (yaml.YAMLError, UnicodeDecodeError, csv.Error, ValueError, TypeError):
        pass
    return raw.replace(b"\r\n", b"\n")


def _tagged(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return {"date": value.isoformat()}
    return {"value": repr(value)}


def read_lists(manifest: Manifest, root: Path, diagnostics: list[Diagnostic]) -> ScreeningIndex | None:
    """The pack's denied-party lists as one index, each with its aliases file (native-script names) if it
    declares one; or None when the pack declares no list (or one is bad)."""
    if not manifest.lists:
        return None
    entries: list[ListEntry] = []
    files: list[ListFile] = []
    for name, spec in manifest.lists.items():
        paths = {}
        for what, relative in (("file", spec.file), ("aliases", spec.aliases)):
            if relative is None:
                continue
            found = inside(root, relative)
            if found is None:
                diagnostics.append(outside(MANIFEST, f"list `{name}`: {what}", relative))
            elif not found.is_file():
                diagnostics.append(
                    Diagnostic(
                        file=MANIFEST, code="file-not-found", message=f"list `{name}`: {what} `{relative}` not found"
                    )
                )
            else:
                paths[what] = found
        if len(paths) < (2 if spec.aliases else 1):
            continue
        try:
            loaded, file = load_csl(paths["file"])
            if "aliases" in paths:
                loaded, _ = with_aliases(loaded, load_aliases(paths["aliases"]))
        except ScreeningListError as exc:
            path = Path(exc.file)
            rel = path.relative_to(root).as_posix() if path.is_absolute() and path.is_relative_to(root) else exc.file
            message = str(exc).split(": ", 1)[-1]
            diagnostics.append(Diagnostic(file=rel, line=exc.line, code="bad-list", message=message))
            continue
        entries.extend(loaded)
        files.append(file)
    if len(files) < len(manifest.lists):
        return None
    return ScreeningIndex.from_entries(entries, files)
