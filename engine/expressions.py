"""Expressions of the rule language, compiled to Python closures (never `eval`).

The syntax is a small, Python-like subset parsed with `ast` and checked node by node: names and dotted
paths, literals, `== != < <= > >=` (chains such as `14000 < tpp < 17500`), `in` / `not in`, `and`, `or`,
`not`, `+ - * /`, `x if cond else y`, list literals, `table["set"]`, `table.column`, and the functions of
FUNCTIONS. Every expression has a static type, so `tpp == "x"` is a load error, not a silent false.

Semantics are three-valued: a closure returns a value, or MISSING when an input it needs is missing.
`and` is false if any side is false, `or` true if any side is true; otherwise MISSING propagates, and a
rule whose condition is MISSING is "not evaluable" (the caller turns that into `review`).
"""

from __future__ import annotations

import ast
import datetime as dt
import difflib
import itertools
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from engine.values import ANY, BOOL, DATE, LIST, MATCH, MISSING, NUMBER, STRING, TABLE, Type

Fn = Callable[[Any], Any]

FUNCTIONS = {
    "exists": "exists(x): true when x has a value (never missing)",
    "missing": "missing(x): true when x has no value (never missing)",
    "coalesce": "coalesce(a, b, ...): the first argument that has a value",
    "between": "between(x, low, high): low <= x <= high (numbers or dates)",
    "matches": 'matches(x, "regex"): the regular expression is found in the string x',
    "date": 'date("YYYY-MM-DD"): a date literal',
    "lower": "lower(x): the string in lower case",
    "len": "len(x): the number of items of a list or characters of a string",
    "min": "min(a, b, ...): the smallest number",
    "max": "max(a, b, ...): the largest number",
    "round": "round(x, n): x rounded half-up to n decimals",
    "screen": 'screen(name, ["EL", ...], on=date): the best denied-party match of a name on the pack\'s lists',
}


class ExprError(Exception):
    """An expression is wrong; the message follows the project's error style."""


@dataclass
class Expr:
    """A compiled expression: its closure, static type, source text and the operands shown as observed."""

    fn: Fn
    type: Type
    text: str
    observed: list[tuple[str, Fn]] = field(default_factory=list)
    constant: Any = MISSING
    node: ast.AST | None = None
    parts: dict[int, Expr] = field(default_factory=dict, repr=False)


class Scope:
    """What names mean while compiling: the caller supplies resolvers for names, tables and functions."""

    def __init__(
        self,
        resolve_name: Callable[[str], tuple[Fn, Type] | None],
        tables: dict[str, Any],
        known_names: Callable[[], list[str]],
        screen: Callable[[list[Expr], dict[str, Expr]], tuple[Fn, Type]] | None = None,
        row: Any = None,
    ):
        self.resolve_name = resolve_name
        self.tables = tables
        self.known_names = known_names
        self.screen = screen
        self.row = row

    def with_row(self, table: Any) -> Scope:
        return Scope(self.resolve_name, self.tables, self.known_names, self.screen, row=table)


