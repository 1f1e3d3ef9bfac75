"""The embedding API is what `engine/__init__.py` exports: pinned, so a change to it is deliberate."""

from __future__ import annotations

import ast
from pathlib import Path

import engine

ROOT = Path(__file__).resolve().parents[2]


def test_public_names_are_pinned() -> None:
    assert sorted(engine.__all__) == sorted(
        [
            "BACKENDS", "Backend", "ClearanceError", "ConditionResult", "Decision", "Diagnostic",
            "EvaluationError", "FactProvider", "FieldError", "Finding", "InMemoryFacts", "InvalidTransaction",
            "NativeBackend", "Pack",
            "PackError", "ScreeningListError", "Transaction", "UsageError", "check",
            "default_pack_path", "evaluate", "evaluate_many", "load_pack", "make_backend", "money",
            "parse_transaction", "stamp", "validate",
        ]
    )  # fmt: skip
    for name in engine.__all__:
        assert hasattr(engine, name), name


def test_engine_never_imports_the_web_layer() -> None:
    for path in (ROOT / "engine").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"api", "fastapi", "starlette", "uvicorn"}, f"{path}: {name}"


def test_cli_uses_the_public_api(tmp_path: Path) -> None:
    pack = engine.load_pack()
    decision = engine.check(
        pack,
        {"id": "x", "date": "2026-03-01", "product": "H100", "quantity": 1, "unit_price_usd": 1,
         "destination": "JP", "customer": {"name": "Sakura", "country": "JP"}, "end_use": "research"},
    )  # fmt: skip
    assert decision.decision == "allow"
