"""C12 - Section III H, Appendix A: multiplying n inputs takes 2^n neurons in one hidden layer, ~4n deep.

Measured, three ways. By construction: the sign-sum network (2^n) and the compiled binary tree
(4(n - 1)) for n = 2..12, their errors against the scale, C_n = 2^n / 4(n - 1). By certificate: the
2^n x m matrix A[S, j] = prod_{i in S} W[i, j] of a first layer must have full row rank for Taylor
matching; the construction's has rank 2^n, every layer with m = 2^n - 1 units falls short. By
training (beyond the paper; the experiment Rolnick & Tegmark only drew): the smallest width at which
a trained shallow or deep network reaches a 1% relative RMS error, under one budget for both.
"""

from __future__ import annotations

import numpy as np

from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.checks import Check
from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.fits import loglog_slope
from deepcheap.flattening.polynomial import (
    deep_error_curve,
    first_layer,
    product_networks,
    shallow_error_curve,
    taylor_rank,
)
from deepcheap.flattening.trained import BUCKETS, READOUTS, Budget, ProductTask, minimal_widths
from deepcheap.gates import shallow_product_gate

ID = "C12"
CONSTRUCTION_NS = tuple(range(2, 13))
CERTIFICATE_NS = tuple(range(2, 10))
SHALLOW_ERROR_NS = (2, 3, 4, 5, 6)
DEEP_EPS = (1e-2, 1e-4, 1e-6, 1e-8)
ACTIVATIONS = ("softplus", "tanh", "relu")
DOMAINS = ((-1.0, 1.0), (0.0, 2.0))
TARGET = 0.01
SHALLOW_SLOPE = (1.8, 2.2)  # truncation error of the sign-sum gate falls like lambda^2

TRAINING = {
    "quick": {"ns": (2, 3, 4, 5), "seeds": 3, "budget": Budget(steps=1000), "buckets": BUCKETS[:2]},
    "full": {"ns": tuple(range(2, 9)), "seeds": 10, "budget": Budget(steps=4000, lrs=(1e-2, 3e-2, 1e-1)),
             "buckets": (*BUCKETS, (96, 128))},
}


def trials(scale: str) -> list[Trial]:
    """Construction, certificate and errors (cheap), then one training trial per architecture x activation;
    training trials carry the scale in their parameters, so a worker needs nothing else."""
    out = [Trial(ID, "construction", {"kind": "construction"}),
           Trial(ID, "certificate", {"kind": "certificate"}),
           Trial(ID, "errors", {"kind": "errors"})]
    for architecture in ("shallow", "deep"):
        for activation in ACTIVATIONS:
            out.append(Trial(ID, f"trained-{architecture}-{activation}",
                             {"kind": "trained", "architecture": architecture, "activation": activation,
                              "scale": scale}))
    return out


def run_trial(params: dict, seed: int) -> dict:
    kind = params["kind"]
    if kind == "construction":
        return {"rows": [product_networks(n) for n in CONSTRUCTION_NS]}
    if kind == "certificate":
        return {"rows": [_certificate(n, seed) for n in CERTIFICATE_NS]}
    if kind == "errors":
        return {"shallow": [shallow_error_curve(n) for n in SHALLOW_ERROR_NS],
                "deep": [deep_error_curve(n, DEEP_EPS) for n in (2, 4, 8)]}
    config = TRAINING[params["scale"]]
    ns = [n for n in config["ns"] if params["architecture"] == "shallow" or n > 2]  # deep n = 2 is shallow
    tasks = [ProductTask(n, domain) for n in ns for domain in DOMAINS]
    results = minimal_widths(tasks, params["architecture"], params["activation"], target=TARGET,
                             seeds=config["seeds"], budget=config["budget"], seed=seed, buckets=config["buckets"])
    return {"results": results}


def _certificate(n: int, seed: int) -> dict:
    """Rank of the construction's first layer, of random layers with 2^n - 1 and 2^n units."""
    rng = np.random.default_rng(seed)
    construction = taylor_rank(first_layer(shallow_product_gate(n)))
    short = taylor_rank(rng.normal(size=(n, 2**n - 1)))
    enough = taylor_rank(rng.normal(size=(n, 2**n)))
    return {"n": n, "required": 2**n, "construction": construction.rank, "one_short": short.rank,
            "random_full_width": enough.rank}