def compile_expr(text: str, scope: Scope, *, want: Type | None = None) -> Expr:
    """Compile `text`; raise ExprError with a message naming what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("an expression must be a non-empty string")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"syntax error in `{text.strip()}`: {exc.msg}") from None
    compiler = _Compiler(text.strip(), scope)
    expr = compiler.node(tree.body)
    expr.observed = compiler.observed
    expr.parts = compiler.parts
    if want is not None and expr.type not in (want, ANY):
        raise ExprError(f"`{expr.text}` is a {expr.type}, expected a {want}")
    return expr


def _is_missing(value: Any) -> bool:
    return value is MISSING or value is None


def all_of(fns: list[Fn]) -> Fn:
    """Three-valued `and`: false if any is false (stops there), else missing if any is missing, else true."""

    def conjunction(env: Any) -> Any:
        result: Any = True
        for fn in fns:
            value = fn(env)
            if value is False:
                return False
            if value is MISSING:
                result = MISSING
        return result

    return conjunction


def any_of(fns: list[Fn], *, exhaustive: bool = False) -> Fn:
    """Three-valued `or`: true if any is true, else missing if any is missing, else false.

    `exhaustive` evaluates every branch even after one is true, so that each is recorded."""

    def disjunction(env: Any) -> Any:
        result: Any = False
        for fn in fns:
            value = fn(env)
            if value is True:
                if not exhaustive:
                    return True
                result = True
            elif value is MISSING and result is False:
                result = MISSING
        return result

    return disjunction


_ORDER_OPS: dict[type, Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_EQ_OPS: dict[type, Callable[[Any, Any], bool]] = {ast.Eq: operator.eq, ast.NotEq: operator.ne}
OP_TEXT = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
}


class _Compiler:
    def __init__(self, text: str, scope: Scope):
        self.text = text
        self.scope = scope
        self.observed: list[tuple[str, Fn]] = []
        self.parts: dict[int, Expr] = {}  # every sub-expression by id(node), for the durable translator

    def src(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ast.unparse(node)

    def observe(self, node: ast.AST, fn: Fn) -> None:
        label = self.src(node)
        if all(label != seen for seen, _ in self.observed):
            self.observed.append((label, fn))

    def node(self, node: ast.AST) -> Expr:
        method = getattr(self, f"n_{type(node).__name__}", None)
        if method is None:
            raise ExprError(f"`{self.src(node)}` is not allowed in a rule expression")
        expr: Expr = method(node)
        expr.node = node
        self.parts[id(node)] = expr
        return expr

    # literals -----------------------------------------------------------------------------------------
    def n_Constant(self, node: ast.Constant) -> Expr:
        value = node.value
        if isinstance(value, bool):
            return _const(value, BOOL, self.src(node))
        if isinstance(value, int):
            return _const(value, NUMBER, self.src(node))
        if isinstance(value, float):
            return _const(Decimal(self.src(node).replace("_", "")), NUMBER, self.src(node))
        if isinstance(value, str):
            return _const(value, STRING, self.src(node))
        raise ExprError(f"literal `{self.src(node)}` is not supported")

    def n_List(self, node: ast.List) -> Expr:
        items = [self.node(item) for item in node.elts]
        if any(item.constant is MISSING for item in items):
            raise ExprError(f"list `{self.src(node)}` may hold only literals")
        kinds = {item.type for item in items}
        if len(kinds) > 1:
            raise ExprError(f"list `{self.src(node)}` mixes {', '.join(sorted(map(str, kinds)))}")
        return _const(frozenset(item.constant for item in items), LIST, self.src(node))

    n_Tuple = n_List

    # names --------------------------------------------------------------------------------------------
    def n_Name(self, node: ast.Name) -> Expr:
        name = node.id
        if name in ("true", "false"):
            return _const(name == "true", BOOL, name)
        if name == "row" and self.scope.row is not None:
            return Expr(lambda env: env["row"], Type("record", self.scope.row.name), name)
        if name in self.scope.tables:
            table = self.scope.tables[name]
            return Expr(lambda env: MISSING, TABLE, name, constant=table)
        resolved = self.scope.resolve_name(name)
        if resolved is None:
            raise ExprError(self._unknown(name))
        fn, type_ = resolved
        self.observe(node, fn)
        return Expr(fn, type_, name)

    def _unknown(self, name: str) -> str:
        close = difflib.get_close_matches(name, self.scope.known_names(), n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        return f"unknown name `{name}`{hint}"

    def n_Attribute(self, node: ast.Attribute) -> Expr:
        path = _dotted(node)
        if path is not None and path.split(".", 1)[0] not in self.scope.tables and path.split(".", 1)[0] != "row":
            resolved = self.scope.resolve_name(path)
            if resolved is not None:
                fn, type_ = resolved
                self.observe(node, fn)
                return Expr(fn, type_, path)
        mark = len(self.observed)
        base = self.node(node.value)
        del self.observed[mark:]  # the field is shown, not the whole record
        attr = node.attr
        if base.type is TABLE:
            table = base.constant
            if table.kind != "rows" or attr not in table.columns:
                raise ExprError(f"table `{table.name}` has no column `{attr}`")
            values = table.column_values(attr)
            return _const(values, LIST, self.src(node))
        if base.type.kind == "record":
            table = self.scope.tables[str(base.type.of)]
            if attr not in table.columns:
                close = difflib.get_close_matches(attr, list(table.columns), n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                raise ExprError(f"table `{table.name}` has no column `{attr}`{hint}")
            base_fn = base.fn

            def column(env: Any) -> Any:
                row = base_fn(env)
                return MISSING if row is MISSING or row is None else row.get(attr, MISSING)

            if not (isinstance(node.value, ast.Name) and node.value.id == "row"):
                self.observe(node, column)
            return Expr(column, table.columns[attr], self.src(node))
        if base.type is MATCH:
            from engine.screening_rules import MATCH_FIELDS

            if attr not in MATCH_FIELDS:
                raise ExprError(f"a screening match has no field `{attr}` (fields: {', '.join(MATCH_FIELDS)})")
            base_fn = base.fn

            def match_field(env: Any) -> Any:
                match = base_fn(env)
                return MISSING if match is MISSING or match is None else getattr(match, attr)

            self.observe(node, match_field)
            return Expr(match_field, MATCH_FIELDS[attr], self.src(node))
        if path is not None:
            raise ExprError(self._unknown(path))
        raise ExprError(f"`{self.src(node.value)}` is a {base.type} and has no field `{attr}`")

    def n_Subscript(self, node: ast.Subscript) -> Expr:
        base = self.node(node.value)
        key = self.node(node.slice)
        if base.type is not TABLE or base.constant.kind != "sets":
            raise ExprError(f'`{self.src(node)}`: only a sets table can be indexed, e.g. `country_groups["D:5"]`')
        if key.type is not STRING or key.constant is MISSING:
            raise ExprError(f"`{self.src(node)}`: the set name must be a string literal")
        sets = base.constant.sets
        if key.constant not in sets:
            raise ExprError(f"table `{base.constant.name}` has no set `{key.constant}`")
        return _const(sets[key.constant], LIST, self.src(node))

    # operators ----------------------------------------------------------------------------------------
    def n_BoolOp(self, node: ast.BoolOp) -> Expr:
        parts = [self.node(v) for v in node.values]
        for part in parts:
            _need(part, BOOL, "and/or")
        fns = [p.fn for p in parts]
        combine = all_of if isinstance(node.op, ast.And) else any_of
        return Expr(combine(fns), BOOL, self.src(node))

    def n_UnaryOp(self, node: ast.UnaryOp) -> Expr:
        operand = self.node(node.operand)
        fn = operand.fn
        if isinstance(node.op, ast.Not):
            _need(operand, BOOL, "not")
            return Expr(lambda env: MISSING if (v := fn(env)) is MISSING else not v, BOOL, self.src(node))
        if isinstance(node.op, ast.USub):
            _need(operand, NUMBER, "-")
            if operand.constant is not MISSING:
                return _const(-operand.constant, NUMBER, self.src(node))
            return Expr(lambda env: MISSING if (v := fn(env)) is MISSING else -v, NUMBER, self.src(node))
        raise ExprError(f"operator in `{self.src(node)}` is not supported")

    def n_BinOp(self, node: ast.BinOp) -> Expr:
        left, right = self.node(node.left), self.node(node.right)
        ops: dict[type, Callable[[Any, Any], Any]] = {
            ast.Add: operator.add,
            ast.Sub: operator.sub,
            ast.Mult: operator.mul,
            ast.Div: _divide,
        }
        op = ops.get(type(node.op))
        if op is None:
            raise ExprError(f"operator in `{self.src(node)}` is not supported (use + - * /)")
        _need(left, NUMBER, "arithmetic")
        _need(right, NUMBER, "arithmetic")
        return Expr(_binary(op, left.fn, right.fn), NUMBER, self.src(node))

    def n_IfExp(self, node: ast.IfExp) -> Expr:
        test, body, orelse = self.node(node.test), self.node(node.body), self.node(node.orelse)
        _need(test, BOOL, "if")
        if ANY not in (body.type, orelse.type) and body.type != orelse.type:
            raise ExprError(f"`{self.src(node)}`: both branches must have one type ({body.type} vs {orelse.type})")
        tf, bf, of = test.fn, body.fn, orelse.fn

        def choose(env: Any) -> Any:
            cond = tf(env)
            if cond is MISSING:
                return MISSING
            return bf(env) if cond else of(env)

        return Expr(choose, body.type if body.type is not ANY else orelse.type, self.src(node))

    def n_Compare(self, node: ast.Compare) -> Expr:
        operands = [self.node(node.left)] + [self.node(c) for c in node.comparators]
        links = []
        for op, (left, right) in zip(node.ops, itertools.pairwise(operands), strict=True):
            links.append(self._compare(op, left, right, node))
        if len(links) == 1:
            return Expr(links[0], BOOL, self.src(node))
        return Expr(all_of(links), BOOL, self.src(node))

    def _compare(self, op: ast.cmpop, left: Expr, right: Expr, node: ast.AST) -> Fn:
        kind = type(op)
        if kind in (ast.In, ast.NotIn):
            if right.type is not LIST and right.type is not ANY:
                raise ExprError(f"`{self.src(node)}`: the right side of `{OP_TEXT[kind]}` must be a list")
            if left.type not in (STRING, NUMBER, ANY):
                raise ExprError(f"`{self.src(node)}`: cannot look for a {left.type} in a list")
            if right.constant is not MISSING:
                _check_members(left, right, self.src(node))
            negate = kind is ast.NotIn
            lf, rf = left.fn, right.fn
            if right.constant is not MISSING:
                members = right.constant

                def member_const(env: Any) -> Any:
                    value = lf(env)
                    if value is MISSING:
                        return MISSING
                    return (value in members) != negate

                return member_const

            def member(env: Any) -> Any:
                value = lf(env)
                if value is MISSING:
                    return MISSING
                collection = rf(env)
                if collection is MISSING:
                    return MISSING
                return (value in collection) != negate

            return member
        left, right = _coerce_dates(left, right, self.src(node))
        if ANY not in (left.type, right.type) and left.type != right.type:
            raise ExprError(
                f"type mismatch in `{self.src(node)}`: cannot compare `{left.text}` ({left.type}) "
                f"with `{right.text}` ({right.type})"
            )
        if kind in _ORDER_OPS:
            if left.type not in (NUMBER, DATE, ANY):
                raise ExprError(f"`{self.src(node)}`: `{OP_TEXT[kind]}` needs numbers or dates, not {left.type}")
            fn = _ORDER_OPS[kind]
        else:
            if left.type.kind in ("record", "list", "match", "table"):
                raise ExprError(f"`{self.src(node)}`: cannot compare {left.type} values with `{OP_TEXT[kind]}`")
            fn = _EQ_OPS[kind]
        lf, rf = left.fn, right.fn
        if right.constant is not MISSING:
            const = right.constant
            return lambda env: MISSING if (a := lf(env)) is MISSING else fn(a, const)
        return _binary(fn, lf, rf)

    # functions ----------------------------------------------------------------------------------------
    def n_Call(self, node: ast.Call) -> Expr:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = self.src(node.func)
            close = difflib.get_close_matches(name, list(FUNCTIONS), n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            raise ExprError(f"unknown function `{name}`{hint}")
        name = node.func.id
        args = [self.node(a) for a in node.args]
        keywords = {k.arg: self.node(k.value) for k in node.keywords if k.arg}
        if name == "screen":
            if self.scope.screen is None:
                raise ExprError("`screen` needs the pack to declare denied-party `lists`")
            fn, type_ = self.scope.screen(args, keywords)
            return Expr(fn, type_, self.src(node))
        if keywords:
            raise ExprError(f"`{name}` takes no keyword arguments")
        return getattr(self, f"f_{name}")(node, args)

    def _arity(self, node: ast.Call, args: list[Expr], low: int, high: int | None = None) -> None:
        high = low if high is None else high
        if not low <= len(args) <= high:
            want = str(low) if low == high else f"{low} to {high}" if high < 99 else f"at least {low}"
            raise ExprError(f"`{self.src(node)}`: `{self.src(node.func)}` takes {want} arguments")

    def f_exists(self, node: ast.Call, args: list[Expr]) -> Expr:
        self._arity(node, args, 1)
        fn = args[0].fn
        return Expr(lambda env: (v := fn(env)) is not MISSING and v is not None, BOOL, self.src(node))

    def f_missing(self, node: ast.Call, args: list[Expr]) -> Expr:
        self._arity(node, args, 1)
        fn = args[0].fn
        return Expr(lambda env: (v := fn(env)) is MISSING or v is None, BOOL, self.src(node))

    def f_coalesce(self, node: ast.Call, args: list[Expr]) -> Expr:
        self._arity(node, args, 1, 99)
        types = {a.type for a in args} - {ANY}
        if len(types) > 1:
            raise ExprError(f"`{self.src(node)}`: arguments of different types ({', '.join(map(str, types))})")
        fns = [a.fn for a in args]

        def first(env: Any) -> Any:
            for fn in fns:
                value = fn(env)
                if not _is_missing(value):
                    return value
            return MISSING

        return Expr(first, types.pop() if types else ANY, self.src(node))

    def f_between(self, node: ast.Call, args: list[Expr]) -> Expr:
        self._arity(node, args, 3)
        value, low, high = args
        low_cmp = self._compare(ast.GtE(), value, low, node)
        high_cmp = self._compare(ast.LtE(), value, high, node)
        return Expr(all_of([low_cmp, high_cmp]), BOOL, self.src(node))

    def f_matches(self, node: ast.Call, args: list[Expr]) -> Expr:
        self._arity(node, args, 2)
        value, pattern = args
        _need(value, STRING, "matches")
        if pattern.type is not STRING or pattern.constant is MISSING:
            raise ExprError(f"`{self.src(node)}`: the pattern must be a string literal")
        try:
            regex = re.compile(pattern.constant)
        except re.error as exc:
            raise ExprError(f"`{self.src(node)}`: invalid regular expression: {exc}") from None
        fn = value.fn
        search = regex.search
        return Expr(lambda env: MISSING if (v := fn(env)) is MISSING else search(v) is not None, BOOL, self.src(node))

    def f_date(self, node: ast.Call, args: list[Expr]) -> Expr:
        self._arity(node, args, 1)
        text = args[0].constant
        if args[0].type is not STRING or text is MISSING:
            raise ExprError(f"`{self.src(node)}`: `date` takes a string literal YYYY-MM-DD")
        return _const(_parse_date(text), DATE, self.src(node))

    def f_lower(self, node: ast.Call, args: list[Expr]) -> Expr:
        self._arity(node, args, 1)
        _need(args[0], STRING, "lower")
        fn = args[0].fn
        return Expr(lambda env: MISSING if (v := fn(env)) is MISSING else v.lower(), STRING, self.src(node))

    def f_len(self, node: ast.Call, args: list[Expr]) -> Expr:
        self._arity(node, args, 1)
        if args[0].type not in (STRING, LIST, ANY):
            raise ExprError(f"`{self.src(node)}`: `len` takes a string or a list")
        fn = args[0].fn
        return Expr(lambda env: MISSING if (v := fn(env)) is MISSING else len(v), NUMBER, self.src(node))

    def _numbers(self, node: ast.Call, args: list[Expr], pick: Callable[..., Any]) -> Expr:
        self._arity(node, args, 1, 99)
        for arg in args:
            _need(arg, NUMBER, self.src(node.func))
        fns = [a.fn for a in args]

        def reduce(env: Any) -> Any:
            values = [fn(env) for fn in fns]
            return MISSING if any(v is MISSING for v in values) else pick(values)

        return Expr(reduce, NUMBER, self.src(node))

    def f_min(self, node: ast.Call, args: list[Expr]) -> Expr:
        return self._numbers(node, args, min)

    def f_max(self, node: ast.Call, args: list[Expr]) -> Expr:
        return self._numbers(node, args, max)

    def f_round(self, node: ast.Call, args: list[Expr]) -> Expr:
        self._arity(node, args, 2)
        _need(args[0], NUMBER, "round")
        places = args[1].constant
        if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= 12:
            raise ExprError(f"`{self.src(node)}`: decimals must be a whole number from 0 to 12")
        quantum = Decimal(1).scaleb(-places)
        fn = args[0].fn
        return Expr(
            lambda env: MISSING if (v := fn(env)) is MISSING else Decimal(v).quantize(quantum, rounding=ROUND_HALF_UP),
            NUMBER,
            self.src(node),
        )


def _binary(op: Callable[[Any, Any], Any], lf: Fn, rf: Fn) -> Fn:
    """`op(left, right)`, missing when either side is."""

    def apply(env: Any) -> Any:
        a = lf(env)
        if a is MISSING:
            return MISSING
        b = rf(env)
        return MISSING if b is MISSING else op(a, b)

    return apply


def _const(value: Any, type_: Type, text: str) -> Expr:
    return Expr(lambda env: value, type_, text, constant=value)


def _need(expr: Expr, type_: Type, what: str) -> None:
    if expr.type is not type_ and expr.type is not ANY:
        raise ExprError(f"`{what}` needs a {type_}, but `{expr.text}` is a {expr.type}")


def _divide(a: Any, b: Any) -> Any:
    if b == 0:
        return MISSING
    return Decimal(a) / Decimal(b)


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ExprError(f"`{text}` is not a date YYYY-MM-DD") from None


def _coerce_dates(left: Expr, right: Expr, where: str) -> tuple[Expr, Expr]:
    """A string literal compared with a date is read as a date: `date >= "2026-01-15"`."""
    if left.type is DATE and right.type is STRING and right.constant is not MISSING:
        return left, _const(_parse_date(right.constant), DATE, right.text)
    if right.type is DATE and left.type is STRING and left.constant is not MISSING:
        return _const(_parse_date(left.constant), DATE, left.text), right
    return left, right


def _check_members(left: Expr, right: Expr, where: str) -> None:
    if left.type is ANY:
        return
    for member in right.constant:
        member_type = NUMBER if isinstance(member, int | Decimal) and not isinstance(member, bool) else None
        member_type = STRING if isinstance(member, str) else member_type
        if member_type is not None and member_type is not left.type:
            raise ExprError(
                f"type mismatch in `{where}`: `{left.text}` is a {left.type} but the list holds {member_type}s"
            )
