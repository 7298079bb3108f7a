"""C07 - Sections III A-C, Theorem 2, Corollary 2: minimal sufficient statistics of a Markov hierarchy compose.

For random discrete chains y_0 -> ... -> y_n (several sizes and depths; some with nuisance variables
injected part-way, the structure that lets the statistics compress), computed exactly:

* T_i, the minimal sufficient statistic of p(y_i | y_n) (values of y_n grouped by equal posterior);
* the maps f_i with T_{i-1} = f_i(T_i), built from the backward kernels as in Theorem 2's proof, and the
  composition (f_0 o ... o f_n)(y_n) of Corollary 2 against p(y_0 | y_n) from enumerating whole paths;
* I(y_i; y_n) against I(y_i; T_i(y_n)) (sufficiency), and the information lost by merging any two
  classes of T_i (minimality: every coarser statistic loses information);
* the sizes |T_0| <= ... <= |T_{n-1}| <= k_n.

Roles: Theorem 2 and Corollary 2 are theorems, so the composition, sufficiency and monotone sizes are
identities checked numerically (evidence that :mod:`deepcheap.hierarchy` is right, not that the paper is);
minimality holds by construction (classes are formed from distinct posteriors, and merging two distinct
posteriors always costs information); which chains compress is decided by the nuisance variables the builder
injects. Nothing here could come out against the paper, so the verdict is ``untested`` (see ``UNTESTED``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.checks import Check, fmt
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
COMPOSITION_TOLERANCE = 1e-12  # max |(f_0 o ... o f_n)(y_n) - p(y_0 | y_n)|, p from enumerating paths
INFORMATION_TOLERANCE = 1e-12  # max |I(y_i; y_n) - I(y_i; T_i(y_n))| in nats
UNTESTED = (
    "Theorem 2 and Corollary 2 are theorems: every check here is an identity or holds by construction, and the "
    "chains that compress are the ones built with nuisance variables. A measurement that could fail: the sizes "
    "|T_i| of the minimal sufficient statistics of a hierarchy nobody built to compress (a discretised physical "
    "generative process, or the levels of a trained generative model), against the paper's implicit prediction "
    "that the relevant statistics are much smaller than the data (|T_0| << k_n), or a network trained layer by "
    "layer whose hidden representations are compared with T_i."
)

# (signal sizes k_0..k_n, ((level, nuisance size), ...)); several depths, with and without nuisance.
QUICK_CHAINS = (
    ((3, 5), ()), ((4, 3, 6), ()), ((3, 4, 4, 5), ((2, 2),)), ((2, 3, 3, 4, 6), ((1, 2), (3, 3))),
    ((4, 3, 2, 3), ((3, 2),)), ((3, 2, 4, 5), ((2, 3),)), ((2, 2, 2, 2, 2, 2, 4), ((4, 2),)),
    ((5, 4, 4, 4, 4), ((4, 3),)), ((3, 3, 3, 3, 3, 3), ((1, 2), (5, 2))), ((6, 6, 6), ((1, 3),)),
    ((2, 5, 5, 5), ((3, 4),)), ((4, 4, 4, 4, 4, 4), ()),
)
MORE_CHAINS = (
    ((3, 6, 6, 6, 8), ((2, 2), (4, 4))), ((5, 5, 5, 5, 5, 5), ((3, 2),)), ((2, 3, 4, 5, 6, 7), ((5, 5),)),
    ((8, 8, 8, 8), ((1, 4), (2, 2))), ((3, 3, 3, 3, 3, 3, 3, 3), ((2, 2), (6, 2))), ((10, 12, 12), ((2, 6),)),
)


@dataclass(frozen=True)
class Config:
    chains: tuple = QUICK_CHAINS  # (signal sizes, nuisance (level, size) pairs) per chain
    seeds_per_chain: int = 2  # random hierarchies drawn per chain shape
    concentration: float = 1.0  # Dirichlet concentration of the random transitions
    posterior_tolerance: float = 1e-9  # posteriors closer than this (max norm) share a class of T_i
    minimality_all_levels: bool = False  # test minimality on every T_i (else T_0 only)


QUICK = Config()
FULL = Config(chains=QUICK_CHAINS + MORE_CHAINS, seeds_per_chain=6, minimality_all_levels=True)


def trials(config: Config) -> list[Trial]:
    return [
        Trial(ID, f"chain-{c:02d}-{s}", {
            "sizes": list(sizes), "nuisance": [list(pair) for pair in nuisance],
            "concentration": config.concentration, "posterior_tolerance": config.posterior_tolerance,
            "minimality_all_levels": config.minimality_all_levels})
        for c, (sizes, nuisance) in enumerate(config.chains) for s in range(config.seeds_per_chain)
    ]


def run_trial(params: dict, seed: int) -> dict:
    h = random_hierarchy(params["sizes"], seed, nuisance={int(m): int(q) for m, q in params["nuisance"]},
                         concentration=params["concentration"])
    d = distill(h, params["posterior_tolerance"])
    brute = brute_force_posterior(h)
    reachable = h.evidence() > 0
    composition_error = float(np.max(np.abs(d.compose()[reachable] - brute[reachable])))
    matrix_error = float(np.max(np.abs(h.posterior(0)[reachable] - brute[reachable])))
    info, info_errors, losses = [], [], []
    for i, stat in enumerate(d.statistics):
        joint = h.joint(i)
        kept_joint = statistic_joint(joint, stat.labels)
        full = mutual_information(joint)
        info.append(full)
        info_errors.append(abs(full - mutual_information(kept_joint)))
        if i == 0 or params["minimality_all_levels"]:  # minimality: merging two classes of T_i loses information
            losses += [merge_information_loss(kept_joint, a, b)
                       for a, b in itertools.combinations(range(kept_joint.shape[1]), 2)]
    return {"sizes": list(h.sizes), "statistic_sizes": list(d.sizes), "composition_error": composition_error,
            "matrix_route_error": matrix_error, "info_nats": info, "info_errors": info_errors,
            "max_info_error": max(info_errors), "theorem2_violations": d.theorem2_violations(),
            "max_match_error": d.max_match_error, "min_merge_loss": min(losses) if losses else None,
            "merge_pairs": len(losses), "lossless_merges": int(sum(loss <= 0 for loss in losses))}


def summarize(records: list[dict], config: Config) -> Summary:
    res = [r["result"] for r in records]
    comp = max(r["composition_error"] for r in res)
    matrix = max(r["matrix_route_error"] for r in res)
    mi = max(r["max_info_error"] for r in res)
    violations = sum(r["theorem2_violations"] for r in res)
    merge = [r["min_merge_loss"] for r in res if r["min_merge_loss"] is not None]
    min_merge = min(merge) if merge else None
    lossless = sum(r["lossless_merges"] for r in res)
    pairs = sum(r["merge_pairs"] for r in res)
    compressed = sum(r["statistic_sizes"][0] < r["sizes"][-1] for r in res)
    not_monotone = sum(any(a > b for a, b in itertools.pairwise(r["statistic_sizes"])) for r in res)
    levels = "every T_i" if config.minimality_all_levels else "T_0"
    checks = [
        Check.identity("Corollary 2: max |(f_0 o ... o f_n)(y_n) - p(y_0 | y_n)| (paths enumerated)", comp,
                       high=COMPOSITION_TOLERANCE),
        Check.identity("matrix-product posterior p(y_0 | y_n) against paths enumerated, max |difference|", matrix,
                       high=COMPOSITION_TOLERANCE),
        Check.identity("sufficiency: max |I(y_i; y_n) - I(y_i; T_i(y_n))| (nats)", mi, high=INFORMATION_TOLERANCE),
        Check.identity("Theorem 2: (level, y_n) where f_{i+1}(T_{i+1}(y_n)) != T_i(y_n)", violations, high=0),
        Check.identity("Theorem 2: chains whose |T_i| are not non-decreasing in i", not_monotone, high=0),
        Check.construction(f"minimality: merges of two classes of {levels} that lose no information", lossless,
                           high=0, detail="classes are distinct posteriors by construction; smallest loss over "
                                          f"{pairs} merges: {fmt(min_merge)} nats"),
    ]
    metrics = {
        "chains": len(res), "max_composition_error": comp, "max_information_error": mi,
        "max_matrix_route_error": matrix, "max_match_error": max(r["max_match_error"] for r in res),
        "theorem2_violations": violations, "min_merge_loss": min_merge, "merges_tested": pairs,
        "lossless_merges": lossless, "chains_compressed": compressed,
        "statistic_sizes": {r["trial"]: {"k": r["result"]["sizes"], "T": r["result"]["statistic_sizes"]}
                            for r in records},
    }
    headline = (f"{len(res)} random chains: composition f_0 o ... o f_n reproduces p(y_0|y_n) to {comp:.1g}, "
                f"I(y_0;y_n) = I(y_0;T(y_n)) to {mi:.1g} nats (identities); |T_0| < k_n in {compressed} chains, "
                f"those built with nuisance variables (e.g. {_example(res)})")
    table = Table("Minimal sufficient statistics per chain",
                  ["trial", "depth n", "k_0", "k_n", "|T_0|", "|T_{n-1}|", "composition error",
                   "max |I(y_i;y_n) - I(y_i;T_i)|", "I(y_0; y_n) (nats)", "min merge loss (nats)"],
                  [[r["trial"], len(r["result"]["sizes"]) - 1, r["result"]["sizes"][0], r["result"]["sizes"][-1],
                    r["result"]["statistic_sizes"][0], r["result"]["statistic_sizes"][-1],
                    r["result"]["composition_error"], r["result"]["max_info_error"], r["result"]["info_nats"][0],
                    r["result"]["min_merge_loss"]] for r in records],
                  formats=["", "d", "d", "d", "d", "d", ".2g", ".2g", ".4g", ".2g"])
    notes = [
        "Chains with nuisance variables inject, at level m, a variable independent of y_0..y_{m-1} that then "
        "evolves on its own; y_n's nuisance part is irrelevant to levels below m, so T_i (i < m) compresses it "
        "away. Without such structure, a random chain's posteriors p(y_i | y_n) are all distinct and |T_i| = k_n: "
        "compression here is put in by the builder, not found.",
        "The maps f_i are built from the backward kernels p(y_{i-1} | y_i), not read off y_n; the check that "
        "f_{i+1}(T_{i+1}(y_n)) = T_i(y_n) is Theorem 2 itself, tested value by value (an identity).",
        f"Posteriors are grouped when they agree to {config.posterior_tolerance:g} (max norm); the oracle sums "
        f"the full path tensor p(y_0, ..., y_n). Matrix-product posteriors agree with it to {matrix:.1g}.",
    ]
    return Summary(checks=checks, metrics=metrics, headline=headline, figures=_figures(records), tables=[table],
                   notes=notes, untested=UNTESTED)


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
    errors = Panel("Exactness", "chain", "error", yscale="log", hlines=[(COMPOSITION_TOLERANCE, "tolerance")])
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
    quick=QUICK,
    full=FULL,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
