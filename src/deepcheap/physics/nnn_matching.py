"""Matched next-nearest-neighbour classes: class 1 gets its own nn coupling K1 + dK1 so that <sum_nn s s> is equal.

>>> from deepcheap.physics.nnn_classes import exact_accuracies
>>> m = matched_classes(4, 1 / 3, 0.3, seed=0)            # exact (enumeration) at L <= 4
>>> r = exact_accuracies(m.classes)                       # Bayes vs the best function of sum_nn s s alone
>>> m.method, round(m.dK1, 4), round(r.bayes, 4), round(r.nn_function, 4)
('exact', -0.2735, 0.7183, 0.648)

With dK1 = 0 the diagonal coupling k2 orders the spins, so the nearest-neighbour sum alone classifies as well as
the Bayes rule (:mod:`deepcheap.physics.nnn_classes`). Here dK1 solves

    <sum_nn s s> at (K1 + dK1, k2)  =  <sum_nn s s> at (K1, 0):

* L <= 4: exactly, by ``scipy.optimize.brentq`` on means from the enumerated density of states of (sum_nn, sum_nnn);
* L > 4: by Monte Carlo with the Metropolis kernel of :mod:`~deepcheap.physics.nnn_classes`. A Robbins-Monro /
  Newton iteration with the fluctuation slope d<sum_nn>/d dK1 = Var(sum_nn) (sampled at the current point), started
  at the linear-response guess dK1 = -k2 Cov_0(sum_nn, sum_nnn) / Var_0(sum_nn): full Newton steps while the
  residual is significant (> 3 standard errors), then gains 1, 1/2, 1/3, ... (so that dK1 averages the root
  estimates of the noisy measurements instead of jumping with each one's noise); each step at most ``max_step`` long
  (far from the root the chains can sit in a frozen phase where Var(sum_nn) is tiny and the Newton step absurd) and
  kept inside the bracket that the significant residuals establish. Where the root lies in a phase the single-spin
  sampler cannot equilibrate (e.g. k2 >= 0.6 at K1 = 1/3, L = 8), it does not converge, and ``residual_z`` says so.
  The returned dK1 is the last point measured, with its residual <sum_nn>_1 - <sum_nn>_0 and that residual's
  batch-means standard error (both classes' errors combined); dK1_stderr = residual_stderr / slope is the standard
  error of the root that this measurement implies (the root estimate is dK1 - residual / slope; conservative, as it
  ignores the earlier measurements).

Only the mean is matched: the classes still differ in the variance and higher moments of sum_nn, so the best
function of sum_nn alone is above chance; :func:`sampled_accuracies` estimates it and the Bayes accuracy for L > 4.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import optimize, special

from deepcheap.errors import check_choice, check_finite, check_int_range, check_positive
from deepcheap.physics.nnn_classes import (
    BATCHES,
    DEFAULT_BURN_IN,
    ENUMERATION_MAX_L,
    NNNClasses,
    _run,
    bayes_log_odds,
    diagonal_products,
    enumerate_configurations,
    log_z_ratio_exact,
    log_z_ratio_ti,
    nearest_products,
    sample,
)
from deepcheap.seeds import derive_seed

SIGNIFICANT = 3.0  # residuals beyond this many standard errors fix the side of the root (bracket)


@functools.lru_cache(maxsize=2)
def _density_of_states(L: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sum_nn values, sum_nnn values, log counts) over all 2^(L^2) states, one entry per distinct pair."""
    states = enumerate_configurations(L)
    pairs, counts = np.unique(np.stack([nearest_products(states), diagonal_products(states)], axis=1), axis=0,
                              return_counts=True)
    return pairs[:, 0].astype(np.float64), pairs[:, 1].astype(np.float64), np.log(counts)


