"""C11 - Section III G: flattening even linear functions can be costly.

Measured, for bias-free linear networks at zero error (synapses = nonzero weights):

* FFT: the exact radix-2 butterfly network (bit reversal folded into the first stage) against
  numpy.fft.fft; its synapses 2 n log2 n against the n^2 of the dense DFT, C_s = n / (2 log2 n);
* rank k: A = B C through k hidden neurons, C_s = n / 2k, with the numerical rank of A;
* Eq. 27: Monte Carlo of the product of two random 0/1 matrices of density p against
  C_s = [1 - (1 - p^2)^n] / 2p, over a grid of n and p;
* matrix multiplication: Strassen's recursion, actually executed with counted operations for small n
  and by its recursion formulas beyond, against the schoolbook n^3. The paper's C_s >= n^0.627 needs
  omega = 2.373 algorithms; plain Strassen gives C_s ~ n^0.19, which is the caveat.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg
import torch

from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.checks import Check
from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.fits import loglog_slope
from deepcheap.flattening.linear import (
    OMEGA_PAPER,
    OMEGA_STRASSEN,
    butterfly_network,
    eq27,
    low_rank_network,
    matmul_flattening,
    optimal_leaf,
    sparse_product_costs,
    strassen_counts,
    strassen_multiply,
)

ID = "C11"
FFT_LOG_N = {"quick": range(4, 13), "full": range(4, 17)}
LOW_RANK = {"quick": ((64, 4), (128, 96), (256, 8), (256, 64), (512, 32)),
            "full": ((64, 4), (128, 96), (256, 8), (256, 64), (512, 32), (1024, 16), (1024, 64), (1024, 256))}
EQ27_N = {"quick": (50, 100, 200, 400), "full": (50, 100, 200, 400, 800)}
EQ27_P = {"quick": (0.02, 0.05, 0.1, 0.2), "full": (0.01, 0.02, 0.05, 0.1, 0.2)}
MATMUL_LOG_N = {"quick": range(1, 11), "full": range(1, 15)}
MATMUL_VERIFY_UP_TO = {"quick": 64, "full": 128}
EQ27_TARGET_SE = 0.006  # relative standard error aimed at per (n, p) point when choosing the sample count
EQ27_MIN_SAMPLES, EQ27_MAX_SAMPLES = 16, 4000

# Thresholds (the verdict is computed from these).
FFT_MAX_ERROR = 1e-10  # max |butterfly - numpy.fft| / max |numpy.fft|
FFT_CS_TOLERANCE = 0.05  # C_s / (n / (2 log2 n)) at the largest n
LOW_RANK_TOLERANCE = 1e-12  # |C_s / (n / 2k) - 1|
EQ27_TOLERANCE = 0.03  # worst |Monte Carlo / formula - 1| over the grid
MATMUL_MIN_CS = 1.0  # Strassen's C_s at the largest n
MATMUL_MIN_EXPONENT = 0.01  # "growing": fitted exponent of C_s in n clearly above 0
PAPER_EXPONENT = 3 - OMEGA_PAPER  # the paper's C_s >= n^(3 - omega), omega = 2.373
EXPONENT_TOLERANCE = 0.05


def eq27_samples(n: int, p: float) -> int:
    """Draws for a relative standard error near EQ27_TARGET_SE: var(flat) ~ 3 mean (clustered), var(deep) ~ mean."""
    flat, deep = n * n * 2 * p * eq27(n, p), 2 * p * n * n
    need = (3 / flat + 1 / deep) / EQ27_TARGET_SE**2
    return int(min(EQ27_MAX_SAMPLES, max(EQ27_MIN_SAMPLES, math.ceil(need))))


def trials(scale: str) -> list[Trial]:
    out = [Trial(ID, f"fft-{2**e:06d}", {"kind": "fft", "n": 2**e}) for e in FFT_LOG_N[scale]]
    out += [Trial(ID, f"lowrank-{n:05d}-{k:04d}", {"kind": "lowrank", "n": n, "k": k}) for n, k in LOW_RANK[scale]]
    out += [Trial(ID, f"eq27-{n:04d}-{p:.3f}", {"kind": "eq27", "n": n, "p": p, "samples": eq27_samples(n, p)})
            for n in EQ27_N[scale] for p in EQ27_P[scale]]
    out.append(Trial(ID, "matmul", {"kind": "matmul", "ns": [2**e for e in MATMUL_LOG_N[scale]],
                                    "verify_up_to": MATMUL_VERIFY_UP_TO[scale]}))
    return out


def run_trial(params: dict, seed: int) -> dict:
    kind = params["kind"]
    if kind == "fft":
        return _fft_trial(params["n"], seed)
    if kind == "lowrank":
        return low_rank_network(params["n"], params["k"], seed).to_dict()
    if kind == "eq27":
        return sparse_product_costs(params["n"], params["p"], params["samples"], seed)
    return _matmul_trial(params["ns"], params["verify_up_to"], seed)


def _fft_trial(n: int, seed: int) -> dict:
    """Butterfly DFT (and Hadamard for n <= 1024) against numpy / scipy on random inputs, with its counts."""
    rng = np.random.default_rng(seed)
    rows = max(2, min(32, 2**16 // n))
    x = rng.standard_normal((rows, n)) + 1j * rng.standard_normal((rows, n))
    net = butterfly_network("dft", n)
    with torch.no_grad():
        y = net(torch.from_numpy(x)).numpy()
    ref = np.fft.fft(x, axis=1)
    hadamard_error = None
    if n <= 1024:
        real = x.real
        with torch.no_grad():
            h = butterfly_network("hadamard", n)(torch.from_numpy(real)).numpy()
        href = real @ scipy.linalg.hadamard(n)
        hadamard_error = float(np.abs(h - href).max() / np.abs(href).max())
    return {"n": n, "depth": net.depth, "deep_synapses": net.synapses, "flat_synapses": net.flat_synapses,
            "C_s": net.flat_synapses / net.synapses, "C_s_formula": n / (2 * math.log2(n)),
            "max_error": float(np.abs(y - ref).max() / np.abs(ref).max()), "hadamard_error": hadamard_error,
            "rows": rows}


def _matmul_trial(ns: list[int], verify_up_to: int, seed: int) -> dict:
    """Strassen executed with counted operations (n <= verify_up_to) and by formula (all n)."""
    rng = np.random.default_rng(seed)
    leaf = optimal_leaf(max(ns))
    mismatches, verified = [], []
    for n in (m for m in ns if m <= verify_up_to):
        A, B = rng.integers(-50, 51, (n, n)), rng.integers(-50, 51, (n, n))
        for lf in sorted({1, leaf}):
            product, counts = strassen_multiply(A, B, leaf=lf)
            ok = bool(np.array_equal(product, A @ B)) and counts == strassen_counts(n, lf)
            verified.append({"n": n, "leaf": lf, "ok": ok, "total": counts["total"]})
            if not ok:
                mismatches.append(f"n={n}, leaf={lf}")
    return {"pure": matmul_flattening(ns, leaf=1), "hybrid": matmul_flattening(ns, leaf=leaf),
            "verified": verified, "mismatches": mismatches}


def summarize(records: list[dict], scale: str) -> Summary:
    fft = sorted((r["result"] for r in records if r["params"]["kind"] == "fft"), key=lambda r: r["n"])
    low = [r["result"] for r in records if r["params"]["kind"] == "lowrank"]
    eqs = sorted((r["result"] for r in records if r["params"]["kind"] == "eq27"), key=lambda r: (r["p"], r["n"]))
    mm = next(r["result"] for r in records if r["params"]["kind"] == "matmul")
    pure, hybrid = mm["pure"], mm["hybrid"]

    fft_error = max(r["max_error"] for r in fft)
    top = fft[-1]
    fft_ratio = top["C_s"] / top["C_s_formula"]
    fft_slope = loglog_slope([r["n"] for r in fft], [r["C_s"] * math.log2(r["n"]) for r in fft])
    low_dev = max(abs(r["C_s"] / (r["n"] / (2 * r["k"])) - 1) for r in low)
    rank_misses = [f"n={r['n']}, k={r['k']}: rank {r['rank']}" for r in low if r["rank"] != r["k"]]
    worst = max(eqs, key=lambda r: abs(r["rel_diff"]))
    worst_z = max(abs(r["C_s"] - r["formula"]) / r["stderr"] for r in eqs)
    largest = pure["rows"][-1]
    crossover = next((r["n"] for r in pure["rows"] if r["C_s"] > 1), None)
    exponent = pure["C_s_exponent"]

    checks = [
        Check("FFT butterfly: max relative error against numpy.fft.fft", fft_error, high=FFT_MAX_ERROR),
        Check(f"FFT: C_s / (n / (2 log2 n)) at n = {top['n']}", fft_ratio, 1 - FFT_CS_TOLERANCE,
              1 + FFT_CS_TOLERANCE, detail=f"C_s = {top['C_s']:.4g} against n / (2 log2 n) = {top['C_s_formula']:.4g}"),
        Check("low rank: max |C_s / (n / 2k) - 1|", low_dev, high=LOW_RANK_TOLERANCE),
        Check("low rank: examples whose numerical rank is not k", len(rank_misses), high=0,
              detail="; ".join(rank_misses)),
        Check("Eq. 27: worst |Monte Carlo C_s / formula - 1| over the grid", abs(worst["rel_diff"]),
              high=EQ27_TOLERANCE,
              detail=f"worst at n = {worst['n']}, p = {worst['p']}: {worst['C_s']:.4g} vs {worst['formula']:.4g}"),
        Check("Strassen: executed products or counts that disagree with A @ B / the recursion", len(mm["mismatches"]),
              high=0, detail="; ".join(mm["mismatches"])),
        Check(f"matrix multiplication: Strassen C_s at n = {largest['n']}", largest["C_s"], low=MATMUL_MIN_CS),
        Check("matrix multiplication: fitted exponent of Strassen's C_s in n", exponent, low=MATMUL_MIN_EXPONENT),
        Check("matrix multiplication: C_s exponent against the paper's 3 - omega", exponent,
              low=PAPER_EXPONENT - EXPONENT_TOLERANCE, role="caveat",
              detail=(f"C_s >= n^{PAPER_EXPONENT:.3f} needs omega = {OMEGA_PAPER} (Coppersmith-Winograd-type) "
                      f"algorithms, which are impractical (their constants pay off only at astronomical n); "
                      f"Strassen (omega = log2 7 = {OMEGA_STRASSEN:.3f}) gives C_s ~ n^{exponent:.3f} "
                      f"(asymptotically n^{3 - OMEGA_STRASSEN:.3f}): C_s = {largest['C_s']:.3g} at n = "
                      f"{largest['n']} ({hybrid['rows'][-1]['C_s']:.3g} with schoolbook blocks below "
                      f"{2 * hybrid['leaf']}), against n^{PAPER_EXPONENT:.3f} = "
                      f"{largest['n'] ** PAPER_EXPONENT:.3g}; full recursion beats schoolbook only from n = "
                      f"{crossover}")),
    ]
    metrics = {
        "fft": {"ns": [r["n"] for r in fft], "C_s": [r["C_s"] for r in fft], "max_error": fft_error,
                "C_s_over_formula_at_largest": fft_ratio, "slope_of_C_s_log2n_in_n": fft_slope,
                "hadamard_max_error": max(r["hadamard_error"] for r in fft if r["hadamard_error"] is not None)},
        "lowrank": {"max_rel_deviation": low_dev, "rank_misses": rank_misses,
                    "C_s": {f"{r['n']}/{r['k']}": r["C_s"] for r in low}},
        "eq27": {"worst_rel_diff": worst["rel_diff"], "worst_at": [worst["n"], worst["p"]],
                 "worst_abs_z": worst_z, "samples_total": sum(r["samples"] for r in eqs),
                 "points": [{k: r[k] for k in ("n", "p", "samples", "C_s", "stderr", "formula", "rel_diff")}
                            for r in eqs]},
        "matmul": {"C_s_exponent": exponent, "strassen_exponent": pure["strassen_exponent"],
                   "fit_ns": pure["fit_ns"], "C_s_at_largest": largest["C_s"], "crossover_n": crossover,
                   "hybrid_leaf": hybrid["leaf"], "hybrid_C_s_at_largest": hybrid["rows"][-1]["C_s"],
                   "hybrid_C_s_exponent": hybrid["C_s_exponent"], "paper_exponent": PAPER_EXPONENT,
                   "verified_sizes": sorted({v["n"] for v in mm["verified"]})},
    }
    headline = (f"FFT C_s = {top['C_s']:.4g} at n = {top['n']} (= n / 2 log2 n, error {fft_error:.1g}); rank k: "
                f"n/2k exactly; Eq. 27 within {abs(worst['rel_diff']):.1%}; Strassen C_s ~ n^{exponent:.2f} "
                f"(paper: n^{PAPER_EXPONENT:.3f}, which needs omega = {OMEGA_PAPER})")
    return Summary(checks=checks, metrics=metrics, headline=headline, figures=_figures(fft, eqs, pure, hybrid),
                   tables=_tables(fft, low, eqs, pure, hybrid), notes=_notes(fft, eqs, hybrid))


def _tables(fft, low, eqs, pure, hybrid) -> list[Table]:
    hyb = {r["n"]: r for r in hybrid["rows"]}
    return [
        Table("FFT butterfly network against the dense DFT",
              ["n", "layers", "deep synapses", "flat synapses", "C_s", "n / (2 log2 n)", "max rel. error (DFT)",
               "max rel. error (Hadamard)"],
              [[r["n"], r["depth"], r["deep_synapses"], r["flat_synapses"], f"{r['C_s']:.4g}",
                f"{r['C_s_formula']:.4g}", f"{r['max_error']:.2g}",
                "-" if r["hadamard_error"] is None else f"{r['hadamard_error']:.2g}"] for r in fft]),
        Table("Rank-k matrices through k hidden neurons",
              ["n", "k", "rank(A)", "deep synapses (2nk)", "flat synapses (n^2)", "C_s", "n / 2k", "max rel. error"],
              [[r["n"], r["k"], r["rank"], r["deep_synapses"], r["flat_synapses"], f"{r['C_s']:.4g}",
                f"{r['n'] / (2 * r['k']):.4g}", f"{r['max_error']:.2g}"] for r in low]),
        Table("Eq. 27: product of random 0/1 matrices (Monte Carlo against the formula)",
              ["n", "p", "samples", "C_s (Monte Carlo)", "std. error", "Eq. 27", "rel. diff.", "1 / 2p"],
              [[r["n"], r["p"], r["samples"], f"{r['C_s']:.4g}", f"{r['stderr']:.2g}", f"{r['formula']:.4g}",
                f"{r['rel_diff']:+.2%}", f"{r['limit']:.4g}"] for r in eqs]),
        Table("Matrix multiplication: scalar operations, schoolbook against Strassen",
              ["n", "schoolbook", "Strassen (full)", "C_s (full)", f"Strassen (leaf {hybrid['leaf']})",
               "C_s (hybrid)", f"n^{PAPER_EXPONENT:.3f} (paper)"],
              [[r["n"], r["naive"], r["strassen"], f"{r['C_s']:.4g}", hyb[r["n"]]["strassen"],
                f"{hyb[r['n']]['C_s']:.4g}", f"{r['n'] ** PAPER_EXPONENT:.3g}"] for r in pure["rows"]]),
    ]


def _notes(fft, eqs, hybrid) -> list[str]:
    return [
        "The butterfly network evaluates y = w_a x[ia] + w_b x[ib] per layer; the decimation-in-time bit-reversal "
        "permutation is folded into the first layer's column indices, so every layer has exactly 2n nonzero "
        f"weights and C_s = n^2 / (2 n log2 n) exactly. Errors are relative to max |numpy.fft.fft| over "
        f"{fft[-1]['rows']}-{fft[0]['rows']} random complex rows per n.",
        "Eq. 27 is a ratio of expectations: the Monte Carlo value is sum of nnz(A B) over sum of nnz(A) + nnz(B) "
        f"over {min(r['samples'] for r in eqs)}-{max(r['samples'] for r in eqs)} draws per point (more where "
        "the counts are small); the standard error is that of the per-draw ratios.",
        "Matrix multiplication is counted in scalar operations (products and sums), our proxy for the synapses "
        "of the deep (recursive) and flat (schoolbook) linear networks. Multiplying by a fixed matrix makes the "
        "fixed factor's sums free constants, which changes constants, not exponents. The hybrid column stops "
        f"the recursion at {hybrid['leaf']} x {hybrid['leaf']} blocks, the leaf that minimises the count.",
    ]


def _figures(fft, eqs, pure, hybrid) -> list[FigureSpec]:
    ns = [r["n"] for r in fft]
    cs = Panel("FFT: flattening cost", "n", "C_s = n^2 / deep synapses", xscale="log", yscale="log")
    cs.series.append(Series("butterfly network (measured)", ns, [r["C_s"] for r in fft], kind="scatter",
                            style={"color": "C0", "zorder": 3}))
    cs.series.append(Series("n / (2 log2 n)", ns, [r["C_s_formula"] for r in fft], style={"color": "k"}))
    err = Panel("FFT: error against numpy.fft.fft", "n", "max relative error", xscale="log", yscale="log",
                hlines=[(FFT_MAX_ERROR, "threshold")])
    err.series.append(Series("DFT butterfly", ns, [max(r["max_error"], 1e-18) for r in fft],
                             style={"color": "C0", "marker": "o"}))
    had = [r for r in fft if r["hadamard_error"] is not None]
    err.series.append(Series("Hadamard butterfly", [r["n"] for r in had], [max(r["hadamard_error"], 1e-18)
                                                                           for r in had],
                             style={"color": "C1", "marker": "s"}))

    mc = Panel("Eq. 27: Monte Carlo against the formula", "n", "C_s", xscale="log", yscale="log")
    dev = Panel("Eq. 27: relative deviation", "n", "Monte Carlo / formula - 1", xscale="log",
                hlines=[(EQ27_TOLERANCE, "tolerance"), (-EQ27_TOLERANCE, "")])
    for i, p in enumerate(sorted({r["p"] for r in eqs})):
        rows = [r for r in eqs if r["p"] == p]
        color = f"C{i % 10}"
        x = [r["n"] for r in rows]
        grid = np.unique(np.geomspace(min(x), max(x), 40).round().astype(int)).tolist()
        mc.series.append(Series(f"p = {p:g} (Monte Carlo)", x, [r["C_s"] for r in rows],
                                yerr=[r["stderr"] for r in rows],
                                style={"color": color, "marker": "o", "linestyle": "none"}))
        mc.series.append(Series(f"p = {p:g}: Eq. 27", grid, [eq27(n, p) for n in grid], style={"color": color}))
        mc.series.append(Series(f"1 / 2p = {1 / (2 * p):g}", [min(x), max(x)], [1 / (2 * p)] * 2,
                                style={"color": color, "linestyle": ":"}))
        dev.series.append(Series(f"p = {p:g}", x, [r["rel_diff"] for r in rows], yerr=[r["stderr"] / r["formula"]
                                                                                        for r in rows],
                                 style={"color": color, "marker": "o"}))

    mn = [r["n"] for r in pure["rows"]]
    ops = Panel("Matrix multiplication: scalar operations", "n", "operations", xscale="log", yscale="log")
    ops.series.append(Series("schoolbook (2 n^3 - n^2)", mn, [r["naive"] for r in pure["rows"]],
                             style={"color": "k"}))
    ops.series.append(Series("Strassen (full recursion)", mn, [r["strassen"] for r in pure["rows"]],
                             style={"color": "C0", "marker": "o"}))
    ops.series.append(Series(f"Strassen (schoolbook below {2 * hybrid['leaf']})", mn,
                             [r["strassen"] for r in hybrid["rows"]], style={"color": "C1", "marker": "s"}))
    mcs = Panel("Matrix multiplication: flattening cost", "n", "C_s = schoolbook / Strassen", xscale="log",
                yscale="log", hlines=[(1.0, "")])
    mcs.series.append(Series("Strassen (full recursion)", mn, [r["C_s"] for r in pure["rows"]],
                             style={"color": "C0", "marker": "o"}))
    mcs.series.append(Series(f"Strassen (leaf {hybrid['leaf']})", mn, [r["C_s"] for r in hybrid["rows"]],
                             style={"color": "C1", "marker": "s"}))
    mcs.series.append(Series(f"paper: n^{PAPER_EXPONENT:.3f} (omega = {OMEGA_PAPER})", mn,
                             [n**PAPER_EXPONENT for n in mn], style={"color": "k", "linestyle": "--"}))
    return [
        FigureSpec("fft_flattening", "The exact butterfly FFT network: C_s = n / (2 log2 n) against the dense DFT, "
                   "at float64 precision.", [cs, err]),
        FigureSpec("sparse_product_eq27", "Product of two random 0/1 matrices of density p: Monte Carlo flattening "
                   "cost (points, one standard error) against Eq. 27 (lines) and its limit 1 / 2p (dotted).",
                   [mc, dev]),
        FigureSpec("matmul_counts", "Strassen against schoolbook matrix multiplication: counts and C_s. Strassen's "
                   f"C_s grows like n^{3 - OMEGA_STRASSEN:.3f}; the paper's n^{PAPER_EXPONENT:.3f} needs "
                   f"omega = {OMEGA_PAPER} algorithms.", [ops, mcs]),
    ]


CLAIM = Claim(
    id=ID,
    title="Flattening even linear functions can be costly",
    section="III G",
    statement=("Linear no-flattening: a linear network of log2 n butterfly layers computes the FFT, so flattening it "
               "costs C_s = O(n / log n); a rank-k matrix through k hidden neurons has C_s = n / 2k; the product of "
               "two random sparse matrices of density p has C_s = [1 - (1 - p^2)^n] / 2p -> 1 / 2p (Eq. 27); and "
               "matrix multiplication by fast algorithms gives C_s >= n^(3 - omega) = n^0.627."),
    quick=None,  # TODO(issue 15): Config
    full=None,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
