"""The necessity search: residuals and Jacobians against finite differences, the constructions, recovery."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepcheap.errors import InvalidArgumentError
from deepcheap.flattening.necessity import NecessityProblem, _Objective, construction, multi_indices, search


@settings(max_examples=20)
@given(exponents=st.sampled_from([(1, 1), (1, 1, 1), (2, 1), (3,)]), activation=st.sampled_from(["exp", "softplus"]),
       sense=st.sampled_from(["uniform", "taylor"]), width=st.integers(1, 6), seed=st.integers(0, 2**31))
def test_jacobian_matches_finite_differences(exponents, activation, sense, width, seed):
    problem = NecessityProblem(exponents, activation, width, sense, grid=4)
    objective = _Objective(problem)
    theta = np.random.default_rng(seed).normal(scale=0.5, size=width * (len(exponents) + 1))
    jac = objective.jacobian(theta)
    h = 1e-6
    numeric = np.stack([(objective.residuals(theta + h * e) - objective.residuals(theta - h * e)) / (2 * h)
                        for e in np.eye(len(theta))], axis=1)
    assert np.allclose(jac, numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("exponents", "activation"), [((1, 1), "exp"), ((1, 1, 1), "softplus"), ((2, 1), "exp"),
                                                       ((3,), "softplus"), ((1, 1, 1), "tanh")])
def test_constructions_match_the_monomial(exponents, activation):
    problem = NecessityProblem(exponents, activation, 1, "uniform", grid=5)
    problem = NecessityProblem(exponents, activation, problem.construction_width, "taylor")
    taylor = _Objective(problem).residuals(construction(problem, 0.1))
    assert np.abs(taylor).max() < 1e-9  # exact up to degree d, at any scale
    uniform = NecessityProblem(exponents, activation, problem.width, "uniform", grid=5)
    assert np.abs(_Objective(uniform).residuals(construction(uniform, None))).max() < 1e-4


@pytest.mark.parametrize("n", [2, 3])
def test_the_search_recovers_the_construction_from_random_starts(n):
    result = search(NecessityProblem((1,) * n, "exp", 2**n, "taylor"), restarts=6, effort=300, seed=0,
                    constructed=False)
    assert result.best_error <= 1e-6
    assert all(r.start.startswith("random") for r in result.restarts)


def test_one_unit_short_of_the_bound_stalls_in_the_uniform_sense():
    short = search(NecessityProblem((1, 1), "exp", 3, "uniform", grid=9), restarts=8, effort=200, seed=0)
    enough = search(NecessityProblem((1, 1), "exp", 4, "uniform", grid=9), restarts=8, effort=200, seed=0)
    assert short.best_error > 0.1 and enough.best_error < 1e-6
    assert short.to_dict()["bound"] == 4 and len(short.to_dict()["restarts"]) == 8


def test_hypotheses_and_bad_input():
    assert NecessityProblem((1, 1, 1), "exp", 8).hypotheses() == {"applies": True, "vanishing_orders": []}
    assert NecessityProblem((1, 1, 1), "tanh", 4).hypotheses()["vanishing_orders"] == [0, 2]
    assert NecessityProblem((1, 1, 1), "tanh", 4).construction_width == 4
    with pytest.raises(InvalidArgumentError, match="odd"):
        _ = NecessityProblem((1, 1), "tanh", 2).construction_width
    for bad in [{"exponents": ()}, {"exponents": (0, 1)}, {"activation": "relu"}, {"sense": "weak"}, {"width": 0}]:
        with pytest.raises(InvalidArgumentError):
            NecessityProblem(**{"exponents": (1, 1), "activation": "exp", "width": 2, **bad})
    assert len(multi_indices(2, 2)) == 6
