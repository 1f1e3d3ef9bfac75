"""Published ruleset versions: immutable, named by the digest of their canonical content and by a label, kept
whole (every file) in the log's database with who published them, when, and why."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import os
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from engine.errors import PackError
from engine.pack import Pack, compile_pack
from engine.pack.loader import pack_contents
from engine.store import chain
from engine.store.errors import Conflict, NotFound, StoreError
from engine.store.schema import events, rulesets
from engine.tester import run_pack_tests

DIGEST_PREFIX = re.compile(r"sha256:[0-9a-f]{8,64}")
ACTIVATED, SHADOWED, UNSHADOWED = "version-activated", "shadow-started", "shadow-stopped"
IN_FORCE_SECONDS = 5.0  # a running server asks the log which version is in force (and shadowed) this often
COMPILED_KEPT = 4  # versions a log keeps compiled (each checked against the log's files on every load)


def pack_files(root: Path) -> dict[str, str]:
    """Every file of a pack by its path: text as it is, anything else as `base64:` text (PackError for a
    symbolic link: see `pack_contents`)."""
    files = {}
    for name, data in pack_contents(root).items():
        try:
            files[name] = data.decode("utf-8")
        except UnicodeDecodeError:
            files[name] = "base64:" + base64.b64encode(data).decode()
    return files


def write_files(root: Path, files: dict[str, str]) -> None:
    """Write a version's files under `root`. StoreError, before anything is written, for a name that is not a
    plain relative path inside it, or that is both a file and a folder (`rules` and `rules/x.yaml`)."""
    base = root.resolve()
    names = set(files)
    for name in files:
        parts = PurePosixPath(name).parts
        if not name or "\0" in name or "\\" in name or PurePosixPath(name).is_absolute() or ".." in parts:
            raise StoreError(f"file `{name[:80]}` is not a relative path inside the pack")
        if base not in (base / name).resolve().parents:
            raise StoreError(f"file `{name[:80]}` would be written outside the pack")
        folders = {"/".join(parts[:i]) for i in range(1, len(parts))}
        clash = folders & names
        if clash:
            raise StoreError(f"`{min(clash)[:80]}` is given both as a file and as the folder of `{name[:80]}`")
    for name, text in files.items():
        target = base / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if text.startswith("base64:"):
            target.write_bytes(base64.b64decode(text[7:]))
        else:
            target.write_text(text, encoding="utf-8")


def cache_root() -> Path:
    base = os.environ.get("CLEARANCE_CACHE") or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clearance" / "rulesets"


def summary(row: Any) -> dict[str, Any]:
    return {
        "digest": row.digest,
        "pack": row.pack,
        "label": row.label,
        "note": row.note,
        "published_by": row.published_by,
        "published_at": row.published_at.isoformat() if row.published_at else None,
    }


class VersionStore:
    """Ruleset versions in the log's database (a part of DecisionLog)."""

    engine: Engine
    reader: Engine  # the same database, for reading (see `database.reader`)
    clock: Callable[[], dt.datetime]
    chain: chain.Chain
    postgres: bool
    _compiled: dict[str, tuple[dict[str, str], Pack]]  # digest -> the files it was compiled from, and the pack

    def publish(
        self, root: Path, note: str, by: str | None = None, label: str | None = None
    ) -> tuple[dict[str, Any], bool]:
        """Publish the pack in `root` after its own tests pass: its record, and whether it is new (the same
        content published before is that version). Refused: failing tests, a label taken by other content."""
        if not note.strip():
            raise StoreError("a published version needs a note saying what changed")
        pack = compile_pack(root)
        report = run_pack_tests(pack)
        failed = report.failed
        if failed or not report.results:
            names = ", ".join(r.name for r in failed[:3])
            count = len(report.results)
            problem = f"{len(failed)} of its {count} tests fail ({names})" if failed else "it has no tests"
            raise StoreError(f"{pack.name} is not published: {problem}")
        label = label or pack.version
        files = pack_files(pack.root)  # PackError for a symbolic link: nothing from outside is ever stored
        with self.engine.begin() as connection:
            same = connection.execute(select(rulesets).where(rulesets.c.digest == pack.digest)).first()
            if same is not None:
                return summary(same), False
            taken = connection.execute(
                select(rulesets.c.digest).where((rulesets.c.pack == pack.name) & (rulesets.c.label == label))
            ).first()
            if taken is not None:
                raise Conflict(
                    f"label `{label}` of {pack.name} is already published with other content ({taken.digest}); "
                    "give the new version its own label (--label)"
                )
            now = self.clock()
            row = {"digest": pack.digest, "pack": pack.name, "label": label, "note": note.strip(), "published_by": by,
                   "published_at": now, "files": files}  # fmt: skip
            try:
                connection.execute(rulesets.insert().values(**row))
            except IntegrityError:
                raise Conflict(f"{pack.name} {label} was published meanwhile") from None
            record = chain.version_record(SimpleNamespace(**row))
            chain.append_event(connection, self.chain, self.postgres, now, "version-published", pack.digest, record, by)
        return self.version(pack.digest, with_files=False), True

    def versions(self, pack: str | None = None) -> list[dict[str, Any]]:
        query = select(*(c for c in rulesets.c if c.name != "files")).order_by(rulesets.c.published_at)
        if pack:
            query = query.where(rulesets.c.pack == pack)
        with self.reader.connect() as connection:
            return [summary(row) for row in connection.execute(query)]

    def version(self, ref: str, with_files: bool = True) -> dict[str, Any]:
        """A version by digest (or its start), label, or `pack@label`."""
        pack, _, label = ref.rpartition("@")
        query = select(rulesets)
        if ref.startswith("sha256:"):
            if not DIGEST_PREFIX.fullmatch(ref):
                raise NotFound(f"`{ref[:80]}` is not a digest: `sha256:` and 8 to 64 hexadecimal digits")
            query = query.where(rulesets.c.digest.startswith(ref, autoescape=True))
        else:
            query = query.where(rulesets.c.label == label)
            if pack:
                query = query.where(rulesets.c.pack == pack)
        with self.reader.connect() as connection:
            rows = connection.execute(query).all()
        if not rows:
            raise NotFound(f"no published version `{ref}`")
        if len(rows) > 1:
            raise StoreError(f"`{ref}` names {len(rows)} versions: give pack@label or the digest")
        out = summary(rows[0])
        if with_files:
            out["files"] = rows[0].files
        return out

    def newest(self, pack: str | None = None) -> dict[str, Any] | None:
        found = self.versions(pack)
        return found[-1] if found else None

    # the version in force: activations, each a chained event ---------------------------------------------
    def activate(self, ref: str, note: str, by: str | None = None) -> dict[str, Any]:
        """Put a published version in force (rolling back is activating an earlier one): who, when and why are
        chained in the log. Its record, with the version it replaces (`previous`)."""
        if not note.strip():
            raise StoreError("an activation needs a note saying why")
        record = self.version(ref, with_files=False)
        previous = self.in_force(record["pack"])
        body = {"pack": record["pack"], "label": record["label"], "digest": record["digest"], "note": note.strip(),
                "previous": previous["digest"] if previous else None}  # fmt: skip
        with self.engine.begin() as connection:
            event = chain.append_event(
                connection, self.chain, self.postgres, self.clock(), ACTIVATED, record["pack"], body, by
            )
        return {**record, "in_force": True, "activated_at": chain.iso(event["recorded_at"]), "activated_by": by,
                "activation_note": note.strip(), "previous": body["previous"]}  # fmt: skip

    def in_force(self, pack: str) -> dict[str, Any] | None:
        """The version of `pack` in force: the one its latest activation names (None: none was ever activated),
        with who activated it, when and why."""
        found = self._latest(pack, (ACTIVATED,))
        if found is None:
            return None
        body = found.body
        record = self.version(body["digest"], with_files=False)
        return {**record, "activated_at": chain.iso(found.recorded_at), "activated_by": found.recorded_by,
                "activation_note": body.get("note")}  # fmt: skip

    def activations(self, pack: str | None = None) -> list[dict[str, Any]]:
        """Every activation, oldest first: which version, who, when, why, and the version it replaced."""
        query = select(events).where(events.c.kind == ACTIVATED).order_by(events.c.seq)
        if pack:
            query = query.where(events.c.subject == pack)
        with self.reader.connect() as connection:
            rows = connection.execute(query).all()
        return [
            {"entry": r.seq, "pack": r.subject, "label": r.body.get("label"), "digest": r.body.get("digest"),
             "note": r.body.get("note"), "previous": r.body.get("previous"), "activated_by": r.recorded_by,
             "activated_at": chain.iso(r.recorded_at)}
            for r in rows
        ]  # fmt: skip

    # shadowing: a candidate judged beside the version in force ---------------------------------------
    def shadow(self, ref: str, by: str | None = None) -> dict[str, Any]:
        """Judge every live decision of the version's pack again under this candidate from now on (the answer
        is stored beside the decision, never sent, never counted against a license)."""
        record = self.version(ref, with_files=False)
        body = {"pack": record["pack"], "label": record["label"], "digest": record["digest"]}
        with self.engine.begin() as connection:
            chain.append_event(connection, self.chain, self.postgres, self.clock(), SHADOWED, record["pack"], body, by)
        return record

    def stop_shadow(self, pack: str, by: str | None = None) -> dict[str, Any] | None:
        """Stop shadowing the pack's candidate; the candidate that was shadowed, if one was."""
        current = self.shadowed(pack)
        if current is not None:
            body = {"pack": pack, "label": current["label"], "digest": current["digest"]}
            with self.engine.begin() as connection:
                chain.append_event(connection, self.chain, self.postgres, self.clock(), UNSHADOWED, pack, body, by)
        return current

    def shadowed(self, pack: str) -> dict[str, Any] | None:
        """The candidate version shadowed for `pack` now, if any."""
        found = self._latest(pack, (SHADOWED, UNSHADOWED))
        if found is None or found.kind == UNSHADOWED:
            return None
        return {**found.body, "since": chain.iso(found.recorded_at), "by": found.recorded_by}

    def _latest(self, pack: str, kinds: tuple[str, ...]) -> Any:
        query = (
            select(events.c.kind, events.c.body, events.c.recorded_at, events.c.recorded_by)
            .where(events.c.kind.in_(kinds) & (events.c.subject == pack))
            .order_by(events.c.seq.desc())
            .limit(1)
        )
        with self.reader.connect() as connection:
            return connection.execute(query).first()

    def load_version(self, ref: str) -> Pack:
        """The compiled pack of a published version. Its files are written once to a local cache directory;
        a copy there that differs from the log's files (edited, or left from before) is replaced, and files in
        the log that no longer give the version's digest are refused (the log was altered)."""
        record = self.version(ref)
        held = self._compiled.get(record["digest"])
        if held is not None and held[0] == record["files"]:  # compiled before from these very files
            return held[1]
        root = cache_root() / record["digest"].removeprefix("sha256:")
        if not _same_files(root, record["files"]):
            staging = root.with_name(f"{root.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
            try:
                write_files(staging, record["files"])
                _compiled(staging, ref, record["digest"])  # never put a copy in place that is not the version
                old = root.with_name(staging.name + ".old")
                with contextlib.suppress(OSError):
                    root.rename(old)
                with contextlib.suppress(OSError):  # another process put the same files there first
                    staging.rename(root)
                shutil.rmtree(old, ignore_errors=True)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        pack = _compiled(root, ref, record["digest"]).labelled(record["label"])
        self._compiled[record["digest"]] = (record["files"], pack)
        while len(self._compiled) > COMPILED_KEPT:
            self._compiled.pop(next(iter(self._compiled)))
        return pack


def _compiled(root: Path, ref: str, digest: str) -> Pack:
    try:
        pack = compile_pack(root)
    except PackError as exc:
        raise StoreError(f"version {ref} no longer loads: {exc}") from None
    if pack.digest != digest:
        raise StoreError(
            f"version {ref}: its files in the log give {pack.digest}, not {digest}, the digest it was published "
            "under: the log's copy was altered (run `clearance log verify`)"
        )
    return pack


def _same_files(root: Path, files: dict[str, str]) -> bool:
    """Whether the directory holds exactly these files (a link or anything else is a difference)."""
    if not (root / "pack.yaml").is_file():
        return False
    try:
        return pack_files(root) == files
    except (PackError, OSError):
        return False
