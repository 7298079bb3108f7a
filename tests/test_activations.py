"""Activations: exact derivatives against mpmath's numerical differentiation and sympy; biases."""

import math

import mpmath
import pytest
import sympy as sp
import torch
from hypothesis import given
from hypothesis import strategies as st

from deepcheap.activations import ACTIVATIONS, best_bias, get_activation
from deepcheap.errors import InvalidArgumentError, UnsupportedActivationError

x = sp.Symbol("x")
SYMPY = {
    "softplus": sp.log(1 + sp.exp(x)),
    "sigmoid": 1 / (1 + sp.exp(-x)),
    "tanh": sp.tanh(x),
    "exp": sp.exp(x),
    "silu": x / (1 + sp.exp(-x)),
    "gelu": x * (1 + sp.erf(x / sp.sqrt(2))) / 2,
    "quadratic": x**2,
}
SMOOTH = list(SYMPY)


@pytest.mark.parametrize("name", SMOOTH)
@given(bias=st.floats(-3, 3))
def test_taylor_matches_mpmath_numerical_differentiation(name, bias):
    f = sp.lambdify(x, SYMPY[name], "mpmath")
    with mpmath.workdps(40):
        oracle = mpmath.taylor(f, mpmath.mpf(bias), 8)
    ours = get_activation(name).taylor(bias, 8)
    for k, (a, b) in enumerate(zip(ours, oracle, strict=True)):
        assert a == pytest.approx(float(b), rel=1e-12, abs=1e-14), (name, bias, k)


@pytest.mark.parametrize("name", SMOOTH)
def test_torch_function_matches_formula(name):
    points = torch.linspace(-4, 4, 81, dtype=torch.float64)
    ours = get_activation(name)(points)
    f = sp.lambdify(x, SYMPY[name], "mpmath")
    oracle = torch.tensor([float(f(mpmath.mpf(float(p)))) for p in points], dtype=torch.float64)
    torch.testing.assert_close(ours, oracle, rtol=1e-14, atol=1e-15)


def test_known_values():
    assert get_activation("softplus").taylor(0.0, 2)[2] == pytest.approx(1 / 8)
    b = math.log(2 + math.sqrt(3))  # sigmoid's |sigma''| is largest at +-b, where it is 1/(6 sqrt 3)
    assert abs(get_activation("sigmoid").derivatives(-b, 2)[2]) == pytest.approx(1 / (6 * math.sqrt(3)))
    assert get_activation("tanh").derivatives(0.0, 4)[2] == 0.0


def test_derivatives_can_be_exact():
    values = get_activation("exp").derivatives(0.5, 3, exact=True)
    assert all(isinstance(v, mpmath.mpf) for v in values)


@pytest.mark.parametrize("name", ["softplus", "sigmoid", "tanh", "silu", "gelu"])
def test_order4_bias_is_a_zero_of_the_fourth_derivative(name):
    b = best_bias(name, order=4)
    d = get_activation(name).derivatives(b, 4)
    assert abs(d[4]) < 1e-12
    assert abs(d[2]) > 1e-3


@pytest.mark.parametrize("name", ["softplus", "exp", "silu", "gelu", "quadratic"])
def test_order2_needs_no_bias_when_curvature_at_zero(name):
    assert best_bias(name, order=2) == 0.0


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_order2_bias_shifts_odd_activations(name):
    b = best_bias(name, order=2)
    assert b != 0.0
    assert abs(get_activation(name).derivatives(b, 2)[2]) > 0.05


def test_relu_has_no_usable_bias_and_says_why():
    with pytest.raises(UnsupportedActivationError, match="Yarotsky"):
        best_bias("relu", 2)


def test_exp_has_no_order4_bias():
    with pytest.raises(UnsupportedActivationError, match="order=2"):
        best_bias("exp", 4)


def test_bad_names_and_orders():
    with pytest.raises(InvalidArgumentError, match="softplus"):
        get_activation("swishy")
    with pytest.raises(InvalidArgumentError, match="order"):
        best_bias("softplus", 3)
    assert set(ACTIVATIONS) >= {"softplus", "sigmoid", "tanh", "exp", "silu", "gelu", "quadratic", "relu"}
