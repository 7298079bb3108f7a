"""Block averaging a Gaussian free field: the coupling flow y_i -> b^(2 - 2i) y_i (Section III E, Eqs. 23-24).

A free field on a periodic L x L lattice with H = sum_k (y_0 + y_1 k^2 + y_2 k^4) |phi_k|^2
(k^2 = 4 sum_j sin^2(k_j / 2), unitary DFT) has <|phi_k|^2> = 1 / (2 h_k). Averaging b x b blocks and
measuring lengths in blocks maps, at low k, h(k) -> b^2 h(K / b), i.e. y_i -> b^(2 - 2i) y_i.
:func:`coarse_spectrum` gives the block field's exact spectrum (an alias sum); :func:`fit_couplings` reads
y' back from a spectrum, exact or sampled (:func:`sampled_coarse_spectra`).

>>> f = GaussianField(128, (0.0, 0.0, 1.0))
>>> y = fit_couplings(coarse_spectrum(f, 2), window=0.5)
>>> round(float(np.log2(y[2] / 1.0)), 2)  # y_2 -> b^-2 y_2 (the paper's b^(2 - 2i), i = 2)
-2.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from deepcheap.errors import InvalidArgumentError, check_int_range, check_positive
from deepcheap.seeds import derive_seed, numpy_generator


def lattice_k2(L: int) -> np.ndarray:
    """k^2 = 4 sum_j sin^2(k_j / 2) on the L x L grid of momenta k_j = 2 pi m_j / L (lattice Laplacian)."""
    s = 4 * np.sin(np.pi * np.arange(L) / L) ** 2
    return s[:, None] + s[None, :]


@dataclass(frozen=True)
class GaussianField:
    """p(phi) proportional to exp(-sum_k (y0 + y1 k^2 + y2 k^4) |phi_k|^2) on an L x L periodic lattice.

    If y0 = 0 the zero mode is pinned (phi sums to 0): its spectrum entry is 0.
    """

    L: int
    couplings: tuple[float, float, float]

    def __post_init__(self):
        check_int_range("L", self.L, 2)
        if len(self.couplings) != 3:
            raise InvalidArgumentError(f"couplings must be (y0, y1, y2); got {self.couplings!r}.")
        y = tuple(check_positive(f"y{i}", v, allow_zero=True) for i, v in enumerate(self.couplings))
        if y[1] == 0 and y[2] == 0 and y[0] == 0:
            raise InvalidArgumentError("at least one coupling must be > 0 (otherwise exp(-H) is not normalisable).")
        object.__setattr__(self, "couplings", y)

    def kernel(self) -> np.ndarray:
        """h_k = y0 + y1 k^2 + y2 k^4, shape (L, L)."""
        k2 = lattice_k2(self.L)
        y0, y1, y2 = self.couplings
        return y0 + y1 * k2 + y2 * k2**2

    def spectrum(self) -> np.ndarray:
        """P_k = <|phi_k|^2> = 1 / (2 h_k) (0 for a pinned zero mode)."""
        h = self.kernel()
        with np.errstate(divide="ignore"):
            return np.where(h > 0, 0.5 / np.where(h > 0, h, 1.0), 0.0)

    def sample(self, count: int, seed: int) -> np.ndarray:
        """``count`` exact draws, shape (count, L, L): phi = F^-1 sqrt(P) F w with white w."""
        count = check_int_range("count", count, 1)
        rng = numpy_generator(seed)
        white = rng.standard_normal((count, self.L, self.L))
        return np.fft.ifft2(np.sqrt(self.spectrum()) * np.fft.fft2(white), axes=(1, 2)).real


def coarse_side(L: int, b: int) -> int:
    """L / b, the side of the coarse lattice, for a block size b (>= 1) that divides L."""
    b = check_int_range("b", b, 1)
    if L % b:
        raise InvalidArgumentError(f"the block size b = {b} must divide L = {L}.")
    return L // b


def block_average(fields: np.ndarray, b: int) -> np.ndarray:
    """phi'_X = b^-2 sum_{u in [0, b)^2} phi_{bX + u}, for fields of shape (..., L, L) with b | L."""
    fields = np.asarray(fields)
    m = coarse_side(fields.shape[-1], b)
    return fields.reshape(*fields.shape[:-2], m, b, m, b).mean(axis=(-3, -1))