def _exact_nn_moments(L: int, K1: float, K2: float) -> tuple[float, float, float]:
    """(<sum_nn>, Var(sum_nn), Cov(sum_nn, sum_nnn)) of the (K1, K2) model by enumeration."""
    nn, nnn, log_g = _density_of_states(L)
    log_w = log_g + K1 * nn + K2 * nnn
    p = np.exp(log_w - special.logsumexp(log_w))
    mean = float(p @ nn)
    return mean, float(p @ (nn - mean) ** 2), float(p @ ((nn - mean) * (nnn - p @ nnn)))


def _sampled_nn_moments(L, K1, K2, *, seeds, chains, samples, sweeps, burn_in):
    """(<sum_nn>, batch-means standard error, Var(sum_nn), Cov(sum_nn, sum_nnn)) from Metropolis chains."""
    nn, nnn, _ = _run(L, K1, K2, chains=chains, samples=samples, sweeps=sweeps, burn_in=burn_in, seeds=seeds,
                      record=False)
    usable = samples - samples % BATCHES
    batch = nn[:, :usable].reshape(chains * BATCHES, -1).mean(axis=1)
    x, y = nn.ravel().astype(np.float64), nnn.ravel().astype(np.float64)
    return (float(x.mean()), float(batch.std(ddof=1) / math.sqrt(len(batch))), float(x.var()),
            float(np.mean((x - x.mean()) * (y - y.mean()))))


@dataclass(frozen=True)
class MatchedClasses:
    """Classes with <sum_nn s s>_1 = <sum_nn s s>_0 (see the module docstring). ``history`` holds (dK1, residual,
    residual_stderr) per Monte-Carlo iteration (empty for the exact method, whose errors are 0)."""

    classes: NNNClasses
    dK1: float
    dK1_stderr: float
    residual: float
    residual_stderr: float
    method: str
    target: float  # <sum_nn s s>_0
    slope: float  # d<sum_nn s s>_1 / d dK1 = Var_1(sum_nn s s) at dK1
    history: tuple[tuple[float, float, float], ...] = ()

    @property
    def residual_z(self) -> float:
        """The residual in units of its standard error (nan for the exact method)."""
        return self.residual / self.residual_stderr if self.residual_stderr > 0 else math.nan

    def to_dict(self) -> dict:
        d = asdict(self)
        d["classes"], d["history"] = asdict(self.classes), [list(h) for h in self.history]
        return d


def matched_classes(L: int, K1: float, k2: float, *, seed: int, method: str = "auto", iterations: int = 6,
                    samples: int = 4000, chains: int = 4, sweeps: int = 1, burn_in: int = DEFAULT_BURN_IN,
                    max_step: float = 0.25) -> MatchedClasses:
    """Classes (K1, 0) and (K1 + dK1, k2) with equal <sum_nn s s>; ``method`` "exact" (L <= 4), "monte_carlo" or
    "auto" (exact where it can be). Monte Carlo: class 0 and each of ``iterations`` class-1 points from ``chains``
    chains of ``samples`` measurements ``sweeps`` sweeps apart after ``burn_in`` (seeds derive_seed(seed, ...)),
    with steps in dK1 of at most ``max_step``."""
    base = NNNClasses(L, K1, k2)  # validates L, K1, k2
    method = check_choice("method", method, ("auto", "exact", "monte_carlo"))
    if method == "auto":
        method = "exact" if base.L <= ENUMERATION_MAX_L else "monte_carlo"
    if method == "exact":
        if base.L > ENUMERATION_MAX_L:
            check_int_range("L", base.L, 3, ENUMERATION_MAX_L, hint="(method='exact' enumerates 2^(L^2) states; use "
                            "method='monte_carlo' or 'auto')")
        return _match_exact(base)
    iterations = check_int_range("iterations", iterations, 1)
    samples = check_int_range("samples", samples, BATCHES, hint=f"(measurements per chain, in {BATCHES} batches)")
    chains = check_int_range("chains", chains, 2, hint="(independent chains per point, for the error bars)")
    max_step = check_positive("max_step", max_step)
    return _match_monte_carlo(base, seed=seed, iterations=iterations, samples=samples, chains=chains, sweeps=sweeps,
                              burn_in=burn_in, max_step=max_step)


