"""Gaussian classes: data whose Hamiltonians are exactly quadratic (Table I: quadratic H = Gaussian p).

>>> g = GaussianClasses.random(dim=3, classes=2, seed=0)
>>> x, y = g.sample(5, seed=1)
>>> x.shape, y.shape
((5, 3), (5,))
>>> g.hamiltonian(0).is_polynomial()
True

Class y has density N(m_y, S_y), so H_y(x) = -ln p(x | y) = 1/2 (x - m_y)^T S_y^-1 (x - m_y)
+ 1/2 ln det(2 pi S_y): a polynomial of degree 2, which :func:`deepcheap.compile` turns into a
network of fixed size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from deepcheap.errors import InvalidArgumentError, check_int_range
from deepcheap.seeds import numpy_generator


@dataclass(frozen=True)
class GaussianClasses:
    means: np.ndarray  # (K, d)
    covariances: np.ndarray  # (K, d, d)
    prior: np.ndarray  # (K,)

    def __post_init__(self):
        K, d = np.shape(self.means)
        if np.shape(self.covariances) != (K, d, d) or np.shape(self.prior) != (K,):
            raise InvalidArgumentError("means (K, d), covariances (K, d, d) and prior (K,) must agree.")
        for S in self.covariances:
            if not np.allclose(S, S.T) or np.linalg.eigvalsh(S).min() <= 0:
                raise InvalidArgumentError("every covariance must be symmetric positive definite.")
        if np.any(self.prior <= 0) or not np.isclose(np.sum(self.prior), 1.0):
            raise InvalidArgumentError("the prior must be positive and sum to 1.")

    @classmethod
    def random(cls, dim: int, classes: int, seed: int, *, separation: float = 1.5) -> GaussianClasses:
        """Random means (spread ``separation``), random well-conditioned covariances, random prior."""
        dim, classes = check_int_range("dim", dim, 1), check_int_range("classes", classes, 2)
        rng = numpy_generator(seed)
        means = rng.normal(scale=separation, size=(classes, dim))
        covs = []
        for _ in range(classes):
            A = rng.normal(size=(dim, dim)) / np.sqrt(dim)
            covs.append(A @ A.T + 0.5 * np.eye(dim))
        prior = rng.dirichlet(np.full(classes, 4.0))
        return cls(means, np.array(covs), prior)

    @property
    def classes(self) -> int:
        return len(self.prior)

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """n labelled points: classes drawn from the prior, points from their Gaussians."""
        rng = numpy_generator(seed)
        y = rng.choice(self.classes, size=check_int_range("n", n, 1), p=self.prior)
        x = np.empty((n, self.dim))
        for k in range(self.classes):
            idx = np.nonzero(y == k)[0]
            x[idx] = rng.multivariate_normal(self.means[k], self.covariances[k], size=len(idx))
        return x, y

    def likelihood(self, x: np.ndarray) -> np.ndarray:
        """p(x | y) for every row and class, (N, K), from the Gaussian density formula (an oracle independent of H)."""
        x = np.asarray(x, dtype=np.float64)
        out = np.empty((len(x), self.classes))
        for k in range(self.classes):
            S = self.covariances[k]
            diff = x - self.means[k]
            norm = 1.0 / np.sqrt(np.linalg.det(2 * np.pi * S))
            out[:, k] = norm * np.exp(-0.5 * np.sum(diff @ np.linalg.inv(S) * diff, axis=1))
        return out

    def symbols(self) -> list[sp.Symbol]:
        return [sp.Symbol(f"x_{i}") for i in range(self.dim)]

    def hamiltonian(self, k: int) -> sp.Expr:
        """H_k(x) = -ln p(x | k) as a sympy polynomial of degree 2 in x_0 .. x_{d-1}."""
        xs = sp.Matrix(self.symbols())
        m = sp.Matrix(self.means[k])
        P = sp.Matrix(np.linalg.inv(self.covariances[k]))
        const = 0.5 * np.linalg.slogdet(2 * np.pi * self.covariances[k])[1]
        return sp.expand((sp.Rational(1, 2) * (xs - m).T * P * (xs - m))[0] + const)
