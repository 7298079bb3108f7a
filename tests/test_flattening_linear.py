"""Linear no-flattening: every network against an independent oracle (numpy.fft, scipy.linalg.hadamard, A @ B)."""

import json
import math

import numpy as np
import pytest
import scipy.linalg
import torch
from hypothesis import given
from hypothesis import strategies as st

from deepcheap.claims import base
from deepcheap.claims import c11_linear as c11
from deepcheap.errors import DeepCheapError, InvalidArgumentError, ResourceLimitError
from deepcheap.flattening.linear import (
    bit_reversal,
    butterfly_network,
    eq27,
    linear_summary,
    low_rank_network,
    matmul_flattening,
    naive_counts,
    optimal_leaf,
    sparse_product_costs,
    strassen_counts,
    strassen_multiply,
)


def relative_error(y, ref) -> float:
    return float(np.abs(np.asarray(y) - ref).max() / np.abs(ref).max())


# --- butterflies ---------------------------------------------------------------------------------


@pytest.mark.parametrize("log_n", range(4, 15))
def test_butterfly_dft_matches_numpy_fft(log_n):
    n = 2**log_n
    rng = np.random.default_rng(log_n)
    x = rng.standard_normal((4, n)) + 1j * rng.standard_normal((4, n))
    net = butterfly_network("dft", n)
    with torch.no_grad():
        y = net(torch.from_numpy(x)).numpy()
    assert relative_error(y, np.fft.fft(x, axis=1)) <= 1e-10
    assert net.depth == log_n
    assert net.synapses == 2 * n * log_n
    assert net.flat_synapses == n * n


@pytest.mark.parametrize("n", [2, 4, 16, 256, 1024])
def test_butterfly_hadamard_matches_scipy(n):
    x = np.random.default_rng(n).standard_normal((3, n))
    with torch.no_grad():
        y = butterfly_network("hadamard", n)(torch.from_numpy(x)).numpy()
    assert relative_error(y, x @ scipy.linalg.hadamard(n)) <= 1e-12


@pytest.mark.parametrize("transform", ["dft", "hadamard"])
@pytest.mark.parametrize("n", [2, 4, 8, 16, 32])
def test_stage_matrices_multiply_to_the_dense_transform(transform, n):
    net = butterfly_network(transform, n)
    stages = net.matrices()
    assert len(stages) == net.depth
    assert all(s.getnnz(axis=1).tolist() == [2] * n for s in stages)
    product = np.eye(n)
    for stage in stages:
        product = stage @ product
    dense = np.fft.fft(np.eye(n), axis=0) if transform == "dft" else scipy.linalg.hadamard(n)
    assert np.abs(product - dense).max() <= 1e-12
    assert np.count_nonzero(np.abs(dense) > 0.5) == net.flat_synapses


def test_bit_reversal_is_absorbed_in_the_first_stage():
    assert bit_reversal(16).tolist() == [int(f"{i:04b}"[::-1], 2) for i in range(16)]
    index, _ = butterfly_network("dft", 16).stages()[0]
    assert sorted(index.flatten().tolist()) == sorted(list(range(16)) * 2)


def test_flattening_cost_of_the_fft_at_1024():
    net = butterfly_network("dft", 1024)
    c_s = net.flat_synapses / net.synapses
    assert c_s == pytest.approx(1024 / (2 * math.log2(1024)), rel=0.05)
    summary = linear_summary("fft", 1024)
    assert summary["C_s"] == c_s and summary["max_error"] <= 1e-10


@given(log_n=st.integers(1, 9), seed=st.integers(0, 2**32 - 1))
def test_hadamard_twice_is_n_times_identity_and_dft_keeps_parseval(log_n, seed):
    n = 2**log_n
    x = torch.from_numpy(np.random.default_rng(seed).standard_normal((2, n)))
    with torch.no_grad():
        h = butterfly_network("hadamard", n)
        assert torch.allclose(h(h(x)), n * x, rtol=1e-12, atol=1e-12)
        y = butterfly_network("dft", n)(x)
    assert y.dtype == torch.complex128  # real input is cast for the DFT
    assert torch.allclose((y.abs() ** 2).sum(1), n * (x**2).sum(1), rtol=1e-12)


