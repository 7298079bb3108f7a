"""C09, part C of issue 20: does coarse-graining forget an irrelevant perturbation faster than a relevant one?

Ising ensembles near T_c that differ from the critical one by a relevant perturbation (the temperature) or by a
next-nearest-neighbour coupling with the nearest-neighbour energy matched (its thermal part removed as far as the
energy sees it), sized from level-0 numbers only; distinguishability per coarse-graining level is the test
information (bits) of a small CNN on the whole coarse configuration
(:mod:`deepcheap.renormalization.perturbations`, where the predictions are written). This module builds the trials
and turns the summary into checks, a table and a figure; :mod:`deepcheap.claims.c09_renormalization` gathers them.
"""

from __future__ import annotations

import math

from deepcheap.claims.base import Trial
from deepcheap.claims.checks import Check
from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.renormalization.blockspins import COARSE_GRAININGS
from deepcheap.renormalization.perturbations import (
    CHECKED_IRRELEVANT,
    COMPARISON_LEVEL,
    IRRELEVANT,
    MARGIN,
    MIN_LEVEL0_BITS,
    PERTURBATIONS,
    PerturbationConfig,
    summarize_perturbations,
)

ID = "C09"
LABELS = {"relevant": "relevant (K -> K(1 + eps))", "irrelevant": "nnn k2, <sum_nn> matched",
          "irrelevant_binder": "nnn k2, Binder cumulant matched"}


def perturbation_trials(config) -> list[Trial]:
    """One trial per (L, replicate) of ``config.perturbation_L`` x ``config.perturbation_seeds``."""
    return [Trial(ID, f"perturbations-L{L:02d}-r{r}", {
        "kind": "perturbations", **PerturbationConfig(L=L, n=config.perturbation_n,
                                                      chains=config.perturbation_chains).to_params()})
            for L in config.perturbation_L for r in range(config.perturbation_seeds)]


def perturbation_run(params: dict, seed: int) -> dict:
    """The trial (``params`` without its ``kind``)."""
    from deepcheap.renormalization.perturbations import perturbation_trial

    return perturbation_trial({k: v for k, v in params.items() if k != "kind"}, seed)


def perturbation_summary(records: list[dict]) -> dict | None:
    results = [r["result"] for r in records if r["params"]["kind"] == "perturbations"]
    if not results:
        return None
    out = summarize_perturbations(results)
    # JSON keys; wall-clock seconds stay in the trial records (metrics are deterministic given the seed)
    out["sizes"] = {str(L): {k: v for k, v in s.items() if k != "seconds"} for L, s in out["sizes"].items()}
    return out


def perturbation_checks(summary: dict) -> list[Check]:
    """Per L, for the designated irrelevant ensemble (``CHECKED_IRRELEVANT``): the two measurements of issue 20."""
    lv, checks = COMPARISON_LEVEL, []
    for L, s in summary["sizes"].items():
        c = s["checks"][CHECKED_IRRELEVANT]
        med = s["median"]
        seeds = len(s["seeds"])
        level0 = (f"level-0 bits: relevant {med['relevant']['majority'][0]['bits']:.3f}, irrelevant "
                  f"{med[CHECKED_IRRELEVANT]['majority'][0]['bits']:.3f} (at least {MIN_LEVEL0_BITS:g} each to count)")
        faster, rand = c["irrelevant_faster"], c["majority_faster_than_random"]
        checks.append(Check.measurement(
            f"Ising L = {L}, majority rule: D(level {lv}) / D(0) of the relevant minus the irrelevant perturbation",
            _gap(faster["relevant"], faster["irrelevant"], faster["holds"]), predicted=None, low=MARGIN,
            detail=f"distinguishability (CNN test information, median of {seeds} seed(s)) kept after {lv} block "
                   f"step(s): relevant {_f(faster['relevant'])}, irrelevant {_f(faster['irrelevant'])}; predicted: "
                   f"the irrelevant one drops faster by at least {MARGIN:g}; {level0}"))
        checks.append(Check.measurement(
            f"Ising L = {L}, irrelevant perturbation: D(level {lv}) / D(0) under random spins minus majority rule",
            _gap(rand["random"], rand["majority"], rand["holds"]), predicted=None, low=MARGIN,
            detail=f"the irrelevant perturbation's distinguishability kept after {lv} step(s): majority rule "
                   f"{_f(rand['majority'])}, random spins {_f(rand['random'])}; predicted: majority rule forgets it "
                   f"faster by at least {MARGIN:g}"))
    return checks


