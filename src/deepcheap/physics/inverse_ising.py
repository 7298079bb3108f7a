"""Inverse Ising by pseudo-likelihood: read fields and couplings off samples of spins.

>>> import itertools
>>> states = np.array(list(itertools.product((-1, 1), repeat=3)))   # all 8 states, weighted exactly below
>>> p = np.exp(0.5 * states[:, 0] * states[:, 1] - 0.2 * states[:, 2])
>>> fit = pseudo_likelihood(states, weights=p / p.sum())
>>> round(float(fit.couplings[0, 1]), 6), round(float(fit.fields[2]), 6), fit.coupling_stderr is None
(0.5, -0.2, True)

Model: spins s in {-1, +1}^N with p(s) ∝ exp(sum_i h_i s_i + sum_{i<j} K_ij s_i s_j). h and K are dimensionless
(the temperature is absorbed): the nearest-neighbour Ising model at temperature T with J = 1 has K_ij = 1/T on
the lattice bonds and 0 elsewhere, h = 0.

Each spin's conditional law given the others is logistic, p(s_i | s_-i) = sigmoid(2 s_i u_i) with
u_i = h_i + sum_j K_ij s_j, so site i is fitted alone by minimising its weighted mean negative log conditional
likelihood plus a ridge term,

    f_i(h_i, K_i.) = sum_s w_s ln(1 + e^(-2 s_i u_i)) + (l2 / 2) sum_j K_ij^2,   sum_s w_s = 1,

    grad f_i = sum_s w_s (tanh u_i - s_i) x_s + l2 K_i.,   Hess f_i = sum_s w_s sech^2(u_i) x_s x_s^T + l2 P,

with x_s = (1, s_j for the allowed j) and P the identity on the couplings (the field is not penalised), by
Newton's method with a backtracking line search (deterministic, float64). The two estimates of each coupling
are then averaged: K_ij = (K_ij from site i + K_ji from site j) / 2. With every state weighted by its exact
probability the estimator is exact (the pseudo-likelihood is maximised at the true parameters).

Standard errors: the sandwich (influence-function) covariance of the stacked site estimators,

    theta_i - theta_i* ≈ sum_s w_s phi_i(s),   phi_i(s) = -Hess f_i^-1 (tanh u_i - s_i) x_s,
    Cov = sum_s w_s (Phi(s) - <Phi>)(Phi(s) - <Phi>)^T / n,

Phi stacking the fields' phi_i[0] and the symmetrised couplings' (phi_i[j] + phi_j[i]) / 2. For one site alone
this is the inverse-Hessian (observed Fisher) error of a logistic regression; stacked, it keeps the correlation
of the two estimates of K_ij (on the 4 x 4 torus at T = 3 nearly complete: var_i/4 + var_j/4, which ignores it,
is sqrt(2) too small) and between couplings (means over bonds: ignoring it, 2x too small there). n = S for
unweighted samples; with ``weights`` the effective n is ambiguous, so errors are reported only when
``samples_equivalent`` gives it (None otherwise). With l2 > 0 the errors are approximate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deepcheap.errors import InvalidArgumentError, check_int_range, check_memory, check_positive

__all__ = ["PseudoLikelihoodFit", "mean_coupling", "pseudo_likelihood"]

MAX_NEWTON_STEPS = 100
DECREMENT_TOLERANCE = 1e-20  # stop when the Newton decrement g.H^-1.g / 2 (the predicted gain) is below this
SEPARATION_LIMIT = 15.0  # |u_i| above this on a weighted sample (flip odds e^-30): the estimate runs to infinity
CONDITION_LIMIT = 1e-12  # smallest / largest Hessian eigenvalue below this: the parameters are not unique


@dataclass(frozen=True, eq=False)
class PseudoLikelihoodFit:
    """Fitted fields (N,) and symmetric couplings (N, N, zero diagonal), with standard errors and the covariance
    (None when the sample size is unknown, see :func:`pseudo_likelihood`). ``pairs`` (P, 2): the fitted pairs
    i < j in row-major order; couplings outside them are exactly 0 with error 0. ``covariance``
    (N + P, N + P): over (fields, couplings at ``pairs``). ``samples``: rows S; ``converged``: every site's
    Newton iteration met its tolerance at finite, unique parameters (separable or collinear samples, e.g. a spin
    that never flips or two that always agree, give neither: those sites' estimates are meaningless and their
    errors NaN; l2 > 0 makes couplings unique, fields stay unpenalised)."""

    fields: np.ndarray
    couplings: np.ndarray
    field_stderr: np.ndarray | None
    coupling_stderr: np.ndarray | None
    samples: int
    converged: bool
    pairs: np.ndarray
    covariance: np.ndarray | None

    def to_dict(self) -> dict:
        """Plain lists, ints, floats and bools (JSON-ready); the covariance ((N + P)^2 numbers) is left out."""
        listed = lambda a: None if a is None else np.asarray(a, dtype=np.float64).tolist()  # noqa: E731
        return {"fields": listed(self.fields), "couplings": listed(self.couplings),
                "field_stderr": listed(self.field_stderr), "coupling_stderr": listed(self.coupling_stderr),
                "samples": int(self.samples), "converged": bool(self.converged),
                "pairs": np.asarray(self.pairs, dtype=np.int64).tolist()}


def _check_samples(samples) -> np.ndarray:
    array = np.asarray(samples)
    if array.ndim != 2:
        raise InvalidArgumentError(f"samples must be a 2D array (S samples, N spins); got shape {array.shape}. "
                                   "Flatten lattice configurations with samples.reshape(len(samples), -1).")
    S, N = array.shape
    if S < 2:
        raise InvalidArgumentError(f"pseudo-likelihood needs at least 2 samples (rows); got {S}.")
    if N < 2:
        raise InvalidArgumentError(f"pseudo-likelihood needs at least 2 spins (columns); got {N}. "
                                   "Pass samples with shape (S, N), one row per configuration.")
    # the float64 copy and each site's design matrix and its weighted copy
    check_memory(f"pseudo-likelihood on {S:,} samples of {N:,} spins", 3.0 * S * N * 8,
                 "fit on fewer samples (or on a subset of the spins).")
    if array.dtype.kind not in "iuf" or not np.all((array == 1) | (array == -1)):
        raise InvalidArgumentError("samples must hold only -1 and +1 (convert 0/1 bits with 2*bits - 1).")
    return array.astype(np.float64)


def _check_weights(weights, S: int) -> np.ndarray:
    if weights is None:
        return np.full(S, 1.0 / S)
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidArgumentError("weights must be an array of S non-negative numbers.") from None
    if w.shape != (S,):
        raise InvalidArgumentError(f"weights must have shape ({S},), one per sample; got {w.shape}.")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise InvalidArgumentError("weights must be finite and >= 0 (e.g. exact probabilities of the states).")
    total = w.sum()
    if not total > 0:
        raise InvalidArgumentError("weights must sum to more than 0; give at least one sample a positive weight.")
    return w / total


def _check_pairs(pairs, N: int) -> np.ndarray:
    """A symmetric boolean (N, N) mask of the couplings allowed to be non-zero."""
    if pairs is None:
        return ~np.eye(N, dtype=bool)
    mask = np.zeros((N, N), dtype=bool)
    for k, pair in enumerate(pairs):
        try:
            i, j = pair
        except (TypeError, ValueError):
            raise InvalidArgumentError(f"pairs[{k}] must be a pair (i, j) of site indices; got {pair!r}.") from None
        hint = f"(sites are numbered 0 to {N - 1}, the columns of samples)"
        i = check_int_range(f"pairs[{k}][0]", i, 0, N - 1, hint=hint)
        j = check_int_range(f"pairs[{k}][1]", j, 0, N - 1, hint=hint)
        if i == j:
            raise InvalidArgumentError(f"pairs[{k}] = ({i}, {j}) couples a spin to itself; s_i^2 = 1 is a "
                                       "constant, so leave it out (fields are always fitted).")
        mask[i, j] = mask[j, i] = True
    return mask


def _softplus(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _sech2(u: np.ndarray) -> np.ndarray:
    """sech^2 u = 4 e^(-2|u|) / (1 + e^(-2|u|))^2, without overflow at large |u| (separable data)."""
    e = np.exp(-2.0 * np.abs(u))
    return 4.0 * e / (1.0 + e) ** 2


def _fit_site(X: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float) -> tuple[np.ndarray, np.ndarray, bool]:
    """Newton's method on one site's f_i; returns (theta, Hessian at theta, converged)."""
    penalty = np.full(X.shape[1], l2)
    penalty[0] = 0.0  # the field

    def objective(theta):
        return float(w @ _softplus(-2.0 * y * (X @ theta)) + 0.5 * penalty @ theta**2)

    def derivatives(theta):
        u = X @ theta
        hessian = (X * (w * _sech2(u))[:, None]).T @ X + np.diag(penalty)
        return X.T @ (w * (np.tanh(u) - y)) + penalty * theta, hessian

    theta = np.zeros(X.shape[1])
    value = objective(theta)
    for _ in range(MAX_NEWTON_STEPS):
        gradient, hessian = derivatives(theta)
        try:
            step = -np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            step = -np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        decrement = float(-gradient @ step)
        if not np.isfinite(decrement):
            return theta, hessian, False
        if decrement / 2 <= DECREMENT_TOLERANCE:
            eigenvalues = np.linalg.eigvalsh(hessian)
            unique = eigenvalues[0] > CONDITION_LIMIT * eigenvalues[-1]
            return theta, hessian, bool(unique and np.max(np.abs(X[w > 0] @ theta)) < SEPARATION_LIMIT)
        t = 1.0
        if decrement > 1e-12:  # else f changes below its rounding: the full step (quadratic convergence)
            while (trial := objective(theta + t * step)) > value - 1e-4 * t * decrement:
                t /= 2
                if t < 1e-10:
                    return theta, hessian, False
            value = trial
        theta = theta + t * step
    return theta, derivatives(theta)[1], False


def _design(s: np.ndarray, others: np.ndarray) -> np.ndarray:
    X = np.empty((len(s), len(others) + 1))
    X[:, 0] = 1.0
    X[:, 1:] = s[:, others]
    return X


def _covariance(s, w, n, sites, index) -> np.ndarray:
    """Sandwich covariance over (fields, fitted couplings), accumulated over chunks of samples."""
    S, N = s.shape
    D = N + int(index.max()) + 1 if index.max() >= 0 else N
    check_memory(f"the covariance of {D:,} fitted parameters", 8.0 * D * D * 2,
                 "restrict pairs= (e.g. to the lattice bonds) to fit fewer couplings.")
    first, second = np.zeros(D), np.zeros((D, D))
    rows = max(1, min(S, 2**22 // D))  # 32 MiB of influence values per chunk
    for start in range(0, S, rows):
        chunk, wc = s[start:start + rows], w[start:start + rows]
        phi = np.zeros((len(chunk), D))
        for i, (others, theta, inverse) in enumerate(sites):
            X = _design(chunk, others)
            influence = (chunk[:, i] - np.tanh(X @ theta))[:, None] * (X @ inverse)
            phi[:, i] = influence[:, 0]
            phi[:, N + index[i, others]] += 0.5 * influence[:, 1:]
        first += wc @ phi
        second += (phi * wc[:, None]).T @ phi
    return (second - np.outer(first, first)) / n


def pseudo_likelihood(samples, *, weights=None, pairs=None, l2: float = 0.0,
                      samples_equivalent: float | None = None) -> PseudoLikelihoodFit:
    """Fit h and K of p(s) ∝ exp(h.s + sum_{i<j} K_ij s_i s_j) to ``samples`` (S, N) of ±1 by pseudo-likelihood.

    ``weights`` (S,): non-negative, normalised here (e.g. exact probabilities of all 2^N states: then the fit is
    exact); ``pairs``: the (i, j) allowed to couple (default all); ``l2``: ridge penalty (l2 / 2) sum K^2 on each
    site's mean negative log conditional likelihood; ``samples_equivalent``: the n that standard errors assume
    (default S when unweighted; weighted fits report errors only when it is given).
    """
    s = _check_samples(samples)
    S, N = s.shape
    w = _check_weights(weights, S)
    mask = _check_pairs(pairs, N)
    l2 = check_positive("l2", l2, allow_zero=True)
    if samples_equivalent is not None:
        n = check_positive("samples_equivalent", samples_equivalent)
    else:
        n = float(S) if weights is None else None

    fitted = np.argwhere(np.triu(mask))  # (P, 2), i < j, row-major
    index = np.full((N, N), -1, dtype=np.int64)
    index[fitted[:, 0], fitted[:, 1]] = index[fitted[:, 1], fitted[:, 0]] = np.arange(len(fitted))
    fields, site_couplings = np.zeros(N), np.zeros((N, N))  # row i of site_couplings: site i's K_i.
    sites, converged = [], True
    for i in range(N):
        others = np.flatnonzero(mask[i])
        theta, hessian, ok = _fit_site(_design(s, others), s[:, i].copy(), w, l2)
        converged &= ok
        fields[i], site_couplings[i, others] = theta[0], theta[1:]
        if n is not None:  # a site that did not converge (e.g. a spin that never flips) gets NaN errors
            try:
                inverse = np.linalg.inv(hessian) if ok else np.full_like(hessian, np.nan)
            except np.linalg.LinAlgError:
                inverse = np.full_like(hessian, np.nan)
            sites.append((others, theta, inverse))

    couplings = 0.5 * (site_couplings + site_couplings.T)
    covariance = field_stderr = coupling_stderr = None
    if n is not None:
        covariance = _covariance(s, w, n, sites, index)
        stderr = np.sqrt(np.maximum(np.diag(covariance), 0.0))
        field_stderr, coupling_stderr = stderr[:N], np.zeros((N, N))
        coupling_stderr[fitted[:, 0], fitted[:, 1]] = coupling_stderr[fitted[:, 1], fitted[:, 0]] = stderr[N:]
    return PseudoLikelihoodFit(fields, couplings, field_stderr, coupling_stderr, S, bool(converged), fitted,
                               covariance)


def mean_coupling(fit: PseudoLikelihoodFit, pairs) -> tuple[float, float | None]:
    """Mean of K_ij over the distinct ``pairs`` (e.g. all nearest-neighbour bonds) and its standard error
    sqrt(sum_ab Cov(K_a, K_b)) / len(pairs), correlations included (None without a covariance); pairs that were
    not fitted count as exact zeros."""
    N = len(fit.fields)
    i, j = np.nonzero(np.triu(_check_pairs(pairs, N)))
    if len(i) == 0:
        raise InvalidArgumentError("mean_coupling needs at least one pair (i, j).")
    mean = float(fit.couplings[i, j].mean())
    if fit.covariance is None:
        return mean, None
    lookup = {(a, b): k for k, (a, b) in enumerate(np.asarray(fit.pairs).tolist())}
    columns = [N + lookup[p] for p in zip(i.tolist(), j.tolist(), strict=True) if p in lookup]
    variance = float(fit.covariance[np.ix_(columns, columns)].sum())
    return mean, float(np.sqrt(max(variance, 0.0))) / len(i)
