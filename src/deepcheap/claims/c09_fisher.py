"""C09, part A/B of issue 20: which couplings' information coarse-graining keeps, exactly, for a Gaussian field.

The exact Fisher information F_ii about y0 (relevant), y1 (marginal) and y2 (irrelevant) of a Gaussian field near the
massless point (:mod:`deepcheap.renormalization.fisher`), level after level, for rules that all keep (L / 2^l)^2
numbers: block averaging, decimation, sites at random positions, and two unsupervised filters learned from the field
(PCA, and RSMI, :mod:`deepcheap.renormalization.unsupervised`). The trials, the predictions (written before the run)
and the checks; C09 (:mod:`deepcheap.claims.c09_renormalization`) gathers them.
"""

from __future__ import annotations

import math

import numpy as np

from deepcheap.claims.base import Trial
from deepcheap.claims.c09_report import fisher_ratios
from deepcheap.claims.checks import Check, fmt
from deepcheap.errors import InvalidArgumentError
from deepcheap.renormalization import GaussianField
from deepcheap.renormalization.fisher import (
    dense_filter_fisher,
    filters_fisher,
    fine_fisher,
    fisher_flow,
    low_pass_fisher,
    near_massless_point,
    random_sites_fisher,
)
from deepcheap.seeds import derive_seed, numpy_generator

ID = "C09"
# Issue 20's prediction, its numbers copied unchanged from the issue's text: "at equal compression, block
# averaging keeps y0's information within 2x of the other rules but >= 10x less of y2's by l = 3, and its
# exponents are ordered by relevance (y0 > y1 > y2)". F_ii is the Fisher information about y_i alone.
FISHER_LEVEL = 3  # "by l = 3"
Y0_WITHIN = 2.0  # 1/2 <= F_00(block) / F_00(rule) <= 2 at FISHER_LEVEL
Y2_SEPARATION = 10.0  # F_22(rule) / F_22(block) >= this at FISHER_LEVEL
ORDER_GAP = 0.0  # min over levels of min(x_0 - x_1, x_1 - x_2) for block averaging's exponents: above this
PREDICTED_ORDER_GAP = 2.0  # asymptotic mode counting: exponents 0, -2, -6 per level, gaps 2 and 4
UNSUPERVISED = ("pca", "rsmi")  # learned rules: their two ratios are caveat measurements (see the docstring)
ALIAS_DENSE_TOLERANCE = 1e-10  # relative, alias sums against dense covariance matrices
FISHER_DPI_SLACK = 1e-12  # relative: F_ii(l + 1) <= F_ii(l) (1 + this) for deterministic rules


def fisher_trials(config) -> list[Trial]:
    """One trial per rule (the Fisher flow at ``config.fisher_L``) and one alias-vs-dense identity trial."""
    if config.fisher_levels < FISHER_LEVEL or "block" not in config.fisher_rules:
        raise InvalidArgumentError(f"the Fisher predictions compare rules with block averaging at level {FISHER_LEVEL}:"
                                   f" use fisher_levels >= {FISHER_LEVEL} and keep 'block' in fisher_rules.")
    b = config.block
    rsmi = {"buffer": config.fisher_buffer, "ring": config.fisher_ring}
    d = config.fisher_draws  # per level; the last entry repeats for deeper levels
    draws = [d[min(lv, len(d) - 1)] for lv in range(config.fisher_levels)]
    out = [Trial(ID, f"fisher-{rule}", {"kind": "fisher", "rule": rule, "L": config.fisher_L, "b": b,
                                        "levels": config.fisher_levels,
                                        "couplings": list(near_massless_point(config.fisher_L)),
                                        "draws": draws, **rsmi})
           for rule in config.fisher_rules]
    out.append(Trial(ID, "fisher-dense", {"kind": "fisher-dense", "L": config.fisher_dense_L, "b": b,
                                          "levels": config.fisher_dense_levels,
                                          "couplings": list(near_massless_point(config.fisher_dense_L)), **rsmi}))
    return out


def fisher_trial(params: dict, seed: int) -> dict:
    field = GaussianField(params["L"], tuple(params["couplings"]))
    flow = fisher_flow(field, params["rule"], params["b"], params["levels"], seed=seed, draws=params["draws"],
                       buffer=params["buffer"], ring=params["ring"])
    out = _finite(flow.to_dict())
    if params["rule"] == "block":  # the mode-counting model of the prediction, summed on the lattice
        out["low_pass"] = [np.diag(low_pass_fisher(field, params["b"], lv)).tolist()
                           for lv in range(params["levels"] + 1)]
    return out


