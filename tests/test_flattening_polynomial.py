"""Polynomial flattening: constructions against independent counts and oracles (sympy, exact enumeration), the
certificate both ways and its hypotheses, the folded sign-sum where they fail, the grouped strategy, trained widths."""

import itertools
import json
import math

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import deepcheap
from deepcheap import library
from deepcheap.compiler.strategies import best_grouping, grouped_levels, grouped_neurons
from deepcheap.errors import InvalidArgumentError, ResourceLimitError
from deepcheap.flattening.certificate import (
    certify,
    first_layer,
    folded_sign_sum,
    folded_sign_sum_error,
    hypotheses,
    subset_matrix,
    taylor_rank,
    taylor_system,
)
from deepcheap.flattening.costs import counts, flattening_cost
from deepcheap.flattening.polynomial import (
    depth_k_bound,
    grouped_product,
    power_networks,
    product_networks,
    shallow_error_curve,
)
from deepcheap.flattening.trained import Budget, ProductTask, minimal_widths
from deepcheap.gates import monomial_gate, product_gate, shallow_product_gate, square_gate
from deepcheap.seeds import numpy_generator, torch_generator


@pytest.mark.parametrize("n", range(2, 13))
def test_constructed_counts_equal_the_formulas(n):
    row = product_networks(n)
    assert row.built and row.shallow_neurons == 2**n and row.deep_neurons == 4 * (n - 1)
    assert row.C_n == pytest.approx(2**n / (4 * (n - 1)))
    assert json.loads(json.dumps(row.to_dict()))["C_n"] == pytest.approx(row.C_n)


def test_shallow_construction_converges_like_lambda_squared():
    for n in (2, 4, 6):
        curve = shallow_error_curve(n, seed=n)
        assert curve.errors[0] < curve.errors[-1]
        slope = np.polyfit(np.log(curve.values), np.log(curve.errors), 1)[0]
        assert slope == pytest.approx(2.0, abs=0.15)


def test_too_large_shallow_product_is_refused_with_its_size():
    with pytest.raises(ResourceLimitError, match="1,048,576 neurons"):
        product_networks(20)
    row = product_networks(20, build=False, memory_limit_neurons=2**21)
    assert row.shallow_neurons == 2**20 and not row.built


def test_subset_matrix_definition():
    W = np.array([[2.0, 3.0], [5.0, 7.0]])
    # rows: {}, {2}, {1}, {1,2} in itertools.product order over (x1, x2)
    np.testing.assert_array_equal(subset_matrix(W), [[1, 1], [5, 7], [2, 3], [10, 21]])


@pytest.mark.parametrize("n", range(2, 9))
def test_certificate_both_ways(n):
    assert taylor_rank(first_layer(shallow_product_gate(n))).full  # the construction: rank 2^n
    rng = numpy_generator(n)
    short = taylor_rank(rng.normal(size=(n, 2**n - 1)), activation="exp")
    assert short.rank == 2**n - 1 and short.applies and short.rules_out  # one unit short: never full
    assert taylor_rank(rng.normal(size=(n, 2**n))).full  # generic full width: full
    repeated = np.repeat(rng.normal(size=(n, 2 ** (n - 1))), 2, axis=1)  # wide enough but degenerate
    assert not taylor_rank(repeated).full


def test_certificate_never_applies_without_an_activation():
    cert = taylor_rank(np.ones((2, 1)))
    assert not cert.full and cert.hypotheses is None and not cert.applies and not cert.rules_out


