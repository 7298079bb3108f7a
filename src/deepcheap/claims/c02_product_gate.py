"""C02 - Theorem 1, Eq. 11, Fig. 2 (left): a 2-4-1 network multiplies arbitrarily well.

Measured: the max error on [-1, 1]^2 of the product gate against its scale lambda, per activation
and dtype; the log-log slope in the truncation regime (2 for the paper's gate, 4 for deepcheap's
4th-order gate); the output weights (growing like lambda^-2); the floating-point floor; and the
best 2-4-1 ReLU network at each lambda (least-squares read-out), which does not improve: ReLU is
positively homogeneous, so shrinking lambda only rescales it.
"""

from __future__ import annotations

import numpy as np
import torch

from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.checks import Check
from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.errors import UnsupportedActivationError
from deepcheap.fits import loglog_slope
from deepcheap.gates import max_error, product_gate, sample_box
from deepcheap.precision import machine_epsilon

ID = "C02"
PAPER_ACTIVATIONS = ("softplus", "sigmoid", "tanh", "exp")
EXTRA_ACTIVATIONS = ("silu", "gelu")
DTYPES = ("float64", "float32")
ORDERS = (2, 4)

# Thresholds (the verdict is computed from these).
SLOPE_WINDOW = {2: (1e-3, 1e-1), 4: (1e-2, 1e-1)}  # float64 truncation-dominated windows
SLOPE_TOLERANCE = {2: 0.15, 4: 0.3}
WEIGHT_SLOPE = (-2.05, -1.95)
RELU_MIN_RATIO = 0.5  # err(smallest lambda) / err(largest lambda) above this: no convergence
ARBITRARY_ACCURACY = 1e3  # "arbitrarily well" in floating point would mean floors within 1000 eps

_SCAN = {"quick": 36, "full": 72}
_POINTS = {"quick": 4096, "full": 16384}


def trials(scale: str) -> list[Trial]:
    acts = PAPER_ACTIVATIONS + (EXTRA_ACTIVATIONS if scale == "full" else ())
    out = [
        Trial(ID, f"{act}-{dtype}-order{order}",
              {"kind": "smooth", "activation": act, "dtype": dtype, "order": order,
               "scan": _SCAN[scale], "points": _POINTS[scale]})
        for act in acts for dtype in DTYPES for order in ORDERS
    ]
    out += [Trial(ID, f"relu-{dtype}", {"kind": "relu", "dtype": dtype, "scan": _SCAN[scale],
                                        "points": _POINTS[scale]}) for dtype in DTYPES]
    return out


def _lambdas(dtype: str, n: int) -> np.ndarray:
    lo = -6.0 if dtype == "float64" else -3.5
    return np.logspace(lo, np.log10(0.5), n)


def run_trial(params: dict, seed: int) -> dict:
    if params["kind"] == "relu":
        return _relu_trial(params)
    act, dtype, order = params["activation"], params["dtype"], params["order"]
    try:
        auto = product_gate(act, order, dtype)
    except UnsupportedActivationError as err:
        return {"supported": False, "reason": str(err)}
    lambdas = _lambdas(dtype, params["scan"])
    errors, weights = [], []
    for lam in lambdas:
        gate = product_gate(act, order, dtype, scale=float(lam), bias=auto.bias)
        errors.append(max_error(gate, points=params["points"]))
        weights.append(gate.output_weight)
    return {
        "supported": True,
        "bias": auto.bias,
        "auto_scale": auto.scale,
        "auto_error": max_error(auto, points=params["points"]),
        "predicted_error": auto.predicted_error(),
        "neurons": auto.neurons,
        "lambdas": lambdas.tolist(),
        "errors": errors,
        "output_weights": weights,
    }


def _relu_trial(params: dict) -> dict:
    """Best least-squares read-out of relu(lambda W x) for the 2-4-1 sign pattern, per lambda."""
    dtype = getattr(torch, params["dtype"])
    x = sample_box((-1, 1), 2, params["points"], dtype=torch.float64)
    target = (x[:, 0] * x[:, 1]).numpy()
    signs = torch.tensor([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]], dtype=torch.float64)
    errors = []
    lambdas = _lambdas(params["dtype"], params["scan"])
    for lam in lambdas:
        hidden = torch.relu((x @ (lam * signs).T).to(dtype)).to(torch.float64).numpy()
        design = np.hstack([hidden, np.ones((len(x), 1))])
        coef, *_ = np.linalg.lstsq(design, target, rcond=None)
        errors.append(float(np.abs(design @ coef - target).max()))
    return {"lambdas": lambdas.tolist(), "errors": errors}


