"""The no-flattening laboratory (Sections III F-H, Appendix A; Rolnick & Tegmark 2018).

>>> from deepcheap import flattening
>>> flattening.product_networks(8)["C_n"]                  # 2^8 / (4 * 7)
9.142857142857142
>>> flattening.butterfly_network("dft", 1024).synapses      # 2 n log2 n against n^2 = 1048576
20480

* costs: :func:`flattening_cost` (C_n, C_s of Eqs. 25-26) for any pair of networks;
* linear (Section III G): butterfly DFT / Walsh-Hadamard networks, rank-k maps, the sparse product
  of Eq. 27, Strassen-type matrix multiplication;
* polynomial (Section III H, Appendix A): shallow 2^n against deep 4(n - 1) product networks, the
  rank certificate :func:`taylor_rank`, depth-k grouped products;
* trained: :func:`minimal_widths`, the smallest trained width reaching a target error.
"""

from deepcheap.flattening.costs import FlatteningCost, counts, flattening_cost
from deepcheap.flattening.linear import (
    ButterflyNetwork,
    butterfly_network,
    eq27,
    linear_summary,
    low_rank_network,
    matmul_flattening,
    naive_counts,
    sparse_product_costs,
    strassen_counts,
    strassen_multiply,
)
from deepcheap.flattening.polynomial import (
    RankCertificate,
    deep_neurons,
    depth_k_bound,
    first_layer,
    grouped_product,
    product_networks,
    shallow_neurons,
    taylor_rank,
)
from deepcheap.flattening.trained import Budget, ProductTask, minimal_widths

__all__ = [
    "Budget",
    "ButterflyNetwork",
    "FlatteningCost",
    "ProductTask",
    "RankCertificate",
    "butterfly_network",
    "counts",
    "deep_neurons",
    "depth_k_bound",
    "eq27",
    "first_layer",
    "flattening_cost",
    "grouped_product",
    "linear_summary",
    "low_rank_network",
    "matmul_flattening",
    "minimal_widths",
    "naive_counts",
    "product_networks",
    "shallow_neurons",
    "sparse_product_costs",
    "strassen_counts",
    "strassen_multiply",
    "taylor_rank",
]
