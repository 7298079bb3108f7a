"""C09 - Section III E, Eqs. 23-24 (and the v1 appendix): renormalization is distillation toward chosen features.

Computed:

* **Coupling flow.** A Gaussian free field H = sum_k (y0 + y1 k^2 + y2 k^4) |phi_k|^2 on a periodic lattice,
  one coupling at a time; b x b block averaging; the coarse couplings fitted from the block field's
  spectrum, both exact (alias sum) and from samples; fitted exponents x_i = log(y_i' / y_i) / log b
  against 2 - 2i (relevant, marginal, irrelevant).
* **What block spins keep about the temperature.** Exactly, by enumerating every state of a 4 x 4 lattice
  with T uniform over two temperatures either side of T_c: I(T; coarse lattice) for majority rule and
  decimation against the same number of spins at random positions (averaged exactly over every choice).
  Sampled, on a larger lattice: the test accuracy of a logistic classifier of temperature on coarse energy
  and magnetisation features, level after level.
* **The v1 counterexample.** H(y, y') = H(y) + H(y') + K(y) + ln Z~ on a 3 x 3 Ising lattice
  (K = a magnetic field): the same partition function as H(y) at every temperature, yet a different
  marginal: matching Z (and all its derivatives) does not reconstruct p(y).

Roles: the 2 - 2i exponents are the closed form of a Gaussian field's block averaging (identities, exact and
sampled); Z_joint = Z and the changed marginal hold by the counterexample's construction (identities), as
does the data processing inequality along the levels. The statement that carries weight, that RG distils
chosen relevant features, is measured by one prediction written before the run: at equal compression,
geometric block spins (majority rule, decimation) keep at least as much information about the temperature
as spins at random positions. If the exact numbers say otherwise, the verdict is ``fails``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.checks import Check, fmt
from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.errors import InvalidArgumentError
from deepcheap.physics.exact import enumerate_states
from deepcheap.physics.lattice import T_CRITICAL as T_C
from deepcheap.physics.samplers import sample_configurations
from deepcheap.renormalization import (
    COARSE_GRAININGS,
    GaussianField,
    coarse_grained_scores,
    coarse_spectrum,
    counterexample,
    exact_temperature_information,
    fit_couplings,
    flow_exponents,
    sampled_coarse_spectra,
)
from deepcheap.seeds import derive_seed

ID = "C09"
UNIT_COUPLINGS = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))

# Predictions (written before the run; the verdict is computed from these measurements).
# "RG keeps the relevant": at level 1 (4 of 16 spins on the exact 4 x 4 lattice), I(T; block spins) divided
# by the information that as many spins at uniformly random positions keep is at least this (predicted >= 1).
MIN_RATIO_TO_RANDOM = 1.0
RATIO_FLOOR = 1e-9  # bits: below this the random spins keep nothing (one spin: symmetric under a global flip)
# Identity and construction bounds.
EXPONENT_TOLERANCE = 0.15  # |fitted x_i - (2 - 2i)|, sampled fields
EXACT_EXPONENT_TOLERANCE = 0.05  # the same on exact coarse spectra
DPI_SLACK = 1e-12  # exact I(T; level l+1) <= I(T; level l) + this (bits)
Z_TOLERANCE = 1e-12  # |Z_joint / Z - 1| in the counterexample
MIN_MARGINAL_TV = 0.01  # the counterexample's y-marginal differs from p(y) by at least this (total variation)
MIN_LEVEL0_ACCURACY = 0.6  # the fine lattice must carry temperature information for the comparison to mean much


@dataclass(frozen=True)
class Config:
    block: int = 2  # b: blocks of b x b sites
    flow_L: int = 128  # sampled Gaussian fields
    flow_samples: int = 400
    flow_levels: int = 2  # sampled RG levels (coarse lattice L / b^level)
    flow_chunk: int = 50  # fields simulated at a time (memory)
    flow_exact_L: int = 512  # exact coarse spectra (alias sums): cheap at any L
    flow_exact_levels: int = 3
    flow_window: float = 1.0  # fit on coarse modes with 0 < K^2 <= this
    ising_L: int = 32  # sampled Ising configurations
    ising_samples: int = 800  # per temperature
    ising_delta: float = 0.1  # temperatures T_c -/+ this
    classifier_l2: float = 1e-4
    exact_L: int = 4  # every state enumerated
    exact_delta: float = 0.3  # temperatures T_c -/+ this
    counter_L: int = 3
    counter_field: float = 0.5  # K(y) = field * sum of spins
    counter_temperatures: tuple[float, ...] = (1.5, T_C, 3.0)


QUICK = Config()
FULL = Config(flow_L=256, flow_samples=800, flow_levels=3, ising_L=64, ising_samples=4000)


def trials(config: Config) -> list[Trial]:
    b = config.block
    if config.exact_L % b or config.exact_L // b < 2:
        raise InvalidArgumentError(f"exact_L = {config.exact_L} needs a coarse lattice of at least 2x2 blocks of "
                                   f"b = {b}: use exact_L = 4 with block = 2 (enumeration handles L <= 4).")
    out = [Trial(ID, f"flow-y{i}", {"kind": "flow", "couplings": list(y), "b": b, "L": config.flow_L,
                                    "samples": config.flow_samples, "levels": config.flow_levels,
                                    "chunk": config.flow_chunk, "exact_L": config.flow_exact_L,
                                    "exact_levels": config.flow_exact_levels, "window": config.flow_window})
           for i, y in enumerate(UNIT_COUPLINGS)]
    out.append(Trial(ID, "ising-sampled", {
        "kind": "ising", "b": b, "L": config.ising_L, "samples": config.ising_samples, "l2": config.classifier_l2,
        "temperatures": [T_C - config.ising_delta, T_C + config.ising_delta]}))
    out.append(Trial(ID, "ising-exact", {"kind": "ising-exact", "b": b, "L": config.exact_L,
                                         "temperatures": [T_C - config.exact_delta, T_C + config.exact_delta]}))
    out.append(Trial(ID, "counterexample", {"kind": "counterexample", "L": config.counter_L,
                                            "field": config.counter_field,
                                            "temperatures": list(config.counter_temperatures)}))
    return out


def run_trial(params: dict, seed: int) -> dict:
    kind = params["kind"]
    if kind == "flow":
        return _flow_trial(params, seed)
    if kind == "ising":
        return _ising_trial(params, seed)
    if kind == "ising-exact":
        return exact_temperature_information(params["L"], params["temperatures"], b=params["b"]).to_dict()
    states, energies = enumerate_states(params["L"])
    K = params["field"] * states.reshape(len(states), -1).sum(axis=1)
    return {"states": len(states), "rows": [counterexample(energies, K, T).to_dict() for T in params["temperatures"]]}


def _flow_trial(params: dict, seed: int) -> dict:
    y, b, window = tuple(params["couplings"]), params["b"], params["window"]
    i = max(range(3), key=lambda j: y[j])
    exact = [fit_couplings(coarse_spectrum(GaussianField(params["exact_L"], y), b**lv), window)
             for lv in range(1, params["exact_levels"] + 1)]
    spectra = sampled_coarse_spectra(GaussianField(params["L"], y), b, params["levels"], params["samples"], seed,
                                     params["chunk"])
    sampled = [fit_couplings(s, window) for s in spectra[1:]]
    return {"i": i, "couplings": list(y), "exact": [r.tolist() for r in exact],
            "sampled": [r.tolist() for r in sampled], "fine_fit": fit_couplings(spectra[0], window).tolist(),
            "exact_exponents": [_number(flow_exponents(y, r, b**lv)[i]) for lv, r in enumerate(exact, start=1)],
            "sampled_exponents": [_number(flow_exponents(y, r, b**lv)[i]) for lv, r in enumerate(sampled, start=1)],
            "paper_exponent": 2 - 2 * i}


def _ising_trial(params: dict, seed: int) -> dict:
    L, count, temps, b = params["L"], params["samples"], params["temperatures"], params["b"]
    configs = [sample_configurations(L, T, count, derive_seed(seed, "sample", j)) for j, T in enumerate(temps)]
    labels = [j for j in range(len(temps)) for _ in range(count)]
    levels, side = 0, L  # coarse-grain down to a b x b lattice
    while side > b and side % b == 0:
        levels, side = levels + 1, side // b
    scores = coarse_grained_scores(np.concatenate(configs), np.array(labels), b=b, levels=levels,
                                   seed=derive_seed(seed, "classifier"), l2=params["l2"])
    return {"L": L, "samples_per_temperature": count, "temperatures": temps, "levels": levels,
            "rules": {rule: [{"level": lv, "side": L // b**lv, **s.to_dict()} for lv, s in enumerate(rows)]
                      for rule, rows in scores.items()}}


def _number(x) -> float | None:
    """NaN (a coupling that flowed to <= 0) becomes None: results.json holds numbers or null."""
    x = float(x)
    return None if math.isnan(x) else x


def summarize(records: list[dict], config: Config) -> Summary:
    by = {r["trial"]: r["result"] for r in records}
    flows = [by[f"flow-y{i}"] for i in range(3)]
    ising, exact, counter = by["ising-sampled"], by["ising-exact"], by["counterexample"]
    bits = exact["bits"]
    side = exact["L"]
    # None (a failed measurement) where random spins keep nothing at all (a lattice too small to test)
    ratio = {rule: bits[rule][1] / bits["random"][1] if bits["random"][1] > RATIO_FLOOR else None
             for rule in ("majority", "decimation")}
    kept = f"{exact['spins'][1]} of {exact['spins'][0]} spins"
    checks = [
        Check.measurement(
            f"exact {side}x{side} Ising: I(T; {rule} block spins) / I(T; as many random spins), level 1", ratio[rule],
            predicted=MIN_RATIO_TO_RANDOM, low=MIN_RATIO_TO_RANDOM, headline=rule == "majority",
            detail=f"{rule} keeps {bits[rule][1]:.4f} bits about T with {kept}; spins at random positions keep "
                   f"{bits['random'][1]:.4f} on average (range "
                   f"{exact['random_range'][0][0]:.4f}-{exact['random_range'][0][1]:.4f}); predicted: at least as "
                   "much as random")
        for rule in ("majority", "decimation")
    ]
    for f in flows:
        i, target = f["i"], 2 - 2 * f["i"]
        checks.append(Check.identity(
            f"y{i}: fitted exponent from sampled fields (b = {config.block}), closed form 2 - 2i = {target}",
            f["sampled_exponents"][0], low=target - EXPONENT_TOLERANCE, high=target + EXPONENT_TOLERANCE))
        worst = max((abs(e - target) if e is not None else math.inf) for e in f["exact_exponents"])
        checks.append(Check.identity(
            f"y{i}: worst |exponent - (2 - 2i)| on exact coarse spectra, levels 1-{len(f['exact_exponents'])}",
            worst if math.isfinite(worst) else None, high=EXACT_EXPONENT_TOLERANCE))
    dpi = [(rule, lv) for rule, b in bits.items() for lv in range(1, len(b)) if b[lv] > b[lv - 1] + DPI_SLACK]
    rows = counter["rows"]
    checks += [
        Check.identity(f"exact {side}x{side} Ising: levels where I(T; coarse) increases (data processing)", len(dpi),
                       high=0, detail="; ".join(f"{r} level {lv}" for r, lv in dpi)),
        Check.identity("counterexample: max |Z_joint / Z - 1| over temperatures",
                       max(abs(math.expm1(r["log_Z_joint"] - r["log_Z"])) for r in rows), high=Z_TOLERANCE),
        Check.identity("counterexample: min total variation between the y-marginal and p(y)",
                       min(r["tv_marginal"] for r in rows), low=MIN_MARGINAL_TV),
        Check.identity("counterexample: max total variation between the y'-marginal and p(y')",
                       max(r["tv_other_marginal"] for r in rows), high=Z_TOLERANCE),
        Check.construction(f"sampled {ising['L']}x{ising['L']} Ising: level-0 test accuracy (temperatures chosen "
                           "to be distinguishable)", ising["rules"]["majority"][0]["accuracy"],
                           low=MIN_LEVEL0_ACCURACY),
    ]
    metrics = {
        "flow": {f"y{f['i']}": {"sampled_exponents": f["sampled_exponents"], "exact_exponents": f["exact_exponents"],
                                "closed_form": f["paper_exponent"], "sampled_level1": f["sampled"][0],
                                "exact_level1": f["exact"][0]} for f in flows},
        "ising": {rule: [{k: r[k] for k in ("level", "side", "accuracy", "information_bits")} for r in rows_]
                  for rule, rows_ in ising["rules"].items()},
        "ising_exact": exact,
        "ratio_to_random": ratio,
        "counterexample": rows,
    }
    headline = (f"exact {side}x{side} Ising, {kept} kept: I(T; majority) = {bits['majority'][1]:.4f} bits, "
                f"decimation {bits['decimation'][1]:.4f}, random positions {bits['random'][1]:.4f} (predicted: block "
                f"spins >= random; ratios {fmt(ratio['majority'])}, {fmt(ratio['decimation'])}); Gaussian block "
                f"averaging: exponents " + ", ".join(f"{f['sampled_exponents'][0]:+.2f}" for f in flows)
                + " (closed form +2, 0, -2); counterexample keeps Z, changes p(y)")
    return Summary(checks=checks, metrics=metrics, headline=headline, figures=_figures(flows, ising, exact),
                   tables=_tables(flows, ising, exact, counter, config), notes=_notes(exact, config))


def _tables(flows, ising, exact, counter, config: Config) -> list[Table]:
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
    return [flow, sampled, ex, cx]


def _notes(exact, config: Config) -> list[str]:
    maj, dec, ran = (exact["bits"][r][1] for r in COARSE_GRAININGS)
    lo, hi = exact["random_range"][0]
    verdict_note = ("Majority rule keeps less information about T than spins at random positions: the prediction "
                    "that RG's block spins keep the relevant information better than a geometry-free choice fails "
                    "on this lattice." if maj < MIN_RATIO_TO_RANDOM * ran else
                    "Majority rule keeps at least as much information about T as spins at random positions.")
    return [
        f"On the exact {exact['L']}x{exact['L']} lattice, with 4 of 16 spins kept, I(T; coarse) is {maj:.4f} bits "
        f"for majority rule, {dec:.4f} for decimation and {ran:.4f} on average for spins at random positions "
        f"(from {lo:.4f} to {hi:.4f} over the choices), of {exact['bits']['majority'][0]:.4f} bits in the full "
        f"configuration. {verdict_note} This number was explained away in earlier reports; here the prediction "
        "was written first and the verdict follows it. A 4x4 lattice is tiny (majority ties are broken by one "
        "spin); the experiment that tests 'distillation toward chosen features, supervised-like' at scale is "
        "issue 20's.",
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


def _figures(flows, ising, exact) -> list[FigureSpec]:
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
        FigureSpec("ising_rg_information", "Information about temperature surviving each RG level: sampled "
                   "(classifier accuracy) and exact (mutual information on 4x4; random: averaged over every "
                   "choice of positions).", [acc, info]),
    ]


CLAIM = Claim(
    id=ID,
    title="Renormalization is distillation toward chosen features",
    section="III E, Eqs. 23-24",
    statement=("Block averaging a Gaussian field with H = sum (y0 phi^2 + y1 (grad phi)^2 + y2 (lap phi)^2 + ...) "
               "maps y_i -> b^(2-2i) y_i: relevant, marginal and irrelevant couplings. Renormalization distils "
               "chosen (long-wavelength) features, like supervised learning, and is not reconstruction of p: a joint "
               "Hamiltonian can keep Z exactly while changing the marginal (the v1 counterexample)."),
    quick=QUICK,
    full=FULL,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
