"""Linear no-flattening, the FFT, rank k and Eq. 27: every network against an independent oracle (numpy.fft,
scipy.linalg.hadamard, exact enumeration of groupings and of 0/1 matrices). Matrix multiplication is in
test_flattening_matmul.py, claim C11 in test_claim_c11.py."""

import itertools
import json
import math

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse as sp
import torch
from hypothesis import given
from hypothesis import strategies as st

from deepcheap import flattening
from deepcheap.errors import DeepCheapError, InvalidArgumentError, ResourceLimitError
from deepcheap.flattening.bilinear import STRASSEN
from deepcheap.flattening.butterfly import bit_reversal, butterfly_network, dft_error
from deepcheap.flattening.examples import linear_summary
from deepcheap.flattening.layers import SparseLinearNetwork
from deepcheap.flattening.lowrank import low_rank_network
from deepcheap.flattening.matmul import best_synapse_leaf, fixed_left_synapses
from deepcheap.flattening.radix import equal_radix_cs, layered_dft, layered_dft_cs, radix_grouping
from deepcheap.flattening.sparse import eq27, sparse_product_costs


def relative_error(y, ref) -> float:
    return float(np.abs(np.asarray(y) - ref).max() / np.abs(ref).max())


def dft_matrix(n: int) -> np.ndarray:
    """The oracle: column j of numpy.fft.fft(I) is F e_j."""
    return np.fft.fft(np.eye(n), axis=0)


# --- radix-2 butterflies ---------------------------------------------------------------------------


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
    dense = dft_matrix(n) if transform == "dft" else scipy.linalg.hadamard(n)
    assert np.abs(product - dense).max() <= 1e-12
    assert np.count_nonzero(np.abs(dense) > 0.5) == net.flat_synapses


def test_bit_reversal_is_absorbed_in_the_first_stage():
    assert bit_reversal(16).tolist() == [int(f"{i:04b}"[::-1], 2) for i in range(16)]
    index, _ = butterfly_network("dft", 16).stages()[0]
    assert sorted(index.flatten().tolist()) == sorted(list(range(16)) * 2)


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


def test_building_networks_leaves_the_global_generators_alone():
    torch.manual_seed(3)
    state = torch.get_rng_state()
    butterfly_network("dft", 64)
    low_rank_network(16, 2, seed=0).to_module()
    assert torch.equal(torch.get_rng_state(), state)


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


# --- the one FFT check ---------------------------------------------------------------------------------


def test_dft_error_accepts_both_network_kinds_and_catches_a_wrong_one():
    n = 64
    assert dft_error(butterfly_network("dft", n), n, seed=1) <= 1e-12
    assert dft_error(layered_dft(n, 2), n, seed=1) <= 1e-12
    assert dft_error(lambda x: np.fft.fft(x, axis=1), n, seed=1) == 0.0
    assert dft_error(butterfly_network("hadamard", n), n, seed=1) > 0.1  # another transform
    assert dft_error(lambda x: np.fft.fft(x, axis=1)[:, ::-1], n, seed=1) > 0.1  # outputs permuted
    assert dft_error(layered_dft(n, 2), n, seed=5, signals=2) == dft_error(layered_dft(n, 2), n, seed=5, signals=2)
    with pytest.raises(TypeError):
        dft_error(layered_dft(n, 2), n)  # the seed is required


# --- the FFT in l + 1 layers (mixed radix) ----------------------------------------------------------


@pytest.mark.parametrize("log_n", range(1, 8))
def test_layered_dft_equals_the_dft_matrix_for_every_depth(log_n):
    n = 2**log_n
    for hidden in range(log_n):
        net = layered_dft(n, hidden)
        assert net.depth == hidden + 1
        assert np.abs(net.dense() - dft_matrix(n)).max() <= 1e-12 * n
        radices = radix_grouping(n, hidden)
        assert math.prod(radices) == n
        # brute force: every row of the layer built for radix r has exactly r nonzeros
        assert [layer.getnnz(axis=1).tolist() for layer in net.layers] == [[r] * n for r in radices]
        assert net.synapses == n * sum(radices)


def test_layered_dft_extremes_are_the_dense_matrix_and_the_butterfly():
    n = 256
    dense = layered_dft(n, 0)
    assert dense.synapses == n * n == np.count_nonzero(np.abs(dft_matrix(n)) > 0.5)
    butterfly = layered_dft(n, 7)
    assert butterfly.synapses == butterfly_network("dft", n).synapses == 2 * n * 8
    assert layered_dft_cs(n, 7) == pytest.approx(n / (2 * math.log2(n)))


@pytest.mark.parametrize("log_n", range(2, 13))
def test_the_even_grouping_is_the_cheapest(log_n):
    """Exact enumeration of every composition of log2 n stages into l + 1 layers."""
    for hidden in range(min(log_n, 5)):
        best = min(
            sum(2**e for e in parts)
            for parts in itertools.product(range(1, log_n + 1), repeat=hidden + 1)
            if sum(parts) == log_n
        )
        assert sum(radix_grouping(2**log_n, hidden)) == best


