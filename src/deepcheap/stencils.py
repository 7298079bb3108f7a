"""Finite-difference stencils: the one idea behind every smooth gate in deepcheap.

A hidden layer of units sigma(b + lambda * t_m . x), read out with weights w_m, computes a mixed
finite difference of sigma along x. Choosing the offsets t_m and weights w_m so that every
monomial below x^r cancels leaves

    sum_m w_m sigma(b + lambda t_m . x) = c_|r| lambda^|r| (|r|! / r!) N x^r + O(lambda^(|r|+1)),

with c_k = sigma^(k)(b) / k! and N = prod_i L_i(r_i) the stencil's normaliser. Dividing by the
prefactor gives x^r. Examples (central stencils, offsets r_i - 2j, weights (-1)^j C(r_i, j)):

* r = (1, 1): offsets (+-1, +-1), weights +1 for equal signs, -1 otherwise. This is the paper's
  2-4-1 multiplication gate (Theorem 1, Eq. 11), normaliser 4.
* r = (2,): offsets (2, 0, -2), weights (1, -2, 1). The 0 offset is a constant unit: the
  3-neuron bias-free square gate of Rolnick & Tegmark, or 2 neurons plus an output bias.
* r = (1,) * n: the sign-sum construction of Appendix A, 2^n units for a product of n inputs.
* r arbitrary: prod(r_i + 1) units, the shallow monomial bound of Rolnick & Tegmark.

For each variable i the moment functional L_i(p) = sum_j w_ij t_ij^p is zero for p < r_i, so
the truncation error is a power series in lambda whose terms :func:`error_terms` lists exactly
(Fractions for the combinatorics, the activation's Taylor ratios supplied by the caller).

>>> s = central_stencil((1, 1))
>>> s.offsets.tolist(), s.weights.tolist(), s.normaliser
([[1, 1], [1, -1], [-1, 1], [-1, -1]], [1, -1, -1, 1], 4)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

import numpy as np

from deepcheap.errors import InvalidArgumentError


@dataclass(frozen=True)
class Stencil:
    """Offsets ``t`` (units x variables), weights ``w`` and target exponents ``r``.

    ``one_dimensional[i]`` holds variable i's (offsets, weights); the stencil is their
    tensor product, so the moment functional factorises per variable.
    """

    exponents: tuple[int, ...]
    one_dimensional: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]
    kind: str

    @cached_property
    def offsets(self) -> np.ndarray:
        rows = itertools.product(*(offsets for offsets, _ in self.one_dimensional))
        return np.array(list(rows), dtype=np.int64).reshape(-1, len(self.exponents))

    @cached_property
    def weights(self) -> np.ndarray:
        rows = itertools.product(*(weights for _, weights in self.one_dimensional))
        return np.array([math.prod(r) for r in rows], dtype=np.int64)

    @property
    def degree(self) -> int:
        """|r| = sum_i r_i, the degree of the monomial x^r the stencil isolates."""
        return sum(self.exponents)

    @property
    def units(self) -> int:
        """All units of the stencil, constant ones (offset 0) included."""
        return len(self.weights)

    @property
    def constant_units(self) -> np.ndarray:
        """Boolean mask of units whose offset row is zero (their output is the constant sigma(b))."""
        return ~self.offsets.any(axis=1)

    def moment(self, variable: int, power: int) -> int:
        """L_i(p) = sum_j w_ij t_ij^p, exact."""
        offsets, weights = self.one_dimensional[variable]
        return sum(w * t**power for t, w in zip(offsets, weights, strict=True))

    @cached_property
    def normaliser(self) -> int:
        """N = prod_i L_i(r_i)."""
        return math.prod(self.moment(i, r) for i, r in enumerate(self.exponents))

    @cached_property
    def leading_factor(self) -> Fraction:
        """(|r|! / r!) N: the stencil sum equals c_|r| lambda^|r| leading_factor x^r + ..."""
        multinomial = Fraction(math.factorial(self.degree), math.prod(map(math.factorial, self.exponents)))
        return multinomial * self.normaliser


def central_stencil(exponents: tuple[int, ...]) -> Stencil:
    """Central differences: offsets r - 2j, weights (-1)^j C(r, j); even error orders only."""
    exps = _check_exponents(exponents)
    per_variable = tuple(
        (tuple(r - 2 * j for j in range(r + 1)), tuple((-1) ** j * math.comb(r, j) for j in range(r + 1)))
        for r in exps
    )
    return Stencil(exps, per_variable, "central")


def forward_stencil(exponents: tuple[int, ...]) -> Stencil:
    """One-sided differences: offsets r - j, weights (-1)^j C(r, j); all error orders appear."""
    exps = _check_exponents(exponents)
    per_variable = tuple(
        (tuple(r - j for j in range(r + 1)), tuple((-1) ** j * math.comb(r, j) for j in range(r + 1)))
        for r in exps
    )
    return Stencil(exps, per_variable, "forward")


def _check_exponents(exponents) -> tuple[int, ...]:
    exps = tuple(int(r) for r in exponents)
    if not exps or any(r < 0 for r in exps) or sum(exps) == 0:
        raise InvalidArgumentError(
            f"exponents must be non-negative integers with a positive sum; got {exponents!r}."
        )
    return exps


@dataclass(frozen=True)
class ErrorTerm:
    """One term lambda^extra * ratio(c_{|r|+extra}/c_|r|) * coefficient * x^(r + q)."""

    extra: int
    q: tuple[int, ...]
    coefficient: Fraction


def error_terms(stencil: Stencil, max_extra: int = 6) -> list[ErrorTerm]:
    """The truncation terms of the stencil gate up to lambda^max_extra, activation-free.

    The gate's output is x^r + sum_extra lambda^extra (c_{|r|+extra} / c_|r|) sum_q K_q x^(r+q)
    over q >= 0 with |q| = extra; this returns every nonzero K_q exactly.
    """
    r = stencil.exponents
    n = len(r)
    base_moments = [stencil.moment(i, ri) for i, ri in enumerate(r)]
    terms = []
    for extra in range(1, max_extra + 1):
        for q in _compositions(extra, n):
            p = tuple(ri + qi for ri, qi in zip(r, q, strict=True))
            moments = [stencil.moment(i, pi) for i, pi in enumerate(p)]
            if any(m == 0 for m in moments):
                continue
            k = stencil.degree + extra
            multinomial = Fraction(math.factorial(k), math.prod(map(math.factorial, p)))
            ratio = math.prod(Fraction(m, m0) for m, m0 in zip(moments, base_moments, strict=True))
            coefficient = multinomial / (stencil.leading_factor / stencil.normaliser) * ratio
            terms.append(ErrorTerm(extra, q, coefficient))
    return terms


def _compositions(total: int, parts: int):
    """All tuples of ``parts`` non-negative ints summing to ``total``."""
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _compositions(total - first, parts - 1):
            yield (first, *rest)


def box_bound(terms: list[ErrorTerm], stencil: Stencil, radius: float) -> dict[int, float]:
    """Per extra order, sum |K_q| * max over the box |x_i| <= radius of |x^(r+q)|."""
    bound: dict[int, float] = {}
    for term in terms:
        degree = stencil.degree + term.extra
        bound[term.extra] = bound.get(term.extra, 0.0) + abs(float(term.coefficient)) * radius**degree
    return bound
