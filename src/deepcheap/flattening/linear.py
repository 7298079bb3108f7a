"""Linear no-flattening (Section III G): deep linear networks that a single layer cannot match cheaply.

>>> import numpy as np, torch
>>> net = butterfly_network("dft", 1024)
>>> net.depth, net.synapses, net.flat_synapses        # log2 n stages of 2n weights against n^2
(10, 20480, 1048576)
>>> x = torch.randn(4, 1024, dtype=torch.complex128)
>>> bool(np.allclose(net(x).numpy(), np.fft.fft(x.numpy(), axis=1)))
True
>>> linear_summary("lowrank", 256)["C_s"]              # n / 2k with k = n / 8
4.0
>>> round(eq27(200, 0.05), 2)                          # [1 - (1 - p^2)^n] / 2p
3.94

Synapses are nonzero weights of bias-free linear networks at zero error; C_s = N_s(flat) / N_s(deep).

* FFT / Walsh-Hadamard: the DFT matrix F_n (n = 2^L) is a product of L butterfly matrices with two
  nonzeros per row; the bit-reversal permutation of decimation in time is folded into the first
  stage's column indices, so N_s(deep) = 2 n log2 n, N_s(flat) = n^2 and C_s = n / (2 log2 n).
* Rank k: A = B C (n x k times k x n) through k hidden neurons: C_s = n^2 / 2nk = n / 2k.
* Sparse product (Eq. 27): F = A B with random 0/1 matrices of density p; N_s(deep) ~ 2 p n^2,
  N_s(flat) = nnz(A B) ~ n^2 [1 - (1 - p^2)^n], so C_s = [1 - (1 - p^2)^n] / 2p -> 1 / 2p.
* Matrix multiplication: Strassen's recursion (7 half-size products, 18 half-size additions) against
  the naive n^3 products; operation counts are our proxy for synapses. C_s grows like n^(3 - log2 7)
  = n^0.193; the paper's C_s >= n^0.627 needs omega = 2.373 (Coppersmith-Winograd-type) algorithms,
  which are impractical at any size one can build.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from deepcheap.errors import InvalidArgumentError, ResourceLimitError, check_choice, check_int_range, check_seed

MAX_BUTTERFLY_N = 2**20
MAX_DENSE_ENTRIES = 2**26  # a dense n x n float64 matrix of at most 512 MiB
SMALL_DENSE_N = 128  # sparse products are drawn as batched dense products up to this size
MAX_STRASSEN_ENTRIES = 2**25  # peak entries held by the batched Strassen recursion
OMEGA_STRASSEN = math.log2(7)
OMEGA_PAPER = 2.373  # the exponent the paper quotes (Coppersmith-Winograd family)

_REAL = {"float64": torch.float64, "double": torch.float64, "float32": torch.float32, "float": torch.float32}
_COMPLEX = {"complex128": torch.complex128, "cdouble": torch.complex128, "complex64": torch.complex64,
            "cfloat": torch.complex64}
_TO_COMPLEX = {torch.float64: torch.complex128, torch.float32: torch.complex64}


# --- validation helpers ----------------------------------------------------------------------


def _power_of_two(name: str, n, lo: int = 2, hi: int | None = None) -> int:
    """``n`` as an int if it is a power of two in [lo, hi]; the message names the nearest valid sizes."""
    n = check_int_range(name, n, lo, hi)
    if n & (n - 1):
        below = 1 << (n.bit_length() - 1)
        raise InvalidArgumentError(f"{name} must be a power of two; got {n}. Use {below} or {2 * below}, "
                                   "or pad the input with zeros to the next power of two.")
    return n


def _check_probability(p) -> float:
    """``p`` as a float in (0, 1]."""
    try:
        value = float(p)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"p must be a probability in (0, 1]; got {p!r}.") from None
    if not (0.0 < value <= 1.0):
        raise InvalidArgumentError(f"p must be a probability in (0, 1] (the density of ones); got {p!r}.")
    return value


def _check_butterfly_size(n) -> int:
    """``n`` as an int if it is a power of two in [2, MAX_BUTTERFLY_N] (about 40 n log2 n bytes of weights)."""
    n = _power_of_two("n", n, lo=2)
    if n > MAX_BUTTERFLY_N:
        need = 2 * n * (n.bit_length() - 1) * (16 + 4) / 2**30
        raise ResourceLimitError(f"a butterfly network of size n = {n} needs about {need:.1f} GiB of weights and "
                                 f"indices; use n <= {MAX_BUTTERFLY_N} (2^{MAX_BUTTERFLY_N.bit_length() - 1}).")
    return n


def _resolve_dtype(transform: str, dtype) -> torch.dtype:
    """Default complex128 (DFT) / float64 (Hadamard); a real dtype asked of the DFT becomes its complex twin."""
    if dtype is None:
        return torch.complex128 if transform == "dft" else torch.float64
    if not isinstance(dtype, torch.dtype):
        key = str(dtype).replace("torch.", "").strip().lower()
        if key not in _REAL | _COMPLEX:
            raise InvalidArgumentError(f"unknown dtype {dtype!r}; use complex128 or float64 (the defaults), "
                                       "complex64 or float32.")
        dtype = (_REAL | _COMPLEX)[key]
    if not (dtype.is_floating_point or dtype.is_complex) or dtype in (torch.float16, torch.bfloat16):
        raise InvalidArgumentError(f"dtype must be float64, float32, complex128 or complex64; got {dtype}.")
    return _TO_COMPLEX.get(dtype, dtype) if transform == "dft" else dtype


# --- butterflies: FFT and fast Walsh-Hadamard ----------------------------------------------------


def bit_reversal(n: int) -> np.ndarray:
    """The permutation i -> i with its log2 n bits reversed.

    >>> bit_reversal(8).tolist()
    [0, 4, 2, 6, 1, 5, 3, 7]
    """
    n = _power_of_two("n", n, lo=1)
    bits = n.bit_length() - 1
    i = np.arange(n, dtype=np.int64)
    out = np.zeros(n, dtype=np.int64)
    for b in range(bits):
        out |= ((i >> b) & 1) << (bits - 1 - b)
    return out


def butterfly_stage(transform: str, n: int, stage: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Row r of stage s (half-block h = 2^s, w = exp(-2 pi i / 2h) for the DFT, w = 1 for Hadamard):

    y_r = x_r + w^j x_{r+h} (top half of its block, j = r mod 2h < h), y_r = x_{r-h} - w^(j-h) x_r (bottom).
    Returns (ia, ib, wa, wb) with y = wa * x[ia] + wb * x[ib]; the DFT's stage 0 reads x in bit-reversed
    order (its column indices are permuted), which is the decimation-in-time input permutation.
    """
    transform = check_choice("transform", transform, ("dft", "hadamard"))
    n = _power_of_two("n", n, lo=2)
    stage = check_int_range("stage", stage, 0, n.bit_length() - 2, hint="Stages are numbered 0 .. log2(n) - 1.")
    h = 1 << stage
    r = np.arange(n, dtype=np.int64)
    j = r % (2 * h)
    top = j < h
    ia = np.where(top, r, r - h)
    ib = ia + h
    jj = np.where(top, j, j - h)
    if transform == "dft":
        twiddle = np.exp(-2j * np.pi * jj / (2 * h))
        if stage == 0:
            rev = bit_reversal(n)
            ia, ib = rev[ia], rev[ib]
    else:
        twiddle = np.ones(n)
    return ia, ib, np.ones(n, dtype=twiddle.dtype), np.where(top, twiddle, -twiddle)


