"""One row of a batch: its cells in; the output cells, and what the summary and the depletion pass need, out.

A row that cannot be judged (too many or too few cells, bytes that are not UTF-8, a field the contract
refuses) gets an `error` naming each column at fault, and no decision. Nothing a row holds stops the batch.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, NamedTuple

from engine.batch.csvfiles import not_utf8
from engine.contract import BY_NAME, money, transaction_from_row
from engine.errors import FieldError, InvalidTransaction
from engine.evaluation import CountedFacts, evaluate
from engine.pack import Pack


class RowResult(NamedTuple):
    """What one row gave: the output cells (OUTPUT_COLUMNS), the outcome (None for an error), the fee, the rules,
    the columns at fault, what an allowed decision accrues, and whether the decision read external facts (so
    that the batch judges it again, in input order, with the facts of the rows before it)."""

    cells: tuple[str, str, str, str, str, str]
    outcome: str | None
    fee: str
    rules: tuple[str, ...]
    error_columns: tuple[str, ...]
    accruals: tuple[dict[str, Any], ...]
    reads_facts: bool


FileFacts = CountedFacts  # what a batch's earlier allowed rows accrued, on top of the log's totals if it has them


class _Watch:
    """A provider that notes whether a decision read a fact (and answers zero)."""

    read = False
    stable = True

    def fact(self, name: str, key: Any) -> Mapping[str, Any] | None:
        self.read = True
        return {}


def column_of(error: FieldError) -> str:
    """The CSV column a field error is about (`customer.name` -> `customer_name`)."""
    parts = [str(p) for p in error.loc if not isinstance(p, int)]
    for length in range(len(parts), 0, -1):
        field = BY_NAME.get(".".join(parts[:length]))
        if field is not None and field.csv is not None:
            return field.csv
    return "_".join(parts) or "(row)"


class Judge:
    """Judges the rows of one file under one pack; `timing` adds up nanoseconds spent per stage."""

    def __init__(self, pack: Pack, header: list[str]):
        self.pack = pack
        self.header = header
        self.width = len(header)
        self.version = pack.version
        self.timing = {"validating": 0, "evaluating": 0, "explaining": 0}

    def chunk(self, rows: list[list[str]]) -> list[RowResult]:
        watch = _Watch() if self.pack.reads_facts else None
        return [self.row(cells, watch) for cells in rows]

    def row(self, cells: list[str], facts: Any = None) -> RowResult:
        clock = time.perf_counter_ns
        began = clock()
        try:
            problems = self._shape(cells)
            if problems:
                return self._error(problems)
            try:
                tx = self.pack.transaction(transaction_from_row(dict(zip(self.header, cells, strict=True))))
            except InvalidTransaction as exc:
                return self._error([(column_of(e), e.message) for e in exc.errors])
            validated = clock()
            if isinstance(facts, _Watch):
                facts.read = False
            decision = evaluate(self.pack, tx, facts)
            evaluated = clock()
            explanation = decision.explanation
            rules = tuple(decision.rules)
            self.timing["validating"] += validated - began
            self.timing["evaluating"] += evaluated - validated
            self.timing["explaining"] += clock() - evaluated
            fee = money(decision.fee_usd)
            return RowResult(
                (decision.decision, fee, ";".join(rules), explanation, self.version, ""),
                decision.decision,
                fee,
                rules,
                (),
                decision.accruals,
                isinstance(facts, _Watch) and facts.read,
            )
        except Exception as exc:  # fail closed: the row is reported, the batch goes on
            return self._error([("(row)", f"could not be judged: {type(exc).__name__}: {exc}")])

    def _shape(self, cells: list[str]) -> list[tuple[str, str]]:
        if len(cells) != self.width:
            return [("(row)", f"the row has {len(cells)} cells; the header has {self.width}")]
        return [
            (column, "is not valid UTF-8") for column, cell in zip(self.header, cells, strict=True) if not_utf8(cell)
        ]

    def _error(self, problems: list[tuple[str, str]]) -> RowResult:
        text = "; ".join(f"{column}: {message}" for column, message in problems)
        columns = tuple(dict.fromkeys(column for column, _ in problems))
        return RowResult(("", "", "", "", self.version, text), None, "", (), columns, (), False)
