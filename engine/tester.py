"""Pack test cases as data (`tests/*.yaml` beside a pack): run them and measure rule coverage."""

from __future__ import annotations

import difflib
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.contract import Decision, money
from engine.contract.yamlfile import line_of
from engine.errors import Diagnostic, InvalidTransaction, PackError
from engine.evaluation import Backend, NativeBackend
from engine.pack.loader import glob_files, read_spec
from engine.pack.model import Pack
from engine.pack.spec import Case, TestFile


@dataclass(frozen=True)
class CaseResult:
    file: str
    line: int | None
    name: str
    problems: tuple[str, ...]
    decision: Decision | None

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass
class TestReport:
    results: list[CaseResult] = field(default_factory=list)
    fired: Counter[str] = field(default_factory=Counter)
    rules: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    @property
    def coverage(self) -> float:
        """The share of the pack's rules that fired in at least one case."""
        if not self.rules:
            return 1.0
        return sum(1 for r in self.rules if self.fired[r]) / len(self.rules)

    @property
    def uncovered(self) -> list[str]:
        return [r for r in self.rules if not self.fired[r]]

    def as_dict(self) -> dict[str, Any]:
        """The report as `rules test --json` prints it."""
        return {
            "passed": len(self.results) - len(self.failed),
            "failed": len(self.failed),
            "coverage": round(self.coverage, 4),
            "uncovered": self.uncovered,
            "fired": {rule: self.fired[rule] for rule in self.rules},
            "cases": [
                {
                    "name": r.name,
                    "file": r.file,
                    "line": r.line,
                    "passed": r.passed,
                    "problems": list(r.problems),
                    "decision": r.decision.decision if r.decision else None,
                    "rules": r.decision.rules if r.decision else [],
                }
                for r in self.results
            ],
        }

    def junit_xml(self, suite: str) -> str:
        """The report as JUnit XML: one testcase per case, a failure naming every problem."""
        root = ET.Element("testsuites")
        tests = ET.SubElement(
            root, "testsuite", name=suite, tests=str(len(self.results)), failures=str(len(self.failed)), errors="0"
        )
        for result in self.results:
            case = ET.SubElement(
                tests, "testcase", classname=result.file, name=result.name, file=result.file, line=str(result.line or 0)
            )
            if not result.passed:
                failure = ET.SubElement(case, "failure", message=result.problems[0])
                failure.text = "\n".join(result.problems)
        ET.indent(root)
        return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


@dataclass(frozen=True)
class LoadedCase:
    file: str
    line: int | None
    case: Case
    transaction: dict[str, Any]


def load_cases(pack: Pack, files: list[Path] | None = None) -> list[LoadedCase]:
    """Every case of the pack's test files, with defaults merged in; PackError lists every bad file."""
    if files is None:
        files = glob_files(pack.root, list(pack.test_globs))
    diagnostics: list[Diagnostic] = []
    cases: list[LoadedCase] = []
    for path in files:
        rel = path.relative_to(pack.root).as_posix() if path.is_relative_to(pack.root) else str(path)
        read = read_spec(TestFile, path, rel, diagnostics)
        if read is None:
            continue
        parsed, raw = read.spec, read.raw
        for index, case in enumerate(parsed.cases):
            cases.append(
                LoadedCase(rel, line_of(raw, ("cases", index)), case, merge(parsed.defaults, case.transaction))
            )
    if diagnostics:
        raise PackError(diagnostics, str(pack.root))
    return cases


def check_cases(pack: Pack, cases: list[LoadedCase]) -> list[Diagnostic]:
    """Problems of the cases themselves, found without running them: rule ids the pack does not have in
    `expect`, and transactions that fail the input contract."""
    known = {r.id for r in pack.rules}
    diagnostics = []
    for loaded in cases:
        expect = loaded.case.expect
        for rule in dict.fromkeys((*expect.rules, *expect.not_rules, *expect.not_evaluable)):
            if rule not in known:
                close = difflib.get_close_matches(rule, known, n=1)
                diagnostics.append(
                    Diagnostic(
                        file=loaded.file, line=loaded.line, code="bad-test",
                        message=f"case `{loaded.case.name}`: `expect` names rule `{rule}`, not in the pack",
                        hint=f"did you mean `{close[0]}`?" if close else None,
                    )
                )  # fmt: skip
        try:
            pack.transaction(loaded.transaction)
        except InvalidTransaction as exc:
            for error in exc.errors:
                diagnostics.append(
                    Diagnostic(
                        file=loaded.file, line=loaded.line, code="bad-test",
                        message=f"case `{loaded.case.name}`: invalid transaction: {error}",
                    )
                )  # fmt: skip
    return diagnostics


def select_cases(cases: list[LoadedCase], pattern: str | None) -> list[LoadedCase]:
    """The cases whose name or file contains `pattern` (case-insensitive); all of them without one."""
    if not pattern:
        return cases
    needle = pattern.casefold()
    return [c for c in cases if needle in c.case.name.casefold() or needle in c.file.casefold()]


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep merge for case transactions: mappings merge, anything else replaces, `null` removes."""
    out = dict(base)
    for key, value in override.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def run_cases(pack: Pack, cases: list[LoadedCase], backend: Backend | None = None) -> TestReport:
    backend = backend or NativeBackend(pack)
    report = TestReport(rules=[r.id for r in pack.rules])
    for loaded in cases:
        expect = loaded.case.expect
        try:
            tx = pack.transaction(loaded.transaction)
        except InvalidTransaction as exc:
            report.results.append(CaseResult(loaded.file, loaded.line, loaded.case.name, (str(exc),), None))
            continue
        decision = backend.evaluate(tx)
        fired = {f.rule for f in decision.findings if f.reason is None}
        unknown = {f.rule for f in decision.findings if f.reason is not None}
        report.fired.update(fired)
        problems = []
        if decision.decision != expect.decision:
            problems.append(f"decision `{decision.decision}`, expected `{expect.decision}`")
        if expect.fee_usd is not None and decision.fee_usd != Decimal(expect.fee_usd):
            problems.append(f"fee_usd `{money(decision.fee_usd)}`, expected `{money(Decimal(expect.fee_usd))}`")
        for rule in expect.rules:
            if rule not in fired:
                problems.append(f"rule `{rule}` did not fire")
        for rule in expect.not_rules:
            if rule in fired or rule in unknown:
                problems.append(f"rule `{rule}` fired but must not")
        for rule in expect.not_evaluable:
            if rule not in unknown:
                problems.append(f"rule `{rule}` was expected to be not evaluable")
        known = {r.id for r in pack.rules}
        for rule in (*expect.rules, *expect.not_rules, *expect.not_evaluable):
            if rule not in known:
                problems.append(f"rule `{rule}` is not in the pack")
        if problems:
            problems.append(f"fired: {', '.join(decision.rules) or 'none'}")
        report.results.append(CaseResult(loaded.file, loaded.line, loaded.case.name, tuple(problems), decision))
    return report


def run_pack_tests(pack: Pack, backend: Backend | None = None) -> TestReport:
    """Load and run every case beside the pack."""
    return run_cases(pack, load_cases(pack), backend)