class ButterflyNetwork(nn.Module):
    """The exact FFT (radix 2, decimation in time) or fast Walsh-Hadamard transform as log2 n sparse layers.

    ``forward(x)`` maps (N, n) to (N, n): ``numpy.fft.fft(x, axis=1)`` or ``x @ scipy.linalg.hadamard(n)``,
    both unnormalised. Stage s computes y = w_a * x[:, ia] + w_b * x[:, ib] (index gathers, no dense matrix).
    Weights are frozen parameters (``.requires_grad_(True)`` to train them); indices are buffers.
    """

    def __init__(self, transform: str, n: int, *, dtype=None, device=None):
        super().__init__()
        self._transform = check_choice("transform", transform, ("dft", "hadamard"))
        self._n = _check_butterfly_size(n)
        self._dtype = _resolve_dtype(transform, dtype)
        self.weights = nn.ParameterList()
        for s in range(self.depth):
            ia, ib, wa, wb = butterfly_stage(self._transform, self._n, s)
            index = torch.as_tensor(np.stack([ia, ib]), dtype=torch.int32)
            self.register_buffer(f"index{s}", index.to(device))
            weight = torch.as_tensor(np.stack([wa, wb])).to(dtype=self._dtype, device=device)
            self.weights.append(nn.Parameter(weight, requires_grad=False))

    @property
    def n(self) -> int:
        return self._n

    @property
    def transform(self) -> str:
        return self._transform

    @property
    def depth(self) -> int:
        """Number of linear layers, log2 n."""
        return self._n.bit_length() - 1

    @property
    def neurons(self) -> int:
        """Hidden neurons: n per layer between input and output, n (log2 n - 1)."""
        return self._n * (self.depth - 1)

    @property
    def synapses(self) -> int:
        """Nonzero weights over all stages (2 n log2 n: every |weight| is 1)."""
        return int(sum(int(torch.count_nonzero(w)) for w in self.weights))

    @property
    def flat_synapses(self) -> int:
        """Nonzeros of the dense transform: every DFT entry is a root of unity, every Hadamard entry +-1, so n^2."""
        return self._n * self._n

    @property
    def dtype(self) -> torch.dtype:
        return self._dtype

    def stages(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(index (2, n), weight (2, n)) per stage, first stage first."""
        return [(getattr(self, f"index{s}"), self.weights[s]) for s in range(self.depth)]

    def matrices(self) -> list[sp.csr_matrix]:
        """The stages as n x n CSR matrices S_1..S_L with S_L ... S_1 = the dense transform matrix."""
        rows = np.concatenate([np.arange(self._n)] * 2)
        out = []
        for index, weight in self.stages():
            cols = index.detach().cpu().numpy().astype(np.int64).ravel()
            data = weight.detach().cpu().numpy().ravel()
            out.append(sp.csr_matrix((data, (rows, cols)), shape=(self._n, self._n)))
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.as_tensor(x)
        if x.ndim not in (1, 2) or x.shape[-1] != self._n:
            raise InvalidArgumentError(f"input must have shape (N, {self._n}) (one signal per row); "
                                       f"got {tuple(x.shape)}.")
        y = x.to(torch.promote_types(x.dtype, self._dtype))
        for index, weight in self.stages():
            index, weight = index.to(y.device), weight.to(dtype=y.dtype, device=y.device)
            y = weight[0] * torch.index_select(y, -1, index[0]) + weight[1] * torch.index_select(y, -1, index[1])
        return y


def butterfly_network(transform: str, n: int, *, dtype=None, device=None) -> ButterflyNetwork:
    """The exact ``"dft"`` (FFT) or ``"hadamard"`` (fast Walsh-Hadamard) butterfly network of size n = 2^L.

    >>> butterfly_network("hadamard", 8).synapses          # 2 n log2 n
    48
    """
    return ButterflyNetwork(transform, n, dtype=dtype, device=device)


# --- low rank ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LowRankNetwork:
    """A = B C of rank k computed through k linear hidden neurons: N_s = 2nk deep, n^2 flat, C_s = n / 2k."""

    n: int
    k: int
    B: np.ndarray
    C: np.ndarray
    deep_synapses: int
    flat_synapses: int
    C_s: float
    rank: int
    max_error: float

    def to_module(self, *, dtype=torch.float64, device=None) -> nn.Sequential:
        """The deep network as ``nn.Sequential(Linear(n, k), Linear(k, n))`` without biases, frozen."""
        first = nn.Linear(self.n, self.k, bias=False, dtype=dtype, device=device)
        second = nn.Linear(self.k, self.n, bias=False, dtype=dtype, device=device)
        with torch.no_grad():
            first.weight.copy_(torch.as_tensor(self.C))
            second.weight.copy_(torch.as_tensor(self.B))
        return nn.Sequential(first, second).requires_grad_(False)

    def to_dict(self) -> dict:
        """The counts as JSON-ready numbers (without the factor matrices)."""
        return {k: v for k, v in asdict(self).items() if k not in ("B", "C")}


def _check_dense(n: int, what: str) -> None:
    if n * n > MAX_DENSE_ENTRIES:
        limit = math.isqrt(MAX_DENSE_ENTRIES)
        raise ResourceLimitError(f"{what} needs a dense {n} x {n} matrix ({n * n * 8 / 2**30:.1f} GiB); "
                                 f"use n <= {limit}.")


def low_rank_network(n: int, k: int, seed: int) -> LowRankNetwork:
    """A random rank-k n x n matrix A = B C (standard normal B, C from ``default_rng(seed)``) and its costs.

    max_error = max |B (C x) - A x| / max |A x| over 64 random inputs x.

    >>> net = low_rank_network(64, 4, seed=0)
    >>> net.rank, net.deep_synapses, net.flat_synapses, net.C_s
    (4, 512, 4096, 8.0)
    """
    n = check_int_range("n", n, 2)
    k = check_int_range("k", k, 1, n - 1, hint="A rank-n matrix is generic and gains nothing from a hidden layer.")
    _check_dense(n, "the low-rank example")
    rng = np.random.default_rng(seed)
    B, C = rng.standard_normal((n, k)), rng.standard_normal((k, n))
    A = B @ C
    x = rng.standard_normal((n, 64))
    exact = A @ x
    error = float(np.abs(B @ (C @ x) - exact).max() / np.abs(exact).max())
    deep = int(np.count_nonzero(B) + np.count_nonzero(C))
    flat = int(np.count_nonzero(A))
    return LowRankNetwork(n, k, B, C, deep, flat, flat / deep, int(np.linalg.matrix_rank(A)), error)


# --- sparse products (Eq. 27) ------------------------------------------------------------------


def eq27(n: int, p: float) -> float:
    """The paper's Eq. 27, C_s = [1 - (1 - p^2)^n] / 2p (computed as -expm1(n log1p(-p^2)) / 2p).

    >>> eq27(10**6, 0.1)                                   # n >> 1/p^2: the limit 1 / 2p
    5.0
    """
    n = check_int_range("n", n, 1)
    p = _check_probability(p)
    covered = 1.0 if p == 1.0 else -math.expm1(n * math.log1p(-p * p))
    return covered / (2 * p)


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


def sparse_product_costs(n: int, p: float, samples: int = 32, seed: int = 0) -> dict:
    """Monte Carlo of Eq. 27: F x = A (B x) through n hidden neurons, A and B random 0/1 of density p.

    Deep synapses nnz(A) + nnz(B), flat synapses nnz(A B). C_s is the ratio of means (sum of flat over
    sum of deep, whose expectation ratio is exactly Eq. 27); ``stderr`` is the standard error of the
    per-sample ratios; ``rel_diff`` = C_s / formula - 1.

    >>> r = sparse_product_costs(200, 0.05, samples=8, seed=0)
    >>> abs(r["rel_diff"]) < 0.03
    True
    """
    n = check_int_range("n", n, 2)
    p = _check_probability(p)
    samples = check_int_range("samples", samples, 2, hint="Two or more draws are needed for a standard error.")
    if n * n > MAX_DENSE_ENTRIES:
        raise ResourceLimitError(f"n = {n} would hold up to {n * n} product entries; use n <= "
                                 f"{math.isqrt(MAX_DENSE_ENTRIES)}.")
    deep, flat = _draw_counts(n, p, samples, np.random.default_rng(seed))
    if deep.sum() == 0:
        raise InvalidArgumentError(f"no draw had a single nonzero entry at n = {n}, p = {p}; increase n, p or "
                                   "samples.")
    ratios = flat[deep > 0] / deep[deep > 0]
    formula = eq27(n, p)
    c_s = float(flat.sum() / deep.sum())
    stderr = float(ratios.std(ddof=1) / math.sqrt(len(ratios))) if len(ratios) > 1 else float("nan")
    return {"n": n, "p": p, "samples": samples, "deep_synapses": float(deep.mean()),
            "flat_synapses": float(flat.mean()), "C_s": c_s, "stderr": stderr, "formula": formula,
            "rel_diff": c_s / formula - 1.0, "limit": 1.0 / (2 * p)}


# --- matrix multiplication: Strassen against naive --------------------------------------------


def naive_counts(n: int) -> dict:
    """Scalar operations of the schoolbook product of two n x n matrices: n^3 products, n^2 (n - 1) sums.

    >>> naive_counts(4)
    {'multiplications': 64, 'additions': 48, 'total': 112}
    """
    n = check_int_range("n", n, 1)
    mults, adds = n**3, n * n * (n - 1)
    return {"multiplications": mults, "additions": adds, "total": mults + adds}


def strassen_counts(n: int, leaf: int = 1) -> dict:
    """Operations of Strassen's recursion: M(n) = 7 M(n/2), A(n) = 7 A(n/2) + 18 (n/2)^2, naive at n <= leaf.

    With leaf = 1: M(n) = n^log2(7), A(n) = 6 (n^log2(7) - n^2).

    >>> strassen_counts(2)
    {'multiplications': 7, 'additions': 18, 'total': 25}
    """
    n = _power_of_two("n", n, lo=1)
    leaf = _power_of_two("leaf", leaf, lo=1)
    if n <= leaf:
        return naive_counts(n)
    half = strassen_counts(n // 2, leaf)
    mults, adds = 7 * half["multiplications"], 7 * half["additions"] + 18 * (n // 2) ** 2
    return {"multiplications": mults, "additions": adds, "total": mults + adds}


def optimal_leaf(n: int) -> int:
    """The leaf size (power of two <= n) minimising Strassen's total operation count at size n.

    >>> optimal_leaf(1024)                                 # schoolbook below 16 x 16
    8
    """
    n = _power_of_two("n", n, lo=1)
    leaves = [1 << e for e in range(n.bit_length())]
    return min(leaves, key=lambda leaf: (strassen_counts(n, leaf)["total"], leaf))


def _as_square_pair(A, B) -> tuple[np.ndarray, np.ndarray]:
    A, B = np.asarray(A), np.asarray(B)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape != B.shape:
        raise InvalidArgumentError(f"A and B must be square matrices of the same size; got shapes {A.shape} and "
                                   f"{B.shape}. Pad them with zeros to a common power-of-two size.")
    if not (np.issubdtype(A.dtype, np.number) and np.issubdtype(B.dtype, np.number)):
        raise InvalidArgumentError("A and B must hold numbers (integer, float or complex).")
    _power_of_two("matrix size", A.shape[0], lo=1)
    return A, B


def _strassen_batched(A: np.ndarray, B: np.ndarray, leaf: int, counts: dict) -> np.ndarray:
    """Products of a batch (b, m, m) by Strassen's recursion, all subproblems of a level at once."""
    b, m = A.shape[0], A.shape[1]
    if m <= leaf:
        counts["multiplications"] += b * m**3
        counts["additions"] += b * m * m * (m - 1)
        return np.matmul(A, B)
    h = m // 2
    a11, a12, a21, a22 = A[:, :h, :h], A[:, :h, h:], A[:, h:, :h], A[:, h:, h:]
    b11, b12, b21, b22 = B[:, :h, :h], B[:, :h, h:], B[:, h:, :h], B[:, h:, h:]
    left = np.stack([a11 + a22, a21 + a22, a11, a22, a11 + a12, a21 - a11, a12 - a22])
    right = np.stack([b11 + b22, b11, b12 - b22, b21 - b11, b22, b11 + b12, b21 + b22])
    counts["additions"] += 10 * b * h * h
    m1, m2, m3, m4, m5, m6, m7 = _strassen_batched(
        left.reshape(7 * b, h, h), right.reshape(7 * b, h, h), leaf, counts).reshape(7, b, h, h)
    top = np.concatenate([m1 + m4 - m5 + m7, m3 + m5], axis=2)
    bottom = np.concatenate([m2 + m4, m1 - m2 + m3 + m6], axis=2)
    counts["additions"] += 8 * b * h * h
    return np.concatenate([top, bottom], axis=1)


def strassen_multiply(A, B, leaf: int = 1) -> tuple[np.ndarray, dict]:
    """A @ B by Strassen's recursion (schoolbook at n <= leaf), and the scalar operations it performed.

    >>> C, counts = strassen_multiply([[1, 2], [3, 4]], [[5, 6], [7, 8]])
    >>> C.tolist(), counts
    ([[19, 22], [43, 50]], {'multiplications': 7, 'additions': 18, 'total': 25})
    """
    A, B = _as_square_pair(A, B)
    leaf = _power_of_two("leaf", leaf, lo=1)
    n = A.shape[0]
    levels = max(0, (n // leaf).bit_length() - 1) if n > leaf else 0
    peak = 3 * n * n * (7 / 4) ** levels
    if peak > MAX_STRASSEN_ENTRIES:
        raise ResourceLimitError(f"Strassen down to {leaf} x {leaf} blocks at n = {n} holds about {peak:.3g} "
                                 f"entries at once; use a larger leaf (e.g. leaf={max(leaf, n // 64)}) or "
                                 "strassen_counts(n, leaf) for the counts alone.")
    counts = {"multiplications": 0, "additions": 0}
    product = _strassen_batched(A[None], B[None], leaf, counts)[0]
    counts["total"] = counts["multiplications"] + counts["additions"]
    return product, counts


def _slope(x, y) -> float:
    """Least-squares slope of log y against log x."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def matmul_flattening(ns, leaf: int = 1, fit_points: int = 4) -> dict:
    """Naive against Strassen operation counts for each n (powers of two), C_s = naive / Strassen.

    Fitted log-log exponents over the ``fit_points`` largest sizes: Strassen's total (-> log2 7 = 2.807)
    and C_s (-> 3 - log2 7 = 0.193). The paper's C_s >= n^(3 - 2.373) = n^0.627 needs omega = 2.373
    algorithms, impractical at any buildable size. Counts are operations, our proxy for synapses (for a
    fixed left factor the A-side sums are constants; that changes constants, not exponents).

    >>> r = matmul_flattening([2**e for e in range(12, 17)])
    >>> round(r["C_s_exponent"], 2)
    0.19
    """
    ns = sorted({_power_of_two("n", n, lo=1) for n in ns})
    if len(ns) < 2:
        raise InvalidArgumentError("matmul_flattening needs at least two sizes to fit an exponent, e.g. [2, 4, 8].")
    rows = []
    for n in ns:
        naive, fast = naive_counts(n)["total"], strassen_counts(n, leaf)["total"]
        rows.append({"n": n, "naive": naive, "strassen": fast, "C_s": naive / fast})
    fit = rows[-max(2, min(fit_points, len(rows))):]
    fit_n = [r["n"] for r in fit]
    return {"leaf": leaf, "rows": rows, "fit_ns": fit_n,
            "strassen_exponent": _slope(fit_n, [r["strassen"] for r in fit]),
            "naive_exponent": _slope(fit_n, [r["naive"] for r in fit]),
            "C_s_exponent": _slope(fit_n, [r["C_s"] for r in fit]),
            "omega_strassen": OMEGA_STRASSEN, "paper_exponent": 3 - OMEGA_PAPER}


# --- one entry point for the command line -----------------------------------------------------


def _fft_summary(n: int, seed: int) -> dict:
    net = butterfly_network("dft", n)
    rng = np.random.default_rng(seed)
    rows = max(1, min(16, 2**18 // n))
    x = rng.standard_normal((rows, n)) + 1j * rng.standard_normal((rows, n))
    with torch.no_grad():
        y = net(torch.from_numpy(x)).numpy()
    ref = np.fft.fft(x, axis=1)
    error = float(np.abs(y - ref).max() / np.abs(ref).max())
    return {"deep_synapses": net.synapses, "flat_synapses": net.flat_synapses,
            "C_s": net.flat_synapses / net.synapses, "max_error": error, "depth": net.depth,
            "C_s_formula": n / (2 * math.log2(n))}


def _matmul_summary(n: int) -> dict:
    leaf = optimal_leaf(n)
    naive, fast, pure = naive_counts(n)["total"], strassen_counts(n, leaf)["total"], strassen_counts(n)["total"]
    return {"deep_synapses": fast, "flat_synapses": naive, "C_s": naive / fast, "max_error": None, "leaf": leaf,
            "C_s_pure_strassen": naive / pure, "C_s_paper_bound": float(n ** (3 - OMEGA_PAPER))}


def linear_summary(kind: str, n: int, *, seed: int = 0) -> dict:
    """deep_synapses, flat_synapses, C_s, max_error (None for pure counts) and extra keys for one example.

    ``fft``: the DFT butterfly (n a power of two), error relative to numpy.fft.fft; ``lowrank``: k = max(1, n // 8);
    ``sparse``: Eq. 27 at p = 0.05 over 8 draws; ``matmul``: naive against Strassen with the best leaf size.

    >>> s = linear_summary("matmul", 1024)
    >>> s["leaf"], round(s["C_s"], 2), s["max_error"]
    (8, 1.95, None)
    """
    kind = check_choice("kind", kind, ("fft", "lowrank", "sparse", "matmul"))
    seed = check_seed(seed)
    if kind == "fft":
        return _fft_summary(_check_butterfly_size(n), seed)
    if kind == "matmul":
        return _matmul_summary(_power_of_two("n", n, lo=1))
    n = check_int_range("n", n, 2)
    if kind == "lowrank":
        net = low_rank_network(n, max(1, n // 8), seed)
        return {**net.to_dict(), "C_s_formula": n / (2 * net.k)}
    r = sparse_product_costs(n, 0.05, samples=8, seed=seed)
    return {**r, "max_error": None}
