"""The expression compiler: `ast` nodes checked one by one and turned into closures."""

from __future__ import annotations

import ast
import difflib
import itertools
import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from engine.expressions.functions import Functions
from engine.expressions.logic import EQ_OPS, ORDER_OPS, all_of, any_of, binary, divide
from engine.expressions.model import (
    OP_TEXT,
    Expr,
    ExprError,
    Fn,
    Scope,
    check_members,
    coerce_dates,
    const,
    dotted,
    need,
)
from engine.values import ANY, BOOL, DATE, LIST, MATCH, MISSING, NUMBER, STRING, TABLE, Type


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


class _Compiler(Functions):
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
            return const(value, BOOL, self.src(node))
        if isinstance(value, int):
            return const(value, NUMBER, self.src(node))
        if isinstance(value, float):
            return const(Decimal(self.src(node).replace("_", "")), NUMBER, self.src(node))
        if isinstance(value, str):
            return const(value, STRING, self.src(node))
        raise ExprError(f"literal `{self.src(node)}` is not supported")

    def n_List(self, node: ast.List) -> Expr:
        items = [self.node(item) for item in node.elts]
        if any(item.constant is MISSING for item in items):
            raise ExprError(f"list `{self.src(node)}` may hold only literals")
        kinds = {item.type for item in items}
        if len(kinds) > 1:
            raise ExprError(f"list `{self.src(node)}` mixes {', '.join(sorted(map(str, kinds)))}")
        return const(frozenset(item.constant for item in items), LIST, self.src(node))

    n_Tuple = n_List

    # names --------------------------------------------------------------------------------------------
    def n_Name(self, node: ast.Name) -> Expr:
        name = node.id
        if name in ("true", "false"):
            return const(name == "true", BOOL, name)
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
        path = dotted(node)
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
            return const(values, LIST, self.src(node))
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
        return const(sets[key.constant], LIST, self.src(node))

    # operators ----------------------------------------------------------------------------------------
    def n_BoolOp(self, node: ast.BoolOp) -> Expr:
        parts = [self.node(v) for v in node.values]
        for part in parts:
            need(part, BOOL, "and/or")
        fns = [p.fn for p in parts]
        combine = all_of if isinstance(node.op, ast.And) else any_of
        return Expr(combine(fns), BOOL, self.src(node))

    def n_UnaryOp(self, node: ast.UnaryOp) -> Expr:
        operand = self.node(node.operand)
        fn = operand.fn
        if isinstance(node.op, ast.Not):
            need(operand, BOOL, "not")
            return Expr(lambda env: MISSING if (v := fn(env)) is MISSING else not v, BOOL, self.src(node))
        if isinstance(node.op, ast.USub):
            need(operand, NUMBER, "-")
            if operand.constant is not MISSING:
                return const(-operand.constant, NUMBER, self.src(node))
            return Expr(lambda env: MISSING if (v := fn(env)) is MISSING else -v, NUMBER, self.src(node))
        raise ExprError(f"operator in `{self.src(node)}` is not supported")

    def n_BinOp(self, node: ast.BinOp) -> Expr:
        left, right = self.node(node.left), self.node(node.right)
        ops: dict[type, Callable[[Any, Any], Any]] = {
            ast.Add: operator.add,
            ast.Sub: operator.sub,
            ast.Mult: operator.mul,
            ast.Div: divide,
        }
        op = ops.get(type(node.op))
        if op is None:
            raise ExprError(f"operator in `{self.src(node)}` is not supported (use + - * /)")
        need(left, NUMBER, "arithmetic")
        need(right, NUMBER, "arithmetic")
        return Expr(binary(op, left.fn, right.fn), NUMBER, self.src(node))

    def n_IfExp(self, node: ast.IfExp) -> Expr:
        test, body, orelse = self.node(node.test), self.node(node.body), self.node(node.orelse)
        need(test, BOOL, "if")
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
                check_members(left, right, self.src(node))
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

            return binary(lambda value, collection: (value in collection) != negate, lf, rf)
        left, right = coerce_dates(left, right, self.src(node))
        if ANY not in (left.type, right.type) and left.type != right.type:
            raise ExprError(
                f"type mismatch in `{self.src(node)}`: cannot compare `{left.text}` ({left.type}) "
                f"with `{right.text}` ({right.type})"
            )
        if kind in ORDER_OPS:
            if left.type not in (NUMBER, DATE, ANY):
                raise ExprError(f"`{self.src(node)}`: `{OP_TEXT[kind]}` needs numbers or dates, not {left.type}")
            fn = ORDER_OPS[kind]
        else:
            if left.type.kind in ("record", "list", "match", "table"):
                raise ExprError(f"`{self.src(node)}`: cannot compare {left.type} values with `{OP_TEXT[kind]}`")
            fn = EQ_OPS[kind]
        lf, rf = left.fn, right.fn
        if right.constant is not MISSING:
            const = right.constant
            return lambda env: MISSING if (a := lf(env)) is MISSING else fn(a, const)
        return binary(fn, lf, rf)