def _match_exact(base: NNNClasses) -> MatchedClasses:
    L, K1, k2 = base.L, base.K1, base.k2
    target, var0, cov0 = _exact_nn_moments(L, K1, 0.0)

    def residual(d):
        return _exact_nn_moments(L, K1 + d, k2)[0] - target

    guess = -k2 * cov0 / var0  # linear response
    lo = hi = guess
    step = 0.05 + abs(guess)
    while residual(lo) > 0:  # <sum_nn> increases with dK1 (its derivative is Var(sum_nn) > 0)
        lo, step = lo - step, 2 * step
    step = 0.05 + abs(guess)
    while residual(hi) < 0:
        hi, step = hi + step, 2 * step
    d = guess if lo == hi else optimize.brentq(residual, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps)
    mean1, var1, _ = _exact_nn_moments(L, K1 + d, k2)
    return MatchedClasses(NNNClasses(L, K1, k2, d), float(d), 0.0, mean1 - target, 0.0, "exact", target, var1)


def _match_monte_carlo(base, *, seed, iterations, samples, chains, sweeps, burn_in, max_step) -> MatchedClasses:
    L, K1, k2 = base.L, base.K1, base.k2
    run = dict(chains=chains, samples=samples, sweeps=sweeps, burn_in=burn_in)
    target, target_err, var0, cov0 = _sampled_nn_moments(
        L, K1, 0.0, seeds=[derive_seed(seed, "class0", c) for c in range(chains)], **run)
    d = -k2 * cov0 / var0 if var0 > 0 else 0.0  # linear response
    lo, hi = -math.inf, math.inf
    history, settled = [], 0  # settled: measurements since the first insignificant residual
    for it in range(iterations):
        mean1, err1, var1, _ = _sampled_nn_moments(
            L, K1 + d, k2, seeds=[derive_seed(seed, "class1", it, c) for c in range(chains)], **run)
        r, err = mean1 - target, math.hypot(err1, target_err)
        history.append((float(d), float(r), float(err)))
        if it == iterations - 1:
            break
        if r > SIGNIFICANT * err:
            hi = min(hi, d)
        elif r < -SIGNIFICANT * err:
            lo = max(lo, d)
        if settled or abs(r) <= SIGNIFICANT * err:
            settled += 1
        step = (-r / var1 if var1 > 0 else -math.copysign(max_step, r)) / max(settled, 1)
        nxt = d + max(-max_step, min(max_step, step))
        if not lo < nxt < hi:  # Newton left the bracket: bisect it, or halve the way to its one finite end
            nxt = 0.5 * (lo + hi) if math.isfinite(lo + hi) else 0.5 * (d + (hi if nxt >= hi else lo))
        d = nxt
    return MatchedClasses(NNNClasses(L, K1, k2, d), float(d), float(err / var1) if var1 > 0 else math.inf, float(r),
                          float(err), "monte_carlo", target, float(var1), tuple(history))


@dataclass(frozen=True)
class SampledAccuracies:
    """Accuracies (equal priors) estimated from ``n`` Metropolis samples per class: the Bayes rule (the sign of the
    exact log-odds with the given ln Z ratio, on all samples), and three rules on sum_nn s s alone, fitted on the first
    half of each class's samples (in time) and scored on the second: the best threshold (either direction), the best
    interval (inside -> either class) and the per-value majority (ties and unseen values score 1/2). The standard
    errors are binomial (successive samples are treated as independent)."""

    n: int
    bayes: float
    bayes_stderr: float
    nn_threshold: float
    nn_interval: float
    nn_bins: float
    nn_stderr: float
    log_z_ratio: float
    log_z_stderr: float

    def to_dict(self) -> dict:
        return asdict(self)


def _binomial_stderr(a0: float, a1: float, m: int) -> float:
    return 0.5 * math.sqrt((a0 * (1 - a0) + a1 * (1 - a1)) / m)


