"""The fast path of validation: a transaction already in canonical form, checked in straight-line code.

Most transactions arrive as JSON-like dicts in canonical form: strings without surrounding blanks, ISO dates,
integer quantities, numbers as int or float, known country codes. For those, `canonical_transaction` checks
every rule of the contract (limits, vocabularies, printable text) and builds the same `Transaction` the
pydantic model would, at a fraction of the cost. Anything else (text to convert, a blank to strip, a value
out of range, an unknown key, any error) returns None, and the caller runs the full model, which converts
or explains. So this path only ever accepts a subset of what the model accepts, with the same result; a
property test holds the two to that on generated, boundary and hostile input.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

from engine.contract.transaction import (
    COUNTRY_CODES,
    END_USES,
    MAX_ATTESTATIONS,
    MAX_IDENTIFIER,
    MAX_MEASURE,
    MAX_NAME,
    MAX_QUANTITY,
    MAX_UNIT_PRICE_USD,
    Party,
    Specs,
    Transaction,
    validate_model,
)

_set = object.__setattr__
_new = object.__new__
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PLAIN_DECIMAL = re.compile(r"[0-9]{1,40}(?:\.[0-9]{1,40})?")  # no sign, comma, exponent or blank
_PLAIN_WHOLE = re.compile(r"[0-9]{1,40}")
_END_USES = frozenset(END_USES)
_TX_KEYS = frozenset(Transaction.model_fields)
_PARTY_KEYS = frozenset(Party.model_fields)
_SPEC_KEYS = frozenset(Specs.model_fields)
_NO: Any = object()  # the value is not canonical: let the model decide


def _model(cls: type, values: dict[str, Any], given: set[str]) -> Any:
    """An instance of a pydantic model from values it has already accepted (as `model_construct` does)."""
    instance: Any = _new(cls)
    _set(instance, "__dict__", values)
    _set(instance, "__pydantic_fields_set__", given)
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance


def _text(value: Any, limit: int) -> bool:
    """Canonical text: 1..limit printable characters (so no control or bidirectional ones), no outer blanks."""
    return (
        type(value) is str
        and 0 < len(value) <= limit
        and value.isprintable()
        and not value[0].isspace()
        and not value[-1].isspace()
    )


@lru_cache(maxsize=4096)
def _date(text: str) -> Any:
    if not _ISO_DATE.fullmatch(text):
        return _NO
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return _NO


def _number(value: Any, limit: int) -> Any:
    """An int, a finite float or plain decimal text above zero and at most `limit`, as the Decimal the model
    makes of it (zero goes to the model, which also rules out a negative zero). A float's shortest decimal
    form lies strictly between its neighbours, so it is above zero and within a whole-number limit exactly
    when the float is."""
    kind = type(value)
    if kind is int:
        return Decimal(value) if 0 < value <= limit else _NO
    if kind is float:
        return Decimal(repr(value)) if 0 < value <= limit else _NO  # NaN and infinities fail the test
    if kind is str and _PLAIN_DECIMAL.fullmatch(value):
        number = Decimal(value)
        return number if 0 < number <= limit else _NO
    return _NO


def _country(value: Any) -> bool:
    return type(value) is str and value in COUNTRY_CODES


def _party(data: Any) -> Any:
    if type(data) is not dict or not data.keys() <= _PARTY_KEYS:
        return _NO
    name = data.get("name")
    party_id = data.get("id")
    country = data.get("country")
    headquarters = data.get("headquarters")
    if (
        not _text(name, MAX_NAME)
        or (party_id is not None and not _text(party_id, MAX_IDENTIFIER))
        or (country is not None and not _country(country))
        or (headquarters is not None and not _country(headquarters))
    ):
        return _NO
    values = {"id": party_id, "name": name, "country": country, "headquarters": headquarters}
    return _model(Party, values, set(data))


def _specs(data: Any) -> Any:
    if type(data) is not dict or not data.keys() <= _SPEC_KEYS:
        return _NO
    values: dict[str, Any] = {}
    for key in ("tpp", "die_area_mm2", "memory_bandwidth_gbs"):
        value = data.get(key)
        if value is not None:
            value = _number(value, MAX_MEASURE)
            if value is _NO:
                return _NO
        values[key] = value
    datacenter = data.get("datacenter")
    if datacenter is not None and type(datacenter) is not bool:
        return _NO
    values["datacenter"] = datacenter
    return _model(Specs, values, set(data))


def canonical_transaction(data: dict[str, Any]) -> Transaction | None:
    """`data` as a Transaction when it is valid and already canonical; None to let the model decide."""
    if not data.keys() <= _TX_KEYS:
        return None
    get = data.get
    tx_id = get("id")
    date = get("date")
    quantity = get("quantity")
    destination = get("destination")
    if type(quantity) is str and _PLAIN_WHOLE.fullmatch(quantity):
        quantity = int(quantity)
    if (
        not _text(tx_id, MAX_IDENTIFIER)
        or type(date) is not str
        or type(quantity) is not int
        or not 0 < quantity <= MAX_QUANTITY
        or not _country(destination)
        or len(date) != 10
    ):
        return None
    date = _date(date)
    price = _number(get("unit_price_usd"), MAX_UNIT_PRICE_USD)
    customer = _party(get("customer"))
    if date is _NO or price is _NO or customer is _NO:
        return None
    ship_from = get("ship_from", "US")
    product = get("product")
    end_use = get("end_use")
    license_number = get("license_number")
    if (
        not _country(ship_from)
        or (product is not None and not _text(product, MAX_IDENTIFIER))
        or (end_use is not None and (type(end_use) is not str or end_use not in _END_USES))
        or (license_number is not None and not _text(license_number, MAX_IDENTIFIER))
    ):
        return None
    end_user = get("end_user")
    if end_user is not None and (end_user := _party(end_user)) is _NO:
        return None
    specs = get("specs")
    if specs is not None and (specs := _specs(specs)) is _NO:
        return None
    attestations = get("attestations", ())
    kind = type(attestations)
    if kind is not tuple:
        if kind is not list:
            return None
        attestations = tuple(attestations)
    if len(attestations) > MAX_ATTESTATIONS or not all(_text(a, MAX_IDENTIFIER) for a in attestations):
        return None
    values = {
        "id": tx_id,
        "date": date,
        "product": product,
        "specs": specs,
        "quantity": quantity,
        "unit_price_usd": price,
        "ship_from": ship_from,
        "destination": destination,
        "customer": customer,
        "end_user": end_user,
        "end_use": end_use,
        "license_number": license_number,
        "attestations": attestations,
    }
    transaction: Transaction = _model(Transaction, values, set(data))
    return transaction


def parse_transaction(data: Any, source: str | None = None) -> Transaction:
    """Validate one transaction; raise InvalidTransaction naming every bad field. A canonical dict takes
    the fast path; everything else the pydantic model, which converts what it can and names what it cannot."""
    if type(data) is dict:
        tx = canonical_transaction(data)
        if tx is not None:
            return tx
    return validate_model(data, source)
