"""The compiler against independent oracles: sympy.lambdify, the theorems' counts, exact enumeration."""

import itertools
import math
import os
import pickle

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import deepcheap
from deepcheap import library
from deepcheap.boolean import all_bits, compile_boolean, moebius, multilinear_polynomial
from deepcheap.compiler import build, parse
from deepcheap.errors import (
    InvalidArgumentError,
    NetworkFileError,
    NotAPolynomialError,
    PrecisionError,
    ResourceLimitError,
)
from deepcheap.gates import sample_box

SYMBOLS = sp.symbols("a b c d")


@st.composite
def polynomials(draw, max_vars=4, max_degree=4, max_terms=8):
    n = draw(st.integers(1, max_vars))
    xs = SYMBOLS[:n]
    expr = sp.Integer(0)
    for _ in range(draw(st.integers(1, max_terms))):
        degree = draw(st.integers(0, max_degree))
        powers = [0] * n
        for _ in range(degree):
            powers[draw(st.integers(0, n - 1))] += 1
        coefficient = draw(st.integers(-10, 10) | st.floats(-10, 10, allow_nan=False).map(lambda v: round(v, 3)))
        expr += sp.nsimplify(coefficient) * sp.Mul(*[x**p for x, p in zip(xs, powers, strict=True)])
    return expr


def oracle_error(net, expr, points=1500, seed=0):
    """max |net - sympy.lambdify(expr)| and max |module - mlp| on the box (corners included)."""
    if not net.variables:
        x = torch.zeros(1, 0, dtype=torch.float64)
        expected = np.full(1, float(expr))
    else:
        x = sample_box(net.domain, len(net.variables), points, generator=torch.Generator().manual_seed(seed))
        f = sp.lambdify([sp.Symbol(v) for v in net.variables], expr, "numpy")
        expected = np.broadcast_to(np.asarray(f(*x.numpy().T), dtype=np.float64), (len(x),))
    with torch.no_grad():
        module = net(x).numpy()
        mlp = net.mlp(x).squeeze(-1).numpy()
    return float(np.abs(module - expected).max()), float(np.abs(module - mlp).max())


@settings(max_examples=200, deadline=None)
@given(polynomials(), st.sampled_from([1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7]))
def test_deep_networks_match_sympy_within_eps(expr, eps):
    net = deepcheap.compile(expr, eps=eps)
    error, disagreement = oracle_error(net, expr)
    assert error <= eps
    assert disagreement <= 1e-9
    assert net.predicted_error <= eps
    assert net.neurons <= 4 * net.multiplications


@settings(max_examples=25, deadline=None)
@given(polynomials(max_vars=3, max_degree=3, max_terms=4), st.sampled_from([1e-3, 1e-5]))
def test_shallow_and_relu_strategies_match_sympy(expr, eps):
    for strategy in ("shallow", "relu"):
        net = deepcheap.compile(expr, strategy=eps and strategy, eps=eps)
        error, disagreement = oracle_error(net, expr, points=600)
        assert error <= eps, strategy
        assert disagreement <= 1e-9, strategy


@pytest.mark.parametrize("n", range(2, 13))
def test_deep_product_of_n_uses_4_n_minus_1_gate_neurons(n):
    net = deepcheap.compile(library.product(n))
    assert net.multiplications == n - 1
    assert net.neurons == 4 * (n - 1)
    assert net.mlp_gate_neurons == 4 * (n - 1)
    assert net.depth == math.ceil(math.log2(n))
    # values that skip a layer cross it through 2-unit identities, counted apart from the gates
    expected = {2: 0, 3: 2, 4: 0, 5: 4, 8: 0, 16: 0}
    if n in expected:
        assert net.mlp_passthrough_neurons == expected[n]


@pytest.mark.parametrize("n", range(2, 11))
def test_shallow_product_of_n_uses_2_to_the_n_neurons(n):
    net = deepcheap.compile(library.product(n), strategy="shallow")
    assert net.neurons == 2**n
    assert net.depth == 1
    assert net.mlp_passthrough_neurons == 0


