"""The durable backend: as a user's script starts it, and its decisions on values durable-rules cannot
carry as they are (decimals a hair off a constant, integers past 2**53 and 2**63, strings past 64 KB)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import engine
from engine.durable import DurableBackend
from tests.conftest import tx
from tests.generators import as_transaction

SCRIPT = """\
import engine

pack = engine.load_pack()
backend = engine.make_backend(pack, "durable")
decision = engine.check(pack, {tx!r}, backend=backend)
backend.close()
print("decision:", decision.decision)
"""


def test_a_script_without_a_main_guard_can_use_the_durable_backend(tmp_path: Path) -> None:
    """A spawned worker would run such a script again; the worker starts without the caller's main module."""
    script = tmp_path / "screen.py"
    script.write_text(textwrap.dedent(SCRIPT.format(tx=tx())))
    run = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["decision: allow"]
    assert "Traceback" not in run.stderr


RULE = """\
  - id: {id}
    title: t
    effect: deny
    when: {when}
    message: m
    cite: c
"""
H200 = Path(__file__).resolve().parents[3] / "examples" / "transactions" / "h200-china-allowed.json"


def pack_of(write_pack: Callable[..., Path], rules: dict[str, str]) -> engine.Pack:
    text = "rules:\n" + "".join(RULE.format(id=i, when=json.dumps(w)) for i, w in rules.items())
    return engine.load_pack(write_pack({"r.yaml": text}))


