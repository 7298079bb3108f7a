"""Matrix multiplication as a linear network: B -> A B with A fixed, flat against a bilinear scheme.

>>> import numpy as np
>>> A = np.random.default_rng(0).standard_normal((8, 8))
>>> net = fixed_left_network(STRASSEN, A)
>>> net.synapses == fixed_left_synapses(STRASSEN, 8), net.synapses, 8**3     # deep against flat
(True, 2232, 512)

With A fixed, B -> A B is linear in the n^2 entries of B. Flat it is one layer, whose weight matrix is the
map itself: A kron I_n on row-major vec(B) (C_ij = sum_l A_il B_lj), N_s(flat) = n nnz(A) = n^3 for a
dense A (the n^3 multiplications of the schoolbook product, each by a fixed entry of A).

A bilinear scheme (U, V, W of rank R on m x m blocks, :mod:`.bilinear`) with n = b m^k gives a deep
network. In the recursive block order of vec(B) (the m^2 blocks at each of the k levels, then the b x b
leaf), level t's V layer is I_{R^t} kron V kron I_{m^(2(k-t-1)) b^2}; the leaf layer multiplies the r-th
of the R^k leaf blocks by its fixed factor alpha_r (the leaf blocks of U^(kron k) A): alpha_r kron I_b, a
diagonal folded into the last V layer when b = 1; the W layers mirror the V layers; the permutations to
and from the recursive order are folded into the first and last layers. For a generic A (every alpha_r
dense):

    N_s(deep) = (nnz(V) + nnz(W)) b^2 sum_{t<k} R^t m^(2(k-1-t)) + [b > 1] R^k b^3
              = (nnz(V) + nnz(W)) b^2 (R^k - m^(2k)) / (R - m^2) + [b > 1] R^k b^3,

so C_s = n^3 / N_s(deep) ~ n^(3 - log_m R): n^0.193 for Strassen (nnz(V) = nnz(W) = 12, R = 7), n^0.146
for Laderman (51, 51, R = 23), the lower-order term falling like (m^2 / R)^k. The paper's
C_s >= n^(3 - 2.373) = n^0.627 needs a scheme with omega = 2.373, which nobody can build at a usable size.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp

from deepcheap.errors import InvalidArgumentError, ResourceLimitError
from deepcheap.fits import loglog_slope
from deepcheap.flattening.bilinear import STRASSEN, BilinearScheme, naive_counts, operation_counts, optimal_leaf
from deepcheap.flattening.layers import SparseLinearNetwork
from deepcheap.flattening.sizes import exponent_of, power_of

OMEGA_PAPER = 2.373  # the exponent the paper quotes (Coppersmith-Winograd family)
MAX_NETWORK_SYNAPSES = 2**24


def fixed_left_synapses(scheme: BilinearScheme, n: int, leaf: int = 1) -> int:
    """N_s(deep) of :func:`fixed_left_network` for a generic A (the closed form of the module docstring)."""
    n = power_of("n", n, base=scheme.m)
    b = min(n, power_of("leaf", leaf, base=scheme.m))
    k, r, m2 = exponent_of(n // b, scheme.m), scheme.rank, scheme.m**2
    edges = int(np.count_nonzero(scheme.V) + np.count_nonzero(scheme.W))
    levels = sum(r**t * m2 ** (k - 1 - t) for t in range(k))
    return edges * b * b * levels + (r**k * b**3 if b > 1 or k == 0 else 0)


def best_synapse_leaf(scheme: BilinearScheme, n: int) -> int:
    """The leaf (a power of m, at most n) with the fewest synapses in :func:`fixed_left_network`."""
    n = power_of("n", n, base=scheme.m)
    leaves = [scheme.m**e for e in range(exponent_of(n, scheme.m) + 1)]
    return min(leaves, key=lambda leaf: (fixed_left_synapses(scheme, n, leaf), leaf))


def recursive_order(n: int, m: int, leaf: int) -> np.ndarray:
    """perm[i n + j] = the position of entry (i, j) in the recursive block order (k levels of m^2 blocks, then
    the leaf block row-major)."""
    k = exponent_of(n // leaf, m)
    rows, cols = np.divmod(np.arange(n * n, dtype=np.int64), n)
    index = np.zeros(n * n, dtype=np.int64)
    for t in range(k):
        scale = leaf * m ** (k - 1 - t)
        index = index * m * m + (rows // scale % m) * m + cols // scale % m
    return index * leaf * leaf + (rows % leaf) * leaf + cols % leaf


def _level(matrix: np.ndarray, before: int, after: int) -> sp.csr_matrix:
    """I_before kron matrix kron I_after."""
    return sp.kron(
        sp.kron(sp.identity(before, format="csr"), sp.csr_matrix(matrix)),
        sp.identity(after, format="csr"),
        format="csr",
    )


def fixed_left_network(scheme: BilinearScheme, A, leaf: int = 1) -> SparseLinearNetwork:
    """The deep linear network B -> A B (row-major vec(B) in, row-major vec(A B) out) of the module docstring."""
    A = np.asarray(A)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise InvalidArgumentError(f"A must be a square matrix; got shape {A.shape}.")
    n = power_of("matrix size", A.shape[0], base=scheme.m)
    b = min(n, power_of("leaf", leaf, base=scheme.m))
    if fixed_left_synapses(scheme, n, b) > MAX_NETWORK_SYNAPSES:
        raise ResourceLimitError(
            f"the {scheme.name} network for n = {n}, leaf {b} has "
            f"{fixed_left_synapses(scheme, n, b):,} synapses, above {MAX_NETWORK_SYNAPSES:,}; "
            "use fixed_left_synapses(scheme, n, leaf) for the count alone."
        )
    m, r, k = scheme.m, scheme.rank, exponent_of(n // b, scheme.m)
    perm = recursive_order(n, m, b)
    alpha = np.empty(n * n, dtype=A.dtype)
    alpha[perm] = A.ravel()
    for t in range(k):  # alpha: the fixed factors of the R^k leaf products, U applied on each level's axis
        alpha = np.einsum("rq,aqc->arc", scheme.U.astype(A.dtype), alpha.reshape(r**t, m * m, -1))
    alpha = alpha.reshape(r**k, b, b)
    down = [_level(scheme.V, r**t, m ** (2 * (k - t - 1)) * b * b) for t in range(k)]
    up = [_level(scheme.W, r**t, m ** (2 * (k - t - 1)) * b * b) for t in reversed(range(k))]
    if b == 1 and k > 0:
        down[-1] = sp.diags(alpha.ravel()) @ down[-1]
        layers = [*down, *up]
    else:
        layers = [*down, _leaf_layer(alpha), *up]
    layers[0] = layers[0].tocsc()[:, perm].tocsr()
    layers[-1] = layers[-1].tocsr()[perm, :]
    return SparseLinearNetwork(tuple(layers))


def _leaf_layer(alpha: np.ndarray) -> sp.csr_matrix:
    """Block diagonal: leaf block r (row-major b x b) times alpha_r, i.e. alpha_r kron I_b."""
    count, b, _ = alpha.shape
    r, i, k, j = np.meshgrid(np.arange(count), np.arange(b), np.arange(b), np.arange(b), indexing="ij")
    size, rows, cols = count * b * b, (r * b + i) * b + j, (r * b + k) * b + j
    return sp.csr_matrix((alpha[r, i, k].ravel(), (rows.ravel(), cols.ravel())), shape=(size, size))


@dataclass(frozen=True)
class MatmulRow:
    """Schoolbook against a scheme at one n: scalar operations and synapses of B -> A B (A fixed, generic)."""

    n: int
    schoolbook_operations: int
    operations: int
    C_s_operations: float
    flat_synapses: int
    deep_synapses: int
    C_s_synapses: float
    leaf_operations: int
    leaf_synapses: int


@dataclass(frozen=True)
class MatmulFlattening:
    """Rows for each n and log-log exponents fitted over n >= fit_from."""

    scheme: str
    omega: float
    rows: tuple[MatmulRow, ...]
    fit_from: int
    operations_exponent: float | None  # -> omega (None: fewer than two sizes >= fit_from)
    C_s_operations_exponent: float | None  # -> 3 - omega
    C_s_synapses_exponent: float | None  # -> 3 - omega

    def to_dict(self) -> dict:
        return {**asdict(self), "rows": [asdict(row) for row in self.rows]}

    def crossover(self, key: str = "C_s_synapses") -> int | None:
        """The smallest n whose C_s (``C_s_synapses`` or ``C_s_operations``) exceeds 1, None if none does."""
        return next((row.n for row in self.rows if getattr(row, key) > 1), None)


def asymptotic_from(scheme: BilinearScheme, correction: float) -> int:
    """The smallest n = m^k whose lower-order term (m^2 / R)^k is at most ``correction`` (the fit window)."""
    k = math.ceil(math.log(correction) / math.log(scheme.m**2 / scheme.rank))
    return scheme.m ** max(k, 1)


def matmul_flattening(
    ns, scheme: BilinearScheme = STRASSEN, *, leaf: int | None = 1, fit_from: int | None = None
) -> MatmulFlattening:
    """Schoolbook against ``scheme`` at each n (powers of m): operations and synapses, C_s, fitted exponents.

    ``leaf``: the schoolbook block size (1: the full recursion; None: the best leaf for each count at each n).
    ``fit_from``: the smallest n of the fits (default: all sizes).

    >>> r = matmul_flattening([2**e for e in range(9, 15)])
    >>> round(r.C_s_synapses_exponent, 2), round(r.C_s_operations_exponent, 2), round(3 - r.omega, 3)
    (0.19, 0.19, 0.193)
    """
    ns = sorted({power_of("n", n, base=scheme.m) for n in ns})
    if len(ns) < 2:
        raise InvalidArgumentError(
            f"matmul_flattening needs at least two sizes to fit an exponent, e.g. "
            f"{[scheme.m, scheme.m**2, scheme.m**3]}."
        )
    rows = []
    for n in ns:
        leaf_ops = optimal_leaf(n, scheme) if leaf is None else min(n, leaf)
        leaf_syn = best_synapse_leaf(scheme, n) if leaf is None else min(n, leaf)
        school, ops = naive_counts(n).total, operation_counts(scheme, n, leaf_ops).total
        deep = fixed_left_synapses(scheme, n, leaf_syn)
        rows.append(MatmulRow(n, school, ops, school / ops, n**3, deep, n**3 / deep, leaf_ops, leaf_syn))
    lo = ns[0] if fit_from is None else fit_from
    x = [row.n for row in rows]
    return MatmulFlattening(
        scheme=scheme.name,
        omega=scheme.omega,
        rows=tuple(rows),
        fit_from=lo,
        operations_exponent=_slope(x, [row.operations for row in rows], lo),
        C_s_operations_exponent=_slope(x, [row.C_s_operations for row in rows], lo),
        C_s_synapses_exponent=_slope(x, [row.C_s_synapses for row in rows], lo),
    )


def _slope(x, y, lo: int) -> float | None:
    """The log-log slope over x >= lo; None with fewer than two points there."""
    slope = loglog_slope(x, y, lo=lo)
    return None if math.isnan(slope) else slope