def block_window(L: int, b: int) -> np.ndarray:
    """|W(k)|^2 = prod_j sin^2(b k_j / 2) / (b sin(k_j / 2))^2 (1 at k_j = 0) on the fine L x L grid."""
    k = 2 * np.pi * np.arange(L) / L
    num, den = np.sin(b * k / 2) ** 2, (b * np.sin(k / 2)) ** 2
    w = np.where(den > 1e-300, num / np.where(den > 1e-300, den, 1.0), 1.0)
    w[0] = 1.0
    return w[:, None] * w[None, :]


def coarse_spectrum(field: GaussianField, b: int) -> np.ndarray:
    """Exact spectrum of the b x b block average on the (L/b)^2 lattice (unitary DFT):

    P'(K) = b^-2 sum_{m in Z_b^2} |W(k_m)|^2 P(k_m), k_m = (K + 2 pi m) / b (aliases of K).
    """
    return alias_sum(field.spectrum() * block_window(field.L, b), b)


def alias_sum(full: np.ndarray, b: int) -> np.ndarray:
    """b^-2 sum over the b^2 aliases k_m = (K + 2 pi m) / b of each coarse momentum K: arrays (..., L, L) of
    |W(k)|^2 S(k) on the fine grid -> (..., L / b, L / b)."""
    m = coarse_side(full.shape[-1], b)
    return full.reshape(*full.shape[:-2], b, m, b, m).sum(axis=(-4, -2)) / b**2


def sample_spectrum(fields: np.ndarray) -> np.ndarray:
    """<|phi_k|^2> averaged over samples (unitary DFT), shape (L, L)."""
    fields = np.asarray(fields, dtype=float)
    L = fields.shape[-1]
    return np.mean(np.abs(np.fft.fft2(fields, axes=(-2, -1))) ** 2, axis=0) / L**2


def sampled_coarse_spectra(field: GaussianField, b: int, levels: int, samples: int, seed: int,
                           chunk: int = 50) -> tuple[np.ndarray, ...]:
    """Sample spectra of the fine field and of its block averages at b, b^2, ..., b^levels.

    ``samples`` exact draws, ``chunk`` at a time (memory); chunk c draws from ``derive_seed(seed, c)``.
    Returns ``levels + 1`` arrays: level l has shape (L / b^l, L / b^l).
    """
    levels = check_int_range("levels", levels, 0)
    samples = check_int_range("samples", samples, 1)
    chunk = check_int_range("chunk", chunk, 1)
    coarse_side(field.L, b**levels)
    spectra = [0.0] * (levels + 1)
    for c in range(math.ceil(samples / chunk)):
        count = min(chunk, samples - c * chunk)
        fine = field.sample(count, derive_seed(seed, c))
        for lv in range(levels + 1):
            spectra[lv] = spectra[lv] + sample_spectrum(block_average(fine, b**lv)) * count / samples
    return tuple(spectra)


def fit_couplings(spectrum: np.ndarray, window: float = 1.0, order: int = 3) -> np.ndarray:
    """(y0, y1, y2) with 1 / (2 P_K) ~ sum_{j <= order} y_j K^(2j) on the modes 0 < K^2 <= ``window``.

    K^2 is the lattice 4 sum sin^2(K_j / 2). Least squares on relative residuals (each sampled mode has
    the same relative error). The default ``order`` = 3 fits a K^6 term too and drops it: block averaging
    generates all powers, and leaving K^6 out biases y_2 by the curvature inside the window.
    """
    window = check_positive("window", window)
    order = check_int_range("order", order, 2)
    spectrum = np.asarray(spectrum, dtype=float)
    L = spectrum.shape[-1]
    k2 = lattice_k2(L)
    keep = (k2 > 0) & (k2 <= window * (1 + 1e-12)) & (spectrum > 0)
    distinct = np.unique(np.round(k2[keep], 12)).size
    if distinct < order + 1:
        raise InvalidArgumentError(f"only {distinct} distinct K^2 values with 0 < K^2 <= {window} for {order + 1} "
                                   "coefficients; widen the window or use a larger lattice.")
    h = 0.5 / spectrum[keep]
    A = np.stack([k2[keep] ** j for j in range(order + 1)], axis=1) / h[:, None]
    return np.linalg.lstsq(A, np.ones(keep.sum()), rcond=None)[0][:3]


def flow_exponents(before: Sequence[float], after: Sequence[float], b: int) -> np.ndarray:
    """x_i = log(y_i' / y_i) / log b for each coupling (y_i -> b^(x_i) y_i; the paper: x_i = 2 - 2i)."""
    before, after = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(after / before) / math.log(b)