def test_size_does_not_depend_on_eps():
    expr = library.random_sparse_polynomial(4, 6, 4, seed=3)
    counts = {deepcheap.compile(expr, eps=eps).neurons for eps in (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7)}
    assert len(counts) == 1
    relu_depths = [deepcheap.compile(expr, strategy="relu", eps=eps).depth for eps in (1e-2, 1e-6)]
    assert relu_depths[0] < relu_depths[1]  # ReLU pays for accuracy with depth


def test_x_squared_y_uses_a_square_gate():
    net = deepcheap.compile("x**2*y")
    assert net.gate_counts == {"square": 1, "product": 1}
    assert net.neurons == 6


def test_shared_subproducts_are_computed_once():
    net = deepcheap.compile("x*y*z*w + x*y*u")
    assert net.multiplications == 4


def test_power_uses_repeated_squaring():
    net = deepcheap.compile(library.power(16))
    assert net.multiplications == 4
    assert net.gate_counts == {"square": 4}


def test_constant_and_linear_expressions_have_no_hidden_neurons():
    for expr in ("3", "2*x - y + 1"):
        net = deepcheap.compile(expr)
        assert net.neurons == 0
        assert net.depth == 0
        error, disagreement = oracle_error(net, sp.sympify(expr))
        assert error <= 1e-15
        assert disagreement <= 1e-15


def test_variables_sorted_by_name_or_given():
    assert deepcheap.compile("z*a + b").variables == ("a", "b", "z")
    net = deepcheap.compile("z*a + b", variables=["z", "b", "a", "extra"])
    assert net.variables == ("z", "b", "a", "extra")
    x = torch.tensor([[2.0, 3.0, 0.5, 9.0]], dtype=torch.float64) / 10
    assert float(net(x)) == pytest.approx(0.2 * 0.05 + 0.3, abs=1e-9)
    with pytest.raises(InvalidArgumentError, match="not in variables"):
        deepcheap.compile("x*y", variables=["x"])


def test_library_ising_energy_equals_direct_computation():
    L = 6
    net = deepcheap.compile(library.ising_2d(L))
    assert len(net.polynomial) == 2 * L * L
    spins = torch.randint(0, 2, (200, L * L), generator=torch.Generator().manual_seed(1)).double() * 2 - 1
    s = spins.view(-1, L, L)
    direct = -(s * (s.roll(1, 1) + s.roll(1, 2))).sum((1, 2))
    torch.testing.assert_close(net(spins), direct, rtol=0, atol=1e-8)


def test_phi4_and_random_library_polynomials_compile():
    net = deepcheap.compile(library.phi4(4, dims=2), eps=1e-6)
    assert net.polynomial.degree == 4
    error, _ = oracle_error(net, library.phi4(4, dims=2), points=300)
    assert error <= 1e-6


def test_chunked_evaluation_matches(monkeypatch):
    expr = library.ising_1d(50)
    x = torch.rand(300, 50, dtype=torch.float64, generator=torch.Generator().manual_seed(2)) * 2 - 1
    whole = deepcheap.compile(expr)(x)
    monkeypatch.setattr(build, "CHUNK_BYTES", 4096)
    chunked_net = deepcheap.compile(expr)
    assert chunked_net.module.rows_per_chunk < 300
    # not bit-identical (BLAS sums in another order for other shapes), but within rounding
    torch.testing.assert_close(chunked_net(x), whole, rtol=0, atol=chunked_net.predicted_error)


def test_strict_mlp_refuses_politely_above_the_memory_limit():
    net = deepcheap.compile(library.ising_2d(16))
    with pytest.raises(ResourceLimitError, match=r"GiB.*\.module"):
        net.strict_mlp(memory_limit=1000)


# --- Boolean functions ------------------------------------------------------------------------


