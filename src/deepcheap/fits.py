"""Small fits shared by claims, benchmarks and tests.

>>> round(loglog_slope([1, 2, 4], [3, 12, 48]), 6)
2.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def loglog_slope(x: Sequence[float], y: Sequence[float], lo: float | None = None, hi: float | None = None) -> float:
    """Least-squares slope of log y against log x over lo <= x <= hi (positive finite points only; NaN if < 2)."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = (xs > 0) & (ys > 0) & np.isfinite(xs) & np.isfinite(ys)
    if lo is not None:
        keep &= xs >= lo
    if hi is not None:
        keep &= xs <= hi
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(xs[keep]), np.log(ys[keep]), 1)[0])
