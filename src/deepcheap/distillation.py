"""A CMB-like Gaussian hierarchy and its distillers (paper Section III D, Fig. 3 left).

The generative chain, on a periodic 1D grid of n pixels (y_0 -> y_1 -> y_2 -> y_3):

    theta -> S_k(theta) = A (1 + |q_k| / q_c)^(-t) -> sky phi ~ N(0, S) -> data d = B phi + noise

with q_k = 2 pi min(k, n - k) / n, a Gaussian beam b_k = exp(-sigma_b^2 q_k^2 / 2) and white noise
N_k = sigma_n^2. Everything is stationary, so the data covariance C = F^-1 diag(P) F is circulant with
P_k = S_k b_k^2 + N_k. theta is the amplitude A or the tilt t. The distillers run back up:

* map-making (data -> map): the Wiener filter m = S B (B S B + N)^-1 d (invertible, so lossless);
  dense Cholesky solve O(n^3) or FFT O(n log n);
* spectrum estimation (map -> band powers): noise-debiased, beam-deconvolved periodogram averaged over
  log-spaced bands (``per_octave`` per doubling of k) with fiducial inverse-variance weights; dense DFT O(n^2) or FFT;
* parameter fit (band powers -> theta): Gauss-Newton on sum_b (q_b - mu_b(theta))^2 / V_b, O(n_b).

Information kept is the Fisher information about theta at each stage, against the data's
F = 1/2 sum_k (d ln P_k / d theta)^2 (= 1/2 tr(C^-1 C' C^-1 C')); band powers keep
F_bp = sum_b mu_b'^2 / V_b, exactly the inverse asymptotic variance of the fit.

>>> h = GaussianHierarchy(256)
>>> F = fisher_information(h)
>>> bool(abs(F - fisher_information_dense(h)) < 1e-8 * F)
True
>>> 0.9 < bandpower_fisher(h) / F <= 1
True

Maths only: nothing here prints, draws or writes files; timings use time.perf_counter.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import time
from dataclasses import dataclass, replace

import numpy as np
import scipy.linalg
import torch

from deepcheap.errors import InvalidArgumentError, ResourceLimitError, check_choice, check_int_range, check_positive

PARAMETERS = ("amplitude", "tilt")
METHODS = ("fft", "dense")
MAX_DENSE_N = 8192  # dense n x n matrices beyond this are refused (memory)
FIT_ITERATIONS = 8  # Gauss-Newton / Fisher-scoring steps (converged to ~1e-12 for these models)


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
        rng = np.random.default_rng(seed)
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


# --- Fisher information --------------------------------------------------------------------------


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


# --- the distillers ------------------------------------------------------------------------------


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


# --- costs ---------------------------------------------------------------------------------------

STAGE_METHODS = {
    "map-making": ("dense", "fft"),
    "spectrum": ("dense", "fft"),
    "parameter fit": ("bands",),
    "direct likelihood": ("dense", "fft"),  # the undistilled alternative: one likelihood step on raw data
}
STAGES = tuple(STAGE_METHODS)
MIN_BATCH_SECONDS = 0.005  # a timed batch repeats the job until it lasts this long


def stage_job(stage: str, method: str, n: int, *, per_octave: int = 4, seed: int = 0):
    """A zero-argument callable running one distiller (``stage``, ``method``) on one simulated vector.

    Set-up (fiducial matrices, the DFT matrix, band weights) happens here, outside the job. Dense jobs
    use torch float64 (timed on one thread by :func:`time_stage`), FFT jobs numpy. The dense
    map-maker's job includes its Cholesky factorisation (its O(n^3) part); "direct likelihood" is one
    Fisher-scoring step on the raw data: dense, Cholesky of C(theta) and tr(C^-1 C') (O(n^3)); fft,
    the same in Fourier space (O(n log n)).
    """
    check_choice("stage", stage, STAGES)
    check_choice(f"method for {stage}", method, STAGE_METHODS[stage])
    h = GaussianHierarchy(n)
    _, data = h.simulate(1, seed)
    d = data[0]
    half = n // 2 + 1
    if stage == "map-making" and method == "dense":
        C = torch.from_numpy(circulant_matrix(h.data_spectrum()))
        SB = torch.from_numpy(circulant_matrix(h.signal_spectrum() * h.beam_spectrum()))
        dt = torch.from_numpy(d)[:, None]
        return lambda: SB @ torch.cholesky_solve(dt, torch.linalg.cholesky(C))
    if stage == "map-making":
        W = wiener_filter(h)[:half]
        return lambda: np.fft.irfft(W * np.fft.rfft(d), n)
    m = make_map(data, h)[0]
    if stage == "spectrum":
        model = band_model(h, per_octave)
        dft = torch.from_numpy(dft_matrix(n)) if method == "dense" else None
        mt = torch.from_numpy(m.astype(complex))
        scale = 1 / (wiener_filter(h)[:half] ** 2 * n * h.beam_spectrum()[:half] ** 2)
        shift = h.noise_spectrum()[:half] / h.beam_spectrum()[:half] ** 2
        if dft is not None:
            return lambda: model.reduce(np.abs((dft @ mt).numpy()) ** 2 * scale - shift)
        return lambda: model.reduce(np.abs(np.fft.rfft(m)) ** 2 * scale - shift)
    if stage == "parameter fit":
        q = estimate_spectrum(m, h, per_octave)
        return lambda: fit_parameter(q, h, per_octave)
    if method == "dense":
        C = torch.from_numpy(circulant_matrix(h.data_spectrum()))
        dC = torch.from_numpy(circulant_matrix(h.signal_derivative() * h.beam_spectrum() ** 2))
        dt = torch.from_numpy(d)[:, None]

        def job():
            factor = torch.linalg.cholesky(C)
            x = torch.cholesky_solve(dt, factor)[:, 0]
            X = torch.cholesky_solve(dC, factor)
            grad = 0.5 * (x @ dC @ x - torch.trace(X))
            return h.theta + float(grad / (0.5 * torch.sum(X * X.T)))
        return job
    return lambda: fit_data(d, h, iterations=1)


@contextlib.contextmanager
def _one_thread():
    """Run torch's dense kernels on one thread (threads fighting for shared cores make timings chaotic)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def time_stage(stage: str, method: str, n: int, *, per_octave: int = 4, repeats: int = 3, seed: int = 0) -> float:
    """Seconds per call of :func:`stage_job` (one thread): the best of ``repeats`` batches, each >= 5 ms."""
    repeats = check_int_range("repeats", repeats, 1)
    job = stage_job(stage, method, n, per_octave=per_octave, seed=seed)
    with _one_thread():
        start = time.perf_counter()
        job()
        loops = max(1, math.ceil(MIN_BATCH_SECONDS / max(time.perf_counter() - start, 1e-7)))
        best = math.inf
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(loops):
                job()
            best = min(best, (time.perf_counter() - start) / loops)
    return best
