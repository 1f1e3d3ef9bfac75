"""The input contract: invalid transactions are rejected with a message naming each bad field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import engine
from engine.errors import InvalidTransaction
from tests.conftest import tx


def errors_of(data: object) -> dict[str, str]:
    with pytest.raises(InvalidTransaction) as info:
        engine.parse_transaction(data)
    return {e.field: e.message for e in info.value.errors}


def test_valid_transaction_parses_money_as_decimal() -> None:
    parsed = engine.parse_transaction(tx(unit_price_usd=30000.1))
    assert parsed.unit_price_usd == Decimal("30000.1") and isinstance(parsed.unit_price_usd, Decimal)
    assert parsed.date == dt.date(2026, 2, 1) and parsed.ship_from == "US"


BAD_FIELDS = [
    ({"quantity": 0}, "quantity", "greater than 0"),
    ({"quantity": -5}, "quantity", "greater than 0"),
    ({"quantity": 1.5}, "quantity", "not a whole number"),
    ({"quantity": True}, "quantity", "whole number"),
    ({"unit_price_usd": "-1"}, "unit_price_usd", "greater than or equal to 0"),
    ({"unit_price_usd": "NaN"}, "unit_price_usd", "is not a number"),
    ({"unit_price_usd": "abc"}, "unit_price_usd", "`abc` is not a number"),
    ({"destination": "XX"}, "destination", "`XX` is not an assigned ISO 3166-1 alpha-2 country code"),
    ({"destination": "cn"}, "destination", "`cn` is not an assigned"),
    ({"ship_from": "USA"}, "ship_from", "`USA` is not an assigned"),
    ({"date": "2026-02-30"}, "date", "`2026-02-30` is not a date YYYY-MM-DD"),
    ({"date": 20260201}, "date", "is not a date"),
    ({"date": "2026-02-01T10:00:00"}, "date", "is not a date"),
    ({"end_use": "espionage"}, "end_use", "input should be"),
    ({"customer": {"country": "CN"}}, "customer.name", "is required"),
    ({"customer": {"name": "A", "headquarters": "ZZ"}}, "customer.headquarters", "`ZZ` is not an assigned"),
    ({"specs": {"tpp": "fast"}}, "specs.tpp", "`fast` is not a number"),
    ({"specs": {"die_area_mm2": 0}}, "specs.die_area_mm2", "greater than 0"),
    ({"destinaton": "CN"}, "destinaton", "is not a known field"),
]


@pytest.mark.parametrize(("overrides", "field", "fragment"), BAD_FIELDS)
def test_each_bad_field_is_named(overrides: dict[str, object], field: str, fragment: str) -> None:
    errors = errors_of(tx(**overrides))
    assert field in errors, errors
    assert fragment in errors[field]


def test_missing_required_fields_are_all_named() -> None:
    errors = errors_of({"product": "H200"})
    assert {"id", "date", "quantity", "unit_price_usd", "destination", "customer"} <= set(errors)
    assert all(message == "is required" for message in errors.values())


def test_not_an_object() -> None:
    assert errors_of(["a"]) == {"(transaction)": "a transaction must be an object"}


def test_error_message_names_the_field_in_backticks() -> None:
    with pytest.raises(InvalidTransaction) as info:
        engine.parse_transaction(tx(quantity=0))
    assert str(info.value).startswith("invalid transaction: field `quantity`: ")


# hostile input (each named after the defect it closes) ------------------------------------------------------------
def test_decimal_comma_is_invalid_not_a_hundredfold_price() -> None:
    errors = errors_of(tx(unit_price_usd="31500,50"))
    assert "a comma is only a thousands separator" in errors["unit_price_usd"]
    assert engine.parse_transaction(tx(unit_price_usd="31,500.50")).unit_price_usd == Decimal("31500.50")
    assert engine.parse_transaction(tx(unit_price_usd="1,234,567")).unit_price_usd == Decimal("1234567")
    for bad in ("3,15,00", "31,5000", ",500", "1,23"):
        assert "unit_price_usd" in errors_of(tx(unit_price_usd=bad)), bad


OVERFLOWS = [
    ({"quantity": 10**26}, "quantity", "less than or equal to 1000000000"),
    ({"quantity": "9" * 5000}, "quantity", "is not a whole number"),
    ({"quantity": Decimal("1E+30")}, "quantity", "less than or equal to"),
    ({"quantity": float("inf")}, "quantity", "is not a whole number"),
    ({"unit_price_usd": "1E+13"}, "unit_price_usd", "less than or equal to 1000000000000"),
    ({"unit_price_usd": "1" * 120}, "unit_price_usd", "is not a number"),
    ({"specs": {"tpp": "1e12"}}, "specs.tpp", "less than or equal to"),
]


@pytest.mark.parametrize(("overrides", "field", "fragment"), OVERFLOWS)
def test_fee_overflow_is_prevented_by_bounds(overrides: dict[str, object], field: str, fragment: str) -> None:
    assert fragment in errors_of(tx(**overrides))[field]


FORGED = [
    ({"id": "T-1\nFAKE: ALLOW"}, "id"),
    ({"id": "T\x1b[32mALLOW"}, "id"),
    ({"customer": {"name": "Acme\rFAKE"}}, "customer.name"),
    ({"customer": {"name": "Acme \u202eKCOLB"}}, "customer.name"),
    ({"end_user": {"name": "x\u2028y"}}, "end_user.name"),
    ({"product": "H200\x00"}, "product"),
    ({"license_number": "L\x07"}, "license_number"),
    ({"attestations": ["us_third\nparty_tested"]}, "attestations.0"),
]


@pytest.mark.parametrize(("overrides", "field"), FORGED)
def test_forged_output_control_characters_are_invalid(overrides: dict[str, object], field: str) -> None:
    assert "control or bidirectional" in errors_of(tx(**overrides))[field]


def test_huge_inputs_names_are_capped_at_500_characters() -> None:
    assert "longer than 500 characters" in errors_of(tx(customer={"name": "A" * 501}))["customer.name"]
    assert engine.parse_transaction(tx(customer={"name": "A" * 500})).customer.name == "A" * 500
    assert "longer than 200 characters" in errors_of(tx(id="x" * 201))["id"]
    assert "has more than 50 items" in errors_of(tx(attestations=[f"a{i}" for i in range(51)]))["attestations"]


def test_an_error_never_echoes_a_huge_or_forged_value() -> None:
    message = errors_of(tx(destination="X" * 10_000 + "\x1b[2J"))["destination"]
    assert len(message) < 200 and "\x1b" not in message


def test_price_negative_zero_is_zero() -> None:
    parsed = engine.parse_transaction(tx(unit_price_usd="-0"))
    assert str(parsed.unit_price_usd) == "0" and not parsed.unit_price_usd.is_signed()
    assert str(engine.parse_transaction(tx(unit_price_usd="-0.00")).unit_price_usd) == "0.00"
