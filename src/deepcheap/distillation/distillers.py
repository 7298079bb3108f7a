"""The distillers, data -> Wiener map -> band powers -> theta^, and their simulated information.

* map-making: the Wiener filter m = S B (B S B + N)^-1 d (invertible, so lossless); dense Cholesky
  solve O(n^3) or FFT O(n log n);
* spectrum estimation: noise-debiased, beam-deconvolved periodogram averaged over log-spaced bands
  (:mod:`~deepcheap.distillation.bands`); dense DFT O(n^2) or FFT;
* parameter fit: Gauss-Newton on sum_b (q_b - mu_b(theta))^2 / V_b, O(n_b);
* :func:`fit_data`: maximum likelihood on the full data, the undistilled reference;
* :func:`simulate_distillers`: every stage's estimator of theta on the same simulations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from deepcheap.distillation.bands import band_model
from deepcheap.distillation.model import (
    MAX_DENSE_N,
    GaussianHierarchy,
    circulant_matrix,
    fisher_information,
    wiener_filter,
)
from deepcheap.errors import InvalidArgumentError, ResourceLimitError, check_choice

METHODS = ("fft", "dense")
FIT_ITERATIONS = 8  # Gauss-Newton / Fisher-scoring steps (converged to ~1e-12 for these models)


def make_map(data: np.ndarray, h: GaussianHierarchy, method: str = "fft") -> np.ndarray:
    """Wiener map m = S B (B S B + N)^-1 d for each row of ``data`` (FFT: diagonal; dense: Cholesky)."""
    check_choice("method", method, METHODS)
    data = np.atleast_2d(np.asarray(data, dtype=float))
    if data.shape[-1] != h.n:
        raise InvalidArgumentError(f"data rows must have n = {h.n} pixels; got {data.shape[-1]}.")
    if method == "fft":
        return np.fft.ifft(wiener_filter(h) * np.fft.fft(data, axis=1), axis=1).real
    C = circulant_matrix(h.data_spectrum())
    SB = circulant_matrix(h.signal_spectrum() * h.beam_spectrum())
    return (SB @ scipy.linalg.cho_solve(scipy.linalg.cho_factor(C), data.T)).T


def dft_matrix(n: int) -> np.ndarray:
    """The rows k = 0..n//2 of the dense DFT matrix exp(-2 pi i j k / n)."""
    if n > MAX_DENSE_N:
        raise ResourceLimitError(f"a dense {n} x {n} DFT is too large (> {MAX_DENSE_N}); use method='fft'.")
    k = np.arange(n // 2 + 1)[:, None]
    return np.exp(-2j * np.pi * ((k * np.arange(n)[None, :]) % n) / n)


def estimate_spectrum(maps: np.ndarray, h: GaussianHierarchy, per_octave: int = 4, method: str = "fft",
                      dft: np.ndarray | None = None) -> np.ndarray:
    """Band powers (rows: maps, columns: bands) of the sky spectrum from Wiener maps.

    The map's Fourier modes are divided by W_k to recover the data's, I_k = |d_k|^2 / n, then
    C^_k = (I_k - N_k) / b_k^2 (unbiased for S_k) and q_b = sum_{k in b} u_k C^_k.
    """
    check_choice("method", method, METHODS)
    maps = np.atleast_2d(np.asarray(maps, dtype=float))
    m = h.n // 2 + 1
    if method == "dense" and dft is None:
        dft = dft_matrix(h.n)
    modes = np.fft.rfft(maps, axis=1) if method == "fft" else maps @ dft.T
    periodogram = np.abs(modes / wiener_filter(h)[:m]) ** 2 / h.n
    C = (periodogram - h.noise_spectrum()[:m]) / h.beam_spectrum()[:m] ** 2
    return band_model(h, per_octave).reduce(C)


def fit_parameter(bandpowers: np.ndarray, h: GaussianHierarchy, per_octave: int = 4,
                  iterations: int = FIT_ITERATIONS) -> np.ndarray:
    """theta^ per row: Gauss-Newton on sum_b (q_b - mu_b(theta))^2 / V_b from the fiducial theta."""
    model = band_model(h, per_octave)
    q = np.atleast_2d(np.asarray(bandpowers, dtype=float))
    V = model.variance()
    theta = np.full((q.shape[0], 1), h.theta)
    for _ in range(iterations):
        mu, d = model.mean(theta), model.derivative(theta)
        theta = theta + (np.sum(d * (q - mu) / V, axis=1) / np.sum(d * d / V, axis=1))[:, None]
    return theta[:, 0]


def fit_data(data: np.ndarray, h: GaussianHierarchy, iterations: int = FIT_ITERATIONS,
             spectrum_filter: np.ndarray | None = None) -> np.ndarray:
    """Maximum likelihood theta^ from the full data (Fisher scoring on the exact Gaussian likelihood).

    ``spectrum_filter`` = W_k fits a filtered map W d instead (its spectrum is W_k^2 P_k).
    """
    data = np.atleast_2d(np.asarray(data, dtype=float))
    filt = np.ones(h.n) if spectrum_filter is None else np.asarray(spectrum_filter, dtype=float)
    periodogram = np.abs(np.fft.fft(data, axis=1)) ** 2 / h.n
    theta = np.full((data.shape[0], 1), h.theta)
    for _ in range(iterations):
        P = h.data_spectrum(theta) * filt**2
        g = h.dlog_data_spectrum(theta)
        step = np.sum((periodogram / P - 1) * g, axis=1) / np.sum(g * g, axis=1)
        theta = theta + step[:, None]
    return theta[:, 0]


STAGE_ESTIMATORS = ("data", "map", "band powers")  # theta^ from the raw data, the Wiener map, the band powers


@dataclass(frozen=True)
class SimulatedInformation:
    """Each stage's estimator of theta on the same ``simulations`` data vectors; ``fisher`` is the data's F.

    ``efficiency[s]`` = 1 / (F var(theta^_s)) (Cramer-Rao: at most 1 as n grows); ``kept[s]`` =
    var(theta^_data) / var(theta^_s), the fraction of the full-data estimator's information that stage s
    keeps (the ratio cancels the finite-n inefficiency the two share).
    """

    simulations: int
    fisher: float
    mean: dict[str, float]
    variance: dict[str, float]

    @property
    def efficiency(self) -> dict[str, float]:
        return {s: 1 / (self.fisher * v) for s, v in self.variance.items()}

    @property
    def kept(self) -> dict[str, float]:
        return {s: self.variance["data"] / v for s, v in self.variance.items()}

    def to_dict(self) -> dict:
        return {"simulations": self.simulations, "fisher": self.fisher, "mean": dict(self.mean),
                "variance": dict(self.variance), "efficiency": self.efficiency, "kept": self.kept}


def simulate_distillers(h: GaussianHierarchy, simulations: int, seed: int, per_octave: int = 4) -> SimulatedInformation:
    """Simulate data, run every stage's estimator of theta (maximum likelihood on the data and on the Wiener
    map, the fit to band powers) and return their means and variances."""
    _, data = h.simulate(simulations, seed)
    maps = make_map(data, h)
    estimates = {"data": fit_data(data, h), "map": fit_data(maps, h, spectrum_filter=wiener_filter(h)),
                 "band powers": fit_parameter(estimate_spectrum(maps, h, per_octave), h, per_octave)}
    return SimulatedInformation(
        simulations=simulations, fisher=fisher_information(h),
        mean={s: float(np.mean(v)) for s, v in estimates.items()},
        variance={s: float(np.var(v, ddof=1)) for s, v in estimates.items()})