def brute_force_coefficients(values, n):
    """h_S = sum_{T subset S} (-1)^(|S|-|T|) f(T), straight from the definition."""
    h = {}
    for S in itertools.product((0, 1), repeat=n):
        total = 0.0
        for T in itertools.product((0, 1), repeat=n):
            if all(t <= s for s, t in zip(S, T, strict=True)):
                index = int("".join(map(str, T)), 2) if n else 0
                total += (-1) ** (sum(S) - sum(T)) * values[index]
        h[S] = total
    return h


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 8).flatmap(lambda n: st.lists(st.integers(0, 1), min_size=2**n, max_size=2**n)))
def test_random_boolean_functions_are_exact_after_rounding(table):
    n = int(math.log2(len(table)))
    net = compile_boolean(table)
    x = torch.tensor(list(itertools.product((0.0, 1.0), repeat=n)), dtype=torch.float64)
    assert torch.equal(net(x).round(), torch.tensor(table, dtype=torch.float64))
    nonzero = sum(1 for S, h in brute_force_coefficients(table, n).items() if any(S) and h != 0)
    assert net.neurons == nonzero <= 2**n - 1
    assert net.max_error <= 1e-6


def test_moebius_matches_the_definition():
    values = np.random.default_rng(0).normal(size=32)
    fast = moebius(values)
    slow = brute_force_coefficients(values, 5)
    for index, S in enumerate(itertools.product((0, 1), repeat=5)):
        assert fast[index] == pytest.approx(slow[S], abs=1e-12)


def test_boolean_from_sympy_parity_needs_every_monomial():
    xs = sp.symbols("p q r s")
    net = compile_boolean(sp.Xor(*xs))
    assert net.neurons == 2**4 - 1
    assert net.variables == ("p", "q", "r", "s")
    assert compile_boolean(sp.And(*xs)).neurons == 1  # AND is one monomial: Eq. 13 itself


def test_boolean_bad_input():
    with pytest.raises(InvalidArgumentError, match="2\\^n"):
        compile_boolean([0, 1, 1])
    with pytest.raises(NotAPolynomialError, match="Boolean"):
        compile_boolean(sp.Symbol("x") + 1)
    with pytest.raises(PrecisionError, match=r"out of reach in float32.*float64"):
        compile_boolean([0, 1, 1, 0], error=1e-9, dtype=torch.float32)


@pytest.mark.parametrize("error", [1e-2, 1e-6, 1e-10])
def test_the_bits_strategy_meets_eps_on_every_bit_pattern(error):
    """A multilinear polynomial with real coefficients, checked against its own evaluation on all 2^5 inputs."""
    expr = sp.sympify("3*a*b*c - 2.5*b*d + 0.75*a*c*d*e - e + 0.5")
    net = deepcheap.compile(expr, strategy="bits", eps=error)
    assert (net.strategy, net.activation, net.domain, net.binary) == ("bits", "sigmoid", (0.0, 1.0), True)
    assert net.neurons == 4 and net.depth == 1  # one sigmoid neuron per non-constant monomial (Eq. 13)
    x = all_bits(5)
    f = sp.lambdify(sp.symbols("a b c d e"), expr, "numpy")
    expected = np.asarray(f(*x.numpy().T), dtype=np.float64)
    with torch.no_grad():
        assert float(np.abs(net(x).numpy() - expected).max()) <= error
        assert float(np.abs(net.mlp(x).squeeze(-1).numpy() - expected).max()) <= error
    assert net.predicted_error <= error * (1 + 1e-12)  # eps itself, up to the rounding of beta


def test_compile_boolean_is_the_bits_strategy_on_the_multilinear_polynomial():
    table = [0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1]
    boolean = compile_boolean(table, error=1e-8)
    direct = deepcheap.compile(multilinear_polynomial(np.array(table, dtype=float), boolean.variables), "bits", 1e-8)
    assert boolean.strategy == "bits" and boolean.variables == ("x_1", "x_2", "x_3", "x_4")
    for (name, a), (_, b) in zip(boolean.module.state_dict().items(), direct.module.state_dict().items(), strict=True):
        assert torch.equal(a, b), name


