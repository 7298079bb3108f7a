"""C12 - Section III H, Appendix A: multiplying n inputs takes 2^n neurons in one hidden layer, ~4n deep.

Measured (issue 18; predictions and tolerances below, written before the grid first ran):

* **The depth x size grid** (Rolnick & Tegmark 2018, Fig. 2, with numbers; :mod:`deepcheap.flattening.depth_grid`):
  the product of n inputs learnt from fresh samples by networks of depth k = 1.. and total hidden neurons N,
  several seeds, one learning-rate grid and one budget for every cell, on two domains. At the largest n of the
  scale the verdict compares the shallow network with the best deep one: by N*(k; 0.1), the fewest neurons at
  which half the seeds reach 10% error, when a deep cell reaches it, otherwise at equal error (the fewest total
  neurons at which a deep network matches shallow's error at the largest N tried). Boundary cells are retrained
  with twice the steps (budget control); constructed networks of known depth and size (the product tree, grouped
  products, the sign-sum) are evaluated on the same test sets and used as warm starts (existence oracles).
* **Necessity in the theorem's own setting** (:mod:`deepcheap.flattening.necessity`): bias-free units, widths
  2^n - 2 .. 2^n + 1, least squares in float64 from restarts; a width below 2^n must stall at an error floor that
  twice the effort does not lower. The Taylor-sense variant and the odd activation (tanh, 2^(n-1) units) are shown.

Shown, not evidence: the constructions' counts (construction), the rank certificate with its hypotheses
(construction: rank <= units), the sign-sum's lambda^2 convergence (identity: Taylor's theorem).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.c12_constructions import certificate_trial, construction_checks, folded_trial
from deepcheap.claims.c12_report import (
    construction_figure,
    construction_tables,
    equal_error_table,
    grid_tables,
    heatmap_figure,
    n_star_figure,
)
from deepcheap.claims.checks import Check
from deepcheap.claims.necessity_report import below_bound, necessity_checks, necessity_table, taylor_note
from deepcheap.flattening.depth_analysis import equal_error, separation
from deepcheap.flattening.depth_grid import (
    CellResult,
    GridTask,
    grid_cells,
    tapered_widths,
    train_grid,
    train_with_control,
)
from deepcheap.flattening.necessity import width_scan
from deepcheap.flattening.oracles import existence_oracles
from deepcheap.flattening.polynomial import deep_error_curve, depth_k_bound, product_networks, shallow_error_curve
from deepcheap.seeds import derive_seed

ID = "C12"
HYPOTHESIS_DEGREE = 8  # the hypotheses table lists c_k = 0 for k <= 8
HYPOTHESIS_CASES = (("softplus", 0.0), ("softplus", 1.0), ("tanh", 0.0), ("tanh", 1.0), ("sigmoid", 0.0),
                    ("exp", 0.0))

# Predictions (issue 18, written before the grid ran). At the largest n of the scale, per domain:
DECIDE_EPS = 0.1  # the N* form decides when a deep cell reaches this; otherwise the equal-error form
FAIL_RATIO = 2.0  # shallow within 2x of the best deep total: the claim fails
HOLD_RATIO = 4.0  # >= 4x: holds; between 2x and 4x: holds with caveats
BOUND_FACTOR = 8.0  # trained min_k N*(k) within 8x of the construction's depth_k_bound(n, k*) (N* form only)
GROWTH = 1.0  # the ratio at the largest n over the ratio at the smallest n: grows with n (a caveat: the issue's
# two ways to fail are "within 2x" and "gone under the doubled budget"; a ratio that does not grow weakens a hold)
# necessity: FLOOR, FLOOR_KEPT and CONSTRUCTED in deepcheap.claims.necessity_report (shared with C13)
ORACLE_ERROR = 1e-3  # constructed networks on the grid's domains (float64 builds)


@dataclass(frozen=True)
class Config:
    construction_ns: tuple[int, ...] = tuple(range(2, 13))  # built and counted (the sign-sum stops at 2^12)
    certificate_ns: tuple[int, ...] = tuple(range(2, 10))
    shallow_error_ns: tuple[int, ...] = (2, 3, 4, 5, 6)
    deep_error_ns: tuple[int, ...] = (2, 4, 8)
    deep_eps: tuple[float, ...] = (1e-2, 1e-4, 1e-6, 1e-8)
    folded: tuple[tuple[str, float, int], ...] = (("tanh", 0.0, 3), ("softplus", 0.0, 4))  # activation, bias, n
    folded_scales: tuple[float, ...] = tuple(float(s) for s in np.logspace(-2.5, -0.5, 7))
    grid_ns: tuple[int, ...] = (4, 8)  # the depth x size grid
    grid_domains: tuple[str, ...] = ("rt", "signed")
    grid_activations: tuple[str, ...] = ("tanh",)
    grid_depths: tuple[int, ...] = (1, 2, 3, 4)
    grid_totals: tuple[int, ...] = (16, 32, 64, 128, 256)
    grid_seeds: int = 3
    grid_lrs: tuple[float, ...] = (3e-2, 1e-1)
    grid_steps: int = 1000
    grid_batch: int = 256
    grid_test_points: int = 100_000
    necessity_ns: tuple[int, ...] = (2, 3)
    necessity_activations: tuple[str, ...] = ("exp", "softplus")
    necessity_restarts: int = 32
    necessity_effort: int = 100  # least-squares evaluations per restart (then as many again: the control)


QUICK = Config()
FULL = Config(grid_ns=(8, 12, 16, 20), grid_activations=("tanh", "softplus"), grid_depths=(1, 2, 3, 4, 5, 6),
              grid_totals=tuple(2**e for e in range(4, 12)), grid_seeds=5, grid_lrs=(1e-2, 3e-2, 1e-1),
              grid_steps=4000, grid_batch=1024, grid_test_points=1_000_000, necessity_ns=(2, 3, 4),
              necessity_effort=400)


def trials(config: Config) -> list[Trial]:
    """Constructions, certificate, errors, folded sign-sum; the grid (one trial per task and depth); oracles;
    necessity (one trial per n, activation and sense)."""
    out = [Trial(ID, "construction", {"kind": "construction", "ns": list(config.construction_ns)}),
           Trial(ID, "certificate", {"kind": "certificate", "ns": list(config.certificate_ns),
                                     "cases": [list(c) for c in HYPOTHESIS_CASES], "degree": HYPOTHESIS_DEGREE}),
           Trial(ID, "errors", {"kind": "errors", "shallow_ns": list(config.shallow_error_ns),
                                "deep_ns": list(config.deep_error_ns), "eps": list(config.deep_eps)}),
           Trial(ID, "folded", {"kind": "folded", "cases": [list(c) for c in config.folded],
                                "scales": list(config.folded_scales)})]
    budget = {"seeds": config.grid_seeds, "lrs": list(config.grid_lrs), "steps": config.grid_steps,
              "batch": config.grid_batch, "test_points": config.grid_test_points}
    for n in config.grid_ns:
        for domain in config.grid_domains:
            for act in config.grid_activations:
                for k in config.grid_depths:
                    out.append(Trial(ID, f"grid-n{n:02d}-{domain}-{act}-k{k}", {
                        "kind": "grid", "n": n, "domain": domain, "activation": act, "depth": k,
                        "totals": list(config.grid_totals), "tapered": k == len(tapered_widths(n)),
                        "control_eps": DECIDE_EPS, **budget}))
            out.append(Trial(ID, f"oracles-n{n:02d}-{domain}", {
                "kind": "oracles", "n": n, "domain": domain, "depths": [k for k in config.grid_depths if k >= 2],
                **budget}))
    for n in config.necessity_ns:
        for act in config.necessity_activations:
            for sense in ("uniform", "taylor"):
                out.append(_necessity_trial((1,) * n, act, sense, [2**n + d for d in (-2, -1, 0, 1)], config))
    out += [_necessity_trial((1, 1, 1), "tanh", sense, [2, 3, 4, 5], config) for sense in ("uniform", "taylor")]
    return out


def _necessity_trial(exponents, activation: str, sense: str, widths, config: Config) -> Trial:
    label = "x".join(map(str, exponents))
    return Trial(ID, f"necessity-{label}-{activation}-{sense}", {
        "kind": "necessity", "exponents": list(exponents), "activation": activation, "sense": sense,
        "widths": [m for m in widths if m >= 1], "restarts": config.necessity_restarts,
        "effort": config.necessity_effort, "grid": 9 if len(exponents) <= 2 else 7})


def run_trial(params: dict, seed: int) -> dict:
    kind = params["kind"]
    if kind == "construction":
        return {"rows": [product_networks(n).to_dict() for n in params["ns"]]}
    if kind == "certificate":
        return certificate_trial(params, seed)
    if kind == "errors":
        return {"shallow": [shallow_error_curve(n, seed=derive_seed(seed, "shallow", n)).to_dict()
                            for n in params["shallow_ns"]],
                "deep": [deep_error_curve(n, params["eps"], seed=derive_seed(seed, "deep", n)).to_dict()
                         for n in params["deep_ns"]]}
    if kind == "folded":
        return {"rows": [folded_trial(act, bias, n, params["scales"], derive_seed(seed, act, n))
                         for act, bias, n in params["cases"]]}
    if kind == "grid":
        return _grid(params, seed)
    if kind == "oracles":
        return {"rows": _oracles(params, seed)}
    return {"rows": width_scan(params["exponents"], params["activation"], params["widths"], sense=params["sense"],
                               restarts=params["restarts"], effort=params["effort"], seed=seed, grid=params["grid"])}


def _budget(params: dict) -> dict:
    return {k: (tuple(params[k]) if k == "lrs" else params[k])
            for k in ("seeds", "lrs", "steps", "batch", "test_points")}


def _grid(params: dict, seed: int) -> dict:
    task = GridTask(params["n"], params["domain"], params["activation"])
    cells = [c for c in grid_cells(task.n, (params["depth"],), params["totals"], tapered=params["tapered"])
             if c.depth == params["depth"]]
    first, doubled = train_with_control(task, cells, control_eps=params["control_eps"], seed=seed, **_budget(params))
    return {"cells": [c.to_dict() for c in first.cells],
            "doubled": [c.to_dict() for c in doubled.cells] if doubled else [],
            "seconds": first.seconds, "model_steps_per_second": first.model_steps_per_second}


def _oracles(params: dict, seed: int) -> list[dict]:
    """Each constructed network: its error on the grid's test set (float64 and float32 builds), then trained from
    its own float32 weights with the grid's budget (one model per learning rate, the best kept)."""
    from deepcheap.flattening.depth_grid import DOMAINS

    n, domain = params["n"], params["domain"]
    x = DOMAINS[domain].sample(n, params["test_points"], derive_seed(seed, "test"))
    metric = DOMAINS[domain].metric
    exact = {o.name: o for o in existence_oracles(n, domain, depths=params["depths"], dtype="float64")}
    rows = []
    for o in existence_oracles(n, domain, depths=params["depths"], dtype="float32"):
        task = GridTask(n, domain, o.activation)
        trained = train_grid(task, [o.cell], warm_starts={o.cell.key: o.layers}, seed=seed,
                             **{**_budget(params), "seeds": 1})
        rows.append({"n": n, "domain": domain, "name": o.name, "depth": o.depth, "neurons": o.neurons,
                     "widths": list(o.widths), "error_float64": exact[o.name].error(x, metric),
                     "error_float32": o.error(x.float(), metric), "trained_error": trained.cells[0].errors[0]})
    return rows


