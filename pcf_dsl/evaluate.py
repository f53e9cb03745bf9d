"""Expressions: our own small evaluator over the syntax tree. Never `eval`.

Only numbers, names (parameters, units, gases), `+ - * /`, juxtaposition,
`^` with a small whole exponent, `%` and parentheses exist; nothing else can
be reached from a model file. Evaluation walks an explicit stack, so a deeply
nested expression cannot exhaust Python's recursion limit.
"""

from __future__ import annotations

import math
import sys
from typing import Callable

import pint

from . import syntax as S
from .diagnostics import Diagnostic, PcfError, Span
from .limits import MAX_EXPONENT
from .units import Q, describe_units

Resolver = Callable[[S.Name], "pint.Quantity"]


def _fail(message: str, span: Span, help: str, code: str = "E301") -> PcfError:
    return PcfError(Diagnostic(code, message, span, help=help))


def _check_finite(value, span: Span):
    magnitude = value.magnitude if hasattr(value, "magnitude") else value
    if isinstance(magnitude, float) and not math.isfinite(magnitude):
        raise _fail("the result of this expression is too large to represent", span,
                    "check the exponents and magnitudes; values must be finite numbers", "E305")
    return value


def _check_tiny(value, operands, span: Span):
    """A product, quotient or power of numbers that are not 0 is not 0 either, nor below the
    smallest normal float (where it keeps only some of its digits): `1e-200 * 1e-200` is refused,
    not read as 0."""
    magnitude = value.magnitude if hasattr(value, "magnitude") else value
    if abs(magnitude) < sys.float_info.min and (magnitude != 0 or all(
            (o.magnitude if hasattr(o, "magnitude") else o) != 0 for o in operands)):
        raise _fail("the result of this expression is too small to represent: it would read as "
                    f"{0 if magnitude == 0 else magnitude:g}", span,
                    f"results from {sys.float_info.min:.1e} up can be held; check the exponents and magnitudes, "
                    "or use a smaller unit", "E305")
    return value


def evaluate(expr: S.Expr, resolve: Resolver):
    """The value of an expression as a pint Quantity."""
    # Post-order walk with an explicit stack: (node, visited?)
    stack: list[tuple[S.Expr, bool]] = [(expr, False)]
    values: list = []
    while stack:
        node, visited = stack.pop()
        if isinstance(node, S.Num):
            values.append(_check_finite(Q(node.value), node.span))
        elif isinstance(node, S.Name):
            values.append(_multiplicative(resolve(node), node))
        elif isinstance(node, S.Percent):
            values.append(Q(1, "percent"))
        elif isinstance(node, S.Neg):
            if visited:
                values.append(-values.pop())
            else:
                stack.append((node, True))
                stack.append((node.operand, False))
        elif isinstance(node, S.Pow):
            if visited:
                base = values.pop()
                if abs(node.exponent) > MAX_EXPONENT:
                    raise _fail(f"the exponent {node.exponent} is too large", node.span,
                                f"use an exponent between -{MAX_EXPONENT} and {MAX_EXPONENT}", "E306")
                if node.exponent < 0 and base.magnitude == 0:
                    raise _fail("division by zero: zero raised to a negative power", node.span,
                                "check the value of the base", "E302")
                try:
                    values.append(_check_tiny(_check_finite(base ** node.exponent, node.span), (base,), node.span))
                except OverflowError:
                    raise _fail("the result of this expression is too large to represent", node.span,
                                "check the exponents and magnitudes", "E305") from None
            else:
                stack.append((node, True))
                stack.append((node.base, False))
        elif isinstance(node, S.BinOp):
            if not visited:
                stack.append((node, True))
                stack.append((node.right, False))
                stack.append((node.left, False))
                continue
            right = values.pop()
            left = values.pop()
            values.append(_binary(node, left, right))
        else:  # pragma: no cover - the parser produces no other node
            raise TypeError(f"unknown expression node {node!r}")
    return values[0]


def _multiplicative(value, node: S.Name):
    """Units with an offset (degC, degF) or a log scale (dB, octave) make `2 * x` ambiguous: refused here."""
    if getattr(value, "_is_multiplicative", True):
        return value
    raise PcfError(Diagnostic(
        "E304", f"`{node.dotted}` is a unit with an offset or a logarithmic scale, which cannot be used in a model",
        node.span,
        help="for temperatures use kelvin (`K`) or a difference (`delta_degC`); amounts are never logarithmic"))


def _number_literal(node: S.Expr) -> bool:
    """A number as written (`000`, `2^3`), with no unit or name in it."""
    return type(node) is S.Num or (type(node) is S.Pow and _number_literal(node.base))