def _nn_rules(train0, train1, test0, test1) -> tuple[float, float, float]:
    """Held-out accuracies of the best threshold, interval and per-value rules on sum_nn (see SampledAccuracies)."""
    values = np.unique(np.concatenate([train0, train1, test0, test1]))
    f0, f1, g0, g1 = (np.bincount(np.searchsorted(values, x), minlength=len(values)) / len(x)
                      for x in (train0, train1, test0, test1))
    c0, c1, h0, h1 = (np.concatenate([[0.0], np.cumsum(f)]) for f in (f0, f1, g0, g1))

    def best(acc_train, acc_test):  # the rule or its complement, whichever fits the training half better
        k = np.unravel_index(np.argmax(np.maximum(acc_train, 1 - acc_train)), acc_train.shape)
        return float(acc_test[k] if acc_train[k] >= 0.5 else 1 - acc_test[k])

    # threshold after the first k values -> class 1 above: accuracy (P0(below) + P1(above)) / 2
    threshold = best(0.5 * (c0 + 1 - c1), 0.5 * (h0 + 1 - h1))
    # interval [values[i], values[j - 1]] -> class 1 inside: (1 - P0(inside) + P1(inside)) / 2
    inside = lambda c: np.triu(c[None, :] - c[:, None])  # noqa: E731  [i, j] = P(values[i] <= x < values[j]), j >= i
    interval = best(0.5 * (1 - inside(c0) + inside(c1)), 0.5 * (1 - inside(h0) + inside(h1)))
    vote = np.sign(f1 - f0)  # per value: +1 -> class 1, -1 -> class 0, 0 -> a coin
    bins = 0.5 * (g1 @ (0.5 + 0.5 * vote) + g0 @ (0.5 - 0.5 * vote))
    return threshold, interval, float(bins)


def sampled_accuracies(classes: NNNClasses, n: int, *, seed: int, sweeps: int = 4, chains: int = 8,
                       burn_in: int = DEFAULT_BURN_IN, log_z_ratio: float | None = None, ti_points: int = 8,
                       ti_samples: int = 4000) -> SampledAccuracies:
    """Bayes and nn-only accuracies from ``n`` samples per class (see :class:`SampledAccuracies`). The ln Z ratio is
    ``log_z_ratio`` if given, else exact at L <= 4, else thermodynamic integration (``ti_points`` nodes, ``ti_samples``
    per chain). An error in it moves the Bayes threshold, which costs accuracy only at second order."""
    n = check_int_range("n", n, 4, hint="(samples per class; half fit the nn-only rules, half score them)")
    if log_z_ratio is not None:
        ratio, ratio_err = check_finite("log_z_ratio", log_z_ratio), 0.0
    elif classes.L <= ENUMERATION_MAX_L:
        ratio, ratio_err = log_z_ratio_exact(classes), 0.0
    else:
        ti = log_z_ratio_ti(classes, points=ti_points, samples=ti_samples, seed=derive_seed(seed, "ti"),
                            burn_in=burn_in)
        ratio, ratio_err = ti.value, ti.stderr
    draws = [sample(classes, c, n, sweeps=sweeps, seed=derive_seed(seed, "class", c), chains=chains, burn_in=burn_in)
             for c in (0, 1)]
    odds = [bayes_log_odds(classes, s, ratio) for s in draws]
    right0 = float(np.mean(odds[0] < 0) + 0.5 * np.mean(odds[0] == 0))
    right1 = float(np.mean(odds[1] > 0) + 0.5 * np.mean(odds[1] == 0))
    nn = [nearest_products(s) for s in draws]
    half = n // 2
    rules = _nn_rules(nn[0][:half], nn[1][:half], nn[0][half:], nn[1][half:])
    m = n - half
    return SampledAccuracies(n, 0.5 * (right0 + right1), _binomial_stderr(right0, right1, n), *rules,
                             _binomial_stderr(0.5, 0.5, m) if m else math.nan, float(ratio), float(ratio_err))
