"""Wall-clock cost of each distiller against the number of pixels n, dense linear algebra against FFT."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch

from deepcheap.distillation.bands import band_model
from deepcheap.distillation.distillers import dft_matrix, estimate_spectrum, fit_data, fit_parameter, make_map
from deepcheap.distillation.model import GaussianHierarchy, circulant_matrix, wiener_filter
from deepcheap.errors import check_choice, check_int_range
from deepcheap.fits import loglog_slope
from deepcheap.seeds import derive_seed
from deepcheap.threads import torch_threads

STAGE_METHODS = {
    "map-making": ("dense", "fft"),
    "spectrum": ("dense", "fft"),
    "parameter fit": ("bands",),
    "direct likelihood": ("dense", "fft"),  # the undistilled alternative: one likelihood step on raw data
}
STAGES = tuple(STAGE_METHODS)
MIN_BATCH_SECONDS = 0.005  # a timed batch repeats the job until it lasts this long


def stage_job(stage: str, method: str, n: int, *, seed: int, per_octave: int = 4, model: Mapping | None = None):
    """A zero-argument callable running one distiller (``stage``, ``method``) on one simulated vector.

    ``model``: keyword arguments of :class:`GaussianHierarchy` besides n (its defaults otherwise); ``seed``
    draws the data vector. Set-up (fiducial matrices, the DFT matrix, band weights) happens here, outside
    the job. Dense jobs use torch float64 (timed on one thread by :func:`time_stage`), FFT jobs numpy. The dense
    map-maker's job includes its Cholesky factorisation (its O(n^3) part); "direct likelihood" is one
    Fisher-scoring step on the raw data: dense, Cholesky of C(theta) and tr(C^-1 C') (O(n^3)); fft,
    the same in Fourier space (O(n log n)).
    """
    check_choice("stage", stage, STAGES)
    check_choice(f"method for {stage}", method, STAGE_METHODS[stage])
    h = GaussianHierarchy(n, **dict(model or {}))
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
        weights = band_model(h, per_octave)
        dft = torch.from_numpy(dft_matrix(n)) if method == "dense" else None
        mt = torch.from_numpy(m.astype(complex))
        scale = 1 / (wiener_filter(h)[:half] ** 2 * n * h.beam_spectrum()[:half] ** 2)
        shift = h.noise_spectrum()[:half] / h.beam_spectrum()[:half] ** 2
        if dft is not None:
            return lambda: weights.reduce(np.abs((dft @ mt).numpy()) ** 2 * scale - shift)
        return lambda: weights.reduce(np.abs(np.fft.rfft(m)) ** 2 * scale - shift)
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




def time_stage(stage: str, method: str, n: int, *, seed: int, per_octave: int = 4, repeats: int = 3,
               model: Mapping | None = None) -> float:
    """Seconds per call of :func:`stage_job` (one thread): the best of ``repeats`` batches, each >= 5 ms."""
    repeats = check_int_range("repeats", repeats, 1)
    job = stage_job(stage, method, n, seed=seed, per_octave=per_octave, model=model)
    with torch_threads(1):
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


@dataclass(frozen=True)
class StageCost:
    """Seconds per data vector of one distiller at each n, and the fitted exponent of time ~ n^x (n >= fit_from)."""

    stage: str
    method: str
    n: tuple[int, ...]
    seconds: tuple[float, ...]
    fit_from: int
    exponent: float  # NaN if fewer than two sizes are >= fit_from

    def to_dict(self) -> dict:
        return {**asdict(self), "n": list(self.n), "seconds": list(self.seconds)}


def cost_scaling(stage: str, method: str, ns: Sequence[int], *, fit_from: int, seed: int, per_octave: int = 4,
                 repeats: int = 3, model: Mapping | None = None) -> StageCost:
    """Time one distiller at every n in ``ns`` (:func:`time_stage`) and fit the log-log slope over n >= fit_from."""
    ns = tuple(check_int_range("n", n, 4) for n in ns)
    seconds = tuple(time_stage(stage, method, n, seed=derive_seed(seed, stage, method, n), per_octave=per_octave,
                               repeats=repeats, model=model) for n in ns)
    return StageCost(stage, method, ns, seconds, int(fit_from), loglog_slope(ns, seconds, lo=fit_from))
