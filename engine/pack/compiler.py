"""Pack directory -> compiled Pack, in named stages over one state, collecting EVERY problem.

    load_manifest    pack.yaml, validated
    load_tables      reference tables (CSV rows, YAML sets)
    load_lists       denied-party lists, and the functions they and the pack's external facts add
    load_rule_files  rules/*.yaml, validated against the file format
    resolve          names: transaction fields, values, tables; duplicate names and rule ids
    order_values     values compiled in dependency order; cycles reported
    compile_rules    conditions, message templates, fees
    compile_reports  what every decision reports (classification) and accrues (external facts)
    plan             the pack: rules by date, digest

A pack with any error never loads partially: `compile_pack` either returns a whole Pack or raises
PackError with all diagnostics, each with file, line, column, a stable code and a hint. A stage after a
fatal problem (no manifest) does not run. A new check is a new stage.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.contract.yamlfile import line_of, mark_of, value_at
from engine.errors import Diagnostic, PackError
from engine.language import BUILTINS, ExprError, Fn, Function, compile_expr
from engine.language.values import NUMBER, STRING, Type
from engine.pack.conditions import ConditionCompiler
from engine.pack.external import external_functions
from engine.pack.loader import MANIFEST, SpecFile, glob_files, pack_digest, read_lists, read_spec
from engine.pack.model import Accrual, CompiledRule, Pack, Reported, ValueDef
from engine.pack.names import Names, Site
from engine.pack.spec import Effective, Manifest, RuleFile, RuleSpec
from engine.pack.tables import Table, load_table
from engine.pack.templates import compile_template
from engine.screening import ScreeningIndex, name_score_function, screen_function, screenable_function


@dataclass
class RuleFileData:
    file: str
    spec: RuleFile
    source: SpecFile

    @property
    def raw(self) -> Any:
        return self.source.raw


@dataclass
class CompileState:
    """Everything the stages read and write."""

    root: Path
    diagnostics: list[Diagnostic] = field(default_factory=list)
    fatal: bool = False
    manifest: Manifest | None = None
    manifest_raw: Any = None
    tables: dict[str, Table] = field(default_factory=dict)
    screening: ScreeningIndex | None = None
    functions: dict[str, Function] = field(default_factory=lambda: dict(BUILTINS))
    files: list[RuleFileData] = field(default_factory=list)
    sources: dict[str, list[str]] = field(default_factory=dict)
    names: Names | None = None
    values: dict[str, ValueDef] = field(default_factory=dict)
    rule_sites: list[tuple[RuleFileData, int, RuleSpec]] = field(default_factory=list)
    rules: list[CompiledRule] = field(default_factory=list)
    classification: Reported | None = None
    accruals: list[Accrual] = field(default_factory=list)
    leaf_count: int = 0
    pack: Pack | None = None

    def problem(self, exc: ExprError, site: Site, rule: str | None = None) -> None:
        """Record an expression's problem at its line and column in the file."""
        line = line_of(site.raw, site.loc)
        column = end = None
        mark = mark_of(site.raw, site.loc)
        text = value_at(site.raw, site.loc)
        if mark is not None:
            line, column = mark[0], mark[1]
            if exc.span is not None and isinstance(text, str):
                located = _locate(self.sources.get(site.file, []), mark, text, exc.span)
                if located is not None:
                    line, column, end = located
        self.diagnostics.append(
            Diagnostic(
                file=site.file, line=line, column=column, end_column=end, code=exc.code, rule=rule,
                message=exc.message, hint=exc.hint,
            )
        )  # fmt: skip


Stage = Callable[[CompileState], None]


def load_manifest(state: CompileState) -> None:
    path = state.root / MANIFEST
    if not path.is_file():
        state.diagnostics.append(
            Diagnostic(file=str(state.root), code="not-a-pack", message=f"not a rule pack: `{MANIFEST}` not found")
        )
        state.fatal = True
        return
    read = read_spec(Manifest, path, MANIFEST, state.diagnostics)
    state.manifest = read.spec if read is not None else None
    state.manifest_raw = read.raw if read is not None else None
    if read is not None:
        state.sources[MANIFEST] = read.lines
    state.fatal = state.manifest is None


def load_tables(state: CompileState) -> None:
    assert state.manifest is not None
    for name, spec in state.manifest.tables.items():
        table = load_table(name, spec, state.root, state.diagnostics)
        if table is not None:
            state.tables[name] = table