def _binary(node: S.BinOp, left, right):
    op = node.op
    if op == "juxt" and _number_literal(node.right):
        # `1 000 kg` (thousands grouped with a space, as SI and many reports write them) would read
        # as 1 x 000 x kg = 0 kg, and `1 500 kg` as 500 kg: a wrong number without a word of warning.
        first, second = source_text(node.left), source_text(node.right)
        if not _number_literal(node.left):
            raise _fail(f"a number after units: `{first} {second}`", node.span,
                        "write the number first and its units after it, or `*` before the number if a product "
                        "is meant", "E307")
        both_plain = type(node.left) is S.Num and type(node.right) is S.Num
        fix = f"write the number without spaces (`{first}{second}`), or put" if both_plain else "put"
        raise _fail(f"two numbers side by side: `{first} {second}` is not one number", node.span,
                    f"{fix} `*` between the two if a product is meant", "E307")
    try:
        if op in ("*", "juxt"):
            result = left * right
        elif op == "/":
            if right.magnitude == 0:
                raise _fail("division by zero", node.right.span,
                            "the divisor evaluates to 0; check the value or the parameter it uses", "E302")
            result = left / right
        elif op == "+":
            result = left + right
        else:
            result = left - right
    except pint.DimensionalityError:
        verb = "add" if op == "+" else "subtract"
        hint = "both sides of + and - must be the same kind of quantity (a mass and a mass, an energy and an energy)"
        if op == "-" and (hyphenated := _hyphenated_units(node)) is not None:
            # `3 t-km`, as reports write tonne-kilometres, is 3 t minus 1 km to the grammar.
            first, second = hyphenated
            hint = f"`{first}-{second}` is not one unit, `-` subtracts: write `{first}*{second}` (or `{first} {second}`) " \
                   "for the product"
        raise PcfError(Diagnostic(
            "E303",
            f"cannot {verb} {describe_units(right.units)} {'to' if op == '+' else 'from'} {describe_units(left.units)}: "
            "the units do not have the same dimension",
            node.span,
            help=hint,
        )) from None
    except OverflowError:
        raise _fail("the result of this expression is too large to represent", node.span,
                    "check the magnitudes", "E305") from None
    except pint.PintError as exc:  # any other unit arithmetic pint refuses: the user's input, not our bug
        raise _fail(f"these units cannot be combined: {exc}", node.span,
                    "check the units on both sides of the operator", "E304") from None
    if op in ("*", "juxt", "/"):
        _check_tiny(result, (left, right), node.span)
    return _check_finite(result, node.span)


def _hyphenated_units(node: S.BinOp) -> tuple[str, str] | None:
    """(`t`, `km`) for `3 t-km`: a name, a `-` with no space around it, and a name; else None."""
    last = node.left.right if type(node.left) is S.BinOp and node.left.op == "juxt" else node.left
    if type(last) is not S.Name or type(node.right) is not S.Name:
        return None
    before, after = last.span, node.right.span
    if before.end_line != after.line or after.column - before.end_column != 1:
        return None
    return last.dotted, node.right.dotted


def depth(expr: S.Expr) -> int:
    """Nesting depth of an expression, counted without recursion."""
    deepest = 0
    stack = [(expr, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if isinstance(node, S.BinOp):
            stack.append((node.left, d + 1))
            stack.append((node.right, d + 1))
        elif isinstance(node, S.Neg):
            stack.append((node.operand, d + 1))
        elif isinstance(node, S.Pow):
            stack.append((node.base, d + 1))
    return deepest


def source_text(expr: S.Expr) -> str:
    """The expression written back in canonical spacing (numbers as they were spelled)."""
    out: list[str] = []
    stack: list = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, S.Num):
            out.append(node.text)
        elif isinstance(node, S.Name):
            out.append(node.dotted)
        elif isinstance(node, S.Percent):
            out.append("%")
        elif isinstance(node, S.Neg):
            # `-1 kg CO2` as written, not `-(1 kg CO2)`: the sign of a product or quotient is its first
            # factor's, so the parentheses add nothing (the unit of a removal read "-(1 kg CO2)" and
            # fell back to pint's "CO2 * kg")
            operand = node.operand
            stack.extend([operand if _signed_by_first_factor(operand) else _wrapped(operand), "-"])
        elif isinstance(node, S.Pow):
            stack.extend([f"^{node.exponent}", _wrapped(node.base, power=True)])
        elif isinstance(node, S.BinOp):
            sep = " " if node.op == "juxt" else f" {node.op} "
            right = node.right
            if isinstance(right, S.BinOp) and (_prec(right.op) < _prec(node.op) or
                                               (_prec(right.op) == _prec(node.op) and node.op in "-/")):
                right = _Paren(right)
            left = node.left
            if isinstance(left, S.BinOp) and _prec(left.op) < _prec(node.op):
                left = _Paren(left)
            stack.extend([right, sep, left])
        elif isinstance(node, _Paren):
            stack.extend([")", node.inner, "("])
    return "".join(out)


class _Paren:
    __slots__ = ("inner",)

    def __init__(self, inner):
        self.inner = inner


def _prec(op: str) -> int:
    return {"+": 1, "-": 1, "*": 2, "/": 2, "juxt": 3}[op]


def _signed_by_first_factor(node) -> bool:
    """True for a product or quotient whose leftmost factor is a number or a name: -(a b / c) is -a b / c.

    Not when that factor is a power (-a^2 may read (-a)^2) or itself signed (`--1` is no number)."""
    if not (isinstance(node, S.BinOp) and node.op in ("juxt", "*", "/")):
        return False
    while isinstance(node, S.BinOp) and node.op in ("juxt", "*", "/"):
        node = node.left
    return isinstance(node, (S.Num, S.Name))


def _wrapped(node, power: bool = False):
    if isinstance(node, S.BinOp) or (power and isinstance(node, S.Neg)):
        return _Paren(node)
    return node
