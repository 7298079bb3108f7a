"""The same gates in mpmath (gates.multiprecision) and error curves in any arithmetic (gates.scans).

Oracles: with sigma = exp and bias 0 the product gate is exactly sinh(lambda u) sinh(lambda v) / lambda^2
(mpmath's own sinh), so its error on [-1, 1]^2 is sinh(lambda)^2 / lambda^2 - 1 at the corners; the float64
gate where float64 is accurate; the exact product.
"""

import math

import mpmath
import numpy as np
import pytest
import torch

from deepcheap.activations import get_activation
from deepcheap.errors import InvalidArgumentError
from deepcheap.gates import (
    ErrorCurve,
    arithmetic,
    error_curve,
    error_floor,
    fitted_floor_exponent,
    multiprecision_gate,
    product_gate,
    sample_box,
    square_gate,
    yarotsky_square,
)
from deepcheap.gates.multiprecision import exact_points
from deepcheap.precision import floor_exponent, stencil_error_model
from deepcheap.seeds import torch_generator
from deepcheap.stencils import central_stencil

PRODUCT = central_stencil((1, 1))


def _points(n: int = 40, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 2, dtype=torch.float64, generator=torch_generator(seed)) * 2 - 1


@pytest.mark.parametrize("lam", [1e-6, 1e-3, 0.3])
def test_exp_gate_is_sinh_times_sinh_over_lambda_squared(lam):
    gate = multiprecision_gate(product_gate("exp", scale=lam, bias=0.0), 50)
    x = _points()
    with mpmath.workdps(50):
        values = gate(x)
        for (u, v), value in zip(x.tolist(), values, strict=True):
            oracle = mpmath.sinh(lam * mpmath.mpf(u)) * mpmath.sinh(lam * mpmath.mpf(v)) / mpmath.mpf(lam) ** 2
            assert abs(value - oracle) <= mpmath.mpf(10) ** -44 / lam**2


@pytest.mark.parametrize(("activation", "order"), [("softplus", 2), ("softplus", 4), ("sigmoid", 4), ("tanh", 2)])
def test_agrees_with_the_float64_gate_where_float64_is_accurate(activation, order):
    gate = product_gate(activation, order, scale=0.1)
    x = _points(200, 1)
    exact = multiprecision_gate(gate, 30)
    with torch.no_grad():
        floats = gate(x).tolist()
    assert max(abs(float(e) - f) for e, f in zip(exact(x), floats, strict=True)) < 1e-12
    assert exact.max_error(x) == pytest.approx(float((gate(x) - x.prod(1)).abs().max()), rel=1e-9)
    assert exact.output_weight == pytest.approx(gate.output_weight, rel=1e-14)


def test_converges_to_the_exact_product_far_below_float64():
    x = sample_box((-1.0, 1.0), 2, 289)
    float64 = product_gate("softplus", scale=1e-10)
    assert float(max_abs_error(float64, x)) > 1e-3  # float64: rounding ~ eps / lambda^2
    exact = multiprecision_gate(float64, 50)
    assert exact.max_error(x) < 1e-20
    with mpmath.workdps(50):
        targets = exact.target(x)
    assert [float(t) for t in targets] == pytest.approx((x[:, 0] * x[:, 1]).tolist(), abs=0)


def max_abs_error(gate, x):
    with torch.no_grad():
        return (gate(x) - gate.target(x)).abs().max()


def test_order4_bias_is_refined_and_the_error_falls_like_lambda_to_the_fourth():
    float_gate = product_gate("softplus", 4)
    refined = multiprecision_gate(float_gate, 50)
    assert abs(float(refined.bias) - float_gate.bias) < 1e-15 and refined.bias != mpmath.mpf(float_gate.bias)
    curve = error_curve(PRODUCT, get_activation("softplus"), float_gate.bias, np.logspace(-6, -4, 5), "mp50",
                        order=4, points=81)
    assert curve.slope() == pytest.approx(4.0, abs=0.01)


def test_other_stencils_and_their_constant_units():
    x = torch.linspace(-1, 1, 33, dtype=torch.float64)[:, None]
    for gate in (square_gate("softplus", scale=0.05), square_gate("softplus", scale=0.05, bias_free=True)):
        exact = multiprecision_gate(gate, 40)
        with torch.no_grad():
            floats = gate(x).tolist()
        assert max(abs(float(e) - f) for e, f in zip(exact(x), floats, strict=True)) < 1e-10


def test_exp_error_curve_matches_its_closed_form():
    scales = [1e-3, 1e-2, 0.1, 0.3]
    curve = error_curve(PRODUCT, get_activation("exp"), 0.0, scales, "mp50", points=289)
    for lam, error in zip(scales, curve.errors, strict=True):
        assert error == pytest.approx(math.sinh(lam) ** 2 / lam**2 - 1, rel=1e-9)
    assert curve.arithmetic == "mp50" and curve.eps == pytest.approx(2.0**-168)


def test_floors_are_bracketed_and_follow_the_predicted_exponent():
    act = get_activation("softplus")
    curves = [error_floor(PRODUCT, act, 0.0, a, count=9) for a in ("float32", "float64", "mp30")]
    assert all(c.bracketed for c in curves)
    for curve in curves:
        model = stencil_error_model(act, PRODUCT, 0.0, 1.0, None, eps=curve.eps)
        assert model.best_error() / 10 < curve.floor < 10 * model.best_error()
    assert fitted_floor_exponent(curves) == pytest.approx(floor_exponent(2), abs=0.05)


def test_fitted_floor_exponent_of_a_known_power_law_and_of_an_unbracketed_scan():
    def curve(eps, errors):
        return ErrorCurve("mp20", eps, 0.0, 4, (1e-3, 1e-2, 1e-1), tuple(errors), (1.0, 1.0, 1.0))

    curves = [curve(eps, (1.0, 3 * eps**0.6, 1.0)) for eps in (1e-10, 1e-20, 1e-30)]
    assert fitted_floor_exponent(curves) == pytest.approx(0.6)
    assert fitted_floor_exponent([*curves, curve(1e-40, (1e-30, 1.0, 1.0))]) is None
    assert fitted_floor_exponent(curves[:1]) is None


def test_arithmetics_and_their_epsilons():
    assert arithmetic("float32").eps == 2.0**-23 and arithmetic("float64").eps == 2.0**-52
    assert arithmetic("MP30").digits == 30 and arithmetic("mp30").eps == pytest.approx(2.0**-102)
    assert arithmetic("float64").dtype is torch.float64 and arithmetic("mp30").dtype is None
    with pytest.raises(InvalidArgumentError, match="mp<digits>"):
        arithmetic("float16")
    with pytest.raises(InvalidArgumentError, match="50 digits"):
        arithmetic("mp80")


def test_bad_input():
    with pytest.raises(InvalidArgumentError, match="stencil gate"):
        multiprecision_gate(yarotsky_square(3), 30)
    gate = multiprecision_gate(product_gate(), 20)
    with pytest.raises(InvalidArgumentError, match="rows of 2"):
        gate(torch.zeros(3, 3, dtype=torch.float64))
    with pytest.raises(InvalidArgumentError, match="finite"):
        gate([[0.5, math.inf]])
    points = exact_points([[0.5, 0.5]], 2)
    with pytest.raises(InvalidArgumentError, match="rows of 1"):
        multiprecision_gate(square_gate(), 20)(points)
