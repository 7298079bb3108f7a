"""Matrix multiplication: Strassen's and Laderman's schemes against A @ B and the Brent equations, and the
network B -> A B (A fixed) against its Kronecker form A kron I_n, with its synapses counted layer by layer."""

import json
import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from deepcheap.errors import InvalidArgumentError, ResourceLimitError
from deepcheap.flattening.bilinear import (
    LADERMAN,
    STRASSEN,
    BilinearScheme,
    OperationCounts,
    multiply,
    naive_counts,
    operation_counts,
    optimal_leaf,
    strassen_counts,
    strassen_multiply,
)
from deepcheap.flattening.layers import SparseLinearNetwork
from deepcheap.flattening.matmul import (
    asymptotic_from,
    best_synapse_leaf,
    fixed_left_network,
    fixed_left_synapses,
    matmul_flattening,
)


def relative_error(y, ref) -> float:
    return float(np.abs(np.asarray(y) - ref).max() / np.abs(ref).max())


# --- bilinear schemes: Strassen and Laderman ------------------------------------------------------


@pytest.mark.parametrize("scheme", [STRASSEN, LADERMAN])
def test_schemes_satisfy_the_brent_equations(scheme):
    assert scheme.tensor_residual() == 0
    assert (scheme.m, scheme.rank) in ((2, 7), (3, 23))


def test_laderman_counts_match_his_paper():
    _, counts = multiply(LADERMAN, np.ones((3, 3), dtype=int), np.ones((3, 3), dtype=int))
    assert counts == OperationCounts(23, 98)  # 23 multiplications, 98 additions (Laderman 1976)
    assert LADERMAN.omega == pytest.approx(math.log(23, 3))


@pytest.mark.parametrize(("scheme", "sizes"), [(STRASSEN, [1, 2, 4, 8, 16, 32, 64]), (LADERMAN, [1, 3, 9, 27])])
def test_schemes_equal_numpy_on_integer_and_float_matrices(scheme, sizes):
    rng = np.random.default_rng(scheme.rank)
    for n in sizes:
        for leaf in sorted({1, scheme.m, n}):
            A, B = rng.integers(-9, 10, (n, n)), rng.integers(-9, 10, (n, n))
            product, counts = multiply(scheme, A, B, leaf=leaf)
            assert np.array_equal(product, A @ B)
            assert counts == operation_counts(scheme, n, leaf)
            X, Y = rng.standard_normal((n, n)), rng.standard_normal((n, n))
            assert relative_error(multiply(scheme, X, Y, leaf=leaf)[0], X @ Y) <= 1e-13


@settings(max_examples=30)
@given(log_n=st.integers(0, 3), seed=st.integers(0, 2**32 - 1))
def test_laderman_on_random_integer_matrices(log_n, seed):
    n = 3**log_n
    rng = np.random.default_rng(seed)
    A, B = rng.integers(-100, 100, (n, n)), rng.integers(-100, 100, (n, n))
    assert np.array_equal(multiply(LADERMAN, A, B)[0], A @ B)


def test_a_wrong_coefficient_is_caught_by_both_oracles():
    W = LADERMAN.W.copy()
    W[0, 5] = 0  # c11 loses m6 = a11 b11
    broken = BilinearScheme("broken", 3, LADERMAN.U, LADERMAN.V, W)
    assert broken.tensor_residual() == 1
    A = np.arange(9).reshape(3, 3) + 1
    assert not np.array_equal(multiply(broken, A, A)[0], A @ A)


@pytest.mark.parametrize(("scheme", "ks"), [(STRASSEN, range(0, 12)), (LADERMAN, range(0, 8))])
def test_operation_counts_closed_forms(scheme, ks):
    """M(m^k) = R^k, A(m^k) = a (R^k - m^2k) / (R - m^2) (Strassen: 6 (7^k - 4^k); Laderman: 7 (23^k - 9^k))."""
    r, m2, a = scheme.rank, scheme.m**2, scheme.additions_per_level
    for k in ks:
        counts = operation_counts(scheme, scheme.m**k)
        assert counts.multiplications == r**k
        assert counts.additions * (r - m2) == a * (r**k - m2**k)
    assert naive_counts(8).to_dict() == {"multiplications": 512, "additions": 448, "total": 960}
    assert strassen_counts(8, leaf=8) == naive_counts(8)
    assert optimal_leaf(2**12) == min((2**e for e in range(13)), key=lambda leaf: strassen_counts(2**12, leaf).total)


def test_strassen_wrappers_and_bad_input():
    assert strassen_multiply([[1, 2], [3, 4]], [[5, 6], [7, 8]])[0].tolist() == [[19, 22], [43, 50]]
    with pytest.raises(InvalidArgumentError, match="power of two; got 3"):
        strassen_multiply(np.ones((3, 3)), np.ones((3, 3)))
    with pytest.raises(InvalidArgumentError, match="power of three; got 4"):
        multiply(LADERMAN, np.ones((4, 4)), np.ones((4, 4)))
    with pytest.raises(InvalidArgumentError, match="same size"):
        strassen_multiply(np.ones((4, 4)), np.ones((2, 2)))
    with pytest.raises(InvalidArgumentError, match="leaf must be a power of two"):
        strassen_counts(8, leaf=3)
    with pytest.raises(ResourceLimitError, match="larger leaf"):
        strassen_multiply(np.ones((1024, 1024)), np.ones((1024, 1024)))
    outputs = "c11 = m1\nc12 = m1\nc21 = m1\nc22 = m1"
    with pytest.raises(InvalidArgumentError, match=r"cannot read 'a11 \+ c22'"):
        BilinearScheme.from_text("bad", 2, "m1 = (a11 + c22)(b11)\n" + outputs)
    with pytest.raises(InvalidArgumentError, match="cannot read 'a13'"):
        BilinearScheme.from_text("bad", 2, "m1 = (a13)(b11)\n" + outputs)
    with pytest.raises(InvalidArgumentError, match=r"number the products m1\.\.m1"):
        BilinearScheme.from_text("bad", 2, "m2 = (a11)(b11)\n" + outputs)
    with pytest.raises(InvalidArgumentError, match="cannot read 'x = 1'"):
        BilinearScheme.from_text("bad", 2, "x = 1")
    with pytest.raises(InvalidArgumentError, match="0 or"):
        BilinearScheme("bad", 1, np.array([[2]]), np.array([[1]]), np.array([[1]]))


