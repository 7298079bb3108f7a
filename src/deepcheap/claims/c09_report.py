"""C09's reading of its trial records as tables, figures and notes (data for the report: numbers with formats,
panels as data, notes computed from the numbers)."""

from __future__ import annotations

import math

import numpy as np

from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.renormalization import COARSE_GRAININGS
from deepcheap.renormalization.fisher import PREDICTED_BLOCK_EXPONENTS

FISHER_STYLES = {"block": {"color": "C0", "marker": "o", "linewidth": 5, "alpha": 0.45, "markersize": 10},
                 "decimation": {"color": "C1", "marker": "s"},
                 "random": {"color": "C2", "marker": "^"},
                 "pca": {"color": "C3", "marker": "x", "linestyle": "--", "markersize": 9},
                 "rsmi": {"color": "C4", "marker": "+", "linestyle": "-.", "markersize": 12}}
SAME_FILTER = 1e-6  # |cosine - 1| and relative Fisher difference below this: "the same as block averaging"
NAMES = ("y0", "y1", "y2")


def fisher_ratios(fisher: dict, level: int) -> dict:
    """Per rule other than block: F_00(block) / F_00(rule) and F_22(rule) / F_22(block) at ``level``
    (None where a value is missing or zero)."""
    blk = fisher["block"]["diagonal"][level]

    def ratio(a, b):
        return a / b if a is not None and b else None

    return {rule: {"y0": ratio(blk[0], f["diagonal"][level][0]), "y2": ratio(f["diagonal"][level][2], blk[2])}
            for rule, f in fisher.items() if rule != "block"}


def same_as_block(fisher: dict, rule: str) -> tuple[float, float]:
    """(max |cosine - 1| over levels, max relative difference of F_ii from block averaging's)."""
    f, blk = fisher[rule], fisher["block"]
    cos = max((abs(c - 1) for c in f["cosines"] if c is not None), default=math.inf)
    diff = float(np.max(np.abs(np.array(f["diagonal"]) / np.array(blk["diagonal"]) - 1)))
    return cos, diff


def tables(flows, ising, exact, counter, fisher, dense, config) -> list[Table]:
    flow_rows = []
    for f in flows:
        for lv, e in enumerate(f["exact"], start=1):
            s = f["sampled"][lv - 1] if lv <= len(f["sampled"]) else [None] * 3
            x = f["sampled_exponents"][lv - 1] if lv <= len(f["sampled_exponents"]) else None
            flow_rows.append([f"y{f['i']}", lv, config.block**lv, *e, *s, f["exact_exponents"][lv - 1], x,
                              f["paper_exponent"]])
    flow = Table("Gaussian coupling flow: unit coupling y_i, coarse couplings (y0', y1', y2') after block averaging",
                 ["input", "level", "block", "exact y0'", "exact y1'", "exact y2'", "sampled y0'", "sampled y1'",
                  "sampled y2'", "exact exponent", "sampled exponent", "closed form 2 - 2i"], flow_rows,
                 formats=["", "d", "d", "+.4g", "+.4g", "+.4g", "+.4g", "+.4g", "+.4g", "+.3f", "+.3f", "+d"])
    sampled = Table(f"Ising {ising['L']}x{ising['L']}, T = {ising['temperatures'][0]:.3f} vs "
                    f"{ising['temperatures'][1]:.3f}: temperature classifier per RG level (test half)",
                    ["coarse-graining", "level", "lattice side", "accuracy", "1 - cross-entropy (bits)"],
                    [[rule, r["level"], r["side"], r["accuracy"], r["information_bits"]]
                     for rule, rows in ising["rules"].items() for r in rows], formats=["", "d", "d", ".3f", ".3f"])
    ex = Table(f"Exact {exact['L']}x{exact['L']} Ising (all states enumerated), T = {exact['temperatures'][0]:.3f} "
               f"vs {exact['temperatures'][1]:.3f}; random: the average over every choice of positions",
               ["coarse-graining", "level", "spins", "I(T; coarse) bits", "Bayes accuracy"],
               [[rule, lv, exact["spins"][lv], exact["bits"][rule][lv], exact["bayes_accuracy"][rule][lv]]
                for rule in exact["bits"] for lv in range(len(exact["bits"][rule]))],
               formats=["", "d", "d", ".4f", ".4f"])
    cx = Table(f"The v1 counterexample on a {config.counter_L}x{config.counter_L} Ising lattice, "
               f"K(y) = {config.counter_field} sum y",
               ["T", "ln Z", "ln Z_joint", "TV(y-marginal, p)", "KL (nats)", "TV(y'-marginal, p)",
                "spread of ln Tr_y' e^T"],
               [[r["T"], r["log_Z"], r["log_Z_joint"], r["tv_marginal"], r["kl_marginal"], r["tv_other_marginal"],
                 r["trace_spread"]] for r in counter["rows"]],
               formats=[".3f", ".12f", ".12f", ".3f", ".3f", ".1g", ".3g"])
    return [flow, *fisher_tables(fisher, dense), sampled, ex, cx]


