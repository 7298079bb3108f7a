"""C12's tables and figures (data for the report: numbers with formats, panels as data)."""

from __future__ import annotations

import math

from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.flattening.depth_analysis import depths, equal_error, n_star
from deepcheap.flattening.polynomial import depth_k_bound

EPS_LEVELS = (0.1, 0.03, 0.01)


def _vanishing(ks: list[int]) -> str:
    return ", ".join(f"c_{k}" for k in ks) if ks else "none"


def construction_tables(construction, rows, cases, folded) -> list[Table]:
    def covered(case: dict) -> int | None:  # the largest n >= 2 with c_k != 0 for every k <= n
        top = (min(case["vanishing"]) - 1) if case["vanishing"] else case["degree"]
        return top if top >= 2 else None

    return [
        Table("Constructed product networks", ["n", "shallow neurons (2^n)", "deep gate neurons (4(n-1))",
                                               "deep strict-MLP neurons", "deep depth", "C_n"],
              [[r["n"], r["shallow_neurons"], r["deep_neurons"], r["deep_mlp_neurons"], r["deep_depth"], r["C_n"]]
               for r in construction], formats=["d", "d", "d", "d", "d", ".2f"]),
        Table("Rank certificate (Appendix A): rank of A[S, j] = prod_{i in S} W[i, j]",
              ["n", "needed (2^n)", "sign-sum rank", "its bias b", "vanishing c_k(b), k <= n", "hypotheses hold",
               "random, 2^n - 1 units", "random, 2^n units"],
              [[r["n"], r["required"], r["construction"], r["bias"], _vanishing(r["vanishing"]),
                "yes" if r["applies"] else "no", r["one_short"], r["random_full_width"]] for r in rows],
              formats=["d", "d", "d", ".3g", "", "", "d", "d"]),
        Table(f"Certificate hypotheses of bias-free units sigma(b + w.x): c_k(b) = 0 for k <= {cases[0]['degree']}",
              ["activation", "bias b", "vanishing c_k(b)", "certificate covers n <="],
              [[c["activation"], c["bias"], _vanishing(c["vanishing"]), covered(c)] for c in cases],
              formats=["", ".3g", "", "d"]),
        Table("Where the hypotheses fail: the folded sign-sum (2^(n-1) units)",
              ["activation", "bias", "n", "units", "rank of A", "needed (2^n)", "hypotheses hold",
               "Taylor residual", "same layer, exp: residual", "error slope in lambda"],
              [[f["activation"], f["bias"], f["n"], f["units"], f["rank"], f["required"],
                "yes" if f["applies"] else "no", f["residual"], f["same_layer_exp_residual"], f["slope"]]
               for f in folded], formats=["", ".3g", "d", "d", "d", "d", "", ".2g", ".2g", ".3f"]),
    ]