def test_butterfly_dtypes_and_shapes():
    net = butterfly_network("dft", 8, dtype="float32")
    assert net.dtype == torch.complex64
    assert butterfly_network("hadamard", 8).dtype == torch.float64
    one = torch.arange(8.0, dtype=torch.float64)
    with torch.no_grad():
        assert butterfly_network("hadamard", 8)(one).shape == (8,)
    assert not any(p.requires_grad for p in net.parameters())
    assert net.neurons == 8 * 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"transform": "dft", "n": 12}, "power of two; got 12. Use 8 or 16"),
        ({"transform": "dft", "n": 1}, "n must be >= 2"),
        ({"transform": "fourier", "n": 8}, "one of dft, hadamard"),
        ({"transform": "dft", "n": 8, "dtype": "int8"}, "unknown dtype"),
    ],
)
def test_butterfly_rejects_bad_input(kwargs, match):
    with pytest.raises(InvalidArgumentError, match=match):
        butterfly_network(**kwargs)


def test_butterfly_refuses_sizes_beyond_the_memory_limit():
    with pytest.raises(ResourceLimitError, match="use n <= 1048576"):
        butterfly_network("dft", 2**21)


def test_butterfly_rejects_wrong_input_shape():
    with pytest.raises(InvalidArgumentError, match=r"shape \(N, 8\)"):
        butterfly_network("dft", 8)(torch.zeros(3, 7))


# --- low rank ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "k"), [(16, 1), (64, 4), (128, 32), (100, 60)])
def test_low_rank_network(n, k):
    net = low_rank_network(n, k, seed=1)
    assert net.rank == k
    assert net.deep_synapses == 2 * n * k and net.flat_synapses == n * n
    assert net.C_s == n / (2 * k)
    assert net.max_error <= 1e-12
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((5, n)))
    with torch.no_grad():
        out = net.to_module()(x).numpy()
    assert relative_error(out, x.numpy() @ (net.B @ net.C).T) <= 1e-12
    json.dumps(net.to_dict())


@pytest.mark.parametrize("k", [0, 16, 17])
def test_low_rank_rejects_k_outside_1_to_n_minus_1(k):
    with pytest.raises(InvalidArgumentError, match="k must be between 1 and 15"):
        low_rank_network(16, k, seed=0)


def test_low_rank_refuses_huge_dense_matrices():
    with pytest.raises(ResourceLimitError, match="use n <="):
        low_rank_network(2**14, 2, seed=0)


# --- sparse products: Eq. 27 ---------------------------------------------------------------------


@pytest.mark.parametrize(("n", "p"), [(200, 0.05), (400, 0.02), (100, 0.2)])
def test_eq27_monte_carlo_matches_the_formula(n, p):
    r = sparse_product_costs(n, p, samples=24, seed=7)
    assert r["formula"] == eq27(n, p)
    assert abs(r["C_s"] / r["formula"] - 1) <= 0.03
    assert r["rel_diff"] == pytest.approx(r["C_s"] / r["formula"] - 1)
    assert 0 < r["stderr"] < 0.01 * r["C_s"]


def test_eq27_limits():
    assert eq27(10**7, 0.01) == pytest.approx(1 / (2 * 0.01))
    assert eq27(5, 1.0) == 0.5
    assert eq27(1, 0.5) == pytest.approx(0.5**2 / (2 * 0.5))  # n = 1: P(a b = 1) = p^2


@pytest.mark.parametrize("p", [0, -0.1, 1.5, "x"])
def test_eq27_rejects_bad_p(p):
    with pytest.raises(InvalidArgumentError, match=r"p must be a probability in \(0, 1\]"):
        eq27(10, p)
    with pytest.raises(InvalidArgumentError, match="probability"):
        sparse_product_costs(10, p, samples=2, seed=0)


def test_sparse_product_rejects_bad_sizes():
    with pytest.raises(InvalidArgumentError, match="samples must be"):
        sparse_product_costs(10, 0.1, samples=1, seed=0)
    with pytest.raises(InvalidArgumentError, match="n must be"):
        sparse_product_costs(1, 0.1, samples=4, seed=0)
    with pytest.raises(ResourceLimitError, match="use n <="):
        sparse_product_costs(10**5, 0.1, samples=4, seed=0)


# --- Strassen ----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 4, 8, 16, 32, 64])
@pytest.mark.parametrize("leaf", [1, 4])
def test_strassen_equals_numpy_and_counts_equal_the_recursion(n, leaf):
    rng = np.random.default_rng(n)
    A, B = rng.integers(-9, 10, (n, n)), rng.integers(-9, 10, (n, n))
    product, counts = strassen_multiply(A, B, leaf=leaf)
    assert np.array_equal(product, A @ B)
    assert counts == strassen_counts(n, leaf)


