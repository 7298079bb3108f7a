"""The radix-2 butterfly: the FFT and the fast Walsh-Hadamard transform as log2 n sparse linear layers.

>>> import numpy as np, torch
>>> net = butterfly_network("dft", 1024)
>>> net.depth, net.synapses, net.flat_synapses        # log2 n stages of 2n weights against n^2
(10, 20480, 1048576)
>>> dft_error(net, 1024, seed=0) < 1e-12              # against numpy.fft.fft
True

The DFT matrix F_n (n = 2^L) is a product of L butterfly matrices with two nonzeros per row; the
bit-reversal permutation of decimation in time is folded into the first stage's column indices, so
N_s(deep) = 2 n log2 n, N_s(flat) = n^2 (every DFT entry is a root of unity) and C_s = n / (2 log2 n).
:func:`dft_error` is the one check of a network against numpy.fft (used by claim C11 and the CLI).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from deepcheap.errors import InvalidArgumentError, ResourceLimitError, check_choice, check_int_range
from deepcheap.flattening.sizes import exponent_of, power_of
from deepcheap.seeds import numpy_generator

MAX_BUTTERFLY_N = 2**20
TRANSFORMS = ("dft", "hadamard")

_REAL = {"float64": torch.float64, "double": torch.float64, "float32": torch.float32, "float": torch.float32}
_COMPLEX = {
    "complex128": torch.complex128,
    "cdouble": torch.complex128,
    "complex64": torch.complex64,
    "cfloat": torch.complex64,
}
_TO_COMPLEX = {torch.float64: torch.complex128, torch.float32: torch.complex64}


def check_butterfly_size(n) -> int:
    """``n`` as an int if it is a power of two in [2, MAX_BUTTERFLY_N] (about 40 n log2 n bytes of weights)."""
    n = power_of("n", n, base=2, lo=2)
    if n > MAX_BUTTERFLY_N:
        need = 2 * n * exponent_of(n, 2) * (16 + 4) / 2**30
        raise ResourceLimitError(
            f"a butterfly network of size n = {n} needs about {need:.1f} GiB of weights and "
            f"indices; use n <= {MAX_BUTTERFLY_N} (2^{exponent_of(MAX_BUTTERFLY_N, 2)})."
        )
    return n


def _resolve_dtype(transform: str, dtype) -> torch.dtype:
    """Default complex128 (DFT) / float64 (Hadamard); a real dtype asked of the DFT becomes its complex twin."""
    if dtype is None:
        return torch.complex128 if transform == "dft" else torch.float64
    if not isinstance(dtype, torch.dtype):
        key = str(dtype).replace("torch.", "").strip().lower()
        if key not in _REAL | _COMPLEX:
            raise InvalidArgumentError(
                f"unknown dtype {dtype!r}; use complex128 or float64 (the defaults), complex64 or float32."
            )
        dtype = (_REAL | _COMPLEX)[key]
    if not (dtype.is_floating_point or dtype.is_complex) or dtype in (torch.float16, torch.bfloat16):
        raise InvalidArgumentError(f"dtype must be float64, float32, complex128 or complex64; got {dtype}.")
    return _TO_COMPLEX.get(dtype, dtype) if transform == "dft" else dtype


def bit_reversal(n: int) -> np.ndarray:
    """The permutation i -> i with its log2 n bits reversed.

    >>> bit_reversal(8).tolist()
    [0, 4, 2, 6, 1, 5, 3, 7]
    """
    n = power_of("n", n, base=2, lo=1)
    bits = exponent_of(n, 2)
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
    transform = check_choice("transform", transform, TRANSFORMS)
    n = power_of("n", n, base=2, lo=2)
    stage = check_int_range("stage", stage, 0, exponent_of(n, 2) - 1, hint="Stages are numbered 0 .. log2(n) - 1.")
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


def stage_matrix(transform: str, n: int, stage: int) -> sp.csr_matrix:
    """Stage s of the butterfly as an n x n CSR matrix (two nonzeros per row)."""
    ia, ib, wa, wb = butterfly_stage(transform, n, stage)
    return _stage_csr(np.stack([ia, ib]), np.stack([wa, wb]))


def _stage_csr(index: np.ndarray, weight: np.ndarray) -> sp.csr_matrix:
    """Row r of the stage reads x[index[0, r]] and x[index[1, r]] with weights weight[:, r]."""
    n = index.shape[1]
    rows = np.concatenate([np.arange(n)] * 2)
    return sp.csr_matrix((weight.ravel(), (rows, index.astype(np.int64).ravel())), shape=(n, n))


class ButterflyNetwork(nn.Module):
    """The exact FFT (radix 2, decimation in time) or fast Walsh-Hadamard transform as log2 n sparse layers.

    ``forward(x)`` maps (N, n) to (N, n): ``numpy.fft.fft(x, axis=1)`` or ``x @ scipy.linalg.hadamard(n)``,
    both unnormalised. Stage s computes y = w_a * x[:, ia] + w_b * x[:, ib] (index gathers, no dense matrix).
    Weights are frozen parameters (``.requires_grad_(True)`` to train them); indices are buffers. Nothing
    is drawn: building the network leaves torch's global generator untouched.
    """

    def __init__(self, transform: str, n: int, *, dtype=None, device=None):
        super().__init__()
        self._transform = check_choice("transform", transform, TRANSFORMS)
        self._n = check_butterfly_size(n)
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
        return exponent_of(self._n, 2)

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
        return [
            _stage_csr(index.detach().cpu().numpy(), weight.detach().cpu().numpy()) for index, weight in self.stages()
        ]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.as_tensor(x)
        if x.ndim not in (1, 2) or x.shape[-1] != self._n:
            raise InvalidArgumentError(
                f"input must have shape (N, {self._n}) (one signal per row); got {tuple(x.shape)}."
            )
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


def dft_error(network, n: int, *, seed: int, signals: int = 4) -> float:
    """max |network(x) - numpy.fft.fft(x)| / max |numpy.fft.fft(x)| over ``signals`` random complex rows x.

    ``network`` maps an (N, n) array to (N, n): a torch module (a :class:`ButterflyNetwork`, run under
    ``torch.no_grad``) or a numpy callable such as a :class:`~deepcheap.flattening.layers.SparseLinearNetwork`.
    The signals are standard complex normal, drawn from ``seed``.
    """
    signals = check_int_range("signals", signals, 1)
    rng = numpy_generator(seed)
    x = rng.standard_normal((signals, n)) + 1j * rng.standard_normal((signals, n))
    if isinstance(network, nn.Module):
        with torch.no_grad():
            y = network(torch.from_numpy(x)).cpu().numpy()
    else:
        y = np.asarray(network(x))
    reference = np.fft.fft(x, axis=1)
    return float(np.abs(y - reference).max() / np.abs(reference).max())
