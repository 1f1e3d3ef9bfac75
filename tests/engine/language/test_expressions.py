"""The expression language: each operator and function, three-valued logic, and static types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from engine.language import BUILTINS, ExprError, Scope, compile_expr
from engine.language.values import BOOL, DATE, LIST, MISSING, NUMBER, STRING, Type
from engine.pack.tables import Table

NAMES: dict[str, Type] = {"n": NUMBER, "m": NUMBER, "s": STRING, "b": BOOL, "d": DATE, "xs": LIST, "gone": NUMBER}
GROUPS = Table(name="groups", file="g.yaml", kind="sets", sets={"G": frozenset({"CN", "RU"})})


def run(text: str, **env: Any) -> Any:
    scope = Scope(
        lambda name: ((lambda e, k=name: e.get(k, MISSING)), NAMES[name]) if name in NAMES else None,
        {"groups": GROUPS},
        lambda: list(NAMES),
        BUILTINS,
    )
    values = {"n": 5, "m": Decimal("2.5"), "s": "CN", "b": True, "d": dt.date(2026, 1, 15), "xs": ("a", "b")}
    values.update(env)
    return compile_expr(text, scope).fn(values)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("n == 5", True),
        ("n != 5", False),
        ("n < 6 and n <= 5 and n > 4 and n >= 5", True),
        ("4 < n < 6", True),
        ("between(n, 5, 6)", True),
        ("between(n, 6, 7)", False),
        ("s in ['CN', 'HK']", True),
        ("s not in ['CN', 'HK']", False),
        ("s in groups['G']", True),
        ("'a' in xs", True),
        ("exists(n)", True),
        ("missing(n)", False),
        ("matches(s, '^C')", True),
        ("d >= '2026-01-15'", True),
        ("d < date('2026-01-15')", False),
        ("n * 2 + m - 1 == 11.5", True),
        ("n / 2 == 2.5", True),
        ("not b", False),
        ("b or gone > 1", True),
        ("('x' if b else 'y') == 'x'", True),
        ("len(xs) == 2 and len(s) == 2", True),
        ("lower('ABC') == 'abc'", True),
        ("min(n, m) == 2.5 and max(n, m) == 5", True),
        ("round(m, 0) == 3", True),
        ("-n < 0", True),
        ("coalesce(gone, n) == 5", True),
        ("b == true and false == false", True),
    ],
)
def test_operators(text: str, expected: bool) -> None:
    assert run(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gone > 1", MISSING),
        ("gone > 1 and b", MISSING),
        ("gone > 1 and not b", False),  # false wins over missing
        ("gone > 1 or b", True),  # true wins over missing
        ("gone > 1 or not b", MISSING),
        ("not (gone > 1)", MISSING),
        ("exists(gone)", False),
        ("missing(gone)", True),
        ("gone + 1 > 0", MISSING),
        ("n / 0 > 1", MISSING),
        ("between(gone, 1, 2)", MISSING),
        ("between(gone, 1, 2) or n == 5", True),
    ],
)
def test_three_valued_logic(text: str, expected: object) -> None:
    assert run(text) is expected


def test_decimal_arithmetic_is_exact() -> None:
    assert run("m * 3 == 7.5") is True
    assert run("n / 3 * 3 == n") is False  # Decimal division is exact to 28 digits, not rounded to equality


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("n == 'x'", "type mismatch"),
        ("s < 'x'", "needs numbers or dates"),
        ("n and b", "needs a bool"),
        ("s + 1", "needs a string"),
        ("n + 's'", "needs a string"),
        ("n * s", "needs a number"),
        ("n in s", "must be a list"),
        ("d > 'soon'", "is not a date"),
        ("nope", "unknown name `nope`"),
        ("s.x", "unknown name `s.x`"),
        ("__import__('os')", "unknown function `__import__`"),
        ("n ** 2", "is not supported"),
        ("lambda: 1", "is not allowed"),
        ("[n, 1]", "may hold only literals"),
        ("groups['Z']", "has no set `Z`"),
        ("round(n, 'a')", "decimals must be a whole number"),
        ("matches(s, n)", "string literal"),
        ("exists(n, m)", "takes 1 argument"),
        ("", "non-empty"),
    ],
)
def test_compile_errors(text: str, fragment: str) -> None:
    with pytest.raises(ExprError) as info:
        run(text)
    assert fragment in str(info.value)


def test_observed_operands_are_recorded() -> None:
    scope = Scope(lambda name: ((lambda e, k=name: e[k]), NAMES[name]) if name in NAMES else None, {}, list, BUILTINS)
    expr = compile_expr("n > 1 and s == 'CN' and n < 9", scope)
    assert [label for label, _ in expr.observed] == ["n", "s"]
