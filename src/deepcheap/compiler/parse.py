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

from deepcheap.compiler.expansion import MAX_DEGREE, MAX_MONOMIALS, check_limits, estimate, expand_term, to_float
from deepcheap.compiler.expression_reader import read_expression
from deepcheap.compiler.polynomial import Monomial, Polynomial, monomial_degree
from deepcheap.compiler.sympy_tree import names_by_node, post_order, short_text
from deepcheap.errors import InvalidArgumentError, NotAPolynomialError, ResourceLimitError

_HINT = "deepcheap compiles polynomials: expand it, or replace it by a Taylor polynomial (sympy.series)."


def parse(expr, variables: Iterable[str | sp.Symbol] | None = None) -> Polynomial:
    """Read ``expr`` (Polynomial, sympy expression, number or string) as a sparse polynomial."""
    if isinstance(expr, Polynomial):
        return expr if variables is None else _reorder(expr, _names(variables))
    expression = _to_sympy(expr)
    if isinstance(expression, BooleanFunction | BooleanAtom | Relational):
        raise NotAPolynomialError(f"{_short(expression)} is not an algebraic expression; {_HINT}")
    top = sp.Add.make_args(expression)
    if len(top) > MAX_MONOMIALS:
        raise ResourceLimitError(f"the polynomial has {len(top):,} terms, above the limit of {MAX_MONOMIALS:,}; "
                                 "compile a smaller polynomial.")
    direct, pending, used = [], [], set()
    for term in top:  # c * x^a * y^b ... is read at once; anything else is checked, sized and expanded below
        found = _direct_monomial(term)
        if found is None:
            pending.append(term)
        else:
            direct.append((term, *found))
            used.update(name for name, _ in found[1])
    sized = []
    for term in pending:
        names_below = names_by_node(term)
        _check_polynomial(term, names_below)
        used |= names_below[id(term)]
        sized.append((term, estimate(term, names_below), names_below))
    names = _variable_order(used, variables)
    index = {name: i for i, name in enumerate(names)}
    terms: dict[Monomial, float] = {}
    for term, coefficient, powers in direct:
        monomial = _monomial(powers, index)
        _check_degree(term, monomial)
        terms[monomial] = terms.get(monomial, 0.0) + coefficient
    check_limits(len(terms), [(term, size) for term, size, _ in sized])
    expanded: dict = {}  # exact sums (int, Fraction) of the expanded terms, rounded once
    for term, _, names_below in sized:
        for monomial, coefficient in expand_term(term, index, names_below).items():
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
    raise NotAPolynomialError(f"{type(expr).__name__} is not an expression deepcheap can read; pass a sympy "
                              "expression, a number, a string such as 'x**2 + 3*x*y' or a deepcheap Polynomial.")


def _check_degree(term: sp.Expr, monomial: Monomial) -> None:
    degree = monomial_degree(monomial)
    if degree > MAX_DEGREE:
        raise ResourceLimitError(f"{_short(term, 60)} has degree {degree:,}, above the limit of {MAX_DEGREE:,}; "
                                 "lower the degree.")


def _check_polynomial(expr: sp.Expr, names: dict[int, frozenset[str]]) -> None:
    """Raise naming the first subexpression that keeps ``expr`` from being a polynomial (each node once)."""
    for node in post_order(expr):
        if isinstance(node, sp.Symbol):
            continue
        if not isinstance(node, sp.Expr):
            raise NotAPolynomialError(f"{_short(node)} is not an algebraic expression (in {_short(expr)}); {_HINT}")
        if not names[id(node)]:
            _check_constant(node, expr)
        elif isinstance(node, sp.Pow):
            exponent = node.args[1]
            if names[id(exponent)] or not (exponent.is_Integer and exponent >= 0):
                raise NotAPolynomialError(f"{_short(node)} is not a polynomial term (the power {_short(exponent)} is "
                                          f"not a non-negative integer; in {_short(expr)}); {_HINT}")
        elif not isinstance(node, sp.Add | sp.Mul):
            raise NotAPolynomialError(f"{_short(node)} is not a polynomial term (in {_short(expr)}); {_HINT}")


def _check_constant(node: sp.Expr, expr: sp.Expr) -> None:
    if node.is_Number:  # Integer, Rational, Float, or the infinities and nan
        if node.is_finite is False or node is sp.nan:
            raise InvalidArgumentError(f"{node} is not a finite coefficient (in {_short(expr)}); "
                                       "coefficients must be finite real numbers.")
        return
    try:
        value = complex(sp.N(node))
    except (TypeError, ValueError):
        raise NotAPolynomialError(f"{_short(node)} is not a number or a polynomial term (in {_short(expr)}); "
                                  f"{_HINT}") from None
    if not (math.isfinite(value.real) and math.isfinite(value.imag)):
        raise InvalidArgumentError(f"{_short(node)} is not a finite coefficient (in {_short(expr)}); "
                                   "coefficients must be finite real numbers.")
    if value.imag != 0:
        raise InvalidArgumentError(f"{_short(node)} is a complex coefficient (in {_short(expr)}); "
                                   "deepcheap compiles real polynomials.")


def _short(expr, limit: int = 80) -> str:
    return short_text(expr, limit)


def _names(variables) -> list[str]:
    if isinstance(variables, str | bytes) or not isinstance(variables, Iterable):
        raise InvalidArgumentError(f"variables must be a list of names or sympy Symbols, e.g. ['x', 'y']; got "
                                   f"{variables!r}.")
    names = [v.name if isinstance(v, sp.Symbol) else v for v in variables]
    if not all(isinstance(name, str) and name for name in names):
        raise InvalidArgumentError(f"variables must be names (non-empty strings) or sympy Symbols; got {names!r}.")
    if len(set(names)) != len(names):
        raise InvalidArgumentError(f"variables must be distinct; got {names}.")
    return names


def _variable_order(used: set[str], variables) -> list[str]:
    used = sorted(used)
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


def _direct_monomial(term: sp.Expr) -> tuple[float, tuple[tuple[str, int], ...]] | None:
    """(c, ((name, power), ...)) for c * x^a * y^b ... with c a number and powers >= 0, read without walking the
    term; None if it is anything else (then it is checked and expanded)."""
    coefficient = 1.0
    powers: list[tuple[str, int]] = []
    for factor in sp.Mul.make_args(term):
        if factor.is_Number:
            coefficient *= float(factor)
        elif isinstance(factor, sp.Symbol):
            powers.append((factor.name, 1))
        elif (isinstance(factor, sp.Pow) and isinstance(factor.base, sp.Symbol) and factor.exp.is_Integer
              and factor.exp >= 0):
            powers.append((factor.base.name, int(factor.exp)))
        else:
            return None
    return coefficient, tuple(powers)


def _monomial(powers: tuple[tuple[str, int], ...], index: dict[str, int]) -> Monomial:
    combined: dict[int, int] = {}
    for name, p in powers:
        combined[index[name]] = combined.get(index[name], 0) + p
    return tuple(sorted((v, p) for v, p in combined.items() if p))


def _show(monomial: Monomial, names: list[str]) -> str:
    return "*".join(f"{names[v]}**{p}" if p > 1 else names[v] for v, p in monomial) or "the constant"
