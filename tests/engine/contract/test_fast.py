"""The fast path of validation accepts only what the pydantic model accepts, and builds the same Transaction:
on generated, hostile and arbitrary input, it either defers (None) or agrees with the model in every value,
in which fields were given, in equality and in pickling."""

from __future__ import annotations

import copy
import itertools
import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.contract.fast import canonical_transaction
from engine.contract.transaction import Transaction, validate_model
from tests.conftest import tx
from tests.engine.contract.test_transaction import BAD_FIELDS, FORGED, OVERFLOWS
from tests.generators import generate, hostile
from tests.test_properties import EDGES, FIELDS, json_values


def state(model: Any) -> Any:
    """Everything a model holds: its values (nested models included) and which fields were given."""
    if hasattr(model, "model_fields_set"):
        return (type(model), {k: state(v) for k, v in model.__dict__.items()}, frozenset(model.model_fields_set))
    if isinstance(model, tuple):
        return tuple(state(v) for v in model)
    return (type(model), model)


def agree(data: Any) -> bool:
    """The fast path defers or agrees with the model; returns whether it took the transaction."""
    fast = canonical_transaction(data) if type(data) is dict else None
    try:
        slow = validate_model(copy.deepcopy(data))
    except engine.InvalidTransaction:
        assert fast is None, f"the fast path accepted what the model rejects: {data!r}"
        return False
    if fast is None:
        return False
    assert state(fast) == state(slow), data
    assert fast == slow and hash(fast) == hash(slow)
    assert state(pickle.loads(pickle.dumps(fast))) == state(slow)
    assert fast.model_dump() == slow.model_dump()
    return True


def test_the_fast_path_takes_the_common_transaction_and_builds_what_the_model_builds() -> None:
    taken = sum(agree(data) for data in itertools.islice(generate(3000), 3000))
    assert taken > 2000  # most generated transactions are canonical: the fast path is the common path


def test_hostile_transactions_are_deferred_or_agree() -> None:
    for data in hostile(3000):
        agree(data)


def test_each_non_canonical_form_is_left_to_the_model() -> None:
    base = tx()
    assert canonical_transaction(base) is not None
    for change in [
        {"id": " T-1"}, {"date": "2026-1-15"}, {"date": "２０２６-01-15"}, {"quantity": 10.0},
        {"quantity": True}, {"unit_price_usd": "25,000"}, {"unit_price_usd": "1e3"}, {"quantity": "1,000"},
        {"unit_price_usd": 0}, {"unit_price_usd": -0.0},
        {"unit_price_usd": float("nan")}, {"destination": "cn"}, {"destination": ["CN"]}, {"ship_from": None},
        {"customer": {"name": "Acme\u202e"}}, {"customer": {"name": "Acme", "country": {}}}, {"attestations": "x"},
        {"attestations": [" x"]}, {"specs": {"tpp": " 4800"}}, {"specs": {"datacenter": 1}}, {"extra": 1},
        {"end_use": "Military"}, {"end_use": ["military"]}, {"product": ""},
    ]:  # fmt: skip
        assert canonical_transaction({**base, **change}) is None, change


@settings(max_examples=600, deadline=None, derandomize=True)
@given(
    st.dictionaries(st.sampled_from(FIELDS), EDGES | json_values, max_size=4),
    st.sets(st.sampled_from(FIELDS), max_size=3),
)
def test_arbitrary_changes_are_deferred_or_agree(changes: dict[str, Any], removed: set[str]) -> None:
    agree({**{k: v for k, v in tx().items() if k not in removed}, **changes})


def test_parse_transaction_takes_both_paths_to_one_result() -> None:
    data = {**tx(), "unit_price_usd": "25,000.50"}  # text: the model converts it
    assert canonical_transaction(data) is None
    assert (
        engine.parse_transaction(data).unit_price_usd
        == engine.parse_transaction({**tx(), "unit_price_usd": 25000.5}).unit_price_usd
    )
    assert isinstance(engine.parse_transaction(tx()), Transaction)


@pytest.mark.parametrize(
    "overrides",
    [case[0] for case in (*BAD_FIELDS, *OVERFLOWS, *FORGED)],
    ids=[str(i) for i in range(len(BAD_FIELDS) + len(OVERFLOWS) + len(FORGED))],
)
def test_every_bad_field_the_model_refuses_the_fast_path_refuses(overrides: dict[str, Any]) -> None:
    data = tx(**overrides)
    assert canonical_transaction(copy.deepcopy(data)) is None, f"the fast path took a bad transaction: {overrides}"
    with pytest.raises(engine.InvalidTransaction):
        validate_model(data)
