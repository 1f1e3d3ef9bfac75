"""The `durable` backend: a compiled pack translated to a durable-rules (Rete) ruleset.

durable-rules 2.0.28 gives silently wrong answers on several constructs, so the translation keeps to what
it does correctly and computes the rest in Python first:

- Operands (names, record fields, arithmetic, function results) are computed in Python and sent as a flat
  fact of integer codes that compare exactly as the values do (see `encoding`): no float, string or date
  reaches the engine. A missing operand is left out of the fact; one that cannot be coded is *unsure*,
  and the rules reading it are judged in Python.
- Comparisons, `==`/`!=`, short `in` lists, `exists`/`missing`, `and`/`or`/`not` and derived boolean values
  (inlined) are translated. Long `in` lists (more than SHORT_LIST values), membership in a list operand and
  regular expressions are computed in Python as boolean fields: durable-rules loops forever on large `$or`
  lists and its regex dialect misses matches with alternation.
- Three-valued logic is kept exactly: every rule becomes two durable rules, `<id>#T` (the condition holds)
  and `<id>#F` (it fails). When neither fires, an input was missing and the rule is not evaluable.
- Every leaf asserts `$ex` on its operands, so a missing operand never matches.

Large packs are split into several rulesets (one worker each), each within durable-rules' fixed limits; a
single rule it cannot carry safely (too many `or` branches or equality tests, conditions nested too deeply,
too many operands) is rejected with a message naming the rule.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from engine.contract import ALWAYS_GIVEN
from engine.durable.encoding import ONE, Domains, Encoded, Encoder
from engine.durable.limits import MAX_ALTERNATIVES, MAX_FIELDS, MAX_GROUPS, MAX_OPERANDS, RULES_PER_RULESET
from engine.errors import Diagnostic, PackError
from engine.evaluation import Env
from engine.language import Expr, Fn
from engine.language.logic import binary
from engine.language.values import BOOL, DATE, LIST, MISSING
from engine.pack.model import CompiledRule, Leaf, Pack

SHORT_LIST = 16
BATCH = 500
TRUE: dict[str, Any] = {ONE: 1}
FALSE: dict[str, Any] = {ONE: 0}
_FLIP = {
    ast.Lt: ast.Gt,
    ast.LtE: ast.GtE,
    ast.Gt: ast.Lt,
    ast.GtE: ast.LtE,
    ast.Eq: ast.Eq,
    ast.NotEq: ast.NotEq,
}
_NEGATE = {
    ast.Lt: ast.GtE,
    ast.LtE: ast.Gt,
    ast.Gt: ast.LtE,
    ast.GtE: ast.Lt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
}
_DURABLE_OP = {ast.Lt: "$lt", ast.LtE: "$lte", ast.Gt: "$gt", ast.GtE: "$gte", ast.NotEq: "$neq"}

Formula = dict[str, Any]


class TranslationError(Exception):
    pass


def _and(parts: list[Formula]) -> Formula:
    return _group("$and", parts, absorbing=FALSE, neutral=TRUE)


def _or(parts: list[Formula]) -> Formula:
    return _group("$or", parts, absorbing=TRUE, neutral=FALSE)


def _group(op: str, parts: list[Formula], absorbing: Formula, neutral: Formula) -> Formula:
    """A flattened `$and`/`$or`: nested groups of the same operator merge, constants simplify."""
    flat: list[Formula] = []
    for part in parts:
        if part is absorbing:
            return absorbing
        if part is neutral:
            continue
        flat.extend(part[op] if op in part and len(part) == 1 else [part])
    if not flat:
        return neutral
    return flat[0] if len(flat) == 1 else {op: flat}


def _equalities(formula: Any) -> set[tuple[str, str]]:
    """The distinct `{field: literal}` tests of a formula: durable-rules keeps them in one fixed-size table."""
    found: set[tuple[str, str]] = set()
    if isinstance(formula, dict):
        for key, value in formula.items():
            if key.startswith("$"):
                found |= _equalities(value)
            elif not isinstance(value, dict):
                found.add((key, repr(value)))
    elif isinstance(formula, list):
        for item in formula:
            found |= _equalities(item)
    return found


def _branches(formula: Any) -> int:
    """How many `$or` branches a formula holds, nested ones included."""
    if isinstance(formula, dict):
        own = len(formula["$or"]) if "$or" in formula else 0
        return own + sum(_branches(v) for v in formula.values())
    if isinstance(formula, list):
        return sum(_branches(v) for v in formula)
    return 0


def groups(formula: Any) -> int:
    """How many `$and`/`$or` groups a formula holds: durable-rules takes about 15 per rule (error 113)."""
    if isinstance(formula, dict):
        own = 1 if ("$and" in formula or "$or" in formula) else 0
        return own + sum(groups(v) for v in formula.values())
    if isinstance(formula, list):
        return sum(groups(v) for v in formula)
    return 0


@dataclass
class Translation:
    """The durable rules of a pack and how to build a fact for one transaction."""

    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    three_valued: set[str] = field(default_factory=set)  # rules that can be not evaluable: they get `#F`
    operands: dict[str, tuple[str, Fn]] = field(default_factory=dict)  # text -> (field, fn)
    flags: dict[str, tuple[str, Fn]] = field(default_factory=dict)
    uses: dict[str, set[str]] = field(default_factory=dict)  # fact key -> the rules that read it
    encoder: Encoder | None = None
    # what each rule costs durable-rules: its `$or` branches and its distinct (field, value) equality tests
    costs: dict[str, tuple[int, frozenset[tuple[str, str]]]] = field(default_factory=dict)

    def rulesets(self) -> list[dict[str, dict[str, Any]]]:
        """The durable rules split into rulesets that each stay within what durable-rules handles:
        RULES_PER_RULESET rules, MAX_ALTERNATIVES `$or` branches and as many distinct equality tests."""
        chunks: list[dict[str, dict[str, Any]]] = []
        current: dict[str, dict[str, Any]] = {}
        branches = 0
        equalities: set[tuple[str, str]] = set()
        for rule_id, (cost, tests) in self.costs.items():
            own = {k: v for k, v in self.rules.items() if k.rsplit("#", 1)[0] == rule_id}
            if current and (
                len(current) + len(own) > RULES_PER_RULESET
                or branches + cost > MAX_ALTERNATIVES
                or len(equalities | tests) > MAX_ALTERNATIVES
            ):
                chunks.append(current)
                current, branches, equalities = {}, 0, set()
            current.update(own)
            branches += cost
            equalities |= tests
        if current:
            chunks.append(current)
        return chunks

    def encode(self, env: Env) -> Encoded:
        """The fact of one transaction, and the keys it cannot carry exactly (see `encoding`)."""
        assert self.encoder is not None, "translate() builds the encoder"
        return self.encoder.encode(env)

    def python_rules(self, unsure: list[str]) -> set[str]:
        """The rules to judge in Python because they read a key the fact does not carry exactly."""
        return set().union(*(self.uses.get(key, ()) for key in unsure))


class _Translator:
    def __init__(self, pack: Pack):
        self.pack = pack
        self.out = Translation()
        self.rule_id = ""
        self.inline = True
        self.may_miss = False
        self.domains = Domains()
        self.keys: set[str] = set()

    def fail(self, message: str) -> TranslationError:
        return TranslationError(message)

    # rule structure ---------------------------------------------------------------------------------
    def rule(self, rule: CompiledRule) -> None:
        """Translate one rule, inlining derived booleans unless that makes it too large for durable-rules."""
        self.rule_id = rule.id
        for inline in (True, False):
            self.inline = inline
            self.may_miss = False
            self.keys = set()
            true, false = self.when(rule.when, iter(rule.leaves))
            size = max(groups(true), groups(false))
            if size <= MAX_GROUPS:
                break
        else:
            raise self.fail(f"the condition needs {size} `$and`/`$or` groups; durable-rules takes {MAX_GROUPS}")
        tests = frozenset(_equalities(true) | (_equalities(false) if self.may_miss else set()))
        cost = _branches(true) + (_branches(false) if self.may_miss else 0)
        if cost > MAX_ALTERNATIVES or len(tests) > MAX_ALTERNATIVES:
            raise self.fail(
                f"{max(cost, len(tests))} `or` branches or distinct equality tests in one rule; durable-rules "
                f"takes {MAX_ALTERNATIVES} (it fails with error 303, or loops forever, past about 511)"
            )
        self.out.costs[rule.id] = (cost, tests)
        for key in self.keys:
            self.out.uses.setdefault(key, set()).add(rule.id)
        self.out.rules[f"{rule.id}#T"] = {"all": [{"m": true}]}
        if self.may_miss:  # otherwise "not true" means false, and `#F` would only cost an action per fact
            self.out.rules[f"{rule.id}#F"] = {"all": [{"m": false}]}
            self.out.three_valued.add(rule.id)

    def when(self, when: Any, leaves: Iterator[Leaf]) -> tuple[Formula, Formula]:
        if isinstance(when, str):
            leaf = next(leaves)
            return self.node(leaf.expr.node, leaf.expr.parts)
        ((kind, body),) = when.items()
        if kind == "not":
            true, false = self.when(body, leaves)
            return false, true
        pairs = [self.when(item, leaves) for item in body]
        trues, falses = [p[0] for p in pairs], [p[1] for p in pairs]
        if kind == "all":
            return _and(trues), _or(falses)
        return _or(trues), _and(falses)

    # expressions ------------------------------------------------------------------------------------
    def node(self, node: Any, parts: dict[int, Expr]) -> tuple[Formula, Formula]:
        expr = parts[id(node)]
        if expr.constant is not MISSING and isinstance(expr.constant, bool):
            return (TRUE, FALSE) if expr.constant else (FALSE, TRUE)
        if isinstance(node, ast.BoolOp):
            pairs = [self.node(v, parts) for v in node.values]
            trues, falses = [p[0] for p in pairs], [p[1] for p in pairs]
            if isinstance(node.op, ast.And):
                return _and(trues), _or(falses)
            return _or(trues), _and(falses)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            true, false = self.node(node.operand, parts)
            return false, true
        if isinstance(node, ast.Compare):
            pairs = []
            operands = [node.left, *node.comparators]
            for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
                pairs.append(self.compare(op, left, right, parts))
            return _and([p[0] for p in pairs]), _or([p[1] for p in pairs])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name in ("exists", "missing"):
                key = self.operand(node.args[0], parts)
                present, absent = {"$ex": {key: 1}}, {"$nex": {key: 1}}
                return (present, absent) if name == "exists" else (absent, present)
            if name == "between":
                low = self.compare(ast.GtE(), node.args[0], node.args[1], parts)
                high = self.compare(ast.LtE(), node.args[0], node.args[2], parts)
                return _and([low[0], high[0]]), _or([low[1], high[1]])
        if isinstance(node, ast.Name | ast.Attribute):
            value = self.pack.values.get(expr.text)
            if self.inline and value is not None and value.expr is not None and value.type == BOOL:
                return self.node(value.expr.node, value.expr.parts)  # inline derived booleans
        return self.flag(expr)

    def flag(self, expr: Expr) -> tuple[Formula, Formula]:
        """A boolean computed in Python (regex, membership in a list operand, other constructs)."""
        self.may_miss = self.may_miss or not _never_missing(expr.node)
        key = self._field(expr, self.out.flags, "f")
        return {key: True}, {key: False}

    def operand(self, node: Any, parts: dict[int, Expr]) -> str:
        self.may_miss = self.may_miss or not _never_missing(node)
        return self._field(parts[id(node)], self.out.operands, "o")

    def _field(self, expr: Expr, table: dict[str, tuple[str, Fn]], prefix: str) -> str:
        text = ast.unparse(expr.node) if expr.node is not None else expr.text
        if text not in table:
            if len(self.out.operands) + len(self.out.flags) >= MAX_OPERANDS:
                raise self.fail(
                    f"more than {MAX_OPERANDS} operands: a durable-rules fact takes at most {MAX_FIELDS} fields"
                )
            table[text] = (f"{prefix}{len(table)}", expr.fn)
        self.keys.add(table[text][0])
        return table[text][0]

    def compare(self, op: ast.cmpop, left: Any, right: Any, parts: dict[int, Expr]) -> tuple[Formula, Formula]:
        lexpr, rexpr = parts[id(left)], parts[id(right)]
        kind = type(op)
        if kind in (ast.In, ast.NotIn):
            return self.member(kind is ast.NotIn, lexpr, rexpr)
        lconst, rconst = lexpr.constant is not MISSING, rexpr.constant is not MISSING
        if lconst and rconst:
            raise self.fail(f"`{ast.unparse(left)} ... {ast.unparse(right)}` compares two literals")
        if lconst:
            return self.compare(_FLIP[kind](), right, left, parts)
        key = self.operand(left, parts)
        guards: list[Formula] = []  # a comparison with a missing field is false in durable-rules
        ordered = kind not in (ast.Eq, ast.NotEq)
        if rconst:
            value: Any = self.domains.literal(key, _coerced(rexpr.constant, lexpr), ordered=ordered)
        else:
            other = self.operand(right, parts)
            self.domains.link(key, other, ordered=ordered)
            guards = [{"$ex": {key: 1}}, {"$ex": {other: 1}}]  # a missing `$m` operand can match
            value = {"$m": other}
        return _and([*guards, self._test(kind, key, value)]), _and([*guards, self._test(_NEGATE[kind], key, value)])

    @staticmethod
    def _test(kind: type[ast.cmpop], key: str, value: Any) -> Formula:
        if kind is ast.Eq:
            return {key: value}
        return {_DURABLE_OP[kind]: {key: value}}

    def member(self, negate: bool, lexpr: Expr, rexpr: Expr) -> tuple[Formula, Formula]:
        if rexpr.constant is MISSING or rexpr.type is not LIST or len(rexpr.constant) > SHORT_LIST:
            true, false = self.flag(_membership(lexpr, rexpr))
        else:
            members = sorted(rexpr.constant, key=str)
            self.may_miss = self.may_miss or not _never_missing(lexpr.node)
            key = self._field(lexpr, self.out.operands, "o")
            codes = [self.domains.literal(key, m, ordered=False) for m in members]
            true = _or([{key: code} for code in codes])
            false = _and([{"$neq": {key: code}} for code in codes])
        return (false, true) if negate else (true, false)


def _never_missing(node: Any) -> bool:
    """Whether an expression can never be MISSING: only literals and always-given fields, no division."""
    if node is None:
        return False
    if isinstance(node, ast.Constant | ast.List | ast.Tuple):
        return True
    if isinstance(node, ast.Name | ast.Attribute):
        return ast.unparse(node) in ALWAYS_GIVEN or ast.unparse(node) in ("true", "false")
    if isinstance(node, ast.Subscript):
        return isinstance(node.value, ast.Name) and isinstance(node.slice, ast.Constant)
    if isinstance(node, ast.BinOp):
        return not isinstance(node.op, ast.Div) and _never_missing(node.left) and _never_missing(node.right)
    if isinstance(node, ast.UnaryOp):
        return _never_missing(node.operand)
    if isinstance(node, ast.BoolOp):
        return all(_never_missing(v) for v in node.values)
    if isinstance(node, ast.Compare):
        return all(_never_missing(v) for v in (node.left, *node.comparators))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id in ("exists", "missing")
    return False


def _coerced(value: Any, other: Expr) -> Any:
    """A string literal compared with a date is a date, as in the native compiler."""
    if isinstance(value, str) and other.type == DATE:
        return dt.date.fromisoformat(value)
    return value


def _membership(lexpr: Expr, rexpr: Expr) -> Expr:
    member = binary(lambda value, collection: value in collection, lexpr.fn, rexpr.fn)
    text = f"({lexpr.text}) in ({rexpr.text})"
    node = ast.parse(text, mode="eval").body
    return Expr(member, BOOL, text, node=node)


def translate(pack: Pack) -> Translation:
    """Translate every rule of `pack`; raise PackError naming each rule that cannot be carried safely."""
    translator = _Translator(pack)
    diagnostics = []
    for rule in pack.rules:
        try:
            translator.rule(rule)
        except TranslationError as exc:
            diagnostics.append(
                Diagnostic(
                    file=rule.file,
                    line=rule.line,
                    code="durable-limit",
                    rule=rule.id,
                    message=f"durable backend: {exc}",
                )
            )
    if diagnostics:
        raise PackError(diagnostics)
    out = translator.out
    out.encoder = translator.domains.encoder(out.operands.values(), out.flags.values())
    out.rules = {rule_id: out.encoder.resolve(body) for rule_id, body in out.rules.items()}
    return out
