"""The field table is the one transaction contract: the pydantic model, the compiler, the evaluator, the
durable backend and the CSV mapping all agree with it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

import engine
from engine.contract import ALWAYS_GIVEN, CSV_COLUMNS, FIELDS, Transaction
from engine.evaluation import transaction_facts
from engine.language.values import MISSING, TYPES
from engine.pack.names import FIELD_TYPES
from tests.conftest import tx

SPEC_CSV_COLUMNS = (  # SPEC.md, in its order
    "id", "date", "product", "quantity", "unit_price_usd", "ship_from", "destination", "customer_id",
    "customer_name", "customer_country", "customer_headquarters", "end_user_name", "end_user_country",
    "end_user_headquarters", "end_use", "license_number", "attestations", "tpp", "die_area_mm2",
    "memory_bandwidth_gbs", "datacenter",
)  # fmt: skip


def _model_leaves(model: type[BaseModel], prefix: str = "") -> dict[str, Any]:
    leaves: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        inner = next(
            (
                a
                for a in getattr(info.annotation, "__args__", (info.annotation,))
                if isinstance(a, type) and issubclass(a, BaseModel)
            ),
            None,
        )
        if inner is not None:
            leaves.update(_model_leaves(inner, f"{prefix}{name}."))
        else:
            leaves[f"{prefix}{name}"] = info
    return leaves


def test_every_model_field_is_in_the_table_and_back() -> None:
    assert set(_model_leaves(Transaction)) == {f.name for f in FIELDS if not f.derived}
    assert [f.name for f in FIELDS if f.derived] == ["assumed"]


def test_always_given_matches_what_the_model_requires_or_defaults() -> None:
    leaves = _model_leaves(Transaction)
    for field in (f for f in FIELDS if not f.derived):
        # a field with a fallback (the end user's) is given when the field it falls back to is
        source = field.name if field.fallback is None else f"{field.fallback}.{field.path[-1]}"
        info = leaves[source]
        assert field.always_given == (info.is_required() or info.default is not None), field.name


def test_csv_columns_are_the_specified_ones_in_order() -> None:
    assert CSV_COLUMNS == SPEC_CSV_COLUMNS


def test_compiler_types_and_evaluator_facts_come_from_the_table() -> None:
    assert {name: FIELD_TYPES[name] for name in FIELD_TYPES} == {f.name: TYPES[f.kind] for f in FIELDS}
    facts = transaction_facts(engine.parse_transaction(tx()))
    assert set(facts) == {f.name for f in FIELDS}
    for name in ALWAYS_GIVEN:
        assert facts[name] is not MISSING, name


def test_the_end_user_defaults_to_the_customer() -> None:
    facts = transaction_facts(engine.parse_transaction(tx()))
    assert facts["end_user.name"] == facts["customer.name"] == "Alibaba Cloud Computing Ltd."
    other = transaction_facts(engine.parse_transaction(tx(end_user={"name": "Other AI", "country": "SG"})))
    assert (other["end_user.name"], other["end_user.country"]) == ("Other AI", "SG")
    assert other["end_user.headquarters"] is MISSING
