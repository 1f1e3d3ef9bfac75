"""The reference parts of the documentation, generated from the code that defines them (`python -m tests.docs
--write` puts them in place, and the documentation test fails when one is out of date).

functions     every function a rule can call: the built-ins (`BUILTINS`) and those the shipped pack registers
              (`screen`, `name_score`, `fact`), each with its signature and doc from the registry
operators     every operator and form of expression the compiler accepts (`OP_TEXT` and the compiler's node
              kinds); a kind without an entry here is an error, so a new one cannot go undocumented
fields        the transaction contract (engine/contract/fields.py and the pydantic model): names, types, CSV
              columns, required or not
csv-columns   the CSV header, in order
end-uses      the contract's end uses
attestations  the shipped pack's attestation vocabulary
codes         every diagnostic code (engine.errors.CODES)
keys:MODEL    the keys of a pack file (engine/pack/spec.py: RuleSpec, ValueSpec, Manifest, ...)
roles         which roles may call which routes of the HTTP API (api.shapes.PERMISSIONS)
"""

from __future__ import annotations

from typing import Any

from engine.contract.fields import CSV_COLUMNS, FIELDS
from engine.contract.transaction import END_USES, Party, Specs, Transaction
from engine.errors import CODES
from engine.language import BUILTINS, OP_TEXT
from engine.language.compiler import ExprCompiler
from engine.language.functions import Function
from engine.pack.compiler import STAGES, CompileState, load_lists
from tests.conftest import SHIPPED

# Every form of expression, as (compiler node kind or operator text, syntax, example, what it means). An
# example is compiled against the shipped pack by the documentation test.
OPERATORS: list[tuple[str, str, str, str]] = [
    ("==", "`a == b`", 'ship_from == "US"', "equal; both sides of one type (a number against a text is a load error)"),
    ("!=", "`a != b`", 'ship_from != "US"', "not equal"),
    ("<", "`a < b`", "tpp < 21000", "numbers or dates; a text literal compared with a date is read as a date"),
    ("<=", "`a <= b`", 'date <= "2026-01-14"', "at most"),
    (">", "`a > b`", "quantity > 1000", "more than"),
    (">=", "`a >= b`", "memory_bandwidth_gbs >= 6500", "at least"),
    ("chain", "`a < x < b`", "14000 < tpp < 17500", "a chain of comparisons: each must hold"),
    ("in", "`a in list`", 'destination in ["CN", "HK", "MO"]',
     "a literal list, a set (`country_groups[\"D:5\"]`), a table column or a list field"),
    ("not in", "`a not in list`", '"us_third_party_tested" not in attestations', "the opposite of `in`"),
    ("and", "`a and b`", 'is_3a090 and destination == "CN"', "false if any side is false; else missing if one is"),
    ("or", "`a or b`", "tpp >= 4800 or pd >= 5.92", "true if any side is true; else missing if one is"),
    ("not", "`not a`", "not us_commercial", "negation (missing stays missing)"),
    ("-x", "`-x`", "-quantity < 0", "a negative number"),
    ("+", "`a + b`", 'quantity + 1 > 1 and "TPP " + format(tpp, ",") != ""',
     "Decimal addition; with texts on both sides, joins them"),
    ("-", "`a - b`", "tpp - 1000 > 0", "Decimal subtraction"),
    ("*", "`a * b`", "quantity * unit_price_usd > 1000000", "Decimal multiplication"),
    ("/", "`a / b`", "tpp / die_area_mm2 >= 5.92", "Decimal division; division by zero is missing"),
    ("if else", "`x if cond else y`", '("3A090.a" if is_3a090a else "other") != ""',
     "a choice; both branches of one type"),
    ("literal", "literals", '"CN" != "" and 1.5 > 1 and true != false',
     "texts in quotes, numbers (Decimal), `true`/`false`, lists `[...]`"),
    ("name", "names", "destination == customer.country", "a field, a value of the pack, or a table (below)"),
    ("attribute", "`a.b`", "item.tpp > 0", "a field of a record (a party, a table row, a match) or a table column"),
    ("subscript", '`table["key"]`', 'destination in country_groups["D:5"]', "a set or a row of a table, by key"),
    ("call", "`f(...)`", "exists(end_use)", "a function of the registry (below)"),
]  # fmt: skip
# the compiler's node kinds, and which entries above document each
NODE_KINDS = {
    "Constant": "literal",
    "List": "literal",
    "Tuple": "literal",
    "Name": "name",
    "Attribute": "attribute",
    "Subscript": "subscript",
    "BoolOp": "and",
    "UnaryOp": "not",
    "BinOp": "+",
    "IfExp": "if else",
    "Compare": "==",
    "Call": "call",
}


