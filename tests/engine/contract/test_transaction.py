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


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"quantity": 0}, "quantity", "greater than 0"),
        ({"quantity": -5}, "quantity", "greater than 0"),
        ({"quantity": 1.5}, "quantity", "not a whole number"),
        ({"quantity": True}, "quantity", "whole number"),
        ({"unit_price_usd": "-1"}, "unit_price_usd", "greater than or equal to 0"),
        ({"unit_price_usd": "NaN"}, "unit_price_usd", "finite"),
        ({"unit_price_usd": "abc"}, "unit_price_usd", "decimal"),
        ({"destination": "XX"}, "destination", "`XX` is not an assigned ISO 3166-1 alpha-2 country code"),
        ({"destination": "cn"}, "destination", "`cn` is not an assigned"),
        ({"ship_from": "USA"}, "ship_from", "`USA` is not an assigned"),
        ({"date": "2026-02-30"}, "date", "`2026-02-30` is not a date YYYY-MM-DD"),
        ({"date": 20260201}, "date", "is not a date"),
        ({"date": "2026-02-01T10:00:00"}, "date", "is not a date"),
        ({"end_use": "espionage"}, "end_use", "input should be"),
        ({"customer": {"country": "CN"}}, "customer.name", "is required"),
        ({"customer": {"name": "A", "headquarters": "ZZ"}}, "customer.headquarters", "`ZZ` is not an assigned"),
        ({"specs": {"tpp": "fast"}}, "specs.tpp", "decimal"),
        ({"specs": {"die_area_mm2": 0}}, "specs.die_area_mm2", "greater than 0"),
        ({"destinaton": "CN"}, "destinaton", "is not a known field"),
    ],
)
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
