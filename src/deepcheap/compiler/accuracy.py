"""Pass 3, accuracy: how much error each gate may make, and the scale that delivers it.

Each gate computes its product on inputs normalised to [-1, 1] (divided by their range bound R)
and multiplies the result back, so a gate error e_g becomes R_A R_B e_g in value. To first order
the output error is bounded by sum_g S_g e_g, with sensitivities from reverse accumulation:

    w_M = |c_M| + sum_{P = M * B} w_P R_B + sum_{P = M^2} 2 w_P R_M,     S_g = w_g R_A R_B.

deepcheap gives every gate an equal share of half the budget, e_g = eps / (2 G S_g), and picks for each the largest
scale whose modelled error (truncation + rounding, :mod:`deepcheap.precision`) is within e_g: the
smallest weights that meet eps. The bound is worst-case; measured errors are usually far smaller.
If some e_g is below what the dtype can deliver, :class:`PrecisionError` says the best achievable
error and suggests float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from deepcheap.compiler.plan import ProductPlan
from deepcheap.compiler.polynomial import monomial_degree
from deepcheap.errors import PrecisionError
from deepcheap.precision import StencilErrorModel, dtype_name, machine_epsilon

SAFETY = 0.5  # share of eps handed to the gates: margin for second-order terms and rounding estimates


def node_ranges(plan: ProductPlan, radius: float) -> np.ndarray:
    """Bound R_M on |M| over the box |x_i| <= radius, for every node."""
    return np.array([radius ** monomial_degree(node.monomial) for node in plan.nodes])


def sensitivities(plan: ProductPlan, ranges: np.ndarray) -> np.ndarray:
    """S_g for every node (0 for inputs): d(output error) / d(normalised gate error)."""
    adjoint = np.zeros(len(plan.nodes))
    for i, c in plan.output.items():
        adjoint[i] += abs(c)
    for i in reversed(range(len(plan.nodes))):
        node = plan.nodes[i]
        if node.kind == "product":
            a, b = node.inputs
            adjoint[a] += adjoint[i] * ranges[b]
            adjoint[b] += adjoint[i] * ranges[a]
        elif node.kind == "square":
            (a,) = node.inputs
            adjoint[a] += 2 * adjoint[i] * ranges[a]
    result = np.zeros(len(plan.nodes))
    for i, node in enumerate(plan.nodes):
        if node.kind == "product":
            result[i] = adjoint[i] * ranges[node.inputs[0]] * ranges[node.inputs[1]]
        elif node.kind == "square":
            result[i] = adjoint[i] * ranges[node.inputs[0]] ** 2
    return result


def output_rounding(plan: ProductPlan, ranges: np.ndarray, dtype) -> float:
    """Rounding of the final weighted sum: eps * sum |c| R."""
    return machine_epsilon(dtype) * (abs(plan.constant) + sum(abs(c) * ranges[i] for i, c in plan.output.items()))


def scale_for_error(model: StencilErrorModel, target: float) -> float | None:
    """The largest scale with model error <= target (None if even the best scale misses it)."""
    best = model.best_scale()
    if model.error(best) > target:
        return None
    if model.error(model.max_scale) <= target:
        return model.max_scale
    f = lambda t: math.log(model.error(math.exp(t))) - math.log(target)  # noqa: E731
    return math.exp(brentq(f, math.log(best), math.log(model.max_scale), xtol=1e-10))


@dataclass(frozen=True)
class Allocation:
    """Per-gate error targets (None: best achievable) and the resulting bound."""

    targets: dict[int, float | None]
    predicted_error: float


def allocate(sensitivity: dict[int, float], best_error: dict[int, float], eps: float | None,
             floor: float, dtype) -> Allocation:
    """Equal shares of ``eps`` (or every gate at its best when eps is None); refuse unreachable eps.

    ``sensitivity`` and ``best_error`` are per gate; ``floor`` is error that no scale removes.
    """
    best_total = floor + sum(sensitivity[g] * best_error[g] for g in sensitivity)
    if eps is None:
        return Allocation({g: None for g in sensitivity}, best_total)
    active = {g: s for g, s in sensitivity.items() if s > 0}
    budget = SAFETY * eps - floor
    best_sum = sum(s * best_error[g] for g, s in active.items())
    if budget <= 0 or budget < best_sum:
        raise PrecisionError(
            f"eps = {eps:g} is out of reach in {dtype_name(dtype)}: the best this network can guarantee is "
            f"{best_total:.2g}; with the safety factor 2 the smallest eps it accepts is "
            f"{(floor + best_sum) / SAFETY:.2g}"
            + (" (float64 would do far better: pass dtype=torch.float64)." if machine_epsilon(dtype) > 1e-15
               else "; ask for a larger eps.")
        )
    shares = {g: budget / (len(active) * s) for g, s in active.items()}
    if any(shares[g] < best_error[g] for g in active):
        # equal shares would ask some gate for less than its best: give every gate its best error
        # plus an equal share of the slack, which still sums to the budget
        slack = (budget - best_sum) / len(active)
        shares = {g: best_error[g] + slack / s for g, s in active.items()}
    targets = {g: shares.get(g) for g in sensitivity}
    return Allocation(targets, eps)
