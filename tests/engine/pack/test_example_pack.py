"""The example pack under tests/fixtures exercises every operator, function, condition form and effect."""

from __future__ import annotations

import ast
from typing import Any

import engine
from engine.language import BUILTINS, OP_TEXT


def _walk_when(when: Any, forms: set[str]) -> None:
    if isinstance(when, dict):
        ((kind, body),) = when.items()
        forms.add(kind)
        for item in body if isinstance(body, list) else [body]:
            _walk_when(item, forms)


def test_every_operator_and_function_is_used(example_pack: engine.Pack) -> None:
    nodes: list[ast.AST] = []
    for rule in example_pack.rules:
        for leaf in rule.leaves:
            nodes.extend(part.node for part in leaf.expr.parts.values() if part.node is not None)
    for value in example_pack.values.values():
        if value.expr is not None:
            nodes.extend(part.node for part in value.expr.parts.values() if part.node is not None)
    used: set[Any] = set()
    for node in nodes:
        if isinstance(node, ast.Compare):
            used.update(type(op) for op in node.ops)
        elif isinstance(node, ast.BoolOp | ast.BinOp | ast.UnaryOp):
            used.add(type(node.op))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            used.add(node.func.id)
        used.add(type(node))
    expected = {*OP_TEXT, *BUILTINS, "screen", ast.And, ast.Or, ast.Not, ast.USub, ast.Add, ast.Sub, ast.Mult, ast.Div,
                ast.IfExp, ast.Subscript, ast.List}  # fmt: skip
    assert expected - used == set()


def test_every_condition_form_effect_and_date_bound_is_used(example_pack: engine.Pack) -> None:
    forms: set[str] = set()
    for rule in example_pack.rules:
        _walk_when(rule.when, forms)
    assert forms == {"all", "any", "not"}
    assert {r.effect for r in example_pack.rules} == {"deny", "review", "allow", "fee"}
    assert any(r.effective_from and not r.effective_until for r in example_pack.rules)
    assert any(r.effective_from and r.effective_until for r in example_pack.rules)
    assert example_pack.screening is not None and any(v.type.kind == "record" for v in example_pack.values.values())
