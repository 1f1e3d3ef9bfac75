"""The expression compiler: `ast` nodes checked one by one and turned into closures.

Errors carry a stable code and the span of the node at fault, so a diagnostic can point at the column.
"""

from __future__ import annotations

import ast
import difflib
import itertools
import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from engine.language.emit import ARITHMETIC, COMPARISON, Emitter
from engine.language.functions import BUILTINS, Call
from engine.language.logic import EQ_OPS, ORDER_OPS, all_of, any_of, binary, divide
from engine.language.model import (
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
    simple_test,
)
from engine.language.syntax import SourceText, syntax_error
from engine.language.values import ANY, BOOL, DATE, LIST, MISSING, NUMBER, STRING, TABLE, Type


def compile_expr(text: str, scope: Scope, *, want: Type | None = None) -> Expr:
    """Compile `text`; raise ExprError with a code, the span at fault and a message naming what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("an expression must be a non-empty string", "syntax-error")
    lead = len(text) - len(text.lstrip())
    source = text.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise syntax_error(source, exc, lead) from None
    except (RecursionError, MemoryError):
        raise _too_complex(source, lead) from None
    compiler = ExprCompiler(source, scope, lead)
    expr = compiler.node(tree.body)
    compiler.emit.finish(expr)
    expr.observed = compiler.observed
    expr.parts = compiler.parts
    if want is not None and expr.type not in (want, ANY):
        raise ExprError(
            f"`{expr.text}` is a {expr.type}, expected a {want}", "type-mismatch", span=(lead, lead + len(source))
        )
    return expr


MAX_DEPTH = 100  # nested operations in one expression: far beyond any real rule, well within the stack
MAX_TEXT = 10_000  # characters of an expression that joins text (which bounds the text it can make)


def _too_complex(source: str, lead: int) -> ExprError:
    return ExprError(
        f"the expression nests more than {MAX_DEPTH} operations deep",
        "too-complex",
        span=(lead, lead + len(source)),
        hint="split it into values (`values:`) that name its parts",
    )


class ExprCompiler(SourceText):
    """Compiles one expression: one method per kind of `ast` node, each checking types as it goes."""

    def __init__(self, text: str, scope: Scope, lead: int = 0):
        super().__init__(text, lead)
        self.scope = scope
        self.observed: list[tuple[str, Fn]] = []
        self.parts: dict[int, Expr] = {}  # every sub-expression by id(node), for the durable translator
        self.depth = 0
        self.emit = Emitter()

    def observe(self, node: ast.AST, fn: Fn) -> None:
        label = self.src(node)
        if all(label != seen for seen, _ in self.observed):
            self.observed.append((label, fn))

    def node(self, node: ast.AST) -> Expr:
        method = getattr(self, f"n_{type(node).__name__}", None)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _too_complex(self.text, self.lead)
        try:
            if method is None:
                raise ExprError(f"`{self.src(node)}` is not allowed in a rule expression", "not-allowed")
            expr: Expr = method(node)
        except ExprError as exc:
            if exc.span is None:
                exc.span = self.span(node)
            raise
        finally:
            self.depth -= 1
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
        raise ExprError(f"literal `{self.src(node)}` is not supported", "not-allowed")

    def n_List(self, node: ast.List) -> Expr:
        items = [self.node(item) for item in node.elts]
        if any(item.constant is MISSING for item in items):
            raise ExprError(f"list `{self.src(node)}` may hold only literals", "not-allowed")
        kinds = {item.type for item in items}
        if len(kinds) > 1:
            raise ExprError(f"list `{self.src(node)}` mixes {', '.join(sorted(map(str, kinds)))}", "type-mismatch")
        return const(frozenset(item.constant for item in items), LIST, self.src(node))

    n_Tuple = n_List

    # names --------------------------------------------------------------------------------------------
    def n_Name(self, node: ast.Name) -> Expr:
        name = node.id
        if name in ("true", "false"):
            return const(name == "true", BOOL, name)
        if name == "row" and self.scope.row is not None:
            return Expr(lambda env: env.row, Type("record", self.scope.row.name), name)
        if name in self.scope.tables:
            table = self.scope.tables[name]
            return Expr(lambda env: MISSING, TABLE, name, constant=table)
        resolved = self.scope.resolve_name(name)
        if resolved is None:
            raise self._unknown(name)
        fn, type_ = resolved
        self.observe(node, fn)
        test = ("is", name) if type_ is BOOL else None
        return Expr(fn, type_, name, ref=name, test=test, source=self.emit.name(fn, name))

    def _unknown(self, name: str) -> ExprError:
        close = difflib.get_close_matches(name, self.scope.known_names(), n=1)
        return ExprError(
            f"unknown name `{name}`", "unknown-name", hint=f"did you mean `{close[0]}`?" if close else None
        )

    def n_Attribute(self, node: ast.Attribute) -> Expr:
        path = dotted(node)
        if path is not None and path.split(".", 1)[0] not in self.scope.tables and path.split(".", 1)[0] != "row":
            resolved = self.scope.resolve_name(path)
            if resolved is not None:
                fn, type_ = resolved
                self.observe(node, fn)
                test = ("is", path) if type_ is BOOL else None
                return Expr(fn, type_, path, ref=path, test=test, source=self.emit.name(fn, path))
        mark = len(self.observed)
        base = self.node(node.value)
        del self.observed[mark:]  # the field is shown, not the whole record
        attr = node.attr
        if base.type is TABLE:
            table = base.constant
            if table.kind != "rows" or attr not in table.columns:
                raise ExprError(f"table `{table.name}` has no column `{attr}`", "unknown-name")
            values = table.column_values(attr)
            return const(values, LIST, self.src(node))
        if base.type.kind == "record":
            table = self.scope.tables[str(base.type.of)]
            if attr not in table.columns:
                close = difflib.get_close_matches(attr, list(table.columns), n=1)
                raise ExprError(
                    f"table `{table.name}` has no column `{attr}`",
                    "unknown-name",
                    hint=f"did you mean `{close[0]}`?" if close else None,
                )
            base_fn = base.fn

            def column(env: Any) -> Any:
                row = base_fn(env)
                return MISSING if row is MISSING or row is None else row.get(attr, MISSING)

            if not (isinstance(node.value, ast.Name) and node.value.id == "row"):
                self.observe(node, column)
            return Expr(column, table.columns[attr], self.src(node), source=self.emit.field(self.emit.of(base), attr))
        if base.type.fields is not None:  # an object type a plugin declares, such as a screening match
            field_type = base.type.field_type(attr)
            if field_type is None:
                names = ", ".join(name for name, _ in base.type.fields)
                raise ExprError(f"a {base.type} has no field `{attr}` (fields: {names})", "unknown-name")
            base_fn = base.fn

            def object_field(env: Any) -> Any:
                value = base_fn(env)
                return MISSING if value is MISSING or value is None else getattr(value, attr)

            self.observe(node, object_field)
            return Expr(object_field, field_type, self.src(node))
        if path is not None:
            raise self._unknown(path)
        raise ExprError(f"`{self.src(node.value)}` is a {base.type} and has no field `{attr}`", "unknown-name")

    def n_Subscript(self, node: ast.Subscript) -> Expr:
        base = self.node(node.value)
        key = self.node(node.slice)
        if base.type is not TABLE or base.constant.kind != "sets":
            raise ExprError(
                f'`{self.src(node)}`: only a sets table can be indexed, e.g. `country_groups["D:5"]`', "not-allowed"
            )
        if key.type is not STRING or key.constant is MISSING:
            raise ExprError(f"`{self.src(node)}`: the set name must be a string literal", "not-allowed")
        sets = base.constant.sets
        if key.constant not in sets:
            close = difflib.get_close_matches(key.constant, list(sets), n=1)
            raise ExprError(
                f"table `{base.constant.name}` has no set `{key.constant}`",
                "unknown-name",
                hint=f"did you mean `{close[0]}`?" if close else None,
            )
        return const(sets[key.constant], LIST, self.src(node))

    # operators ----------------------------------------------------------------------------------------
    def n_BoolOp(self, node: ast.BoolOp) -> Expr:
        parts = [self.node(v) for v in node.values]
        for part in parts:
            need(part, BOOL, "and/or")
        fns = [p.fn for p in parts]
        sources = [self.emit.of(p) for p in parts]
        if isinstance(node.op, ast.And):
            tests = [p.test for p in parts]
            test = ("and", tuple(tests)) if all(t is not None for t in tests) else None
            return Expr(all_of(fns), BOOL, self.src(node), test=test, source=self.emit.all_of(sources))
        return Expr(any_of(fns), BOOL, self.src(node), source=self.emit.any_of(sources))

    def n_UnaryOp(self, node: ast.UnaryOp) -> Expr:
        operand = self.node(node.operand)
        fn = operand.fn
        if isinstance(node.op, ast.Not):
            need(operand, BOOL, "not")
            source = self.emit.unary("not ", self.emit.of(operand))
            return Expr(
                lambda env: MISSING if (v := fn(env)) is MISSING else not v, BOOL, self.src(node), source=source
            )
        if isinstance(node.op, ast.USub):
            need(operand, NUMBER, "-")
            if operand.constant is not MISSING:
                return const(-operand.constant, NUMBER, self.src(node))
            source = self.emit.unary("-", self.emit.of(operand))
            return Expr(lambda env: MISSING if (v := fn(env)) is MISSING else -v, NUMBER, self.src(node), source=source)
        raise ExprError(f"operator in `{self.src(node)}` is not supported", "unknown-operator")

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
            raise ExprError(f"operator in `{self.src(node)}` is not supported (use + - * /)", "unknown-operator")
        if isinstance(node.op, ast.Add) and STRING in (left.type, right.type):
            need(left, STRING, "+ (joining text)")
            need(right, STRING, "+ (joining text)")
            if len(self.text) > MAX_TEXT:
                raise ExprError(f"an expression joining text is at most {MAX_TEXT} characters", "too-complex")
            source = self.emit.binary("+", self.emit.of(left), self.emit.of(right))
            return Expr(binary(operator.add, left.fn, right.fn), STRING, self.src(node), source=source)
        need(left, NUMBER, "arithmetic")
        need(right, NUMBER, "arithmetic")
        symbol = ARITHMETIC.get(type(node.op).__name__, "DIVIDE")
        source = self.emit.binary(symbol, self.emit.of(left), self.emit.of(right))
        return Expr(binary(op, left.fn, right.fn), NUMBER, self.src(node), source=source)

    def n_IfExp(self, node: ast.IfExp) -> Expr:
        test, body, orelse = self.node(node.test), self.node(node.body), self.node(node.orelse)
        need(test, BOOL, "if")
        if ANY not in (body.type, orelse.type) and body.type != orelse.type:
            raise ExprError(
                f"`{self.src(node)}`: both branches must have one type ({body.type} vs {orelse.type})", "type-mismatch"
            )
        tf, bf, of = test.fn, body.fn, orelse.fn

        def choose(env: Any) -> Any:
            cond = tf(env)
            if cond is MISSING:
                return MISSING
            return bf(env) if cond else of(env)

        source = self.emit.choose(self.emit.of(test), self.emit.of(body), self.emit.of(orelse))
        return Expr(choose, body.type if body.type is not ANY else orelse.type, self.src(node), source=source)

    def n_Compare(self, node: ast.Compare) -> Expr:
        operands = [self.node(node.left)] + [self.node(c) for c in node.comparators]
        links, sources = [], []
        for op, (left, right) in zip(node.ops, itertools.pairwise(operands), strict=True):
            link, source = self._compare(type(op), left, right, self.src(node))
            links.append(link)
            sources.append(source)
        if len(links) == 1:
            test = simple_test(type(node.ops[0]), *operands)
            return Expr(links[0], BOOL, self.src(node), test=test, source=sources[0])
        return Expr(all_of(links), BOOL, self.src(node), source=self.emit.all_of(sources))

    def _compare(self, kind: type[ast.cmpop], left: Expr, right: Expr, where: str) -> tuple[Fn, str]:
        """The comparison's closure, and its source."""
        if kind in (ast.In, ast.NotIn):
            if right.type is not LIST and right.type is not ANY:
                raise ExprError(f"`{where}`: the right side of `{OP_TEXT[kind]}` must be a list", "type-mismatch")
            if left.type not in (STRING, NUMBER, ANY):
                raise ExprError(f"`{where}`: cannot look for a {left.type} in a list", "type-mismatch")
            if right.constant is not MISSING:
                check_members(left, right, where)
            negate = kind is ast.NotIn
            symbol = "not in" if negate else "in"
            lf, rf = left.fn, right.fn
            if right.constant is not MISSING:
                members = right.constant

                def member_const(env: Any) -> Any:
                    value = lf(env)
                    if value is MISSING:
                        return MISSING
                    return (value in members) != negate

                return member_const, self.emit.against(symbol, self.emit.of(left), self.emit.of(right))

            member = binary(lambda value, collection: (value in collection) != negate, lf, rf)
            return member, self.emit.binary(symbol, self.emit.of(left), self.emit.of(right))
        left, right = coerce_dates(left, right)
        if ANY not in (left.type, right.type) and left.type != right.type:
            raise ExprError(
                f"type mismatch in `{where}`: cannot compare `{left.text}` ({left.type}) "
                f"with `{right.text}` ({right.type})",
                "type-mismatch",
            )
        if kind in ORDER_OPS:
            if left.type not in (NUMBER, DATE, ANY):
                raise ExprError(
                    f"`{where}`: `{OP_TEXT[kind]}` needs numbers or dates, not {left.type}", "type-mismatch"
                )
            fn = ORDER_OPS[kind]
        else:
            if left.type.kind in ("record", "list", "match", "table"):
                raise ExprError(f"`{where}`: cannot compare {left.type} values with `{OP_TEXT[kind]}`", "type-mismatch")
            fn = EQ_OPS[kind]
        lf, rf = left.fn, right.fn
        symbol = COMPARISON[kind.__name__]
        if right.constant is not MISSING:
            const = right.constant
            source = self.emit.against(symbol, self.emit.of(left), self.emit.of(right))
            return (lambda env: MISSING if (a := lf(env)) is MISSING else fn(a, const)), source
        return binary(fn, lf, rf), self.emit.binary(symbol, self.emit.of(left), self.emit.of(right))

    # calls --------------------------------------------------------------------------------------------
    def n_Call(self, node: ast.Call) -> Expr:
        functions = self.scope.functions
        name = node.func.id if isinstance(node.func, ast.Name) else self.src(node.func)
        function = functions.get(name)
        if function is None:
            close = difflib.get_close_matches(name, list(functions), n=1)
            raise ExprError(
                f"unknown function `{name}`",
                "unknown-function",
                span=self.span(node.func),
                hint=f"did you mean `{close[0]}`?" if close else f"the functions are {', '.join(functions)}",
            )
        call = Call(
            name=name,
            args=[self.node(a) for a in node.args],
            keywords={k.arg: self.node(k.value) for k in node.keywords if k.arg},
            text=self.src(node),
            compare=lambda kind, left, right: self._compare(kind, left, right, self.src(node))[0],
        )
        function.check(call)
        expr = function.build(call)
        if function is BUILTINS.get(name):
            expr.source = self.emit.builtin(name, call.args)
        return expr
