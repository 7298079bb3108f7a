"""Error curves of stencil gates against their scale lambda, in any arithmetic, and the floors they reach.

A gate's max error falls like lambda^e (its truncation order) as lambda shrinks, until rounding, which
grows like eps / lambda^p, takes over. The smallest error of a scan that brackets that turn is the
arithmetic's floor; :func:`deepcheap.precision.floor_exponent` predicts how it scales with eps, and
:func:`fitted_floor_exponent` measures it across arithmetics (float32, float64, mpmath at N digits).

>>> from deepcheap.activations import get_activation
>>> from deepcheap.stencils import central_stencil
>>> curve = error_curve(central_stencil((1, 1)), get_activation("softplus"), 0.0, [0.01, 0.02, 0.04],
...                     "float64", points=289)
>>> round(curve.slope(), 2)       # the paper's gate: error ~ lambda^2
2.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from deepcheap.activations import Activation
from deepcheap.errors import check_int_range, check_positive
from deepcheap.fits import loglog_slope
from deepcheap.gates.base import max_error, sample_box
from deepcheap.gates.multiprecision import arithmetic as resolve_arithmetic
from deepcheap.gates.multiprecision import exact_points, multiprecision_gate
from deepcheap.gates.smooth import stencil_gate
from deepcheap.precision import stencil_error_model
from deepcheap.stencils import Stencil

DOMAIN = (-1.0, 1.0)


@dataclass(frozen=True)
class ErrorCurve:
    """Max |error| on a grid of [-1, 1]^n at each scale, with the largest read-out weight."""

    arithmetic: str
    eps: float
    bias: float
    points: int
    scales: tuple[float, ...]
    errors: tuple[float, ...]
    output_weights: tuple[float, ...]

    @property
    def floor(self) -> float:
        """The smallest error of the scan."""
        return min(self.errors)

    @property
    def floor_scale(self) -> float:
        return self.scales[int(np.argmin(self.errors))]

    @property
    def bracketed(self) -> bool:
        """The smallest error lies inside the scan, not at an end: the scan found the turn."""
        return 0 < int(np.argmin(self.errors)) < len(self.errors) - 1

    def slope(self, lo: float | None = None, hi: float | None = None) -> float:
        """d log(error) / d log(lambda) over lo <= lambda <= hi (least squares)."""
        return loglog_slope(self.scales, self.errors, lo, hi)

    def to_dict(self) -> dict:
        return {**asdict(self), "scales": list(self.scales), "errors": list(self.errors),
                "output_weights": list(self.output_weights)}


def error_curve(stencil: Stencil, activation: Activation, bias: float, scales: Sequence[float], arithmetic,
                *, order: int | None = 2, points: int = 4096) -> ErrorCurve:
    """The gate ``stencil_gate(stencil, activation, order, bias, scale)`` at each scale, measured in
    ``arithmetic`` (``"float32"``, ``"float64"``, ``"mp30"``...) on a grid of ``points`` points (n <= 3).

    In mpmath it is the same gate (:func:`~deepcheap.gates.multiprecision.multiprecision_gate`); its
    inputs are the float64 grid, taken exactly.
    """
    arith = resolve_arithmetic(arithmetic)
    points = check_int_range("points", points, 4, hint="(the grid of [-1, 1]^n on which the error is measured)")
    scales = [check_positive("scale", s) for s in scales]
    n = len(stencil.exponents)
    grid = exact_points(sample_box(DOMAIN, n, points), n) if arith.digits is not None else None
    errors, weights = [], []
    for scale in scales:
        gate = stencil_gate(stencil, activation, order=order, dtype=arith.dtype or "float64", scale=scale, bias=bias)
        if arith.digits is None:
            errors.append(max_error(gate, points=points))
            weights.append(gate.output_weight)
        else:
            exact = multiprecision_gate(gate, arith.digits)
            errors.append(exact.max_error(grid))
            weights.append(exact.output_weight)
    return ErrorCurve(arith.name, arith.eps, float(bias), points, tuple(scales), tuple(errors), tuple(weights))


def error_floor(stencil: Stencil, activation: Activation, bias: float, arithmetic, *, order: int | None = 2,
                points: int = 289, decades: float = 1.5, count: int = 13) -> ErrorCurve:
    """A scan of ``count`` scales over +-``decades`` around the scale the error model
    (:func:`~deepcheap.precision.stencil_error_model` at this arithmetic's eps) puts the optimum at.

    The model only places the scan; the floor is the smallest measured error, and ``bracketed`` says
    whether the scan caught it (a minimum at an end means the model misplaced the turn).
    """
    arith = resolve_arithmetic(arithmetic)
    count = check_int_range("count", count, 3, hint="(scales in the scan)")
    decades = check_positive("decades", decades)
    model_bias = bias
    if order == 4 and arith.digits is not None:  # the model needs the exact zero of sigma^(p+2), as the gate does
        model_bias = activation.zero_of_derivative(stencil.degree + 2, bias)
    model = stencil_error_model(activation, stencil, model_bias, 1.0, None, eps=arith.eps)
    centre = math.log10(model.best_scale())
    top = min(centre + decades, math.log10(model.max_scale))
    scales = [float(s) for s in np.logspace(top - 2 * decades, top, count)]
    return error_curve(stencil, activation, bias, scales, arith, order=order, points=points)


def fitted_floor_exponent(curves: Sequence[ErrorCurve]) -> float | None:
    """The slope of log(floor) against log(eps) over the curves (None if a floor is not bracketed)."""
    if len(curves) < 2 or not all(c.bracketed for c in curves):
        return None
    return loglog_slope([c.eps for c in curves], [c.floor for c in curves])
