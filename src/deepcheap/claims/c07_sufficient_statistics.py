"""C07 - Sections III A-C, Theorem 2, Corollary 2: minimal sufficient statistics of a Markov hierarchy compose.

For random discrete chains y_0 -> ... -> y_n (several sizes and depths; some with nuisance variables
injected part-way, the structure that lets the statistics compress), computed exactly:

* T_i, the minimal sufficient statistic of p(y_i | y_n) (values of y_n grouped by equal posterior);
* the maps f_i with T_{i-1} = f_i(T_i), built from the backward kernels as in Theorem 2's proof, and the
  composition (f_0 o ... o f_n)(y_n) of Corollary 2 against p(y_0 | y_n) from enumerating whole paths;
* I(y_i; y_n) against I(y_i; T_i(y_n)) (sufficiency), and the information lost by merging any two
  classes of T_0 (minimality: every coarser statistic loses information);
* the sizes |T_0| <= ... <= |T_{n-1}| <= k_n.
"""

from __future__ import annotations

import itertools

import numpy as np

from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.checks import Check
from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.hierarchy import (
    brute_force_posterior,
    distill,
    merge_information_loss,
    mutual_information,
    random_hierarchy,
    statistic_joint,
)

ID = "C07"
# (signal sizes k_0..k_n, [[level, nuisance size], ...]); several depths, with and without nuisance.
CHAINS = {
    "quick": [
        ((3, 5), []), ((4, 3, 6), []), ((3, 4, 4, 5), [[2, 2]]), ((2, 3, 3, 4, 6), [[1, 2], [3, 3]]),
        ((4, 3, 2, 3), [[3, 2]]), ((3, 2, 4, 5), [[2, 3]]), ((2, 2, 2, 2, 2, 2, 4), [[4, 2]]),
        ((5, 4, 4, 4, 4), [[4, 3]]), ((3, 3, 3, 3, 3, 3), [[1, 2], [5, 2]]), ((6, 6, 6), [[1, 3]]),
        ((2, 5, 5, 5), [[3, 4]]), ((4, 4, 4, 4, 4, 4), []),
    ],
    "full": [],
}
SEEDS = {"quick": 2, "full": 6}
CHAINS["full"] = CHAINS["quick"] + [
    ((3, 6, 6, 6, 8), [[2, 2], [4, 4]]), ((5, 5, 5, 5, 5, 5), [[3, 2]]), ((2, 3, 4, 5, 6, 7), [[5, 5]]),
    ((8, 8, 8, 8), [[1, 4], [2, 2]]), ((3, 3, 3, 3, 3, 3, 3, 3), [[2, 2], [6, 2]]), ((10, 12, 12), [[2, 6]]),
]

# Thresholds (the verdict is computed from these).
COMPOSITION_TOLERANCE = 1e-12  # max |(f_0 o ... o f_n)(y_n) - p(y_0 | y_n)|, p from enumerating paths
INFORMATION_TOLERANCE = 1e-12  # max |I(y_i; y_n) - I(y_i; T_i(y_n))| in nats


def trials(scale: str) -> list[Trial]:
    out = []
    for c, (sizes, nuisance) in enumerate(CHAINS[scale]):
        for s in range(SEEDS[scale]):
            out.append(Trial(ID, f"chain-{c:02d}-{s}", {"sizes": list(sizes), "nuisance": nuisance}))
    return out


def run_trial(params: dict, seed: int) -> dict:
    h = random_hierarchy(params["sizes"], seed, nuisance={int(m): int(q) for m, q in params["nuisance"]})
    d = distill(h)
    brute = brute_force_posterior(h)
    reachable = h.evidence() > 0
    composition_error = float(np.max(np.abs(d.compose()[reachable] - brute[reachable])))
    matrix_error = float(np.max(np.abs(h.posterior(0)[reachable] - brute[reachable])))
    info, info_errors = [], []
    for i, stat in enumerate(d.statistics):
        joint = h.joint(i)
        full, kept = mutual_information(joint), mutual_information(statistic_joint(joint, stat.labels))
        info.append(full)
        info_errors.append(abs(full - kept))
    # minimality of T_0: merging any two of its classes loses information
    joint0 = statistic_joint(h.joint(0), d.statistics[0].labels)
    losses = [merge_information_loss(joint0, a, b) for a, b in itertools.combinations(range(joint0.shape[1]), 2)]
    return {"sizes": list(h.sizes), "statistic_sizes": list(d.sizes), "composition_error": composition_error,
            "matrix_route_error": matrix_error, "info_nats": info, "info_errors": info_errors,
            "max_info_error": max(info_errors), "theorem2_violations": d.theorem2_violations(),
            "max_match_error": d.max_match_error, "min_merge_loss": min(losses) if losses else None,
            "merge_pairs": len(losses), "lossless_merges": int(sum(loss <= 0 for loss in losses))}