def fisher_tables(fisher: dict, dense: dict) -> list[Table]:
    blk = fisher["block"]
    L, y = blk["sides"][0], blk["couplings"]
    where = f"L = {L}, (y0, y1, y2) = ({y[0]:.4g}, {y[1]:g}, {y[2]:g})"
    rows = []
    for rule, f in fisher.items():
        for lv, side in enumerate(f["sides"]):
            x = f["exponents"][lv - 1] if lv else [None] * 3
            rows.append([rule, lv, side, *f["diagonal"][lv], *f["retained"][lv], *x, *f["marginal"][lv],
                         f["cosines"][lv]])
    main = Table(f"Gaussian field, {where}: Fisher information F_ii about each coupling kept at level l "
                 "((L / 2^l)^2 numbers for every rule); retained F_ii(l) / F_ii(0); exponents log_2 F_ii(l) / "
                 "F_ii(l - 1); marginal 1 / (F^-1)_ii (the other couplings unknown); |cosine| of the filter with "
                 "the block average",
                 ["rule", "level", "side", "F_00", "F_11", "F_22", "kept y0", "kept y1", "kept y2", "exp y0",
                  "exp y1", "exp y2", "marginal y0", "marginal y1", "marginal y2", "cosine to block"], rows,
                 formats=["", "d", "d", ".4g", ".4g", ".4g", ".3g", ".3g", ".3g", "+.3f", "+.3f", "+.3f", ".4g",
                          ".4g", ".4g", ".6f"])
    levels = len(blk["sides"]) - 1
    ratio_rows = [[rule, lv, r["y0"], r["y2"]] for lv in range(1, levels + 1)
                  for rule, r in fisher_ratios(fisher, lv).items()]
    ratios = Table(f"Equal compression, {where}: block averaging against each rule",
                   ["rule", "level", "F_00(block) / F_00(rule)", "F_22(rule) / F_22(block)"], ratio_rows,
                   formats=["", "d", ".3f", ".3g"])
    model = blk.get("low_pass")
    exp_rows = []
    if model is not None:
        mx = np.log(np.array(model)[1:] / np.array(model)[:-1]) / math.log(blk["b"])
        exp_rows = [[lv, *blk["exponents"][lv - 1], *mx[lv - 1].tolist(), *PREDICTED_BLOCK_EXPONENTS]
                    for lv in range(1, levels + 1)]
    exps = Table("Block averaging: exact exponents log_2 F_ii(l) / F_ii(l - 1), the mode-counting model (an ideal "
                 "low-pass filter, summed on the lattice) and the asymptotic prediction",
                 ["level", "exact y0", "exact y1", "exact y2", "model y0", "model y1", "model y2", "asymptotic y0",
                  "asymptotic y1", "asymptotic y2"], exp_rows, formats=["d", *["+.3f"] * 9])
    b = blk["b"]
    learned = Table("Learned filters (unit norm, non-negative sum; PCA objective: top variance share; RSMI: rho^2 "
                    "with the environment), against the same objective for the uniform block average",
                    ["rule", "level", *[f"w{u}{v}" for u in range(b) for v in range(b)], "cosine to block",
                     "objective", "objective of block", "second / top eigenvalue"],
                    [[rule, lv, *np.ravel(f["filters"][lv]).tolist(), f["cosines"][lv], g["objective"],
                      g["uniform_objective"], g["second_ratio"]]
                     for rule, f in fisher.items() for lv, g in enumerate(f["learned"]) if g is not None],
                    formats=["", "d", *["+.4f"] * b**2, ".6f", ".4f", ".4f", ".3f"])
    check = Table(f"Alias sums against dense covariance matrices (L = {dense['L']}, levels 0-{dense['levels']}): "
                  "max relative difference of the Fisher matrix",
                  ["rule", "max relative difference"], [[k, v] for k, v in dense["deviation"].items()],
                  formats=["", ".2g"])
    return [main, ratios, exps, learned, check]