def _gap(a: float, b: float, holds) -> float | None:
    """a - b, or None (not measured) where level 0 was too weak to compare (``holds`` is None) or a ratio is NaN."""
    if holds is None or not (math.isfinite(a) and math.isfinite(b)):
        return None
    return a - b


def _f(x: float) -> str:
    return f"{x:.3f}" if math.isfinite(x) else "-"


def perturbation_table(summary: dict) -> Table:
    rows = []
    for L, s in summary["sizes"].items():
        for p in PERTURBATIONS:
            for rule in COARSE_GRAININGS:
                for lv, row in enumerate(s["median"][p][rule]):
                    if lv == 0 and rule != COARSE_GRAININGS[0]:
                        continue  # level 0 is the same lattice for every rule
                    rows.append([int(L), LABELS[p], rule if lv else "(fine lattice)", lv, int(L) // 2**lv,
                                 row["accuracy"], row["bits"], s["ratio"][p][rule][lv]])
    return Table("Ising near T_c: how well a CNN tells each perturbed ensemble from the critical one, per coarse-"
                 "graining level (test set, medians over seeds)",
                 ["L", "perturbation", "rule", "level", "side", "accuracy", "bits", "D(level) / D(0)"], rows,
                 formats=["d", "", "", "d", "d", ".3f", ".3f", ".3f"])


def perturbation_figure(summary: dict) -> FigureSpec:
    panels = []
    styles = {"majority": {"marker": "o"}, "decimation": {"marker": "s", "linestyle": "--"},
              "random": {"marker": "^", "linestyle": ":"}}
    colors = {"relevant": "C0", "irrelevant": "C3", "irrelevant_binder": "C1"}
    for L, s in summary["sizes"].items():
        panel = Panel(f"Ising L = {L}", "coarse-graining level", "test information (bits)")
        for p in PERTURBATIONS:
            for rule in COARSE_GRAININGS:
                rows = s["median"][p][rule]
                panel.series.append(Series(f"{LABELS[p]}, {rule}", list(range(len(rows))),
                                           [r["bits"] for r in rows], style={"color": colors[p], **styles[rule]}))
        panels.append(panel)
    return FigureSpec("ising_perturbations", "Relevant vs irrelevant perturbations of the critical Ising model: the "
                      "information a CNN extracts from the coarse configuration, level after level (colour: "
                      "perturbation; line: rule).", panels, columns=2)


def perturbation_notes(summary: dict) -> list[str]:
    lv, out = COMPARISON_LEVEL, []
    for L, s in summary["sizes"].items():
        r = s["ratio"]
        parts = [f"{LABELS[p]}: majority {_f(r[p]['majority'][lv])}, decimation {_f(r[p]['decimation'][lv])}, "
                 f"random {_f(r[p]['random'][lv])}" for p in PERTURBATIONS]
        out.append(f"Ising L = {L} (eps = {s['eps']:.3g}, k2 = {s['k2']:.3g}): distinguishability kept after {lv} "
                   "block step(s), D(1) / D(0): " + "; ".join(parts) + ".")
    other = [p for p in IRRELEVANT if p != CHECKED_IRRELEVANT]
    out.append(f"The checks use the ensemble designated before the run ({LABELS[CHECKED_IRRELEVANT]}). Matching "
               "<sum_nn> removes the thermal component only as far as the energy sees it: in 2D the energy's "
               "singular part is logarithmic, so the matched ensemble keeps a relevant residual (its |m| and Binder "
               "cumulant differ from the base's at level 0) that no block step removes; the "
               + ", ".join(LABELS[p] for p in other) + " variant (added after seeing level-0 numbers only) puts both "
               "at the same t L and is shown for comparison, not checked.")
    return out
