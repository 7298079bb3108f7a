"""Minimal sufficient statistics of a Markov hierarchy and the maps of Theorem 2 / Corollary 2.

* :func:`minimal_sufficient_statistic`: T_i groups the values of y_n with equal posterior p(y_i | y_n);
* :func:`distill`: the maps of Theorem 2 (T_i = g(T_{i+1}), built from the backward kernel
  p(y_i | y_{i+1}) as in the theorem's proof) and Corollary 2, p(y_0 | y_n) = (f_0 o f_1 o ... o f_n)(y_n)
  with f_n = T_{n-1}, f_i(T_i) = T_{i-1} and f_0(T_0) = p(y_0 | T_0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deepcheap.errors import check_int_range, check_positive
from deepcheap.hierarchy.information import statistic_joint
from deepcheap.hierarchy.markov import MarkovHierarchy, condition

POSTERIOR_TOLERANCE = 1e-9  # default max |difference| for two posteriors to count as equal


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
    return Statistic(i, labels, condition(statistic_joint(h.joint(i), labels)))


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