def notes(exact, fisher, check_level: int, y0_within: float, y2_separation: float, config) -> list[str]:
    maj, dec, ran = (exact["bits"][r][1] for r in COARSE_GRAININGS)
    lo, hi = exact["random_range"][0]
    verdict_note = ("Majority rule keeps less information about T than spins at random positions: the prediction "
                    "that RG's block spins keep the relevant information better than a geometry-free choice fails "
                    "on this lattice." if maj < ran else
                    "Majority rule keeps at least as much information about T as spins at random positions.")
    return [
        f"On the exact {exact['L']}x{exact['L']} lattice, with 4 of 16 spins kept, I(T; coarse) is {maj:.4f} bits "
        f"for majority rule, {dec:.4f} for decimation and {ran:.4f} on average for spins at random positions "
        f"(from {lo:.4f} to {hi:.4f} over the choices), of {exact['bits']['majority'][0]:.4f} bits in the full "
        f"configuration. {verdict_note} A 4x4 lattice is tiny (majority ties are broken by one spin); the Gaussian "
        "Fisher information below tests the same question at scale, exactly.",
        *fisher_notes(fisher, check_level, y0_within, y2_separation),
        "The sampled classifier sees (e, |m|, m^2) of the coarse lattice and their products; for spins at random "
        "positions the nearest-neighbour product e has no geometry to use, so those accuracies favour the geometric "
        "rules by the choice of features and are shown as data, not as evidence.",
        "Exponents are read off one unit coupling at a time; the linearised flow is triangular (block averaging "
        "generates y2' from y1 and y1' from y0, never the reverse at low k), so these diagonal entries are its "
        f"eigenvalues. The fit uses coarse modes with K^2 <= {config.flow_window:g} and includes a K^6 term, "
        "which block averaging generates. The exponents 2 - 2i are the closed form of a free field: identities.",
        "The counterexample's coupling operator T(y, y') = -H(y, y') + H(y) violates the trace condition "
        "Tr_y' e^T = 1 (Mehta and Schwab's reply): ln Tr_y' e^T = ln Z - K(y) - ln Z~ varies over y.",
    ]


def _join(parts: list[str]) -> str:
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)


def fisher_notes(fisher: dict, level: int, y0_within: float, y2_separation: float) -> list[str]:
    blk = fisher["block"]
    ex = np.array(blk["exponents"])
    levels = len(blk["sides"]) - 1
    per = "; ".join(f"{NAMES[i]} " + ", ".join(f"{x:+.2f}" for x in ex[:, i]) for i in range(3))
    ordered = bool(np.all(ex[:, 0] > ex[:, 1]) and np.all(ex[:, 1] > ex[:, 2]))
    out = [f"Block averaging near the massless point (L = {blk['sides'][0]}): Fisher exponents per level {per} "
           f"(levels 1-{levels}); mode counting predicts {PREDICTED_BLOCK_EXPONENTS[0]:+g}, "
           f"{PREDICTED_BLOCK_EXPONENTS[1]:+g}, {PREDICTED_BLOCK_EXPONENTS[2]:+g} asymptotically, approached slowly "
           "because with y1 = y2 the crossover k^2 = y1 / y2 = 1 is at the lattice scale. The exponents are "
           + ("ordered by relevance (y0 > y1 > y2) at every level." if ordered else
              "NOT ordered by relevance at every level.")]
    r = fisher_ratios(fisher, level)
    others = [k for k in r if k not in ("pca", "rsmi")]
    if others:
        y0 = [f"{k} {r[k]['y0']:.2f}" for k in others]
        y2 = [f"{k} {r[k]['y2']:.3g}x" for k in others]
        met = [k for k in others if r[k]["y2"] is not None and r[k]["y2"] >= y2_separation]
        y0_ok = all(r[k]["y0"] is not None and 1 / y0_within <= r[k]["y0"] <= y0_within for k in others)
        deep = fisher_ratios(fisher, levels)
        text = (f"At equal compression, level {level}: F_00(block) / F_00(rule) = {_join(y0)} "
                f"({'within' if y0_ok else 'NOT within'} the predicted {y0_within:g}x); F_22(rule) / F_22(block) "
                f"= {_join(y2)} (predicted >= {y2_separation:g}x: "
                + ("met by every rule" if len(met) == len(others) else
                   f"met by {len(met)} of {len(others)}" + (f" ({_join(met)})" if met else "")) + "). ")
        text += (f"By level {levels} the y2 ratios are " + _join([f"{k} {deep[k]['y2']:.3g}x" for k in others])
                 + ": block averaging discards the irrelevant coupling's information "
                 + ("faster, level after level, but more slowly than the prediction assumed."
                    if len(met) < len(others) else "faster, level after level."))
        out.append(text)
    learned = [k for k in ("pca", "rsmi") if k in fisher]
    if learned:
        same = {k: same_as_block(fisher, k) for k in learned}
        if all(c <= SAME_FILTER and d <= SAME_FILTER for c, d in same.values()):
            out.append(
                f"{_join([k.upper() for k in learned])} recover block averaging: at every level the learned 2x2 "
                "filter is the uniform one (max |cosine - 1| "
                + ", ".join(f"{same[k][0]:.1g}" for k in learned) + "; Fisher numbers equal to block's within "
                + ", ".join(f"{same[k][1]:.1g}" for k in learned) + " relative). In this model the data do not "
                "support 'RG is not unsupervised learning': an unsupervised rule (largest variance, or largest "
                "mutual information with the environment) finds block averaging's coarse variable and keeps the "
                "same information about every coupling. (For a square block of an isotropic field the uniform "
                "filter is an eigenvector by symmetry; the measurements say it is the top one.)")
        else:
            for k in learned:
                f = fisher[k]
                out.append(f"{k.upper()} differs from block averaging (max |cosine - 1| {same[k][0]:.3g}, max "
                           f"relative Fisher difference {same[k][1]:.3g}): at level {level} it keeps F_00 = "
                           f"{f['diagonal'][level][0]:.4g}, F_22 = {f['diagonal'][level][2]:.4g} against block's "
                           f"{blk['diagonal'][level][0]:.4g} and {blk['diagonal'][level][2]:.4g}.")
    m_blk = blk["marginal"][level]
    marg = [f"{k} {fisher[k]['marginal'][level][2] / m_blk[2]:.3g}x" for k in others if m_blk[2] > 0]
    if marg:
        out.append(f"With the other couplings unknown (marginal information 1 / (F^-1)_22), the level-{level} y2 "
                   f"ratios to block averaging are {_join(marg)} (shown, not checked).")
    return out


