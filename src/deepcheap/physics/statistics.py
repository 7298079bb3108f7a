"""Error bars for Markov-chain averages: autocorrelation times, binning and the jackknife.

>>> import numpy as np
>>> x = np.random.default_rng(0).normal(size=(4, 4096))
>>> bool(abs(integrated_autocorrelation_time(x) - 0.5) < 0.1)
True

tau_int = 1/2 + sum_{t>=1} rho(t), summed up to Sokal's self-consistent window W >= c tau_int(W)
(c = 5), so the error of a mean of n correlated samples is sqrt(2 tau_int var / n). Bins much longer
than tau_int are nearly independent; non-linear estimators (specific heat, Binder cumulant) take
their errors from the jackknife over such bins.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from deepcheap.errors import InvalidArgumentError


def _chains(series) -> np.ndarray:
    array = np.asarray(series, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] < 2:
        raise InvalidArgumentError(f"a time series needs shape (T,) or (chains, T) with T >= 2; got {array.shape}.")
    return array


def autocorrelation(series) -> np.ndarray:
    """Normalised autocorrelation rho(t), t = 0..T-1, averaged over chains (FFT, unbiased per lag)."""
    x = _chains(series)
    x = x - x.mean(axis=1, keepdims=True)
    T = x.shape[1]
    size = 1 << (2 * T - 1).bit_length()
    spectrum = np.fft.rfft(x, n=size, axis=1)
    acov = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=1)[:, :T].mean(axis=0)
    acov /= np.arange(T, 0, -1)
    if acov[0] <= 0:
        return np.concatenate([[1.0], np.zeros(T - 1)])
    return acov / acov[0]


def integrated_autocorrelation_time(series, c: float = 5.0) -> float:
    """Sokal's windowed tau_int (0.5 for uncorrelated samples)."""
    rho = autocorrelation(series)
    tau = 0.5
    for window in range(1, len(rho)):
        tau += rho[window]
        if window >= c * tau:
            return float(max(tau, 0.5))
    return float(max(tau, 0.5))


def bin_means(series, bins: int = 16) -> np.ndarray:
    """Means of ``bins`` consecutive blocks of each chain, flattened: (chains * bins,)."""
    x = _chains(series)
    length = x.shape[1] // bins
    if length < 1:
        raise InvalidArgumentError(f"{x.shape[1]} samples cannot fill {bins} bins; run more sweeps.")
    return x[:, : length * bins].reshape(x.shape[0], bins, length).mean(axis=2).ravel()


def binning_error(series, bins: int = 16) -> float:
    """Standard error of the mean from (nearly independent) bin means."""
    means = bin_means(series, bins)
    return float(means.std(ddof=1) / np.sqrt(len(means)))


def jackknife(estimator: Callable[..., float], *binned: np.ndarray) -> tuple[float, float]:
    """(value, error) of ``estimator(*means)`` where each argument is an array of bin means."""
    columns = [np.asarray(b, dtype=np.float64) for b in binned]
    n = len(columns[0])
    if n < 2 or any(len(c) != n for c in columns):
        raise InvalidArgumentError("the jackknife needs at least two bins, the same number per observable.")
    totals = [c.sum() for c in columns]
    full = estimator(*[t / n for t in totals])
    leave_one_out = np.array([estimator(*[(t - c[i]) / (n - 1) for t, c in zip(totals, columns, strict=True)])
                              for i in range(n)])
    error = np.sqrt((n - 1) / n * np.sum((leave_one_out - leave_one_out.mean()) ** 2))
    return float(full), float(error)


def estimate(series, bins: int = 16) -> tuple[float, float]:
    """(mean, standard error by binning) of a (chains, T) series."""
    x = _chains(series)
    return float(x.mean()), binning_error(x, bins)


# a run is not in equilibrium when its second half's mean differs from its first half's by more error bars than this
HALF_DIFFERENCE_LIMIT = 4.0
MIN_SWEEPS_PER_TAU = 50.0  # recorded sweeps per tau_int below which the error bars are not trustworthy


@dataclass(frozen=True)
class Equilibration:
    """Second half against first half of a run (in error bars), and its length in units of tau_int."""

    half_difference_sigma: float | None
    tau_int: float
    sweeps_per_tau: float
    passed: bool
    reason: str | None

    def to_dict(self) -> dict:
        return asdict(self)


def equilibration(series, tau_int: float | None = None) -> Equilibration:
    """Did a (chains, T) series reach equilibrium? First-half vs second-half means (in error bars) and run length
    against tau_int; ``passed`` is False, with a ``reason``, if either check fails (thresholds fixed above)."""
    x = _chains(series)
    length = x.shape[1]
    tau = integrated_autocorrelation_time(x) if tau_int is None else float(tau_int)
    half = length // 2
    if half < 2:
        return Equilibration(None, tau, length / tau, False,
                             f"{length} recorded sweeps are too few to test equilibration (at least 4)")
    bins = min(8, half)
    m1, e1 = estimate(x[:, :half], bins)
    m2, e2 = estimate(x[:, half:2 * half], bins)
    spread = math.hypot(e1, e2)
    z = (m2 - m1) / spread if spread > 0 else (0.0 if m1 == m2 else math.inf)
    reasons = []
    if abs(z) > HALF_DIFFERENCE_LIMIT:
        reasons.append(f"the energy drifts: the second half of the run differs from the first by {z:+.1f} error bars")
    if length / tau < MIN_SWEEPS_PER_TAU:
        reasons.append(f"the run is only {length / tau:.1f} autocorrelation times long (tau_int = {tau:.3g} sweeps; "
                       f"at least {MIN_SWEEPS_PER_TAU:.0f} are needed for trustworthy error bars)")
    return Equilibration(float(z), tau, length / tau, not reasons, "; ".join(reasons) or None)


def chain_jackknife(values, chains) -> tuple[float, float]:
    """(mean, error) of ``values`` whose rows come from independent chains (``chains[i]``: row i's chain).

    The jackknife leaves out one whole chain at a time, so the error holds whatever the autocorrelation
    within a chain (chains may have different lengths).

    >>> chain_jackknife([1.0, 3.0, 2.0, 6.0], [0, 0, 1, 1])
    (3.0, 1.0)
    """
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    _, group = np.unique(np.asarray(chains).reshape(-1), return_inverse=True)
    if len(group) != len(x) or group.max(initial=0) < 1:
        raise InvalidArgumentError("the chain jackknife needs one chain id per value and at least two chains.")
    sums, counts = np.bincount(group, weights=x), np.bincount(group).astype(np.float64)
    leave_one_out = (sums.sum() - sums) / (counts.sum() - counts)
    g = len(sums)
    error = math.sqrt((g - 1) / g * float(np.sum((leave_one_out - leave_one_out.mean()) ** 2)))
    return float(x.mean()), error
