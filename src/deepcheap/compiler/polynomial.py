"""Sparse multivariate polynomials: the compiler's input after parsing.

A monomial is a sorted tuple of (variable index, power) pairs with power >= 1; the constant term
is the empty tuple. Sparse on purpose: a 64 x 64 Ising energy has 4096 variables and 8192 terms.

>>> p = Polynomial(("x", "y"), {((0, 2),): 3.0, ((0, 1), (1, 1)): -1.0, (): 0.5})
>>> p.degree, p.multilinear, len(p)
(2, False, 3)
>>> p.to_sympy()
3*x**2 - x*y + 0.5
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import sympy as sp
import torch

Monomial = tuple[tuple[int, int], ...]


def monomial_degree(m: Monomial) -> int:
    return sum(power for _, power in m)


def monomial_multiply(a: Monomial, b: Monomial) -> Monomial:
    powers: dict[int, int] = dict(a)
    for var, power in b:
        powers[var] = powers.get(var, 0) + power
    return tuple(sorted(powers.items()))


def monomial_divide(a: Monomial, b: Monomial) -> Monomial | None:
    """a / b if b divides a, else None."""
    powers = dict(a)
    for var, power in b:
        if powers.get(var, 0) < power:
            return None
        powers[var] -= power
    return tuple(sorted((v, p) for v, p in powers.items() if p))


@dataclass(frozen=True)
class Polynomial:
    """sum_m coefficient_m * prod_i x_i^power over ``terms`` (monomial -> float coefficient)."""

    variables: tuple[str, ...]
    terms: Mapping[Monomial, float] = field(hash=False)

    @property
    def constant(self) -> float:
        return float(self.terms.get((), 0.0))

    @property
    def degree(self) -> int:
        return max((monomial_degree(m) for m in self.terms), default=0)

    @property
    def multilinear(self) -> bool:
        return all(power == 1 for m in self.terms for _, power in m)

    def __len__(self) -> int:
        return len(self.terms)

    def to_sympy(self) -> sp.Expr:
        symbols = [sp.Symbol(name) for name in self.variables]
        return sp.Add(*[_number(c) * sp.Mul(*[symbols[v] ** p for v, p in m]) for m, c in sorted(self.terms.items())])

    @cached_property
    def _groups(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Terms grouped by number of distinct variables: (indices, powers, coefficients)."""
        by_size: dict[int, list[tuple[Monomial, float]]] = {}
        for monomial, coefficient in self.terms.items():
            if monomial:
                by_size.setdefault(len(monomial), []).append((monomial, coefficient))
        groups = []
        for size, items in sorted(by_size.items()):
            idx = np.array([[v for v, _ in m] for m, _ in items], dtype=np.int64).reshape(-1, size)
            pw = np.array([[p for _, p in m] for m, _ in items], dtype=np.int64).reshape(-1, size)
            groups.append((idx, pw, np.array([c for _, c in items], dtype=np.float64)))
        return groups

    def evaluate(self, x: torch.Tensor | np.ndarray, chunk: int = 1 << 22) -> np.ndarray:
        """Reference values in float64 at the rows of ``x`` (N, n_variables); at most ``chunk`` numbers
        of intermediate products at a time."""
        x = np.asarray(x.detach().cpu().double() if isinstance(x, torch.Tensor) else x, dtype=np.float64)
        out = np.full(x.shape[0], self.constant)
        for idx, pw, coef in self._groups:
            rows = max(1, chunk // max(1, idx.shape[0]))
            for start in range(0, x.shape[0], rows):
                block = x[start:start + rows]
                term = _factor(block, idx[:, 0], pw[:, 0])
                for position in range(1, idx.shape[1]):
                    term *= _factor(block, idx[:, position], pw[:, position])
                out[start:start + rows] += term @ coef
        return out


def _factor(block: np.ndarray, columns: np.ndarray, powers: np.ndarray) -> np.ndarray:
    """block[:, columns] ** powers, without a power where every exponent is 1 (multilinear terms)."""
    values = block[:, columns]
    return values if bool((powers == 1).all()) else values ** powers


def _number(value: float) -> sp.Expr:
    return sp.Integer(int(value)) if float(value).is_integer() and abs(value) < 2**53 else sp.Float(value)


def coefficient_sum(p: Polynomial) -> float:
    return math.fsum(abs(c) for c in p.terms.values())
