"""Properties over arbitrary input (Hypothesis): whatever a transaction or a rule file holds, the engine answers
with a decision, a named error or diagnostics, within a bounded time, and never with a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.cli import main
from tests.conftest import EXAMPLE, tx

SETTINGS = settings(
    max_examples=400, deadline=2000, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["", "CN", "US", "2026-02-30", "2026-03-01", "-0", "1e400", "31500,50", "H200", "\x1b[2J"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
FIELDS = [*tx(), "specs", "ship_from", "end_user", "license_number", "product"]
# values that sit on the contract's edges, or past them
EDGES = st.sampled_from(
    ["-0", "-0.00", "0", "1e400", "1E+13", "31500,50", "31,500.50", "9" * 120, 10**9, 10**9 + 1, 10**26, -1, 0.1,
     float("inf"), "NaN", "2026-02-30", "2026-02-28T10:00:00", "cn", "XX", "A" * 501, "T\nFAKE", "\u202e", [],
     {}, {"name": "A" * 501}, {"name": "Acme", "country": "ZZ"}, {"tpp": "1e12"}, {"tpp": "-0", "die_area_mm2": 0},
     ["us-third-party-tested"], [None], True, None]
)  # fmt: skip
# transactions: a valid one with some fields replaced by anything, or removed, or anything at all
mutated = st.builds(
    lambda base, changes, removed: {**{k: v for k, v in base.items() if k not in removed}, **changes},
    st.just(tx()),
    st.dictionaries(st.sampled_from(FIELDS), EDGES | json_values, max_size=4),
    st.sets(st.sampled_from(FIELDS), max_size=3),
)
transactions = st.one_of(mutated, json_values)


@SETTINGS
@given(transactions)
def test_any_transaction_gets_a_decision_or_named_errors(shipped_pack: engine.Pack, data: Any) -> None:
    try:
        decision = engine.check(shipped_pack, data)
    except engine.InvalidTransaction as exc:
        assert exc.errors and all(e.message for e in exc.errors)
        return
    assert decision.decision in ("allow", "deny", "review")
    json.loads(decision.to_json())


@settings(max_examples=60, deadline=3000, derandomize=True)
@given(transactions)
def test_check_exits_0_1_2_or_3_without_a_traceback(data: Any) -> None:
    result = CliRunner().invoke(main, ["check", "-"], input=json.dumps(data, allow_nan=True))
    assert result.exit_code in (0, 1, 2, 3), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


TOKENS = [":", "-", "- ", "  ", "\n", "'", '"', "{", "}", "[", "]", "&a", "*a", "#", "!!python/object", "=>", "not ",
          "{x", "!", "\t", "%", "when", "all:", "effect: deny", "..", "/", "\x00", "é", "9" * 30]  # fmt: skip
RULES = (EXAMPLE / "rules" / "main.yaml").read_text()


@st.composite
def mutated_rule_file(draw: st.DrawFn) -> str:
    text = RULES
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "swap-lines", "duplicate-line"]))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(TOKENS) | st.text(max_size=3)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 12)) :]
        else:
            lines = text.split("\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if kind == "swap-lines":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines.insert(j, lines[i])
            text = "\n".join(lines)
    return text


@settings(
    max_examples=120, deadline=3000, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mutated_rule_file())
def test_a_mutated_rule_file_loads_or_is_diagnosed(tmp_path: Path, text: str) -> None:
    root = tmp_path / "pack"
    if not root.exists():
        shutil.copytree(EXAMPLE, root)
    (root / "rules" / "main.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        engine.load_pack(root)
    except engine.PackError as exc:
        assert exc.diagnostics and all(d.code and d.message for d in exc.diagnostics)
    result = CliRunner().invoke(main, ["rules", "validate", "--json", str(root)])
    assert result.exit_code in (0, 1) and (result.exception is None or isinstance(result.exception, SystemExit))
    assert json.loads(result.stdout)["ok"] is (result.exit_code == 0)