def summarize(records: list[dict], config: Config) -> Summary:
    by = {r["trial"]: r["result"] for r in records}
    construction, certificate = by["construction"]["rows"], by["certificate"]
    errors, folded = by["errors"], by["folded"]["rows"]
    grids, controls = _grids(records)
    oracles = [row for key, res in by.items() if key.startswith("oracles") for row in res["rows"]]
    necessity = [row for key, res in by.items() if key.startswith("necessity") for row in res["rows"]]
    checks = construction_checks(construction, certificate["rows"], errors, folded)
    decisions = _decisions(grids, controls, config)
    for d in decisions:
        checks += _grid_checks(d)
    checks += necessity_checks(necessity, "n inputs")
    if oracles:
        checks.append(Check.construction("existence oracles: largest error of a constructed network (float64 build) "
                                         "on the grid's test sets", max(o["error_float64"] for o in oracles),
                                         high=ORACLE_ERROR))
    headline_decision = next((d for d in decisions if d["domain"] == "signed"), decisions[0] if decisions else None)
    metrics = {
        "C_n": {str(r["n"]): r["C_n"] for r in construction},
        "certificate": certificate["rows"], "hypotheses": certificate["cases"],
        "folded": [{k: v for k, v in f.items() if k not in ("scales", "errors")} for f in folded],
        "grid": {_task_key(key): {"cells": [c.to_dict() for c in cells],
                                  "separation": {str(eps): separation(cells, eps).to_dict()
                                                 for eps in (0.1, 0.03, 0.01)},
                                  "equal_error": equal_error(cells).to_dict(),
                                  "doubled": [c.to_dict() for c in controls.get(key, [])]}
                 for key, cells in sorted(grids.items())},
        "decisions": decisions, "oracles": oracles, "necessity": necessity,
    }
    return Summary(checks=checks, metrics=metrics, headline=_headline(headline_decision, necessity),
                   notes=_notes(config, necessity, folded),
                   figures=[heatmap_figure(grids, oracles), n_star_figure(grids),
                            construction_figure(construction, errors)],
                   tables=[*grid_tables(grids, controls, oracles), equal_error_table(grids),
                           necessity_table(necessity),
                           *construction_tables(construction, certificate["rows"], certificate["cases"], folded)])


