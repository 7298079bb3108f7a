"""C06 - beyond the paper: the Hamiltonian can be read back out of a trained classifier.

For two temperature classes, log p(1 | s) - log p(0 | s) = (beta_1 - beta_0) J sum_<ij> s_i s_j + const
(Eq. 8 with H_y = beta_y E + ln Z_y). We train classifiers on Ising configurations - the cheap
network of C05 and a generic one-hidden-layer MLP - then fit their log-odds on held-out
configurations by least squares on every spin and every pair of spins (1 + n + n(n-1)/2
coefficients): the nearest-neighbour couplings should come out near beta_1 - beta_0 and every
other pair near zero. The exact Bayes log-odds, fitted the same way, calibrate the procedure.
"""

from __future__ import annotations

import numpy as np
import torch

from deepcheap.bayes import lattice_neighbours, read_out_couplings
from deepcheap.cheap_learning import train_cheap
from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.checks import Check
from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.physics.datasets import ising_temperatures
from deepcheap.training import ModelSpec, train

ID = "C06"
TEMPERATURES = (2.1, 2.5)  # either side of T_c
CHEAP_TOLERANCE = 0.10  # recovered (beta_1 - beta_0) J within 10%
SPURIOUS_MAX = 0.10  # rms of non-neighbour couplings / |true coupling|, cheap network
MLP_DOMINANCE = 3.0  # |mean nn coupling| / rms of the others, generic MLP (caveat)

_SETTINGS = {"quick": {"L": 6, "train": 4000, "test": 2500, "width": 32, "steps": 800},
             "full": {"L": 8, "train": 10000, "test": 6000, "width": 64, "steps": 2000}}


def trials(scale: str) -> list[Trial]:
    return [Trial(ID, f"L{_SETTINGS[scale]['L']}", {**_SETTINGS[scale], "temperatures": list(TEMPERATURES)})]


def run_trial(params: dict, seed: int) -> dict:
    L = params["L"]
    data = ising_temperatures(L, params["temperatures"], params["train"] + params["test"], seed)
    train_set, test_set = data.split(params["train"] / (params["train"] + params["test"]))
    true_coupling = float(data.betas[1] - data.betas[0])
    neighbours = lattice_neighbours(L)
    spins = test_set.spins.astype(np.float64)

    bayes_h = test_set.hamiltonians()
    bayes_fit = read_out_couplings(spins, bayes_h[:, 0] - bayes_h[:, 1], neighbours)

    cheap = train_cheap(train_set.spins, train_set.labels, test_set.spins, test_set.labels, 2, seed=seed % 100_000)
    with torch.no_grad():
        logits = cheap["model"](torch.as_tensor(spins)).numpy()
    cheap_fit = read_out_couplings(spins, logits[:, 1] - logits[:, 0], neighbours)

    mlp, mlp_accuracy = _train_mlp(train_set, test_set, params, seed)
    with torch.no_grad():
        out = mlp(torch.as_tensor(spins.reshape(len(spins), -1), dtype=torch.float32))[0].double().numpy()
    mlp_fit = read_out_couplings(spins, out[:, 1] - out[:, 0], neighbours)
    matrix = _coupling_map(spins, out[:, 1] - out[:, 0], L)
    return {
        "true_coupling": true_coupling,
        "bayes": bayes_fit, "cheap": cheap_fit, "mlp": mlp_fit,
        "cheap_analytic": cheap["model"].log_odds_couplings(0, 1),
        "cheap_accuracy": cheap["test_accuracy"], "mlp_accuracy": mlp_accuracy,
        "bayes_accuracy": test_set.bayes_accuracy(),
        "mlp_centre_couplings": matrix,
    }


def _train_mlp(train_set, test_set, params: dict, seed: int):
    x = torch.as_tensor(train_set.spins.reshape(len(train_set.labels), -1), dtype=torch.float32)
    xt = torch.as_tensor(test_set.spins.reshape(len(test_set.labels), -1), dtype=torch.float32)
    y, yt = torch.as_tensor(train_set.labels), torch.as_tensor(test_set.labels)
    model = ModelSpec((params["width"],), "tanh", seed=seed % 100_000, lr=3e-3, weight_decay=1e-4, n_outputs=2)
    result = train([model], x, y, steps=params["steps"], x_test=xt, y_test=yt, loss="cross_entropy")
    return result.predict, float(result.test_accuracy[0])


