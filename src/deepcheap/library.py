"""Canonical expressions used by docs, tests and claims (the compiler's program library).

>>> from deepcheap import library
>>> library.product(3)
x_1*x_2*x_3
>>> library.ising_1d(4)
-s_0*s_1 - s_0*s_3 - s_1*s_2 - s_2*s_3

Every function returns a sympy expression with zero-padded variable names, so sorting by name
(the compiler's input order) is the natural order: row-major for lattices.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from deepcheap.compiler.expansion import MAX_DEGREE, MAX_MONOMIALS
from deepcheap.errors import check_finite, check_int_range
from deepcheap.seeds import numpy_generator

MAX_LATTICE_L_2D = math.isqrt(MAX_MONOMIALS // 2)  # 2 L^2 bonds (724)
_TOO_MANY = f"(the compiler takes at most {MAX_MONOMIALS:,} terms)"


def _width(n: int) -> int:
    return len(str(max(n - 1, 0)))


def product(n: int, name: str = "x") -> sp.Expr:
    """x_1 x_2 ... x_n: the product the no-flattening theorem is about (2^n shallow, 4(n-1) deep)."""
    n = check_int_range("n", n, 1, MAX_DEGREE, hint=f"(the compiler takes degrees up to {MAX_DEGREE:,})")
    w = len(str(n))
    return sp.Mul(*sp.symbols(f"{name}_1:{n + 1}")) if w == 1 else sp.Mul(
        *[sp.Symbol(f"{name}_{i:0{w}d}") for i in range(1, n + 1)])


def power(d: int, name: str = "x") -> sp.Expr:
    """x^d: d + 1 neurons in one hidden layer, about 2 log2 d gates by repeated squaring."""
    return sp.Symbol(name) ** check_int_range("d", d, 1, MAX_DEGREE,
                                              hint=f"(the compiler takes degrees up to {MAX_DEGREE:,})")


def ising_1d(L: int, J: float = 1.0, h: float = 0.0, *, periodic: bool = True) -> sp.Expr:
    """H = -J sum_i s_i s_{i+1} - h sum_i s_i on a ring (or open chain) of L spins."""
    L = check_int_range("L", L, 2, MAX_MONOMIALS // 2, hint=_TOO_MANY)
    J, h = check_finite("J", J), check_finite("h", h)
    s = [sp.Symbol(f"s_{i:0{_width(L)}d}") for i in range(L)]
    bonds = [(i, (i + 1) % L) for i in range(L if periodic and L > 2 else L - 1)]
    return sp.Add(*[-_num(J) * s[i] * s[j] for i, j in bonds], *[-_num(h) * si for si in s if h])


def ising_2d(L: int, J: float = 1.0, h: float = 0.0) -> sp.Expr:
    """H = -J sum_<ij> s_i s_j - h sum_i s_i on a periodic L x L square lattice (2 L^2 bonds)."""
    L = check_int_range("L", L, 2, MAX_LATTICE_L_2D, hint=f"(2 L^2 bonds; {_TOO_MANY[1:-1]})")
    J, h = check_finite("J", J), check_finite("h", h)
    w = _width(L)
    s = [[sp.Symbol(f"s_{i:0{w}d}_{j:0{w}d}") for j in range(L)] for i in range(L)]
    bonds = [(s[i][j], s[(i + 1) % L][j]) for i in range(L) for j in range(L)]
    bonds += [(s[i][j], s[i][(j + 1) % L]) for i in range(L) for j in range(L)]
    fields = [-_num(h) * s[i][j] for i in range(L) for j in range(L)] if h else []
    return sp.Add(*[_bond(-_num(J), a, b) for a, b in bonds], *fields)


def _bond(coefficient: sp.Expr, a: sp.Symbol, b: sp.Symbol) -> sp.Expr:
    """coefficient * a * b, built directly in sympy's canonical form (number first, then the symbols by
    name; a square when a is b): the same expression as the product, three times faster for lattices."""
    if a == b:
        return coefficient * a**2
    first, second = (a, b) if a.name <= b.name else (b, a)
    if coefficient == 1:
        return sp.Mul(first, second, evaluate=False)
    return sp.Mul(coefficient, first, second, evaluate=False)


def phi4(L: int, m2: float = -1.0, lam: float = 1.0, kappa: float = 1.0, *, dims: int = 1) -> sp.Expr:
    """Lattice phi^4: sum_i [m2/2 phi_i^2 + lam/4! phi_i^4] + kappa/2 sum_<ij> (phi_i - phi_j)^2 (periodic)."""
    dims = check_int_range("dims", dims, 1, 2)
    L = check_int_range("L", L, 2, MAX_MONOMIALS // 3 if dims == 1 else math.isqrt(MAX_MONOMIALS // 4),
                        hint=f"(3 terms per site in 1D, 4 in 2D; {_TOO_MANY[1:-1]})")
    w = _width(L)
    if dims == 1:
        sites = {(i,): sp.Symbol(f"phi_{i:0{w}d}") for i in range(L)}
        bonds = [((i,), ((i + 1) % L,)) for i in range(L)]
    else:
        sites = {(i, j): sp.Symbol(f"phi_{i:0{w}d}_{j:0{w}d}") for i in range(L) for j in range(L)}
        bonds = [((i, j), ((i + 1) % L, j)) for i in range(L) for j in range(L)]
        bonds += [((i, j), (i, (j + 1) % L)) for i in range(L) for j in range(L)]
    on_site = [_num(m2) / 2 * p**2 + _num(lam) / 24 * p**4 for p in sites.values()]
    hopping = [_num(kappa) / 2 * (sites[a] - sites[b]) ** 2 for a, b in bonds]
    return sp.expand(sp.Add(*on_site, *hopping))


def random_sparse_polynomial(n: int, terms: int, degree: int, seed: int, *, max_coefficient: float = 10.0,
                             integer: bool = True) -> sp.Expr:
    """``terms`` random monomials of total degree <= ``degree`` in n variables, coefficients in [-c, c]."""
    n, terms = check_int_range("n", n, 1, MAX_MONOMIALS), check_int_range("terms", terms, 1, MAX_MONOMIALS)
    degree = check_int_range("degree", degree, 0, MAX_DEGREE)
    rng = numpy_generator(seed)
    xs = [sp.Symbol(f"x_{i:0{_width(n)}d}") for i in range(n)]
    expr = sp.Integer(0)
    for _ in range(terms):
        d = int(rng.integers(0, degree + 1))
        powers = np.bincount(rng.integers(0, n, size=d), minlength=n)
        c = int(rng.integers(-max_coefficient, max_coefficient + 1)) if integer else float(
            rng.uniform(-max_coefficient, max_coefficient))
        expr += c * sp.Mul(*[x**int(p) for x, p in zip(xs, powers, strict=True)])
    return expr


def _num(value: float) -> sp.Expr:
    return sp.Integer(int(value)) if float(value).is_integer() else sp.Float(value)