def load_lists(state: CompileState) -> None:
    assert state.manifest is not None
    state.screening = read_lists(state.manifest, state.root, state.diagnostics)
    # lists declared but not loaded (their problems are reported): rules still compile against an empty index,
    # so that one bad list file is one diagnostic, not one for every rule that screens
    index = state.screening or (ScreeningIndex.from_entries([], []) if state.manifest.lists else None)
    for function in (screen_function(index), screenable_function(index), name_score_function()):
        state.functions[function.name] = function
    if state.manifest.facts:
        state.functions.update(external_functions(state.manifest.facts))


def load_rule_files(state: CompileState) -> None:
    assert state.manifest is not None
    paths = glob_files(state.root, state.manifest.rules, state.diagnostics)
    if not paths and not state.diagnostics:
        state.diagnostics.append(
            Diagnostic(file=MANIFEST, code="no-rule-files", message=f"no rule files match {state.manifest.rules}")
        )
    for path in paths:
        rel = path.relative_to(state.root).as_posix()
        read = read_spec(RuleFile, path, rel, state.diagnostics, partial=("rules", "values"))
        if read is not None:
            state.sources[rel] = read.lines
            state.files.append(RuleFileData(rel, read.spec, read))


def resolve(state: CompileState) -> None:
    """Declare every value and rule by name, reporting names and ids used twice."""
    names = state.names = Names(state.tables, state.functions, state.problem)
    for data in state.files:
        for position, spec in enumerate(data.spec.values):
            site = Site(data.file, data.raw, ("values", data.source.raw_index("values", position)))
            if names.taken(spec.name):
                state.diagnostics.append(
                    Diagnostic(
                        file=data.file, line=line_of(data.raw, site.loc), code="duplicate-value",
                        message=f"value `{spec.name}` is defined twice (or names a field or table)",
                    )
                )  # fmt: skip
                continue
            names.declare(site, spec)
    seen: dict[str, str] = {}
    for data in state.files:
        for position, rule in enumerate(data.spec.rules):
            index = data.source.raw_index("rules", position)
            if rule.id in seen:
                state.diagnostics.append(
                    Diagnostic(
                        file=data.file, line=line_of(data.raw, ("rules", index)), code="duplicate-rule",
                        rule=rule.id, message=f"duplicate rule id (first defined in {seen[rule.id]})",
                    )
                )  # fmt: skip
                continue
            seen[rule.id] = data.file
            state.rule_sites.append((data, index, rule))


def order_values(state: CompileState) -> None:
    assert state.names is not None
    state.values = state.names.compile_values()


def compile_rules(state: CompileState) -> None:
    assert state.names is not None
    scope = state.names.scope
    conditions = ConditionCompiler(scope)
    for data, index, spec in state.rule_sites:
        before = len(state.diagnostics)

        def report(
            exc: ExprError, loc: tuple[Any, ...], data: RuleFileData = data, index: int = index, rule: str = spec.id
        ) -> None:
            state.problem(exc, Site(data.file, data.raw, ("rules", index, *loc)), rule)

        condition = conditions.compile(spec.when, report)
        template, problems = compile_template(spec.message, scope)
        for problem in problems:
            report(problem, ("message",))
        fee_fn: Fn | None = None
        if spec.fee is not None:
            try:
                fee_fn = compile_expr(spec.fee.of, scope, want=NUMBER).fn
            except ExprError as exc:
                exc.message = f"fee: {exc.message}"
                report(exc, ("fee", "of"))
        if len(state.diagnostics) > before or condition is None or template is None:
            continue
        effective = spec.effective or Effective()
        state.rules.append(
            CompiledRule(
                id=spec.id,
                title=spec.title,
                description=spec.description,
                effect=spec.effect,
                cite=spec.cite,
                message=template,
                test=condition.test,
                leaves=condition.leaves,
                when=spec.when,
                effective_from=effective.from_,
                effective_until=effective.until,
                fee_rate=spec.fee.rate if spec.fee else None,
                fee_of=spec.fee.of if spec.fee else None,
                fee_fn=fee_fn,
                tags=tuple(spec.tags),
                file=data.file,
                line=line_of(data.raw, ("rules", index)),
                plan=condition.plan,
                flat=_flat(spec.when),
            )
        )
    state.leaf_count = conditions.slots


