"""JSON Schemas of the contract: a transaction (input) and a decision (output), for integrators."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, TypeAdapter
from typing_extensions import NotRequired, TypedDict

from engine.contract.fields import FIELDS
from engine.contract.transaction import Transaction

_STRICT = ConfigDict(extra="forbid")
Money = str  # two decimals, e.g. "750000.00"


class ConditionJSON(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    expr: str
    observed: Any
    result: bool | None


# `from` is a Python keyword, so this one is declared in the functional form
InForceJSON = TypedDict("InForceJSON", {"from": str | None, "until": str | None})
InForceJSON.__pydantic_config__ = _STRICT  # type: ignore[attr-defined]


class FindingJSON(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    rule: str
    effect: Literal["deny", "review", "allow", "fee"]
    title: str
    message: str
    cite: str
    conditions: list[ConditionJSON]
    in_force: InForceJSON
    fee_usd: NotRequired[Money]
    not_evaluable: NotRequired[bool]
    rule_effect: NotRequired[str]
    reason: NotRequired[str]


class RulesetJSON(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    pack: str
    version: str
    label: str | None  # the published label it was judged under (null: a pack directory, not published)
    digest: str


class AccrualJSON(TypedDict):
    """What an allowed decision adds to an external fact (amounts as decimal strings)."""

    __pydantic_config__ = _STRICT  # type: ignore[misc]
    fact: str
    key: Any
    amounts: dict[str, str]


class DecisionJSON(TypedDict):
    """A decision as `Decision.as_dict()` and the JSON outputs give it."""

    __pydantic_config__ = _STRICT  # type: ignore[misc]
    transaction_id: str
    decision: Literal["allow", "deny", "review"]
    fee_usd: Money
    ruleset: RulesetJSON
    findings: list[FindingJSON]
    explanation: str
    date: str
    fee_if_allowed_usd: Money
    decision_id: str | None
    evaluated_at: str | None
    classification: dict[str, Any]
    accruals: list[AccrualJSON]


def transaction_schema() -> dict[str, Any]:
    """The model's schema, each field described by its row in the field table."""
    schema = Transaction.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    defs = schema.get("$defs", {})
    for field in FIELDS:
        if field.fallback:
            continue  # the end user's fields are the customer's (one Party schema)
        if len(field.path) == 1:
            target = schema["properties"]
        else:
            target = defs.get({"customer": "Party", "specs": "Specs"}[field.path[0]], {}).get("properties", {})
        if field.path[-1] in target:
            doc = field.doc.split(": ", 1)[-1] if field.path[0] == "customer" else field.doc
            target[field.path[-1]]["description"] = doc
    return schema


def decision_schema() -> dict[str, Any]:
    schema = TypeAdapter(DecisionJSON).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