def summarize(records: list[dict], scale: str) -> Summary:
    by = {r["trial"]: r["result"] for r in records}
    construction = by["construction"]["rows"]
    certificate = by["certificate"]["rows"]
    errors = by["errors"]
    trained = [row for key, res in by.items() if key.startswith("trained") for row in res["results"]]
    shallow_slopes = [loglog_slope(c["scales"], c["errors"]) for c in errors["shallow"]]
    checks = [
        Check("constructed shallow networks with neurons != 2^n (n = 2..12)",
              sum(r["shallow_neurons"] != 2 ** r["n"] for r in construction), high=0),
        Check("constructed deep networks with neurons != 4(n - 1) (n = 2..12)",
              sum(r["deep_neurons"] != 4 * (r["n"] - 1) for r in construction), high=0),
        Check("certificate: constructions without full rank 2^n", sum(c["construction"] != c["required"]
                                                                       for c in certificate), high=0),
        Check("certificate: layers of 2^n - 1 units reaching rank 2^n",
              sum(c["one_short"] >= c["required"] for c in certificate), high=0,
              detail="fewer than 2^n units must leave the subset matrix rank-deficient"),
        Check("shallow construction: smallest error-vs-lambda slope (n = 2..6)", min(shallow_slopes),
              *SHALLOW_SLOPE, detail="the 2^n construction should converge like lambda^2"),
    ]
    grid = _trained_grid(trained)
    widest = max(max(b) for b in TRAINING[scale]["buckets"])
    unsolved = [f"{k[0]} {k[1]} n={k[3]} on {k[2]}" for k, v in grid.items() if v["min_width"] is None]
    checks.append(Check(
        f"trained tasks without a width reaching {TARGET:.0%} (equal budget, widths <= "
        f"{widest})", len(unsolved), high=0, role="caveat",
        detail=(f"under the equal training budget {len(unsolved)} of {len(grid)} (architecture, activation, domain, n) "
                f"tasks never reached {TARGET:.0%} relative RMS error at any width tried (widths up to "
                f"{widest}): the budget, not only the width, limits "
                "trained networks"),
    ))
    below = [f"{k[1]} n={k[3]} on {k[2]}: width {v['min_width']} < 2^n = {2 ** k[3]}" for k, v in grid.items()
             if k[0] == "shallow" and v["min_width"] is not None and v["min_width"] < 2 ** k[3]]
    checks.append(Check(
        f"trained shallow networks narrower than 2^n at {TARGET:.0%}", len(below), high=0, role="caveat",
        detail=(f"{len(below)} trained one-hidden-layer networks reached {TARGET:.0%} with fewer than 2^n units "
                f"({'; '.join(below)}): the 2^n bound is for matching the Taylor expansion exactly (every "
                "accuracy); at a fixed finite accuracy it need not bind"),
    ))
    gaps = _depth_advantage(grid)
    metrics = {
        "C_n": {str(r["n"]): r["C_n"] for r in construction},
        "shallow_error_slopes": dict(zip([str(c["n"]) for c in errors["shallow"]], shallow_slopes, strict=True)),
        "certificate": certificate,
        "trained_min_width": {f"{k[0]}|{k[1]}|{k[2]}|{k[3]}": v["min_width"] for k, v in grid.items()},
        "trained_min_width_at_10pct": {f"{k[0]}|{k[1]}|{k[2]}|{k[3]}": v["min_width_at"]["0.1"]
                                       for k, v in grid.items()},
        "deep_narrower_fraction_at_10pct": gaps,
        "unsolved_at_target": unsolved,
        "shallow_below_2n_at_target": below,
    }
    c12 = next(r for r in construction if r["n"] == 12)
    headline = (f"shallow 2^n vs deep 4(n-1): C_n = {c12['C_n']:.0f} at n = 12; certificate rank 2^n (and < 2^n "
                f"with one unit fewer); trained: {len(grid) - len(unsolved)}/{len(grid)} tasks reach {TARGET:.0%}")
    return Summary(checks=checks, metrics=metrics, headline=headline,
                   figures=_figures(construction, errors, grid, scale), tables=_tables(construction, certificate, grid),
                   notes=[_budget_note(scale),
                          f"Deep networks were narrower than shallow ones (at the 10% target, same task and "
                          f"activation) in {gaps:.0%} of the comparable cases." if gaps is not None else
                          "No task reached the 10% target in both architectures."])


def _trained_grid(trained: list[dict]) -> dict:
    grid = {}
    for r in trained:
        grid[(r["architecture"], r["activation"], f"[{r['domain'][0]:g},{r['domain'][1]:g}]", r["n"])] = r
    for (arch, act, dom, n), r in list(grid.items()):  # deep n = 2 is the shallow network (depth 1)
        if arch == "shallow" and n == 2:
            grid[("deep", act, dom, n)] = {**r, "architecture": "deep"}
    return dict(sorted(grid.items()))


def _depth_advantage(grid: dict) -> float | None:
    pairs = []
    for (arch, act, dom, n), r in grid.items():
        if arch != "shallow" or n == 2:
            continue
        deep = grid.get(("deep", act, dom, n))
        a, b = r["min_width_at"]["0.1"], deep["min_width_at"]["0.1"] if deep else None
        if a is not None and b is not None:
            pairs.append(b < a)
    return float(np.mean(pairs)) if pairs else None


