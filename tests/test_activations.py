"""Activations: exact derivatives against mpmath's numerical differentiation and sympy; biases."""

import ast
import inspect
import math

import mpmath
import pytest
import sympy as sp
import torch
from hypothesis import given
from hypothesis import strategies as st

import deepcheap.activations
from deepcheap.activations import ACTIVATIONS, EXACT_DIGITS, get_activation
from deepcheap.errors import InvalidArgumentError, UnsupportedActivationError
from deepcheap.precision import best_bias

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


@pytest.mark.parametrize("name", SMOOTH)
def test_exact_value_matches_sympy_at_many_digits(name):
    f = sp.lambdify(x, SYMPY[name], "mpmath")
    with mpmath.workdps(45):
        for z in ("-2.5", "0.125", "1.75"):
            ours, oracle = get_activation(name).exact(mpmath.mpf(z)), f(mpmath.mpf(z))
            assert abs(ours - oracle) <= mpmath.mpf(10) ** -43 * max(1, abs(oracle))


@pytest.mark.parametrize("name", ["softplus", "sigmoid", "tanh", "silu", "gelu"])
def test_zero_of_the_fourth_derivative_to_fifty_digits(name):
    act = get_activation(name)
    b = act.zero_of_derivative(4, best_bias(name, order=4))
    f = sp.lambdify(x, sp.diff(SYMPY[name], x, 4), "mpmath")  # sympy's own fourth derivative as the oracle
    with mpmath.workdps(EXACT_DIGITS):
        assert abs(f(b)) < mpmath.mpf(10) ** (8 - EXACT_DIGITS)
    assert abs(float(b) - best_bias(name, order=4)) < 1e-12


def test_zero_of_derivative_refuses_a_far_guess():
    with pytest.raises(InvalidArgumentError, match="no zero"):
        get_activation("softplus").zero_of_derivative(4, 0.0, tolerance=1e-3)


def test_activations_import_nothing_of_deepcheap_but_errors():
    """The bias search lives in precision, which imports activations: no cycle between them."""
    tree = ast.parse(inspect.getsource(deepcheap.activations))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert {m for m in imported if m.startswith("deepcheap")} == {"deepcheap.errors"}
