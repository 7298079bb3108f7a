"""Least squares on monomial columns, for :mod:`~deepcheap.compiler.decompile`: the design matrix, a
pseudo-inverse, coefficients with uncertainty bounds, and the memory check done before any of them."""

from __future__ import annotations

import numpy as np

from deepcheap.errors import ResourceLimitError


def monomial_columns(x: np.ndarray, monomials) -> np.ndarray:
    """Columns prod_{i in m} x_i for each monomial m (a tuple of variable indices, repeats for powers)."""
    return np.stack([np.prod(x[:, list(m)], axis=1) if m else np.ones(x.shape[0]) for m in monomials], axis=1)


def solve(design, values, w, bound, keys):
    """Least squares (weighted by w): {key: c} and, when ``bound`` (the error of ``values``) is known, {key: u}
    with u = sum_i |pinv(A)_ki| sqrt(w_i) bound, how far c can move; zero coefficients are left out."""
    scale = np.sqrt(w) if w is not None else np.ones(design.shape[0])
    pinv = pseudo_inverse(design * scale[:, None])
    c = pinv @ (values * scale)
    uncertainty = None if bound is None else np.abs(pinv) @ scale * bound
    terms = {key: float(v) for key, v in zip(keys, c, strict=True) if v != 0}
    unc = None if uncertainty is None else {key: float(u) for key, u, v in zip(keys, uncertainty, c, strict=True)
                                            if v != 0}
    return terms, unc


def pseudo_inverse(A: np.ndarray) -> np.ndarray:
    """R^-1 Q^T from a QR factorisation (several times faster than an SVD); the SVD when A is rank-deficient."""
    from scipy.linalg import solve_triangular

    if A.shape[0] >= A.shape[1] > 0:
        Q, R = np.linalg.qr(A)
        diagonal = np.abs(np.diag(R))
        if diagonal.min() > 1e-10 * diagonal.max():
            return solve_triangular(R, Q.T)
    return np.linalg.pinv(A)


def check_memory(rows: int, columns: int, limit: int) -> None:
    """Refuse a fit whose design matrix, pseudo-inverse and workspace exceed ``limit`` bytes."""
    needed = 3 * 8 * rows * columns  # design matrix, its pseudo-inverse, SVD workspace
    if needed > limit:
        raise ResourceLimitError(f"a least-squares fit on {columns:,} monomials at {rows:,} points needs about "
                                 f"{needed / 2**30:.2f} GiB, above the {limit / 2**30:.2f} GiB limit; lower degree, "
                                 "fewer points, or raise memory_limit=...")
