"""Decompilation against known polynomials, brute-force transforms and numpy least squares."""

import itertools
import json

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import deepcheap
from deepcheap.boolean import multilinear_polynomial
from deepcheap.compiler import walsh
from deepcheap.compiler.decompile import variance_by_order
from deepcheap.compiler.polynomial import Polynomial
from deepcheap.errors import InvalidArgumentError, ResourceLimitError


def seeded(seed):
    return torch.Generator().manual_seed(seed)


def _characters(n):
    """chi_S(s) for every state (rows) and S (columns), by brute force."""
    states = np.array(list(itertools.product((-1.0, 1.0), repeat=n)))
    subsets = [walsh.index_to_variables(i, n) for i in range(2**n)]
    return states, np.stack([np.prod(states[:, list(S)], axis=1) for S in subsets], axis=1)


def test_walsh_hadamard_equals_the_brute_force_sum():
    rng = np.random.default_rng(0)
    for n in (1, 3, 6):
        states, chi = _characters(n)
        assert np.array_equal(walsh.all_states(n), states)
        f = rng.normal(size=2**n)
        c = walsh.walsh_hadamard(f)
        np.testing.assert_allclose(c, chi.T @ f / 2**n, atol=1e-13)
        np.testing.assert_allclose(walsh.inverse_walsh_hadamard(c), f, atol=1e-13)
        assert walsh.orders(n).tolist() == [len(walsh.index_to_variables(i, n)) for i in range(2**n)]


def _planted(n, seed):
    rng = np.random.default_rng(seed)
    terms = {}
    for k in (1, 2, 3):
        for S in rng.choice(list(itertools.combinations(range(n), k)), size=4, replace=False):
            terms[tuple((int(i), 1) for i in S)] = float(rng.normal())
    terms[()] = 0.5
    return Polynomial(tuple(f"s{i}" for i in range(n)), terms)


def test_a_planted_hamiltonian_is_recovered_exactly_from_a_callable():
    planted = _planted(8, seed=1)
    result = deepcheap.decompile(lambda x: torch.as_tensor(planted.evaluate(x)), planted.variables)
    assert result.method == "walsh-hadamard" and result.inputs == "spins"
    recovered = {m: c for m, c in result.coefficients.items() if abs(c) > 1e-12}
    assert recovered.keys() == planted.terms.keys()
    assert max(abs(recovered[m] - c) for m, c in planted.terms.items()) < 1e-10
    assert result.residual_max < 1e-12 and result.residual_points == 256


def _multilinear_on_spins(p: Polynomial) -> dict:
    """p restricted to s_i = +/-1: even powers become 1, odd powers the variable."""
    out = {}
    for m, c in p.terms.items():
        key = tuple((v, 1) for v, r in m if r % 2)
        out[key] = out.get(key, 0.0) + c
    return out


polynomials = st.builds(
    lambda terms: Polynomial(("x", "y", "z"), {tuple(sorted(m)): c for m, c in terms.items()}),
    st.dictionaries(
        st.sets(st.tuples(st.integers(0, 2), st.integers(1, 3)), min_size=0, max_size=2).map(
            lambda s: tuple(sorted({v: p for v, p in s}.items()))).filter(lambda m: sum(p for _, p in m) <= 4),
        st.floats(-2, 2).filter(lambda c: abs(c) > 1e-3), min_size=1, max_size=5),
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(polynomials)
def test_round_trip_on_the_box_within_the_error_bound(p):
    net = deepcheap.compile(p, eps=1e-7)
    result = deepcheap.decompile(net, inputs="box", generator=seeded(0))  # degree and box: the network's own
    assert result.method == "least-squares" and result.degree == p.degree
    for m in set(result.coefficients) | set(p.terms):
        error = abs(result.coefficients.get(m, 0.0) - p.terms.get(m, 0.0))
        assert error <= result.uncertainty.get(m, 0.0) + 1e-11, (m, error, result.uncertainty.get(m))
    assert result.residual_max <= 4 * net.predicted_error + 1e-12


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(polynomials, st.sampled_from(["deep", "shallow", "relu"]))
def test_round_trip_on_spins_within_the_error_bound(p, strategy):
    net = deepcheap.compile(p, strategy=strategy, eps=1e-6)
    result = deepcheap.decompile(net, inputs="spins")
    expected = _multilinear_on_spins(p)
    for m in set(result.coefficients) | set(expected):
        error = abs(result.coefficients.get(m, 0.0) - expected.get(m, 0.0))
        assert error <= net.predicted_error + 1e-14
    assert all(u == net.predicted_error for u in result.uncertainty.values())


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 6).flatmap(lambda n: st.lists(st.integers(-3, 3), min_size=2**n, max_size=2**n)))
def test_boolean_functions_come_back_exactly(table):
    n = int(np.log2(len(table)))
    net = deepcheap.compile_boolean(table)
    result = deepcheap.decompile(net)  # bits, Moebius
    assert result.method == "moebius" and result.inputs == "bits"
    exact = multilinear_polynomial(np.array(table, dtype=float), net.variables).terms
    assert result.rounded(0).coefficients == exact
    assert all(abs(c - exact.get(m, 0.0)) <= result.uncertainty[m] for m, c in result.coefficients.items())
    assert result.residual_points == 2**n