def _task_key(key) -> str:
    n, domain, act = key
    return f"n{n}|{domain}|{act}"


def _grids(records: list[dict]) -> tuple[dict, dict]:
    grids, controls = {}, {}
    for r in records:
        if r["params"]["kind"] != "grid":
            continue
        key = (r["params"]["n"], r["params"]["domain"], r["params"]["activation"])
        grids.setdefault(key, []).extend(CellResult.from_dict(c) for c in r["result"]["cells"])
        controls.setdefault(key, []).extend(CellResult.from_dict(c) for c in r["result"]["doubled"])
    return grids, controls


def _ratio(cells, form: str) -> float | None:
    return separation(cells, DECIDE_EPS).ratio if form == "n_star" else equal_error(cells).ratio


def _lower_bound(cells, form: str) -> bool:
    """The ratio is only a lower bound: shallow never reached eps, or deep matched at the smallest N tried."""
    if form == "n_star":
        return separation(cells, DECIDE_EPS).shallow_exceeds
    return equal_error(cells).ratio_is_lower_bound


def _decisions(grids: dict, controls: dict, config: Config) -> list[dict]:
    """Per (domain, activation): the form decided at the largest n, the ratio at every n, and under the control."""
    out = []
    for domain in config.grid_domains:
        for act in config.grid_activations:
            ns = sorted(n for n, d, a in grids if (d, a) == (domain, act))
            if not ns:
                continue
            top = grids[(ns[-1], domain, act)]
            equal = equal_error(top)
            form = "n_star" if separation(top, DECIDE_EPS).deep is not None else "equal_error"
            doubled = {(c.depth, c.neurons): c for c in controls.get((ns[-1], domain, act), [])}
            with_control = [doubled.get((c.depth, c.neurons), c) if c.shape == "even" else c for c in top]
            sep = separation(top, DECIDE_EPS)
            k_star = sep.deep_depth
            out.append({
                "domain": domain, "activation": act, "ns": ns, "n": ns[-1], "form": form,
                "ratios": {str(n): _ratio(grids[(n, domain, act)], form) for n in ns},
                "lower_bounds": {str(n): _lower_bound(grids[(n, domain, act)], form) for n in ns},
                "ratio": _ratio(top, form), "ratio_doubled": _ratio(with_control, form),
                "predicted": 2 ** ns[-1] / min(depth_k_bound(ns[-1], k)[0] for k in config.grid_depths
                                                if 2 <= k <= ns[-1]),
                "lower_bound": _lower_bound(top, form),
                "shallow_first": equal.shallow_first if form == "equal_error" else None,
                "largest": equal.largest,
                "deep_n_star": sep.deep, "deep_depth": k_star,
                "bound_at_k_star": depth_k_bound(ns[-1], k_star)[0] if k_star else None,
            })
    return out


