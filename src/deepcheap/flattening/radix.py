"""Flattening the FFT part way: its log2 n radix-2 stages grouped into l + 1 layers (a mixed-radix FFT).

>>> net = layered_dft(1024, 1)                         # one hidden layer: two radix-32 layers
>>> radix_grouping(1024, 1), net.depth, net.synapses   # n (32 + 32) synapses against n^2 = 1048576
((32, 32), 2, 65536)
>>> layered_dft_cs(1024, 1), equal_radix_cs(1024, 1)   # n / sum_j r_j and n^(1/2) / 2
(16.0, 16.0)

A group of e consecutive radix-2 stages is one radix-2^e layer: each output reads the 2^e inputs that
differ from it in the group's e bits, through exactly one path of unit-modulus weights, so the layer has
n 2^e nonzero synapses. With radices r_j = 2^(e_j), prod_j r_j = n, over l + 1 layers (l hidden):

    N_s(deep) = n sum_j r_j,   N_s(flat) = n^2,   C_s(l) = n / sum_j r_j,

largest when the e_j are as equal as possible (2^e is convex). For equal radices r_j = n^(1/(l+1)):

    C_s(l) = n^(1 - 1/(l+1)) / (l + 1),

so l = 0 is the dense DFT (C_s = 1) and l = log2 n - 1 the radix-2 butterfly (C_s = n / (2 log2 n)).
"""

from __future__ import annotations

from deepcheap.errors import ResourceLimitError, check_int_range
from deepcheap.flattening.butterfly import stage_matrix
from deepcheap.flattening.layers import SparseLinearNetwork
from deepcheap.flattening.sizes import exponent_of, power_of

MAX_LAYERED_SYNAPSES = 2**24  # about 400 MiB of complex weights and indices


def radix_grouping(n: int, hidden_layers: int) -> tuple[int, ...]:
    """Radices r_j = 2^(e_j) of the l + 1 layers, first layer first: the e_j as equal as possible.

    >>> radix_grouping(2**10, 2)                           # 10 stages into 3 layers: 4 + 3 + 3
    (16, 8, 8)
    """
    stages = exponent_of(power_of("n", n, base=2, lo=2), 2)
    hidden_layers = check_int_range(
        "hidden_layers",
        hidden_layers,
        0,
        stages - 1,
        hint=f"Each of the l + 1 layers holds at least one of the {stages} radix-2 stages.",
    )
    q, extra = divmod(stages, hidden_layers + 1)
    return tuple(2 ** (q + 1) if j < extra else 2**q for j in range(hidden_layers + 1))


def layered_dft_cs(n: int, hidden_layers: int) -> float:
    """C_s(l) = n / sum_j r_j of the grouping :func:`radix_grouping` (what :func:`layered_dft` builds)."""
    return n / sum(radix_grouping(n, hidden_layers))


def equal_radix_cs(n: int, hidden_layers: int) -> float:
    """The closed form for equal radices n^(1/(l+1)): C_s(l) = n^(1 - 1/(l+1)) / (l + 1)."""
    hidden_layers = check_int_range("hidden_layers", hidden_layers, 0)
    return n ** (1 - 1 / (hidden_layers + 1)) / (hidden_layers + 1)


def layered_dft(n: int, hidden_layers: int, *, max_synapses: int = MAX_LAYERED_SYNAPSES) -> SparseLinearNetwork:
    """The DFT of size n as l + 1 sparse layers: products of consecutive radix-2 stages (the first stage's
    columns carry the bit-reversal permutation). Its product is ``numpy.fft.fft(numpy.eye(n), axis=0)``."""
    radices = radix_grouping(n, hidden_layers)
    need = n * sum(radices)
    if need > max_synapses:
        raise ResourceLimitError(
            f"the {hidden_layers + 1}-layer DFT of size n = {n} has {need:,} synapses, above "
            f"max_synapses = {max_synapses:,}; use more hidden layers or a smaller n."
        )
    layers, first = [], 0
    for radix in radices:
        group = range(first, first + exponent_of(radix, 2))
        layer = stage_matrix("dft", n, group[0])
        for stage in group[1:]:
            layer = stage_matrix("dft", n, stage) @ layer
        layers.append(layer.tocsr())
        first = group[-1] + 1
    return SparseLinearNetwork(tuple(layers))
