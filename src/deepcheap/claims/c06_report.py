"""C06's tables and figures (data for the report: numbers with formats, panels as data)."""

from __future__ import annotations

import numpy as np

from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table

GROUPS = ("fields", "nn pairs", "other pairs", ">=3 spins")
MARKERS = {"cheap": "o", "cnn": "s", "mlp": "^", "local": "D"}


def tables(networks: list[dict], pl: list[dict], functions: dict, namer) -> list[Table]:
    calibration = Table(
        "Calibration: the read-out of functions with known answers (every state of the 4 x 4 torus)",
        ["function", "KL to Bayes", "coupling / K", "weighted variance outside nn",
         *[f"spectrum: {g}" for g in GROUPS]],
        [[name, f["kl"], f["coupling_ratio"], f["outside_nn"], *[f["spectrum"][g] for g in GROUPS]]
         for name, f in functions.items()],
        formats=["", ".3g", ".4f", ".3g", ".3f", ".3f", ".3f", ".3f"])
    rows = sorted(networks, key=lambda n: (n["model"], n["size"], n["per_class"], n["kl"]))
    trained = Table(
        "Trained networks: exact KL to the Bayes posterior and the read-out of their log-odds over all 2^16 states",
        ["network", "parameters", "per class", "KL (nats)", "log-odds error / sd", "decisions as Bayes", "coupling / K",
         "weighted variance outside nn", "spectrum: nn pairs", "spectrum: other pairs", "spectrum: >=3 spins"],
        [[namer(n["model"], n["size"]), n["parameters"], n["per_class"], n["kl"], n["log_odds_error"],
          n["agreement_with_bayes"],
          n["coupling_ratio"], n["outside_nn"], n["spectrum"]["nn pairs"], n["spectrum"]["other pairs"],
          n["spectrum"][">=3 spins"]] for n in rows],
        formats=["", "d", "d", ".3g", ".3f", ".4f", ".3f", ".3g", ".3f", ".3f", ".3f"])
    versus = Table(
        "Coupling error against samples per class: pseudo-likelihood inverse Ising (per-site logistic regression, "
        "both classes) against the classifiers' read-out (median over seeds)",
        ["per class", "pseudo-likelihood: coupling / K", "its standard error / |K|", "converged",
         *[f"read-out: {m}" for m in _models(networks, namer)]],
        [[r["per_class"], r["ratio"], None if r["stderr"] is None else r["stderr"] / abs(r["coupling"] / r["ratio"]),
          "yes" if r["converged"] else "no (separable: a spin's neighbours decide it)",
          *[_median_ratio(networks, key, r["per_class"]) for key in _models(networks, namer, keys=True)]]
         for r in pl],
        formats=["d", ".3f", ".3f", "", *[".3f"] * len(_models(networks, namer))])
    return [calibration, trained, versus]


def _models(networks, namer, keys: bool = False) -> list:
    found = sorted({(n["model"], n["size"]) for n in networks})
    return found if keys else [namer(*k) for k in found]


def _median_ratio(networks, key, per_class) -> float | None:
    values = [n["coupling_ratio"] for n in networks if (n["model"], n["size"]) == key and n["per_class"] == per_class]
    return float(np.median(values)) if values else None


def figures(networks: list[dict], pl: list[dict], calibration: dict) -> list[FigureSpec]:
    gate = Panel("Weighted log-odds variance outside nn pairs against KL to Bayes", "exact KL (nats)",
                 "variance outside nn pairs", xscale="log", yscale="log")
    coupling = Panel("Read-out coupling against KL to Bayes", "exact KL (nats)", "|coupling / K - 1|",
                     xscale="log", yscale="log")
    for key in sorted({(n["model"], n["size"]) for n in networks}):
        mine = [n for n in networks if (n["model"], n["size"]) == key]
        label = f"{key[0]} {key[1]}" if key[0] != "cheap" else "cheap"
        style = {"marker": MARKERS.get(key[0], "o")}
        gate.series.append(Series(label, [n["kl"] for n in mine], [max(n["outside_nn"], 1e-12) for n in mine],
                                  kind="scatter", style=style))
        coupling.series.append(Series(label, [n["kl"] for n in mine],
                                      [max(abs(n["coupling_ratio"] - 1), 1e-12) for n in mine], kind="scatter",
                                      style=style))
    gate.hlines.append((0.05, "gate: 5%"))
    gate.vlines.append((0.01, "KL = 0.01"))
    coupling.hlines.append((0.10, "gate: 10%"))
    coupling.vlines.append((0.01, "KL = 0.01"))
    versus = Panel("Coupling error against samples per class", "samples per class", "|coupling / K - 1|",
                   xscale="log", yscale="log")
    K = calibration["coupling"]
    converged = [r for r in pl if r["converged"]]
    versus.series.append(Series("pseudo-likelihood (converged fits)", [r["per_class"] for r in converged],
                                [max(abs(r["ratio"] - 1), 1e-12) for r in converged],
                                yerr=[0.0 if r["stderr"] is None else r["stderr"] / abs(K) for r in converged],
                                style={"marker": "o", "color": "k"}))
    for key in sorted({(n["model"], n["size"]) for n in networks}):
        sizes = sorted({n["per_class"] for n in networks if (n["model"], n["size"]) == key})
        values = [_median_ratio(networks, key, s) for s in sizes]
        versus.series.append(Series(f"read-out: {key[0]} {key[1]}" if key[0] != "cheap" else "read-out: cheap",
                                    sizes, [max(abs(v - 1), 1e-12) for v in values],
                                    style={"marker": MARKERS.get(key[0], "o"), "linestyle": "--"}))
    return [FigureSpec("readout_gate", "Reading H back out of trained classifiers on the exact 4 x 4 torus: the "
                       "read-out is trusted only where KL to Bayes is small (the gate).", [gate, coupling], columns=2),
            FigureSpec("readout_vs_pseudo_likelihood", "What a physicist would use instead: pseudo-likelihood "
                       "inverse Ising on the same number of samples.", [versus], columns=1)]