def test_hypotheses_use_exact_taylor_zeros():
    assert hypotheses("tanh", 0.0, 5).vanishing == (0, 2, 4)  # odd
    assert hypotheses("softplus", 0.0, 5).vanishing == (3, 5)  # ln 2 + z/2 + even
    assert hypotheses("sigmoid", 0.0, 4).vanishing == (2, 4)  # 1/2 + odd
    assert hypotheses("exp", 0.0, 8).hold
    assert hypotheses("softplus", 1.0, 8).hold
    assert hypotheses("softplus", [1.0, 1.0], 3).hold
    mixed = hypotheses("softplus", [1.0, 0.5], 3)
    assert mixed.bias is None and not mixed.hold and "differ" in mixed.violations[0]
    assert not hypotheses("exp", 0.0, 3, output_bias=True).hold
    # sympy oracle for the coefficients themselves
    z = sp.Symbol("z")
    series = sp.series(sp.log(1 + sp.exp(z)), z, 0, 6).removeO()
    expected = [float(series.coeff(z, k)) for k in range(6)]
    assert hypotheses("softplus", 0.0, 5).taylor == pytest.approx(expected, abs=1e-15)


def test_certify_reads_the_hypotheses_from_the_network():
    odd = certify(shallow_product_gate(3))  # softplus at b = -2.1: every c_k != 0 for k <= 3
    assert odd.full and odd.applies and odd.hypotheses.bias == pytest.approx(shallow_product_gate(3).bias)
    even = certify(shallow_product_gate(4))  # the gate sits at b = 0, where softplus has c_3 = 0
    assert even.full and not even.applies and even.hypotheses.vanishing == (3,)
    assert not certify(monomial_gate((2,)), (2,)).applies  # the constant unit folded into an output bias
    assert certify(monomial_gate((2,), bias_free=True), (2,)).applies
    net = deepcheap.compile(library.product(3), strategy="shallow")
    assert certify(net).full
    mlp = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    assert certify(mlp).hypotheses.activation == "tanh"
    with pytest.raises(InvalidArgumentError, match="shallow"):
        first_layer(deepcheap.compile(library.product(3)))


@given(st.lists(st.integers(1, 3), min_size=1, max_size=3))
@settings(deadline=None, max_examples=20)
def test_monomial_certificate(exponents):
    gate = monomial_gate(tuple(exponents), bias_free=True)
    W = first_layer(gate)
    needed = math.prod(r + 1 for r in exponents)
    assert gate.neurons == needed
    assert taylor_rank(W, exponents).rank == needed
    assert taylor_rank(W[:, 1:], exponents).rank == needed - 1


def test_certificate_bad_input():
    with pytest.raises(InvalidArgumentError, match="matrix"):
        taylor_rank(np.zeros(3))
    with pytest.raises(InvalidArgumentError, match="finite"):
        taylor_rank(np.array([[np.nan, 1.0]]))


@pytest.mark.parametrize(("activation", "n"), [("tanh", 3), ("softplus", 4)])
def test_folded_sign_sum_multiplies_with_half_the_units(activation, n):
    W, a = folded_sign_sum(n, activation, 0.0, scale=1.0)
    assert W.shape == (n, 2 ** (n - 1))
    cert = taylor_rank(W, activation=activation, bias=0.0)
    assert cert.rank == 2 ** (n - 1) < cert.required and not cert.applies  # the rank test does not apply
    # sympy oracle: sum_s a_s sigma(t s . x) has Taylor coefficients 0 below t^n and x_1...x_n at t^n
    t, u, xs = sp.Symbol("t"), sp.Symbol("u"), sp.symbols(f"x1:{n + 1}")
    sigma = sp.tanh(u) if activation == "tanh" else sp.log(1 + sp.exp(u))
    taylor = sp.series(sigma, u, 0, n + 1).removeO()  # the activation's own series, up to u^n
    f = sum(sp.Rational(a_j).limit_denominator(10**9)
            * taylor.subs(u, t * sum(int(w) * x for w, x in zip(W[:, j], xs, strict=True))) for j, a_j in enumerate(a))
    series = sp.expand(f)
    for k in range(n):
        assert sp.simplify(series.coeff(t, k)) == 0
    assert sp.simplify(series.coeff(t, n) - sp.Mul(*xs)) == 0
    # the 50-digit solve finds the same read-out; the same layer with exp (hypotheses hold) has none
    solved = taylor_system(W, activation=activation, bias=0.0)
    assert solved.residual < 1e-40
    np.testing.assert_allclose(solved.readout, a, rtol=1e-12)
    assert taylor_system(W, activation="exp").residual > 0.1
    scales = [0.1, 0.03, 0.01]
    errors = folded_sign_sum_error(n, activation, 0.0, scales, seed=0)
    assert np.polyfit(np.log(scales), np.log(errors), 1)[0] == pytest.approx(2.0, abs=0.15)


