"""C05 - Sections I, II C-D: low order, locality and symmetry make tiny networks enough (cheap learning).

Measured: Ising temperature classification on periodic L x L lattices (temperatures around T_c,
exact Boltzmann likelihoods, so the Bayes-optimal accuracy is computed from the exact posterior
on the test configurations). A "cheap" network - a 2-site convolution shared by every site and
both directions, squared, pooled, one linear logit per class: at most 10 parameters - trained on
the same data; generic one-hidden-layer MLPs of growing width at equal data and an equal tuning
budget: how many parameters they need to come within 1 point of Bayes. Plus the parameter-count
table of Section II D and the swindle numbers of Section I, from their formulas.
"""

from __future__ import annotations

import math

from deepcheap.cheap_learning import mlp_sweep, parameter_counts, swindle, train_cheap
from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.checks import Check
from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.physics.datasets import ising_temperatures
from deepcheap.physics.lattice import T_CRITICAL

ID = "C05"
TEMPERATURES = (2.0, round(T_CRITICAL, 6), 2.6)
MATCH = 0.01  # "within 1 percentage point of the Bayes accuracy"
MAX_CHEAP_PARAMETERS = 10
MIN_PARAMETER_RATIO = 10.0  # a generic MLP needs at least this many times the cheap network's parameters

_SIZES = {"quick": [8, 16, 32], "full": [8, 16, 32, 64]}
_MLP_SIZES = {"quick": [8], "full": [8, 16]}
_TRAIN = {"quick": 1500, "full": 5000}  # configurations per class
_TEST = {"quick": 1500, "full": 5000}
_WIDTHS = {"quick": [1, 2, 4, 8, 16, 32, 64], "full": [1, 2, 4, 8, 16, 32, 64, 128, 256]}
_MLP_SEEDS = {"quick": 1, "full": 3}
_MLP_STEPS = {"quick": 600, "full": 2000}


def trials(scale: str) -> list[Trial]:
    return [Trial(ID, f"L{L}", {
        "L": L, "temperatures": list(TEMPERATURES), "train": _TRAIN[scale], "test": _TEST[scale],
        "widths": _WIDTHS[scale] if L in _MLP_SIZES[scale] else [], "mlp_seeds": _MLP_SEEDS[scale],
        "mlp_steps": _MLP_STEPS[scale]}) for L in _SIZES[scale]]


def run_trial(params: dict, seed: int) -> dict:
    L, train_n, test_n = params["L"], params["train"], params["test"]
    data = ising_temperatures(L, params["temperatures"], train_n + test_n, seed)
    train, test = data.split(train_n / (train_n + test_n))
    bayes = test.bayes_accuracy()
    cheap = train_cheap(train.spins, train.labels, test.spins, test.labels, data.classes, seed=seed % 100_000)
    out = {
        "bayes_accuracy": bayes,
        "bayes_stderr": math.sqrt(bayes * (1 - bayes) / len(test.labels)),
        "bayes_train_accuracy": train.bayes_accuracy(),
        "cheap_accuracy": cheap["test_accuracy"],
        "cheap_parameters": cheap["parameters"],
        "test_size": len(test.labels),
        "mlp": [],
    }
    if params["widths"]:
        out["mlp"] = mlp_sweep(train.spins, train.labels, test.spins, test.labels, data.classes, params["widths"],
                               seeds=params["mlp_seeds"], steps=params["mlp_steps"], seed=seed % 100_000)
    return out


def _mlp_match(res: dict) -> dict:
    """Smallest MLP within MATCH of Bayes, or the largest tried when none is."""
    matching = [m for m in res["mlp"] if m["test_accuracy"] >= res["bayes_accuracy"] - MATCH]
    if matching:
        best = min(matching, key=lambda m: m["parameters"])
        return {"matched": True, "parameters": best["parameters"], "width": best["width"]}
    largest = max(res["mlp"], key=lambda m: m["parameters"])
    return {"matched": False, "parameters": largest["parameters"], "width": largest["width"],
            "best_accuracy": max(m["test_accuracy"] for m in res["mlp"])}


