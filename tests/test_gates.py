"""Gates: the acceptance numbers of the foundation issue, each against an exact target."""

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from deepcheap.errors import DeepCheapError, InvalidArgumentError, PrecisionError, UnsupportedActivationError
from deepcheap.fits import loglog_slope
from deepcheap.gates import (
    best_relu_product_errors,
    bit_product_gate,
    identity_gate,
    max_error,
    product_gate,
    sample_box,
    shallow_product_gate,
    square_gate,
    yarotsky_product,
    yarotsky_square,
)
from deepcheap.seeds import torch_generator
from tests.conftest import requires_cuda

SMOOTH = ["softplus", "sigmoid", "tanh", "exp", "silu", "gelu"]


def scan(activation, order, lambdas, dtype=torch.float64):
    bias = product_gate(activation, order, dtype).bias
    errors, weights = [], []
    for lam in lambdas:
        gate = product_gate(activation, order, dtype, scale=float(lam), bias=bias)
        errors.append(max_error(gate, points=4096))
        weights.append(gate.output_weight)
    return errors, weights


# --- acceptance figures -----------------------------------------------------------------------


def test_softplus_product_gate_float64_order2():
    gate = product_gate("softplus", order=2)
    assert gate.neurons == 4 and gate.synapses == 12
    assert max_error(gate, (-1, 1), 16384) <= 3e-8


def test_softplus_product_gate_float64_order4():
    gate = product_gate("softplus", order=4)
    assert gate.neurons == 4
    assert max_error(gate, (-1, 1), 16384) <= 1e-10


def test_softplus_product_gate_float32_order2():
    gate = product_gate("softplus", order=2, dtype=torch.float32)
    assert gate.dtype == torch.float32
    assert max_error(gate, (-1, 1), 16384) <= 1e-3


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_sigmoid_and_tanh_work_through_a_bias(activation):
    gate = product_gate(activation)
    assert gate.bias != 0.0
    assert max_error(gate) <= 1e-7


def test_best_relu_read_out_does_not_improve_with_lambda():
    """relu(lambda z) = lambda relu(z): the best least-squares read-out undoes any scale (an identity)."""
    errors = best_relu_product_errors([1e-6, 1e-3, 0.5], points=1024)
    assert max(errors) / min(errors) - 1 < 1e-6
    assert min(errors) > 0.05


def test_relu_product_gate_refuses_and_points_to_yarotsky():
    with pytest.raises(UnsupportedActivationError, match=r"sigma''.*Yarotsky"):
        product_gate("relu")


@pytest.mark.parametrize("activation", SMOOTH)
def test_error_falls_like_lambda_squared(activation):
    lambdas = np.logspace(-3, -1, 9)
    errors, weights = scan(activation, 2, lambdas)
    assert loglog_slope(lambdas, errors) == pytest.approx(2.0, abs=0.15)
    assert loglog_slope(lambdas, weights) == pytest.approx(-2.0, abs=0.01)


@pytest.mark.parametrize("activation", ["softplus", "sigmoid", "tanh", "silu", "gelu"])
def test_order4_error_falls_like_lambda_to_the_fourth(activation):
    lambdas = np.logspace(-2, -1, 7)
    errors, _ = scan(activation, 4, lambdas)
    assert loglog_slope(lambdas, errors) == pytest.approx(4.0, abs=0.3)


@pytest.mark.parametrize(("activation", "order", "dtype"),
                         [("softplus", 2, torch.float64), ("sigmoid", 4, torch.float64),
                          ("tanh", 2, torch.float32), ("exp", 2, torch.float32)])
def test_automatic_scale_is_near_the_best_of_a_scan(activation, order, dtype):
    auto = product_gate(activation, order, dtype)
    lambdas = np.logspace(math.log10(auto.scale) - 1.5, math.log10(auto.scale) + 1.5, 31)
    best = min(max_error(product_gate(activation, order, dtype, scale=float(lam), bias=auto.bias), points=4096)
               for lam in lambdas)
    assert max_error(auto, points=4096) <= 3 * best


