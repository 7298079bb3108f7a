"""Exact Fisher information about relevant and irrelevant couplings kept by coarse-graining rules (issue 20).

>>> field = GaussianField(32, near_massless_point(32))
>>> flow = fisher_flow(field, "block", levels=3)
>>> flow.sides
(32, 16, 8, 4)
>>> bool(np.all(np.diff(flow.exponents(), axis=1) < 0))  # y0 keeps more than y1, y1 more than y2, every level
True

The field: a real Gaussian field on a periodic L x L lattice, H = sum_k h_k |phi_k|^2, h_k = y0 + y1 k^2 + y2 k^4
(k^2 = 4 sum_j sin^2(k_j / 2), :class:`~deepcheap.renormalization.flow.GaussianField`). Its covariance is
circulant with eigenvalues P_k = 1 / (2 h_k), so for couplings y_i (i = 0, 1, 2)

    d_i P_k = -k^(2i) / (2 h_k^2) = -k^(2i) P_k / h_k,    F_ij = 1/2 sum_k (d_i P_k / P_k)(d_j P_k / P_k)
                                                              = 1/2 sum_k k^(2i) k^(2j) / h_k^2

(the Gaussian Fisher matrix 1/2 tr(C^-1 d_i C C^-1 d_j C), diagonal in the Fourier basis).

Coarse-graining rules, b x b blocks, level l keeps (L / b^l)^2 numbers (equal compression):

* a linear filter w on each block, phi'_X = sum_u w_u phi_(bX + u): ``block`` (w = 1 / b^2), ``decimation``
  (w = delta_u0), ``pca`` and ``rsmi`` (learned from the current spectrum at each level,
  :mod:`~deepcheap.renormalization.unsupervised`). With W(k) = sum_u w_u e^(iku) the coarse spectrum is the
  alias sum P'_K = b^-2 sum_(m in Z_b^2) |W(k_m)|^2 P(k_m), k_m = (K + 2 pi m) / b, and d_i P' is the same
  linear sum of d_i P: the coarse Fisher matrix is exact at any L, level after level;
* ``random``: (L / b^l)^2 sites at uniformly random positions of the fine lattice; C restricted to them
  (C(r) the inverse DFT of P), F = 1/2 tr(C^-1 dC_i C^-1 dC_j) by Cholesky, averaged over ``draws`` draws
  (the Fisher matrix of the experiment whose design is drawn at random).

Prediction (written before any exact number was computed). Near the massless point (y0 = (2 pi / L)^2,
y1 = y2 = 1) a block average keeps the modes |k| < Lambda = pi / b^l nearly undistorted and mixes in little
of the aliases, so F_ii(l) ~ 1/2 sum_(|k| < Lambda) (k^(2i) / h_k)^2. Counting modes in d = 2
(sum_(|k| < Lambda) ~ (L / 2 pi)^2 pi Lambda^2): F_00 is dominated by the few lowest modes (infrared, all
kept): exponent ~ 0; F_11 ~ #modes with sqrt(y0) << k << Lambda ~ Lambda^2: exponent -2; F_22 ~ sum k^4 ~
Lambda^6: exponent -6. These are the asymptotic slopes; with y2 = y1 the crossover k^2 = y1 / y2 = 1 is
at the lattice scale, so the first levels are shallower: the continuum disk integrals give about
(0, -0.35, -3.1) at l = 1, (0, -0.9, -4.2) at l = 2, (0, -1.5, -5.3) at l = 3, (0, -1.85, -5.7) at l = 4.
:func:`low_pass_fisher` is that mode-counting model summed exactly on the lattice (an ideal low-pass filter).
Decimation and random sites alias every fine mode into the kept ones at full weight, so their y2
information should fall like the number of kept numbers, b^(-2l).

What the exact sums give (computed after the prediction above was written; the prediction was not changed).
Block averaging, L = 64, levels 1-4: y0 -0.001, -0.007, -0.05, -0.22; y1 -0.60, -0.96, -1.65, -2.40;
y2 -2.80, -3.76, -4.85, -5.56 (L = 128: y1 -0.57, -0.90, -1.50, -2.03; y2 -2.80, -3.74, -4.78, -5.46). The
mode-counting estimate is confirmed, including the slow approach to -2 and -6: the disk integrals above are within
about 0.5 of every exponent, and :func:`low_pass_fisher` (the same model on the lattice) within 0.2 except at
L = 64's last level (0.36 for y2). y0's exponent turns negative at the last levels because the coarse zone's edge
pi / b^l approaches sqrt(y0) = 2 pi / L (L = 64, level 4: a 4 x 4 coarse lattice). The corrections: decimation and
random sites do not fall like b^(-2l) in y2 but at -2.5 to -3.2 per level (their per-site y2 information falls too),
so at level 3 they keep only 5.6x and 9.6x more of y2 than block averaging (L = 64; 5.2x and 9.0x at
L = 128), 43x and 65x at level 4. PCA and RSMI learn the uniform filter at every level (exactly, up to rounding),
so their numbers are block averaging's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from deepcheap.errors import (
    MEMORY_LIMIT_BYTES,
    InvalidArgumentError,
    check_choice,
    check_int_range,
    check_memory,
)
from deepcheap.renormalization.flow import GaussianField, alias_sum, coarse_side, lattice_k2
from deepcheap.renormalization.unsupervised import LearnedFilter, correlation, filter_cosine, pca_filter, rsmi_filter
from deepcheap.seeds import derive_seed, numpy_generator

RULES = ("block", "decimation", "random", "pca", "rsmi")
PREDICTED_BLOCK_EXPONENTS = (0.0, -2.0, -6.0)  # asymptotic log_b F_ii(l + 1) / F_ii(l) under block averaging


def near_massless_point(L: int) -> tuple[float, float, float]:
    """(y0, y1, y2) = ((2 pi / L)^2, 1, 1): the mass term equals the gradient term at the lowest lattice momentum."""
    L = check_int_range("L", L, 2)
    return ((2 * math.pi / L) ** 2, 1.0, 1.0)


def _check_field(field) -> GaussianField:
    if not isinstance(field, GaussianField):
        raise InvalidArgumentError(f"field must be a GaussianField; got {type(field).__name__}.")
    if field.couplings[0] <= 0:
        raise InvalidArgumentError("the Fisher information needs y0 > 0 (at y0 = 0 the zero mode is not "
                                   "normalisable); near the massless point use near_massless_point(L).")
    return field


def spectrum_derivatives(field: GaussianField) -> np.ndarray:
    """d_i P_k = -k^(2i) P_k / h_k for i = 0, 1, 2, shape (3, L, L)."""
    field = _check_field(field)
    k2, h = lattice_k2(field.L), field.kernel()
    return np.stack([-(k2**i) / (2 * h**2) for i in range(3)])


def fisher_from_spectrum(spectrum: np.ndarray, derivatives: np.ndarray) -> np.ndarray:
    """F_ij = 1/2 sum_K (d_i P_K / P_K)(d_j P_K / P_K) over the modes with P_K > 0 (the others are constant)."""
    keep = spectrum > 0
    g = derivatives[:, keep] / spectrum[keep]
    return 0.5 * g @ g.T


def fine_fisher(field: GaussianField) -> np.ndarray:
    """The fine field's 3 x 3 Fisher matrix, 1/2 sum_k k^(2i) k^(2j) / h_k^2."""
    return fisher_from_spectrum(_check_field(field).spectrum(), spectrum_derivatives(field))