def test_folded_sign_sum_refuses_where_it_cannot_work():
    for activation, n in (("tanh", 4), ("softplus", 3), ("exp", 3)):
        with pytest.raises(InvalidArgumentError, match="c_"):
            folded_sign_sum(n, activation, 0.0)


@pytest.mark.parametrize(("n", "k", "expected"), [(8, 1, 256), (8, 3, 28), (16, 4, 60), (64, 6, 252), (4, 2, 12)])
def test_depth_k_bound(n, k, expected):
    assert depth_k_bound(n, k)[0] == expected


def _all_groupings(n: int, k: int):
    """Every sequence of at most k group sizes >= 2 that reduces n values to one (exhaustive)."""
    def rec(g, levels):
        if g == 1:
            yield ()
            return
        if levels == 0:
            return
        for b in range(2, g + 1):
            for rest in rec(-(-g // b), levels - 1):
                yield (b, *rest)
    yield from rec(n, k)


@pytest.mark.parametrize("n", [4, 5, 7, 9, 12, 16])
def test_best_grouping_against_exhaustive_enumeration(n):
    assert best_grouping(n, 1) == (2**n, (n,))
    for k in (2, 3):  # every group of the optimum is far below the gate library's 12 inputs
        costs = {g: grouped_neurons(grouped_levels(n, g)) for g in _all_groupings(n, k) if max(g) <= 12}
        found = best_grouping(n, k)
        assert found[0] == min(costs.values()) == costs[found[1]]


@pytest.mark.parametrize(("n", "groups"), [(8, (2, 2, 2)), (9, (3, 3)), (8, (2, 4)), (6, (3, 2)), (8, (3, 3)),
                                           (5, (2, 2, 2)), (7, (4, 2))])
def test_grouped_products_against_sympy(n, groups):
    net = deepcheap.compile(library.product(n), strategy="grouped", groups=groups)
    levels = grouped_levels(n, groups)
    built = sum(2**b for level in levels for b in level if b >= 2)  # counted from the levels, one gate per group
    assert net.neurons == built and net.depth == len(groups)
    exact = sp.lambdify(sp.symbols(net.variables), library.product(n), "numpy")
    x = torch.rand(2000, n, dtype=torch.float64, generator=torch_generator(n)) * 2 - 1
    oracle = torch.as_tensor(exact(*x.T.numpy()))
    with torch.no_grad():
        assert float((net(x) - oracle).abs().max()) <= net.predicted_error
        np.testing.assert_allclose(net.mlp(x).squeeze(-1).numpy(), net(x).numpy(), atol=1e3 * net.predicted_error)


def test_grouped_strategy_with_coefficient_constant_powers_and_domain():
    expr = sp.sympify("3*x**2*y*z - 2")
    net = deepcheap.compile(expr, strategy="grouped", depth=2, domain=(-2.0, 2.0), eps=1e-6)
    x = torch.rand(3000, 3, dtype=torch.float64, generator=torch_generator(1)) * 4 - 2
    exact = sp.lambdify(sp.symbols(net.variables), expr, "numpy")
    error = float((net(x) - torch.as_tensor(exact(*x.T.numpy()))).abs().max())
    assert error <= 1e-6
    assert net.construction.details["groups"] == best_grouping(4, 2)[1]
    assert grouped_product(16, depth=3).neurons == best_grouping(16, 3)[0]


def test_grouped_strategy_bad_input():
    with pytest.raises(InvalidArgumentError, match="one product"):
        deepcheap.compile("x*y + z", strategy="grouped", depth=2)
    with pytest.raises(InvalidArgumentError, match="exactly one"):
        deepcheap.compile("x*y*z", strategy="grouped")
    with pytest.raises(InvalidArgumentError, match="b <= 12"):
        grouped_product(10**6, (10**6,))
    with pytest.raises(InvalidArgumentError, match="product of the group sizes"):
        grouped_product(8, (2,))
    with pytest.raises(InvalidArgumentError, match="integers"):
        grouped_product(8, (2.5, 4))


@pytest.mark.parametrize("d", [2, 3, 4, 5, 8, 12])
def test_power_counts_in_both_conventions_against_built_networks(d):
    row = power_networks(d, seed=0)
    assert row.shallow_bias_free == monomial_gate((d,), order=2, bias_free=True).neurons == d + 1
    assert row.shallow_with_biases == deepcheap.compile(library.power(d), strategy="shallow", order=2).neurons
    deep = deepcheap.compile(library.power(d))
    gates = deep.gate_counts
    bias_free = (gates.get("square", 0) * square_gate(bias_free=True).neurons
                 + gates.get("product", 0) * product_gate().neurons)
    assert (row.deep_with_biases, row.deep_bias_free) == (deep.neurons, bias_free)
    assert row.deep_bias_free <= row.rolnick_tegmark_bound == 7 * math.ceil(math.log2(d))


def test_flattening_cost():
    deep = deepcheap.compile(library.product(6))
    flat = deepcheap.compile(library.product(6), strategy="shallow")
    cost = flattening_cost(deep, flat)
    assert cost.C_n == pytest.approx(64 / 20)
    assert cost.C_s > 1
    mlp = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))
    assert counts(mlp) == (5, 20)
    with pytest.raises(InvalidArgumentError, match="count"):
        counts("network")