def _flat(when: Any) -> bool:
    """One condition, or `all`/`any` of conditions: each is evaluated whenever the rule fires."""
    if isinstance(when, str):
        return True
    return (
        isinstance(when, dict)
        and len(when) == 1
        and next(iter(when)) in ("all", "any")
        and all(isinstance(w, str) for w in next(iter(when.values())))
    )


def compile_reports(state: CompileState) -> None:
    assert state.manifest is not None and state.names is not None
    scope = state.names.scope

    def compiled(text: str, loc: tuple[Any, ...], want: Type | None = None) -> Fn | None:
        try:
            return compile_expr(text, scope, want=want).fn
        except ExprError as exc:
            state.problem(exc, Site(MANIFEST, state.manifest_raw, loc))
            return None

    spec = state.manifest.classification
    if spec is not None:
        summary = compiled(spec.summary, ("classification", "summary"), STRING)
        fields = [(name, compiled(text, ("classification", "fields", name))) for name, text in spec.fields.items()]
        if summary is not None and all(fn is not None for _, fn in fields):
            state.classification = Reported(summary, tuple((name, fn) for name, fn in fields if fn is not None))
    for name, fact in state.manifest.facts.items():
        if fact.accrue is None:
            continue
        key = compiled(fact.accrue["key"], ("facts", name, "accrue", "key"))
        amounts = [
            (field, compiled(text, ("facts", name, "accrue", field), NUMBER))
            for field, text in fact.accrue.items()
            if field != "key"
        ]
        if key is not None and all(fn is not None for _, fn in amounts):
            state.accruals.append(Accrual(name, key, tuple((f, fn) for f, fn in amounts if fn is not None), fact.cite))


def plan(state: CompileState) -> None:
    assert state.manifest is not None
    manifest = state.manifest
    state.pack = Pack(
        name=manifest.name,
        version=manifest.version,
        title=manifest.title,
        description=manifest.description,
        default=manifest.default,
        digest=pack_digest(state.root, manifest),
        root=state.root,
        rules=tuple(state.rules),
        values=state.values,
        tables=state.tables,
        screening=state.screening,
        leaf_count=state.leaf_count,
        test_globs=tuple(manifest.tests),
        law_as_of=manifest.law_as_of or _date_or_none(manifest.version),
        vocabularies={name: frozenset(values) for name, values in manifest.vocabularies.items()},
        classification=state.classification,
        accruals=tuple(state.accruals),
        reads_facts=bool(manifest.facts),
    )


STAGES: tuple[Stage, ...] = (
    load_manifest,
    load_tables,
    load_lists,
    load_rule_files,
    resolve,
    order_values,
    compile_rules,
    compile_reports,
    plan,
)


def compile_pack(path: str | Path) -> Pack:
    """Load and compile the pack in directory `path`; raise PackError listing every problem."""
    state = CompileState(Path(path))
    # compiling makes many objects and frees few: the cyclic collector would re-scan them all, again and
    # again, making loading quadratic in the size of the pack (nothing here forms garbage cycles of note)
    collecting = gc.isenabled()
    gc.disable()
    try:
        for stage in STAGES:
            if stage is plan and state.diagnostics:
                break
            stage(state)
            if state.fatal:
                break
    finally:
        if collecting:
            gc.enable()
    if state.diagnostics or state.pack is None:
        raise PackError(state.diagnostics, str(state.root))
    return state.pack


def _date_or_none(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _locate(
    lines: list[str], mark: tuple[int, int, str], text: str, span: tuple[int, int]
) -> tuple[int, int, int] | None:
    """The (line, column, end column) in the file of `text[span]`, the expression written at `mark`."""
    line, column, style = mark
    start, end = span
    token = text[start:end]
    row = text.count("\n", 0, start)
    if style in ("|", ">"):  # a block scalar: its text starts on the next line
        line, row = line + 1 + row, 0
    else:
        line += row
    if not 1 <= line <= len(lines):
        return None
    source = lines[line - 1]
    if row == 0 and style not in ("|", ">"):
        guess = column - 1 + (1 if style in ('"', "'") else 0) + start
        if source[guess : guess + len(token)] == token:
            return line, guess + 1, guess + 1 + len(token)
    found = source.find(token) if token else -1
    if found < 0:
        return None
    return line, found + 1, found + 1 + len(token)
