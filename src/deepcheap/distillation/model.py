"""The CMB-like Gaussian hierarchy (theta -> spectrum -> sky -> noisy data) and its exact Fisher information.

On a periodic 1D grid of n pixels, S_k(theta) = A (1 + |q_k| / q_c)^(-t), q_k = 2 pi min(k, n - k) / n,
a Gaussian beam b_k = exp(-sigma_b^2 q_k^2 / 2) and white noise N_k = sigma_n^2: the data covariance is
circulant with eigenvalues P_k = S_k b_k^2 + N_k, and the data's Fisher information about theta is
F = 1/2 sum_k (d ln P_k / d theta)^2 (= 1/2 tr(C^-1 C' C^-1 C'), :func:`fisher_information_dense`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import scipy.linalg

from deepcheap.errors import InvalidArgumentError, ResourceLimitError, check_choice, check_int_range, check_positive
from deepcheap.seeds import numpy_generator

PARAMETERS = ("amplitude", "tilt")
MAX_DENSE_N = 8192  # dense n x n matrices beyond this are refused (memory)


@dataclass(frozen=True)
class GaussianHierarchy:
    """theta -> power spectrum -> Gaussian sky -> beam-smoothed noisy data on n periodic pixels."""

    n: int
    amplitude: float = 1.0
    tilt: float = 2.0
    knee: float = 0.1  # q_c, radians per pixel
    beam: float = 1.0  # Gaussian beam sigma, pixels
    noise: float = 0.1  # white-noise standard deviation per pixel
    parameter: str = "amplitude"

    def __post_init__(self):
        check_int_range("n", self.n, 4, hint="(the grid needs at least 4 pixels)")
        check_positive("amplitude", self.amplitude)
        check_positive("knee", self.knee)
        check_positive("beam", self.beam, allow_zero=True)
        check_positive("noise", self.noise)
        if not math.isfinite(self.tilt):
            raise InvalidArgumentError(f"tilt must be finite; got {self.tilt!r}.")
        check_choice("parameter", self.parameter, PARAMETERS)

    @property
    def theta(self) -> float:
        return self.amplitude if self.parameter == "amplitude" else self.tilt

    def with_theta(self, value: float) -> GaussianHierarchy:
        return replace(self, **{self.parameter: float(value)})

    def frequencies(self) -> np.ndarray:
        """|q_k| = 2 pi min(k, n - k) / n for the n DFT indices."""
        k = np.arange(self.n)
        return 2 * np.pi * np.minimum(k, self.n - k) / self.n

    def beam_spectrum(self) -> np.ndarray:
        return np.exp(-0.5 * (self.beam * self.frequencies()) ** 2)

    def noise_spectrum(self) -> np.ndarray:
        return np.full(self.n, self.noise**2)

    def signal_spectrum(self, theta=None) -> np.ndarray:
        """S_k(theta); ``theta`` may be an array of shape (m, 1) to get (m, n)."""
        A, t = self.amplitude, self.tilt
        if theta is not None:
            A, t = (theta, t) if self.parameter == "amplitude" else (A, theta)
        return A * (1 + self.frequencies() / self.knee) ** (-np.asarray(t))

    def data_spectrum(self, theta=None) -> np.ndarray:
        """P_k(theta) = S_k b_k^2 + N_k: eigenvalues of the circulant data covariance."""
        return self.signal_spectrum(theta) * self.beam_spectrum() ** 2 + self.noise_spectrum()

    def signal_derivative(self, theta=None) -> np.ndarray:
        """dS_k / dtheta."""
        S = self.signal_spectrum(theta)
        if self.parameter == "amplitude":
            A = self.amplitude if theta is None else np.asarray(theta)
            return S / A
        return -S * np.log1p(self.frequencies() / self.knee)

    def dlog_data_spectrum(self, theta=None) -> np.ndarray:
        """d ln P_k / d theta."""
        return self.signal_derivative(theta) * self.beam_spectrum() ** 2 / self.data_spectrum(theta)

    def simulate(self, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """``count`` draws of (sky phi, data d), each of shape (count, n), by FFT (exact covariances)."""
        count = check_int_range("count", count, 1)
        rng = numpy_generator(seed)
        white = rng.standard_normal((count, self.n))
        sky = np.fft.ifft(np.sqrt(self.signal_spectrum()) * np.fft.fft(white, axis=1), axis=1).real
        data = np.fft.ifft(self.beam_spectrum() * np.fft.fft(sky, axis=1), axis=1).real
        data += self.noise * rng.standard_normal((count, self.n))
        return sky, data


def circulant_matrix(spectrum: np.ndarray) -> np.ndarray:
    """The dense symmetric circulant matrix F^-1 diag(spectrum) F (spectrum even: s_k = s_{n-k})."""
    n = len(spectrum)
    if n > MAX_DENSE_N:
        raise ResourceLimitError(f"a dense {n} x {n} matrix is too large (> {MAX_DENSE_N}); use method='fft'.")
    row = np.fft.ifft(spectrum).real
    return scipy.linalg.circulant(row)


def fisher_information(h: GaussianHierarchy) -> float:
    """F = 1/2 sum_k (d ln P_k / d theta)^2: the data's Fisher information about theta (exact, Gaussian)."""
    return float(0.5 * np.sum(h.dlog_data_spectrum() ** 2))


def fisher_information_dense(h: GaussianHierarchy, *, through_map: bool = False) -> float:
    """1/2 tr(C^-1 C' C^-1 C') with dense matrices (the oracle); ``through_map``: of the Wiener map W d."""
    C = circulant_matrix(h.data_spectrum())
    dC = circulant_matrix(h.signal_derivative() * h.beam_spectrum() ** 2)
    if through_map:
        W = circulant_matrix(wiener_filter(h))
        C, dC = W @ C @ W.T, W @ dC @ W.T
    X = scipy.linalg.solve(C, dC, assume_a="pos")
    return float(0.5 * np.trace(X @ X))


def wiener_filter(h: GaussianHierarchy) -> np.ndarray:
    """W_k = S_k b_k / (S_k b_k^2 + N_k) at the fiducial theta (never zero: the map keeps everything)."""
    return h.signal_spectrum() * h.beam_spectrum() / h.data_spectrum()