def block_filter(b: int) -> np.ndarray:
    """w = 1 / b^2 on every site of the block."""
    return np.full((b, b), 1.0 / b**2)


def decimation_filter(b: int) -> np.ndarray:
    """w = 1 on the block's corner site, 0 elsewhere."""
    w = np.zeros((b, b))
    w[0, 0] = 1.0
    return w


def _check_filter(weights, L: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] < 1:
        raise InvalidArgumentError(f"a filter must be a square b x b array; got shape {w.shape}.")
    if not np.all(np.isfinite(w)) or not np.any(w):
        raise InvalidArgumentError("a filter must be finite and not all zero.")
    coarse_side(L, w.shape[0])
    return w


def filter_window(L: int, weights: np.ndarray) -> np.ndarray:
    """|W(k)|^2, W(k) = sum_u w_u e^(iku), on the L x L grid of fine momenta."""
    w = _check_filter(weights, L)
    padded = np.zeros((L, L))
    padded[: w.shape[0], : w.shape[1]] = w
    return np.abs(np.fft.fft2(padded)) ** 2


def filter_spectrum(spectra: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The alias sum b^-2 sum_m |W(k_m)|^2 S(k_m) for arrays S of shape (..., L, L): shape (..., L / b, L / b).

    Linear in S: apply it to P for the coarse spectrum and to d_i P for its derivatives.
    """
    spectra = np.asarray(spectra, dtype=float)
    return alias_sum(spectra * filter_window(spectra.shape[-1], weights), np.shape(weights)[0])


def filters_fisher(field: GaussianField, filters: Sequence[np.ndarray]) -> list[np.ndarray]:
    """F(l) for l = 0..len(filters) by alias sums, filter l applied at level l (the fixed-filter rules)."""
    spectrum, deriv = _check_field(field).spectrum(), spectrum_derivatives(field)
    out = [fisher_from_spectrum(spectrum, deriv)]
    for w in filters:
        spectrum, deriv = filter_spectrum(spectrum, w), filter_spectrum(deriv, w)
        out.append(fisher_from_spectrum(spectrum, deriv))
    return out


def low_pass_fisher(field: GaussianField, b: int, level: int) -> np.ndarray:
    """The mode-counting model: 1/2 sum over the fine modes with |k_j| < pi / b^level (both j) of the fine
    summands (an ideal low-pass filter keeps exactly these, undistorted and without aliases)."""
    field = _check_field(field)
    M = coarse_side(field.L, check_int_range("b", b, 2) ** check_int_range("level", level, 0))
    n = np.fft.fftfreq(field.L, 1 / field.L)
    keep = (np.abs(n) < M / 2)[:, None] & (np.abs(n) < M / 2)[None, :]
    if M % 2 == 0:  # the Nyquist row/column: one of +-M/2 belongs to the coarse zone
        keep |= ((n == -M // 2)[:, None] & (np.abs(n) <= M // 2)[None, :]) | (
            (np.abs(n) <= M // 2)[:, None] & (n == -M // 2)[None, :])
    return fisher_from_spectrum(np.where(keep, field.spectrum(), 0.0), spectrum_derivatives(field) * keep)


def dense_fisher(cov: np.ndarray, derivatives: Sequence[np.ndarray]) -> np.ndarray:
    """F_ij = 1/2 tr(C^-1 dC_i C^-1 dC_j) for dense matrices, by Cholesky: A_i = L^-1 dC_i L^-T, F = 1/2 <A_i, A_j>.

    ``derivatives`` may be a lazy iterable (one dC_i in memory at a time); ``cov`` is overwritten.
    """
    try:
        chol = scipy.linalg.cholesky(cov, lower=True, overwrite_a=True, check_finite=False)
    except np.linalg.LinAlgError:
        raise InvalidArgumentError("the covariance is not positive definite: a coarse variable is (nearly) "
                                   "constant; check the filter and y0 > 0.") from None
    a = []
    for d in derivatives:
        x = scipy.linalg.solve_triangular(chol, d, lower=True, check_finite=False)
        a.append(scipy.linalg.solve_triangular(chol, x.T, lower=True, overwrite_b=True, check_finite=False))
    return 0.5 * np.array([[np.vdot(ai, aj) for aj in a] for ai in a])


def _covariances(field: GaussianField) -> np.ndarray:
    """C(r) and d_i C(r), the inverse DFTs of P and d_i P, shape (4, L, L)."""
    return correlation(np.concatenate([field.spectrum()[None], spectrum_derivatives(field)]))


def random_sites_fisher(field: GaussianField, count: int, seed: int,
                        memory_limit: float = MEMORY_LIMIT_BYTES) -> np.ndarray:
    """The Fisher matrix of ``count`` sites drawn uniformly without replacement from the L x L lattice."""
    field = _check_field(field)
    L = field.L
    count = check_int_range("count", count, 1, L**2)
    check_memory(f"the dense covariance of {count} random sites", 8.0 * 8 * count**2,
                 "use a smaller L or fewer levels, or leave out the 'random' rule.", memory_limit)
    sites = numpy_generator(seed).choice(L**2, size=count, replace=False)
    x, y = np.divmod(sites, L)
    flat = (((x[:, None] - x[None, :]) % L) * L + (y[:, None] - y[None, :]) % L).astype(np.int32)
    corr = _covariances(field).reshape(4, -1)
    return dense_fisher(corr[0][flat], (c[flat] for c in corr[1:]))


def filter_matrix(L: int, weights: np.ndarray) -> np.ndarray:
    """The (L/b)^2 x L^2 matrix R of phi'_X = sum_u w_u phi_(bX + u) (row-major sites), for dense checks."""
    w = _check_filter(weights, L)
    b = w.shape[0]
    M = L // b
    X, Y, u, v = np.meshgrid(np.arange(M), np.arange(M), np.arange(b), np.arange(b), indexing="ij")
    R = np.zeros((M * M, L * L))
    R[(X * M + Y).ravel(), ((b * X + u) * L + b * Y + v).ravel()] = np.broadcast_to(w, X.shape).ravel()
    return R


def dense_filter_fisher(field: GaussianField, filters: Sequence[np.ndarray],
                        memory_limit: float = MEMORY_LIMIT_BYTES) -> list[np.ndarray]:
    """F(l) for l = 0..len(filters) by explicit matrices: C' = R C R^T, dC' = R dC R^T, R the product of the
    levels' :func:`filter_matrix` (an independent check of the alias sums; small L only)."""
    field = _check_field(field)
    L = field.L
    check_memory(f"the dense {L**2} x {L**2} covariance", 8.0 * 6 * L**4, "use L <= 32.", memory_limit)
    x = np.arange(L**2)
    flat = (((x[:, None] // L - x[None, :] // L) % L) * L + (x[:, None] % L - x[None, :] % L) % L)
    mats = [c.ravel()[flat] for c in _covariances(field)]
    out, R, side = [dense_fisher(mats[0].copy(), mats[1:])], np.eye(L**2), L
    for w in filters:
        R = filter_matrix(side, w) @ R
        side //= np.shape(w)[0]
        out.append(dense_fisher(R @ mats[0] @ R.T, [R @ m @ R.T for m in mats[1:]]))
    return out


def _marginal(F: np.ndarray) -> np.ndarray:
    """1 / (F^-1)_ii, as the Schur complement F_ii - F_i,o F_oo^+ F_o,i (0 where y_i is not identifiable)."""
    out = []
    for i in range(len(F)):
        o = [j for j in range(len(F)) if j != i]
        x = np.linalg.lstsq(F[np.ix_(o, o)], F[o, i], rcond=1e-13)[0]
        out.append(max(F[i, i] - F[i, o] @ x, 0.0))
    return np.array(out)


@dataclass(frozen=True, eq=False)
class FisherFlow:
    """One rule's Fisher matrices F(l), l = 0..levels (F(0) the fine field's), with what made each level."""

    rule: str
    b: int
    couplings: tuple[float, float, float]
    sides: tuple[int, ...]  # L / b^l
    matrices: tuple[np.ndarray, ...]  # 3 x 3 per level
    filters: tuple[np.ndarray | None, ...]  # the b x b filter of each level l >= 1 (None: random sites)
    learned: tuple[LearnedFilter | None, ...]  # pca / rsmi: the optimisation behind each filter
    spread: tuple[np.ndarray | None, ...]  # random: (min, max) of F_ii over draws, shape (2, 3), per level
    draws: tuple[int, ...] | None = None  # random: draws averaged at levels 1..levels
    seed: int | None = None

    def diagonal(self) -> np.ndarray:
        """F_ii per level, shape (levels + 1, 3)."""
        return np.array([np.diag(F) for F in self.matrices])

    def marginal(self) -> np.ndarray:
        """1 / (F^-1)_ii per level (information about y_i with the other couplings unknown)."""
        return np.array([_marginal(F) for F in self.matrices])

    def retained(self) -> np.ndarray:
        """F_ii(l) / F_ii(0)."""
        d = self.diagonal()
        return d / d[0]

    def exponents(self) -> np.ndarray:
        """log_b F_ii(l + 1) / F_ii(l), shape (levels, 3)."""
        return retention_exponents(self.diagonal(), self.b)

    def cosines(self) -> list[float | None]:
        """|cos| between each level's filter and the uniform block average (None for random sites)."""
        return [None if w is None else filter_cosine(w) for w in self.filters]

    def to_dict(self) -> dict:
        return {"rule": self.rule, "b": self.b, "couplings": list(self.couplings), "sides": list(self.sides),
                "fisher": [F.tolist() for F in self.matrices], "diagonal": self.diagonal().tolist(),
                "marginal": self.marginal().tolist(), "retained": self.retained().tolist(),
                "exponents": self.exponents().tolist(), "cosines": self.cosines(),
                "filters": [None if w is None else w.tolist() for w in self.filters],
                "learned": [None if x is None else x.to_dict() for x in self.learned],
                "spread": [None if s is None else s.tolist() for s in self.spread],
                "draws": None if self.draws is None else list(self.draws), "seed": self.seed}


def retention_exponents(values: np.ndarray, b: int) -> np.ndarray:
    """log_b(F(l + 1) / F(l)) along the first axis."""
    values = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(values[1:] / values[:-1]) / math.log(b)


def fisher_flow(field: GaussianField, rule: str, b: int = 2, levels: int = 3, *, seed: int | None = None,
                draws: int | Sequence[int] = 4, buffer: int = 1, ring: int = 2,
                memory_limit: float = MEMORY_LIMIT_BYTES) -> FisherFlow:
    """The Fisher matrix about (y0, y1, y2) of the coarse variables of ``rule`` at levels 0..``levels``.

    ``seed`` and ``draws``: random sites only; ``draws`` per level (one number for every level, or one per level
    1..levels: deep levels are cheap, so more draws there cost little); draw d of level l uses
    ``derive_seed(seed, "random", l, d)``. ``buffer`` and ``ring``: the RSMI environment (widths, in sites of
    the current lattice).
    """
    field = _check_field(field)
    rule = check_choice("rule", rule, RULES)
    b, levels = check_int_range("b", b, 2), check_int_range("levels", levels, 0)
    if field.L % b**levels:
        raise InvalidArgumentError(f"L = {field.L} must be divisible by b^levels = {b**levels}: use fewer levels "
                                   "or an L that is a multiple of it.")
    if rule == "random" and seed is None:
        raise InvalidArgumentError("the 'random' rule draws site positions: pass seed= (an integer).")
    per_level = [draws] * levels if np.ndim(draws) == 0 else list(draws)
    if len(per_level) != levels:
        raise InvalidArgumentError(f"draws must be one number or one per level 1..{levels}; got {draws!r}.")
    per_level = [check_int_range("draws", d, 1) for d in per_level]
    spectrum, deriv = field.spectrum(), spectrum_derivatives(field)
    matrices, filters, learned, spread = [fisher_from_spectrum(spectrum, deriv)], [], [], [None]
    for lv in range(1, levels + 1):
        if rule == "random":
            per = [random_sites_fisher(field, (field.L // b**lv) ** 2, derive_seed(seed, "random", lv, d),
                                       memory_limit) for d in range(per_level[lv - 1])]
            matrices.append(np.mean(per, axis=0))
            diag = np.array([np.diag(F) for F in per])
            filters.append(None), learned.append(None), spread.append(np.stack([diag.min(0), diag.max(0)]))
            continue
        fit = None
        if rule == "block":
            w = block_filter(b)
        elif rule == "decimation":
            w = decimation_filter(b)
        else:
            fit = pca_filter(spectrum, b) if rule == "pca" else rsmi_filter(spectrum, b, buffer, ring)
            w = fit.weights
        spectrum, deriv = filter_spectrum(spectrum, w), filter_spectrum(deriv, w)
        matrices.append(fisher_from_spectrum(spectrum, deriv))
        filters.append(w), learned.append(fit), spread.append(None)
    return FisherFlow(rule, b, field.couplings, tuple(field.L // b**lv for lv in range(levels + 1)),
                      tuple(matrices), (None, *filters), (None, *learned), tuple(spread),
                      tuple(per_level) if rule == "random" else None, seed if rule == "random" else None)


def fisher_retention(field: GaussianField, rules: Sequence[str] = RULES, b: int = 2, levels: int = 3,
                     **kwargs) -> dict[str, FisherFlow]:
    """:func:`fisher_flow` for each rule (same keyword arguments), keyed by rule."""
    return {rule: fisher_flow(field, rule, b, levels, **kwargs) for rule in rules}