def _grid_checks(d: dict) -> list[Check]:
    where = f"n = {d['n']}, {d['domain']}, {d['activation']}"
    what = ("N*(1) / min_k N*(k) at 10% error" if d["form"] == "n_star"
            else "largest N / fewest deep N matching shallow's error there")
    bound = " (a lower bound: the grid's range limits it)" if d["lower_bound"] else ""
    first, largest = d.get("shallow_first"), d.get("largest")
    flat = (f"; shallow's error at N = {largest} was already reached at N = {first}: it did not improve with width"
            if first and largest and first < largest else "")
    checks = [
        Check.measurement(f"{where}: shallow over best deep neurons, {what}{bound}", d["ratio"],
                          predicted=d["predicted"], low=FAIL_RATIO, headline=d["domain"] == "signed",
                          detail=f"{where}: shallow needs {_x(d['ratio'])} the total hidden neurons of the best deep "
                                 f"network ({what}); the paper's construction predicts {d['predicted']:.1f}x; a "
                                 f"shallow network within {FAIL_RATIO:g}x contradicts the claim{flat}"),
        Check.measurement(f"{where}: the same ratio, at least {HOLD_RATIO:g}x", d["ratio"], predicted=d["predicted"],
                          low=HOLD_RATIO, caveat=True,
                          detail=f"{where}: depth helps by {_x(d['ratio'])}, less than {HOLD_RATIO:g}x"),
        Check.measurement(f"{where}: the same ratio with twice the steps in the boundary cells", d["ratio_doubled"],
                          predicted=d["predicted"], low=FAIL_RATIO,
                          detail=f"{where}: under the doubled budget the ratio is {_x(d['ratio_doubled'])}"),
    ]
    if len(d["ns"]) > 1:
        first, last = d["ratios"][str(d["ns"][0])], d["ratios"][str(d["ns"][-1])]
        growth = None if not first or last is None else last / first
        saturated = [n for n in d["ns"] if d["lower_bounds"][str(n)]]
        checks.append(Check.measurement(
            f"{d['domain']}, {d['activation']}: ratio at n = {d['ns'][-1]} over ratio at n = {d['ns'][0]}", growth,
            predicted=(2 ** d["ns"][-1] / (4 * (d["ns"][-1] - 1))) / (2 ** d["ns"][0] / (4 * (d["ns"][0] - 1))),
            low=GROWTH, caveat=True,
            detail=f"the advantage of depth should grow with n: {_x(first)} at n = {d['ns'][0]}, {_x(last)} at "
                   f"n = {d['ns'][-1]}" + (f" (lower bounds at n = {saturated}: the grid's range caps them)"
                                           if saturated else "")))
    if d["form"] == "n_star":
        checks.append(Check.measurement(
            f"{where}: best deep N*(k*) over the construction's depth_k_bound(n, k*)",
            d["deep_n_star"] / d["bound_at_k_star"], predicted=1.0, high=BOUND_FACTOR,
            detail=f"trained deep networks need {d['deep_n_star']} neurons at depth {d['deep_depth']}, the "
                   f"construction {d['bound_at_k_star']}"))
    return checks