def _coupling_map(spins: np.ndarray, log_odds: np.ndarray, L: int) -> list[list[float]]:
    """Couplings K_{c,j} between a central site c and every site j (an L x L map), from the pair fit."""
    from deepcheap.bayes import pair_features

    X, pairs = pair_features(spins)
    coef, *_ = np.linalg.lstsq(X, log_odds, rcond=None)
    n, centre = L * L, (L // 2) * L + L // 2
    grid = np.zeros(n)
    for (i, j), k in zip(pairs, coef[1 + n:], strict=True):
        if centre in (i, j):
            grid[j if i == centre else i] = k
    return grid.reshape(L, L).tolist()


def summarize(records: list[dict], scale: str) -> Summary:
    res = records[0]["result"]
    L, true = records[0]["params"]["L"], res["true_coupling"]
    rel = {k: res[k]["nn_mean"] / true - 1 for k in ("bayes", "cheap", "mlp")}
    spurious = {k: res[k]["other_rms"] / abs(true) for k in ("bayes", "cheap", "mlp")}
    dominance = abs(res["mlp"]["nn_mean"]) / max(res["mlp"]["other_rms"], 1e-300)
    checks = [
        Check("cheap network: recovered nn coupling / (beta_1 - beta_0) J - 1", abs(rel["cheap"]),
              high=CHEAP_TOLERANCE, detail=f"recovered {res['cheap']['nn_mean']:.4f}, true {true:.4f}"),
        Check("cheap network: rms of non-neighbour couplings / |true coupling|", spurious["cheap"], high=SPURIOUS_MAX),
        Check("generic MLP: |mean nn coupling| / rms of other pair couplings", dominance, low=MLP_DOMINANCE,
              role="caveat", detail=(f"the MLP's read-out is noisier: nn {res['mlp']['nn_mean']:.4f} "
                                     f"(true {true:.4f}), other pairs rms {res['mlp']['other_rms']:.4f}")),
    ]
    rows = [[name, f"{res[key]['nn_mean']:.4f} +- {res[key]['nn_std']:.4f}", f"{100 * rel[key]:+.1f}%",
             f"{res[key]['other_rms']:.2g}", f"{res[key]['other_max_abs']:.2g}", f"{res[key]['field_max_abs']:.2g}",
             f"{res[key]['residual_rms'] / max(res[key]['log_odds_rms'], 1e-300):.2g}",
             f"{res[acc]:.4f}"]
            for name, key, acc in (("exact Bayes log-odds", "bayes", "bayes_accuracy"),
                                   ("cheap network (6 parameters)", "cheap", "cheap_accuracy"),
                                   ("generic MLP", "mlp", "mlp_accuracy"))]
    metrics = {"true_coupling": true, "relative_error": rel, "spurious_over_true": spurious,
               "mlp_dominance": dominance, "cheap_analytic_coupling": res["cheap_analytic"],
               "accuracies": {k: res[f"{k}_accuracy"] for k in ("bayes", "cheap", "mlp")}}
    headline = (f"(beta_1 - beta_0) J = {true:.4f}: "
                f"cheap net {res['cheap']['nn_mean']:.4f} ({100 * rel['cheap']:+.1f}%), "
                f"MLP {res['mlp']['nn_mean']:.4f} ({100 * rel['mlp']:+.1f}%)")
    couplings = Panel("Recovered couplings", "read-out", "nearest-neighbour coupling")
    couplings.series.append(Series("mean nn coupling (+- spread over bonds)", [0, 1, 2],
                                   [res[k]["nn_mean"] for k in ("bayes", "cheap", "mlp")],
                                   yerr=[res[k]["nn_std"] for k in ("bayes", "cheap", "mlp")], kind="bar"))
    couplings.hlines.append((true, "true (beta_1 - beta_0) J"))
    couplings.xlabel = "0 = exact Bayes, 1 = cheap network, 2 = generic MLP"
    heat = Panel(f"Generic MLP: coupling of the centre site to every site ({L}x{L})", "column", "row",
                 image=res["mlp_centre_couplings"], image_extent=(-0.5, L - 0.5, -0.5, L - 0.5), legend=False)
    return Summary(
        checks=checks, metrics=metrics, headline=headline,
        figures=[FigureSpec("readout", "Reading the Hamiltonian back out: least squares of each classifier's "
                            "log-odds on spin products. Nearest-neighbour couplings carry (beta_1 - beta_0) J; the "
                            "map shows the MLP's couplings of the centre site (neighbours light up).",
                            [couplings, heat], columns=2)],
        tables=[Table(f"Pair couplings read out of trained classifiers ({L}x{L}, T = {TEMPERATURES[0]} vs "
                      f"{TEMPERATURES[1]})",
                      ["classifier", "nn coupling (mean +- spread)", "vs true", "other pairs rms", "other pairs max",
                       "max field", "residual / log-odds rms", "test accuracy"], rows)],
        notes=[f"Fit: log-odds ~ c + sum h_i s_i + sum_(i<j) K_ij s_i s_j over {records[0]['params']['test']} x 2 "
               f"held-out configurations ({1 + L * L + L * L * (L * L - 1) // 2} coefficients). The cheap network's "
               f"coupling from its weights, 2ab(w_1 - w_0)/N = {res['cheap_analytic']:.4f}, agrees with its fit."],
    )


CLAIM = Claim(
    id=ID,
    title="The Hamiltonian can be read back out of a trained network",
    section="beyond the paper (Eq. 8 inverted)",
    statement=("A classifier trained on Ising temperatures computes log-odds (beta_1 - beta_0) J sum_<ij> s_i s_j: "
               "fitting its log-odds on spin products recovers the nearest-neighbour coupling, with spurious terms "
               "small."),
    quick=None,  # TODO(issue 15): Config
    full=None,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
