"""Unsupervised coarse-graining filters learned from a stationary Gaussian field's spectrum: PCA and RSMI.

Both return a linear filter w on a b x b block V of the current lattice (the coarse variable is w . V).
The covariances come from the spectrum: C(R) = inverse DFT of P (unitary DFT), C_AB = C(a - c) for sites a, c.

* PCA: the top eigenvector of the block covariance C_VV (the direction of largest variance).
* RSMI (Koch-Janusz and Ringel 2018): the w maximising I(w . V; E), E the sites of a ring of width ``ring``
  around the block, separated from it by a buffer of width ``buffer`` (Chebyshev distance). For Gaussians
  I = -1/2 ln(1 - rho^2), rho^2 = w^T C_VE C_EE^-1 C_EV w / w^T C_VV w, a Rayleigh quotient: the optimum is
  the top generalised eigenvector of (C_VE C_EE^-1 C_EV, C_VV), rho^2 its eigenvalue.

Filters are returned with unit norm and a non-negative sum; :func:`filter_cosine` compares one with the uniform
block average. For the square block of an isotropic field the symmetry group of the square forces each
eigenvector into an irreducible representation (uniform, checkerboard, or a two-dimensional dipole pair).

>>> from deepcheap.renormalization.flow import GaussianField
>>> P = GaussianField(16, (0.1, 1.0, 1.0)).spectrum()
>>> round(filter_cosine(pca_filter(P, 2).weights), 6), round(filter_cosine(rsmi_filter(P, 2).weights), 6)
(1.0, 1.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from deepcheap.errors import InvalidArgumentError, check_int_range


@dataclass(frozen=True)
class LearnedFilter:
    """A b x b filter, its objective (PCA: top variance share; RSMI: rho^2), the same objective for the uniform
    block average, and the ratio of the second to the top eigenvalue (near 1: the optimum is nearly degenerate)."""

    weights: np.ndarray
    objective: float
    uniform_objective: float
    second_ratio: float

    def to_dict(self) -> dict:
        return {"weights": self.weights.tolist(), "objective": self.objective,
                "uniform_objective": self.uniform_objective, "second_ratio": self.second_ratio}


def correlation(spectrum: np.ndarray) -> np.ndarray:
    """C(R) = <phi_x phi_(x+R)> = M^-2 sum_K P_K e^(iKR) on the M x M lattice (unitary DFT convention)."""
    return np.fft.ifft2(np.asarray(spectrum, dtype=float), axes=(-2, -1)).real


def site_covariance(corr: np.ndarray, a: np.ndarray, c: np.ndarray) -> np.ndarray:
    """C_AB with entries C(a_i - c_j), periodic; ``corr`` has shape (..., M, M), sites (n, 2) integer arrays."""
    M = corr.shape[-1]
    d = (a[:, None, :] - c[None, :, :]) % M
    return corr[..., d[..., 0], d[..., 1]]


def block_sites(b: int) -> np.ndarray:
    """The b^2 offsets u of a block, row-major (the order of a filter's weights)."""
    b = check_int_range("b", b, 1)
    return np.stack(np.meshgrid(np.arange(b), np.arange(b), indexing="ij"), axis=-1).reshape(-1, 2)


def environment_sites(b: int, buffer: int = 1, ring: int = 2) -> np.ndarray:
    """Sites at Chebyshev distance d from the block [0, b)^2 with buffer < d <= buffer + ring."""
    buffer, ring = check_int_range("buffer", buffer, 0), check_int_range("ring", ring, 1)
    r = np.arange(-(buffer + ring), b + buffer + ring)
    x, y = np.meshgrid(r, r, indexing="ij")
    d = np.maximum(np.maximum(np.maximum(-x, x - (b - 1)), 0), np.maximum(np.maximum(-y, y - (b - 1)), 0))
    keep = (d > buffer) & (d <= buffer + ring)
    return np.stack([x[keep], y[keep]], axis=-1)


def _unit(v: np.ndarray, b: int) -> np.ndarray:
    v = v / np.linalg.norm(v)
    return (-v if v.sum() < 0 else v).reshape(b, b)


def _check_spectrum(spectrum, b: int, need: int) -> np.ndarray:
    spectrum = np.asarray(spectrum, dtype=float)
    b = check_int_range("b", b, 2)
    if spectrum.ndim != 2 or spectrum.shape[0] != spectrum.shape[1] or not np.all(np.isfinite(spectrum)):
        raise InvalidArgumentError(f"spectrum must be a finite square M x M array; got shape {spectrum.shape}.")
    if spectrum.shape[0] < need:
        raise InvalidArgumentError(f"the lattice side {spectrum.shape[0]} is below {need}, the window the filter "
                                   "needs (block plus buffer and ring on both sides): use fewer levels, a larger "
                                   "L, or a smaller buffer/ring.")
    return spectrum


def pca_filter(spectrum: np.ndarray, b: int = 2) -> LearnedFilter:
    """The top principal component of a b x b block of the stationary field with this spectrum."""
    spectrum = _check_spectrum(spectrum, b, b)
    v = block_sites(b)
    cvv = site_covariance(correlation(spectrum), v, v)
    vals, vecs = np.linalg.eigh(cvv)
    u = np.full(b * b, 1 / b)
    return LearnedFilter(_unit(vecs[:, -1], b), float(vals[-1] / vals.sum()), float(u @ cvv @ u / vals.sum()),
                         float(vals[-2] / vals[-1]))


def rsmi_filter(spectrum: np.ndarray, b: int = 2, buffer: int = 1, ring: int = 2) -> LearnedFilter:
    """The filter w maximising I(w . V; E) (RSMI); ``objective`` is the optimal rho^2."""
    spectrum = _check_spectrum(spectrum, b, b + 2 * (buffer + ring))
    corr = correlation(spectrum)
    v, e = block_sites(b), environment_sites(b, buffer, ring)
    cvv, cve, cee = site_covariance(corr, v, v), site_covariance(corr, v, e), site_covariance(corr, e, e)
    a = cve @ scipy.linalg.solve(cee, cve.T, assume_a="pos")
    a = (a + a.T) / 2
    vals, vecs = scipy.linalg.eigh(a, cvv)
    u = np.full(b * b, 1 / b)
    return LearnedFilter(_unit(vecs[:, -1], b), float(vals[-1]), float(u @ a @ u / (u @ cvv @ u)),
                         float(vals[-2] / vals[-1]))


def rsmi_quotient(spectrum: np.ndarray, weights: np.ndarray, buffer: int = 1, ring: int = 2) -> np.ndarray:
    """rho^2(w) for filters ``weights`` of shape (..., b, b) (the RSMI objective, for brute-force checks)."""
    w = np.asarray(weights, dtype=float)
    b = w.shape[-1]
    spectrum = _check_spectrum(spectrum, b, b + 2 * (buffer + ring))
    corr = correlation(spectrum)
    v, e = block_sites(b), environment_sites(b, buffer, ring)
    cvv, cve, cee = site_covariance(corr, v, v), site_covariance(corr, v, e), site_covariance(corr, e, e)
    a = cve @ scipy.linalg.solve(cee, cve.T, assume_a="pos")
    flat = w.reshape(-1, b * b)
    out = np.einsum("ni,ij,nj->n", flat, a, flat) / np.einsum("ni,ij,nj->n", flat, cvv, flat)
    return out.reshape(w.shape[:-2])


def gaussian_information(rho2: float) -> float:
    """I = -1/2 ln(1 - rho^2) nats between two jointly Gaussian scalars with squared correlation rho^2."""
    return -0.5 * math.log1p(-rho2)


def filter_cosine(weights: np.ndarray) -> float:
    """|cos| of the angle between a b x b filter and the uniform block average (1: the same coarse variable)."""
    w = np.asarray(weights, dtype=float).ravel()
    return float(abs(w.sum()) / (np.linalg.norm(w) * math.sqrt(w.size)))
