"""The no-flattening laboratory (Sections III F-H, Appendix A; Rolnick & Tegmark 2018).

>>> from deepcheap import flattening
>>> flattening.product_networks(8).C_n                     # 2^8 / (4 * 7)
9.142857142857142
>>> flattening.butterfly_network("dft", 1024).synapses      # 2 n log2 n against n^2 = 1048576
20480

* costs: :func:`flattening_cost` (C_n, C_s of Eqs. 25-26) for any pair of networks;
* linear (Section III G), one module per construction: butterfly (DFT / Walsh-Hadamard networks),
  radix (the FFT flattened to l + 1 layers), lowrank (rank-k maps), sparse (Eq. 27), bilinear (Strassen
  and Laderman schemes) and matmul (B -> A B with A fixed as a linear network);
* polynomial (Section III H, Appendix A): shallow 2^n against deep 4(n - 1) product networks, powers x^d
  with and without biases, depth-k grouped products (the compiler's strategy="grouped");
* certificate: the rank certificate :func:`taylor_rank` / :func:`certify` with its hypotheses, and the
  folded sign-sum where they fail;
* trained: :func:`minimal_widths`, the smallest trained width (and total neurons) reaching a target error.
"""

from deepcheap.flattening.bilinear import (
    LADERMAN,
    STRASSEN,
    BilinearScheme,
    multiply,
    naive_counts,
    operation_counts,
    strassen_counts,
    strassen_multiply,
)
from deepcheap.flattening.butterfly import ButterflyNetwork, butterfly_network, dft_error
from deepcheap.flattening.certificate import (
    Hypotheses,
    RankCertificate,
    certify,
    first_layer,
    folded_sign_sum,
    hypotheses,
    taylor_rank,
    taylor_system,
)
from deepcheap.flattening.costs import FlatteningCost, counts, flattening_cost
from deepcheap.flattening.examples import linear_summary
from deepcheap.flattening.layers import SparseLinearNetwork
from deepcheap.flattening.lowrank import low_rank_network
from deepcheap.flattening.matmul import fixed_left_network, fixed_left_synapses, matmul_flattening
from deepcheap.flattening.polynomial import (
    PowerNetworks,
    ProductNetworks,
    deep_neurons,
    depth_k_bound,
    grouped_product,
    power_networks,
    product_networks,
    shallow_neurons,
)
from deepcheap.flattening.radix import equal_radix_cs, layered_dft
from deepcheap.flattening.sparse import eq27, sparse_product_costs
from deepcheap.flattening.trained import (
    Budget,
    ProductTask,
    WidthResult,
    minimal_widths,
)

__all__ = [
    "LADERMAN",
    "STRASSEN",
    "BilinearScheme",
    "Budget",
    "ButterflyNetwork",
    "FlatteningCost",
    "Hypotheses",
    "PowerNetworks",
    "ProductNetworks",
    "ProductTask",
    "RankCertificate",
    "SparseLinearNetwork",
    "WidthResult",
    "butterfly_network",
    "certify",
    "counts",
    "deep_neurons",
    "depth_k_bound",
    "dft_error",
    "eq27",
    "equal_radix_cs",
    "first_layer",
    "fixed_left_network",
    "fixed_left_synapses",
    "flattening_cost",
    "folded_sign_sum",
    "grouped_product",
    "hypotheses",
    "layered_dft",
    "linear_summary",
    "low_rank_network",
    "matmul_flattening",
    "minimal_widths",
    "multiply",
    "naive_counts",
    "operation_counts",
    "power_networks",
    "product_networks",
    "shallow_neurons",
    "sparse_product_costs",
    "strassen_counts",
    "strassen_multiply",
    "taylor_rank",
    "taylor_system",
]
