"""Band powers: the spectrum distiller's compression of n/2 + 1 Fourier modes into log-spaced bands.

q_b = sum_{k in b} u_k C^_k with fiducial inverse-variance weights u_k; the information about theta they
keep is F_bp = sum_b mu_b'^2 / V_b (Gaussian band powers with fixed covariance), exactly the inverse
asymptotic variance of the weighted least-squares fit to them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from deepcheap.distillation.model import GaussianHierarchy
from deepcheap.errors import check_int_range


def bands(n: int, per_octave: int = 4) -> list[np.ndarray]:
    """Log-spaced bands of rfft indices 0..n//2: k = 0 alone, then ``per_octave`` bands per doubling of k.

    Low k (where the spectrum changes fastest) gets single-mode bands; n_b ~ per_octave log2 n.

    >>> [b.tolist() for b in bands(32, 2)]
    [[0], [1], [2], [3], [4, 5], [6, 7], [8, 9, 10], [11, 12, 13, 14, 15, 16]]
    """
    per_octave = check_int_range("per_octave", per_octave, 1)
    m = n // 2 + 1
    edges = {0, 1}
    j = 1
    while (e := round(2 ** (j / per_octave))) < m:
        edges.add(e)
        j += 1
    edges = sorted(edges)
    if len(edges) > 2 and m - edges[-1] < edges[-1] - edges[-2]:
        edges.pop()  # fold a short tail into the previous band
    edges.append(m)
    return [np.arange(a, b) for a, b in itertools.pairwise(edges)]


def _dof(n: int) -> np.ndarray:
    """Real degrees of freedom of each rfft index: 1 for k = 0 (and n/2 if n even), else 2."""
    d = np.full(n // 2 + 1, 2.0)
    d[0] = 1.0
    if n % 2 == 0:
        d[-1] = 1.0
    return d


@dataclass(frozen=True)
class BandModel:
    """Band powers q_b = sum_{k in b} u_k C^_k with C^_k = (I_k - N_k) / b_k^2 (I_k: the data periodogram).

    ``weights`` u_k (one per rfft index, summing to 1 within each band) and ``starts`` (first index of
    each band) keep every operation O(n).
    """

    hierarchy: GaussianHierarchy
    per_octave: int
    weights: np.ndarray  # (n//2 + 1,)
    starts: np.ndarray  # (n_b,)

    @property
    def count(self) -> int:
        return len(self.starts)

    def reduce(self, values: np.ndarray) -> np.ndarray:
        """sum_{k in b} u_k values_k over the last axis (values of length >= n//2 + 1)."""
        m = self.weights.size
        return np.add.reduceat(values[..., :m] * self.weights, self.starts, axis=-1)

    def mean(self, theta=None) -> np.ndarray:
        """mu_b(theta) = sum u_k S_k(theta); theta of shape (m, 1) gives (m, n_b)."""
        return self.reduce(self.hierarchy.signal_spectrum(theta))

    def derivative(self, theta=None) -> np.ndarray:
        """d mu_b / d theta."""
        return self.reduce(self.hierarchy.signal_derivative(theta))

    def variance(self) -> np.ndarray:
        """V_b = sum u_k^2 var(C^_k), var(C^_k) = 2 P_k^2 / (dof_k b_k^4) at the fiducial theta."""
        h, m = self.hierarchy, self.weights.size
        var = 2 * h.data_spectrum()[:m] ** 2 / (_dof(h.n) * h.beam_spectrum()[:m] ** 4)
        return np.add.reduceat(self.weights**2 * var, self.starts)


def band_model(h: GaussianHierarchy, per_octave: int = 4) -> BandModel:
    """Fiducial inverse-variance weights u_k proportional to dof_k b_k^4 / P_k^2 within each band."""
    m = h.n // 2 + 1
    inv_var = _dof(h.n) * h.beam_spectrum()[:m] ** 4 / h.data_spectrum()[:m] ** 2
    starts = np.array([idx[0] for idx in bands(h.n, per_octave)])
    totals = np.repeat(np.add.reduceat(inv_var, starts), np.diff([*starts, m]))
    return BandModel(h, per_octave, inv_var / totals, starts)


def bandpower_fisher(h: GaussianHierarchy, per_octave: int = 4) -> float:
    """F_bp = sum_b mu_b'^2 / V_b: information about theta kept by the band powers (Gaussian, fixed V)."""
    model = band_model(h, per_octave)
    return float(np.sum(model.derivative() ** 2 / model.variance()))
