"""Exact facts: integer codes compare as the values do, and what cannot be coded is left to Python."""

from __future__ import annotations

import datetime as dt
import operator
import random
from decimal import Decimal
from typing import Any

from engine.durable.encoding import Domain, Domains, Uncodable
from engine.language.values import MISSING
from tests.generators import as_transaction, hostile

CONSTANTS = [Decimal("5.92"), 14000, Decimal("24999.9999999999999999"), 2**53, Decimal("1E+30"), Decimal("1E-30")]


def near(rng: random.Random) -> Any:
    """A number on or a hair off a constant, or past what doubles and 64-bit integers hold."""
    base = Decimal(rng.choice(CONSTANTS))
    return rng.choice(
        [
            base,
            base + Decimal(1).scaleb(base.adjusted() - rng.randrange(15, 40)),
            base - Decimal(1).scaleb(base.adjusted() - rng.randrange(15, 40)),
            Decimal(float(base)),
            int(base) if base == base.to_integral_value() else base,
            2**63 + rng.randrange(-2, 3),
            Decimal(rng.randrange(1, 10)).scaleb(rng.randrange(-400, 300)),
        ]
    )


def sign(value: Any) -> int:
    return (value > 0) - (value < 0)


def domain(keys: list[str], constants: list[Any], *, ordered: bool) -> Domain:
    return Domain([(key, operator.itemgetter(key)) for key in keys], ordered=ordered, constants=constants)


def test_ordered_codes_compare_as_the_values_do() -> None:
    rng = random.Random(5)
    keys = ["a", "b", "c", "d"]
    numbers = domain(keys, CONSTANTS, ordered=True)
    for _ in range(2000):
        values = {key: near(rng) for key in keys}
        codes = numbers.code(values)
        for x in keys:
            for y in keys:
                assert sign(codes[x] - codes[y]) == sign(values[x] - values[y]), (values[x], values[y])
            for constant in CONSTANTS:
                assert sign(codes[x] - numbers.codes[constant]) == sign(values[x] - constant), (values[x], constant)


def test_equality_codes_are_equal_exactly_when_the_values_are() -> None:
    long_name = "é" * 33_000
    constants = [long_name, "Acme", "Acme\x00"]
    strings = domain(["a", "b"], constants, ordered=False)
    for a, b in [
        (long_name, long_name),
        (long_name, long_name[:-1] + "e"),
        ("Acme\x00", "Acme"),
        ("x" * 70_000, "x" * 70_000),
        ("x" * 70_000, "x" * 69_999),
    ]:
        codes = strings.code({"a": a, "b": b})
        assert (codes["a"] == codes["b"]) == (a == b)
        for constant in constants:
            assert (codes["a"] == strings.codes[constant]) == (a == constant)


def test_equal_numbers_written_differently_share_a_code() -> None:
    numbers = domain(["a", "b"], [Decimal("2.50"), 3], ordered=True)
    codes = numbers.code({"a": Decimal("2.5000000000000000000000000000000000"), "b": Decimal("3.0")})
    assert codes == {"a": numbers.codes[Decimal("2.5")], "b": numbers.codes[3]}


def test_values_that_cannot_be_coded_are_unsure() -> None:
    collector = Domains()
    collector.literal("n", Decimal("5.92"), ordered=True)
    collector.literal("s", "CN", ordered=False)
    collector.link("m", "n", ordered=True)

    def fails(env: Any) -> Any:
        raise ArithmeticError("overflow")

    fns = {key: operator.itemgetter(key) for key in ("n", "s", "m", "p")}
    encoder = collector.encoder([*fns.items(), ("x", fails)], [("f", operator.itemgetter("f"))])
    # n and m share a domain of width 3: 5.92 is coded 3, a value above it in the first gap above, 4
    good = {"n": Decimal("5.92"), "m": 7, "s": "CN", "p": {"a": "record"}, "f": True}
    assert encoder.encode(good) == ({"_one": 1, "n": 3, "m": 4, "s": 0, "p": 1, "f": True}, ["x"])
    for changed, unsure in [
        ({"n": "5.92"}, ["n", "m"]),  # a string among numbers
        ({"n": Decimal("NaN")}, ["n", "m"]),
        ({"n": None}, ["n"]),  # `None < 5.92` fails in Python, `None == x` is false: Python judges
        ({"s": dt.date(2026, 1, 1)}, ["s"]),
        ({"f": "yes"}, ["f"]),  # a flag that is not a boolean
    ]:
        fact, found = encoder.encode({**good, **changed})
        assert sorted(found) == sorted([*unsure, "x"]) and not set(unsure) & set(fact)
    fact, found = encoder.encode({**good, "n": MISSING, "p": None})
    assert "n" not in fact and "p" not in fact and found == ["x"]  # missing, and None for `exists`


def test_uncodable_is_raised_for_mixed_kinds() -> None:
    numbers = domain(["a"], [1], ordered=False)
    try:
        numbers.code({"a": True})  # True == 1 in Python, but not a number in the rule language
    except Uncodable:
        return
    raise AssertionError("a boolean among numbers was coded")


def test_hostile_transactions_are_deterministic_and_build() -> None:
    first, again = list(hostile(50)), list(hostile(50))
    assert first == again
    for data in first:
        as_transaction(data)