@given(log_n=st.integers(0, 5), seed=st.integers(0, 2**32 - 1))
def test_strassen_on_random_integer_matrices(log_n, seed):
    n = 2**log_n
    rng = np.random.default_rng(seed)
    A, B = rng.integers(-100, 100, (n, n)), rng.integers(-100, 100, (n, n))
    assert np.array_equal(strassen_multiply(A, B)[0], A @ B)


def test_strassen_closed_forms():
    for n in (2, 64, 1024):
        counts = strassen_counts(n)
        assert counts["multiplications"] == round(n**math.log2(7))
        assert counts["additions"] == 6 * (counts["multiplications"] - n * n)
    assert naive_counts(8) == {"multiplications": 512, "additions": 448, "total": 960}
    assert strassen_counts(8, leaf=8) == naive_counts(8)
    assert optimal_leaf(2**12) == min((2**e for e in range(13)), key=lambda leaf: strassen_counts(2**12, leaf)["total"])


def test_matmul_flattening_exponents():
    r = matmul_flattening([2**e for e in range(1, 16)])
    assert r["strassen_exponent"] == pytest.approx(math.log2(7), abs=0.01)
    assert r["C_s_exponent"] == pytest.approx(3 - math.log2(7), abs=0.01)
    assert r["C_s_exponent"] < r["paper_exponent"]
    assert r["rows"][-1]["C_s"] > 1 > r["rows"][0]["C_s"]


def test_strassen_rejects_bad_input():
    with pytest.raises(InvalidArgumentError, match="power of two; got 3"):
        strassen_multiply(np.ones((3, 3)), np.ones((3, 3)))
    with pytest.raises(InvalidArgumentError, match="same size"):
        strassen_multiply(np.ones((4, 4)), np.ones((2, 2)))
    with pytest.raises(InvalidArgumentError, match="leaf must be a power of two"):
        strassen_counts(8, leaf=3)
    with pytest.raises(ResourceLimitError, match="larger leaf"):
        strassen_multiply(np.ones((1024, 1024)), np.ones((1024, 1024)))
    with pytest.raises(InvalidArgumentError, match="at least two sizes"):
        matmul_flattening([8])


# --- the CLI entry point -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["fft", "lowrank", "sparse", "matmul"])
def test_linear_summary_keys(kind):
    s = linear_summary(kind, 64, seed=3)
    assert {"deep_synapses", "flat_synapses", "C_s", "max_error"} <= set(s)
    assert s["C_s"] == pytest.approx(s["flat_synapses"] / s["deep_synapses"], rel=1e-12 if kind != "sparse" else 0.1)
    assert (s["max_error"] is None) == (kind in ("sparse", "matmul"))
    json.dumps(s)


def test_linear_summary_rejects_bad_kind_and_sizes():
    with pytest.raises(InvalidArgumentError, match="one of fft, lowrank, sparse, matmul"):
        linear_summary("dense", 8)
    with pytest.raises(DeepCheapError, match="power of two"):
        linear_summary("matmul", 100)
    with pytest.raises(DeepCheapError, match="power of two"):
        linear_summary("fft", 100)


# --- claim C11 -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def c11_records():
    return [{"trial": t.trial_id, "params": t.params, "seed": 0, "result": c11.run_trial(t.params, 0)}
            for t in c11.trials("quick")]


def test_c11_runs_and_reports(c11_records):
    result = c11.CLAIM.run("quick", 0)
    assert result.verdict in base.VERDICTS
    assert result.verdict == "holds with caveats"
    assert any("2.373" in c for c in result.caveats)
    assert result.metrics["fft"]["max_error"] <= 1e-10
    assert result.metrics["matmul"]["C_s_exponent"] == pytest.approx(0.19, abs=0.03)
    assert {f.name for f in result.figures} == {"fft_flattening", "sparse_product_eq27", "matmul_counts"}
    json.dumps(result.to_dict())
    assert len({t.key for t in c11.trials("full")}) == len(c11.trials("full"))
    for trial in c11.trials("quick"):
        json.dumps(trial.params)


def test_c11_verdict_is_computed_not_typed(c11_records, monkeypatch):
    assert c11.CLAIM.result(c11_records, "quick").verdict == "holds with caveats"
    monkeypatch.setattr(c11, "EQ27_TOLERANCE", 1e-9)
    assert c11.CLAIM.result(c11_records, "quick").verdict == "fails"
    monkeypatch.setattr(c11, "EQ27_TOLERANCE", 0.03)
    monkeypatch.setattr(c11, "EXPONENT_TOLERANCE", 1.0)
    assert c11.CLAIM.result(c11_records, "quick").verdict == "holds"
