"""C13 - beyond the paper (Rolnick & Tegmark, ICLR 2018): monomials, powers and depth-k products.

Measured: the shallow monomial construction (prod(r_i + 1) units, no biases: Rolnick & Tegmark's
m_1 bound) built and counted for many exponent vectors, with the rank certificate generalised to x^r
(rank prod(r_i + 1) needed, one unit fewer falls short); powers x^d: d + 1 shallow units against the
compiled repeated-squaring network and Rolnick & Tegmark's bound 7 ceil(log2 d); depth-k products
(groups of b_i factors multiplied by 2^(b_i)-unit gates): the optimal grouping's neuron count for
k = 1..6 (the conjectured 2^Theta(n^(1/k))), and actual networks built and measured for small n;
and a trained check: the smallest trained shallow width reaching 1% on small monomials.
"""

from __future__ import annotations

import math

import numpy as np

import deepcheap
from deepcheap import library
from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.checks import Check
from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.flattening.polynomial import depth_k_bound, first_layer, grouped_product, taylor_rank
from deepcheap.flattening.trained import BUCKETS, Budget, ProductTask, minimal_widths
from deepcheap.gates import max_error, monomial_gate, sample_box

ID = "C13"
MONOMIALS = ((1,), (2,), (3,), (4,), (1, 1), (2, 1), (2, 2), (3, 1), (1, 1, 1), (2, 1, 1), (3, 2), (2, 2, 2),
             (4, 3), (1, 1, 1, 1))
POWERS = (2, 3, 4, 5, 6, 7, 8, 12, 16, 24, 32, 48, 64)
DEPTH_NS = (4, 8, 16, 32, 64)
DEPTH_KS = (1, 2, 3, 4, 5, 6)
BUILT_GROUPINGS = ((8, (8,)), (8, (2, 4)), (8, (4, 2)), (8, (2, 2, 2)), (9, (9,)), (9, (3, 3)),
                   (16, (4, 4)), (16, (2, 2, 4)), (16, (2, 2, 2, 2)))
TRAINED_MONOMIALS = ((2,), (3,), (2, 1), (3, 1), (2, 2))
TRAINING = {"quick": {"seeds": 3, "budget": Budget(steps=1000), "buckets": BUCKETS[:2]},
            "full": {"seeds": 10, "budget": Budget(steps=4000, lrs=(1e-2, 3e-2, 1e-1)), "buckets": BUCKETS}}
TARGET = 0.01


def trials(scale: str) -> list[Trial]:
    out = [Trial(ID, kind, {"kind": kind}) for kind in ("monomials", "powers", "depth")]
    out += [Trial(ID, f"trained-{activation}", {"kind": "trained", "activation": activation, "scale": scale})
            for activation in (("tanh",) if scale == "quick" else ("tanh", "softplus", "relu"))]
    return out


def run_trial(params: dict, seed: int) -> dict:
    kind = params["kind"]
    if kind == "monomials":
        return {"rows": [_monomial(r, seed) for r in MONOMIALS]}
    if kind == "powers":
        return {"rows": [_power(d) for d in POWERS]}
    if kind == "depth":
        bounds = [{"n": n, "k": k, "neurons": depth_k_bound(n, k)[0], "groups": list(depth_k_bound(n, k)[1])}
                  for n in DEPTH_NS for k in DEPTH_KS]
        return {"bounds": bounds, "built": [_grouped(n, g) for n, g in BUILT_GROUPINGS]}
    config = TRAINING[params["scale"]]
    tasks = [ProductTask(len(r), (-1.0, 1.0), r) for r in TRAINED_MONOMIALS]
    results = minimal_widths(tasks, "shallow", params["activation"], target=TARGET, seeds=config["seeds"],
                             budget=config["budget"], seed=seed, buckets=config["buckets"])
    return {"results": results}


def _monomial(exponents: tuple[int, ...], seed: int) -> dict:
    gate = monomial_gate(exponents, bias_free=True)
    W = first_layer(gate)
    rng = np.random.default_rng(seed)
    required = math.prod(r + 1 for r in exponents)
    return {
        "exponents": list(exponents), "formula": required, "bias_free_units": gate.neurons,
        "units_with_bias": monomial_gate(exponents).neurons, "error": max_error(gate, points=4096),
        "rank": taylor_rank(W, exponents).rank,
        "rank_one_unit_fewer": taylor_rank(W[:, 1:], exponents).rank,
        "rank_random_short": taylor_rank(rng.normal(size=(len(exponents), required - 1)), exponents).rank,
    }