@pytest.mark.parametrize("activation", ["softplus", "sigmoid", "exp", "gelu"])
@pytest.mark.parametrize("order", [2, 4])
def test_predicted_error_is_a_useful_bound(activation, order):
    if activation == "exp" and order == 4:
        pytest.skip("exp has no order-4 bias")
    gate = product_gate(activation, order)
    measured = max_error(gate)
    assert measured <= 1.5 * gate.predicted_error() <= 30 * measured


def test_predicted_error_depends_on_domain_and_dtype():
    gate = product_gate("softplus")
    assert gate.predicted_error(domain=(-2, 2)) > gate.predicted_error()
    assert gate.predicted_error(dtype=torch.float32) > gate.predicted_error()


# --- square, identity, shallow products -------------------------------------------------------


def test_square_gate_two_neurons_and_bias_free_three():
    sq = square_gate("softplus")
    assert sq.neurons == 2
    assert max_error(sq) < 1e-7
    free = square_gate("softplus", bias_free=True)
    assert free.neurons == 3
    assert all(layer.bias is None for layer in free.linear_layers)
    assert max_error(free) < 1e-7


def test_bias_free_square_needs_curvature_at_zero():
    with pytest.raises(UnsupportedActivationError, match="bias_free=False"):
        square_gate("sigmoid", bias_free=True)


def test_softplus_identity_is_exact():
    gate = identity_gate("softplus")
    assert gate.neurons == 2
    assert max_error(gate, (-3, 3)) < 1e-14


def test_relu_identity_is_exact_and_respects_its_linear_piece():
    gate = identity_gate("relu", neurons=1, domain=(-2, 2))
    assert max_error(gate, (-2, 2)) <= 4 * torch.finfo(torch.float64).eps  # exact up to rounding
    with pytest.raises(InvalidArgumentError, match="linear"):
        identity_gate("relu", domain=(-2, 2), scale=1.0)


