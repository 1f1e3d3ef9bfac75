"""External facts: what a pack knows only from the caller, such as the units already allowed under a license.

A pack declares its facts in `pack.yaml` (`facts:`); rules read one with `fact("name", key)`, an object of the
declared number fields plus `counted` (whether the caller's provider answered). With no provider, or none for
that key, every field is 0 and `counted` is false, so a rule can say "usage not counted". A fact may `accrue`:
the engine then says, for every allowed decision, what to add to it (the caller records that).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.language import Call, Expr, ExprError, Function, Functions
from engine.language.values import BOOL, MISSING, NUMBER, STRING, Type
from engine.pack.spec import FactSpec

KEY_TYPES = {"string": STRING, "number": NUMBER}


class FactRecord:
    """One external fact as rules see it: its fields by attribute, and `counted`."""

    __slots__ = ("counted", "name", "values")

    def __init__(self, name: str, values: dict[str, Any], counted: bool):
        self.name = name
        self.values = values
        self.counted = counted

    def __getattr__(self, field: str) -> Any:
        try:
            return self.values[field]
        except KeyError:
            raise AttributeError(field) from None

    def as_observed(self) -> dict[str, Any]:
        values = {k: float(v) if isinstance(v, Decimal) else v for k, v in self.values.items()}
        return {**values, "counted": self.counted}

    def __str__(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.values.items())


def fact_type(name: str, spec: FactSpec) -> Type:
    fields = (*((field, NUMBER) for field in spec.fields), ("counted", BOOL))
    return Type("fact", name, fields=fields)


def fact_function(specs: dict[str, FactSpec]) -> Function:
    """`fact("name", key)` over the pack's declared facts."""
    types = {name: fact_type(name, spec) for name, spec in specs.items()}

    def build(call: Call) -> Expr:
        which, key = call.args
        if which.type is not STRING or which.constant is MISSING:
            raise ExprError(f"`{call.text}`: the fact's name must be a string literal", "bad-argument")
        name = which.constant
        spec = specs.get(name)
        if spec is None:
            known = ", ".join(f"`{n}`" for n in specs) or "none"
            raise ExprError(f"`{call.text}`: the pack declares no fact `{name}` (declared: {known})", "unknown-name")
        want = KEY_TYPES[spec.key]
        if key.type is not want and key.type.kind != "any":
            raise ExprError(f"`{call.text}`: the key of `{name}` is a {want}, not a {key.type}", "type-mismatch")
        zeros = dict.fromkeys(spec.fields, 0)
        key_fn = key.fn

        def read(env: Any) -> Any:
            value = key_fn(env)
            if value is MISSING or value is None:
                return MISSING
            found = env.external(name, value)
            if found is None:
                return FactRecord(name, dict(zeros), False)
            return FactRecord(name, {field: found.get(field, 0) for field in spec.fields}, True)

        return Expr(read, types[name], call.text)

    return Function(
        name="fact",
        signature='fact("name", key)',
        doc="an external fact the pack declares, as the caller's provider gives it (zeros when it has none)",
        result=Type("fact"),
        build=build,
        arity=(2, 2),
    )


def external_functions(specs: dict[str, FactSpec]) -> Functions:
    return {"fact": fact_function(specs)}
