"""Pydantic models that mirror the pack files: the file format, checked with `extra="forbid"`.

A pack is a directory:

    pack.yaml            manifest: name, version, combining algorithm, default outcome, tables, lists
    rules/*.yaml         derived values and rules
    data/...             reference tables (CSV or YAML) and denied-party lists (CSL CSV)
    tests/*.yaml         cases: a transaction and the decision expected of it

Conditions (`when`) are checked by the compiler, which gives better messages than a union of models;
their JSON Schema is declared here by hand so that editors still validate them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RULE_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9._-]*$"
NAME_PATTERN = r"^[a-z_][a-z0-9_]*$"
Effect = Literal["deny", "review", "allow", "fee"]
Outcome = Literal["allow", "deny", "review"]
ColumnType = Literal["string", "number", "bool", "date", "list"]
Normalize = Literal["exact", "casefold", "party-name"]

CONDITION_SCHEMA: dict[str, Any] = {
    "description": "an expression string, or {all: [...]}, {any: [...]}, {not: condition}",
    "anyOf": [
        {"type": "string", "minLength": 1},
        {
            "type": "object",
            "properties": {"all": {"type": "array", "items": {"$ref": "#/$defs/Condition"}, "minItems": 1}},
            "required": ["all"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"any": {"type": "array", "items": {"$ref": "#/$defs/Condition"}, "minItems": 1}},
            "required": ["any"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"not": {"$ref": "#/$defs/Condition"}},
            "required": ["not"],
            "additionalProperties": False,
        },
    ],
}


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TableSpec(_Spec):
    """A reference table. CSV files give rows with typed columns; a YAML mapping of name -> list gives sets."""

    file: str
    description: str | None = None
    kind: Literal["rows", "sets"] | None = Field(
        default=None,
        description="rows (CSV) or sets (YAML mapping of name to list); default by file extension",
    )
    key: str | None = Field(default=None, description="the column that identifies a row")
    columns: dict[str, ColumnType] = Field(
        default_factory=dict, description="column types; columns not named here are strings"
    )
    list_separator: str = Field(default=";", description="separator of list columns")


class ListSpec(_Spec):
    """A denied-party list in Consolidated Screening List CSV format."""

    file: str
    description: str | None = None
    aliases: str | None = Field(
        default=None,
        description="a CSV file of names the list's entries go by that the list does not give (native-script "
        "names): columns `list_name` (the entry's name) and `native_name`; kept apart from the list, so that "
        "importing a new list keeps them",
    )


class FactSpec(_Spec):
    """An external fact the pack reads: a record of numbers kept outside the transaction (e.g. the units already
    allowed under a license), which the caller supplies through a provider, keyed by a value."""

    description: str | None = None
    key: Literal["string", "number"] = Field(default="string", description="the type of the key")
    fields: dict[str, Literal["number"]] = Field(min_length=1, description="the fact's fields and their types")
    cite: str | None = Field(
        default=None,
        description="the law that makes the fact count: quoted when an allow that relies on it is held for review "
        "because the caller could not count it against its whole record",
    )
    accrue: dict[str, str] | None = Field(
        default=None,
        description="for an allowed decision, what to add: `key` (expression of the key) and an expression per "
        "field; the engine lists these in `decision.accruals` for the caller to record",
    )

    @model_validator(mode="after")
    def _accrues_known_fields(self) -> FactSpec:
        if self.accrue is not None:
            if "key" not in self.accrue:
                raise ValueError("`accrue` needs a `key` expression")
            unknown = sorted(set(self.accrue) - {"key"} - set(self.fields))
            if unknown:
                raise ValueError(f"`accrue` names `{unknown[0]}`, which is not a field of the fact")
        return self


class ClassificationSpec(_Spec):
    """What every decision reports of the item's classification: values of the pack."""

    summary: str = Field(description="a value giving the classification in words, e.g. `3A090.a (TPP 15,832)`")
    fields: dict[str, str] = Field(
        default_factory=dict, description="names in `decision.classification` and the values that give them"
    )


