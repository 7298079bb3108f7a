"""Pass 1, parse: a sympy expression (or a string) -> :class:`Polynomial`.

>>> parse("(x + y)^2 - 2*x*y").to_sympy()
x**2 + y**2
>>> parse("sin(x) + y")
Traceback (most recent call last):
...
deepcheap.errors.NotAPolynomialError: sin(x) is not a polynomial term ...

The expression must be a polynomial after expansion: integer powers >= 0 of variables, finite real
coefficients. Variables are sorted by name (they become the network's input columns) unless
``variables`` fixes the order. Terms already in expanded form are read directly (sympy's expand is
slow on large sums such as lattice energies); only the others are expanded.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from tokenize import TokenError

import sympy as sp
from sympy.core.relational import Relational
from sympy.logic.boolalg import BooleanAtom, BooleanFunction
from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

from deepcheap.compiler.polynomial import Monomial, Polynomial
from deepcheap.errors import InvalidArgumentError, NotAPolynomialError

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
    for term in sp.Add.make_args(expression):
        for coefficient, monomial in _monomials(term, index):
            terms[monomial] = terms.get(monomial, 0.0) + coefficient
    for monomial, coefficient in terms.items():
        if not math.isfinite(coefficient):
            raise InvalidArgumentError(f"the coefficient of {_show(monomial, names)} is {coefficient}; "
                                       "coefficients must be finite.")
    return Polynomial(tuple(names), {m: c for m, c in terms.items() if c != 0.0})


def _to_sympy(expr) -> sp.Expr:
    if isinstance(expr, sp.Poly):
        return expr.as_expr()
    if isinstance(expr, str):
        try:
            return parse_expr(expr, transformations=(*standard_transformations, convert_xor), evaluate=True)
        except (SyntaxError, TypeError, ValueError, sp.SympifyError, TokenError) as err:
            raise NotAPolynomialError(f"could not read {expr!r} as an expression ({type(err).__name__}); "
                                      "write it in Python/sympy syntax, e.g. 'x**2 + 3*x*y - 1'.") from None
    if isinstance(expr, bool | BooleanFunction | BooleanAtom):
        raise NotAPolynomialError(f"{expr!r} is a Boolean expression; use deepcheap.compile_boolean for it.")
    try:
        return sp.sympify(expr, strict=True)
    except sp.SympifyError:
        raise NotAPolynomialError(f"{expr!r} is not an expression deepcheap can read; pass a sympy expression, "
                                  "a number or a string.") from None


def _check_polynomial(expr: sp.Expr) -> None:
    """Raise naming the first subexpression that keeps ``expr`` from being a polynomial."""
    if isinstance(expr, BooleanFunction | BooleanAtom | Relational):
        raise NotAPolynomialError(f"{expr} is not an algebraic expression; {_HINT}")
    stack = [expr]
    while stack:
        node = stack.pop()
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


def _monomials(term: sp.Expr, index: dict[str, int]):
    """Yield (coefficient, monomial) for one term of the top-level sum, expanding only if needed."""
    direct = _direct_monomial(term, index)
    if direct is not None:
        yield direct
        return
    for sub in sp.Add.make_args(sp.expand(term)):
        found = _direct_monomial(sub, index)
        if found is None:  # pragma: no cover - expand always yields monomials for polynomials
            raise NotAPolynomialError(f"{sub} did not expand to a monomial; {_HINT}")
        yield found


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