def both(pack: engine.Pack, txs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The native decisions as dicts, after checking that the durable backend gives the very same."""
    parsed = [as_transaction(t) for t in txs]  # past the contract's limits too: the backends agree on anything
    native = [engine.evaluate(pack, t).as_dict() for t in parsed]
    with DurableBackend(pack) as backend:
        durable = [d.as_dict() for d in backend.evaluate_many(parsed)]
    for n, d in zip(native, durable, strict=True):
        assert d == n, (d["transaction_id"], d["decision"], n["decision"])
    return native


def test_exact_decimals_tpp_a_hair_above_the_fee_band_owes_the_fee(shipped_pack: engine.Pack) -> None:
    data = json.loads(H200.read_text())
    data["specs"] = {"tpp": "14000.0000000000000000001"}  # 14000.0 as a double: not inside 14000 < tpp < 17500
    (decision,) = both(shipped_pack, [data])
    assert decision["decision"] == "allow" and decision["fee_usd"] == "2016000.00"


def test_exact_decimals_a_price_a_hair_above_a_constant_is_denied(write_pack: Callable[..., Path]) -> None:
    pack = pack_of(write_pack, {"PRICE": "unit_price_usd > 24999.9999999999999999"})  # 25000.0 as a double
    prices = ["25000", "24999.9999999999999999", "24999.99999999999999990000001", "24999.9999999999999998"]
    decisions = both(pack, [tx(id=f"T-{n}", unit_price_usd=p) for n, p in enumerate(prices)])
    assert [d["decision"] for d in decisions] == ["deny", "allow", "deny", "allow"]


EXACT_RULES = {
    "PAST-2-53": "quantity > 9007199254740992",
    "AT-2-63": "quantity == 9223372036854775809",
    "HUGE": "specs.tpp > 1E+30",
    "TINY": "specs.die_area_mm2 < 1E-30",
    "PD": "specs.tpp / specs.die_area_mm2 >= 5.92",
    "CLOSE": "specs.tpp > specs.memory_bandwidth_gbs",
    "EQUAL": "specs.tpp == 2.5",
}
EXACT_CASES: list[tuple[str, dict[str, Any], bool]] = [  # (the rule in question, transaction, whether it fires)
    ("PAST-2-53", {"quantity": 2**53 + 1}, True),  # 2**53 as a double
    ("PAST-2-53", {"quantity": 2**53}, False),
    ("AT-2-63", {"quantity": 2**63 + 1}, True),  # past what durable-rules' integers hold
    ("AT-2-63", {"quantity": 2**64 + 1}, False),
    ("HUGE", {"specs": {"tpp": "1.0000000000000000000000000001E+30"}}, True),
    ("HUGE", {"specs": {"tpp": "1E+30"}}, False),
    ("HUGE", {"specs": {"tpp": "1E+300"}}, True),
    ("TINY", {"specs": {"die_area_mm2": "0.99999999999999999999E-30"}}, True),
    ("TINY", {"specs": {"die_area_mm2": "1E-30"}}, False),
    ("TINY", {"specs": {"die_area_mm2": "1E-400"}}, True),  # 0.0 as a double
    ("PD", {"specs": {"tpp": "592", "die_area_mm2": "100"}}, True),
    ("PD", {"specs": {"tpp": "592", "die_area_mm2": "100.0000000000000000000000001"}}, False),
    ("CLOSE", {"specs": {"tpp": "5000.0000000000000000000001", "memory_bandwidth_gbs": "5000"}}, True),
    ("CLOSE", {"specs": {"tpp": "5000", "memory_bandwidth_gbs": "5000.0000000000000000000001"}}, False),
    (
        "CLOSE",
        {"specs": {"tpp": "5000.0000000000000000000002", "memory_bandwidth_gbs": "5000.0000000000000000000001"}},
        True,
    ),
    ("EQUAL", {"specs": {"tpp": "2.50000000000000000000000000000000"}}, True),
    ("EQUAL", {"specs": {"tpp": "2.5000000000000000000000000000000001"}}, False),
]


def fired(decision: dict[str, Any]) -> list[str]:
    return sorted(f["rule"] for f in decision["findings"] if not f.get("not_evaluable"))


def test_exact_decimals_no_rounding_changes_a_decision(write_pack: Callable[..., Path]) -> None:
    """Near a constant or another operand, past 2**53 and 2**63, huge and tiny: each rule as in Python."""
    pack = pack_of(write_pack, EXACT_RULES)
    specs = {"tpp": 1, "die_area_mm2": 1, "memory_bandwidth_gbs": 2}  # every rule can be evaluated
    txs = [
        tx(id=f"T-{n}", **{**case, "specs": {**specs, **case.get("specs", {})}})
        for n, (_, case, _) in enumerate(EXACT_CASES)
    ]
    decisions = both(pack, txs)
    assert [rule in fired(d) for (rule, _, _), d in zip(EXACT_CASES, decisions, strict=True)] == [
        fires for _, _, fires in EXACT_CASES
    ]


def test_long_strings_a_70000_character_name_is_judged_as_natively(shipped_pack: engine.Pack) -> None:
    data = json.loads(H200.read_text())
    data["customer"]["name"] = "x" * 70_000
    with pytest.raises(engine.InvalidTransaction):  # the contract refuses it for both backends
        engine.parse_transaction(data)
    (decision,) = both(shipped_pack, [data])  # and, past the contract, the backends still agree
    assert decision["decision"] == "review"
    assert "LICENSE-HOLDER-MISMATCH" in fired(decision)  # C-ALI with another name


def test_long_strings_compare_exactly(write_pack: Callable[..., Path]) -> None:
    """Strings durable-rules cannot carry (past 65,535 UTF-8 bytes, with NUL) are compared as in Python."""
    long_name = "é" * 33_000
    pack = pack_of(
        write_pack,
        {
            "SAME": "end_user.name == customer.name",
            "NAMED": f"customer.name == '{long_name}'",
            "LISTED": "customer.name in ['Acme\\x00', 'Acme']",
        },
    )
    cases = [
        ({"name": long_name}, None, ["NAMED", "SAME"]),
        ({"name": long_name + "!"}, None, ["SAME"]),
        ({"name": long_name}, {"name": long_name[:-1] + "e"}, ["NAMED"]),
        ({"name": "x" * 70_000}, {"name": "x" * 70_000}, ["SAME"]),
        ({"name": "Acme\x00"}, {"name": "Acme"}, ["LISTED"]),
        ({"name": "Acme\x00Corp"}, {"name": "Acme"}, []),
    ]
    txs = [
        tx(id=f"T-{n}", customer=customer, **({"end_user": end_user} if end_user else {}))
        for n, (customer, end_user, _) in enumerate(cases)
    ]
    decisions = both(pack, txs)
    assert [fired(d) for d in decisions] == [rules for _, _, rules in cases]


def test_an_operand_that_fails_is_judged_in_python(write_pack: Callable[..., Path]) -> None:
    """`10 * 1E+999999` overflows a Decimal: the rule cannot be evaluated (review), in both backends."""
    pack = pack_of(write_pack, {"OVERFLOW": "quantity * 1E+999999 > 1"})
    decisions = both(pack, [tx(id="T-1", quantity=10), tx(id="T-2", quantity=1)])
    assert [d["decision"] for d in decisions] == ["review", "deny"]
    assert "Overflow" in decisions[0]["findings"][0]["reason"]
