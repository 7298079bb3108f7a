"""Pass 4, gates: turn the plan into gate specifications for one strategy.

* ``deep``: the product DAG, one smooth gate per multiplication (4 neurons per product, 2 per
  square), stages = DAG levels. Corollary 1: the size does not depend on eps, only the scales do.
* ``shallow``: one hidden layer; each monomial x^r by its own stencil of prod(r_i + 1) units (a
  constant unit, when all r_i are even, is folded into the output bias). A product of n distinct
  inputs costs 2^n (Appendix A).
* ``relu``: the product DAG with Yarotsky's ReLU squares (products by polarisation); every gate
  has depth m + 1 with 2^(-2m-2) error, so depth grows like log(1/eps).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from deepcheap.activations import Activation, require_smooth
from deepcheap.compiler.accuracy import allocate, node_ranges, output_rounding, scale_for_error, sensitivities
from deepcheap.compiler.gatespec import GateSpec, relu_identity_spec, relu_spec, smooth_spec
from deepcheap.compiler.plan import ProductPlan
from deepcheap.compiler.polynomial import monomial_degree
from deepcheap.errors import InvalidArgumentError, PrecisionError
from deepcheap.precision import dtype_name, machine_epsilon, search_bias, stencil_error_model
from deepcheap.stencils import central_stencil

DEFAULT_RELU_EPS = 1e-6
STRATEGIES = ("deep", "shallow", "relu")


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
              dtype, radius: float) -> Construction:
    if strategy == "deep":
        return _deep(plan, activation, order, eps, dtype, radius)
    if strategy == "shallow":
        return _shallow(plan, activation, order, eps, dtype, radius)
    if strategy == "relu":
        return _relu(plan, eps, dtype, radius)
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


def stage_depths(construction: Construction) -> list[int]:
    return [max(spec.depth for spec in stage) for stage in construction.stages]
