"""One example of each linear construction, as JSON-ready data (``deepcheap flatten linear``).

>>> s = linear_summary("fft", 1024, seed=0)
>>> s.layers, s.C_s, s.formula, s.C_s_formula, s.max_error < 1e-12
(10, 51.2, 'n / (2 log2 n)', 51.2, True)
>>> linear_summary("lowrank", 256, seed=0).C_s        # n / 2k with k = n / 8
4.0
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from deepcheap.errors import check_choice, check_int_range, check_seed
from deepcheap.flattening.bilinear import STRASSEN
from deepcheap.flattening.butterfly import butterfly_network, check_butterfly_size, dft_error
from deepcheap.flattening.lowrank import low_rank_network
from deepcheap.flattening.matmul import best_synapse_leaf, fixed_left_synapses
from deepcheap.flattening.sizes import exponent_of, power_of
from deepcheap.flattening.sparse import sparse_product_costs

KINDS = ("fft", "lowrank", "sparse", "matmul")
FFT_SIGNALS = 16  # random signals compared with numpy.fft.fft
LOWRANK_DIVISOR = 8  # k = max(1, n // 8)
SPARSE_P, SPARSE_SAMPLES = 0.05, 8


@dataclass(frozen=True)
class LinearExample:
    """Deep against flat synapses of one example, its C_s and the closed form it is compared with."""

    kind: str
    n: int
    layers: int  # weight layers of the deep network
    deep_synapses: float  # the mean over draws for "sparse"
    flat_synapses: float
    C_s: float
    formula: str
    C_s_formula: float
    max_error: float | None  # against an independent oracle; None where only counts are computed

    def to_dict(self) -> dict:
        return asdict(self)


def linear_summary(kind: str, n: int, *, seed: int) -> LinearExample:
    """``fft``: the DFT butterfly (n a power of two), error relative to numpy.fft.fft; ``lowrank``: k = n // 8;
    ``sparse``: Eq. 27 at p = 0.05 over 8 draws; ``matmul``: B -> A B with A fixed, Strassen's network
    with the leaf that needs the fewest synapses against the n^3 of one layer.

    >>> s = linear_summary("matmul", 1024, seed=0)
    >>> s.layers, round(s.C_s, 2), s.max_error
    (11, 1.58, None)
    """
    kind = check_choice("kind", kind, KINDS)
    seed = check_seed(seed)
    if kind == "fft":
        net = butterfly_network("dft", check_butterfly_size(n))
        return LinearExample(
            kind,
            n,
            net.depth,
            net.synapses,
            net.flat_synapses,
            net.flat_synapses / net.synapses,
            "n / (2 log2 n)",
            n / (2 * net.depth),
            dft_error(net, n, seed=seed, signals=FFT_SIGNALS),
        )
    if kind == "matmul":
        n = power_of("n", n, base=2)
        leaf = best_synapse_leaf(STRASSEN, n)
        deep = fixed_left_synapses(STRASSEN, n, leaf)
        levels = exponent_of(n // leaf, 2)
        return LinearExample(
            kind,
            n,
            2 * levels + (leaf > 1 or levels == 0),
            deep,
            n**3,
            n**3 / deep,
            "n^(3 - log2 7), up to a constant",
            n ** (3 - STRASSEN.omega),
            None,
        )
    n = check_int_range("n", n, 2)
    if kind == "lowrank":
        net = low_rank_network(n, max(1, n // LOWRANK_DIVISOR), seed)
        return LinearExample(
            kind, n, 2, net.deep_synapses, net.flat_synapses, net.C_s, "n / 2k", n / (2 * net.k), net.max_error
        )
    r = sparse_product_costs(n, SPARSE_P, SPARSE_SAMPLES, seed)
    return LinearExample(
        kind, n, 2, r.deep_synapses, r.flat_synapses, r.C_s, "[1 - (1 - p^2)^n] / 2p (Eq. 27)", r.formula, None
    )