@pytest.mark.parametrize("neurons", [1, 2])
def test_sigmoid_identity_has_its_own_small_error(neurons):
    gate = identity_gate("sigmoid", neurons=neurons)
    assert gate.neurons == neurons
    assert max_error(gate) <= max(1.5 * gate.predicted_error(), 1e-14) < 1e-6


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_shallow_product_has_2_to_the_n_neurons_and_converges(n):
    gate = shallow_product_gate(n)
    assert gate.neurons == 2**n
    errors = [max_error(shallow_product_gate(n, scale=lam, bias=gate.bias), points=4096, generator=torch_generator(n))
              for lam in (0.4, 0.2, 0.1)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[1] / errors[2] == pytest.approx(4.0, rel=0.25)  # O(lambda^2) truncation


def test_shallow_product_limit():
    with pytest.raises(InvalidArgumentError, match="12"):
        shallow_product_gate(13)
    assert shallow_product_gate(12).neurons == 4096


# --- bits and ReLU ---------------------------------------------------------------------------


@pytest.mark.parametrize("k", range(1, 9))
def test_bit_products_are_exact_after_rounding(k):
    bits = torch.tensor(list(itertools.product((0.0, 1.0), repeat=k)), dtype=torch.float64)
    gate = bit_product_gate(k)
    assert torch.equal(gate(bits).round(), bits.prod(dim=1))
    assert gate.neurons == 1 and gate.synapses == k


@given(st.integers(1, 8), st.floats(1e-12, 0.4))
def test_bit_product_meets_its_requested_error(k, error):
    bits = torch.tensor(list(itertools.product((0.0, 1.0), repeat=k)), dtype=torch.float64)
    gate = bit_product_gate(k, error)
    measured = float((gate(bits) - bits.prod(dim=1)).abs().max())
    assert measured <= error * (1 + 1e-9) + 1e-16
    assert measured == pytest.approx(error, rel=1e-6, abs=1e-15)  # the worst input hits it exactly


def test_bit_product_needs_a_sigmoidal_activation():
    with pytest.raises(UnsupportedActivationError, match="sigmoid"):
        bit_product_gate(2, activation="softplus")


@pytest.mark.parametrize("m", range(1, 11))
def test_yarotsky_square_error_is_exactly_4_to_the_minus_m_over_4(m):
    gate = yarotsky_square(m)
    t = torch.linspace(0, 1, 2 ** (m + 3) + 1, dtype=torch.float64)[:, None]  # contains every midpoint
    error = float((gate(t) - t[:, 0] ** 2).abs().max())
    assert error == pytest.approx(2.0 ** (-2 * m - 2), rel=1e-9)
    assert gate.depth == m


def test_yarotsky_on_symmetric_domains_and_product():
    sq = yarotsky_square(6, domain=(-2, 2))
    assert max_error(sq) <= sq.predicted_error()
    prod = yarotsky_product(8)
    assert max_error(prod) <= prod.predicted_error() < 1e-5
    assert yarotsky_product(eps=1e-4).predicted_error() <= 1e-4
    with pytest.raises(PrecisionError, match="float64"):
        yarotsky_square(eps=1e-9, dtype=torch.float32)


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: product_gate("swish9"), "unknown activation"),
        (lambda: product_gate(order=3), "order"),
        (lambda: product_gate(dtype="float8"), "dtype"),
        (lambda: product_gate(scale=0.0), "scale"),
        (lambda: product_gate(scale=-1e-3), "scale"),
        (lambda: product_gate(scale=float("nan")), "finite"),
        (lambda: product_gate(domain=(1, -1)), "lo < hi"),
        (lambda: shallow_product_gate(0), "n"),
        (lambda: bit_product_gate(2, error=0.7), "0.5"),
        (lambda: yarotsky_square(0), "m"),
    ],
)
def test_bad_input_raises_deepcheap_errors(call, match):
    with pytest.raises(DeepCheapError, match=match):
        call()


def test_forward_checks_shape_and_dtype():
    gate = product_gate()
    with pytest.raises(InvalidArgumentError, match=r"\(N, 2\)"):
        gate(torch.zeros(5, 3, dtype=torch.float64))
    with pytest.raises(InvalidArgumentError, match="float32"):
        gate(torch.zeros(5, 2, dtype=torch.float32))


def test_sample_box_has_enough_points_and_corners():
    box = sample_box((-1, 2), 2, 10_000)
    assert len(box) >= 10_000
    assert box.min() == -1 and box.max() == 2
    assert len(sample_box((0, 1), 5, 100, generator=torch_generator(0))) == 100 + 32


def test_sample_box_draws_only_from_the_generator_it_is_given():
    with pytest.raises(InvalidArgumentError, match="generator="):
        sample_box((0, 1), 5, 100)
    with pytest.raises(InvalidArgumentError, match="generator="):
        max_error(shallow_product_gate(4), points=100)
    state = torch.get_rng_state()
    a = sample_box((0, 1), 5, 100, generator=torch_generator(3))
    torch.manual_seed(12345)
    b = sample_box((0, 1), 5, 100, generator=torch_generator(3))
    assert torch.equal(a, b)
    torch.set_rng_state(state)


def test_building_gates_leaves_the_global_generator_alone():
    state = torch.get_rng_state()
    product_gate("softplus", order=4), square_gate(), identity_gate(), shallow_product_gate(3)
    yarotsky_product(4), bit_product_gate(3)
    max_error(product_gate(), points=64)
    assert torch.equal(state, torch.get_rng_state())


@requires_cuda
def test_gates_on_gpu():
    gate = product_gate(device="cuda")
    x = torch.rand(100, 2, dtype=torch.float64, generator=torch_generator(0)).to("cuda")
    assert (gate(x) - x.prod(dim=1)).abs().max() < 3e-8
