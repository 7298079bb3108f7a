"""Polynomial flattening: constructions against the theorems' formulas; the certificate both ways."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from deepcheap import compile as compile_polynomial
from deepcheap import library
from deepcheap.errors import InvalidArgumentError, ResourceLimitError
from deepcheap.flattening.costs import counts, flattening_cost
from deepcheap.flattening.polynomial import (
    depth_k_bound,
    first_layer,
    grouped_product,
    product_networks,
    shallow_error_curve,
    subset_matrix,
    taylor_rank,
)
from deepcheap.flattening.trained import Budget, ProductTask, minimal_widths
from deepcheap.gates import monomial_gate, sample_box, shallow_product_gate


@pytest.mark.parametrize("n", range(2, 13))
def test_constructed_counts_equal_the_formulas(n):
    row = product_networks(n)
    assert row["shallow_neurons"] == 2**n
    assert row["deep_neurons"] == 4 * (n - 1)
    assert row["C_n"] == pytest.approx(2**n / (4 * (n - 1)))


def test_shallow_construction_converges_like_lambda_squared():
    for n in (2, 4, 6):
        curve = shallow_error_curve(n)
        assert curve["errors"][0] < curve["errors"][-1]
        slope = np.polyfit(np.log(curve["scales"]), np.log(curve["errors"]), 1)[0]
        assert slope == pytest.approx(2.0, abs=0.15)


def test_too_large_shallow_product_is_refused_with_its_size():
    with pytest.raises(ResourceLimitError, match="1,048,576 neurons"):
        product_networks(20)
    assert product_networks(20, build=False, memory_limit_neurons=2**21)["shallow_neurons"] == 2**20


def test_subset_matrix_definition():
    W = np.array([[2.0, 3.0], [5.0, 7.0]])
    # rows: {}, {2}, {1}, {1,2} in itertools.product order over (x1, x2)
    np.testing.assert_array_equal(subset_matrix(W), [[1, 1], [5, 7], [2, 3], [10, 21]])


@pytest.mark.parametrize("n", range(2, 9))
def test_certificate_both_ways(n):
    assert taylor_rank(first_layer(shallow_product_gate(n))).full  # the construction: rank 2^n
    rng = np.random.default_rng(n)
    assert taylor_rank(rng.normal(size=(n, 2**n - 1))).rank == 2**n - 1  # one unit short: never full
    assert taylor_rank(rng.normal(size=(n, 2**n))).full  # generic full width: full
    repeated = np.repeat(rng.normal(size=(n, 2 ** (n - 1))), 2, axis=1)  # wide enough but degenerate
    assert not taylor_rank(repeated).full


@given(st.lists(st.integers(1, 3), min_size=1, max_size=3))
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


def test_first_layer_of_compiled_shallow_network():
    net = compile_polynomial(library.product(3), strategy="shallow")
    assert taylor_rank(first_layer(net)).full
    with pytest.raises(InvalidArgumentError, match="shallow"):
        first_layer(compile_polynomial(library.product(3)))


@pytest.mark.parametrize(("n", "k", "expected"), [(8, 1, 256), (8, 3, 28), (16, 4, 60), (64, 6, 252), (4, 2, 12)])
def test_depth_k_bound(n, k, expected):
    assert depth_k_bound(n, k)[0] == expected


@pytest.mark.parametrize(("n", "groups"), [(8, (2, 2, 2)), (9, (3, 3)), (8, (2, 4)), (6, (3, 2))])
def test_grouped_products_match_their_formula_and_converge(n, groups):
    module, neurons, predicted = grouped_product(n, groups)
    formula = sum(math.prod(groups[i + 1:]) * 2 ** groups[i] for i in range(len(groups)))
    assert neurons == formula
    x = sample_box((-1, 1), n, 2000)
    assert float((module(x) - x.prod(dim=1)).abs().max()) <= predicted
    with pytest.raises(InvalidArgumentError, match="multiply"):
        grouped_product(n, (n - 1,))


def test_flattening_cost():
    deep = compile_polynomial(library.product(6))
    flat = compile_polynomial(library.product(6), strategy="shallow")
    cost = flattening_cost(deep, flat)
    assert cost.C_n == pytest.approx(64 / 20)
    assert cost.C_s > 1
    mlp = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))
    assert counts(mlp) == (5, 20)
    with pytest.raises(InvalidArgumentError, match="count"):
        counts("network")


def test_minimal_width_search_is_deterministic_and_reports_its_budget():
    tasks = [ProductTask(2, (0.0, 2.0))]
    budget = Budget(steps=400, train_points=128, test_points=256)
    a = minimal_widths(tasks, "shallow", "tanh", target=0.05, seeds=2, budget=budget, seed=3)
    b = minimal_widths(tasks, "shallow", "tanh", target=0.05, seeds=2, budget=budget, seed=3)
    assert a[0]["errors"] == b[0]["errors"]
    assert a[0]["min_width"] is not None
    assert a[0]["budget"]["steps"] == 400
    assert all(min(a[0]["errors"][str(a[0]["min_width"])]) <= 0.05 for _ in [0])
    smaller = [w for w in a[0]["errors"] if int(w) < a[0]["min_width"]]
    assert all(min(a[0]["errors"][w]) > 0.05 for w in smaller)  # it is the smallest


def test_minimal_width_bad_input():
    with pytest.raises(InvalidArgumentError, match="n"):
        minimal_widths([ProductTask(1)], "shallow", "tanh")
    with pytest.raises(InvalidArgumentError, match="target"):
        minimal_widths([ProductTask(2)], "shallow", "tanh", target=0)
    with pytest.raises(InvalidArgumentError, match="architecture"):
        minimal_widths([ProductTask(2)], "wide", "tanh")