def summarize(records: list[dict], scale: str) -> Summary:
    res = [r["result"] for r in records]
    comp = max(r["composition_error"] for r in res)
    mi = max(r["max_info_error"] for r in res)
    violations = sum(r["theorem2_violations"] for r in res)
    merge = [r["min_merge_loss"] for r in res if r["min_merge_loss"] is not None]
    min_merge = min(merge) if merge else float("nan")
    lossless = sum(r["lossless_merges"] for r in res)
    pairs = sum(r["merge_pairs"] for r in res)
    compressed = sum(r["statistic_sizes"][0] < r["sizes"][-1] for r in res)
    monotone = all(all(a <= b for a, b in itertools.pairwise(r["statistic_sizes"])) for r in res)
    checks = [
        Check("Corollary 2: max |(f_0 o ... o f_n)(y_n) - p(y_0 | y_n)| (paths enumerated)", comp,
              high=COMPOSITION_TOLERANCE),
        Check("sufficiency: max |I(y_i; y_n) - I(y_i; T_i(y_n))| (nats)", mi, high=INFORMATION_TOLERANCE),
        Check("Theorem 2: (level, y_n) where f_{i+1}(T_{i+1}(y_n)) != T_i(y_n)", violations, high=0),
        Check("minimality: merges of two classes of T_0 that lose no information", lossless, high=0,
              detail=f"smallest loss over {pairs} merges: {min_merge:.3g} nats"),
        Check("Theorem 2: chains whose |T_i| are not non-decreasing in i", int(not monotone), high=0),
    ]
    metrics = {
        "chains": len(res), "max_composition_error": comp, "max_information_error": mi,
        "max_matrix_route_error": max(r["matrix_route_error"] for r in res),
        "max_match_error": max(r["max_match_error"] for r in res), "theorem2_violations": violations,
        "min_merge_loss": min_merge, "merges_tested": pairs, "lossless_merges": lossless,
        "chains_compressed": compressed,
        "statistic_sizes": {r["trial"]: {"k": r["result"]["sizes"], "T": r["result"]["statistic_sizes"]}
                            for r in records},
    }
    headline = (f"{len(res)} random chains: composition f_0 o ... o f_n reproduces p(y_0|y_n) to {comp:.1g}, "
                f"I(y_0;y_n) = I(y_0;T(y_n)) to {mi:.1g} nats; |T_0| < k_n in {compressed} chains "
                f"(e.g. {_example(res)})")
    table = Table("Minimal sufficient statistics per chain",
                  ["trial", "level sizes k_0..k_n", "|T_0|, ..., |T_{n-1}|", "composition error",
                   "max |I(y_i;y_n) - I(y_i;T_i)|", "I(y_0; y_n) (nats)", "min merge loss"],
                  [[r["trial"], str(r["result"]["sizes"]), str(r["result"]["statistic_sizes"]),
                    f"{r['result']['composition_error']:.2g}", f"{r['result']['max_info_error']:.2g}",
                    f"{r['result']['info_nats'][0]:.4g}",
                    "-" if r["result"]["min_merge_loss"] is None else f"{r['result']['min_merge_loss']:.2g}"]
                   for r in records])
    notes = [
        "Chains with nuisance variables inject, at level m, a variable independent of y_0..y_{m-1} that then "
        "evolves on its own; y_n's nuisance part is irrelevant to levels below m, so T_i (i < m) compresses it "
        "away. Without such structure, a random chain's posteriors p(y_i | y_n) are all distinct and |T_i| = k_n.",
        "The maps f_i are built from the backward kernels p(y_{i-1} | y_i), not read off y_n; the check that "
        "f_{i+1}(T_{i+1}(y_n)) = T_i(y_n) is therefore Theorem 2 itself, tested value by value.",
        f"Posteriors are grouped when they agree to 1e-9 (max norm); the oracle sums the full path tensor "
        f"p(y_0, ..., y_n). Matrix-product posteriors agree with it to "
        f"{metrics['max_matrix_route_error']:.1g}.",
    ]
    return Summary(checks=checks, metrics=metrics, headline=headline, figures=_figures(records), tables=[table],
                   notes=notes)


def _example(res) -> str:
    best = min(res, key=lambda r: r["statistic_sizes"][0] / r["sizes"][-1])
    return f"k_n = {best['sizes'][-1]} -> |T_i| = {best['statistic_sizes']}"


def _figures(records) -> list[FigureSpec]:
    sizes = Panel("Minimal sufficient statistic sizes", "level i", "|T_i| / k_n", hlines=[(1.0, "k_n")])
    for j, r in enumerate(records):
        res = r["result"]
        ratio = [s / res["sizes"][-1] for s in res["statistic_sizes"]]
        sizes.series.append(Series(r["trial"], list(range(len(ratio))), ratio,
                                   style={"marker": "o", "color": f"C{j % 10}"}))
    sizes.legend = len(records) <= 12
    errors = Panel("Exactness", "chain", "error", yscale="log", hlines=[(1e-12, "tolerance")])
    xs = list(range(len(records)))
    errors.series.append(Series("composition vs enumeration", xs,
                                [max(r["result"]["composition_error"], 1e-18) for r in records], kind="scatter"))
    errors.series.append(Series("|I(y;y_n) - I(y;T(y_n))| (nats)", xs,
                                [max(r["result"]["max_info_error"], 1e-18) for r in records], kind="scatter"))
    return [FigureSpec("sufficient_statistics", "Theorem 2 on random Markov chains: sizes of the minimal sufficient "
                       "statistics T_i of p(y_i | y_n) relative to k_n (left) and the errors of Corollary 2's "
                       "composition and of sufficiency (right; zeros drawn at 1e-18).", [sizes, errors])]


CLAIM = Claim(
    id=ID,
    title="Minimal sufficient statistics of a hierarchy compose",
    section="III A-C, Theorem 2, Corollary 2",
    statement=("For a Markov hierarchy y_0 -> y_1 -> ... -> y_n, the minimal sufficient statistic T_i of p(y_i | y_n) "
               "is a function of T_{i+1}: T_i = f_i(T_{i+1}) (Theorem 2); with f_0(T_0) = p(y_0 | T_0) and "
               "f_n = T_{n-1}, p(y_0 | y_n) = (f_0 o f_1 o ... o f_n)(y_n) (Corollary 2), and a sufficient "
               "statistic keeps all the information: I(y_0; y_n) = I(y_0; T(y_n))."),
    quick=None,  # TODO(issue 15): Config
    full=None,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