# --- B -> A B with A fixed: synapses ------------------------------------------------------------------


@pytest.mark.parametrize(("scheme", "sizes"), [(STRASSEN, [1, 2, 4, 8, 16]), (LADERMAN, [1, 3, 9])])
def test_fixed_left_network_is_the_kronecker_map_and_its_count_is_the_closed_form(scheme, sizes):
    """Oracle: on row-major vec(B), B -> A B is the matrix A kron I_n; count the built layers' nonzeros."""
    rng = np.random.default_rng(scheme.m)
    for n in sizes:
        A = rng.standard_normal((n, n))
        flat = SparseLinearNetwork((sp.csr_matrix(np.kron(A, np.eye(n))),))
        assert flat.synapses == n**3
        for e in range(round(math.log(n, scheme.m)) + 1):
            leaf = scheme.m**e
            net = fixed_left_network(scheme, A, leaf)
            assert np.abs(net.dense() - np.kron(A, np.eye(n))).max() <= 1e-12 * max(1, n * n)
            assert net.synapses == sum(int(np.count_nonzero(layer.toarray())) for layer in net.layers)
            assert net.synapses == fixed_left_synapses(scheme, n, leaf)


def test_fixed_left_synapses_closed_form():
    """(nnz V + nnz W) (R^k - m^2k) / (R - m^2) at leaf 1: 8 (7^k - 4^k) for Strassen, 102 (23^k - 9^k) / 14."""
    for k in range(1, 12):
        assert fixed_left_synapses(STRASSEN, 2**k) == 8 * (7**k - 4**k)
    for k in range(1, 8):
        assert 14 * fixed_left_synapses(LADERMAN, 3**k) == 102 * (23**k - 9**k)
    assert fixed_left_synapses(STRASSEN, 8, leaf=8) == 8**3  # no recursion: the flat layer
    assert fixed_left_synapses(STRASSEN, 8, leaf=2) == 24 * 4 * (7 + 4) + 49 * 8


def test_fixed_left_network_with_zeros_in_a_is_exact_and_no_larger():
    A = np.diag([1.0, 2.0, 3.0, 4.0])
    B = np.random.default_rng(0).standard_normal((3, 4, 4))
    net = fixed_left_network(STRASSEN, A)
    assert relative_error(net(B.reshape(3, -1)), (A @ B).reshape(3, -1)) <= 1e-14
    assert net.synapses <= fixed_left_synapses(STRASSEN, 4)


def test_matmul_flattening_exponents_approach_three_minus_omega():
    for scheme, ns in ((STRASSEN, [2**e for e in range(1, 19)]), (LADERMAN, [3**e for e in range(1, 12)])):
        r = matmul_flattening(ns, scheme, fit_from=asymptotic_from(scheme, 1e-3))
        assert r.C_s_synapses_exponent == pytest.approx(3 - scheme.omega, abs=0.005)
        assert r.C_s_operations_exponent == pytest.approx(3 - scheme.omega, abs=0.005)
        assert r.operations_exponent == pytest.approx(scheme.omega, abs=0.005)
        row = r.rows[-1]
        assert row.C_s_synapses == row.n**3 / fixed_left_synapses(scheme, row.n)
        assert row.C_s_operations == naive_counts(row.n).total / operation_counts(scheme, row.n).total
        json.dumps(r.to_dict(), allow_nan=False)
    assert (asymptotic_from(STRASSEN, 0.01), asymptotic_from(LADERMAN, 0.01)) == (512, 243)


def test_matmul_flattening_best_leaf_and_crossovers():
    ns = [2**e for e in range(1, 17)]
    pure, best = matmul_flattening(ns), matmul_flattening(ns, leaf=None)
    for a, b in zip(pure.rows, best.rows, strict=True):
        assert b.deep_synapses == min(fixed_left_synapses(STRASSEN, a.n, 2**e) for e in range(int(math.log2(a.n)) + 1))
        assert b.leaf_synapses == best_synapse_leaf(STRASSEN, a.n)
        assert b.C_s_synapses >= a.C_s_synapses and b.C_s_operations >= a.C_s_operations
    # full recursion: 8^k > 8 (7^k - 4^k) first at k = 16; operations: 2 8^k - 4^k > 7^(k+1) - 6 4^k first at k = 10
    assert (pure.crossover("C_s_synapses"), pure.crossover("C_s_operations")) == (2**16, 2**10)
    with pytest.raises(InvalidArgumentError, match="at least two sizes"):
        matmul_flattening([8])