def summarize(records: list[dict], scale: str) -> Summary:
    records = sorted(records, key=lambda r: r["params"]["L"])
    checks, rows, per_size = [], [], {}
    for r in records:
        L, res = r["params"]["L"], r["result"]
        gap = res["bayes_accuracy"] - res["cheap_accuracy"]
        per_size[L] = {"bayes_accuracy": res["bayes_accuracy"], "cheap_accuracy": res["cheap_accuracy"],
                       "gap": gap, "cheap_parameters": res["cheap_parameters"]}
        checks.append(Check(f"L = {L}: Bayes accuracy - cheap network accuracy", gap, high=MATCH,
                            detail=f"cheap {res['cheap_accuracy']:.4f} vs Bayes {res['bayes_accuracy']:.4f}"))
        match = _mlp_match(res) if res["mlp"] else None
        if match:
            per_size[L]["mlp_match"] = match
        rows.append([L, len(r["params"]["temperatures"]), res["test_size"], f"{res['bayes_accuracy']:.4f}",
                     f"{res['cheap_accuracy']:.4f}", res["cheap_parameters"],
                     "-" if match is None else (f"{match['parameters']} (w = {match['width']})" if match["matched"]
                                                else f"> {match['parameters']} (best {match['best_accuracy']:.4f})")])
    cheap_params = max(r["result"]["cheap_parameters"] for r in records)
    checks.append(Check("cheap network: trainable parameters", cheap_params, high=MAX_CHEAP_PARAMETERS))
    mlp_records = [r for r in records if r["result"]["mlp"]]
    for r in mlp_records:
        match = per_size[r["params"]["L"]]["mlp_match"]
        ratio = match["parameters"] / r["result"]["cheap_parameters"]
        checks.append(Check(
            f"L = {r['params']['L']}: parameters of the smallest generic MLP within 1 point / cheap network's",
            ratio, low=MIN_PARAMETER_RATIO,
            detail=("matched" if match["matched"] else "no MLP tried matched; ratio uses the largest tried")))
    counts = _count_rows()
    sw = swindle(10**6, 256)
    metrics = {"sizes": per_size, "swindle": sw, "cheap_parameters": cheap_params,
               "parameter_counts": {str(row[0]): row for row in counts}}
    worst_gap = max(v["gap"] for v in per_size.values())
    mlp_part = ""
    if mlp_records:
        first = per_size[mlp_records[0]["params"]["L"]]["mlp_match"]
        mlp_part = (f"; generic MLP needs {'' if first['matched'] else '> '}{first['parameters']} "
                    f"(L = {mlp_records[0]['params']['L']})")
    headline = f"{cheap_params}-parameter network within {100 * worst_gap:.2f} points of Bayes{mlp_part}"
    return Summary(
        checks=checks, metrics=metrics, headline=headline, figures=_figures(records),
        tables=[
            Table("Temperature classification (T = " + ", ".join(f"{t:.3g}" for t in TEMPERATURES) + ")",
                  ["L", "classes", "test configurations", "Bayes accuracy", "cheap accuracy", "cheap parameters",
                   "MLP parameters to match"], rows),
            Table("Parameters of a Hamiltonian of n binary variables (Section II D)",
                  ["n", "generic degree 2", "generic degree 4", "local (square lattice)", "symmetric",
                   "log10 of any function (2^n)"], counts),
            Table("The swindle (Section I): a 1000 x 1000 image with 256 grey levels",
                  ["inputs n", "values v", "log10 v^n (possible images)", "v * n"],
                  [[sw["n"], sw["v"], f"{sw['log10_v_to_the_n']:.0f}", sw["v_times_n"]]]),
        ],
        notes=["The cheap network is trained on its pooled quadratic moments (the identical function, faster); its "
               "test accuracy is measured by the convolutional forward pass. MLPs: one hidden tanh layer on the "
               "flattened spins, Adam with cosine decay and weight decay 1e-4, best test accuracy over seeds and a "
               "learning-rate grid (the same budget for every width)."],
    )


def _count_rows() -> list[list]:
    rows = []
    for n in (64, 256, 1024, 10**6):
        d2, d4 = parameter_counts(n, 2), parameter_counts(n, 4)
        fmt = lambda c: f"{c['generic']:,}" if c["log10_generic"] < 15 else f"1e{c['log10_generic']:.1f}"  # noqa: E731
        rows.append([n, fmt(d2), fmt(d4), d2["local"], d2["symmetric"], f"{d2['log10_any_function']:.0f}"])
    return rows


def _figures(records: list[dict]) -> list[FigureSpec]:
    panels = []
    for r in (r for r in records if r["result"]["mlp"]):
        res, L = r["result"], r["params"]["L"]
        panel = Panel(f"L = {L}: accuracy against parameters", "trainable parameters", "test accuracy",
                      xscale="log")
        panel.series.append(Series("generic MLP (one hidden layer)", [m["parameters"] for m in res["mlp"]],
                                   [m["test_accuracy"] for m in res["mlp"]], style={"marker": "o"}))
        panel.series.append(Series("cheap network", [res["cheap_parameters"]], [res["cheap_accuracy"]],
                                   kind="scatter", style={"marker": "*", "s": 160, "color": "C3", "zorder": 5}))
        panel.hlines.append((res["bayes_accuracy"], "Bayes optimum"))
        panel.hlines.append((res["bayes_accuracy"] - MATCH, "Bayes - 1 point"))
        panels.append(panel)
    sizes = Panel("Accuracy against lattice size", "L", "test accuracy")
    Ls = [r["params"]["L"] for r in records]
    sizes.series.append(Series("Bayes optimum (exact posterior)", Ls, [r["result"]["bayes_accuracy"] for r in records],
                               yerr=[r["result"]["bayes_stderr"] for r in records], style={"marker": "o"}))
    sizes.series.append(Series("cheap network", Ls, [r["result"]["cheap_accuracy"] for r in records],
                               style={"marker": "*", "markersize": 10, "linestyle": "--"}))
    panels.append(sizes)
    return [FigureSpec("accuracy_vs_parameters",
                       "Cheap learning: a local, translation-invariant, quadratic network with a handful of "
                       "parameters is Bayes-optimal; generic MLPs at equal data need far more.", panels, columns=2)]


CLAIM = Claim(
    id=ID,
    title="Locality, symmetry and low order make learning cheap",
    section="I, II C-D",
    statement=("Low polynomial order, locality and translation symmetry cut the parameters of a Hamiltonian from "
               "exponential to O(n) to O(1), so a network with a handful of parameters can be optimal where a "
               "generic one needs far more (the swindle v^n -> v n)."),
    quick=None,  # TODO(issue 15): Config
    full=None,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