def grid_tables(grids: dict, controls: dict, oracles: list[dict]) -> list[Table]:
    """grids/controls: {(n, domain, activation): [CellResult]}; oracles: rows of the oracle trials."""
    heat, stars, tapered = [], [], []
    for (n, domain, act), cells in sorted(grids.items()):
        for k in depths(cells):
            row = {c.neurons: c.median for c in cells if c.depth == k and c.shape == "even"}
            heat.append([n, domain, act, k, *[row.get(N) for N in _totals(grids)]])
            stars.append([n, domain, act, k, depth_k_bound(n, k)[0] if k <= n else None,
                          *[n_star(cells, k, eps) for eps in EPS_LEVELS]])
        for c in (c for c in cells if c.shape == "tapered"):
            even = [e for e in cells if e.shape == "even" and e.depth == c.depth and e.neurons >= c.neurons]
            tapered.append([n, domain, act, str(c.widths), c.neurons, c.median,
                            min(even, key=lambda e: e.neurons).median if even else None])
    control_rows = []
    for key, cells in sorted(controls.items()):
        single = {(c.depth, c.neurons): c for c in grids[key]}
        control_rows += [[*key, c.depth, c.neurons, single[(c.depth, c.neurons)].median, c.median] for c in cells]
    totals = _totals(grids)
    tables = [
        Table("Median test error over seeds (relative to the best constant; 1 = no better than a constant) by depth k "
              "and total hidden neurons N", ["n", "domain", "activation", "k", *[f"N = {N}" for N in totals]], heat,
              formats=["d", "", "", "d", *[".3f"] * len(totals)]),
        Table("N*(k; eps): fewest total neurons at which half the seeds reach eps, against the construction "
              "depth_k_bound(n, k)", ["n", "domain", "activation", "k", "depth_k_bound",
                                      *[f"N* at {eps:g}" for eps in EPS_LEVELS]], stars,
              formats=["d", "", "", "d", "d", "d", "d", "d"]),
        Table("The product tree's shape (widths 2n, n, n/2, ...) against the next even split of at least as many "
              "neurons at the same depth", ["n", "domain", "activation", "widths", "N", "median error",
                                            "even split: median error"], tapered,
              formats=["d", "", "", "", "d", ".3f", ".3f"]),
        Table("Budget control: boundary cells trained with twice the steps (same models, same batches)",
              ["n", "domain", "activation", "k", "N", "median error", "with 2x steps"], control_rows,
              formats=["d", "", "", "d", "d", ".3f", ".3f"]),
    ]
    if oracles:
        tables.append(Table(
            "Existence oracles: constructed networks evaluated on the grid's test sets (float64 and float32 builds), "
            "then trained from their own weights with the grid's budget",
            ["n", "domain", "network", "depth", "neurons", "widths", "error (float64)", "error (float32)",
             "after training"],
            [[o["n"], o["domain"], o["name"], o["depth"], o["neurons"], str(tuple(o["widths"])),
              o["error_float64"], o["error_float32"], o["trained_error"]] for o in oracles],
            formats=["d", "", "", "d", "d", "", ".2g", ".2g", ".2g"]))
    return tables


def equal_error_table(grids: dict) -> Table:
    rows = []
    for (n, domain, act), cells in sorted(grids.items()):
        e = equal_error(cells)
        rows.append([n, domain, act, e.largest, e.shallow_error, e.shallow_first, e.deep_match, e.deep_depth,
                     e.shallow_match, e.ratio, "yes" if e.ratio_is_lower_bound else "no"])
    return Table("Equal error: the fewest total neurons at which a deep network matches shallow's error at the "
                 "largest N (if none does: the fewest at which shallow matches the best deep error there); 'shallow "
                 "first there' < largest N means shallow's error did not improve with width within the budget",
                 ["n", "domain", "activation", "largest N", "shallow error there", "shallow first there",
                  "deep N matching it", "at depth", "shallow N matching deep", "N ratio", "ratio is a lower bound"],
                 rows, formats=["d", "", "", "d", ".3f", "d", "d", "d", "d", ".2f", ""])


def _totals(grids: dict) -> list[int]:
    return sorted({c.neurons for cells in grids.values() for c in cells if c.shape == "even"})


def construction_figure(construction, errors) -> FigureSpec:
    ns = [r["n"] for r in construction]
    counts = Panel("Neurons to multiply n inputs (constructed)", "n", "hidden neurons", yscale="log",
                   series=[Series("shallow: 2^n", ns, [r["shallow_neurons"] for r in construction],
                                  style={"marker": "o"}),
                           Series("deep: 4(n-1)", ns, [r["deep_neurons"] for r in construction],
                                  style={"marker": "s"})])
    shallow_err = Panel("Shallow 2^n construction: error against scale", "scale lambda", "max |error| on [-1,1]^n",
                        xscale="log", yscale="log",
                        series=[Series(f"n = {c['n']}", c["values"], c["errors"], style={"marker": "."})
                                for c in errors["shallow"]])
    return FigureSpec("construction", "By construction: 2^n neurons in one hidden layer against 4(n - 1) in a tree; "
                      "the shallow network converges like lambda^2.", [counts, shallow_err], columns=2)