ORIGINS = {"engine.screening.function": "denied-party screening", "engine.pack.external": "the pack's `facts`"}


def pack_functions() -> dict[str, Function]:
    """The functions a rule of the shipped pack can call, as the compiler registers them."""
    state = CompileState(SHIPPED)
    for stage in STAGES:
        stage(state)
        if stage is load_lists:
            break
    return state.functions


def functions() -> str:
    registry = pack_functions()
    lines = ["| function | what it gives | registered by |", "|---|---|---|"]
    for name, function in registry.items():
        origin = "the language" if name in BUILTINS else ORIGINS[function.build.__module__]
        lines.append(f"| `{_cell(function.signature)}` | {_cell(function.doc)} | {origin} |")
    return "\n".join(lines) + "\n"


def operators() -> str:
    kinds = {name[2:] for name in vars(ExprCompiler) if name.startswith("n_")}
    undocumented = sorted(kinds - set(NODE_KINDS))
    if undocumented:
        raise LookupError(f"the compiler accepts {undocumented}, which the reference does not document")
    documented = {entry[0] for entry in OPERATORS}
    missing = sorted(set(OP_TEXT.values()) - documented)
    if missing:
        raise LookupError(f"OP_TEXT has {missing}, which the reference does not document")
    lines = ["| form | example | meaning |", "|---|---|---|"]
    for _, syntax, example, meaning in OPERATORS:
        lines.append(f"| {syntax} | `{_cell(example)}` | {_cell(meaning)} |")
    return "\n".join(lines) + "\n"


def examples() -> list[str]:
    """The example expressions of the operator table (the test compiles each against the shipped pack)."""
    return [example for _, _, example, _ in OPERATORS]


def _required(path: tuple[str, ...]) -> bool:
    model: Any = Transaction
    for part in path:
        info = model.model_fields[part]
        if not info.is_required():
            return False
        model = {"customer": Party, "end_user": Party, "specs": Specs}.get(part)
    return True


def fields() -> str:
    lines = ["| field | type | CSV column | required | meaning |", "|---|---|---|---|---|"]
    for f in FIELDS:
        if f.derived:
            continue
        required = "yes" if _required(f.path) else ""
        column = f"`{f.csv}`" if f.csv else "(not in CSV)"
        lines.append(f"| `{f.name}` | {f.kind} | {column} | {required} | {_cell(f.doc)} |")
    return "\n".join(lines) + "\n"


def csv_columns() -> str:
    return "```text\n" + ",".join(CSV_COLUMNS) + "\n```\n"


def end_uses() -> str:
    return ", ".join(f"`{u}`" for u in END_USES) + "\n"


def attestations() -> str:
    import engine

    return ", ".join(f"`{a}`" for a in sorted(engine.load_pack(SHIPPED).vocabularies["attestations"])) + "\n"


def codes() -> str:
    lines = ["| code | meaning |", "|---|---|"]
    lines += [f"| `{code}` | {_cell(meaning)} |" for code, meaning in CODES.items()]
    return "\n".join(lines) + "\n"


# what each permission of the HTTP API lets a key do (a permission missing here is an error)
ROUTES = {
    "decisions:create": "`POST /v1/decisions`",
    "decisions:pin": "`POST /v1/decisions?ruleset=...` (an evaluation under a pinned version, never stored)",
    "decisions:read": "`GET /v1/decisions`, `GET /v1/decisions/{decision_id}`",
    "reviews:read": "`GET /v1/reviews`",
    "reviews:resolve": "`POST /v1/reviews/{decision_id}`",
    "batches:create": "`POST /v1/batches`",
    "rulesets:read": "`GET /v1/rulesets`, `GET /v1/rulesets/{pack}/{label}`, `GET /v1/rulesets/{pack}/diff`",
    "rulesets:publish": "`POST /v1/rulesets`",
    "rulesets:activate": "`POST /v1/rulesets/{pack}/{label}/activate`",
    "rulesets:shadow": "`POST /v1/rulesets/{pack}/{label}/shadow`, `DELETE /v1/rulesets/{pack}/shadow`",
    "rulesets:shadow-report": "`GET /v1/rulesets/{pack}/shadow`",
    "simulations:create": "`POST /v1/simulations`",
}