def _tables(construction, certificate, grid) -> list[Table]:
    rows = [[r["n"], r["shallow_neurons"], r["deep_neurons"], r.get("deep_mlp_neurons", "-"), r["deep_depth"],
             round(r["C_n"], 2)] for r in construction]
    cert = [[c["n"], c["required"], c["construction"], c["one_short"], c["random_full_width"]] for c in certificate]
    trained_rows = []
    for (arch, act, dom, n), r in grid.items():
        trained_rows.append([arch, act, dom, n, r["min_width"] or f"> {r['max_width_tried']}",
                             r["min_width_at"]["0.03"] or "-", r["min_width_at"]["0.1"] or "-",
                             f"{min(r['best_error'].values()):.3g}", r["successful_seeds"]])
    return [Table("Constructed product networks", ["n", "shallow neurons (2^n)", "deep gate neurons (4(n-1))",
                                                   "deep strict-MLP neurons", "deep depth", "C_n"], rows),
            Table("Rank certificate (Appendix A): rank of A[S, j] = prod_{i in S} W[i, j]",
                  ["n", "needed (2^n)", "sign-sum construction", "random, 2^n - 1 units", "random, 2^n units"], cert),
            Table(f"Trained minimal widths (relative RMS error <= {TARGET:.0%}; also at 3% and 10%)",
                  ["architecture", "activation", "domain", "n", "min width (1%)", "at 3%", "at 10%",
                   "best error", "seeds reaching 1%"], trained_rows)]


def _figures(construction, errors, grid, scale) -> list[FigureSpec]:
    ns = [r["n"] for r in construction]
    counts = Panel("Neurons to multiply n inputs (constructed)", "n", "hidden neurons", yscale="log",
                   series=[Series("shallow: 2^n", ns, [r["shallow_neurons"] for r in construction],
                                  style={"marker": "o"}),
                           Series("deep: 4(n-1)", ns, [r["deep_neurons"] for r in construction], style={"marker": "s"}),
                           Series("deep strict MLP (with pass-throughs)", ns,
                                  [r.get("deep_mlp_neurons", r["deep_neurons"]) for r in construction],
                                  style={"linestyle": ":"})])
    shallow_err = Panel("Shallow 2^n construction: error against scale", "scale lambda", "max |error| on [-1,1]^n",
                        xscale="log", yscale="log",
                        series=[Series(f"n = {c['n']}", c["scales"], c["errors"], style={"marker": "."})
                                for c in errors["shallow"]])
    widths = []
    for target, key in ((TARGET, "min_width"), (0.1, "0.1")):
        for domain in DOMAINS:
            widths.append(_width_panel(grid, domain, target, key))
    return [FigureSpec("construction", "By construction: 2^n neurons in one hidden layer against 4(n - 1) in a tree; "
                       "the shallow network converges like lambda^2.", [counts, shallow_err], columns=2),
            FigureSpec("trained_widths", f"By training: the smallest width (per hidden layer) reaching {TARGET:.0%} "
                       "(top) and 10% (bottom) relative RMS error, solid shallow, dashed deep, against the "
                       "constructions' 2^n and 4(n - 1); a missing point was not reached at any width tried.",
                       widths, columns=2)]


def _width_panel(grid: dict, domain, target: float, key: str) -> Panel:
    """Minimal trained width against n for one domain; key: 'min_width' (the claim's target) or a looser one."""
    dom = f"[{domain[0]:g},{domain[1]:g}]"
    panel = Panel(f"Trained minimal width ({target:.0%} target), domain {dom}", "n", "minimal width", yscale="log")
    for arch, marker in (("shallow", "o"), ("deep", "s")):
        for i, act in enumerate(ACTIVATIONS):
            found = [(n, r[key] if key == "min_width" else r["min_width_at"][key])
                     for (a, ac, d, n), r in grid.items() if a == arch and ac == act and d == dom]
            pts = [(n, w) for n, w in found if w is not None]
            if pts:
                panel.series.append(Series(f"{arch}, {act}", [p[0] for p in pts], [p[1] for p in pts],
                                           style={"marker": marker, "color": f"C{i}",
                                                  "linestyle": "-" if arch == "shallow" else "--"}))
    all_n = sorted({n for (_, _, _, n) in grid})
    panel.series.append(Series("2^n", all_n, [2**n for n in all_n], style={"color": "k", "linestyle": ":"}))
    panel.series.append(Series("4(n-1)", all_n, [4 * (n - 1) for n in all_n], style={"color": "0.5", "linestyle": ":"}))
    return panel


def _budget_note(scale: str) -> str:
    config = TRAINING[scale]
    b = config["budget"]
    return (f"Training budget (equal for every width and architecture): full-batch Adam on the hidden layers, "
            f"{READOUTS[b.output]}, {b.steps} steps, cosine decay, learning rates {list(b.lrs)}, "
            f"{b.train_points} training and {b.test_points} test points, "
            f"{b.dtype}; {config['seeds']} seeds; widths {[w for bucket in config['buckets'] for w in bucket]}; "
            f"deep = ceil(log2 n) hidden layers of the same width. Success: at least one seed (best learning rate) "
            "at or below the target.")


CLAIM = Claim(
    id=ID,
    title="No flattening: n inputs need 2^n shallow neurons, ~4n deep",
    section="III H, Appendix A",
    statement=("No network with one hidden layer can multiply n inputs with fewer than 2^n neurons (Taylor sense, "
               "sigma_k != 0); a deep binary tree of 4-neuron gates needs about 4n."),
    quick=None,  # TODO(issue 15): Config
    full=None,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
