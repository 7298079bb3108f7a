"""Rank k: A = B C (n x k times k x n) through k linear hidden neurons.

>>> net = low_rank_network(64, 4, seed=0)
>>> net.rank, net.deep_synapses, net.flat_synapses, net.C_s
(4, 512, 4096, 8.0)

N_s(deep) = nnz(B) + nnz(C) = 2nk, N_s(flat) = nnz(A) = n^2, so C_s = n / 2k (for Gaussian B, C, whose
entries and products are nonzero with probability 1).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from deepcheap.errors import check_int_range
from deepcheap.flattening.sizes import check_dense
from deepcheap.seeds import numpy_generator

TEST_INPUTS = 64  # random inputs x on which B (C x) is compared with A x


@dataclass(frozen=True, eq=False)
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
        """The deep network as ``nn.Sequential(Linear(n, k), Linear(k, n))`` without biases, frozen.

        The layers are created without initialisation (``torch.nn.utils.skip_init``), so building the
        module draws nothing from torch's global generator.
        """
        device = torch.device("cpu") if device is None else device
        first = nn.utils.skip_init(nn.Linear, self.n, self.k, bias=False, dtype=dtype, device=device)
        second = nn.utils.skip_init(nn.Linear, self.k, self.n, bias=False, dtype=dtype, device=device)
        with torch.no_grad():
            first.weight.copy_(torch.as_tensor(self.C))
            second.weight.copy_(torch.as_tensor(self.B))
        return nn.Sequential(first, second).requires_grad_(False)

    def to_dict(self) -> dict:
        """The counts as JSON-ready numbers (without the factor matrices)."""
        return {k: v for k, v in asdict(self).items() if k not in ("B", "C")}


def low_rank_network(n: int, k: int, seed: int) -> LowRankNetwork:
    """A random rank-k n x n matrix A = B C (standard normal B, C drawn from ``seed``) and its costs.

    max_error = max |B (C x) - A x| / max |A x| over TEST_INPUTS random inputs x.
    """
    n = check_int_range("n", n, 2)
    k = check_int_range("k", k, 1, n - 1, hint="A rank-n matrix is generic and gains nothing from a hidden layer.")
    check_dense(n, "the low-rank example")
    rng = numpy_generator(seed)
    B, C = rng.standard_normal((n, k)), rng.standard_normal((k, n))
    A = B @ C
    x = rng.standard_normal((n, TEST_INPUTS))
    exact = A @ x
    error = float(np.abs(B @ (C @ x) - exact).max() / np.abs(exact).max())
    deep = int(np.count_nonzero(B) + np.count_nonzero(C))
    flat = int(np.count_nonzero(A))
    return LowRankNetwork(n, k, B, C, deep, flat, flat / deep, int(np.linalg.matrix_rank(A)), error)
