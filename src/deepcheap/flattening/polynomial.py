"""Polynomial no-flattening (Section III H, Appendix A; Rolnick & Tegmark 2018): the constructions, counted.

>>> from deepcheap.flattening.polynomial import power_networks, product_networks
>>> row = product_networks(5)
>>> row.shallow_neurons, row.deep_neurons, row.C_n
(32, 16, 2.0)
>>> x64 = power_networks(64, seed=0)
>>> (x64.shallow_bias_free, x64.deep_bias_free), (x64.shallow_with_biases, x64.deep_with_biases)
((65, 18), (64, 12))

Every count here is the builder's own (the sign-sum gate, the compiler's strategies): a regression test,
never evidence that fewer units cannot do (that is :mod:`deepcheap.flattening.certificate`'s theorem).
Two conventions are kept apart, because they differ by one unit per even stencil: ``with biases``
(constant units folded into an output bias) and ``bias-free`` (Rolnick & Tegmark's setting: a constant
costs a unit with zero input weight, so x^2 takes 3 units and x^d takes d + 1).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch

from deepcheap.compiler import compile as compile_polynomial
from deepcheap.compiler.strategies import best_grouping, grouped_levels
from deepcheap.errors import ResourceLimitError, check_int_range
from deepcheap.gates import max_error, shallow_product_gate
from deepcheap.library import power, product
from deepcheap.seeds import torch_generator
from deepcheap.stencils import central_stencil

MAX_BUILT_SHALLOW = 12  # the gate library builds sign-sum gates up to 2^12 units


def shallow_neurons(n: int) -> int:
    """2^n: necessary and sufficient for one hidden layer (Taylor sense, hypotheses of Appendix A)."""
    return 2 ** check_int_range("n", n, 2, 100_000, hint="(a product needs n >= 2; 2^n has n bits)")


def deep_neurons(n: int) -> int:
    """4(n - 1): a binary tree of n - 1 product gates of 4 neurons."""
    return 4 * (check_int_range("n", n, 2, hint="(a product needs n >= 2)") - 1)


def depth_k_bound(n: int, k: int) -> tuple[int, tuple[int, ...]]:
    """Fewest neurons of a grouped product of n inputs in at most k levels, and its groups (the compiler's
    :func:`~deepcheap.compiler.strategies.best_grouping`)."""
    return best_grouping(n, k)


@dataclass(frozen=True)
class ProductNetworks:
    """x_1 ... x_n: the shallow sign-sum network (2^n) against the compiled binary tree (4(n - 1))."""

    n: int
    shallow_neurons: int
    deep_neurons: int
    deep_depth: int
    built: bool  # False: counted by the formulas (n above the gate library's 2^12 units)
    deep_mlp_neurons: int | None = None  # the strict MLP's gate and pass-through units
    shallow_synapses: int | None = None
    deep_synapses: int | None = None

    @property
    def C_n(self) -> float:
        return self.shallow_neurons / self.deep_neurons

    def to_dict(self) -> dict:
        return {**asdict(self), "C_n": self.C_n}


def product_networks(n: int, *, build: bool = True, memory_limit_neurons: int = 2**16) -> ProductNetworks:
    """Counts of the shallow and deep product networks of n inputs, C_n = shallow / deep.

    With ``build`` (and n <= 12) both networks are compiled and counted; otherwise the formulas are used.
    The flat count is refused above ``memory_limit_neurons`` with the size it would need.
    """
    n = check_int_range("n", n, 2, hint="(a product needs n >= 2)")
    if n > math.log2(memory_limit_neurons):
        size = f"{2**n:,}" if n <= 64 else f"about 10^{n * math.log10(2):,.0f}"
        mib = f"{2**n * (n + 1) * 8 / 2**20:,.0f} MiB" if n <= 64 else "beyond any memory"
        raise ResourceLimitError(
            f"a shallow product of {n:,} inputs needs 2^{n:,} = {size} neurons ({mib} of float64 weights), above "
            f"the limit of {memory_limit_neurons:,} neurons (n <= {int(math.log2(memory_limit_neurons))}); ask for "
            "a smaller n.")
    if not (build and n <= MAX_BUILT_SHALLOW):
        return ProductNetworks(n, shallow_neurons(n), deep_neurons(n), math.ceil(math.log2(n)), built=False)
    shallow = compile_polynomial(product(n), strategy="shallow")
    deep = compile_polynomial(product(n))
    return ProductNetworks(n, shallow.neurons, deep.neurons, deep.depth, True,
                           deep.mlp_gate_neurons + deep.mlp_passthrough_neurons, shallow.synapses, deep.synapses)


@dataclass(frozen=True)
class PowerNetworks:
    """x^d in one hidden layer (the central stencil of d + 1 units) and deep (the compiler's repeated squaring),
    each counted with biases and bias-free; Rolnick & Tegmark's deep bound 7 ceil(log2 d) is bias-free
    (a 3-unit square and a 4-unit product per binary digit)."""

    d: int
    shallow_with_biases: int
    shallow_bias_free: int
    deep_with_biases: int
    deep_bias_free: int
    deep_depth: int
    multiplications: int
    deep_error: float

    @property
    def rolnick_tegmark_bound(self) -> int:
        return 7 * math.ceil(math.log2(self.d)) if self.d > 1 else 0

    def to_dict(self) -> dict:
        return {**asdict(self), "rolnick_tegmark_bound": self.rolnick_tegmark_bound}


def power_networks(d: int, *, seed: int, points: int = 2048) -> PowerNetworks:
    """Counts of x^d shallow (from the stencil the shallow builder uses) and deep (compiled, its error measured
    on ``points`` inputs drawn from ``seed``).

    Bias-free, every gate keeps its constant units: a square 3, a product 4, the shallow stencil d + 1.
    """
    d = check_int_range("d", d, 2, hint="(x^1 needs no neuron)")
    stencil = central_stencil((d,))
    deep = compile_polynomial(power(d))
    gates = deep.gate_counts
    bias_free = {kind: central_stencil((2,) if kind == "square" else (1, 1)).units for kind in gates}
    return PowerNetworks(d, stencil.units - int(stencil.constant_units.sum()), stencil.units, deep.neurons,
                         sum(count * bias_free[kind] for kind, count in gates.items()), deep.depth,
                         deep.multiplications, deep.measure_error(points=points, seed=seed))


@dataclass(frozen=True)
class ErrorCurve:
    """Max error of a network of n inputs on [-1, 1]^n (``errors``) against ``parameter`` at ``values``: the
    scale lambda of a gate (at its ``bias``), or the eps asked of the compiler."""

    n: int
    parameter: str  # "scale" or "eps"
    values: tuple[float, ...]
    errors: tuple[float, ...]
    bias: float | None = None

    def to_dict(self) -> dict:
        return {**asdict(self), "values": list(self.values), "errors": list(self.errors)}


def shallow_error_curve(n: int, scales=None, activation: str = "softplus", dtype=torch.float64, *,
                        seed: int) -> ErrorCurve:
    """Max error of the 2^n sign-sum gate on [-1, 1]^n against its scale lambda (at its automatic bias), on
    the corners and 4096 points drawn from ``seed``.

    Default scales: 9 points from 3x the automatically chosen scale (where truncation, ~lambda^2,
    dominates rounding, ~lambda^-n) up to 1 / (2n).
    """
    auto = shallow_product_gate(n, activation, dtype=dtype)
    if scales is None:
        scales = np.logspace(math.log10(3 * auto.scale), math.log10(0.5 / n), 9)
    errors = [max_error(shallow_product_gate(n, activation, dtype=dtype, scale=float(s), bias=auto.bias), points=4096,
                        generator=torch_generator(seed)) for s in scales]
    return ErrorCurve(n, "scale", tuple(float(s) for s in scales), tuple(errors), auto.bias)


def deep_error_curve(n: int, eps_values, *, seed: int) -> ErrorCurve:
    """Measured error of the compiled deep tree for each requested eps (its neurons do not change), on the
    corners and 4096 points drawn from ``seed``."""
    errors = [compile_polynomial(product(n), eps=float(e)).measure_error(points=4096, seed=seed) for e in eps_values]
    return ErrorCurve(n, "eps", tuple(float(e) for e in eps_values), tuple(errors))


def grouped_product(n: int, groups=None, *, depth: int | None = None, activation: str = "softplus", order: int = 4,
                    dtype=torch.float64):
    """x_1 ... x_n as a depth-k grouped product: ``deepcheap.compile(library.product(n), strategy="grouped", ...)``
    with ``groups=(b_1, ..., b_k)`` or ``depth=k`` (the grouping with the fewest neurons)."""
    if groups is not None:
        grouped_levels(n, groups)  # refuse bad groups before building an expression of n symbols
    return compile_polynomial(product(check_int_range("n", n, 2, hint="(a product needs n >= 2)")),
                              strategy="grouped", groups=groups, depth=depth, activation=activation, order=order,
                              dtype=dtype)