def test_minimal_width_search_is_deterministic_and_reports_its_budget():
    tasks = [ProductTask(2, (0.0, 2.0))]
    budget = Budget(steps=300, train_points=128, test_points=256)
    a = minimal_widths(tasks, "shallow", "tanh", target=0.05, seeds=2, budget=budget, seed=3, buckets=((1, 2, 4),))
    b = minimal_widths(tasks, "shallow", "tanh", target=0.05, seeds=2, budget=budget, seed=3, buckets=((1, 2, 4),))
    assert a[0].errors == b[0].errors
    found = a[0].min_width
    assert found is not None and a[0].neurons == found and a[0].budget["steps"] == 300
    assert min(a[0].errors[str(found)]) <= 0.05
    assert all(min(e) > 0.05 for w, e in a[0].errors.items() if int(w) < found)  # it is the smallest
    assert json.loads(json.dumps(a[0].to_dict()))["neurons"] == found


def test_minimal_width_bad_input():
    with pytest.raises(InvalidArgumentError, match="n"):
        minimal_widths([ProductTask(1)], "shallow", "tanh", seed=0)
    with pytest.raises(InvalidArgumentError, match="target"):
        minimal_widths([ProductTask(2)], "shallow", "tanh", target=0, seed=0)
    with pytest.raises(InvalidArgumentError, match="architecture"):
        minimal_widths([ProductTask(2)], "wide", "tanh", seed=0)
    with pytest.raises(InvalidArgumentError, match="seed"):
        minimal_widths([ProductTask(2)], "shallow", "tanh", seed=None)


def test_enumeration_helper_is_exhaustive():
    assert sorted(_all_groupings(4, 2)) == [(2, 2), (3, 2), (4,)]
    assert all(math.prod(g) >= 4 for g in itertools.islice(_all_groupings(4, 3), 10))
