"""The product of two random sparse matrices (Eq. 27): F x = A (B x) through n hidden neurons.

>>> round(eq27(200, 0.05), 2)                          # [1 - (1 - p^2)^n] / 2p
3.94
>>> r = sparse_product_costs(200, 0.05, samples=8, seed=0)
>>> abs(r.rel_diff) < 0.03
True

A and B are n x n 0/1 matrices with i.i.d. entries equal to 1 with probability p. The deep network has
N_s(deep) = nnz(A) + nnz(B) (expectation 2 p n^2) synapses, the flat one N_s(flat) = nnz(A B); an entry of
A B is zero unless some k has a_ik = b_kj = 1, so E nnz(A B) = n^2 [1 - (1 - p^2)^n] and the ratio of
expectations is exactly Eq. 27, C_s = [1 - (1 - p^2)^n] / 2p -> 1 / 2p. The Monte Carlo of
:func:`sparse_product_costs` checks that identity; it is evidence for the code, not for the paper.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp

from deepcheap.errors import InvalidArgumentError, check_int_range
from deepcheap.flattening.sizes import check_dense, check_probability
from deepcheap.seeds import numpy_generator

SMALL_DENSE_N = 128  # sparse products are drawn as batched dense products up to this size


def eq27(n: int, p: float) -> float:
    """The paper's Eq. 27, C_s = [1 - (1 - p^2)^n] / 2p (computed as -expm1(n log1p(-p^2)) / 2p).

    >>> eq27(10**6, 0.1)                                   # n >> 1/p^2: the limit 1 / 2p
    5.0
    """
    n = check_int_range("n", n, 1)
    p = check_probability(p)
    covered = 1.0 if p == 1.0 else -math.expm1(n * math.log1p(-p * p))
    return covered / (2 * p)


@dataclass(frozen=True)
class SparseProductCosts:
    """Monte Carlo of Eq. 27 at one (n, p): means of the counts, their ratio and its standard error."""

    n: int
    p: float
    samples: int
    deep_synapses: float  # mean nnz(A) + nnz(B)
    flat_synapses: float  # mean nnz(A B)
    C_s: float  # sum of flat over sum of deep (its expectation ratio is Eq. 27)
    stderr: float | None  # standard error of the per-draw ratios (None with fewer than two nonempty draws)
    formula: float  # Eq. 27
    rel_diff: float  # C_s / formula - 1
    limit: float  # 1 / 2p

    def to_dict(self) -> dict:
        return asdict(self)


def _bernoulli_csr(n: int, p: float, rng: np.random.Generator) -> sp.csr_matrix:
    """An n x n 0/1 CSR matrix with i.i.d. entries equal to 1 with probability p (rows drawn in chunks)."""
    chunk = max(1, 2**22 // n)
    blocks = [sp.csr_matrix(rng.random((min(chunk, n - r), n)) < p, dtype=np.int32) for r in range(0, n, chunk)]
    return sp.vstack(blocks, format="csr")


def _draw_counts(n: int, p: float, samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """nnz(A) + nnz(B) and nnz(A B) per draw: batched dense 0/1 products (exact in float32) for n <= 128,
    scipy.sparse products beyond."""
    if n <= SMALL_DENSE_N:
        deep, flat = [], []
        batch = max(1, 2**20 // (n * n))
        for start in range(0, samples, batch):
            size = min(batch, samples - start)
            a, b = rng.random((size, n, n)) < p, rng.random((size, n, n)) < p
            deep.append(a.sum(axis=(1, 2)) + b.sum(axis=(1, 2)))
            flat.append(np.count_nonzero(np.matmul(a.astype(np.float32), b.astype(np.float32)), axis=(1, 2)))
        return np.concatenate(deep).astype(np.int64), np.concatenate(flat).astype(np.int64)
    deep, flat = np.zeros(samples, dtype=np.int64), np.zeros(samples, dtype=np.int64)
    for s in range(samples):
        a, b = _bernoulli_csr(n, p, rng), _bernoulli_csr(n, p, rng)
        deep[s] = a.nnz + b.nnz
        flat[s] = (a @ b).count_nonzero()
    return deep, flat


def sparse_product_costs(n: int, p: float, samples: int, seed: int) -> SparseProductCosts:
    """Monte Carlo of Eq. 27 over ``samples`` draws of (A, B) from ``seed`` (see the module docstring)."""
    n = check_int_range("n", n, 2)
    p = check_probability(p)
    samples = check_int_range("samples", samples, 2, hint="Two or more draws are needed for a standard error.")
    check_dense(n, "the sparse product (up to n^2 product entries)")
    deep, flat = _draw_counts(n, p, samples, numpy_generator(seed))
    if deep.sum() == 0:
        raise InvalidArgumentError(f"no draw had a single nonzero entry at n = {n}, p = {p}; increase n, p or samples.")
    ratios = flat[deep > 0] / deep[deep > 0]
    formula = eq27(n, p)
    c_s = float(flat.sum() / deep.sum())
    stderr = float(ratios.std(ddof=1) / math.sqrt(len(ratios))) if len(ratios) > 1 else None
    return SparseProductCosts(
        n=n,
        p=p,
        samples=samples,
        deep_synapses=float(deep.mean()),
        flat_synapses=float(flat.mean()),
        C_s=c_s,
        stderr=stderr,
        formula=formula,
        rel_diff=c_s / formula - 1.0,
        limit=1.0 / (2 * p),
    )
