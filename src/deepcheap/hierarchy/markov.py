"""Markov hierarchies y_0 -> y_1 -> ... -> y_n (Eqs. 15-16) and the oracle that enumerates whole paths.

A hierarchy is a prior p(y_0) and column-stochastic matrices M_i[a, b] = p(y_i = a | y_{i-1} = b), so
p(y_n) = M_n ... M_1 p(y_0). Posteriors come two independent ways: by matrix products
(:meth:`MarkovHierarchy.posterior`) and by summing the full path tensor (:func:`brute_force_posterior`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from deepcheap.errors import InvalidArgumentError, ResourceLimitError, check_int_range, check_positive
from deepcheap.hierarchy.information import check_distribution, random_stochastic
from deepcheap.seeds import numpy_generator

MAX_PATH_STATES = 4_000_000  # largest path tensor brute_force_posterior will build


@dataclass(frozen=True)
class MarkovHierarchy:
    """p(y_0) and transitions M_i[a, b] = p(y_i = a | y_{i-1} = b), i = 1..n (column-stochastic)."""

    prior: np.ndarray
    transitions: tuple[np.ndarray, ...]
    labels: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self):
        prior = check_distribution("prior", self.prior)
        if prior.ndim != 1:
            raise InvalidArgumentError(f"prior must be a vector p(y_0); got shape {prior.shape}.")
        if len(self.transitions) == 0:
            raise InvalidArgumentError("a hierarchy needs at least one transition matrix (depth n >= 1).")
        mats, k = [], prior.size
        for i, M in enumerate(self.transitions, start=1):
            M = check_distribution(f"transition M_{i}", M, axis=0)
            if M.ndim != 2 or M.shape[1] != k:
                raise InvalidArgumentError(
                    f"transition M_{i} must have shape (k_{i}, {k}) to act on y_{i - 1} with {k} values; "
                    f"got {M.shape}.")
            mats.append(M)
            k = M.shape[0]
        object.__setattr__(self, "prior", prior)
        object.__setattr__(self, "transitions", tuple(mats))

    @property
    def depth(self) -> int:
        """n: the number of Markov steps."""
        return len(self.transitions)

    @property
    def sizes(self) -> tuple[int, ...]:
        """(k_0, ..., k_n): the number of values of each level."""
        return (self.prior.size, *(M.shape[0] for M in self.transitions))

    def marginal(self, i: int) -> np.ndarray:
        """p(y_i) = M_i ... M_1 p(y_0)."""
        i = check_int_range("level i", i, 0, self.depth)
        p = self.prior
        for M in self.transitions[:i]:
            p = M @ p
        return p

    def likelihood(self, i: int) -> np.ndarray:
        """L_i[v, a] = p(y_n = v | y_i = a) = (M_n ... M_{i+1})[v, a]; L_n is the identity."""
        i = check_int_range("level i", i, 0, self.depth)
        L = np.eye(self.sizes[-1])
        for M in reversed(self.transitions[i:]):
            L = L @ M
        return L

    def joint(self, i: int) -> np.ndarray:
        """p(y_i = a, y_n = v), shape (k_i, k_n)."""
        return (self.likelihood(i) * self.marginal(i)).T

    def evidence(self) -> np.ndarray:
        """p(y_n)."""
        return self.marginal(self.depth)

    def posterior(self, i: int) -> np.ndarray:
        """P[v, a] = p(y_i = a | y_n = v), shape (k_n, k_i); rows of unreachable y_n (p(y_n) = 0) are NaN."""
        return condition(self.joint(i))

    def backward(self, i: int) -> np.ndarray:
        """B[a, b] = p(y_{i-1} = a | y_i = b), shape (k_{i-1}, k_i) (Bayes; NaN columns where p(y_i = b) = 0)."""
        i = check_int_range("level i", i, 1, self.depth)
        joint = (self.transitions[i - 1] * self.marginal(i - 1)).T  # [a, b] = p(y_{i-1} = a, y_i = b)
        return condition(joint).T


def condition(joint: np.ndarray) -> np.ndarray:
    """Rows p(x | y) from a joint p(x, y) of shape (k_x, k_y); NaN rows where p(y) = 0."""
    py = joint.sum(axis=0)
    out = np.full((joint.shape[1], joint.shape[0]), np.nan)
    ok = py > 0
    out[ok] = (joint[:, ok] / py[ok]).T
    return out


def random_hierarchy(sizes: Sequence[int], seed: int, *, nuisance: Mapping[int, int] | None = None,
                     concentration: float = 1.0) -> MarkovHierarchy:
    """A random hierarchy whose signal levels have ``sizes`` = (k_0, ..., k_n), Dirichlet transitions.

    ``nuisance`` = {level m: q} injects, at level m >= 1, an independent variable t with q values that
    then evolves by its own random transitions; level i's value is (signal, nuisances) flattened
    row-major. Because t is independent of y_i for i < m, y_n's t-part carries no information about
    those levels and the minimal sufficient statistics T_i (i < m) compress it away: the structure
    that makes |T_i| < k_n. Without nuisance, a random chain's posteriors are all distinct.
    """
    sizes = [check_int_range(f"sizes[{j}]", k, 1) for j, k in enumerate(sizes)]
    if len(sizes) < 2:
        raise InvalidArgumentError("sizes needs at least two levels (k_0, k_1), e.g. [3, 4, 5].")
    n = len(sizes) - 1
    nuisance = dict(nuisance or {})
    for m, q in nuisance.items():
        check_int_range("nuisance level", m, 1, n, hint="(nuisance enters at a level 1..n)")
        check_int_range(f"nuisance size at level {m}", q, 2)
    check_positive("concentration", concentration)
    rng = numpy_generator(seed)
    prior = rng.dirichlet(np.full(sizes[0], concentration))
    active: list[int] = []  # sizes of the nuisance variables alive at the previous level
    mats = []
    for i in range(1, n + 1):
        M = random_stochastic(sizes[i], sizes[i - 1], rng, concentration)
        for q in active:
            M = np.kron(M, random_stochastic(q, q, rng, concentration))
        if i in nuisance:
            q = nuisance[i]
            M = np.kron(M, rng.dirichlet(np.full(q, concentration))[:, None])
            active.append(q)
        mats.append(M)
    return MarkovHierarchy(prior, tuple(mats))


def path_joint(h: MarkovHierarchy) -> np.ndarray:
    """p(y_0, y_1, ..., y_n) as an (n+1)-dimensional array (product of the factors, by broadcasting)."""
    total = math.prod(h.sizes)
    if total > MAX_PATH_STATES:
        raise ResourceLimitError(f"the path tensor has {total} entries (> {MAX_PATH_STATES}); use smaller sizes "
                                 "or the matrix route (MarkovHierarchy.posterior).")
    n = h.depth
    out = h.prior.reshape((-1,) + (1,) * n)
    for i, M in enumerate(h.transitions, start=1):
        shape = [1] * (n + 1)
        shape[i - 1], shape[i] = M.shape[1], M.shape[0]
        out = out * M.T.reshape(shape)
    return out


def brute_force_posterior(h: MarkovHierarchy) -> np.ndarray:
    """p(y_0 | y_n), shape (k_n, k_0), summing whole paths over y_1 .. y_{n-1} (independent of the matrix route)."""
    joint = path_joint(h)
    inner = tuple(range(1, h.depth))
    return condition(joint.sum(axis=inner) if inner else joint)