def heatmap_figure(grids: dict, oracles: list[dict]) -> FigureSpec:
    """Rolnick & Tegmark's Fig. 2 with numbers: median error over depth x log2(total neurons), per task."""
    panels = []
    totals = _totals(grids)
    logs = [math.log2(N) for N in totals]
    for (n, domain, act), cells in sorted(grids.items()):
        ks = depths(cells)
        image = [[next((c.median for c in cells if c.depth == k and c.neurons == N and c.shape == "even"), math.nan)
                  for N in totals] for k in ks]
        image = [[min(v, 1.0) for v in row] for row in image]  # 1 = no better than a constant
        bound = [(math.log2(depth_k_bound(n, k)[0]), k) for k in ks if k <= n]
        panel = Panel(f"n = {n}, {domain}, {act}: median error", "log2 N (total hidden neurons)", "depth k",
                      image=image, image_extent=(logs[0] - 0.5, logs[-1] + 0.5, ks[0] - 0.5, ks[-1] + 0.5),
                      series=[Series("depth_k_bound(n, k)", [b[0] for b in bound], [b[1] for b in bound],
                                     style={"color": "w", "marker": "o", "linestyle": "--"})])
        mine = [o for o in oracles if o["n"] == n and o["domain"] == domain]
        if mine:
            panel.series.append(Series("constructed (oracles)", [math.log2(o["neurons"]) for o in mine],
                                       [o["depth"] for o in mine], kind="scatter",
                                       style={"color": "r", "marker": "x", "s": 40}))
        panels.append(panel)
    return FigureSpec("depth_size_grid", "Error of trained networks over depth and total hidden neurons (median over "
                      "seeds; 1 = a constant); white: the construction's fewest neurons per depth, red: constructed "
                      "networks that reach ~1e-5 at their size.", panels, columns=2)


def n_star_figure(grids: dict) -> FigureSpec:
    panels = []
    for (n, domain, act), cells in sorted(grids.items()):
        ks = depths(cells)
        panel = Panel(f"n = {n}, {domain}, {act}: N*(k)", "depth k", "total hidden neurons", yscale="log",
                      series=[Series("depth_k_bound(n, k)", [k for k in ks if k <= n],
                                     [depth_k_bound(n, k)[0] for k in ks if k <= n],
                                     style={"color": "k", "linestyle": ":"})])
        for eps in EPS_LEVELS:
            points = [(k, n_star(cells, k, eps)) for k in ks]
            points = [p for p in points if p[1] is not None]
            if points:
                panel.series.append(Series(f"N* at eps = {eps:g}", [p[0] for p in points], [p[1] for p in points],
                                           style={"marker": "o"}))
        shallow = sorted((c for c in cells if c.depth == 1 and c.shape == "even"), key=lambda c: c.neurons)
        if shallow:
            target, largest = shallow[-1].median, shallow[-1].neurons
            matched = [(k, min((c.neurons for c in cells if c.depth == k and c.shape == "even"
                                and c.neurons <= largest and c.median <= target), default=None)) for k in ks]
            matched = [m for m in matched if m[1] is not None]
            panel.series.append(Series(f"N matching shallow's error at N = {largest} ({target:.2f})",
                                       [m[0] for m in matched], [m[1] for m in matched],
                                       style={"marker": "s", "linestyle": "--", "color": "tab:gray"}))
        panels.append(panel)
    return FigureSpec("n_star", "N*(k; eps), the fewest total hidden neurons at which half the seeds reach eps, "
                      "against the construction's depth_k_bound(n, k) (a missing point was not reached in the grid); "
                      "grey: the fewest neurons at which depth k matches the shallow network's error at the largest "
                      "N (the equal-error form).", panels, columns=2)
