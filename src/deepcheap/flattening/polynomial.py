"""Polynomial no-flattening (Section III H, Appendix A): constructions, errors and the rank certificate.

>>> from deepcheap.flattening.polynomial import product_networks, taylor_rank
>>> row = product_networks(5)
>>> row["shallow_neurons"], row["deep_neurons"], row["C_n"]
(32, 16, 2.0)
>>> import numpy as np
>>> signs = np.array(np.meshgrid(*[[1.0, -1.0]] * 3)).reshape(3, -1)   # the sign-sum layer, 2^3 columns
>>> taylor_rank(signs).full
True

A network with one hidden layer of m units and first layer W (n x m) can match the Taylor
expansion of x_1 ... x_n at the origin (Eq. A1) only if the 2^n x m matrix
A[S, j] = prod_{i in S} W[i, j] (S ranging over subsets of {1..n}) has full row rank 2^n, so m >= 2^n
(Lin-Tegmark-Rolnick, Appendix A). :func:`taylor_rank` computes that rank for any first layer: the
sign-sum construction's matrix is the 2^n x 2^n Walsh-Hadamard matrix (rank 2^n); any m < 2^n is
rank-deficient by construction; and it certifies a trained network's first layer too.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np
import torch

from deepcheap.compiler import compile as compile_polynomial
from deepcheap.errors import InvalidArgumentError, ResourceLimitError, check_int_range
from deepcheap.gates import max_error, shallow_product_gate
from deepcheap.library import product

MAX_CERTIFICATE_INPUTS = 14  # 2^14 subsets x m columns


def shallow_neurons(n: int) -> int:
    """2^n: necessary and sufficient for one hidden layer (Taylor sense, Appendix A)."""
    return 2 ** check_int_range("n", n, 2, MAX_DEPTH_K_N, hint="(a product needs n >= 2; 2^n has n bits)")


def deep_neurons(n: int) -> int:
    """4(n - 1): a binary tree of n - 1 product gates of 4 neurons."""
    return 4 * (check_int_range("n", n, 2, hint="(a product needs n >= 2)") - 1)


def product_networks(n: int, *, build: bool = True, memory_limit_neurons: int = 2**16) -> dict:
    """Counts of the shallow (sign-sum) and deep (compiled tree) product networks, C_n = shallow / deep.

    With ``build`` the networks are actually constructed and counted (shallow up to 2^12 neurons, the
    gate library's limit); otherwise the formulas are used. The flat cost is refused above
    ``memory_limit_neurons`` with the size it would need.
    """
    n = check_int_range("n", n, 2, hint="(a product needs n >= 2)")
    if n > math.log2(memory_limit_neurons):
        size = f"{2**n:,}" if n <= 64 else f"about 10^{n * math.log10(2):,.0f}"
        mib = f"{2**n * (n + 1) * 8 / 2**20:,.0f} MiB" if n <= 64 else "beyond any memory"
        raise ResourceLimitError(
            f"a shallow product of {n:,} inputs needs 2^{n:,} = {size} neurons ({mib} of float64 weights), above "
            f"the limit of {memory_limit_neurons:,} neurons (n <= {int(math.log2(memory_limit_neurons))}); ask for "
            "a smaller n.")
    row = {"n": n, "shallow_formula": shallow_neurons(n), "deep_formula": deep_neurons(n)}
    if build and n <= 12:
        shallow = compile_polynomial(product(n), strategy="shallow")
        deep = compile_polynomial(product(n))
        row |= {"shallow_neurons": shallow.neurons, "deep_neurons": deep.neurons, "deep_depth": deep.depth,
                "deep_mlp_neurons": deep.mlp_gate_neurons + deep.mlp_passthrough_neurons,
                "shallow_synapses": shallow.synapses, "deep_synapses": deep.synapses}
    else:
        row |= {"shallow_neurons": row["shallow_formula"], "deep_neurons": row["deep_formula"],
                "deep_depth": math.ceil(math.log2(n))}
    row["C_n"] = row["shallow_neurons"] / row["deep_neurons"]
    return row


def shallow_error_curve(n: int, scales=None, activation: str = "softplus", dtype=torch.float64) -> dict:
    """Max error of the 2^n sign-sum gate on [-1, 1]^n against its scale lambda (at its best bias).

    Default scales: 9 points from 3x the automatically chosen scale (where truncation, ~lambda^2,
    dominates rounding, ~lambda^-n) up to 1 / (2n).
    """
    auto = shallow_product_gate(n, activation, dtype=dtype)
    bias = auto.bias
    if scales is None:
        scales = np.logspace(math.log10(3 * auto.scale), math.log10(0.5 / n), 9)
    errors = [max_error(shallow_product_gate(n, activation, dtype=dtype, scale=float(s), bias=bias), points=4096)
              for s in scales]
    return {"n": n, "scales": [float(s) for s in scales], "errors": errors, "bias": bias}


def deep_error_curve(n: int, eps_values) -> dict:
    """Measured error of the compiled deep tree for each requested eps (its neurons do not change)."""
    nets = [compile_polynomial(product(n), eps=float(e)) for e in eps_values]
    return {"n": n, "eps": [float(e) for e in eps_values], "errors": [net.measure_error(points=4096) for net in nets],
            "neurons": [net.neurons for net in nets], "max_weight": [net.max_weight for net in nets]}


@dataclass(frozen=True)
class RankCertificate:
    """rank of A[q, j] = prod_i W[i, j]^q_i (0 <= q <= r); Taylor matching of x^r needs rank = prod(r_i + 1)."""

    n: int
    units: int
    rank: int
    required: int
    singular_values: tuple[float, ...]

    @property
    def full(self) -> bool:
        return self.rank == self.required


def subset_matrix(W: np.ndarray, exponents=None) -> np.ndarray:
    """A[q, j] = prod_i W[i, j]^q_i over every q with 0 <= q_i <= r_i (itertools.product order).

    With r = (1, ..., 1) the rows are the 2^n subsets S and A[S, j] = prod_{i in S} W[i, j].
    """
    W = np.asarray(W, dtype=np.float64)
    n, _ = W.shape
    powers = np.array(list(itertools.product(*[range(r + 1) for r in (exponents or (1,) * n)])), dtype=np.float64)
    return np.prod(W[None, :, :] ** powers[:, :, None], axis=1)


def taylor_rank(W, exponents=None, rtol: float = 1e-10) -> RankCertificate:
    """Rank certificate of a first layer W (n inputs x m hidden units), see the module docstring.

    ``exponents`` r (default all ones, the product of n): matching x^r needs rank prod(r_i + 1)
    (Rolnick & Tegmark's shallow bound). The numerical rank counts singular values above ``rtol``
    times the largest, after rescaling rows and columns (which changes no rank).
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] < 1 or W.shape[1] < 1:
        raise InvalidArgumentError(f"W must be a matrix (inputs x hidden units); got shape {W.shape}.")
    n, m = W.shape
    exponents = tuple(int(r) for r in exponents) if exponents is not None else (1,) * n
    if len(exponents) != n or any(r < 0 for r in exponents):
        raise InvalidArgumentError(f"exponents must be {n} non-negative integers; got {exponents}.")
    required = math.prod(r + 1 for r in exponents)
    if required > 2**MAX_CERTIFICATE_INPUTS:
        raise ResourceLimitError(f"the certificate has {required} rows; at most {2**MAX_CERTIFICATE_INPUTS}.")
    if not np.isfinite(W).all():
        raise InvalidArgumentError("W has non-finite entries; a certificate needs finite weights.")
    row_scale = np.abs(W).max(axis=1, keepdims=True)
    A = subset_matrix(W / np.where(row_scale > 0, row_scale, 1.0), exponents)
    column = np.abs(A).max(axis=0, keepdims=True)
    A = A / np.where(column > 0, column, 1.0)
    s = np.linalg.svd(A, compute_uv=False)
    rank = int((s > rtol * s[0]).sum()) if s.size and s[0] > 0 else 0
    return RankCertificate(n, m, rank, required, tuple(float(v) for v in s))


def first_layer(network) -> np.ndarray:
    """The first-layer weight matrix (inputs x units) of a gate, an nn.Sequential or a compiled shallow net."""
    from deepcheap.compiler.network import CompiledNetwork

    if isinstance(network, CompiledNetwork):
        if network.depth != 1:
            raise InvalidArgumentError("the certificate is about one hidden layer; this network has depth "
                                       f"{network.depth}. Compile with strategy='shallow'.")
        return network.mlp[0].weight.detach().double().numpy().T
    if isinstance(network, torch.nn.Sequential):
        return network[0].weight.detach().double().cpu().numpy().T
    if isinstance(network, torch.nn.Linear):
        return network.weight.detach().double().cpu().numpy().T
    raise InvalidArgumentError("pass a weight matrix, an nn.Sequential, an nn.Linear or a shallow CompiledNetwork.")


# --- depth-k products (Rolnick & Tegmark): group the factors, b_1 ... b_k --------------------------


MAX_DEPTH_K_N = 100_000  # the k = 1 count alone, 2^n, has n bits


def depth_k_bound(n: int, k: int) -> tuple[int, tuple[int, ...]]:
    """min over groupings of sum_i g_i 2^(b_i), g_i = ceil(g_{i-1} / b_i), g_0 = n, g_k = 1 (and the b's).

    Level i multiplies groups of b_i values with a shallow 2^(b_i)-neuron gate; with b_i = n^(1/k)
    the count is O(n^((k-1)/k) 2^(n^(1/k))), and k = log2 n gives 4(n - 1) (b_i = 2). Exact integers; the
    search over b stops once 2^b alone exceeds the best count found (every larger b costs more).
    """
    n = check_int_range("n", n, 2, MAX_DEPTH_K_N, hint="(the k = 1 count alone, 2^n, has n bits)")
    k = check_int_range("k", k, 1)
    k = min(k, max(1, (n - 1).bit_length()))  # more than ceil(log2 n) levels never helps

    @functools.cache
    def best(g: int, levels: int) -> tuple[int, tuple[int, ...]] | None:
        if g == 1:
            return 0, ()
        if levels == 1:
            return 2**g, (g,)
        found = None
        for b in range(2, g + 1):
            if found is not None and 2**b >= found[0]:
                break
            groups = -(-g // b)
            rest = best(groups, levels - 1)
            option = (groups * 2**b + rest[0], (b, *rest[1]))
            found = option if found is None else min(found, option)
        return found

    cost, groups = best(n, k)
    return cost, groups


def grouped_product(n: int, groups: tuple[int, ...], activation: str = "softplus", dtype=torch.float64):
    """A depth-k product network: level i multiplies consecutive groups of b_i values with the sign-sum
    gate (2^(b_i) neurons); returns ``(module, neurons, predicted_error)``. The b's must multiply to n."""
    from deepcheap.activations import get_activation
    from deepcheap.compiler.build import DagModule
    from deepcheap.compiler.gatespec import smooth_spec
    from deepcheap.compiler.strategies import Construction
    from deepcheap.precision import resolve_dtype, search_bias, stencil_error_model
    from deepcheap.stencils import central_stencil

    n = check_int_range("n", n, 2)
    from deepcheap.gates.smooth import MAX_SHALLOW_INPUTS

    if math.prod(groups) != n or any(int(b) < 2 for b in groups):
        raise InvalidArgumentError(f"group sizes must be >= 2 and multiply to n = {n}; got {groups}.")
    if any(int(b) > MAX_SHALLOW_INPUTS for b in groups):
        raise InvalidArgumentError(f"each group is a shallow gate of 2^b neurons, b <= {MAX_SHALLOW_INPUTS}; got "
                                   f"{groups}. Use more levels (smaller groups).")
    act, dtype = get_activation(activation), resolve_dtype(dtype)
    values, next_id, stages, predicted = list(range(n)), n, [], 0.0
    for b in groups:
        stencil = central_stencil((1,) * b)
        bias = search_bias(act, stencil, order=2, dtype=dtype)
        model = stencil_error_model(act, stencil, bias, 1.0, dtype)
        scale = model.best_scale()
        stage, produced = [], []
        for start in range(0, len(values), b):
            stage.append(smooth_spec(stencil, act, bias, scale, [1.0] * b, 1.0, tuple(values[start:start + b]),
                                     next_id, "product"))
            produced.append(next_id)
            next_id += 1
            predicted += model.error(scale)
        stages.append(stage)
        values = produced
    construction = Construction(stages, {values[0]: 1.0}, 0.0, act.name, predicted, {}, None, {"groups": groups})
    module = DagModule(construction, n, dtype=dtype)
    neurons = sum(spec.units for stage in stages for spec in stage)
    return module, neurons, predicted
