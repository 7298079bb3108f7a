"""Expanding a polynomial term into monomials, with its size estimated (and limited) before any work.

>>> import sympy as sp
>>> x, y, z = sp.symbols("x y z")
>>> size = estimate((x + y + z) ** 400)
>>> size.degree, int(size.monomials), f"{size.work:.2g}"
(400, 80601, '3.2e+07')
>>> sorted(expand_term((x + 2) ** 2, {"x": 0}).items())
[((), 4), (((0, 1),), 4), (((0, 2),), 1)]

:func:`estimate` walks the sympy DAG once (iteratively, shared sub-trees once) and bounds, for every
node, its degree, its number of monomials after expansion and the work of expanding it (term products):

- a sum adds monomial counts; a product multiplies them; both are capped by the number of monomials of
  degree <= d in v variables, C(d + v, v);
- p^n with t terms has at most C(n + t - 1, t - 1) monomials (the multinomial count), and expanding it as
  p * p * ... * p costs at most t * C(n + t - 1, t) products (the hockey-stick sum of the partial powers).

:func:`check_limits` refuses, with the size and the limit, a term of degree above :data:`MAX_DEGREE`,
a polynomial with more than :data:`MAX_MONOMIALS` monomials, or an expansion costing more than
:data:`MAX_EXPANSION_WORK` term products. :func:`expand_term` then expands with exact Python numbers
(int, Fraction; float once a float appears), so rational coefficients are rounded once, at the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from deepcheap.compiler.polynomial import Monomial, monomial_multiply
from deepcheap.compiler.sympy_tree import names_by_node, post_order, short_text
from deepcheap.errors import NotAPolynomialError, ResourceLimitError

MAX_DEGREE = 4096  # x**(10**9) is refused; product:4096 compiles in about a second
MAX_MONOMIALS = 2**20  # terms of the expanded polynomial (ising2d:512 has 524,288)
MAX_EXPANSION_WORK = 1_000_000  # term products while expanding (about a second)
MAX_TREE_DEPTH = 400  # nesting of a sympy expression that still needs expanding

Number = int | Fraction | float
Terms = dict[Monomial, Number]


@dataclass(frozen=True)
class Size:
    """Upper bounds for one expression: degree, monomials after expansion, term products to expand it."""

    degree: int
    monomials: float
    work: float
    depth: int = 1
    low: int = 0  # the lowest degree of a monomial in it


def _span(low: int, high: int, variables: int) -> float:
    """Monomials in ``variables`` variables with degree in [low, high]: C(high + v, v) - C(low - 1 + v, v)."""
    return _comb(high + variables, variables) - (_comb(low - 1 + variables, variables) if low > 0 else 0.0)


def _comb(n: float, k: float) -> float:
    """C(n, k) as a float (inf when it overflows)."""
    if not (math.isfinite(n) and math.isfinite(k)):
        return math.inf
    if k < 0 or n < k:
        return 0.0
    log = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    return math.inf if log > 700 else max(1.0, round(math.exp(log)))


def _short(expr, limit: int = 60) -> str:
    return short_text(expr, limit)


def _too_deep(expr, depth: int) -> ResourceLimitError:
    return ResourceLimitError(f"{_short(expr)} nests {depth} levels deep, above the limit of {MAX_TREE_DEPTH}; "
                              "expand it first (sympy.expand) or build it flatter.")


def estimate(expr: sp.Expr, names: dict[int, frozenset[str]] | None = None) -> Size:
    """Bounds on the degree, monomials and expansion work of ``expr`` (a polynomial expression).

    ``names``: :func:`~deepcheap.compiler.sympy_tree.names_by_node` of ``expr`` (computed if not given).
    """
    names = names_by_node(expr) if names is None else names
    sizes: dict[int, Size] = {}
    for node in post_order(expr):
        size = _node_size(node, [sizes[id(a)] for a in node.args], len(names[id(node)]))
        if size.depth > MAX_TREE_DEPTH:
            raise _too_deep(expr, size.depth)
        sizes[id(node)] = size
    return sizes[id(expr)]


def _node_size(node: sp.Basic, args: list[Size], variables: int) -> Size:
    if not variables:
        return Size(0, 1.0, 0.0)
    if isinstance(node, sp.Symbol):
        return Size(1, 1.0, 0.0, 1, 1)
    depth = 1 + max(a.depth for a in args)
    if isinstance(node, sp.Add):
        degree, low = max(a.degree for a in args), min(a.low for a in args)
        monomials = min(sum(a.monomials for a in args), _span(low, degree, variables))
        return Size(degree, monomials, sum(a.work for a in args) + sum(a.monomials for a in args), depth, low)
    if isinstance(node, sp.Mul):
        degree, low, monomials, work = 0, 0, 1.0, sum(a.work for a in args)
        for a in args:
            degree, low = degree + a.degree, low + a.low
            work += monomials * a.monomials
            monomials = min(monomials * a.monomials, _span(low, degree, variables))
        _check_degree(node, degree)
        return Size(degree, monomials, work, depth, low)
    if isinstance(node, sp.Pow):
        base, exponent = node.args
        n = int(exponent)
        degree, low = n * args[0].degree, n * args[0].low
        _check_degree(node, degree)
        if isinstance(base, sp.Symbol):
            return Size(degree, 1.0, 0.0, depth, degree)
        t = args[0].monomials
        monomials = min(_comb(n + t - 1, t - 1), _span(low, degree, variables))
        work = args[0].work + min(t * _comb(n + t - 1, t), t * n * monomials)
        return Size(degree, monomials, work, depth, low)
    raise NotAPolynomialError(f"{_short(node)} is not a polynomial term.")  # pragma: no cover - checked before


def _check_degree(node, degree: int) -> None:
    if degree > MAX_DEGREE:
        raise ResourceLimitError(f"{_short(node)} has degree {degree:,}, above the limit of {MAX_DEGREE:,}; "
                                 "lower the degree (a network for it would be float64 noise on any domain but "
                                 "a small one).")


def check_limits(direct_terms: int, pending: list[tuple[sp.Expr, Size]]) -> None:
    """Refuse before expanding if the polynomial or its expansion is too large (sizes and limits named)."""
    total = direct_terms + sum(size.monomials for _, size in pending)
    work = sum(size.work for _, size in pending)
    worst = max(pending, key=lambda item: item[1].work, default=None)
    if work > MAX_EXPANSION_WORK:
        expr, size = worst
        raise ResourceLimitError(
            f"expanding {_short(expr)} would give about {size.monomials:,.0f} monomials after about {size.work:.2g} "
            f"term products, above the limit of {MAX_EXPANSION_WORK:,}; expand a smaller power or product, or pass "
            "the expanded polynomial.")
    if total > MAX_MONOMIALS:
        raise ResourceLimitError(f"the polynomial would have about {total:,.0f} monomials, above the limit of "
                                 f"{MAX_MONOMIALS:,}; compile a smaller polynomial.")


def expand_term(expr: sp.Expr, index: dict[str, int], names: dict[int, frozenset[str]] | None = None) -> Terms:
    """{monomial: exact coefficient} of ``expr``; call :func:`estimate`/:func:`check_limits` first."""
    names = names_by_node(expr) if names is None else names
    memo: dict[int, Terms] = {}
    for node in post_order(expr):
        memo[id(node)] = _expand_node(node, memo, index, names)
    return memo[id(expr)]


def _expand_node(node: sp.Basic, memo: dict[int, Terms], index: dict[str, int],
                 names: dict[int, frozenset[str]]) -> Terms:
    walk = lambda arg: memo[id(arg)]  # noqa: E731
    if not names[id(node)]:
        return {(): _number(node)}
    if isinstance(node, sp.Symbol):
        return {((index[node.name], 1),): 1}
    if isinstance(node, sp.Add):
        total: Terms = {}
        for arg in node.args:
            _accumulate(total, walk(arg))
        return total
    if isinstance(node, sp.Mul):
        product: Terms = {(): 1}
        for arg in node.args:
            product = _multiply(product, walk(arg))
        return product
    base, exponent = node.args
    n = int(exponent)
    if isinstance(base, sp.Symbol):
        return {((index[base.name], n),): 1} if n else {(): 1}
    factor = walk(base)
    power: Terms = {(): 1}
    for _ in range(n):
        power = _multiply(power, factor)
    return power


def _accumulate(total: Terms, terms: Terms) -> None:
    for monomial, c in terms.items():
        total[monomial] = total.get(monomial, 0) + c


def _multiply(a: Terms, b: Terms) -> Terms:
    out: Terms = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            m = monomial_multiply(ma, mb) if ma and mb else (ma or mb)
            out[m] = out.get(m, 0) + ca * cb
    return out


def _number(node: sp.Basic) -> Number:
    if node.is_Integer:
        return int(node)
    if node.is_Rational:
        return Fraction(int(node.p), int(node.q))
    return float(node if node.is_Number else sp.N(node))


def to_float(value: Number) -> float:
    """The float64 nearest ``value`` (inf when it overflows)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf
