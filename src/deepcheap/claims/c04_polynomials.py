"""C04 - Corollary 1: any polynomial is a network of fixed size, about 4 neurons per multiplication.

Measured: a suite of polynomials (products, powers, Ising chains and lattices, lattice phi^4,
random sparse polynomials) compiled at eps = 1e-2 ... 1e-8. The neuron count must not move with
eps; the measured error must stay below eps; neurons per multiplication are reported for the DAG
form (4 per product gate, 2 per square) and for the strict MLP the paper counts (gates plus the
pass-through neurons that carry values across layers: the "slightly larger than 4"). For contrast,
ReLU networks (Yarotsky) pay for accuracy with depth and neurons. The caveat: fixed size in neurons,
not in weights; read-out weights grow as eps shrinks.
"""

from __future__ import annotations

import statistics

import deepcheap
from deepcheap import library
from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.checks import Check
from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.errors import PrecisionError
from deepcheap.fits import loglog_slope

ID = "C04"
EPS_DEEP = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8)
EPS_RELU = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6)
SUITE = {
    "product of 4": lambda: library.product(4),
    "product of 8": lambda: library.product(8),
    "x^7": lambda: library.power(7),
    "Ising chain, L = 8": lambda: library.ising_1d(8),
    "Ising 2D, 4 x 4": lambda: library.ising_2d(4),
    "phi^4 chain, L = 6": lambda: library.phi4(6),
    "random sparse (n=5, 8 terms, deg 4)": lambda: library.random_sparse_polynomial(5, 8, 4, seed=11),
}
FULL_EXTRA = {
    "Ising 2D, 8 x 8": lambda: library.ising_2d(8),
    "phi^4 2D, 4 x 4": lambda: library.phi4(4, dims=2),
    "random sparse (n=8, 16 terms, deg 4)": lambda: library.random_sparse_polynomial(8, 16, 4, seed=12),
}
MAX_ERROR_OVER_EPS = 1.0
NEURONS_PER_MULTIPLICATION_DAG = 4.0
MLP_PER_MULTIPLICATION = (3.0, 6.0)  # "a factor typically slightly larger than 4", median over the suite
WEIGHT_GROWTH_LIMIT = 10.0  # a "fixed size" in weights too would keep weights within 10x over the eps range


def _suite(scale: str) -> dict:
    return SUITE | (FULL_EXTRA if scale == "full" else {})


def trials(scale: str) -> list[Trial]:
    out = []
    for name in _suite(scale):
        out += [Trial(ID, f"{name}|deep|{eps:g}", {"name": name, "strategy": "deep", "eps": eps}) for eps in EPS_DEEP]
        out += [Trial(ID, f"{name}|relu|{eps:g}", {"name": name, "strategy": "relu", "eps": eps}) for eps in EPS_RELU]
    return out


def run_trial(params: dict, seed: int) -> dict:
    expr = (SUITE | FULL_EXTRA)[params["name"]]()
    try:
        net = deepcheap.compile(expr, strategy=params["strategy"], eps=params["eps"])
    except PrecisionError as err:
        return {"reached": False, "reason": str(err)}
    return {
        "reached": True,
        "neurons": net.neurons,
        "mlp_neurons": net.mlp_gate_neurons + net.mlp_passthrough_neurons,
        "passthrough": net.mlp_passthrough_neurons,
        "multiplications": net.multiplications,
        "depth": net.depth,
        "predicted_error": net.predicted_error,
        "max_error": net.measure_error(points=4096, seed=seed % 2**31),
        "max_weight": net.max_weight,
        "terms": len(net.polynomial),
    }


