"""Pass 1, parse: a sympy expression (or a string) -> :class:`Polynomial`.

>>> parse("(x + y)^2 - 2*x*y").to_sympy()
x**2 + y**2
>>> parse("sin(x) + y")
Traceback (most recent call last):
...
deepcheap.errors.NotAPolynomialError: could not read 'sin(x) + y': a function call ('sin(x)') is not allowed; ...

The expression must be a polynomial after expansion: integer powers >= 0 of variables, finite real
coefficients. Variables are sorted by name (they become the network's input columns) unless
``variables`` fixes the order. Strings are read by :mod:`~deepcheap.compiler.expression_reader` (never
evaluated); sympy expressions are taken as they are. Terms already in expanded form are read directly;
the others are expanded by :mod:`~deepcheap.compiler.expansion`, after their degree, monomial count and
expansion work have been estimated and checked against its limits.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import sympy as sp
from sympy.core.relational import Relational
from sympy.logic.boolalg import BooleanAtom, BooleanFunction

from deepcheap.compiler.expansion import MAX_DEGREE, check_limits, estimate, expand_term, to_float
from deepcheap.compiler.expression_reader import read_expression
from deepcheap.compiler.polynomial import Monomial, Polynomial, monomial_degree
from deepcheap.errors import InvalidArgumentError, NotAPolynomialError, ResourceLimitError

_HINT = "deepcheap compiles polynomials: expand it, or replace it by a Taylor polynomial (sympy.series)."


def parse(expr, variables: Iterable[str | sp.Symbol] | None = None) -> Polynomial:
    """Read ``expr`` (Polynomial, sympy expression, number or string) as a sparse polynomial."""
    if isinstance(expr, Polynomial):
        return expr if variables is None else _reorder(expr, _names(variables))
    expression = _to_sympy(expr)
    _check_polynomial(expression)
    names = _variable_order(expression, variables)
    index = {name: i for i, name in enumerate(names)}
    terms: dict[Monomial, float] = {}
    pending = []
    for term in sp.Add.make_args(expression):
        direct = _direct_monomial(term, index)
        if direct is None:
            pending.append((term, estimate(term)))
            continue
        coefficient, monomial = direct
        _check_degree(term, monomial)
        terms[monomial] = terms.get(monomial, 0.0) + coefficient
    check_limits(len(terms), pending)
    expanded: dict = {}  # exact sums (int, Fraction) of the expanded terms, rounded once
    for term, _ in pending:
        for monomial, coefficient in expand_term(term, index).items():
            expanded[monomial] = expanded.get(monomial, 0) + coefficient
    for monomial, coefficient in expanded.items():
        terms[monomial] = terms.get(monomial, 0.0) + to_float(coefficient)
    for monomial, coefficient in terms.items():
        if not math.isfinite(coefficient):
            raise InvalidArgumentError(f"the coefficient of {_show(monomial, names)} is {coefficient}; "
                                       "coefficients must be finite.")
    return Polynomial(tuple(names), {m: c for m, c in terms.items() if c != 0.0})


def _to_sympy(expr) -> sp.Expr:
    """Strings through the reader; numbers as sympy numbers; sympy objects as they are; nothing else."""
    if isinstance(expr, sp.Poly):
        return expr.as_expr()
    if isinstance(expr, str):
        return read_expression(expr)
    if isinstance(expr, bool | BooleanFunction | BooleanAtom):
        raise NotAPolynomialError(f"{expr!r} is a Boolean expression; use deepcheap.compile_boolean for it.")
    if isinstance(expr, sp.Basic):
        return expr
    if isinstance(expr, numbers.Integral):
        return sp.Integer(int(expr))
    if isinstance(expr, numbers.Real):
        if not math.isfinite(float(expr)):
            raise InvalidArgumentError(f"{expr!r} is not a finite number; coefficients must be finite.")
        return sp.Float(float(expr))
    raise NotAPolynomialError(f"a {type(expr).__name__} is not an expression deepcheap can read; pass a sympy "
                              "expression, a number, a string such as 'x**2 + 3*x*y' or a deepcheap Polynomial.")


def _check_degree(term: sp.Expr, monomial: Monomial) -> None:
    degree = monomial_degree(monomial)
    if degree > MAX_DEGREE:
        raise ResourceLimitError(f"{_short(term, 60)} has degree {degree:,}, above the limit of {MAX_DEGREE:,}; "
                                 "lower the degree.")


def _check_polynomial(expr: sp.Expr) -> None:
    """Raise naming the first subexpression that keeps ``expr`` from being a polynomial."""
    if isinstance(expr, BooleanFunction | BooleanAtom | Relational):
        raise NotAPolynomialError(f"{expr} is not an algebraic expression; {_HINT}")
    stack, seen = [expr], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if not isinstance(node, sp.Expr):
            raise NotAPolynomialError(f"{_short(node)} is not an algebraic expression (in {_short(expr)}); {_HINT}")
        if isinstance(node, sp.Symbol):
            continue
        if node.is_Number:  # Integer, Rational, Float, or the infinities and nan
            if node.is_finite is False or node is sp.nan:
                raise InvalidArgumentError(f"{node} is not a finite coefficient (in {_short(expr)}); "
                                           "coefficients must be finite real numbers.")
            continue
        if not node.free_symbols:
            try:
                value = complex(node if node.is_Number else sp.N(node))
            except (TypeError, ValueError):
                raise NotAPolynomialError(f"{node} is not a number or a polynomial term (in {_short(expr)}); "
                                          f"{_HINT}") from None
            if not (math.isfinite(value.real) and math.isfinite(value.imag)):
                raise InvalidArgumentError(f"{node} is not a finite coefficient (in {_short(expr)}); "
                                           "coefficients must be finite real numbers.")
            if value.imag != 0:
                raise InvalidArgumentError(f"{node} is a complex coefficient (in {_short(expr)}); "
                                           "deepcheap compiles real polynomials.")
            continue
        if isinstance(node, sp.Add | sp.Mul):
            stack.extend(node.args)
            continue
        if isinstance(node, sp.Pow):
            base, exponent = node.args
            if exponent.free_symbols or not (exponent.is_Integer and exponent >= 0):
                raise NotAPolynomialError(f"{node} is not a polynomial term (the power {exponent} is not a "
                                          f"non-negative integer; in {_short(expr)}); {_HINT}")
            stack.append(base)
            continue
        raise NotAPolynomialError(f"{node} is not a polynomial term (in {_short(expr)}); {_HINT}")


def _short(expr: sp.Expr, limit: int = 80) -> str:
    text = str(expr)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _names(variables) -> list[str]:
    names = [v.name if isinstance(v, sp.Symbol) else str(v) for v in variables]
    if len(set(names)) != len(names):
        raise InvalidArgumentError(f"variables must be distinct; got {names}.")
    return names


def _variable_order(expr: sp.Expr, variables) -> list[str]:
    used = sorted(s.name for s in expr.free_symbols)
    if variables is None:
        return used
    names = _names(variables)
    unknown = sorted(set(used) - set(names))
    if unknown:
        raise InvalidArgumentError(f"the expression uses {', '.join(unknown)}, which are not in variables={names}; "
                                   "add them or leave variables=None (sorted by name).")
    return names


def _reorder(p: Polynomial, names: list[str]) -> Polynomial:
    used = {p.variables[v] for m in p.terms for v, _ in m}
    missing = sorted(used - set(names))
    if missing:
        raise InvalidArgumentError(f"the polynomial uses {', '.join(missing)}, not in variables={names}.")
    position = {name: i for i, name in enumerate(names)}
    terms = {tuple(sorted((position[p.variables[v]], k) for v, k in m)): c for m, c in p.terms.items()}
    return Polynomial(tuple(names), terms)


def _direct_monomial(term: sp.Expr, index: dict[str, int]) -> tuple[float, Monomial] | None:
    """c * x^a * y^b ... read without expanding; None if the term needs expansion."""
    coefficient = 1.0
    powers: dict[int, int] = {}
    for factor in sp.Mul.make_args(term):
        if not factor.free_symbols:
            coefficient *= float(factor if factor.is_Number else sp.N(factor))
        elif isinstance(factor, sp.Symbol):
            powers[index[factor.name]] = powers.get(index[factor.name], 0) + 1
        elif isinstance(factor, sp.Pow) and isinstance(factor.base, sp.Symbol) and factor.exp.is_Integer:
            i = index[factor.base.name]
            powers[i] = powers.get(i, 0) + int(factor.exp)
        else:
            return None
    return coefficient, tuple(sorted((v, p) for v, p in powers.items() if p))


def _show(monomial: Monomial, names: list[str]) -> str:
    return "*".join(f"{names[v]}**{p}" if p > 1 else names[v] for v, p in monomial) or "the constant"
