"""Message templates: literal text and `{expr:spec}` fields, compiled and checked at load.

A format spec is tried at load on a sample of the field's type, so `{quantity:,.2q}` is a diagnostic, not a
wrong message at run time; widths are bounded so that a template cannot allocate without limit.
"""

from __future__ import annotations

import string

from engine.language import ExprError, Fn, Scope, compile_expr
from engine.language.functions import MAX_WIDTH, spec_problem
from engine.language.values import NUMBER, Type
from engine.pack.model import Template


def compile_template(message: str, scope: Scope) -> tuple[Template | None, list[ExprError]]:
    """The template, or None with every problem found in it."""
    problems: list[ExprError] = []
    try:
        parsed = list(string.Formatter().parse(message))
    except ValueError as exc:
        return None, [ExprError(f"message: {exc}", "bad-template", hint="write a literal brace as `{{` or `}}`")]
    parts: list[tuple[str, Fn | None, str]] = []
    for literal, field, spec, conversion in parsed:
        if conversion:
            problems.append(ExprError(f"message: conversion `!{conversion}` is not supported", "bad-template"))
        if field is None:
            parts.append((literal, None, ""))
            continue
        try:
            expr = compile_expr(field, scope)
        except ExprError as exc:
            exc.message = f"message: {exc.message}"
            exc.span = None  # a column inside a field is not a column of the message
            problems.append(exc)
            continue
        spec = spec or ""
        problem = _check_spec(field, spec, expr.type)
        if problem is not None:
            problems.append(problem)
            continue
        parts.append((literal, expr.fn, spec))
    return (Template(message, tuple(parts)) if not problems else None), problems


def _check_spec(field: str, spec: str, type_: Type) -> ExprError | None:
    problem = spec_problem(spec, number=type_ is NUMBER) if spec else None
    if problem is None:
        return None
    return ExprError(
        f"message: format spec `{spec}` of `{{{field}}}` ({type_}): {problem}",
        "bad-template",
        hint="number formats look like `,` or `,.2f`, widths at most " + str(MAX_WIDTH),
    )
