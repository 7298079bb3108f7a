"""C11 - Section III G: flattening even linear functions can be costly.

Bias-free linear networks at zero error; synapses are nonzero weights, C_s = N_s(flat) / N_s(deep).

* FFT: the radix-2 butterfly (log2 n layers, 2 n log2 n synapses) and the same stages grouped into
  l + 1 layers (a mixed-radix FFT, n sum_j r_j synapses), all run against numpy.fft.fft. Measured: the
  exponent of C_s(l) in n fitted over n, against the equal-radix law C_s = n^(1 - 1/(l+1)) / (l + 1);
  uneven groupings (log2 n not a multiple of l + 1) and finite n could move it.
* Matrix multiplication, B -> A B with A fixed: the flat layer has n^3 synapses; Strassen's (2 x 2, 7
  products) and Laderman's (3 x 3, 23 products) schemes, executed against A @ B and built as deep sparse
  networks whose synapses are counted. Measured: the exponents of C_s, in synapses and in scalar operations,
  fitted where the lower-order term (m^2 / R)^k is below FIT_CORRECTION, against the paper's law
  C_s ~ n^(3 - omega) with the omega of each scheme (3 - log2 7 = 0.193, 3 - log3 23 = 0.146). Synapses
  count the additions (V and W layers) as well as the products, so they need not follow omega.
* Rank k (C_s = n / 2k) and Eq. 27 (Monte Carlo of a ratio of expectations) are construction and identity.

The paper's n^0.627 needs omega = 2.373 (Coppersmith-Winograd-type) schemes, which no one can run at a
usable size: that number is not tested here; the n^(3 - omega) law is, for the two schemes one can run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.checks import Check
from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.fits import loglog_slope
from deepcheap.flattening.bilinear import SCHEMES, multiply, operation_counts, optimal_leaf
from deepcheap.flattening.butterfly import butterfly_network, dft_error
from deepcheap.flattening.lowrank import low_rank_network
from deepcheap.flattening.matmul import (
    OMEGA_PAPER,
    asymptotic_from,
    best_synapse_leaf,
    fixed_left_network,
    fixed_left_synapses,
    matmul_flattening,
)
from deepcheap.flattening.radix import equal_radix_cs, layered_dft, radix_grouping
from deepcheap.flattening.sparse import eq27, sparse_product_costs
from deepcheap.seeds import derive_seed, numpy_generator

ID = "C11"
# Predictions and tolerances (written before the run; the verdict is computed from these).
EXPONENT_TOLERANCE = 0.02  # |fitted - predicted| for every exponent below
FIT_CORRECTION = 0.01  # matmul fits use n = m^k with (m^2 / R)^k <= this (the lower-order term's weight)
RADIX_LAYERS_MEASURED = (1, 2, 3)  # l whose exponent 1 - 1/(l + 1) is measured (l = 0 is C_s = 1 exactly)
# Identities and constructions.
FFT_MAX_ERROR = 1e-10  # max |network - numpy.fft| / max |numpy.fft|
MATMUL_MAX_ERROR = 1e-10  # max |network(B) - A @ B| / max |A @ B|
LOW_RANK_TOLERANCE = 1e-12
EQ27_TOLERANCE = 0.03  # worst |Monte Carlo / formula - 1| over the grid


@dataclass(frozen=True)
class Config:
    fft_log_n: tuple[int, ...] = tuple(range(4, 13))  # n = 2^e: butterflies and their groupings
    hidden_layers: tuple[int, ...] = (0, 1, 2, 3)  # l of the layered DFT (l + 1 weight layers)
    fft_signals: int = 4  # random complex signals per network against numpy.fft.fft
    max_layer_synapses: int = 2**21  # layered networks above this are not built (the dense l = 0 at large n)
    low_rank: tuple[tuple[int, int], ...] = ((64, 4), (128, 96), (256, 8), (256, 64), (512, 32))
    eq27_ns: tuple[int, ...] = (50, 100, 200, 400)
    eq27_ps: tuple[float, ...] = (0.02, 0.05, 0.1, 0.2)
    eq27_target_se: float = 0.006  # relative standard error aimed at per (n, p) when choosing the draws
    eq27_samples: tuple[int, int] = (16, 4000)  # fewest and most draws per (n, p)
    strassen_log_n: tuple[int, ...] = tuple(range(1, 13))  # counts at n = 2^e
    laderman_log_n: tuple[int, ...] = tuple(range(1, 9))  # counts at n = 3^e
    strassen_execute_up_to: int = 64  # executed and built as networks up to this n
    laderman_execute_up_to: int = 27
    matmul_entries: int = 50  # executed products: integer entries drawn from [-50, 50]
    matmul_inputs: int = 2  # random B per built network, compared with A @ B


QUICK = Config()
FULL = Config(fft_log_n=tuple(range(4, 15)), max_layer_synapses=2**23,
              low_rank=((64, 4), (128, 96), (256, 8), (256, 64), (512, 32), (1024, 16), (1024, 64), (1024, 256)),
              eq27_ns=(50, 100, 200, 400, 800), eq27_ps=(0.01, 0.02, 0.05, 0.1, 0.2),
              strassen_log_n=tuple(range(1, 17)), laderman_log_n=tuple(range(1, 11)),
              strassen_execute_up_to=128, laderman_execute_up_to=81)


def eq27_samples(n: int, p: float, config: Config) -> int:
    """Draws for a relative standard error near the target: var(flat) ~ 3 mean (clustered), var(deep) ~ mean."""
    flat, deep = n * n * 2 * p * eq27(n, p), 2 * p * n * n
    need = (3 / flat + 1 / deep) / config.eq27_target_se**2
    return int(min(config.eq27_samples[1], max(config.eq27_samples[0], math.ceil(need))))


def trials(config: Config) -> list[Trial]:
    out = [Trial(ID, f"fft-{2**e:06d}", {"kind": "fft", "n": 2**e, "hidden_layers": list(config.hidden_layers),
                                         "signals": config.fft_signals, "max_synapses": config.max_layer_synapses})
           for e in config.fft_log_n]
    out += [Trial(ID, f"lowrank-{n:05d}-{k:04d}", {"kind": "lowrank", "n": n, "k": k}) for n, k in config.low_rank]
    out += [Trial(ID, f"eq27-{n:04d}-{p:.3f}", {"kind": "eq27", "n": n, "p": p, "samples": eq27_samples(n, p, config)})
            for n in config.eq27_ns for p in config.eq27_ps]
    for name, base, log_n, up_to in (("strassen", 2, config.strassen_log_n, config.strassen_execute_up_to),
                                     ("laderman", 3, config.laderman_log_n, config.laderman_execute_up_to)):
        out.append(Trial(ID, f"matmul-{name}", {"kind": "matmul", "scheme": name, "ns": [base**e for e in log_n],
                                                "execute_up_to": up_to, "fit_correction": FIT_CORRECTION,
                                                "entries": config.matmul_entries, "inputs": config.matmul_inputs}))
    return out


def run_trial(params: dict, seed: int) -> dict:
    kind = params["kind"]
    if kind == "fft":
        return _fft_trial(params, seed)
    if kind == "lowrank":
        return low_rank_network(params["n"], params["k"], seed).to_dict()
    if kind == "eq27":
        return sparse_product_costs(params["n"], params["p"], params["samples"], seed).to_dict()
    return _matmul_trial(params, seed)


def _fft_trial(params: dict, seed: int) -> dict:
    """The radix-2 butterfly and its groupings into l + 1 layers, each against numpy.fft on the same signals."""
    n, signals = params["n"], params["signals"]
    net = butterfly_network("dft", n)
    layered = []
    for hidden in params["hidden_layers"]:
        radices = radix_grouping(n, hidden)
        row = {"hidden_layers": hidden, "radices": list(radices), "expected_synapses": n * sum(radices),
               "synapses": None, "max_error": None}
        if n * sum(radices) <= params["max_synapses"]:
            layers = layered_dft(n, hidden, max_synapses=params["max_synapses"])
            row.update(synapses=layers.synapses, max_error=dft_error(layers, n, seed=seed, signals=signals))
        layered.append(row)
    return {"n": n, "depth": net.depth, "deep_synapses": net.synapses, "flat_synapses": net.flat_synapses,
            "max_error": dft_error(net, n, seed=seed, signals=signals), "layered": layered}


def _matmul_trial(params: dict, seed: int) -> dict:
    """Execute the scheme on integer matrices and build B -> A B networks up to execute_up_to; count all ns."""
    scheme = SCHEMES[params["scheme"]]
    executed, networks, top, inputs = [], [], params["entries"], params["inputs"]
    for n in (n for n in params["ns"] if n <= params["execute_up_to"]):
        rng = numpy_generator(derive_seed(seed, n))
        A, B = rng.integers(-top, top + 1, (n, n)), rng.integers(-top, top + 1, (n, n))
        for leaf in sorted({1, optimal_leaf(n, scheme)}):
            product, counts = multiply(scheme, A, B, leaf)
            executed.append({"n": n, "leaf": leaf, "exact": bool(np.array_equal(product, A @ B)),
                             "counts_match": counts == operation_counts(scheme, n, leaf)})
        A, B = rng.standard_normal((n, n)), rng.standard_normal((inputs, n, n))
        for leaf in sorted({1, best_synapse_leaf(scheme, n)}):
            net = fixed_left_network(scheme, A, leaf)
            exact, got = (A @ B).reshape(inputs, -1), net(B.reshape(inputs, -1))
            networks.append({"n": n, "leaf": leaf, "layers": net.depth, "synapses": net.synapses,
                             "closed_form": fixed_left_synapses(scheme, n, leaf),
                             "max_error": float(np.abs(got - exact).max() / np.abs(exact).max())})
    fit_from = asymptotic_from(scheme, params["fit_correction"])
    return {"scheme": scheme.name, "omega": scheme.omega, "executed": executed, "networks": networks,
            "pure": matmul_flattening(params["ns"], scheme, leaf=1, fit_from=fit_from).to_dict(),
            "hybrid": matmul_flattening(params["ns"], scheme, leaf=None, fit_from=fit_from).to_dict()}


def _layered_rows(fft: list[dict]) -> list[dict]:
    return [{"n": r["n"], **row, "C_s": None if row["synapses"] is None else r["n"] ** 2 / row["synapses"]}
            for r in fft for row in r["layered"]]


def summarize(records: list[dict], config: Config) -> Summary:
    fft = sorted((r["result"] for r in records if r["params"]["kind"] == "fft"), key=lambda r: r["n"])
    low = [r["result"] for r in records if r["params"]["kind"] == "lowrank"]
    eqs = sorted((r["result"] for r in records if r["params"]["kind"] == "eq27"), key=lambda r: (r["p"], r["n"]))
    mm = {r["result"]["scheme"]: r["result"] for r in records if r["params"]["kind"] == "matmul"}
    layered = _layered_rows(fft)
    built = [row for row in layered if row["synapses"] is not None]
    exponents = {}
    for hidden in config.hidden_layers:
        rows = [row for row in built if row["hidden_layers"] == hidden]
        slope = loglog_slope([row["n"] for row in rows], [row["C_s"] for row in rows])
        exponents[hidden] = None if math.isnan(slope) else slope
    worst = max(eqs, key=lambda r: abs(r["rel_diff"]))
    runs = [e for m in mm.values() for e in m["executed"]]
    nets = [e for m in mm.values() for e in m["networks"]]
    checks = [
        Check.identity("radix-2 butterfly against numpy.fft.fft: max relative error", max(r["max_error"] for r in fft),
                       high=FFT_MAX_ERROR),
        Check.identity(f"DFT in l + 1 layers (l in {list(config.hidden_layers)}) against numpy.fft.fft: max relative "
                       "error", max((row["max_error"] for row in built), default=None), high=FFT_MAX_ERROR),
        Check.construction("butterflies whose synapses differ from 2 n log2 n",
                           sum(r["deep_synapses"] != 2 * r["n"] * r["depth"] for r in fft), high=0),
        Check.construction("layered DFTs whose synapses differ from n sum_j r_j (l = 0: n^2, no zero DFT entry)",
                           sum(row["synapses"] != row["expected_synapses"] for row in built), high=0),
    ]
    for hidden in RADIX_LAYERS_MEASURED:
        predicted = 1 - 1 / (hidden + 1)
        checks.append(Check.measurement(
            f"FFT in {hidden + 1} layers (l = {hidden}): fitted exponent of C_s in n", exponents.get(hidden),
            predicted=predicted, low=predicted - EXPONENT_TOLERANCE, high=predicted + EXPONENT_TOLERANCE,
            detail=f"FFT in {hidden + 1} layers: C_s ~ n^{_exp(exponents.get(hidden))} over n = {fft[0]['n']} .. "
                   f"{fft[-1]['n']}, predicted n^(1 - 1/(l+1)) = n^{predicted:.3f} (equal radices)"))
    for name, m in mm.items():
        predicted = 3 - m["omega"]
        for quantity, key in (("synapses of B -> A B, A fixed", "C_s_synapses_exponent"),
                              ("scalar operations", "C_s_operations_exponent")):
            checks.append(Check.measurement(
                f"{name}: fitted exponent of C_s in {quantity}", m["pure"][key], predicted=predicted,
                low=predicted - EXPONENT_TOLERANCE, high=predicted + EXPONENT_TOLERANCE,
                headline=name == "Strassen" and key == "C_s_synapses_exponent",
                detail=(f"{name}: C_s ~ n^{_exp(m['pure'][key])} in {quantity} over n = {m['pure']['fit_from']} .. "
                        f"{m['pure']['rows'][-1]['n']}, predicted n^(3 - omega) = n^{predicted:.3f}")))
    checks += [
        Check.identity("Strassen and Laderman run on integer matrices: products that differ from A @ B",
                       sum(not e["exact"] for e in runs), high=0),
        Check.construction("executed operation counts that differ from the recursion M(n) = R M(n/m), A(n) = ...",
                           sum(not e["counts_match"] for e in runs), high=0),
        Check.identity("networks B -> A B (A fixed) against A @ B: max relative error",
                       max((e["max_error"] for e in nets), default=None), high=MATMUL_MAX_ERROR),
        Check.construction("networks B -> A B whose synapses differ from the closed form",
                           sum(e["synapses"] != e["closed_form"] for e in nets), high=0),
        Check.construction("rank k: max |C_s / (n / 2k) - 1|",
                           max(abs(r["C_s"] * 2 * r["k"] / r["n"] - 1) for r in low), high=LOW_RANK_TOLERANCE),
        Check.construction("rank k: examples whose numerical rank is not k", sum(r["rank"] != r["k"] for r in low),
                           high=0),
        Check.identity("rank k: max |B (C x) - A x| / max |A x|", max(r["max_error"] for r in low),
                       high=LOW_RANK_TOLERANCE),
        Check.identity("Eq. 27: worst |Monte Carlo C_s / formula - 1| over the grid", abs(worst["rel_diff"]),
                       high=EQ27_TOLERANCE,
                       detail=f"worst at n = {worst['n']}, p = {worst['p']}: {worst['C_s']:.4g} against "
                              f"{worst['formula']:.4g}"),
    ]
    metrics = {
        "fft": {"ns": [r["n"] for r in fft], "C_s": [r["flat_synapses"] / r["deep_synapses"] for r in fft],
                "max_error": max(r["max_error"] for r in fft),
                "layered_exponents": {str(h): exponents[h] for h in config.hidden_layers},
                "layered_max_error": max((row["max_error"] for row in built), default=None)},
        "lowrank": {"C_s": {f"{r['n']}/{r['k']}": r["C_s"] for r in low}},
        "eq27": {"worst_rel_diff": worst["rel_diff"], "worst_at": [worst["n"], worst["p"]],
                 "samples_total": sum(r["samples"] for r in eqs)},
        "matmul": {name: _matmul_metrics(m) for name, m in mm.items()},
    }
    s, lad = mm["Strassen"]["pure"], mm["Laderman"]["pure"]
    headline = (f"Strassen C_s ~ n^{_exp(s['C_s_synapses_exponent'])} in synapses (predicted 3 - log2 7 = "
                f"{3 - mm['Strassen']['omega']:.3f}), Laderman n^{_exp(lad['C_s_synapses_exponent'])} ("
                f"{3 - mm['Laderman']['omega']:.3f}); FFT in 2, 3, 4 layers: C_s ~ n^"
                + ", n^".join(_exp(exponents.get(h)) for h in RADIX_LAYERS_MEASURED)
                + f" (0.5, 0.667, 0.75); the paper's n^{3 - OMEGA_PAPER:.3f} (omega = {OMEGA_PAPER}) is not runnable")
    return Summary(checks=checks, metrics=metrics, headline=headline, figures=_figures(fft, layered, eqs, mm),
                   tables=_tables(fft, layered, low, eqs, mm), notes=_notes(mm))


def _exp(x: float | None) -> str:
    return "?" if x is None else f"{x:.3f}"


def _matmul_metrics(m: dict) -> dict:
    pure, hybrid = m["pure"], m["hybrid"]
    crossover = {}
    for label, table in (("pure", pure), ("hybrid", hybrid)):
        for key in ("C_s_synapses", "C_s_operations"):
            crossover[f"{label}_{key}"] = next((row["n"] for row in table["rows"] if row[key] > 1), None)
    return {"omega": m["omega"], "predicted_exponent": 3 - m["omega"], "fit_from": pure["fit_from"],
            "C_s_synapses_exponent": pure["C_s_synapses_exponent"],
            "C_s_operations_exponent": pure["C_s_operations_exponent"],
            "operations_exponent": pure["operations_exponent"],
            "hybrid_C_s_synapses_at_largest": hybrid["rows"][-1]["C_s_synapses"],
            "first_n_with_C_s_above_1": crossover, "executed_sizes": sorted({e["n"] for e in m["executed"]})}


def _tables(fft, layered, low, eqs, mm) -> list[Table]:
    tables = [
        Table("FFT: the radix-2 butterfly against the dense DFT",
              ["n", "layers", "deep synapses", "flat synapses", "C_s", "n / (2 log2 n)", "max rel. error"],
              [[r["n"], r["depth"], r["deep_synapses"], r["flat_synapses"], r["flat_synapses"] / r["deep_synapses"],
                r["n"] / (2 * r["depth"]), r["max_error"]] for r in fft],
              formats=["d", "d", "d", "d", ".4g", ".4g", ".2g"]),
        Table("FFT flattened to l + 1 layers (radix-2 stages grouped; '-': not built)",
              ["n", "l", "radices", "synapses", "C_s", "n^(1 - 1/(l+1)) / (l + 1)", "C_s / closed form",
               "max rel. error"],
              [[row["n"], row["hidden_layers"], "[" + " x ".join(map(str, row["radices"])) + "]", row["synapses"],
                row["C_s"], equal_radix_cs(row["n"], row["hidden_layers"]),
                None if row["C_s"] is None else row["C_s"] / equal_radix_cs(row["n"], row["hidden_layers"]),
                row["max_error"]] for row in layered],
              formats=["d", "d", "", "d", ".4g", ".4g", ".4f", ".2g"]),
        Table("Rank-k matrices through k hidden neurons",
              ["n", "k", "rank(A)", "deep synapses (2nk)", "flat synapses (n^2)", "C_s", "n / 2k", "max rel. error"],
              [[r["n"], r["k"], r["rank"], r["deep_synapses"], r["flat_synapses"], r["C_s"], r["n"] / (2 * r["k"]),
                r["max_error"]] for r in low], formats=["d", "d", "d", "d", "d", ".4g", ".4g", ".2g"]),
        Table("Eq. 27: product of random 0/1 matrices (Monte Carlo against the formula)",
              ["n", "p", "samples", "C_s (Monte Carlo)", "std. error", "Eq. 27", "rel. diff.", "1 / 2p"],
              [[r["n"], r["p"], r["samples"], r["C_s"], r["stderr"], r["formula"], r["rel_diff"], r["limit"]]
               for r in eqs], formats=["d", "g", "d", ".4g", ".2g", ".4g", "+.2%", ".4g"]),
    ]
    for name, m in mm.items():
        hybrid = {row["n"]: row for row in m["hybrid"]["rows"]}
        tables.append(Table(
            f"{name} against the schoolbook product: scalar operations, and synapses of B -> A B (A fixed)",
            ["n", "schoolbook ops", f"{name} ops", "C_s (ops)", "flat synapses (n^3)", "deep synapses",
             "C_s (synapses)", "best leaf", "C_s (synapses, best leaf)", f"n^{3 - m['omega']:.3f}",
             f"n^{3 - OMEGA_PAPER:.3f} (paper)"],
            [[row["n"], row["schoolbook_operations"], row["operations"], row["C_s_operations"], row["flat_synapses"],
              row["deep_synapses"], row["C_s_synapses"], hybrid[row["n"]]["leaf_synapses"],
              hybrid[row["n"]]["C_s_synapses"], row["n"] ** (3 - m["omega"]), row["n"] ** (3 - OMEGA_PAPER)]
             for row in m["pure"]["rows"]],
            formats=["d", ".4g", ".4g", ".4g", ".4g", ".4g", ".4g", "d", ".4g", ".4g", ".4g"]))
    return tables


def _notes(mm) -> list[str]:
    top = mm["Strassen"]["pure"]["rows"][-1]["n"]
    s = {k: f"beyond {top}" if v is None else v for k, v in _matmul_metrics(mm["Strassen"])[
        "first_n_with_C_s_above_1"].items()}
    return [
        "Roles: the butterflies and the B -> A B networks equal to numpy.fft and A @ B are identities (the "
        "algorithms are exact); their synapse counts equal to the formulas the builders follow are constructions; "
        "rank k is a construction and Eq. 27 a Monte Carlo of an exact ratio of expectations (identity). What is "
        "measured is how C_s scales with n against the laws written before the run.",
        "B -> A B with A fixed: the flat network is one layer, A kron I_n, with n^3 synapses; the deep one applies "
        "the scheme's V on each recursion level, multiplies by the fixed leaf factors (U applied to A), and "
        "recombines with W. Its synapses include the additions, so C_s starts below 1: with the full recursion, "
        f"Strassen's synapse C_s first exceeds 1 at n = {s['pure_C_s_synapses']} ({s['hybrid_C_s_synapses']} "
        f"with the best schoolbook leaf); in scalar operations at n = {s['pure_C_s_operations']} "
        f"({s['hybrid_C_s_operations']} with the best leaf).",
        f"Fits of the matrix-multiplication exponents start where (m^2 / R)^k <= {FIT_CORRECTION} (n >= "
        f"{mm['Strassen']['pure']['fit_from']} for Strassen, {mm['Laderman']['pure']['fit_from']} for Laderman); "
        "the exponents of the FFT's C_s(l) are fitted over every n run.",
    ]


def _figures(fft, layered, eqs, mm) -> list[FigureSpec]:
    ns = [r["n"] for r in fft]
    cs = Panel("FFT: C_s of l + 1 layers against the dense DFT", "n", "C_s", xscale="log", yscale="log")
    for i, hidden in enumerate(sorted({row["hidden_layers"] for row in layered})):
        rows = [row for row in layered if row["hidden_layers"] == hidden and row["C_s"] is not None]
        cs.series.append(Series(f"l = {hidden} (built)", [row["n"] for row in rows], [row["C_s"] for row in rows],
                                kind="scatter", style={"color": f"C{i}"}))
        cs.series.append(Series(f"n^(1 - 1/{hidden + 1}) / {hidden + 1}", ns, [equal_radix_cs(n, hidden) for n in ns],
                                style={"color": f"C{i}", "linestyle": ":"}))
    cs.series.append(Series("radix 2: n / (2 log2 n)", ns, [n / (2 * math.log2(n)) for n in ns],
                            style={"color": "k"}))
    mc = Panel("Eq. 27: Monte Carlo against the formula", "n", "C_s", xscale="log", yscale="log")
    for i, p in enumerate(sorted({r["p"] for r in eqs})):
        rows = [r for r in eqs if r["p"] == p]
        grid = np.unique(np.geomspace(rows[0]["n"], rows[-1]["n"], 40).round().astype(int)).tolist()
        mc.series.append(Series(f"p = {p:g} (Monte Carlo)", [r["n"] for r in rows], [r["C_s"] for r in rows],
                                yerr=[r["stderr"] or 0.0 for r in rows],
                                style={"color": f"C{i}", "marker": "o", "linestyle": "none"}))
        mc.series.append(Series(f"p = {p:g}: Eq. 27", grid, [eq27(n, p) for n in grid], style={"color": f"C{i}"}))
    mcs = Panel("Matrix multiplication: C_s against n", "n", "C_s (schoolbook / scheme)", xscale="log",
                yscale="log", hlines=[(1.0, "")])
    for i, (name, m) in enumerate(mm.items()):
        rows = m["pure"]["rows"]
        x = [row["n"] for row in rows]
        mcs.series.append(Series(f"{name}: synapses", x, [row["C_s_synapses"] for row in rows],
                                 style={"color": f"C{i}", "marker": "o"}))
        mcs.series.append(Series(f"{name}: operations", x, [row["C_s_operations"] for row in rows],
                                 style={"color": f"C{i}", "marker": "s", "linestyle": "--"}))
        mcs.series.append(Series(f"n^{3 - m['omega']:.3f}", x, [n ** (3 - m["omega"]) for n in x],
                                 style={"color": f"C{i}", "linestyle": ":"}))
    top = max(row["n"] for m in mm.values() for row in m["pure"]["rows"])
    mcs.series.append(Series(f"paper: n^{3 - OMEGA_PAPER:.3f} (omega = {OMEGA_PAPER})", [1, top],
                             [1, top ** (3 - OMEGA_PAPER)], style={"color": "k", "linestyle": "--"}))
    return [
        FigureSpec("fft_flattening", "The FFT's radix-2 stages grouped into l + 1 layers: C_s (points) against the "
                   "equal-radix law n^(1 - 1/(l+1)) / (l + 1) (dotted); the radix-2 butterfly gives n / (2 log2 n).",
                   [cs], columns=1),
        FigureSpec("sparse_product_eq27", "Product of two random 0/1 matrices of density p: Monte Carlo flattening "
                   "cost (points, one standard error) against Eq. 27 (lines).", [mc], columns=1),
        FigureSpec("matmul_counts", "B -> A B with A fixed: C_s of Strassen's and Laderman's networks (synapses) and "
                   "of their scalar operations against the schoolbook product; dotted: n^(3 - omega) of each scheme.",
                   [mcs], columns=1),
    ]


CLAIM = Claim(
    id=ID,
    title="Flattening even linear functions can be costly",
    section="III G",
    statement=("Linear no-flattening: a linear network of log2 n butterfly layers computes the FFT, so flattening it "
               "costs C_s = O(n / log n); a rank-k matrix through k hidden neurons has C_s = n / 2k; the product of "
               "two random sparse matrices of density p has C_s = [1 - (1 - p^2)^n] / 2p -> 1 / 2p (Eq. 27); and "
               "matrix multiplication by fast algorithms gives C_s >= n^(3 - omega) = n^0.627."),
    quick=QUICK,
    full=FULL,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
