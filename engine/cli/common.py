"""What every `clearance` command shares: exit statuses, options, opening a pack, printing diagnostics."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click

import engine
from engine.errors import ClearanceError, Diagnostic, PackError
from engine.pack import Pack

EXIT_ALLOW, EXIT_DENY, EXIT_INVALID, EXIT_REVIEW = 0, 1, 2, 3
EXIT_FOR = {"allow": EXIT_ALLOW, "deny": EXIT_DENY, "review": EXIT_REVIEW}
SEVERITY = {EXIT_ALLOW: 0, EXIT_REVIEW: 1, EXIT_DENY: 2, EXIT_INVALID: 3}

pack_option = click.option(
    "--pack",
    "pack_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Rule pack directory (default: the shipped pack, or $CLEARANCE_PACK).",
)
engine_option = click.option(
    "--engine",
    "engine_name",
    type=click.Choice(engine.BACKENDS),
    default="native",
    show_default=True,
    help="Evaluation backend.",
)


def fail(message: str, status: int = EXIT_INVALID) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def open_pack(path: Path | None) -> Pack:
    try:
        return engine.load_pack(path)
    except PackError as exc:
        fail(render_diagnostics(exc))


@contextmanager
def backend_for(pack: Pack, name: str) -> Iterator[engine.Backend]:
    try:
        backend = engine.make_backend(pack, name)
    except ClearanceError as exc:
        fail(str(exc))
    try:
        yield backend
    finally:
        backend.close()


def printable(text: str) -> str:
    """`text` with every non-printable character escaped, so that no value can forge a line of output or move
    the cursor (the input contract refuses them; tables and lists are read from files)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def render_diagnostics(error: PackError) -> str:
    """Every problem as a compiler prints it: `file:line:col: error[code]: message`, the source line with a
    caret under the culprit, and the hint."""
    count = len(error.diagnostics)
    out = [f"{count} problem{'s' if count != 1 else ''} in rule pack"]
    for diagnostic in error.diagnostics:
        out.append(render_diagnostic(diagnostic, Path(error.root) if error.root else None))
    return "\n".join(out)


def render_diagnostic(d: Diagnostic, root: Path | None) -> str:
    subject = f"rule `{d.rule}`: " if d.rule else ""
    lines = [printable(f"{d.where}: error[{d.code}]: {subject}{d.message}")]
    source = _source_line(root, d.file, d.line)
    if source is not None and d.line is not None:
        gutter = " " * len(str(d.line))
        lines.append(printable(f"  {d.line} | {source}"))
        if d.column is not None:
            width = max((d.end_column or d.column + 1) - d.column, 1)
            lines.append(f"  {gutter} | {' ' * (d.column - 1)}{'^' * width}")
    if d.hint:
        lines.append(printable(f"  hint: {d.hint}"))
    return "\n".join(lines)


def _source_line(root: Path | None, file: str, line: int | None) -> str | None:
    if root is None or line is None:
        return None
    try:
        text = (root / file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    lines = text.splitlines()
    return lines[line - 1].rstrip() if 1 <= line <= len(lines) else None