def summarize(records: list[dict], scale: str) -> Summary:
    names = list(_suite(scale))
    res = {(r["params"]["name"], r["params"]["strategy"], r["params"]["eps"]): r["result"] for r in records}
    rows, varying, ratios, mlp_ratios, unreachable, growth = [], [], [], [], [], {}
    for name in names:
        deep = [(eps, res[(name, "deep", eps)]) for eps in EPS_DEEP]
        reached = [(eps, r) for eps, r in deep if r["reached"]]
        unreachable += [f"{name} at eps={eps:g}" for eps, r in deep if not r["reached"]]
        counts = {r["neurons"] for _, r in reached}
        if len(counts) > 1:
            varying.append(name)
        ratios += [r["max_error"] / eps for eps, r in reached]
        first = reached[0][1]
        if first["multiplications"]:
            mlp_ratios.append(first["mlp_neurons"] / first["multiplications"])
        growth[name] = reached[-1][1]["max_weight"] / reached[0][1]["max_weight"] if first["neurons"] else 1.0
        relu = [res[(name, "relu", eps)] for eps in EPS_RELU]
        rows.append([name, first["terms"], first["multiplications"], sorted(counts), first["mlp_neurons"],
                     f"{first['neurons'] / max(first['multiplications'], 1):.2f}",
                     f"{max(r['max_error'] / eps for eps, r in reached):.2g}",
                     f"{relu[0]['neurons']}-{relu[-1]['neurons']}" if relu[-1]["reached"] else "-",
                     f"{growth[name]:.3g}"])
    dag_ratio = max(r[0]["neurons"] / r[0]["multiplications"] for r in
                    ([res[(n, "deep", EPS_DEEP[0])]] for n in names) if r[0]["multiplications"])
    median_mlp = statistics.median(mlp_ratios)
    worst_growth = max(growth.values())
    checks = [
        Check("polynomials whose neuron count changes with eps", len(varying), high=0,
              detail=f"neuron counts moved with eps for {', '.join(varying)}"),
        Check("max measured error / eps (deep, every eps reached)", max(ratios), high=MAX_ERROR_OVER_EPS),
        Check("max neurons per multiplication (DAG form)", dag_ratio, high=NEURONS_PER_MULTIPLICATION_DAG),
        Check("median strict-MLP neurons per multiplication", median_mlp, *MLP_PER_MULTIPLICATION),
        Check("eps values out of reach in float64", len(unreachable), high=0, role="caveat",
              detail="out of reach in float64 (the smallest eps need more precision): " + "; ".join(unreachable)),
        Check("largest read-out weight growth from eps 1e-2 to the smallest eps", worst_growth,
              high=WEIGHT_GROWTH_LIMIT, role="caveat",
              detail=(f"the size is fixed in neurons, not in weights: the largest weight grows up to "
                      f"{worst_growth:.3g}x between eps = 1e-2 and the smallest eps reached")),
    ]
    product = [res[("product of 8", "deep", eps)] for eps in EPS_DEEP]
    weight_exponent = loglog_slope([e for e, r in zip(EPS_DEEP, product, strict=True) if r["reached"]],
                                   [r["max_weight"] for r in product if r["reached"]])
    metrics = {"neuron_counts_vary": varying, "max_error_over_eps": max(ratios), "dag_neurons_per_mult": dag_ratio,
               "median_mlp_neurons_per_mult": median_mlp, "unreachable": unreachable,
               "weight_growth": growth, "weight_vs_eps_exponent_product8": weight_exponent}
    headline = (f"neurons fixed across eps 1e-2..1e-8 for {len(names) - len(varying)}/{len(names)} polynomials; "
                f"max error/eps {max(ratios):.2f}; {median_mlp:.2f} strict-MLP neurons per multiplication")
    return Summary(checks=checks, metrics=metrics, headline=headline, figures=_figures(res, names),
                   tables=[Table("The suite (deep strategy, softplus, order-4 gates, float64)",
                                 ["polynomial", "terms", "multiplications", "neurons (all eps)", "strict-MLP neurons",
                                  "neurons / mult.", "max error / eps", "ReLU neurons (eps 1e-2..1e-6)",
                                  "weight growth"], rows)],
                   notes=["Errors are measured on 4096 points of [-1, 1]^n (corners included). The deep networks "
                          "use 4 neurons per product and 2 per square; the strict MLP adds 2-neuron pass-throughs "
                          "for values that skip layers. The ReLU networks (Yarotsky squares) need depth ~log(1/eps).",
                          f"Read-out weights of the product of 8 scale like eps^{weight_exponent:.2f}."])


def _figures(res: dict, names: list[str]) -> list[FigureSpec]:
    neurons = Panel("Neurons against requested accuracy", "requested eps", "neurons", xscale="log", yscale="log")
    errors = Panel("Measured error against requested eps (deep)", "requested eps", "max |error|",
                   xscale="log", yscale="log")
    weights = Panel("Largest weight against requested eps (deep)", "requested eps", "max |weight|",
                    xscale="log", yscale="log")
    for i, name in enumerate(names):
        color = f"C{i % 10}"
        deep = [(eps, res[(name, "deep", eps)]) for eps in EPS_DEEP if res[(name, "deep", eps)]["reached"]]
        relu = [(eps, res[(name, "relu", eps)]) for eps in EPS_RELU if res[(name, "relu", eps)]["reached"]]
        neurons.series.append(Series(f"{name} (deep)", [e for e, _ in deep], [r["neurons"] for _, r in deep],
                                     style={"color": color, "marker": "o"}))
        neurons.series.append(Series(f"{name} (relu)", [e for e, _ in relu], [r["neurons"] for _, r in relu],
                                     style={"color": color, "linestyle": "--"}))
        errors.series.append(Series(name, [e for e, _ in deep], [max(r["max_error"], 1e-17) for _, r in deep],
                                    style={"color": color, "marker": "o"}))
        weights.series.append(Series(name, [e for e, _ in deep], [r["max_weight"] for _, r in deep],
                                     style={"color": color, "marker": "o"}))
    errors.series.append(Series("error = eps", list(EPS_DEEP), list(EPS_DEEP), style={"color": "k", "linestyle": ":"}))
    neurons.legend = False
    return [FigureSpec("neurons_vs_eps", "Corollary 1: smooth deep networks keep their neurons as eps shrinks "
                       "(solid, flat); ReLU networks (dashed) grow.", [neurons, errors], columns=2),
            FigureSpec("weights_vs_eps", "What pays for accuracy instead: the weights.", [weights], columns=1)]


CLAIM = Claim(
    id=ID,
    title="Any polynomial is a network of fixed size",
    section="II B, Corollary 1",
    statement=("For any multivariate polynomial and any tolerance eps > 0 there is a network of fixed finite size N, "
               "independent of eps, approximating it better than eps; N scales as the number of multiplications "
               "times a factor typically slightly larger than 4."),
    quick=None,  # TODO(issue 15): Config
    full=None,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
