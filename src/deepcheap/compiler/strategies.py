"""Pass 4, gates: turn the plan into gate specifications for one strategy.

* ``deep``: the product DAG, one smooth gate per multiplication (4 neurons per product, 2 per
  square), stages = DAG levels. Corollary 1: the size does not depend on eps, only the scales do.
* ``shallow``: one hidden layer; each monomial x^r by its own stencil of prod(r_i + 1) units (a
  constant unit, when all r_i are even, is folded into the output bias). A product of n distinct
  inputs costs 2^n (Appendix A).
* ``relu``: the product DAG with Yarotsky's ReLU squares (products by polarisation); every gate
  has depth m + 1 with 2^(-2m-2) error, so depth grows like log(1/eps).
* ``bits``: inputs are bits {0, 1} and the polynomial is multilinear (Eq. 12); one sigmoid neuron per
  monomial, sigma(beta (sum_{i in S} x_i - |S| + 1/2)) (Eq. 13), one hidden layer whatever the degree.
* ``grouped``: a product of n factors in k levels (Rolnick & Tegmark 2018, Theorem 5.1): level i cuts its
  values into consecutive groups of b_i and multiplies each group with one sign-sum gate of 2^(b_i)
  units, so k = 1 is the shallow 2^n network and b_i = 2 the binary tree's 4(n - 1). Pass
  ``groups=(b_1, ..., b_k)`` or ``depth=k`` (the grouping with the fewest neurons, :func:`best_grouping`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from deepcheap.activations import Activation, require_smooth
from deepcheap.compiler.accuracy import allocate, node_ranges, output_rounding, scale_for_error, sensitivities
from deepcheap.compiler.gatespec import GateSpec, relu_identity_spec, relu_spec, smooth_spec
from deepcheap.compiler.plan import ProductPlan
from deepcheap.compiler.polynomial import monomial_degree
from deepcheap.errors import InvalidArgumentError, PrecisionError, check_int_range
from deepcheap.gates.bits import beta_for_error
from deepcheap.precision import dtype_name, machine_epsilon, search_bias, stencil_error_model
from deepcheap.stencils import central_stencil

DEFAULT_RELU_EPS = 1e-6
STRATEGIES = ("deep", "shallow", "relu", "bits", "grouped")


@dataclass
class Construction:
    """Gate specs in stages, the output combination, and what the accuracy pass predicts."""

    stages: list[list[GateSpec]]
    output: dict[int, float]  # value id -> coefficient; ids < n_inputs are the inputs
    constant: float
    activation: str
    predicted_error: float
    ranges: dict[int, float]  # value id -> bound on |value|
    passthrough: Callable[[int], GateSpec]
    details: dict


def construct(plan: ProductPlan, strategy: str, activation: Activation, order: int, eps: float | None,
              dtype, radius: float, *, groups: tuple[int, ...] | None = None, depth: int | None = None) -> Construction:
    if strategy == "deep":
        return _deep(plan, activation, order, eps, dtype, radius)
    if strategy == "shallow":
        return _shallow(plan, activation, order, eps, dtype, radius)
    if strategy == "relu":
        return _relu(plan, eps, dtype, radius)
    if strategy == "bits":
        return _bits(plan, eps, dtype)
    if strategy == "grouped":
        return _grouped(plan, activation, order, eps, dtype, radius, groups, depth)
    raise InvalidArgumentError(f"strategy must be one of {', '.join(STRATEGIES)}; got {strategy!r}.")


def _smooth_identity(activation: Activation, dtype, ranges: dict[int, float]) -> Callable[[int], GateSpec]:
    """Pass-through units: the 2-unit central identity at its best bias and scale (exact for softplus)."""
    stencil = central_stencil((1,))
    chosen: dict[str, float] = {}  # found on first use: only the strict MLP needs pass-throughs

    def make(value: int) -> GateSpec:
        if not chosen:
            chosen["bias"] = search_bias(activation, stencil, order=None, dtype=dtype, radius=1.0)
            chosen["scale"] = stencil_error_model(activation, stencil, chosen["bias"], 1.0, dtype).best_scale()
        r = ranges[value]
        return smooth_spec(stencil, activation, chosen["bias"], chosen["scale"], [r], r, (value,), value, "identity")

    return make


def _deep(plan, activation, order, eps, dtype, radius) -> Construction:
    require_smooth(activation, "the deep strategy's smooth gates (use strategy='relu' for ReLU)")
    ranges = node_ranges(plan, radius)
    sens = sensitivities(plan, ranges)
    kinds = {"product": central_stencil((1, 1)), "square": central_stencil((2,))}
    bias = {k: search_bias(activation, s, order=order, dtype=dtype, radius=1.0) for k, s in kinds.items()}
    model = {k: stencil_error_model(activation, s, bias[k], 1.0, dtype) for k, s in kinds.items()}
    best = {k: m.best_error() for k, m in model.items()}
    gates = plan.gates
    kind_of = {g: plan.nodes[g].kind for g in gates}
    floor = output_rounding(plan, ranges, dtype)
    allocation = allocate({g: sens[g] for g in gates}, {g: best[kind_of[g]] for g in gates}, eps, floor, dtype)
    cache: dict[tuple[str, float | None], float] = {}
    model_error: dict[tuple[str, float], float] = {}
    specs: dict[tuple, GateSpec] = {}  # gates that differ only in their wiring share their weight arrays
    stages, predicted = [], floor
    for level in plan.levels():
        stage = []
        for g in level:
            kind, target = kind_of[g], allocation.targets[g]
            key = (kind, target)
            if key not in cache:
                cache[key] = model[kind].best_scale() if target is None else scale_for_error(model[kind], target)
            scale = cache[key]
            node = plan.nodes[g]
            in_ranges = tuple(float(ranges[j]) for j in node.inputs)
            spec_key = (kind, scale, in_ranges)
            if spec_key not in specs:
                out_scale = math.prod(in_ranges) if kind == "product" else in_ranges[0] ** 2
                specs[spec_key] = smooth_spec(kinds[kind], activation, bias[kind], scale, list(in_ranges), out_scale,
                                              (), -1, kind)
                model_error[(kind, scale)] = model[kind].error(scale)
            base = specs[spec_key]
            stage.append(GateSpec(g, node.inputs, base.layers, base.readout, base.constant, base.activation, kind))
            predicted += sens[g] * model_error[(kind, scale)]
        stages.append(stage)
    value_ranges = {i: float(ranges[i]) for i in range(len(plan.nodes))}
    return Construction(stages, dict(plan.output), plan.constant, activation.name, predicted, value_ranges,
                        _smooth_identity(activation, dtype, value_ranges),
                        {"bias": bias, "order": order, "scales": sorted({round(v, 12) for v in cache.values()})})


def _shallow(plan, activation, order, eps, dtype, radius) -> Construction:
    require_smooth(activation, "the shallow strategy's smooth gates")
    poly = plan.polynomial
    n = len(poly.variables)
    terms = [(m, c) for m, c in sorted(poly.terms.items()) if m]
    stencils = {m: central_stencil(tuple(p for _, p in m)) for m, _ in terms}
    models, biases = {}, {}
    for m, _ in terms:
        key = stencils[m].exponents
        if key not in models:
            term_order = None if stencils[m].degree == 1 else order
            biases[key] = search_bias(activation, stencils[m], order=term_order, dtype=dtype, radius=1.0)
            models[key] = stencil_error_model(activation, stencils[m], biases[key], 1.0, dtype)
    sens = {i: abs(c) * radius ** monomial_degree(m) for i, (m, c) in enumerate(terms)}
    best = {i: models[stencils[m].exponents].best_error() for i, (m, _) in enumerate(terms)}
    floor = machine_epsilon(dtype) * (abs(poly.constant) + sum(sens.values()))
    allocation = allocate(sens, best, eps, floor, dtype)
    stage, output, predicted = [], {}, floor
    for i, (m, c) in enumerate(terms):
        key = stencils[m].exponents
        target = allocation.targets[i]
        scale = models[key].best_scale() if target is None else scale_for_error(models[key], target)
        value = n + i
        spec = smooth_spec(stencils[m], activation, biases[key], scale, [radius] * len(m),
                           radius ** monomial_degree(m), tuple(v for v, _ in m), value,
                           "identity" if monomial_degree(m) == 1 else "monomial")
        stage.append(spec)
        output[value] = c
        predicted += sens[i] * models[key].error(scale)
    ranges = {i: radius for i in range(n)} | {n + i: radius ** monomial_degree(m) for i, (m, _) in enumerate(terms)}
    stages = [stage] if stage else []
    return Construction(stages, output, poly.constant, activation.name, predicted, ranges,
                        _smooth_identity(activation, dtype, ranges), {"order": order, "bias": biases})


def _relu(plan, eps, dtype, radius) -> Construction:
    eps = DEFAULT_RELU_EPS if eps is None else eps
    ranges = node_ranges(plan, radius)
    sens = sensitivities(plan, ranges)
    total = float(sum(sens[g] for g in plan.gates))
    floor = output_rounding(plan, ranges, dtype) + 16 * machine_epsilon(dtype) * total
    if plan.gates and eps <= 2 * floor:
        raise PrecisionError(f"eps = {eps:g} is out of reach for ReLU gates in {dtype_name(dtype)} "
                             f"(rounding alone is about {floor:.2g}); use float64 or a larger eps.")
    m = 1 if not plan.gates else max(1, math.ceil((math.log2(total / (eps - floor)) - 2) / 2))
    stages = []
    for level in plan.levels():
        stages.append([relu_spec(plan.nodes[g].kind, m, [ranges[j] for j in plan.nodes[g].inputs],
                                 plan.nodes[g].inputs, g) for g in level])
    predicted = floor + total * 2.0 ** (-2 * m - 2)
    value_ranges = {i: float(ranges[i]) for i in range(len(plan.nodes))}
    return Construction(stages, dict(plan.output), plan.constant, "relu", predicted, value_ranges,
                        relu_identity_spec, {"square_depth": m})


def gate_kinds(construction: Construction) -> dict[str, int]:
    counts: dict[str, int] = {}
    for stage in construction.stages:
        for spec in stage:
            counts[spec.kind] = counts.get(spec.kind, 0) + 1
    return counts


# --- bits: Boolean functions as multilinear polynomials (Eqs. 12-13) ---------------------------------

DEFAULT_BITS_EPS = 1e-6
MAX_BIT_ERROR = 0.25  # per-neuron error when the budget allows more: rounding to the nearest bit stays exact


def _bits(plan: ProductPlan, eps: float | None, dtype) -> Construction:
    """prod_{i in S} x_i on {0, 1}^n is sigma(beta (sum_{i in S} x_i - |S| + 1/2)) up to sigma(-beta/2)
    (Eq. 13). With h_S the coefficients the output misses by at most sum_S |h_S| sigma(-beta/2) plus the
    rounding of the output sum, eps_mach (|h_0| + 4 sum_S |h_S|); beta is the smallest that meets eps."""
    poly = plan.polynomial
    eps = DEFAULT_BITS_EPS if eps is None else eps
    if not poly.multilinear:
        raise InvalidArgumentError("strategy='bits' compiles multilinear polynomials (every power 1: on bits "
                                   "x^2 = x); reduce the powers first, or use deepcheap.compile_boolean on the "
                                   "truth table.")
    n = len(poly.variables)
    monomials = [(m, c) for m, c in sorted(poly.terms.items()) if m]
    total = sum(abs(c) for _, c in monomials)
    rounding = machine_epsilon(dtype) * (abs(poly.constant) + 4 * total)
    if total and eps <= rounding:
        raise PrecisionError(f"eps = {eps:g} is out of reach in {dtype_name(dtype)}: rounding the output sum alone "
                             f"is about {rounding:.2g}; ask for a larger eps"
                             + (" or compile in float64." if machine_epsilon(dtype) > 1e-15 else "."))
    beta = beta_for_error(min((eps - rounding) / total, MAX_BIT_ERROR)) if total else 1.0
    stage = [GateSpec(n + i, tuple(v for v, _ in m), [(np.full((1, len(m)), beta), np.array([-beta * (len(m) - 0.5)]))],
                      np.array([1.0]), 0.0, "sigmoid", "bit-product") for i, (m, _) in enumerate(monomials)]
    output = {n + i: c for i, (_, c) in enumerate(monomials)}
    predicted = total / (1.0 + math.exp(beta / 2)) + rounding
    ranges = {i: 1.0 for i in range(n)} | {n + i: 1.0 for i in range(len(monomials))}
    return Construction([stage] if stage else [], output, poly.constant, "sigmoid", predicted, ranges,
                        _no_passthrough, {"beta": beta})


def _no_passthrough(value: int) -> GateSpec:  # pragma: no cover - one stage never carries a value past itself
    raise InvalidArgumentError("a bits network has one hidden layer and no pass-through units.")


# --- grouped: depth-k products of grouped factors (Rolnick & Tegmark 2018, Theorem 5.1) -----------------

MAX_GROUP = 12  # one group of b factors is one sign-sum gate of 2^b units (the gate library's limit)
MAX_GROUPED_FACTORS = 100_000  # the depth-1 count alone, 2^n, has n bits


def grouped_levels(n: int, groups) -> list[list[int]]:
    """Group sizes per level: level i cuts its g_(i-1) values (g_0 = n) into ceil(g_(i-1) / b_i) consecutive
    groups of b_i, the last one shorter when b_i does not divide g_(i-1); the levels must end with one value.

    >>> grouped_levels(8, (3, 3))
    [[3, 3, 2], [3]]
    """
    groups = tuple(groups)
    if not groups or any(isinstance(b, bool) or not hasattr(b, "__index__") or b < 2 for b in groups):
        raise InvalidArgumentError(f"groups must be integers >= 2 (b_1, ..., b_k); got {groups!r}.")
    groups = tuple(b.__index__() for b in groups)
    if max(groups) > MAX_GROUP:
        raise InvalidArgumentError(f"each group is one shallow gate of 2^b neurons, b <= {MAX_GROUP}; got {groups}. "
                                   "Use more levels (smaller groups).")
    n = check_int_range("n", n, 2, MAX_GROUPED_FACTORS, hint="(the depth-1 count alone, 2^n, has n bits)")
    levels, g = [], n
    for i, b in enumerate(groups):
        if g == 1:
            raise InvalidArgumentError(f"groups {groups} reach one value after {i} levels; drop the last "
                                       f"{len(groups) - i}.")
        levels.append([b] * (g // b) + ([g % b] if g % b else []))
        g = len(levels[-1])
    if g != 1:
        raise InvalidArgumentError(f"groups {groups} leave {g} values of a product of {n}; the product of the "
                                   f"group sizes must be >= n (e.g. add a level of {g}).")
    return levels


def grouped_neurons(levels: list[list[int]]) -> int:
    """sum over every group of 2^(its size): a group of one value passes through without a gate."""
    return sum(2**b for level in levels for b in level if b >= 2)


def best_grouping(n: int, depth: int) -> tuple[int, tuple[int, ...]]:
    """(fewest neurons, groups) over groupings of at most ``depth`` levels (exact integers).

    With b_i = n^(1/k) the count is O(n^((k-1)/k) 2^(n^(1/k))) (the conjectured 2^Theta(n^(1/k)));
    depth 1 is 2^n and depth ceil(log2 n) the binary tree's 4(n - 1). The search over b stops once 2^b
    alone exceeds the best count found (one full group of b already costs 2^b).

    >>> best_grouping(64, 2)
    (2176, (7, 10))
    """
    n = check_int_range("n", n, 2, MAX_GROUPED_FACTORS, hint="(the depth-1 count alone, 2^n, has n bits)")
    depth = min(check_int_range("depth", depth, 1), (n - 1).bit_length())  # more levels never help
    memo: dict[tuple[int, int], tuple[int, tuple[int, ...]]] = {}

    def best(g: int, levels: int) -> tuple[int, tuple[int, ...]]:
        if g == 1:
            return 0, ()
        if levels == 1:
            return 2**g, (g,)
        if (g, levels) not in memo:
            found = None
            for b in range(2, g + 1):
                if found is not None and 2**b >= found[0]:
                    break
                cost, rest = best(-(-g // b), levels - 1)
                option = (cost + (g // b) * 2**b + (2 ** (g % b) if g % b >= 2 else 0), (b, *rest))
                found = option if found is None else min(found, option)
            memo[(g, levels)] = found
        return memo[(g, levels)]

    return best(n, depth)


def _grouped(plan, activation, order, eps, dtype, radius, groups, depth) -> Construction:
    """One sign-sum gate per group (:func:`grouped_levels`); gates take their inputs normalised by their ranges,
    so an error e of any gate reaches the output as |c| R^n e (first order): every sensitivity is |c| R^n."""
    require_smooth(activation, "the grouped strategy's sign-sum gates")
    poly = plan.polynomial
    terms = [(m, c) for m, c in poly.terms.items() if m]
    if len(terms) != 1 or monomial_degree(terms[0][0]) < 2:
        raise InvalidArgumentError("strategy='grouped' builds one product of n >= 2 factors (e.g. library.product(n)); "
                                   f"this polynomial has {len(terms)} non-constant terms. Use strategy='deep'.")
    if (groups is None) == (depth is None):
        raise InvalidArgumentError("strategy='grouped' needs exactly one of depth=k (the grouping with the fewest "
                                   "neurons) and groups=(b_1, ..., b_k).")
    [(monomial, coefficient)] = terms
    factors = [v for v, p in monomial for _ in range(p)]
    groups = best_grouping(len(factors), depth)[1] if groups is None else tuple(groups)
    levels = grouped_levels(len(factors), groups)
    groups = tuple(int(b) for b in groups)  # validated by grouped_levels
    stencils = {b: central_stencil((1,) * b) for level in levels for b in level if b >= 2}
    bias = {b: search_bias(activation, s, order=order, dtype=dtype, radius=1.0) for b, s in stencils.items()}
    model = {b: stencil_error_model(activation, s, bias[b], 1.0, dtype) for b, s in stencils.items()}
    sizes = [b for level in levels for b in level if b >= 2]  # gate g multiplies sizes[g] values
    sensitivity = abs(coefficient) * radius ** len(factors)
    floor = machine_epsilon(dtype) * (abs(poly.constant) + sensitivity)
    allocation = allocate(dict.fromkeys(range(len(sizes)), sensitivity),
                          {g: model[b].best_error() for g, b in enumerate(sizes)}, eps, floor, dtype)
    values = [(v, radius) for v in factors]  # (value id, bound on |value|) entering the next level
    ranges, stages, predicted, gate = {i: radius for i in range(len(poly.variables))}, [], floor, 0
    for level in levels:
        stage, produced = [], []
        for b in level:
            chunk, values = values[:b], values[b:]
            if b == 1:
                produced.append(chunk[0])
                continue
            target = allocation.targets[gate]
            scale = model[b].best_scale() if target is None else scale_for_error(model[b], target)
            out_id, out_range = len(poly.variables) + gate, math.prod(r for _, r in chunk)
            stage.append(smooth_spec(stencils[b], activation, bias[b], scale, [r for _, r in chunk], out_range,
                                     tuple(v for v, _ in chunk), out_id, "product"))
            produced.append((out_id, out_range))
            ranges[out_id] = out_range
            predicted += sensitivity * model[b].error(scale)
            gate += 1
        stages.append(stage)
        values = produced
    return Construction(stages, {values[0][0]: coefficient}, poly.constant, activation.name, predicted, ranges,
                        _smooth_identity(activation, dtype, ranges),
                        {"groups": groups, "levels": levels, "order": order, "bias": bias})
