"""Markov hierarchies, minimal sufficient statistics and mutual information (paper Sections III A-D).

A hierarchy y_0 -> y_1 -> ... -> y_n is a prior p(y_0) and column-stochastic matrices
M_i[a, b] = p(y_i = a | y_{i-1} = b), so p(y_n) = M_n ... M_1 p(y_0) (Eqs. 15-16).

>>> h = random_hierarchy([3, 4, 4, 5], seed=0, nuisance={2: 2})
>>> h.sizes
(3, 4, 8, 10)
>>> d = distill(h)
>>> d.sizes  # |T_0|, |T_1|, |T_2|: minimal sufficient statistics of p(y_i | y_3)
(5, 5, 10)
>>> bool(np.abs(d.compose() - h.posterior(0)).max() < 1e-12)
True

* :func:`minimal_sufficient_statistic`: T_i groups the values of y_n with equal posterior p(y_i | y_n);
* :func:`distill`: the maps of Theorem 2 (T_i = g(T_{i+1}), built from the backward kernel
  p(y_i | y_{i+1}) as in the theorem's proof) and Corollary 2, p(y_0 | y_n) = (f_0 o f_1 o ... o f_n)(y_n)
  with f_n = T_{n-1}, f_i(T_i) = T_{i-1} and f_0(T_0) = p(y_0 | T_0);
* :func:`path_joint` / :func:`brute_force_posterior`: the oracle, by enumerating whole paths;
* :func:`mutual_information`, :func:`statistic_joint` and :func:`data_processing_trials` (Section III D:
  I(x; y) >= I(x; f(y)), with equality for a sufficient statistic).

Maths only: nothing here prints, draws or writes files. Randomness comes from an explicit seed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from deepcheap.errors import InvalidArgumentError, ResourceLimitError, check_int_range, check_positive

PROBABILITY_TOLERANCE = 1e-9  # how far a probability vector's sum may be from 1
POSTERIOR_TOLERANCE = 1e-9  # default max |difference| for two posteriors to count as equal
MAX_PATH_STATES = 4_000_000  # largest path tensor brute_force_posterior will build


# --- hierarchies ---------------------------------------------------------------------------------


def _as_distribution(name: str, p, axis: int = 0) -> np.ndarray:
    arr = np.array(p, dtype=float)
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise InvalidArgumentError(f"{name} must be a non-empty array of finite probabilities.")
    if np.any(arr < 0):
        raise InvalidArgumentError(f"{name} has negative entries; probabilities must be >= 0.")
    sums = arr.sum(axis=axis)
    if np.any(np.abs(sums - 1) > PROBABILITY_TOLERANCE):
        what = "sum" if arr.ndim == 1 else "columns (p(y_i | y_{i-1}) for each y_{i-1}) sum"
        raise InvalidArgumentError(f"{name} {what} to {np.round(sums, 12)}; normalise so they sum to 1.")
    return arr


@dataclass(frozen=True)
class MarkovHierarchy:
    """p(y_0) and transitions M_i[a, b] = p(y_i = a | y_{i-1} = b), i = 1..n (column-stochastic)."""

    prior: np.ndarray
    transitions: tuple[np.ndarray, ...]
    labels: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self):
        prior = _as_distribution("prior", self.prior)
        if prior.ndim != 1:
            raise InvalidArgumentError(f"prior must be a vector p(y_0); got shape {prior.shape}.")
        if len(self.transitions) == 0:
            raise InvalidArgumentError("a hierarchy needs at least one transition matrix (depth n >= 1).")
        mats, k = [], prior.size
        for i, M in enumerate(self.transitions, start=1):
            M = _as_distribution(f"transition M_{i}", M, axis=0)
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
        return _condition(self.joint(i))

    def backward(self, i: int) -> np.ndarray:
        """B[a, b] = p(y_{i-1} = a | y_i = b), shape (k_{i-1}, k_i) (Bayes; NaN columns where p(y_i = b) = 0)."""
        i = check_int_range("level i", i, 1, self.depth)
        joint = (self.transitions[i - 1] * self.marginal(i - 1)).T  # [a, b] = p(y_{i-1} = a, y_i = b)
        return _condition(joint).T


def _condition(joint: np.ndarray) -> np.ndarray:
    """Rows p(x | y) from a joint p(x, y) of shape (k_x, k_y); NaN rows where p(y) = 0."""
    py = joint.sum(axis=0)
    out = np.full((joint.shape[1], joint.shape[0]), np.nan)
    ok = py > 0
    out[ok] = (joint[:, ok] / py[ok]).T
    return out


def random_stochastic(k_out: int, k_in: int, rng: np.random.Generator, concentration: float = 1.0) -> np.ndarray:
    """A random column-stochastic (k_out, k_in) matrix, columns Dirichlet(concentration)."""
    return rng.dirichlet(np.full(k_out, concentration), size=k_in).T


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
    rng = np.random.default_rng(seed)
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


# --- the oracle: whole paths ---------------------------------------------------------------------


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
    return _condition(joint.sum(axis=inner) if inner else joint)


# --- sufficient statistics -----------------------------------------------------------------------


def group_rows(rows: np.ndarray, tol: float = POSTERIOR_TOLERANCE) -> np.ndarray:
    """Labels 0, 1, ... (in order of first appearance) grouping rows equal within ``tol`` (max norm).

    Each row joins the first class whose representative (its first row) is within ``tol``; rows with a
    NaN get label -1. Rows that differ by more than ``tol`` are never merged.

    >>> group_rows(np.array([[0.5, 0.5], [0.2, 0.8], [0.5, 0.5]]))
    array([0, 1, 0])
    """
    check_positive("tol", tol, allow_zero=True)
    rows = np.asarray(rows, dtype=float)
    labels = np.full(rows.shape[0], -1, dtype=np.int64)
    reps: list[np.ndarray] = []
    for v, row in enumerate(rows):
        if not np.all(np.isfinite(row)):
            continue
        for c, rep in enumerate(reps):
            if np.max(np.abs(row - rep)) <= tol:
                labels[v] = c
                break
        else:
            labels[v] = len(reps)
            reps.append(row)
    return labels


@dataclass(frozen=True)
class Statistic:
    """T_i: labels[v] = class of y_n = v (-1 if unreachable); posteriors[c] = p(y_i | T_i = c)."""

    level: int
    labels: np.ndarray
    posteriors: np.ndarray

    @property
    def size(self) -> int:
        """|T_i|: the number of distinct posteriors p(y_i | y_n)."""
        return int(self.posteriors.shape[0])


def minimal_sufficient_statistic(h: MarkovHierarchy, i: int, tol: float = POSTERIOR_TOLERANCE) -> Statistic:
    """T_i(y_n): the values of y_n with equal posterior p(y_i | y_n) share a class.

    Minimal among sufficient statistics: any sufficient T must separate values with different posteriors,
    so T_i = f(T). The class posteriors are p(y_i | T_i = c) = sum_{v in c} p(y_i, v) / sum_{v in c} p(v).
    """
    labels = group_rows(h.posterior(i), tol)
    joint = h.joint(i)
    agg = statistic_joint(joint, labels)
    return Statistic(i, labels, _condition(agg))


def statistic_joint(joint: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """p(x, T(y)) from p(x, y) (shape (k_x, k_y)) and labels T(y) in 0..m-1 (-1: dropped, probability 0)."""
    labels = np.asarray(labels)
    m = int(labels.max()) + 1 if labels.size else 0
    out = np.zeros((joint.shape[0], m))
    keep = labels >= 0
    np.add.at(out.T, labels[keep], joint[:, keep].T)
    return out


@dataclass(frozen=True)
class Distillation:
    """Theorem 2 / Corollary 2 for one hierarchy.

    ``statistics[i]`` is T_i (i = 0..n-1); ``maps[i]`` (i = 1..n-1) is f_i, the lookup table with
    T_{i-1} = f_i(T_i) (Theorem 2's T_{i-1} = f o T_i); ``maps[0]`` is None and ``f0`` is the table
    p(y_0 | T_0) (Corollary 2's f_0); f_n = T_{n-1} is ``statistics[-1].labels``.
    """

    hierarchy: MarkovHierarchy
    statistics: tuple[Statistic, ...]
    maps: tuple[np.ndarray | None, ...]
    f0: np.ndarray
    max_match_error: float  # worst |B_i p(y_i | T_i = c) - p(y_{i-1} | T_{i-1} = f_i(c))| while building the maps

    @property
    def sizes(self) -> tuple[int, ...]:
        """(|T_0|, ..., |T_{n-1}|): non-decreasing by Theorem 2."""
        return tuple(s.size for s in self.statistics)

    def classes(self, level: int) -> np.ndarray:
        """T_level(y_n) for every y_n, obtained by composition f_{level+1} o ... o f_{n-1} o T_{n-1}."""
        level = check_int_range("level", level, 0, self.hierarchy.depth - 1)
        c = self.statistics[-1].labels.copy()
        for i in range(self.hierarchy.depth - 1, level, -1):
            ok = c >= 0
            c[ok] = self.maps[i][c[ok]]
        return c

    def compose(self) -> np.ndarray:
        """(f_0 o f_1 o ... o f_n)(y_n) for every y_n: p(y_0 | y_n), shape (k_n, k_0); NaN rows if unreachable."""
        c = self.classes(0)
        out = np.full((c.size, self.f0.shape[1]), np.nan)
        out[c >= 0] = self.f0[c[c >= 0]]
        return out

    def theorem2_violations(self) -> int:
        """Pairs (i, y_n) where the composed class f_{i+1}(T_{i+1}(y_n)) differs from T_i(y_n) computed directly."""
        return int(sum(np.sum(self.classes(i) != s.labels) for i, s in enumerate(self.statistics)))


def distill(h: MarkovHierarchy, tol: float = POSTERIOR_TOLERANCE) -> Distillation:
    """Minimal sufficient statistics T_0..T_{n-1} and the maps between them (Theorem 2's proof).

    f_i is built level by level, not read off y_n: for each class c of T_i,
    p(y_{i-1} | T_i = c) = sum_{y_i} p(y_{i-1} | y_i) p(y_i | T_i = c), which by the Markov property is
    the posterior of y_{i-1} for every y_n in c; f_i(c) is the class of T_{i-1} with that posterior.
    """
    n = h.depth
    stats = tuple(minimal_sufficient_statistic(h, i, tol) for i in range(n))
    maps: list[np.ndarray | None] = [None] * n
    worst = 0.0
    for i in range(n - 1, 0, -1):
        down = (h.backward(i) @ stats[i].posteriors.T).T  # rows: p(y_{i-1} | T_i = c)
        reps = stats[i - 1].posteriors
        table = np.empty(stats[i].size, dtype=np.int64)
        for c, row in enumerate(down):
            err = np.max(np.abs(reps - row), axis=1)
            table[c] = int(np.argmin(err))
            worst = max(worst, float(err[table[c]]))
        maps[i] = table
    return Distillation(h, stats, tuple(maps), stats[0].posteriors, worst)


# --- information ---------------------------------------------------------------------------------


def entropy(p, base: float = math.e) -> float:
    """H(p) = -sum p log p (0 log 0 = 0)."""
    p = np.asarray(p, dtype=float).ravel()
    p = p[p > 0]
    return float(-(p * np.log(p)).sum() / math.log(base))


def mutual_information(joint, base: float = math.e) -> float:
    """I(x; y) = sum p(x, y) log[p(x, y) / (p(x) p(y))] from a joint of shape (k_x, k_y) (must sum to 1).

    >>> round(mutual_information(np.eye(2) / 2, base=2), 12)
    1.0
    """
    joint = _as_distribution("joint", np.asarray(joint, dtype=float).ravel()).reshape(np.shape(joint))
    if joint.ndim != 2:
        raise InvalidArgumentError(f"joint must be a matrix p(x, y); got shape {joint.shape}.")
    px, py = joint.sum(axis=1, keepdims=True), joint.sum(axis=0, keepdims=True)
    nz = joint > 0
    ratio = joint[nz] / (px @ py)[nz]
    return float(max(0.0, (joint[nz] * np.log(ratio)).sum()) / math.log(base))


def merge_information_loss(joint, a: int, b: int) -> float:
    """I(x; t) - I(x; t with values a and b merged), in nats, from p(x, t) (shape (k_x, k_t)).

    Computed as p_a KL(p(x|a) || p(x|a or b)) + p_b KL(p(x|b) || p(x|a or b)): never negative, and
    accurate even when tiny (the difference of two mutual informations is not). Zero iff the posteriors
    p(x|a) and p(x|b) agree (or one of a, b has probability 0), so a statistic is minimal sufficient iff
    every merge of two of its classes loses information.
    """
    joint = np.asarray(joint, dtype=float)
    pa, pb = joint[:, a], joint[:, b]
    merged = (pa + pb) / (pa.sum() + pb.sum())
    loss = 0.0
    for col in (pa, pb):
        mass = col.sum()
        if mass > 0:
            post = col / mass
            nz = post > 0
            loss += mass * float(np.sum(post[nz] * np.log(post[nz] / merged[nz])))
    return float(max(0.0, loss))


@dataclass(frozen=True)
class DPIRecord:
    """One random channel: I(x; y) >= I(x; f(y)) (f a random function) and >= I(x; z) (z a random channel of y)."""

    kx: int
    ky: int
    I_xy: float
    I_x_fy: float
    I_x_zy: float

    @property
    def min_gap(self) -> float:
        return min(self.I_xy - self.I_x_fy, self.I_xy - self.I_x_zy)

    def to_dict(self) -> dict:
        return {"kx": self.kx, "ky": self.ky, "I_xy": self.I_xy, "I_x_fy": self.I_x_fy, "I_x_zy": self.I_x_zy,
                "min_gap": self.min_gap}


def data_processing_trials(count: int, seed: int, max_size: int = 8, concentration: float = 0.5) -> list[DPIRecord]:
    """``count`` random joints p(x, y), random functions f and random stochastic channels z ~ K(. | y)."""
    count = check_int_range("count", count, 1)
    max_size = check_int_range("max_size", max_size, 2)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        kx, ky = (int(v) for v in rng.integers(2, max_size + 1, 2))
        joint = rng.dirichlet(np.full(kx * ky, concentration)).reshape(kx, ky)
        f = rng.integers(0, max(1, ky - 1), ky)  # a random (usually lossy) function of y
        K = random_stochastic(int(rng.integers(2, max_size + 1)), ky, rng, concentration)
        out.append(DPIRecord(kx, ky, mutual_information(joint), mutual_information(statistic_joint(joint, f)),
                             mutual_information(joint @ K.T)))
    return out