def test_the_bits_strategy_refuses_what_it_cannot_compute():
    with pytest.raises(InvalidArgumentError, match="multilinear"):
        deepcheap.compile("x**2*y", strategy="bits")
    with pytest.raises(InvalidArgumentError, match=r"bits \{0, 1\}"):
        deepcheap.compile("x*y", strategy="bits", domain=(-1, 1))
    with pytest.raises(InvalidArgumentError, match="sigmoid"):
        deepcheap.compile("x*y", strategy="bits", activation="softplus")
    with pytest.raises(InvalidArgumentError, match="groups"):
        deepcheap.compile("x*y", strategy="bits", groups=(2,))
    assert deepcheap.compile("x*y", strategy="bits", domain=(0, 1)).domain == (0.0, 1.0)


# --- bad input and files ----------------------------------------------------------------------


@pytest.mark.parametrize(("expr", "named"), [("sin(x) + y", "sin(x)"), ("1/x + y", "1/x"), ("sqrt(x)*y", "sqrt(x)"),
                                             ("x**y", "x**y"), ("exp(x)", "exp(x)")])
def test_non_polynomials_name_the_offending_subexpression(expr, named):
    with pytest.raises(NotAPolynomialError, match=named.replace("*", r"\*").replace("(", r"\(").replace(")", r"\)")):
        deepcheap.compile(expr)


@pytest.mark.parametrize("expr", [sp.oo * sp.Symbol("x"), sp.Symbol("x") + sp.nan, sp.Float("inf") * sp.Symbol("y"),
                                  sp.I * sp.Symbol("x")])
def test_non_finite_or_complex_coefficients(expr):
    with pytest.raises(InvalidArgumentError):
        deepcheap.compile(expr)


def test_other_bad_arguments():
    with pytest.raises(InvalidArgumentError, match="lo < hi"):
        deepcheap.compile("x*y", domain=(1, 1))
    with pytest.raises(InvalidArgumentError, match="strategy"):
        deepcheap.compile("x*y", strategy="wide")
    with pytest.raises(InvalidArgumentError, match="eps"):
        deepcheap.compile("x*y", eps=0)
    with pytest.raises(NotAPolynomialError, match="could not read"):
        deepcheap.compile("x +* y")
    with pytest.raises(InvalidArgumentError, match="relu"):
        deepcheap.compile("x*y", strategy="relu", activation="tanh")


def test_unreachable_eps_states_the_best_and_suggests_float64():
    with pytest.raises(PrecisionError, match=r"best this network can guarantee is .*float64"):
        deepcheap.compile("x*y", eps=1e-9, dtype=torch.float32)


def test_save_load_round_trip(tmp_path):
    for net in (deepcheap.compile("x**2*y - 3*z", eps=1e-6), deepcheap.compile("x*y", strategy="relu", eps=1e-3),
                compile_boolean([0, 1, 1, 0, 1, 0, 0, 1])):
        path = tmp_path / "net.dcnet"
        deepcheap.save(net, path)
        loaded = deepcheap.load(path)
        x = net.measure_inputs(200, seed=0)
        assert torch.equal(loaded(x), net(x))
        assert loaded.variables == net.variables
        assert loaded.neurons == net.neurons


def test_load_refuses_foreign_files_without_running_them(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    (tmp_path / "evil.dcnet").write_bytes(pickle.dumps(Evil()))
    torch.save({"format": "deepcheap.network", "version": 1, "metadata": "{}", "tensors": Evil()},
               tmp_path / "evil2.dcnet")
    (tmp_path / "text.dcnet").write_text("just text")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    for name in ("evil.dcnet", "evil2.dcnet", "text.dcnet", "other.pt", "missing.dcnet"):
        with pytest.raises(NetworkFileError):
            deepcheap.load(tmp_path / name)
    assert not marker.exists()


def test_parse_reads_strings_and_expands_only_when_needed():
    p = parse("(x + y)^2 - 2*x*y")
    assert p.to_sympy() == sp.sympify("x**2 + y**2")
    big = library.ising_2d(12)
    assert len(parse(big)) == 2 * 144