def roles() -> str:
    from api.shapes import PERMISSIONS

    lines = ["| routes | roles allowed |", "|---|---|"]
    for permission, allowed in PERMISSIONS.items():
        lines.append(f"| {ROUTES[permission]} | {', '.join(f'`{r}`' for r in sorted(allowed))} |")
    return "\n".join(lines) + "\n"


# what a key of a pack file means, where its model gives no description (a key with neither is an error)
KEY_NOTES = {
    ("RuleSpec", "id"): "unique in the pack, e.g. `CN-ROUTE-TPP-CEILING`",
    ("RuleSpec", "title"): "a title a compliance officer understands",
    ("RuleSpec", "description"): "longer, optional",
    ("RuleSpec", "effect"): "`deny`, `review`, `allow` or `fee`",
    ("RuleSpec", "effective"): "`{from: DATE, until: DATE}`, both inclusive, both optional",
    ("RuleSpec", "fee"): "for `effect: fee`: `{rate: 0.25, of: transaction_value}`, rounded half-up to the cent",
    ("RuleSpec", "tags"): "a list of strings, for people and tools",
    ("ValueSpec", "name"): "the name rules and other values use",
    ("ValueSpec", "description"): "what the value means",
    ("ValueSpec", "expr"): "an expression (one of `expr` and `lookup`)",
    ("ValueSpec", "lookup"): "a row of a table (one of `expr` and `lookup`; below)",
    ("LookupSpec", "table"): "the table (declared in `pack.yaml`)",
    ("LookupSpec", "match"): "tried in order: the first entry whose value exists selects the rows",
    ("MatchSpec", "normalize"): "`exact`, `casefold` (case and spacing) or `party-name` (as denied-party screening)",
    ("Manifest", "name"): "the pack's name: lower case, digits and `-`",
    ("Manifest", "title"): "what the pack encodes, in a line",
    ("Manifest", "description"): "longer: the regulations and dates it covers",
    ("Manifest", "classification"): "`{summary: VALUE, fields: {name: VALUE}}`: reported by every decision",
    ("Manifest", "tables"): "reference tables: `{name: {file, key, columns: {column: type}, ...}}`",
    ("Manifest", "lists"): "denied-party lists (Consolidated Screening List CSV files): `{code: {file}}`",
    ("Expectation", "decision"): "`allow`, `deny` or `review`",
    ("Expectation", "fee_usd"): 'the fee owed, e.g. `"0.00"`',
    ("Case", "name"): "what the case shows (`-k` selects cases by it)",
    ("Case", "description"): "longer, optional",
    ("Case", "transaction"): "the transaction, merged over `defaults`",
    ("Case", "expect"): "what the pack must decide (below)",
    ("TestFile", "description"): "what the file's cases cover",
    ("TestFile", "cases"): "the cases",
}


def keys(model_name: str) -> str:
    from engine.pack import spec

    model = getattr(spec, model_name)
    lines = ["| key | required | meaning |", "|---|---|---|"]
    for name, info in model.model_fields.items():
        key = info.alias or name
        meaning = info.description or KEY_NOTES.get((model_name, key))
        if meaning is None:
            raise LookupError(f"`{key}` of {model_name} has no description: add one to KEY_NOTES")
        lines.append(f"| `{key}` | {'yes' if info.is_required() else ''} | {_cell(meaning)} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


GENERATORS = {
    "functions": functions,
    "operators": operators,
    "fields": fields,
    "csv-columns": csv_columns,
    "end-uses": end_uses,
    "attestations": attestations,
    "codes": codes,
    "roles": roles,
}


def generate(name: str) -> str:
    if name.startswith("keys:"):
        return keys(name.split(":", 1)[1])
    return GENERATORS[name]()