def test_bits_least_squares_at_full_degree_is_the_moebius_transform():
    table = np.random.default_rng(3).normal(size=16)
    f = deepcheap.compile_boolean(list(table))
    exact = deepcheap.decompile(f)
    fitted = deepcheap.decompile(f, degree=4, method="least-squares", points=4000, generator=seeded(2))
    for m, c in exact.coefficients.items():
        assert abs(fitted.coefficients[m] - c) < 1e-9


def test_weighted_least_squares_equals_numpy_and_the_shares_add_up():
    n = 6
    planted = _planted(n, seed=4)
    states = walsh.all_states(n)
    energy = states[:, :-1] @ np.ones(n - 1) * 0 + (states[:, :-1] * states[:, 1:]).sum(axis=1)
    weights = np.exp(0.7 * energy)  # a Boltzmann weight, far from uniform
    result = deepcheap.decompile(lambda x: torch.as_tensor(planted.evaluate(x)), planted.variables, degree=2,
                                 weights=weights)
    assert result.method == "weighted-least-squares"
    columns = [S for k in range(3) for S in itertools.combinations(range(n), k)]
    A = np.stack([np.prod(states[:, list(S)], axis=1) for S in columns], axis=1)
    w = weights / weights.sum()
    oracle, *_ = np.linalg.lstsq(A * np.sqrt(w)[:, None], planted.evaluate(states) * np.sqrt(w), rcond=None)
    for S, c in zip(columns, oracle, strict=True):
        assert abs(result.coefficients.get(tuple((v, 1) for v in S), 0.0) - c) < 1e-10
    residual = planted.evaluate(states) - A @ oracle
    assert result.residual_rms == pytest.approx(np.sqrt(w @ residual**2), rel=1e-9)

    exact = deepcheap.decompile(lambda x: torch.as_tensor(planted.evaluate(x)), planted.variables)
    uniform = variance_by_order(exact)
    by_parseval = {k: sum(c**2 for m, c in exact.coefficients.items() if walsh.by_order(m) == k) for k in uniform}
    total = sum(v for k, v in by_parseval.items() if k != "0")
    assert uniform["0"] == 0.0
    for k in ("1", "2", ">=3"):
        assert uniform[k] == pytest.approx(by_parseval[k] / total, abs=1e-12)
    shares = variance_by_order(exact, weights)
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-12)
    f = planted.evaluate(states)
    third = sum(c * np.prod(states[:, [v for v, _ in m]], axis=1) for m, c in planted.terms.items() if len(m) == 3)
    cov = w @ ((third - w @ third) * (f - w @ f)) / (w @ (f - w @ f) ** 2)
    assert shares[">=3"] == pytest.approx(cov, abs=1e-12)
    pairs = variance_by_order(exact, weights, groups=lambda S: "nn" if len(S) == 2 and S[1] == S[0] + 1 else "rest")
    assert set(pairs) == {"nn", "rest"} and sum(pairs.values()) == pytest.approx(1.0)


def test_many_spins_are_fitted_from_samples_reproducibly():
    n = 24
    rng = np.random.default_rng(5)
    J = {(i, i + 1): float(rng.normal()) for i in range(n - 1)}
    f = lambda x: sum(c * x[:, i] * x[:, j] for (i, j), c in J.items()) + 0.3 * x[:, 0]  # noqa: E731
    results = [deepcheap.decompile(f, n, degree=2, points=1200, generator=seeded(1))
               for _ in range(2)]
    assert results[0] == results[1] and results[0].method == "least-squares"
    got = results[0].coefficients
    assert max(abs(got[((i, 1), (j, 1))] - c) for (i, j), c in J.items()) < 1e-10
    assert abs(got[((0, 1),)] - 0.3) < 1e-10 and results[0].residual_max < 1e-10


