"""C04 - Corollary 1: any polynomial is a network of fixed size, about 4 neurons per multiplication.

Measured: a suite of polynomials (products, powers, Ising chains and lattices, lattice phi^4, a random
sparse polynomial) compiled at eps = 1e-2 ... 1e-8 with the paper's order-2 product gates and with
deepcheap's default order-4 gates (bias at a zero of sigma''''), plus each at eps = None (every gate at
its best scale: the best the float64 network does). Errors are measured on 4096 points of [-1, 1]^n
(corners included) against the exact polynomial. For contrast, ReLU networks (Yarotsky) pay for accuracy
with depth and neurons.

Roles. The neuron count does not move with eps and is 4 per product (2 per square) by the compiler's
design: construction; so is the strict MLP's count (gates plus the pass-throughs its layout adds: the
paper's "slightly larger than 4"). The measured error against eps is a measurement: the compiler picks
each gate's scale from a worst-case error model, but the error is measured on the built float64
network, independently of that model, and it could exceed eps (second-order propagation, rounding the
model misjudges, a Taylor remainder beyond the terms kept); it is the corollary's content at each eps
tried (the headline). The error model is tight at the corners of the box, so the measured error sits
at the compiler's safety factor, 0.5 eps: the model is exact there, not slack. Caveat measurements: the
weight-growth exponent (fixed size in neurons, not in weights), measured as the largest weight against
the *measured* error, so that it tests the gates' truncation order in the whole network rather than
repeat the model's choice (against the requested eps it would restate how the compiler picks scales;
that fit is shown too). Not a check: the eps the compiler refuses (its model's decision, not a
measurement) and the best float64 error (eps = None); the float floor they reflect is measured in C02,
and a check that the paper's order-2 gates reach 1e-8 in float64 would be bound to fail (their floor is
~1e-8 per gate).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import deepcheap
from deepcheap import library
from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.checks import Check, farthest_from
from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.errors import PrecisionError
from deepcheap.fits import loglog_slope
from deepcheap.precision import weight_exponent

ID = "C04"
SUITE = (  # label, deepcheap.library builder, its positional and keyword arguments (a fixed polynomial)
    ("product of 4", "product", (4,), ()),
    ("product of 8", "product", (8,), ()),
    ("x^7", "power", (7,), ()),
    ("Ising chain, L = 8", "ising_1d", (8,), ()),
    ("Ising 2D, 4 x 4", "ising_2d", (4,), ()),
    ("phi^4 chain, L = 6", "phi4", (6,), ()),
    ("random sparse (n=5, 8 terms, deg 4)", "random_sparse_polynomial", (5, 8, 4), (("seed", 11),)),
)
FULL_EXTRA = (
    ("Ising 2D, 8 x 8", "ising_2d", (8,), ()),
    ("phi^4 2D, 4 x 4", "phi4", (4,), (("dims", 2),)),
    ("random sparse (n=8, 16 terms, deg 4)", "random_sparse_polynomial", (8, 16, 4), (("seed", 12),)),
)

# Predictions and tolerances, written before the run (the verdict is computed from these).
MAX_ERROR_OVER_EPS = 1.0  # "approximating it better than eps"
NEURONS_PER_MULTIPLICATION_DAG = 4.0  # construction: 4 per product gate, 2 per square
MLP_PER_MULTIPLICATION = (3.0, 6.0)  # construction: "a factor typically slightly larger than 4", median
# Weights ~ error^(-2/order) (deepcheap.precision.weight_exponent). The fit spans 5-6 decades of error;
# the lambda^(order+2) term bends it near eps = 1e-2 and rounding shares the error near the smallest eps,
# each moving the slope by a few hundredths; 0.1 keeps -1 (order 2) and -1/2 (order 4) well apart.
WEIGHT_EXPONENT_TOLERANCE = 0.1
MIN_FIT_POINTS = 3  # distinct measured errors needed for a weight-exponent fit


@dataclass(frozen=True)
class Config:
    polynomials: tuple[tuple[str, str, tuple, tuple], ...] = SUITE
    orders: tuple[int, ...] = (2, 4)  # the paper's gate and deepcheap's default
    activation: str = "softplus"
    eps_deep: tuple[float, ...] = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8)
    eps_relu: tuple[float, ...] = (1e-2, 1e-4, 1e-6)
    points: int = 4096  # inputs of each error measurement


QUICK = Config()
FULL = Config(polynomials=SUITE + FULL_EXTRA, eps_relu=(1e-2, 1e-3, 1e-4, 1e-5, 1e-6))


def _polynomial(spec: tuple) -> dict:
    label, builder, args, kwargs = spec
    return {"label": label, "builder": builder, "args": list(args), "kwargs": dict(kwargs)}


def trials(config: Config) -> list[Trial]:
    out = []
    for spec in config.polynomials:
        poly = _polynomial(spec)
        out += [Trial(ID, f"{poly['label']}|deep|order{order}",
                      {"kind": "deep", "polynomial": poly, "order": order, "activation": config.activation,
                       "eps": list(config.eps_deep), "points": config.points}) for order in config.orders]
        out.append(Trial(ID, f"{poly['label']}|relu", {"kind": "relu", "polynomial": poly,
                                                        "eps": list(config.eps_relu), "points": config.points}))
    return out


def run_trial(params: dict, seed: int) -> dict:
    """Every eps of the trial on one polynomial; errors measured on the same points (one seed) for all."""
    poly = params["polynomial"]
    expr = getattr(library, poly["builder"])(*poly["args"], **poly["kwargs"])
    deep = params["kind"] == "deep"
    options = {"order": params["order"], "activation": params["activation"]} if deep else {}
    out, first = [], None
    for eps in params["eps"] + ([None] if deep else []):  # None: every gate at its best scale
        try:
            net = deepcheap.compile(expr, strategy=params["kind"], eps=eps, **options)
        except PrecisionError as err:
            out.append({"eps": eps, "reached": False, "reason": str(err)})
            continue
        first = first or net
        out.append({"eps": eps, "reached": True, "neurons": net.neurons, "depth": net.depth,
                    "predicted_error": net.predicted_error, "max_weight": net.max_weight,
                    "max_error": net.measure_error(points=params["points"], seed=seed % 2**31)})
    sizes = {"terms": len(first.polynomial), "multiplications": first.multiplications,
             "mlp_neurons": first.mlp_gate_neurons + first.mlp_passthrough_neurons} if deep and first else {}
    return {"networks": out, **sizes}


def _weight_fit(nets: list[dict], against: str) -> float | None:
    """Slope of log(max weight) against log(measured error) or log(requested eps) over the eps reached."""
    points = {(n[against], n["max_weight"]) for n in nets if n["reached"] and n["eps"] is not None}
    if len({x for x, _ in points}) < MIN_FIT_POINTS:
        return None
    slope = loglog_slope(*zip(*sorted(points), strict=True))
    return slope if slope == slope else None  # NaN (non-positive errors) -> None


def summarize(records: list[dict], config: Config) -> Summary:
    res = {r["trial"]: r["result"] for r in records}
    labels = [spec[0] for spec in config.polynomials]
    deep = {(name, o): res[f"{name}|deep|order{o}"] for name in labels for o in config.orders}
    relu = {name: res[f"{name}|relu"] for name in labels}
    smallest = min(config.eps_deep)

    varying, ratios, refused, short_of_smallest = [], [], [], []
    exponents = {o: [] for o in config.orders}
    accuracy_rows, metrics_per = [], {}
    for (name, order), r in deep.items():
        nets = r["networks"]
        reached = [n for n in nets if n["reached"]]
        requested = [n for n in reached if n["eps"] is not None]
        if len({n["neurons"] for n in reached}) > 1:
            varying.append(f"{name} (order {order})")
        ratios += [n["max_error"] / n["eps"] for n in requested]
        refused += [f"{name} (order {order}) at eps={n['eps']:g}" for n in nets if not n["reached"]]
        best = next((n for n in nets if n["eps"] is None and n["reached"]), None)
        if best is None or best["max_error"] > smallest:
            short_of_smallest.append(f"{name} (order {order}): best {best['max_error']:.2g}" if best else name)
        vs_error, vs_eps = _weight_fit(nets, "max_error"), _weight_fit(nets, "eps")
        exponents[order].append(vs_error)
        worst_ratio = max((n["max_error"] / n["eps"] for n in requested), default=None)
        accuracy_rows.append([name, order, len(requested), len(config.eps_deep), worst_ratio,
                              best["max_error"] if best else None, requested[-1]["max_weight"] if requested else None,
                              vs_error, vs_eps])
        metrics_per[f"{name} | order {order}"] = {
            "eps_reached": [n["eps"] for n in requested], "max_error": [n["max_error"] for n in requested],
            "max_weight": [n["max_weight"] for n in requested], "best_error": best["max_error"] if best else None,
            "weight_exponent_vs_error": vs_error, "weight_exponent_vs_eps": vs_eps}

    size_rows, dag_ratios, mlp_ratios = [], [], []
    for name in labels:
        r = deep[(name, config.orders[-1])]
        neurons = next(n["neurons"] for n in r["networks"] if n["reached"])
        mult = r["multiplications"]
        if mult:
            dag_ratios.append(neurons / mult)
            mlp_ratios.append(r["mlp_neurons"] / mult)
        relu_nets = [n for n in relu[name]["networks"] if n["reached"]]
        size_rows.append([name, r["terms"], mult, neurons, r["mlp_neurons"], neurons / mult if mult else None,
                          relu_nets[0]["neurons"] if relu_nets else None,
                          relu_nets[-1]["neurons"] if relu_nets else None])
    median_mlp = statistics.median(mlp_ratios) if mlp_ratios else None
    worst_ratio = max(ratios) if ratios else None

    checks = [
        Check.measurement("max measured error / eps (every polynomial, order and eps the compiler accepted)",
                          worst_ratio, predicted=None, high=MAX_ERROR_OVER_EPS, headline=True,
                          detail="a fixed-size network must approximate the polynomial better than eps"),
    ]
    for order in config.orders:
        predicted = weight_exponent(order)
        worst = farthest_from(exponents[order], predicted)
        label = "paper's order-2 gates" if order == 2 else f"order-{order} gates"
        checks.append(Check.measurement(
            f"exponent of the largest weight in the measured error, {label} (worst polynomial)", worst,
            predicted=predicted, low=predicted - WEIGHT_EXPONENT_TOLERANCE, high=predicted + WEIGHT_EXPONENT_TOLERANCE,
            caveat=True, detail=(f"the size is fixed in neurons, not in weights: with {label} the largest weight "
                                 f"grows like error^{'?' if worst is None else f'{worst:.2f}'} "
                                 f"(predicted {predicted:g}; ? = too few eps reached to fit)")))
    checks += [
        Check.construction("networks whose neuron count changes with eps", len(varying), high=0,
                           detail=f"neuron counts moved with eps for {', '.join(varying)}"),
        Check.construction("max neurons per multiplication (DAG form)", max(dag_ratios, default=None),
                           high=NEURONS_PER_MULTIPLICATION_DAG),
        Check.construction("median strict-MLP neurons per multiplication", median_mlp,
                           low=MLP_PER_MULTIPLICATION[0], high=MLP_PER_MULTIPLICATION[1]),
    ]
    metrics = {"neuron_counts_vary": varying, "max_error_over_eps": worst_ratio,
               "dag_neurons_per_mult_max": max(dag_ratios, default=None), "median_mlp_neurons_per_mult": median_mlp,
               "eps_refused_by_the_compiler": refused, "short_of_smallest_eps": short_of_smallest,
               "weight_exponent_predicted": {str(o): weight_exponent(o) for o in config.orders},
               "per_polynomial": metrics_per}
    fitted = ", ".join(f"error^{farthest_from(exponents[o], weight_exponent(o)):.2f} (order {o})" for o in config.orders
                       if farthest_from(exponents[o], weight_exponent(o)) is not None)
    headline = (f"neurons fixed across eps {max(config.eps_deep):g}..{smallest:g} for all {len(labels)} polynomials, "
                f"max error/eps {worst_ratio:.2g}; weights grow like {fitted or '?'}"
                if worst_ratio is not None and not varying
                else "see the checks: a measurement is missing or the neuron count moved")
    return Summary(
        checks=checks, metrics=metrics, headline=headline, figures=_figures(deep, relu, config),
        tables=[Table(f"Sizes (deep strategy, {config.activation}; ReLU: Yarotsky)",
                      ["polynomial", "terms", "multiplications", "neurons", "strict-MLP neurons", "neurons / mult.",
                       f"ReLU neurons (eps {max(config.eps_relu):g})", f"ReLU neurons (eps {min(config.eps_relu):g})"],
                      size_rows, formats=["", "d", "d", "d", "d", ".2f", "d", "d"]),
                Table("Accuracy and weights per gate order (float64)",
                      ["polynomial", "order", "eps reached", "eps asked", "max error / eps", "best error (eps None)",
                       "largest weight (smallest eps)", "weight exponent vs measured error",
                       "weight exponent vs requested eps"],
                      accuracy_rows, formats=["", "d", "d", "d", ".2g", ".2g", ".3g", ".3f", ".3f"])],
        notes=[f"Errors are measured on {config.points} points of [-1, 1]^n (corners included), the same points "
               "for every eps of a polynomial. The deep networks use 4 neurons per product and 2 per square; the "
               "strict MLP adds 2-neuron pass-throughs for values that skip layers. The ReLU networks (Yarotsky "
               "squares) need depth ~log(1/eps).",
               "eps refused by the compiler (its worst-case model finds no scale that meets it): "
               + ("; ".join(refused) if refused else "none") + f". Best float64 networks above eps = {smallest:g}: "
               + ("; ".join(short_of_smallest) if short_of_smallest else "none")
               + " (the float floor of the gates; see C02)."],
    )


def _figures(deep: dict, relu: dict, config: Config) -> list[FigureSpec]:
    neurons = Panel("Neurons against requested accuracy", "requested eps", "neurons", xscale="log", yscale="log",
                    legend=False)
    errors = Panel("Measured error against requested eps (deep, order 4 solid, order 2 dashed)", "requested eps",
                   "max |error|", xscale="log", yscale="log")
    weights = Panel("Largest weight against measured error (deep)", "measured max |error|", "max |weight|",
                    xscale="log", yscale="log")
    for i, (name, *_rest) in enumerate(config.polynomials):
        color = f"C{i % 10}"
        for order in config.orders:
            nets = [n for n in deep[(name, order)]["networks"] if n["reached"] and n["eps"] is not None]
            style = {"color": color, "marker": "o", "linestyle": "-" if order == 4 else "--"}
            errors.series.append(Series(f"{name}, order {order}", [n["eps"] for n in nets],
                                        [max(n["max_error"], 1e-17) for n in nets], style=style))
            weights.series.append(Series(f"{name}, order {order}", [max(n["max_error"], 1e-17) for n in nets],
                                         [n["max_weight"] for n in nets], style=style))
            if order == config.orders[-1]:
                neurons.series.append(Series(f"{name} (deep)", [n["eps"] for n in nets], [n["neurons"] for n in nets],
                                             style={"color": color, "marker": "o"}))
        relu_nets = [n for n in relu[name]["networks"] if n["reached"]]
        neurons.series.append(Series(f"{name} (relu)", [n["eps"] for n in relu_nets],
                                     [n["neurons"] for n in relu_nets], style={"color": color, "linestyle": "--"}))
    errors.series.append(Series("error = eps", list(config.eps_deep), list(config.eps_deep),
                                style={"color": "k", "linestyle": ":"}))
    return [FigureSpec("neurons_vs_eps", "Corollary 1: smooth deep networks keep their neurons as eps shrinks "
                       "(solid, flat); ReLU networks (dashed) grow.", [neurons, errors], columns=2),
            FigureSpec("weights_vs_error", "What pays for accuracy instead: the weights, ~ error^-1 with the "
                       "paper's gates and ~ error^-1/2 with order-4 gates.", [weights], columns=1)]


CLAIM = Claim(
    id=ID,
    title="Any polynomial is a network of fixed size",
    section="II B, Corollary 1",
    statement=("For any multivariate polynomial and any tolerance eps > 0 there is a network of fixed finite size N, "
               "independent of eps, approximating it better than eps; N scales as the number of multiplications "
               "times a factor typically slightly larger than 4."),
    quick=QUICK,
    full=FULL,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
