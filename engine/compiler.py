"""Pack directory -> compiled Pack. Collects EVERY problem (file, line, rule id) before failing.

A pack with any error never loads partially: `compile_pack` either returns a whole Pack or raises
PackError with all diagnostics.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from engine.errors import Diagnostic, PackError
from engine.expressions import Expr, ExprError, Fn, Scope, all_of, any_of, compile_expr
from engine.lookups import compile_lookup
from engine.pack import CompiledRule, Leaf, Pack, Template, ValueDef
from engine.spec import Effective, LookupSpec, Manifest, RuleFile, RuleSpec, ValueSpec
from engine.tables import Table, load_table
from engine.values import ANY, BOOL, DATE, LIST, MISSING, NUMBER, STRING, Type
from engine.yamlfile import YamlError, line_of, load_yaml_file

TRANSACTION_FIELDS: dict[str, Type] = {
    "id": STRING,
    "date": DATE,
    "product": STRING,
    "specs.tpp": NUMBER,
    "specs.die_area_mm2": NUMBER,
    "specs.memory_bandwidth_gbs": NUMBER,
    "specs.datacenter": BOOL,
    "quantity": NUMBER,
    "unit_price_usd": NUMBER,
    "ship_from": STRING,
    "destination": STRING,
    "end_use": STRING,
    "license_number": STRING,
    "attestations": LIST,
    **{
        f"{party}.{attr}": STRING
        for party in ("customer", "end_user")
        for attr in ("id", "name", "country", "headquarters")
    },
}
MANIFEST = "pack.yaml"


def compile_pack(path: str | Path) -> Pack:
    """Load and compile the pack in directory `path`; raise PackError listing every problem."""
    root = Path(path)
    diagnostics: list[Diagnostic] = []
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        raise PackError([Diagnostic(str(root), None, f"not a rule pack: `{MANIFEST}` not found")])
    manifest, _ = _validated(Manifest, manifest_path, MANIFEST, diagnostics)
    if manifest is None:
        raise PackError(diagnostics)
    tables: dict[str, Table] = {}
    for name, spec in manifest.tables.items():
        table = load_table(name, spec, root, diagnostics)
        if table is not None:
            tables[name] = table
    screening = _load_lists(manifest, root, diagnostics)
    rule_files: list[tuple[str, RuleFile, Any]] = []
    files = _glob(root, manifest.rules)
    if not files:
        diagnostics.append(Diagnostic(MANIFEST, None, f"no rule files match {manifest.rules}"))
    for file in files:
        rel = file.relative_to(root).as_posix()
        parsed, raw = _validated(RuleFile, file, rel, diagnostics)
        if parsed is not None:
            rule_files.append((rel, parsed, raw))
    builder = _Builder(tables, screening, diagnostics)
    pack_values = builder.values(rule_files)
    rules = builder.rules(rule_files)
    if diagnostics:
        raise PackError(diagnostics)
    return Pack(
        name=manifest.name,
        version=manifest.version,
        title=manifest.title,
        description=manifest.description,
        default=manifest.default,
        digest=pack_digest(root, manifest),
        root=root,
        rules=tuple(rules),
        values=pack_values,
        tables=tables,
        screening=screening,
        leaf_count=builder.leaf_count,
        test_globs=tuple(manifest.tests),
    )


def pack_digest(root: Path, manifest: Manifest) -> str:
    """sha256 over the manifest, rule files and data files (not tests): what decides a decision."""
    paths = {root / MANIFEST, *_glob(root, manifest.rules)}
    paths.update(root / t.file for t in manifest.tables.values())
    paths.update(root / lst.file for lst in manifest.lists.values())
    digest = hashlib.sha256()
    for path in sorted(p for p in paths if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return "sha256:" + digest.hexdigest()


def _glob(root: Path, patterns: list[str]) -> list[Path]:
    found: set[Path] = set()
    for pattern in patterns:
        found.update(p for p in root.glob(pattern) if p.is_file())
    return sorted(found)


def _validated(model: type[BaseModel], path: Path, rel: str, diagnostics: list[Diagnostic]) -> tuple[Any, Any]:
    """Parse and validate one YAML file; return (model, raw data with lines) or (None, None)."""
    try:
        data = load_yaml_file(path)
    except YamlError as exc:
        diagnostics.append(Diagnostic(rel, exc.line, exc.message))
        return None, None
    except UnicodeDecodeError:
        diagnostics.append(Diagnostic(rel, None, "not UTF-8 text"))
        return None, None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        diagnostics.append(Diagnostic(rel, getattr(data, "line", 1), "the file must hold a mapping"))
        return None, None
    try:
        return model.model_validate(data), data
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = err["loc"]
            rule = _rule_at(data, loc)
            diagnostics.append(Diagnostic(rel, line_of(data, loc), _describe(err), rule))
        return None, None


def _rule_at(data: Any, loc: tuple[Any, ...]) -> str | None:
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        try:
            rule_id = data["rules"][loc[1]].get("id")
        except (AttributeError, IndexError, KeyError, TypeError):
            return None
        return str(rule_id) if rule_id is not None else None
    return None


def _describe(err: Any) -> str:
    field = ".".join(str(p) for p in err["loc"]) or "(file)"
    if err["type"] == "missing":
        return f"field `{field}` is required"
    if err["type"] == "extra_forbidden":
        return f"unknown field `{field}`"
    message = err["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return f"field `{field}`: {message[:1].lower()}{message[1:]}"


def _load_lists(manifest: Manifest, root: Path, diagnostics: list[Diagnostic]) -> Any:
    if not manifest.lists:
        return None
    from engine.errors import ScreeningListError
    from engine.screening import ScreeningIndex

    paths = []
    for name, spec in manifest.lists.items():
        path = root / spec.file
        if not path.is_file():
            diagnostics.append(Diagnostic(MANIFEST, None, f"list `{name}`: file `{spec.file}` not found"))
        paths.append(path)
    if len(paths) != len(manifest.lists) or any(not p.is_file() for p in paths):
        return None
    try:
        return ScreeningIndex.from_files(paths)
    except ScreeningListError as exc:
        file = Path(exc.file)
        rel = file.relative_to(root).as_posix() if file.is_absolute() and file.is_relative_to(root) else exc.file
        diagnostics.append(Diagnostic(rel, exc.line, str(exc).split(": ", 1)[-1]))
        return None


class _Builder:
    """Compiles values and rules with one shared scope, recording diagnostics instead of stopping."""

    def __init__(self, tables: dict[str, Table], screening: Any, diagnostics: list[Diagnostic]):
        self.tables = tables
        self.screening = screening
        self.diagnostics = diagnostics
        self.specs: dict[str, tuple[str, int | None, ValueSpec]] = {}
        self.compiled: dict[str, ValueDef] = {}
        self.failed: set[str] = set()
        self.stack: list[str] = []
        self.leaf_count = 0
        self.screener: Callable[[str, Any], tuple[Any, ...]] | None = None
        self.scope = Scope(self._resolve, tables, self._known, self._screen)

    # names ------------------------------------------------------------------------------------------
    def _known(self) -> list[str]:
        return [*TRANSACTION_FIELDS, *self.specs, *self.tables]

    def _resolve(self, name: str) -> tuple[Fn, Type] | None:
        if name in TRANSACTION_FIELDS:
            return operator.itemgetter(name), TRANSACTION_FIELDS[name]
        if name in self.specs:
            return operator.itemgetter(name), self._value_type(name)
        return None

    def _value_type(self, name: str) -> Type:
        if name in self.compiled:
            return self.compiled[name].type
        if name in self.failed:
            return ANY
        if name in self.stack:
            cycle = " -> ".join([*self.stack[self.stack.index(name) :], name])
            file, line, _ = self.specs[name]
            self.diagnostics.append(Diagnostic(file, line, f"value `{name}` depends on itself: {cycle}"))
            self.failed.add(name)
            return ANY
        self._compile_value(name)
        return self.compiled[name].type if name in self.compiled else ANY

    def _screen(self, args: list[Expr], keywords: dict[str, Expr]) -> tuple[Fn, Type]:
        if self.screening is None:
            raise ExprError("`screen` needs the pack to declare denied-party `lists`")
        from engine.screening_rules import compile_screen, party_screener

        if self.screener is None:
            self.screener = party_screener(self.screening)
        return compile_screen(self.screener, args, keywords)

    # values -----------------------------------------------------------------------------------------
    def values(self, rule_files: list[tuple[str, RuleFile, Any]]) -> dict[str, ValueDef]:
        for rel, parsed, raw in rule_files:
            for index, spec in enumerate(parsed.values):
                line = line_of(raw, ("values", index))
                if spec.name in self.specs or spec.name in TRANSACTION_FIELDS or spec.name in self.tables:
                    self.diagnostics.append(Diagnostic(rel, line, f"value `{spec.name}` is defined twice"))
                    continue
                self.specs[spec.name] = (rel, line, spec)
        for name in self.specs:
            self._value_type(name)
        return dict(self.compiled)

    def _compile_value(self, name: str) -> None:
        file, line, spec = self.specs[name]
        self.stack.append(name)
        try:
            if spec.expr is not None:
                expr = compile_expr(spec.expr, self.scope)
                fn, type_, inputs = expr.fn, expr.type, tuple(expr.observed)
            else:
                assert spec.lookup is not None
                expr = None
                fn, type_, inputs = self._lookup(spec.lookup)
        except ExprError as exc:
            self.diagnostics.append(Diagnostic(file, line, f"value `{name}`: {exc}"))
            self.failed.add(name)
            return
        finally:
            self.stack.pop()
        if name not in self.failed:
            self.compiled[name] = ValueDef(name, fn, type_, spec.description, file, line, inputs, expr)

    def _lookup(self, spec: LookupSpec) -> tuple[Fn, Type, tuple[tuple[str, Fn], ...]]:
        return compile_lookup(spec, self.tables, self.scope)

    # rules ------------------------------------------------------------------------------------------
    def rules(self, rule_files: list[tuple[str, RuleFile, Any]]) -> list[CompiledRule]:
        compiled: list[CompiledRule] = []
        seen: dict[str, str] = {}
        for rel, parsed, raw in rule_files:
            for index, spec in enumerate(parsed.rules):
                line = line_of(raw, ("rules", index))
                if spec.id in seen:
                    self.diagnostics.append(
                        Diagnostic(rel, line, f"duplicate rule id (first defined in {seen[spec.id]})", spec.id)
                    )
                    continue
                seen[spec.id] = rel
                rule = self._rule(rel, line, spec, _lines_of_rule(raw, index))
                if rule is not None:
                    compiled.append(rule)
        return compiled

    def _rule(
        self, rel: str, line: int | None, spec: RuleSpec, line_at: Callable[[tuple[Any, ...]], int | None]
    ) -> CompiledRule | None:
        before = len(self.diagnostics)

        def problem(message: str, loc: tuple[Any, ...] = ()) -> None:
            self.diagnostics.append(Diagnostic(rel, (line_at(loc) if loc else None) or line, message, spec.id))

        leaves: list[Leaf] = []
        top: list[Fn] = []
        test = self._condition(spec.when, leaves, problem, ("when",), top)
        template = self._template(spec.message, lambda message: problem(message, ("message",)))
        fee_fn = None
        if spec.fee is not None:
            try:
                fee_fn = compile_expr(spec.fee.of, self.scope, want=NUMBER).fn
            except ExprError as exc:
                problem(f"fee: {exc}", ("fee", "of"))
        if len(self.diagnostics) > before or test is None or template is None:
            return None
        effective = spec.effective or Effective()
        return CompiledRule(
            id=spec.id,
            title=spec.title,
            description=spec.description,
            effect=spec.effect,
            cite=spec.cite,
            message=template,
            test=test,
            leaves=tuple(leaves),
            when=spec.when,
            effective_from=effective.from_,
            effective_until=effective.until,
            fee_rate=spec.fee.rate if spec.fee else None,
            fee_of=spec.fee.of if spec.fee else None,
            fee_fn=fee_fn,
            tags=tuple(spec.tags),
            file=rel,
            line=line,
            **_guarded(spec.when, leaves, top),
        )

    def _condition(
        self,
        when: Any,
        leaves: list[Leaf],
        problem: Callable[..., None],
        loc: tuple[Any, ...],
        top: list[Fn] | None = None,
    ) -> Fn | None:
        if isinstance(when, str):
            try:
                expr = compile_expr(when, self.scope, want=BOOL)
            except ExprError as exc:
                problem(str(exc), loc)
                return None
            slot = self.leaf_count
            self.leaf_count += 1
            leaves.append(Leaf(slot, expr.text, expr.fn, tuple(expr.observed), expr))
            fn = expr.fn

            def leaf(env: Any) -> Any:
                value = fn(env)
                env.results[slot] = value
                return value

            return leaf
        if not isinstance(when, dict) or len(when) != 1 or next(iter(when)) not in ("all", "any", "not"):
            problem("a condition is an expression string or one of {all: [...]}, {any: [...]}, {not: ...}", loc)
            return None
        ((kind, body),) = when.items()
        if kind == "not":
            inner = self._condition(body, leaves, problem, (*loc, "not"))
            if inner is None:
                return None
            return lambda env: MISSING if (v := inner(env)) is MISSING else not v
        if not isinstance(body, list) or not body:
            problem(f"`{kind}` needs a non-empty list of conditions", loc)
            return None
        parts = [self._condition(item, leaves, problem, (*loc, kind, i)) for i, item in enumerate(body)]
        if any(p is None for p in parts):
            return None
        fns: list[Fn] = [p for p in parts if p is not None]
        if top is not None:
            top.extend(fns)
        # `any` evaluates every branch, so that a finding lists every one that held
        return all_of(fns) if kind == "all" else any_of(fns, exhaustive=True)

    def _template(self, message: str, problem: Callable[[str], None]) -> Template | None:
        parts: list[tuple[str, Fn | None, str]] = []
        try:
            parsed = list(string.Formatter().parse(message))
        except ValueError as exc:
            problem(f"message: {exc}")
            return None
        ok = True
        for literal, field, spec, conversion in parsed:
            if conversion:
                problem(f"message: conversion `!{conversion}` is not supported")
                ok = False
            if field is None:
                parts.append((literal, None, ""))
                continue
            try:
                expr = compile_expr(field, self.scope)
            except ExprError as exc:
                problem(f"message: {exc}")
                ok = False
                continue
            parts.append((literal, expr.fn, spec or ""))
        return Template(message, tuple(parts)) if ok else None


def _lines_of_rule(raw: Any, index: int) -> Callable[[tuple[Any, ...]], int | None]:
    def line_at(loc: tuple[Any, ...]) -> int | None:
        return line_of(raw, ("rules", index, *loc))

    return line_at


def _guarded(when: Any, leaves: list[Leaf], top: list[Fn]) -> dict[str, Any]:
    """Split a rule into its first conjunct (a plain closure, to skip the rule cheaply when it is false) and
    the rest, so that the evaluator tests the first conjunct once."""
    if isinstance(when, str):
        return {"guard": leaves[0].fn, "guard_slot": leaves[0].slot, "rest": None}
    if isinstance(when, dict) and "all" in when and isinstance(when["all"][0], str):
        rest = top[1:]
        return {"guard": leaves[0].fn, "guard_slot": leaves[0].slot, "rest": all_of(rest) if rest else None}
    return {}


def in_force(effective_from: dt.date | None, effective_until: dt.date | None, on: dt.date) -> bool:
    return (effective_from is None or effective_from <= on) and (effective_until is None or on <= effective_until)