def _x(ratio) -> str:
    return "none" if ratio is None else f"{ratio:.3g}x"


def _headline(d: dict | None, necessity: list[dict]) -> str:
    parts = []
    if d:
        form = "N* at 10% error" if d["form"] == "n_star" else "equal error"
        parts.append(f"n = {d['n']} ({d['domain']}, {d['activation']}): shallow needs {_x(d['ratio'])} the neurons "
                     f"of the best deep network ({form}; construction {d['predicted']:.1f}x; "
                     f"{_x(d['ratio_doubled'])} with twice the steps)")
    below = below_bound(necessity)
    if below:
        parts.append(f"below 2^n bias-free units the error stalls at >= {min(r['error'] for r in below):.2g}")
    return "; ".join(parts)


def _notes(config: Config, necessity: list[dict], folded: list[dict]) -> list[str]:
    notes = [
        f"Grid budget (every cell): Adam with cosine decay, {config.grid_steps} steps of fresh batches of "
        f"{config.grid_batch} points, learning rates {list(config.grid_lrs)} (per seed the one with the lowest final "
        f"training loss), {config.grid_seeds} seeds, float32; test sets of {config.grid_test_points} points. A cell "
        "reaches eps when half its seeds do. Domains: rt = [0, 2]^n scored by mean absolute error over the median's "
        "(the product is heavy-tailed there: the relative standard error of a sample second moment is "
        "sqrt((1.8^n - 1) / N)), signed = |x_i| in [0.5, 1.5] with random signs, scored by relative RMS.",
        "Certificate hypotheses (Appendix A): one bias shared by every unit (bias-free), no output bias, and "
        "c_k = sigma^(k)(b)/k! != 0 for every k <= n; the rank test says nothing where one fails: bias-free tanh "
        "multiplies 3 inputs with 4 units (shown by the necessity search too).",
    ]
    taylor = taylor_note(necessity)
    return notes + ([taylor] if taylor else [])


CLAIM = Claim(
    id=ID,
    title="No flattening: n inputs need 2^n shallow neurons, ~4n deep",
    section="III H, Appendix A",
    statement=("No network with one hidden layer can multiply n inputs with fewer than 2^n neurons (Taylor sense; "
               "bias-free units, sigma_k != 0 for every k <= n); a deep binary tree of 4-neuron gates needs about 4n."),
    quick=QUICK,
    full=FULL,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