def test_taylor_coefficients_by_autograd():
    f = lambda x: torch.exp(x[:, 0]) * (1 + x[:, 1]) ** 2  # noqa: E731
    result = deepcheap.decompile(f, ["u", "v"], inputs="box", method="taylor", degree=3, at=[0.0, 0.0],
                                 generator=seeded(0))
    u, v = sp.symbols("u v")
    series = sp.expand(sp.series(sp.exp(u), u, 0, 4).removeO() * (1 + v) ** 2)
    expected = {tuple((i, r) for i, r in enumerate(e) if r): float(c) for e, c in sp.Poly(series, u, v).terms()
                if sum(e) <= 3}
    assert result.coefficients.keys() == expected.keys()
    assert all(abs(result.coefficients[m] - c) < 1e-12 for m, c in expected.items())
    net = deepcheap.compile("x**2*y - 3*y + 1", eps=1e-9)
    shifted = deepcheap.decompile(net, method="taylor", degree=3, at=[0.3, -0.2], generator=seeded(0))
    assert shifted.rounded(5).polynomial == sp.sympify("x**2*y - 3*y + 1")  # test-side only: our own literal
    assert shifted.details["at"] == [0.3, -0.2]


def test_modules_and_callables_are_accepted_and_results_serialise():
    linear = torch.nn.utils.skip_init(torch.nn.Linear, 3, 1, dtype=torch.float64)  # weights set below
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[1.0, -2.0, 0.5]]))
        linear.bias.fill_(0.25)
    result = deepcheap.decompile(linear, ["a", "b", "c"])
    assert result.rounded(12).coefficients == {((0, 1),): 1.0, ((1, 1),): -2.0, ((2, 1),): 0.5, (): 0.25}
    assert str(result.rounded(12).polynomial) == "a - 2*b + 0.5*c + 0.25"
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["method"] == "walsh-hadamard" and payload["residual"]["points"] == 8
    assert {"monomial": {"a": 1}, "coefficient": 1.0} in payload["coefficients"]


def test_tolerances_drop_what_the_bound_cannot_tell_from_zero():
    tilt = torch.tensor([0.3, 0.7, 1.1], dtype=torch.float64)
    noisy = lambda x: x[:, 0] * x[:, 1] + 0.5 * x[:, 2] + 1e-9 * torch.exp(x @ tilt)  # noqa: E731
    full = deepcheap.decompile(noisy, 3)
    assert len(full.coefficients) == 8 and full.uncertainty is None
    clean = deepcheap.decompile(noisy, 3, tol="uncertainty", error_bound=1e-8)
    assert set(clean.coefficients) == {((0, 1), (1, 1)), ((2, 1),)} and clean.details["dropped"] == 6
    assert len(deepcheap.decompile(noisy, 3, tol=0.1).coefficients) == 2
    with pytest.raises(InvalidArgumentError, match="error_bound"):
        deepcheap.decompile(noisy, 3, tol="uncertainty")


def test_decompile_refuses_what_it_cannot_do():
    f = lambda x: x[:, 0]  # noqa: E731
    with pytest.raises(InvalidArgumentError, match="variables"):
        deepcheap.decompile(f)
    with pytest.raises(InvalidArgumentError, match="degree"):
        deepcheap.decompile(f, 2, inputs="box")
    with pytest.raises(InvalidArgumentError, match="degree"):
        deepcheap.decompile(f, 2, weights=[1, 1, 1, 1])
    with pytest.raises(InvalidArgumentError, match="weights"):
        deepcheap.decompile(f, 2, weights=[1, 1, 1], degree=1)
    with pytest.raises(InvalidArgumentError, match="degree"):
        deepcheap.decompile(f, 30)
    with pytest.raises(InvalidArgumentError, match="taylor"):
        deepcheap.decompile(f, 2, method="taylor")
    with pytest.raises(InvalidArgumentError, match="NaN"):
        deepcheap.decompile(lambda x: x[:, 0] / 0 * 0, 2)
    with pytest.raises(InvalidArgumentError, match=r"\(N,\)"):
        deepcheap.decompile(lambda x: x, 2)
    with pytest.raises(ResourceLimitError, match="GiB"):
        deepcheap.decompile(f, 200, inputs="box", degree=3, generator=seeded(0))


def test_a_method_that_samples_requires_a_generator_and_the_exact_ones_draw_nothing():
    f = lambda x: x[:, 0] * x[:, 1] - x[:, 2]  # noqa: E731
    for options in ({"inputs": "box", "degree": 2}, {"inputs": "box", "method": "taylor", "degree": 2},
                    {"degree": 2, "method": "least-squares"}):
        with pytest.raises(InvalidArgumentError, match=r"generator=torch\.Generator"):
            deepcheap.decompile(f, 3, **options)
    torch.manual_seed(1)
    state = torch.get_rng_state()
    exact = deepcheap.decompile(f, 3)  # all 8 spin states: no generator needed, none drawn from
    assert exact.method == "walsh-hadamard" and torch.equal(torch.get_rng_state(), state)
    box = deepcheap.decompile(f, 3, inputs="box", degree=2, generator=seeded(7))
    assert torch.equal(torch.get_rng_state(), state)
    torch.manual_seed(2)  # the global generator has no say
    assert deepcheap.decompile(f, 3, inputs="box", degree=2, generator=seeded(7)) == box