def summarize(records: list[dict], scale: str) -> Summary:
    by = {(r["params"].get("activation", "relu"), r["params"]["dtype"], r["params"].get("order", 0)): r["result"]
          for r in records}
    acts = [a for a in PAPER_ACTIVATIONS + EXTRA_ACTIVATIONS if (a, "float64", 2) in by]
    checks, rows, metrics = [], [], {"activations": {}}
    for act in acts:
        per = metrics["activations"].setdefault(act, {})
        for dtype in DTYPES:
            for order in ORDERS:
                res = by[(act, dtype, order)]
                key = f"{dtype}_order{order}"
                if not res["supported"]:
                    per[key] = {"supported": False, "reason": res["reason"]}
                    rows.append([act, dtype, order, "-", "-", "-", "-", "-", "unsupported"])
                    continue
                window = SLOPE_WINDOW[order] if dtype == "float64" else (None, None)
                slope = loglog_slope(res["lambdas"], res["errors"], *window) if dtype == "float64" else None
                floor = min(res["errors"])
                per[key] = {"bias": res["bias"], "auto_scale": res["auto_scale"], "auto_error": res["auto_error"],
                            "predicted_error": res["predicted_error"], "floor": floor, "slope": slope,
                            "auto_over_floor": res["auto_error"] / floor}
                rows.append([act, dtype, order, round(res["bias"], 4), f"{res['auto_scale']:.3g}",
                             f"{res['predicted_error']:.2g}", f"{res['auto_error']:.2g}", f"{floor:.2g}",
                             "-" if slope is None else f"{slope:.3f}"])
        if act in PAPER_ACTIVATIONS:
            checks.append(Check(f"{act}: error slope in lambda (order 2, float64)", per["float64_order2"]["slope"],
                                2 - SLOPE_TOLERANCE[2], 2 + SLOPE_TOLERANCE[2]))

    soft = by[("softplus", "float64", 2)]
    weight_slope = loglog_slope(soft["lambdas"], soft["output_weights"])
    checks.append(Check("softplus: output-weight slope in lambda", weight_slope, *WEIGHT_SLOPE,
                        detail="output weights should grow like lambda^-2"))
    relu = by[("relu", "float64", 0)]
    relu_ratio = relu["errors"][0] / relu["errors"][-1]
    checks.append(Check("relu: error(smallest lambda) / error(largest lambda)", relu_ratio, low=RELU_MIN_RATIO,
                        detail="ReLU's best 2-4-1 read-out should not improve as lambda -> 0"))
    eps64 = machine_epsilon("float64")
    floor64 = min(metrics["activations"][a]["float64_order2"]["floor"] for a in PAPER_ACTIVATIONS)
    floor32 = min(metrics["activations"][a]["float32_order2"]["floor"] for a in PAPER_ACTIVATIONS)
    best_weight = soft["output_weights"][int(np.argmin(soft["errors"]))]
    checks.append(Check(
        "best float64 error of the paper's gate / eps", floor64 / eps64, high=ARBITRARY_ACCURACY, role="caveat",
        detail=(f"'arbitrarily well' holds only in exact arithmetic: the best float64 error is {floor64:.2g} "
                f"({floor64 / eps64 ** 0.5:.2g} sqrt(eps)), float32 {floor32:.2g}; reaching it takes read-out "
                f"weights of {best_weight:.2g}, growing like lambda^-2"),
    ))
    exponent = float(np.log(floor32 / floor64) / np.log(machine_epsilon("float32") / eps64))
    order4 = {a: metrics["activations"][a]["float64_order4"] for a in acts
              if metrics["activations"][a]["float64_order4"].get("supported", True)}
    metrics.update({
        "weight_slope": weight_slope, "relu_error_ratio": relu_ratio, "relu_errors": relu["errors"],
        "floor_float64": floor64, "floor_float32": floor32, "floor_exponent_in_eps": exponent,
        "order4_floor_float64": min(v["floor"] for v in order4.values()),
        "order4_slopes": {a: v["slope"] for a, v in order4.items()},
        "auto_over_floor_max": max(v[k]["auto_over_floor"] for v in metrics["activations"].values()
                                   for k in v if v[k].get("supported", True)),
    })
    soft_slope = metrics["activations"]["softplus"]["float64_order2"]["slope"]
    headline = (f"slope {soft_slope:.2f} (softplus); floors {floor64:.1g} float64, {floor32:.1g} float32; "
                f"order-4 gate {metrics['order4_floor_float64']:.1g}")
    return Summary(
        checks=checks, metrics=metrics, headline=headline,
        figures=_figures(by, acts), tables=[Table(
            "Product gate per activation, dtype and order (auto = deepcheap's chosen scale)",
            ["activation", "dtype", "order", "bias", "auto lambda", "predicted", "measured (auto)",
             "best in scan", "slope"], rows)],
        notes=[
            f"Max |error| on [-1, 1]^2 over {records[0]['params']['points']} points; {records[0]['params']['scan']} "
            "scales per curve. The order-4 gate (beyond the paper) keeps 4 neurons and puts the bias at a zero of "
            "sigma'''' so the lambda^2 term vanishes.",
            f"Floors scale like eps^{exponent:.2f} between float32 and float64 (the error model predicts eps^0.5 for "
            "order 2: truncation lambda^2 against rounding eps / lambda^2).",
        ],
    )


