"""The rule index decides exactly as running every rule does: the same decisions, findings, messages and
explanations, on random packs of every shape it reads (text, list, number and boolean tests, `and`, `all`,
`any`, rules it only guards, fees, dated rules, missing inputs, derived values) and on the shipped pack."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

import engine
from engine.pack import index as index_module
from tests.conftest import tx
from tests.generators import as_transaction, generate

COUNTRIES = ["CN", "HK", "US", "DE", "AE", "SG", "RU", "IR", "KP", "GB"]
END_USES = ["commercial-ai", "military", "research", "unknown", "cloud-services"]


def simple_test(rng: random.Random) -> str:
    kind = rng.randrange(9)
    if kind == 0:
        return f'destination == "{rng.choice(COUNTRIES)}"'
    if kind == 1:
        return f"destination in {json.dumps(rng.sample(COUNTRIES, rng.randint(1, 4)))}"
    if kind == 2:
        return f'ship_from != "{rng.choice(COUNTRIES)}"'
    if kind == 3:
        return f"end_use not in {json.dumps(rng.sample(END_USES, 2))}"  # end_use may be missing
    if kind == 4:
        return f"quantity {rng.choice(['<', '<=', '>', '>='])} {rng.choice([1, 5, 10, 100, 1000])}"
    if kind == 5:
        return f"specs.tpp {rng.choice(['<', '>='])} {rng.choice([1600, 4800, 4799.5, 21000])}"  # may be missing
    if kind == 6:
        return f"line_value > {rng.choice([1000, 100000, 2500000])}"  # a derived number
    if kind == 7:
        return "big_order" if rng.random() < 0.5 else f'customer.country == "{rng.choice(COUNTRIES)}"'
    return f'end_use == "{rng.choice(END_USES)}"'


def q(text: str) -> str:
    return json.dumps(text)  # a JSON string is a YAML double-quoted one


def condition(rng: random.Random) -> str:
    def leaf() -> str:
        parts = [simple_test(rng) for _ in range(rng.randint(1, 2))]
        return " and ".join(parts)

    shape = rng.randrange(7)
    if shape == 0:
        return q(leaf())
    if shape == 1:
        return "{all: [" + ", ".join(q(leaf()) for _ in range(rng.randint(1, 3))) + "]}"
    if shape == 2:
        return "{any: [" + ", ".join(q(leaf()) for _ in range(rng.randint(2, 5))) + "]}"
    if shape == 3:  # guarded: simple tests, then one the index does not read
        return "{all: [" + q(leaf()) + ", 'exists(product) or quantity > 7', " + q(leaf()) + "]}"
    if shape == 4:  # nested: run in full
        return "{any: [{all: [" + q(leaf()) + ", " + q(leaf()) + "]}, " + q(leaf()) + "]}"
    if shape == 5:
        return q(f"not ({leaf()})")
    return "{all: [" + q(leaf()) + ", 'quantity / (quantity - quantity) > 1']}"  # missing: division by 0


def random_pack(root: Path, rules: int, seed: int) -> Path:
    rng = random.Random(seed)
    (root / "rules").mkdir(parents=True)
    (root / "pack.yaml").write_text(f'name: random-{seed}\nversion: "1"\ntitle: random pack\ndefault: review\n')
    lines = [
        "values:",
        "  - {name: line_value, expr: quantity * unit_price_usd}",
        "  - {name: big_order, expr: quantity >= 100 and exists(end_use)}",
        "rules:",
    ]
    for i in range(rules):
        effect = rng.choice(["deny", "review", "allow", "fee"])
        lines += [
            f"  - id: R-{i}",
            f"    title: rule {i}",
            f"    effect: {effect}",
            f"    when: {condition(rng)}",
            f"    message: 'rule {i}: {{destination}} x {{quantity}}'",
            f"    cite: random {i}",
        ]
        if effect == "fee":
            lines.append(f"    fee: {{rate: 0.{rng.randint(1, 30):02d}, of: line_value}}")
        if rng.random() < 0.2:
            lines.append("    effective: {from: 2026-01-15}")
    (root / "rules" / "r.yaml").write_text("\n".join(lines) + "\n")
    return root


def decisions(pack_dir: Path, txs: list[engine.Transaction], pays: float) -> list[dict[str, object]]:
    """Every decision of a freshly loaded pack, with the index used (`pays` 0) or not (a large `pays`); all made
    (and rendered) before the index's setting is put back."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(index_module, "PAYS", pays)
        pack = engine.load_pack(pack_dir)
        out = []
        for tx in txs:
            decision = engine.evaluate(pack, tx)
            out.append({"rules": decision.rules, "outcome": decision.decision, **decision.as_dict()})
        return out


