"""C02 - Theorem 1, Eq. 11, Fig. 2 (left): a 2-4-1 network multiplies arbitrarily well.

Measured: the max error on a grid of [-1, 1]^2 of the product gate against its scale lambda, per
activation, dtype and order (2: the paper's gate; 4: deepcheap's, bias at a zero of sigma'''');
the same gate evaluated in mpmath at 50 digits, where "arbitrarily well" can be followed without
float's floor; and the floor itself (the best error of a scan) in float32, float64 and mpmath at 30
and 50 digits, whose exponent in eps the error model predicts (:func:`deepcheap.precision.floor_exponent`).

Roles. Measurements of the claim: the error's slope in lambda (float64, each paper activation) and, the
headline, in 50-digit arithmetic down to below 1e-20. The lambda^2 law is Taylor's theorem applied to
the paper's construction, so these test the statement only in the sense that its network could have
failed to converge (a wrong sign pattern, normalisation or bias leaves an O(1) error that does not fall);
that is the only kind of evidence a theorem admits, and the 50-digit run is the direct test of
"arbitrarily well". Caveat measurements: the floor exponents (1/2 and 2/3 predicted); they measure the
limitation of "arbitrarily well" in finite precision. Construction: read-out weights ~ lambda^-2 (the
builder's formula). Identity: the best 2-4-1 ReLU read-out's error does not change with lambda
(relu(lambda z) = lambda relu(z)): a contrast, not evidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from deepcheap.activations import get_activation
from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.checks import Check, farthest_from
from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.errors import UnsupportedActivationError
from deepcheap.fits import loglog_slope
from deepcheap.gates import (
    best_relu_product_errors,
    error_curve,
    error_floor,
    fitted_floor_exponent,
    max_error,
    product_gate,
)
from deepcheap.precision import best_bias, floor_exponent
from deepcheap.stencils import central_stencil

ID = "C02"
PAPER_ACTIVATIONS = ("softplus", "sigmoid", "tanh", "exp")
EXTRA_ACTIVATIONS = ("silu", "gelu")
PRODUCT = central_stencil((1, 1))

# Predictions and tolerances, written before the run (the verdict is computed from these).
SLOPE = 2.0  # the paper's gate: error ~ lambda^2 (Taylor: the sigma'''' term of Eq. 11)
SLOPE_WINDOW = {2: (1e-3, 1e-1), 4: (1e-2, 1e-1)}  # float64 truncation-dominated windows
SLOPE_TOLERANCE = 0.15  # float64: the lambda^4 term bends the curve near 0.1, rounding near 1e-3
EXACT_SLOPE_WINDOW = (1e-11, 1e-2)  # 50 digits: rounding (~1e-50 / lambda^2) stays 1e-8 below truncation here
EXACT_SLOPE_TOLERANCE = 0.05  # the lambda^4 correction moves the slope by < 1e-3 over this window
EXACT_ERROR = 1e-20  # "arbitrarily well": the 50-digit error must fall at least this far
# Floors are minima of a scan with ~4 scales per decade (each within ~20% of the true minimum) and are a
# few units in the last place times the read-out weight (a factor up to ~2 between arithmetics); over
# eps from 1e-7 to 1e-51 that moves the fitted exponent by a few hundredths. 0.1 still tells order 2
# (1/2) from order 4 (2/3).
FLOOR_EXPONENT_TOLERANCE = 0.1
WEIGHT_SLOPE = (-2.05, -1.95)  # construction: a_m = w_m / (c_2 lambda^2 4)
RELU_CHANGE = 1e-6  # identity: positive homogeneity (a least-squares fit, so not to the last bit)


@dataclass(frozen=True)
class Config:
    activations: tuple[str, ...] = PAPER_ACTIVATIONS  # float curves (figure, table, slope checks)
    dtypes: tuple[str, ...] = ("float64", "float32")
    orders: tuple[int, ...] = (2, 4)
    scan: int = 36  # scales per float curve
    min_scales: tuple[tuple[str, float], ...] = (("float64", 1e-6), ("float32", 10**-3.5))
    max_scale: float = 0.5
    points: int = 4096  # grid of [-1, 1]^2 for the float curves (64 x 64)
    floor_activations: tuple[str, ...] = PAPER_ACTIVATIONS
    floor_arithmetics: tuple[str, ...] = ("float32", "float64", "mp30", "mp50")
    floor_points: int = 289  # 17 x 17 grid: binary fractions, corners included
    floor_decades: float = 1.5  # scan +- this around the error model's optimum
    floor_scales: int = 13
    exact_activation: str = "softplus"  # "arbitrarily well" in mpmath
    exact_digits: int = 50
    exact_min_scale: float = 1e-12
    exact_scales: int = 24
    exact_points: int = 289


QUICK = Config()
FULL = Config(activations=PAPER_ACTIVATIONS + EXTRA_ACTIVATIONS, scan=72, points=16384,
              floor_activations=PAPER_ACTIVATIONS + EXTRA_ACTIVATIONS, floor_points=1089, floor_scales=25,
              exact_scales=48, exact_points=1089)


def trials(config: Config) -> list[Trial]:
    min_scale = dict(config.min_scales)
    out = [Trial(ID, f"{act}-{dtype}-order{order}",
                 {"kind": "curve", "activation": act, "dtype": dtype, "order": order, "scan": config.scan,
                  "min_scale": min_scale[dtype], "max_scale": config.max_scale, "points": config.points})
           for act in config.activations for dtype in config.dtypes for order in config.orders]
    out += [Trial(ID, f"relu-{dtype}", {"kind": "relu", "dtype": dtype, "scan": config.scan,
                                        "min_scale": min_scale[dtype], "max_scale": config.max_scale,
                                        "points": config.points}) for dtype in config.dtypes]
    out += [Trial(ID, f"floor-{act}-order{order}",
                  {"kind": "floor", "activation": act, "order": order, "arithmetics": list(config.floor_arithmetics),
                   "points": config.floor_points, "decades": config.floor_decades, "count": config.floor_scales})
            for act in config.floor_activations for order in config.orders]
    out.append(Trial(ID, f"exact-{config.exact_activation}-mp{config.exact_digits}",
                     {"kind": "exact", "activation": config.exact_activation, "digits": config.exact_digits,
                      "min_scale": config.exact_min_scale, "max_scale": config.max_scale,
                      "count": config.exact_scales, "points": config.exact_points}))
    return out


def _scales(params: dict, count: int) -> list[float]:
    return np.logspace(math.log10(params["min_scale"]), math.log10(params["max_scale"]), count).tolist()


def run_trial(params: dict, seed: int) -> dict:
    kind = params["kind"]
    if kind == "relu":
        scales = _scales(params, params["scan"])
        return {"scales": scales, "errors": best_relu_product_errors(scales, params["points"], params["dtype"])}
    act = get_activation(params["activation"])
    if kind == "exact":
        curve = error_curve(PRODUCT, act, best_bias(act, 2), _scales(params, params["count"]),
                            f"mp{params['digits']}", order=2, points=params["points"])
        return curve.to_dict()
    try:  # the float64 gate's bias (floors: in every arithmetic, so that only eps changes)
        bias = best_bias(act, params["order"]) if kind == "floor" else None
        auto = product_gate(act, params["order"], params["dtype"]) if kind == "curve" else None
    except UnsupportedActivationError as err:
        return {"supported": False, "reason": str(err)}
    if kind == "floor":
        curves = [error_floor(PRODUCT, act, bias, a, order=params["order"], points=params["points"],
                              decades=params["decades"], count=params["count"]) for a in params["arithmetics"]]
        return {"supported": True, "bias": bias, "exponent": fitted_floor_exponent(curves),
                "curves": [c.to_dict() | {"floor": c.floor, "bracketed": c.bracketed} for c in curves]}
    curve = error_curve(PRODUCT, act, auto.bias, _scales(params, params["scan"]), params["dtype"],
                        order=params["order"], points=params["points"])
    return {"supported": True, "bias": auto.bias, "auto_scale": auto.scale,
            "auto_error": max_error(auto, points=params["points"]), "predicted_error": auto.predicted_error(),
            "neurons": auto.neurons, "lambdas": list(curve.scales), "errors": list(curve.errors),
            "output_weights": list(curve.output_weights)}


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def summarize(records: list[dict], config: Config) -> Summary:
    res = {r["trial"]: r["result"] for r in records}
    curves = {(a, d, o): res[f"{a}-{d}-order{o}"]  # in the configuration's order
              for a in config.activations for d in config.dtypes for o in config.orders}
    floors = {(a, o): res[f"floor-{a}-order{o}"] for a in config.floor_activations for o in config.orders}
    exact = res[f"exact-{config.exact_activation}-mp{config.exact_digits}"]
    relu = {dtype: res[f"relu-{dtype}"] for dtype in config.dtypes}

    rows, slopes, unsupported = [], {}, []
    for (act, dtype, order), r in curves.items():
        if not r["supported"]:
            unsupported.append(f"{act} order {order} ({dtype})")
            continue
        slope = _finite(loglog_slope(r["lambdas"], r["errors"], *SLOPE_WINDOW[order])) if dtype == "float64" else None
        slopes[(act, dtype, order)] = slope
        rows.append([act, dtype, order, r["bias"], r["auto_scale"], r["predicted_error"], r["auto_error"],
                     min(r["errors"]), slope])
    checks = [Check.measurement(f"{act}: error slope in lambda (paper's gate, float64)", slopes[(act, "float64", 2)],
                                predicted=SLOPE, low=SLOPE - SLOPE_TOLERANCE, high=SLOPE + SLOPE_TOLERANCE)
              for act in config.activations if act in PAPER_ACTIVATIONS and (act, "float64", 2) in slopes]

    exact_slope = _finite(loglog_slope(exact["scales"], exact["errors"], *EXACT_SLOPE_WINDOW))
    exact_best = min(exact["errors"])
    checks += [
        Check.measurement(f"error slope in lambda at {config.exact_digits} digits ({config.exact_activation}, "
                          "paper's gate)", exact_slope, predicted=SLOPE, low=SLOPE - EXACT_SLOPE_TOLERANCE,
                          high=SLOPE + EXACT_SLOPE_TOLERANCE, headline=True,
                          detail=f"without float's floor the error must keep falling like lambda^2 "
                                 f"(fitted over lambda in {EXACT_SLOPE_WINDOW})"),
        Check.measurement(f"smallest max error at {config.exact_digits} digits", exact_best, predicted=None,
                          high=EXACT_ERROR, detail=f"'arbitrarily well' tested directly: the error must fall "
                                                   f"below {EXACT_ERROR:g}"),
    ]
    floor_rows, exponents = [], {order: [] for order in config.orders}
    for (act, order), r in floors.items():
        if not r["supported"]:
            continue
        exponents[order].append(r["exponent"])
        floor_rows.append([act, order, *[c["floor"] for c in r["curves"]], r["exponent"], floor_exponent(order)])
    for order in config.orders:
        predicted = floor_exponent(order)
        worst = farthest_from(exponents[order], predicted)
        label = "paper's gate" if order == 2 else f"order-{order} gate"
        checks.append(Check.measurement(
            f"floor exponent in eps, {label} (worst activation)", worst, predicted=predicted,
            low=predicted - FLOOR_EXPONENT_TOLERANCE, high=predicted + FLOOR_EXPONENT_TOLERANCE, caveat=True,
            detail=(f"in arithmetic of precision eps the best error of the {label} scales like eps^"
                    f"{'?' if worst is None else f'{worst:.3f}'} (predicted eps^{predicted:.3g}: truncation "
                    f"lambda^{order} against rounding eps/lambda^2; ? = a floor its scan did not bracket)")))

    soft = curves.get(("softplus", "float64", 2))
    weight_slope = _finite(loglog_slope(soft["lambdas"], soft["output_weights"])) if soft else None
    relu_change = abs(relu["float64"]["errors"][0] / relu["float64"]["errors"][-1] - 1) if "float64" in relu else None
    checks += [
        Check.construction("softplus: read-out weight slope in lambda", weight_slope, low=WEIGHT_SLOPE[0],
                           high=WEIGHT_SLOPE[1], detail="a_m = w_m / (c_2 lambda^2 4) by construction"),
        Check.identity("relu: |best read-out error at the smallest / at the largest lambda - 1| (float64)",
                       relu_change, high=RELU_CHANGE,
                       detail="0: relu(lambda z) = lambda relu(z), so shrinking lambda only rescales the hidden layer"),
    ]
    metrics = {
        "slopes_float64": {f"{a}_order{o}": s for (a, d, o), s in slopes.items() if d == "float64"},
        "exact_slope": exact_slope, "exact_best_error": exact_best, "exact_digits": config.exact_digits,
        "floor_exponents": {str(o): {a: r["exponent"] for (a, oo), r in floors.items() if oo == o and r["supported"]}
                            for o in config.orders},
        "floor_exponent_predicted": {str(o): floor_exponent(o) for o in config.orders},
        "floors": {f"{a}_order{o}": {c["arithmetic"]: c["floor"] for c in r["curves"]}
                   for (a, o), r in floors.items() if r["supported"]},
        "eps": {c["arithmetic"]: c["eps"] for r in floors.values() if r["supported"] for c in r["curves"]},
        "weight_slope": weight_slope, "relu_error_ratio_change": relu_change,
        "auto_over_best_max": max((r["auto_error"] / min(r["errors"]) for r in curves.values() if r["supported"]),
                                  default=None),
        "unsupported": unsupported,
    }
    e2 = farthest_from(exponents.get(2, []), floor_exponent(2))
    headline = (f"error ~ lambda^{exact_slope:.2f} at {config.exact_digits} digits, down to {exact_best:.1g}; "
                f"float floors ~ eps^{e2:.2f} (predicted 1/2)" if exact_slope is not None and e2 is not None
                else "the product gate's error curves (a measurement is missing: see the checks)")
    eps_labels = [f"floor {a} (eps {metrics['eps'].get(a, math.nan):.1e})" for a in config.floor_arithmetics]
    return Summary(
        checks=checks, metrics=metrics, headline=headline, figures=_figures(curves, relu, exact, floors, config),
        tables=[Table("Product gate per activation, dtype and order (auto = deepcheap's chosen scale)",
                      ["activation", "dtype", "order", "bias", "auto lambda", "predicted error", "measured (auto)",
                       "best in scan", "slope in lambda"], rows,
                      formats=["", "", "d", ".4f", ".3g", ".2g", ".2g", ".2g", ".3f"]),
                Table("The same gate's floor (best error of a scan) in each arithmetic, and its exponent in eps",
                      ["activation", "order", *eps_labels, "fitted exponent", "predicted"], floor_rows,
                      formats=["", "d", *[".2g"] * len(eps_labels), ".3f", ".3f"])],
        notes=[
            f"Float curves: max |error| on a {config.points}-point grid of [-1, 1]^2, {config.scan} scales each. "
            f"Floors and the {config.exact_digits}-digit curve: a {config.floor_points}-point grid, the float64 "
            "gate's bias, weights computed at the working precision (mpmath), inputs taken exactly. The order-4 "
            "gate (beyond the paper) keeps 4 neurons and puts the bias at a zero of sigma'''' so the lambda^2 "
            "term vanishes; in mpmath that zero is refined to 50 digits.",
            "In precision eps, 'arbitrarily well' stops at a floor ~ eps^(p/(p+2)) (truncation lambda^p against "
            "rounding eps/lambda^2): about sqrt(eps) for the paper's gate. The floor exponents above measure that "
            "limitation; the 50-digit curve shows the statement itself.",
        ] + ([f"Unsupported (no usable bias): {', '.join(unsupported)}."] if unsupported else []),
    )


def _figures(curves: dict, relu: dict, exact: dict, floors: dict, config: Config) -> list[FigureSpec]:
    colors = dict(zip(PAPER_ACTIVATIONS + EXTRA_ACTIVATIONS, ["C0", "C1", "C2", "C3", "C4", "C5"], strict=True))
    panels = []
    for dtype in config.dtypes:
        panel = Panel(f"Product gate error, {dtype}", "scale lambda", "max |error| on [-1,1]^2",
                      xscale="log", yscale="log")
        chosen = []
        for (act, d, order), r in curves.items():
            if d == dtype and r["supported"]:
                panel.series.append(Series(f"{act}, order {order}", r["lambdas"], r["errors"],
                                           style={"color": colors[act], "linestyle": "-" if order == 2 else "--"}))
                chosen.append(r)
        panel.series.append(Series("relu (best read-out)", relu[dtype]["scales"], relu[dtype]["errors"],
                                   style={"color": "k", "linestyle": ":"}))
        panel.series.append(Series("deepcheap's automatic scale", [r["auto_scale"] for r in chosen],
                                   [r["auto_error"] for r in chosen], kind="scatter",
                                   style={"color": "k", "marker": "x", "s": 30, "zorder": 5}))
        panels.append(panel)
    weights = Panel("Read-out weights grow like lambda^-2 (float64, order 2)", "scale lambda", "max |output weight|",
                    xscale="log", yscale="log",
                    series=[Series(act, r["lambdas"], r["output_weights"], style={"color": colors[act]})
                            for (act, d, o), r in curves.items() if d == "float64" and o == 2 and r["supported"]])
    exact_panel = Panel(f"The paper's gate at {config.exact_digits} digits ({config.exact_activation})",
                        "scale lambda", "max |error|", xscale="log", yscale="log",
                        series=[Series("measured", exact["scales"], exact["errors"], style={"marker": "o"}),
                                Series("lambda^2 through the largest lambda", exact["scales"],
                                       [exact["errors"][-1] * (s / exact["scales"][-1]) ** 2 for s in exact["scales"]],
                                       style={"color": "k", "linestyle": ":"})],
                        hlines=[(EXACT_ERROR, f"{EXACT_ERROR:g}")])
    floor_panel = Panel("Floors against eps (float32, float64, mpmath 30 and 50 digits)", "eps", "best max |error|",
                        xscale="log", yscale="log")
    for (act, order), r in floors.items():
        if r["supported"]:
            eps, floor = [c["eps"] for c in r["curves"]], [c["floor"] for c in r["curves"]]
            floor_panel.series.append(Series(f"{act}, order {order}", eps, floor, kind="scatter",
                                             style={"color": colors[act], "marker": "o" if order == 2 else "s"}))
    for order in config.orders:  # the prediction, through the first activation's largest-eps floor
        first = next((r for (a, o), r in floors.items() if o == order and r["supported"]), None)
        if first:
            eps, top = [c["eps"] for c in first["curves"]], first["curves"][0]
            floor_panel.series.append(Series(
                f"eps^{floor_exponent(order):.3g} (predicted, order {order})", eps,
                [top["floor"] * (e / top["eps"]) ** floor_exponent(order) for e in eps],
                style={"color": "k", "linestyle": ":" if order == 2 else "--"}))
    return [
        FigureSpec("error_vs_lambda",
                   "Error of the 2-4-1 product gate against its scale: slope 2 (paper's gate, solid) and 4 "
                   "(deepcheap's order-4 gate, dashed) until rounding takes over; ReLU never improves. "
                   "Black crosses: the scale deepcheap chooses by itself.", panels, columns=2),
        FigureSpec("arbitrarily_well", "Without float's floor: the same gate in 50-digit arithmetic keeps "
                   "falling like lambda^2; the floors of each arithmetic scale like eps^(1/2) (order 2) and "
                   "eps^(2/3) (order 4).", [exact_panel, floor_panel], columns=2),
        FigureSpec("weights_vs_lambda", "The price of accuracy is weight size: read-out weights ~ lambda^-2.",
                   [weights], columns=1),
    ]


CLAIM = Claim(
    id=ID,
    title="A 2-4-1 network multiplies arbitrarily well",
    section="II B, Theorem 1, Eq. 11, Fig. 2 left",
    statement=("f = A2 sigma A1 with 2 inputs, 4 hidden neurons and 1 output approximates u*v arbitrarily well "
               "for any smooth sigma with sigma''(b) != 0 (A1 -> lambda A1, A2 -> lambda^-2 A2, lambda -> 0)."),
    quick=QUICK,
    full=FULL,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