@pytest.mark.parametrize(("log_n", "hidden"), [(4, 1), (6, 1), (6, 2), (8, 3), (12, 2), (12, 3), (9, 2), (10, 4)])
def test_equal_radices_meet_the_closed_form(log_n, hidden):
    n = 2**log_n
    assert layered_dft_cs(n, hidden) == pytest.approx(n ** (1 - 1 / (hidden + 1)) / (hidden + 1), rel=1e-12)
    assert equal_radix_cs(n, hidden) == pytest.approx(layered_dft_cs(n, hidden), rel=1e-12)


def test_uneven_radices_fall_below_the_closed_form_by_at_most_seven_percent():
    for log_n in range(2, 30):
        for hidden in range(min(log_n, 4)):
            ratio = layered_dft_cs(2**log_n, hidden) / equal_radix_cs(2**log_n, hidden)
            assert 0.93 < ratio <= 1 + 1e-12


def test_layered_dft_rejects_bad_input():
    with pytest.raises(InvalidArgumentError, match="hidden_layers must be between 0 and 3"):
        radix_grouping(16, 4)
    with pytest.raises(ResourceLimitError, match="max_synapses"):
        layered_dft(2**12, 0, max_synapses=2**20)
    with pytest.raises(InvalidArgumentError, match="power of two"):
        layered_dft(48, 1)


# --- the sparse-layer network -------------------------------------------------------------------------


def test_sparse_linear_network_counts_and_refuses_bad_shapes():
    first = sp.csr_matrix(np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 0.0]]))
    net = SparseLinearNetwork((first, sp.csr_matrix(np.ones((4, 2)))))
    assert net.synapses == 2 + 8 and net.neurons == 2 and net.shape == (4, 3)
    assert flattening.counts(net) == (2, 10)
    with pytest.raises(InvalidArgumentError, match="do not chain"):
        SparseLinearNetwork((first, sp.csr_matrix(np.ones((4, 3)))))
    with pytest.raises(InvalidArgumentError, match=r"shape \(N, 3\)"):
        net(np.ones((2, 4)))


# --- low rank ----------------------------------------------------------------------------------------


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


# --- sparse products: Eq. 27 ---------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "p"), [(200, 0.05), (400, 0.02), (100, 0.2)])
def test_eq27_monte_carlo_matches_the_formula(n, p):
    r = sparse_product_costs(n, p, samples=24, seed=7)
    assert r.formula == eq27(n, p)
    assert abs(r.C_s / r.formula - 1) <= 0.03
    assert r.rel_diff == pytest.approx(r.C_s / r.formula - 1)
    assert 0 < r.stderr < 0.01 * r.C_s
    assert json.loads(json.dumps(r.to_dict())) == r.to_dict()


@pytest.mark.parametrize(("n", "p"), [(1, 0.5), (2, 0.5), (3, 0.3)])
def test_eq27_by_exact_enumeration(n, p):
    """E nnz(A B) / E (nnz(A) + nnz(B)) over all 2^(2 n^2) pairs of 0/1 matrices, weighted by their probability."""
    num = den = 0.0
    for bits in itertools.product((0, 1), repeat=2 * n * n):
        a, b = np.array(bits[: n * n]).reshape(n, n), np.array(bits[n * n :]).reshape(n, n)
        weight = p ** sum(bits) * (1 - p) ** (2 * n * n - sum(bits))
        num += weight * np.count_nonzero(a @ b)
        den += weight * (a.sum() + b.sum())
    assert num / den == pytest.approx(eq27(n, p), rel=1e-10)  # 2^18 weighted terms summed in float64


def test_eq27_limits():
    assert eq27(10**7, 0.01) == pytest.approx(1 / (2 * 0.01))
    assert eq27(5, 1.0) == 0.5


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


# --- the CLI entry point ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["fft", "lowrank", "sparse", "matmul"])
def test_linear_summary(kind):
    s = linear_summary(kind, 64, seed=3)
    payload = s.to_dict()
    assert {"deep_synapses", "flat_synapses", "C_s", "max_error", "C_s_formula", "formula"} <= set(payload)
    assert s.C_s == pytest.approx(s.flat_synapses / s.deep_synapses, rel=1e-12)
    assert (s.max_error is None) == (kind in ("sparse", "matmul"))
    json.dumps(payload, allow_nan=False)
    if kind == "fft":
        assert s.C_s == s.C_s_formula == 64 / 12
    if kind == "matmul":
        assert s.deep_synapses == fixed_left_synapses(STRASSEN, 64, best_synapse_leaf(STRASSEN, 64))


def test_linear_summary_rejects_bad_kind_and_sizes():
    with pytest.raises(InvalidArgumentError, match="one of fft, lowrank, sparse, matmul"):
        linear_summary("dense", 8, seed=0)
    with pytest.raises(DeepCheapError, match="power of two"):
        linear_summary("matmul", 100, seed=0)
    with pytest.raises(DeepCheapError, match="power of two"):
        linear_summary("fft", 100, seed=0)