def _power(d: int) -> dict:
    deep = deepcheap.compile(library.power(d))
    return {"d": d, "shallow": d + 1, "deep_neurons": deep.neurons, "deep_multiplications": deep.multiplications,
            "deep_depth": deep.depth, "deep_error": deep.measure_error(points=2048),
            "rolnick_tegmark_bound": 7 * math.ceil(math.log2(d))}


def _grouped(n: int, groups: tuple[int, ...]) -> dict:
    module, neurons, predicted = grouped_product(n, groups)
    x = sample_box((-1.0, 1.0), n, 4096)
    error = float((module(x) - x.prod(dim=1)).abs().max())
    formula = sum(math.prod(groups[i + 1:]) * 2 ** groups[i] for i in range(len(groups)))
    return {"n": n, "groups": list(groups), "depth": len(groups), "neurons": neurons, "formula": formula,
            "error": error, "predicted": predicted}


def summarize(records: list[dict], scale: str) -> Summary:
    by = {r["trial"]: r["result"] for r in records}
    monomials, powers, depth = by["monomials"]["rows"], by["powers"]["rows"], by["depth"]
    trained = [row for key, res in by.items() if key.startswith("trained") for row in res["results"]]
    built = depth["built"]
    checks = [
        Check("monomials whose bias-free shallow gate has units != prod(r_i + 1)",
              sum(m["bias_free_units"] != m["formula"] for m in monomials), high=0),
        Check("monomial constructions without full certificate rank prod(r_i + 1)",
              sum(m["rank"] != m["formula"] for m in monomials), high=0),
        Check("layers with one unit fewer than prod(r_i + 1) reaching full rank",
              sum(m["rank_one_unit_fewer"] >= m["formula"] or m["rank_random_short"] >= m["formula"]
                  for m in monomials), high=0),
        Check("powers x^d whose deep network exceeds 7 ceil(log2 d) neurons",
              sum(p["deep_neurons"] > p["rolnick_tegmark_bound"] for p in powers), high=0),
        Check("built depth-k products whose neurons differ from sum_i g_i 2^(b_i)",
              sum(b["neurons"] != b["formula"] for b in built), high=0),
        Check("built depth-k products whose error exceeds their predicted bound",
              sum(b["error"] > b["predicted"] for b in built), high=0),
    ]
    below = [t for t in trained
             if t["min_width"] is not None and t["min_width"] < math.prod(r + 1 for r in t["exponents"])]
    checks.append(Check(
        "trained monomials narrower than the bias-free bound prod(r_i + 1) at 1%", len(below), high=0, role="caveat",
        detail=(f"{len(below)} of {len(trained)} trained shallow networks reached 1% with fewer units than "
                "prod(r_i + 1): with biases and a finite target the bound (no biases, every accuracy) need not bind")))
    bound_rows = {(b["n"], b["k"]): b for b in depth["bounds"]}
    metrics = {
        "power_neurons": {str(p["d"]): p["deep_neurons"] for p in powers},
        "depth_k_neurons": {f"{n}|{k}": bound_rows[(n, k)]["neurons"] for n in DEPTH_NS for k in DEPTH_KS},
        "trained": {str(t["exponents"]): t["min_width"] for t in trained},
    }
    top = max(powers, key=lambda p: p["d"])
    headline = (f"x^r needs prod(r_i+1) shallow units (certified rank); x^{top['d']}: {top['shallow']} shallow vs "
                f"{top['deep_neurons']} deep (bound {top['rolnick_tegmark_bound']}); 64 inputs: depth 1 -> 2^64, "
                "depth 2 -> "
                f"{bound_rows[(64, 2)]['neurons']}, depth 6 -> {bound_rows[(64, 6)]['neurons']}")
    wider = [t for t in trained if t["min_width"] is None or t["min_width"] > math.prod(r + 1 for r in t["exponents"])]
    return Summary(checks=checks, metrics=metrics, headline=headline, figures=_figures(powers, depth),
                   tables=_tables(monomials, powers, depth, trained),
                   notes=[f"Trained shallow networks (with biases, equal budget) needed more units than the exact "
                          f"construction for {len(wider)} of {len(trained)} monomials: the prod(r_i + 1) networks "
                          "exist, but training does not find them at that width."])


