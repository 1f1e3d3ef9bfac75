"""Expressions compiled from source give what their closures give: the same value, or the same error, for
values of every kind (given, missing, None, of another type), on every operator and built-in."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from decimal import Decimal
from typing import Any

import pytest

from engine.language import BUILTINS, Scope, compile_expr
from engine.language.emit import Emitter
from engine.language.values import BOOL, DATE, LIST, MISSING, NUMBER, STRING, Type
from engine.pack.tables import Table

NAMES: dict[str, Type] = {"n": NUMBER, "m": NUMBER, "s": STRING, "b": BOOL, "c": BOOL, "d": DATE, "xs": LIST}
GROUPS = Table(name="groups", file="g.yaml", kind="sets", sets={"G": frozenset({"CN", "RU"})})
EXPRESSIONS = [
    "n == 5", "n != m", "n < 6 and n <= m and n > 4 and n >= 5", "4 < n < m", "between(n, 5, m) or b",
    "s in ['CN', 'HK']", "s not in ['CN', 'HK']", "s in groups['G']", "s in xs", "s not in xs", "'a' in xs",
    "exists(n)", "missing(s)", "exists(b) and missing(c)", "matches(s, '^C') and c", "d >= '2026-01-15'",
    "d < date('2026-01-15')", "n * 2 + m - 1 == 11.5", "n / m", "n / 0", "-n", "not b", "b or c", "b and c",
    "b and c and n > 1", "b or c or n > 1", "not (b and (c or s == 'CN'))", "('x' if b else 'y')",
    "(n if c else m) + 1", "len(xs) == 2 and len(s) == 2", "lower(s) == 'cn'", "min(n, m) + 1", "max(n, m, 7) - 1",
    "round(m, 1) * 2", "format(n, ',') + '.'", "coalesce(n, m, 3)", "coalesce(s, 'none') + '!'", "s + s",
    "n > 1 and (s == 'CN' or d < '2025-01-01')", "b == true", "c != false", "n * m > 10 or not b",
]  # fmt: skip
VALUES: dict[str, list[Any]] = {
    "n": [5, 0, -3, Decimal("2.50"), Decimal("7"), MISSING, None, "text"],
    "m": [Decimal("2.5"), 5, 0, MISSING, None],
    "s": ["CN", "HK", "a", "", MISSING, None, 5],
    "b": [True, False, MISSING, None],
    "c": [True, False, MISSING, None],
    "d": [dt.date(2026, 1, 15), dt.date(2020, 1, 1), MISSING, "2026-01-15"],
    "xs": [("a", "b"), (), frozenset({"CN"}), MISSING, None],
}


def scope() -> Scope:
    import operator

    return Scope(
        lambda name: (operator.itemgetter(name), NAMES[name]) if name in NAMES else None,
        {"groups": GROUPS},
        lambda: list(NAMES),
        BUILTINS,
    )


def outcome(fn: Any, env: dict[str, Any]) -> Any:
    try:
        value = fn(env)
    except Exception as exc:  # both must fail alike
        return ("raised", type(exc))
    return (type(value), value)


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_compiled_source_agrees_with_the_closures(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = compile_expr(text, scope())
    assert compiled.bindings is not None, "compiled from source"
    with monkeypatch.context() as patch:
        patch.setattr(Emitter, "finish", lambda self, expr: None)
        closures = compile_expr(text, scope())
    assert compiled.fn is not closures.fn
    rng = random.Random(text)
    combinations = list(itertools.product(*VALUES.values()))
    for values in rng.sample(combinations, 3000):
        env = dict(zip(VALUES, values, strict=True))
        assert outcome(compiled.fn, env) == outcome(closures.fn, env), (text, env)


def test_a_name_the_scope_reads_otherwise_is_called(monkeypatch: pytest.MonkeyPatch) -> None:
    custom = Scope(lambda name: ((lambda e: e.get(name, MISSING)), NUMBER) if name == "n" else None, {}, list, BUILTINS)
    expr = compile_expr("n > 1 and exists(n)", custom)
    assert expr.fn({}) is False and expr.fn({"n": 2}) is True


def test_an_expression_too_deep_for_python_keeps_its_closures() -> None:
    text = "(" * 90 + "n" + " + 1)" * 90 + " > 1"
    expr = compile_expr(text, scope())
    assert expr.fn({"n": 1}) is True


def test_derived_values_computed_inline_decide_as_read_by_name(
    write_pack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A value read by an expression is computed inline and kept in the facts; in a lookup's `where` too. The
    decisions equal those of the same pack reading every value by name."""
    import engine
    from engine.language.emit import Derived
    from tests.conftest import tx
    from tests.generators import as_transaction, generate

    root = write_pack(
        {
            "r.yaml": """
            values:
              - {name: big, expr: "quantity >= 100"}
              - {name: line, expr: "quantity * unit_price_usd"}
              - {name: large, expr: "big and line > 1000000"}
              - {name: code, expr: "'A' if big else 'B'"}
              - name: thing
                lookup: {table: things, match: [{columns: [code], value: code}], where: "row.ok == big"}
            rules:
              - {id: R1, title: t, effect: deny, cite: c, message: "{line}", when: {all: ['large', 'exists(thing)']}}
              - {id: R2, title: t, effect: review, cite: c, message: m, when: "not big and line < 100"}
              - {id: R3, title: t, effect: allow, cite: c, message: "{code}", when: {any: ['large', 'exists(thing)']}}
            """
        }
    )
    txs = [tx(quantity=q, unit_price_usd=p) for q in (1, 99, 100, 5000) for p in ("0.5", "30000")]
    txs += list(generate(300, seed=4))

    def decide() -> list[Any]:
        pack = engine.load_pack(root)
        out = []
        for data in txs:
            decision = engine.evaluate(pack, as_transaction(data))
            out.append((decision.as_dict(), decision.explanation))
        return out

    inline = decide()
    with monkeypatch.context() as patch:
        patch.setattr(Derived, "compute", lambda self: None)
        by_name = decide()
    assert inline == by_name
    assert {d["decision"] for d, _ in inline} == {"allow", "deny", "review"}