def _figures(by: dict, acts: list[str]) -> list[FigureSpec]:
    colors = dict(zip(PAPER_ACTIVATIONS + EXTRA_ACTIVATIONS,
                      ["C0", "C1", "C2", "C3", "C4", "C5"], strict=True))
    panels = []
    for dtype in DTYPES:
        panel = Panel(f"Product gate error, {dtype}", "scale lambda", "max |error| on [-1,1]^2",
                      xscale="log", yscale="log")
        for act in acts:
            for order in ORDERS:
                res = by[(act, dtype, order)]
                if res["supported"]:
                    panel.series.append(Series(f"{act}, order {order}", res["lambdas"], res["errors"],
                                               style={"color": colors[act], "linestyle": "-" if order == 2 else "--"}))
        relu = by[("relu", dtype, 0)]
        panel.series.append(Series("relu (best read-out)", relu["lambdas"], relu["errors"],
                                   style={"color": "k", "linestyle": ":"}))
        chosen = [by[(act, dtype, order)] for act in acts for order in ORDERS if by[(act, dtype, order)]["supported"]]
        panel.series.append(Series("deepcheap's automatic scale", [r["auto_scale"] for r in chosen],
                                   [r["auto_error"] for r in chosen], kind="scatter",
                                   style={"color": "k", "marker": "x", "s": 30, "zorder": 5}))
        panels.append(panel)
    weights = Panel("Read-out weights grow like lambda^-2 (float64, order 2)", "scale lambda", "max |output weight|",
                    xscale="log", yscale="log")
    for act in acts:
        res = by[(act, "float64", 2)]
        weights.series.append(Series(act, res["lambdas"], res["output_weights"], style={"color": colors[act]}))
    return [
        FigureSpec("error_vs_lambda",
                   "Error of the 2-4-1 product gate against its scale: slope 2 (paper's gate, solid) and 4 "
                   "(deepcheap's order-4 gate, dashed) until rounding takes over; ReLU never improves. "
                   "Black crosses: the scale deepcheap chooses by itself.",
                   panels, columns=2),
        FigureSpec("weights_vs_lambda", "The price of accuracy is weight size: read-out weights ~ lambda^-2.",
                   [weights], columns=1),
    ]


CLAIM = Claim(
    id=ID,
    title="A 2-4-1 network multiplies arbitrarily well",
    section="II B, Theorem 1, Eq. 11, Fig. 2 left",
    statement=("f = A2 sigma A1 with 2 inputs, 4 hidden neurons and 1 output approximates u*v arbitrarily well "
               "for any smooth sigma with sigma''(b) != 0 (A1 -> lambda A1, A2 -> lambda^-2 A2, lambda -> 0)."),
    quick=None,  # TODO(issue 15): Config
    full=None,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