class Manifest(_Spec):
    """`pack.yaml`."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str = Field(min_length=1, description="the pack's version, e.g. the date its law took effect")
    title: str
    description: str | None = None
    combining: Literal["deny-overrides"] = Field(
        default="deny-overrides", description="any deny -> deny; else any review -> review; else allow"
    )
    default: Outcome = Field(default="allow", description="the outcome when no rule fires")
    law_as_of: dt.date | None = Field(
        default=None,
        description="the date of the latest law the pack knows; later transactions are judged 'as known' then",
    )
    facts: dict[str, FactSpec] = Field(default_factory=dict, description="external facts, supplied by the caller")
    vocabularies: dict[str, list[str]] = Field(
        default_factory=dict, description="transaction field -> the values it may hold (each item, for lists)"
    )
    classification: ClassificationSpec | None = None
    tables: dict[str, TableSpec] = Field(default_factory=dict)
    lists: dict[str, ListSpec] = Field(default_factory=dict)
    rules: list[str] = Field(default_factory=lambda: ["rules/*.yaml"], description="globs of rule files")
    tests: list[str] = Field(default_factory=lambda: ["tests/*.yaml"], description="globs of test files")


class MatchSpec(_Spec):
    columns: list[str] = Field(min_length=1, description="columns compared with the value; list columns match any item")
    value: str = Field(min_length=1, description="expression giving the value looked up")
    normalize: Normalize = Field(default="casefold")


class LookupSpec(_Spec):
    """Find a row: the first `match` whose value exists selects candidate rows; `where` filters them."""

    table: str
    match: list[MatchSpec] = Field(min_length=1)
    where: str | None = Field(default=None, description="condition on `row`; the first row for which it holds")


class ValueSpec(_Spec):
    """A derived value: computed from the transaction, tables and other values, usable by name."""

    name: str = Field(pattern=NAME_PATTERN)
    description: str | None = None
    expr: str | None = None
    lookup: LookupSpec | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> ValueSpec:
        if (self.expr is None) == (self.lookup is None):
            raise ValueError("a value needs exactly one of `expr` and `lookup`")
        return self


class Effective(_Spec):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: dt.date | None = Field(default=None, alias="from", description="first day in force (inclusive)")
    until: dt.date | None = Field(default=None, description="last day in force (inclusive)")

    @model_validator(mode="after")
    def _ordered(self) -> Effective:
        if self.from_ and self.until and self.until < self.from_:
            raise ValueError(f"`until` {self.until} is before `from` {self.from_}")
        return self


class FeeSpec(_Spec):
    rate: Decimal = Field(ge=0, le=1, description="a fraction: 0.25 for 25%")
    of: str = Field(min_length=1, description="expression giving the amount in USD the rate applies to")


class RuleSpec(_Spec):
    id: str = Field(pattern=RULE_ID_PATTERN)
    title: str = Field(min_length=1)
    description: str | None = None
    effect: Effect
    when: Any = Field(description="the condition: an expression, or {all: [...]}, {any: [...]}, {not: ...}")
    message: str = Field(min_length=1, description="template; {name} or {name:,} quotes a value")
    cite: str = Field(min_length=1, description="the regulation or source this rule encodes")
    effective: Effective | None = None
    fee: FeeSpec | None = None
    tags: list[str] = Field(default_factory=list)

    @field_validator("cite")
    @classmethod
    def _cite_says_something(cls, cite: str) -> str:
        if not cite.strip():
            raise ValueError("a blank cite cites nothing")
        return cite

    @model_validator(mode="after")
    def _fee_matches_effect(self) -> RuleSpec:
        if self.effect == "fee" and self.fee is None:
            raise ValueError("a rule with effect `fee` needs `fee: {rate, of}`")
        if self.effect != "fee" and self.fee is not None:
            raise ValueError(f"`fee` is only for rules with effect `fee`, not `{self.effect}`")
        return self


class RuleFile(_Spec):
    description: str | None = None
    values: list[ValueSpec] = Field(default_factory=list)
    rules: list[RuleSpec] = Field(default_factory=list)


class Expectation(_Spec):
    decision: Outcome
    fee_usd: Decimal | None = None
    rules: list[str] = Field(default_factory=list, description="rules that must fire")
    not_rules: list[str] = Field(default_factory=list, description="rules that must not fire")
    not_evaluable: list[str] = Field(default_factory=list, description="rules that must be not evaluable")


class Case(_Spec):
    name: str = Field(min_length=1)
    description: str | None = None
    transaction: dict[str, Any]
    expect: Expectation


class TestFile(_Spec):
    description: str | None = None
    defaults: dict[str, Any] = Field(default_factory=dict, description="merged under every case's transaction")
    cases: list[Case] = Field(min_length=1)


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schemas of the three kinds of pack file, for editors."""
    out: dict[str, dict[str, Any]] = {}
    for kind, model in (("pack", Manifest), ("rules", RuleFile), ("tests", TestFile)):
        schema = model.model_json_schema(by_alias=True)
        if kind == "rules":
            schema["$defs"]["Condition"] = CONDITION_SCHEMA
            when = schema["$defs"]["RuleSpec"]["properties"]["when"]
            when["$ref"] = "#/$defs/Condition"
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        out[kind] = schema
    return out