def agree(pack_dir: Path, txs: list[engine.Transaction]) -> None:
    for indexed, run in zip(decisions(pack_dir, txs, 0), decisions(pack_dir, txs, 10**9), strict=True):
        assert indexed == run, (indexed["transaction_id"], indexed["rules"], run["rules"])


@pytest.fixture(scope="module")
def transactions() -> list[engine.Transaction]:
    return [as_transaction(data) for data in generate(600, seed=11)]


@pytest.mark.parametrize("seed", range(8))
def test_random_packs_decide_alike_with_and_without_the_index(
    tmp_path: Path, seed: int, transactions: list[engine.Transaction]
) -> None:
    agree(random_pack(tmp_path / "pack", 60, seed), transactions)


def test_the_index_settles_the_rules_it_reads_and_runs_the_rest(tmp_path: Path) -> None:
    pack = engine.load_pack(random_pack(tmp_path / "pack", 200, 99))
    index = pack.index_on(engine.parse_transaction(next(generate(1))).date)
    assert index.size > 60 and index.plain  # most rules indexed, the nested and `not` ones run in full
    assert bin(index.guarded).count("1") > 0 and bin(index.simple).count("1") > 50


def test_the_shipped_pack_decides_alike_with_the_index_forced(
    shipped_pack: engine.Pack, transactions: list[engine.Transaction]
) -> None:
    agree(shipped_pack.root, transactions[:300])


def test_a_value_that_fails_sends_its_rules_to_run_in_full(write_pack: Callable[..., Path]) -> None:
    rules = """
values:
  - {name: huge, expr: "quantity * 1e999999 * 10"}
rules:
""" + "".join(
        f"  - {{id: R{i}, title: t, effect: deny, when: 'huge > {i} and destination == \"CN\"', message: m, cite: c}}\n"
        for i in range(10)
    )
    pack_dir = write_pack({"r.yaml": rules})
    txs = [as_transaction(data) for data in generate(50, seed=3)]
    agree(pack_dir, txs)
    reasons = {f["reason"] for d in decisions(pack_dir, txs, 0) for f in d["findings"]}  # type: ignore[attr-defined]
    assert any("error while evaluating" in r for r in reasons)


def test_a_fee_that_cannot_be_computed_counts_as_review_with_or_without_the_index(
    write_pack: Callable[..., Path],
) -> None:
    rules = "rules:\n" + "".join(
        f"  - {{id: R{i}, title: t, effect: {effect}, when: 'destination == \"{country}\"', message: m, cite: c"
        + (", fee: {rate: 0.1, of: specs.tpp}" if effect == "fee" else "")  # no specs given: the fee is missing
        + "}\n"
        for i, (effect, country) in enumerate([("fee", "CN"), ("allow", "CN"), ("allow", "DE"), ("deny", "KP")])
    )
    pack_dir = write_pack({"r.yaml": rules})
    txs = [engine.parse_transaction(tx(id=f"F-{d}", destination=d)) for d in ("CN", "DE", "KP")]
    agree(pack_dir, txs)
    assert [d["outcome"] for d in decisions(pack_dir, txs, 0)] == ["review", "allow", "deny"]