def figures(flows, ising, exact, fisher) -> list[FigureSpec]:
    flow = Panel("Gaussian coupling flow", "RG level (block b^level)", "y_i' / y_i", yscale="log")
    for f in flows:
        i, c = f["i"], f"C{f['i']}"
        lv_e = list(range(0, len(f["exact"]) + 1))
        flow.series.append(Series(f"y{i} exact", lv_e, [1.0] + [r[i] for r in f["exact"]],
                                  style={"color": c, "marker": "o"}))
        flow.series.append(Series(f"y{i} sampled", list(range(1, len(f["sampled"]) + 1)),
                                  [r[i] for r in f["sampled"]], kind="scatter",
                                  style={"color": c, "marker": "x", "s": 70}))
        flow.series.append(Series(f"b^({2 - 2 * i} level)", lv_e, [2.0 ** ((2 - 2 * i) * lv) for lv in lv_e],
                                  style={"color": c, "linestyle": ":"}))
    acc = Panel(f"Ising {ising['L']}x{ising['L']}: temperature accuracy per RG level", "RG level", "test accuracy",
                hlines=[(0.5, "chance")])
    info = Panel(f"Exact {exact['L']}x{exact['L']} Ising: I(T; coarse)", "RG level", "bits")
    for j, rule in enumerate(COARSE_GRAININGS):
        rows = ising["rules"][rule]
        acc.series.append(Series(rule, [r["level"] for r in rows], [r["accuracy"] for r in rows],
                                 style={"color": f"C{j}", "marker": "o"}))
        bits = exact["bits"][rule]
        info.series.append(Series(rule, list(range(len(bits))), bits, style={"color": f"C{j}", "marker": "o"}))
    return [
        FigureSpec("coupling_flow", "Block averaging a Gaussian field: couplings y_i scale as b^(2 - 2i) (dotted), "
                   "exact (lines) and fitted from samples (crosses).", [flow], columns=1),
        fisher_figure(fisher),
        FigureSpec("ising_rg_information", "Information about temperature surviving each RG level: sampled "
                   "(classifier accuracy) and exact (mutual information on 4x4; random: averaged over every "
                   "choice of positions).", [acc, info]),
    ]


def fisher_figure(fisher: dict) -> FigureSpec:
    blk = fisher["block"]
    b, levels = blk["b"], list(range(len(blk["sides"])))
    panels = []
    for i in range(3):
        p = Panel(f"{NAMES[i]}", "RG level l", "F_ii(l) / F_ii(0)", yscale="log")
        for rule, f in fisher.items():
            p.series.append(Series(rule, levels, [r[i] for r in f["retained"]], style=FISHER_STYLES.get(rule, {})))
        if blk.get("low_pass") is not None:
            model = [r[i] / blk["low_pass"][0][i] for r in blk["low_pass"]]
            p.series.append(Series("mode counting (ideal low-pass)", levels, model,
                                   style={"color": "0.5", "linestyle": "--"}))
        p.series.append(Series(f"predicted slope b^({PREDICTED_BLOCK_EXPONENTS[i]:+g} l)", levels,
                               [float(b) ** (PREDICTED_BLOCK_EXPONENTS[i] * lv) for lv in levels],
                               style={"color": "k", "linestyle": ":"}))
        p.legend = i == 2
        panels.append(p)
    return FigureSpec("fisher_retention", f"Fisher information about each coupling retained at equal compression "
                      f"(L = {blk['sides'][0]}, near the massless point): block averaging, decimation, random sites, "
                      "PCA and RSMI filters; dotted: the asymptotic mode-counting slopes for block averaging; dashed: "
                      "the mode-counting model summed on the lattice.", panels, columns=3)