def fisher_dense_trial(params: dict, seed: int) -> dict:
    """Alias-sum Fisher matrices against explicit dense matrices, per rule and a generic filter (small L)."""
    field, b, levels = GaussianField(params["L"], tuple(params["couplings"])), params["b"], params["levels"]
    generic = numpy_generator(derive_seed(seed, "generic")).normal(size=(b, b))
    flows = {rule: fisher_flow(field, rule, b, levels, buffer=params["buffer"], ring=params["ring"])
             for rule in ("block", "decimation", "pca", "rsmi")}
    pairs = {rule: (f.matrices, dense_filter_fisher(field, f.filters[1:])) for rule, f in flows.items()}
    chain = [generic] * levels
    pairs["generic filter"] = (filters_fisher(field, chain), dense_filter_fisher(field, chain))
    pairs["all sites (random, level 0)"] = ([fine_fisher(field)],
                                            [random_sites_fisher(field, params["L"] ** 2, derive_seed(seed, "all"))])
    deviation = {k: float(max(np.max(np.abs(a / d - 1)) for a, d in zip(*v, strict=True))) for k, v in pairs.items()}
    return {"L": params["L"], "levels": levels, "generic_filter": generic.tolist(), "deviation": deviation}


def _finite(x):
    """Non-finite floats become None (results.json holds numbers or null)."""
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return None if isinstance(x, float) and not math.isfinite(x) else x


def fisher_checks_of(fisher: dict, dense: dict) -> tuple[list[Check], dict]:
    """Issue 20's predictions (measurements) and the Fisher identities."""
    lv, blk = FISHER_LEVEL, fisher["block"]
    ratios = fisher_ratios(fisher, lv)
    n = blk["sides"][lv] ** 2
    checks = []
    for rule, r in ratios.items():
        caveat = rule in UNSUPERVISED
        d = fisher[rule]["diagonal"][lv]
        checks.append(Check.measurement(
            f"Gaussian Fisher, level {lv} ({n} numbers each): F_00(block) / F_00({rule}), y0 (relevant)", r["y0"],
            predicted=1.0, low=1 / Y0_WITHIN, high=Y0_WITHIN, caveat=caveat,
            detail=f"F_00(block) / F_00({rule}) = {fmt(r['y0'])} at level {lv}: block keeps F_00 = "
                   f"{blk['diagonal'][lv][0]:.5g}, {rule} {d[0]:.5g} (fine field "
                   f"{blk['diagonal'][0][0]:.5g}); predicted: within {Y0_WITHIN:g}x"))
        checks.append(Check.measurement(
            f"Gaussian Fisher, level {lv} ({n} numbers each): F_22({rule}) / F_22(block), y2 (irrelevant)", r["y2"],
            predicted=Y2_SEPARATION, low=Y2_SEPARATION, caveat=caveat,
            detail=f"F_22({rule}) / F_22(block) = {fmt(r['y2'])} at level {lv}: block keeps F_22 = "
                   f"{blk['diagonal'][lv][2]:.4g}, {rule} {d[2]:.4g} (fine field "
                   f"{blk['diagonal'][0][2]:.4g}); predicted: block keeps >= {Y2_SEPARATION:g}x less"
                   + ("; a learned, unsupervised rule: a caveat" if caveat else "")))
    ex = blk["exponents"]
    gaps = [min(x[0] - x[1], x[1] - x[2]) if None not in x else None for x in ex]
    checks.append(Check.measurement(
        f"block averaging: min over levels 1-{len(ex)} of the gaps between Fisher exponents (y0 > y1 > y2)",
        None if None in gaps else min(gaps), predicted=PREDICTED_ORDER_GAP, low=ORDER_GAP,
        detail="exponents log_2 F_ii(l) / F_ii(l - 1) per level: "
               + "; ".join("(" + ", ".join(f"{v:+.2f}" for v in x) + ")" for x in ex if None not in x)))
    worst = max(dense["deviation"].values())
    checks.append(Check.identity(
        f"Gaussian Fisher: alias sums against dense covariance matrices (L = {dense['L']}, levels 0-"
        f"{dense['levels']}), max relative difference", worst, high=ALIAS_DENSE_TOLERANCE,
        detail=", ".join(f"{k} {v:.2g}" for k, v in dense["deviation"].items())))
    rises = []
    for rule, f in fisher.items():
        d = f["diagonal"]
        for lv in range(1, len(d)):
            ref = d[0] if rule == "random" else d[lv - 1]  # random sites are a subset of the fine lattice only
            rises += [f"{rule} level {lv} y{i}" for i in range(3) if d[lv][i] > ref[i] * (1 + FISHER_DPI_SLACK)]
    checks.append(Check.identity("Gaussian Fisher: levels where F_ii increases (data processing)", len(rises),
                                 high=0, detail="; ".join(rises)))
    if "rsmi" in fisher:
        gain = min(g["objective"] - g["uniform_objective"] for g in fisher["rsmi"]["learned"] if g is not None)
        checks.append(Check.identity("RSMI: min over levels of rho^2(learned filter) - rho^2(block filter)", gain,
                                     low=-1e-12, detail="the generalised eigenvector is the optimum"))
    return checks, ratios