def _tables(monomials, powers, depth, trained) -> list[Table]:
    return [
        Table("Shallow monomial gates and their certificate", ["exponents", "prod(r_i+1)", "units (no biases)",
                                                               "units (with biases)", "max error", "rank",
                                                               "rank, one unit fewer"],
              [[m["exponents"], m["formula"], m["bias_free_units"], m["units_with_bias"], f"{m['error']:.2g}",
                m["rank"], m["rank_one_unit_fewer"]] for m in monomials]),
        Table("Powers x^d", ["d", "shallow (d+1)", "deep neurons", "multiplications", "depth", "max error",
                             "7 ceil(log2 d)"],
              [[p["d"], p["shallow"], p["deep_neurons"], p["deep_multiplications"], p["deep_depth"],
                f"{p['deep_error']:.2g}", p["rolnick_tegmark_bound"]] for p in powers]),
        Table("Depth-k products of n inputs: fewest neurons over groupings b_1..b_k",
              ["n", *[f"k = {k}" for k in DEPTH_KS]],
              [[n, *[_short(b["neurons"]) for b in depth["bounds"] if b["n"] == n]] for n in DEPTH_NS]),
        Table("Built depth-k products", ["n", "groups", "neurons", "formula", "max error", "predicted"],
              [[b["n"], b["groups"], b["neurons"], b["formula"], f"{b['error']:.2g}", f"{b['predicted']:.2g}"]
               for b in depth["built"]]),
        Table("Trained shallow monomials (1% relative RMS)", ["exponents", "activation", "min width",
                                                              "prod(r_i+1)", "best error"],
              [[t["exponents"], t["activation"], t["min_width"] or f"> {t['max_width_tried']}",
                math.prod(r + 1 for r in t["exponents"]), f"{min(t['best_error'].values()):.3g}"] for t in trained]),
    ]


def _short(value: int) -> str:
    return str(value) if value < 10**6 else f"{value:.3g}"


def _figures(powers, depth) -> list[FigureSpec]:
    ds = [p["d"] for p in powers]
    power_panel = Panel("Neurons for x^d", "d", "neurons", xscale="log", yscale="log", series=[
        Series("shallow: d + 1", ds, [p["shallow"] for p in powers], style={"marker": "o"}),
        Series("deep (deepcheap, repeated squaring)", ds, [p["deep_neurons"] for p in powers], style={"marker": "s"}),
        Series("Rolnick-Tegmark bound 7 ceil(log2 d)", ds, [p["rolnick_tegmark_bound"] for p in powers],
               style={"linestyle": ":"})])
    depth_panel = Panel("Depth-k products: fewest neurons", "n (inputs)", "neurons", xscale="log", yscale="log")
    for k in DEPTH_KS:
        rows = [b for b in depth["bounds"] if b["k"] == k]
        depth_panel.series.append(Series(f"k = {k}", [b["n"] for b in rows], [b["neurons"] for b in rows],
                                         style={"marker": "o"}))
    depth_panel.series.append(Series("4(n - 1)", list(DEPTH_NS), [4 * (n - 1) for n in DEPTH_NS],
                                     style={"color": "k", "linestyle": ":"}))
    return [FigureSpec("powers_and_depth", "x^d: d + 1 neurons in one layer against ~2 log2 d deep; products of n "
                       "inputs: each extra layer cuts the count, from 2^n (k = 1) to 4(n - 1) (k = log2 n).",
                       [power_panel, depth_panel], columns=2)]


CLAIM = Claim(
    id=ID,
    title="Monomials, powers and depth-k products (Rolnick & Tegmark)",
    section="beyond (Rolnick & Tegmark 2018)",
    statement=("x1^r1 ... xn^rn needs prod(r_i + 1) neurons in one hidden layer; x^d needs d + 1 shallow but about "
               "7 log2 d deep; with k layers a product of n inputs needs 2^Theta(n^(1/k)) neurons (conjecture)."),
    quick=None,  # TODO(issue 15): Config
    full=None,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
