"""C05 - Sections I, II C-D: low order, locality and symmetry make learning cheap (issue 19: the data a model needs).

Measured: two Ising temperature classes on the periodic L x L lattice (Metropolis/Wolff samples, exact Boltzmann
log-probabilities by Kaufman, so the Bayes log-odds of every test configuration are exact). The inverse temperatures
are beta +- beta_gap / (2 L): the gap shrinks like 1/L so that the Bayes accuracy stays near 0.83 at every L (with
fixed temperatures every model would become perfect at large L and the comparison would say nothing). A ladder of
priors (:mod:`deepcheap.spin_classifiers`), each trained by Adam with early stopping on a validation split, on nested
training sets of n configurations per class:

1. ``cheap``: a sum_nn s_i s_j / L^2 + b (2 parameters: locality, symmetry and the quadratic order wired in);
2. ``cnn``: one 3x3 circular convolution, ReLU, mean over sites, linear head (11 C + 1: local and symmetric, it must
   learn the square; it contains the Bayes rule exactly, :func:`~deepcheap.spin_classifiers.cnn_bayes_weights`);
3. ``local``: the same stencil without weight sharing (locality only; 11 C L^2 + 1);
4. ``mlp``: one hidden layer over the L^2 spins, several widths (no prior; the best width counts at every size).

Primary metric: the exact test KL(p_Bayes || p_model) in nats per configuration; N*(model, L) is the smallest n
whose median (over seeds) KL <= 0.01, refined by log-log interpolation from the size below. Predictions (below,
written before the runs): N* stays within 2x across L for (1) and (2) (a missing N* fails: they must reach Bayes);
it grows with L for (3); the MLP's is >= 10x the CNN's or never reached at L >= 16. A control that must fail: two
classes differing by a next-nearest-neighbour coupling, class 1's nn coupling matched so that <sum_nn s s> is equal
(:mod:`deepcheap.physics.nnn_matching`): the nn cheap network must stay near chance, the 3x3 CNN must reach Bayes.

Shown, not evidence: the parameter counts of each family (construction), the constructed Bayes CNN and its locally
connected copy on the test sets (construction: the families contain the Bayes rule), the Section II D table and the
swindle of Section I (formulas). Caveats: the training data's mean energies against Kaufman (equilibration) and a
budget control (the largest size retrained with twice the epochs and patience: does reaching 0.01 flip?).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from deepcheap.cheap_learning import parameter_counts, swindle
from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.c05_report import (
    MODELS,
    budget_rows,
    control_summary,
    curves,
    figures,
    least_kl_below,
    local_growth,
    n_star,
    star_text,
    tables,
)
from deepcheap.claims.checks import Check, farthest_from
from deepcheap.physics.datasets import ising_temperatures
from deepcheap.physics.nnn_classes import bayes_log_odds, log_z_ratio_ti, sample
from deepcheap.physics.nnn_matching import matched_classes, sampled_accuracies
from deepcheap.seeds import derive_seed
from deepcheap.spin_classifiers import (
    accuracy,
    bayes_cheap_parameters,
    cnn_bayes_weights,
    local_from_cnn,
    make_classifier,
    mean_kl,
    parameter_count,
    predict_log_odds,
    train_classifier,
)

ID = "C05"
# Predictions and tolerances (issue 19), written before the runs.
KL_TARGET = 0.01  # nats per configuration: "reaches Bayes"
STAY_RATIO = 2.0  # cheap and CNN: max_L N* / min_L N* at most this ("stays within 2x across L")
GROWTH_RATIO = 2.0  # locally connected: data for the KL it reaches at the largest L and size, largest L over smallest
# L, at least this (beyond the 2x band of "stays"). Disclosed: this definition (a data ratio, as the issue asks)
# replaced a KL ratio at the largest size after a prototype run (which gave 1.86-2.04); the threshold 2 was not moved.
MLP_FACTOR = 10.0  # the MLP's N* at least 10x the CNN's (or never reached) ...
MLP_FROM_L = 16  # ... at every L >= 16
CONTROL_NN_FRACTION = 0.5  # control: (nn cheap accuracy - 1/2) / (Bayes - 1/2) at most this (halfway to Bayes)
CONTROL_CNN_MARGIN = 0.02  # control: Bayes accuracy - CNN accuracy at most this
ENERGY_Z = 4.0  # caveat: |sample mean energy - Kaufman| / jackknife error, worst class and trial
BUDGET_FLIPS = 0  # caveat: (model, L) whose "KL <= KL_TARGET at the largest size" flips under the doubled budget
BUDGET_FACTOR = 2  # the budget control's epochs and patience, times the configuration's
ORACLE_KL = 1e-8  # construction: KL of the constructed Bayes CNN (and its locally connected copy), float32
COUNT_SIZES = (64, 256, 1024, 10**6)  # n of the Section II D table
SWINDLE = (10**6, 256)  # a 1000 x 1000 image with 256 grey levels


@dataclass(frozen=True)
class Config:
    sizes: tuple[int, ...] = (8, 16)  # lattice sides L
    train_sizes: tuple[int, ...] = (30, 100, 300, 1000, 3000)  # training configurations per class (nested)
    seeds: int = 3  # replicates per (L, model): data, initialisation and batches
    local_seeds: int = 3  # ... for the locally connected network (48 us per configuration and step at L = 16)
    test_per_class: int = 2000
    val_fraction: float = 0.25  # validation configurations per class = this x the training size (at least 10)
    beta: float = 1 / 3  # mean inverse temperature of the two classes (T = 3)
    beta_gap: float = 1.0  # (beta_0 - beta_1) L
    models: tuple[str, ...] = MODELS
    channels: int = 4  # cnn and local
    widths: tuple[int, ...] = (16, 64, 256)  # mlp hidden widths (one hidden layer)
    deep_widths: tuple[int, ...] = ()  # mlp widths also tried with two hidden layers
    trial_per_size: bool = False  # one trial per (L, model, size, seed) with its own dataset (spreads on Dask), or
    # one per (L, model, seed) with nested training sets
    cheap_lr: float = 0.1
    cnn_lr: float = 0.05
    local_lr: float = 0.03
    mlp_lr: float = 3e-3
    batch: int = 256
    max_epochs: int = 300
    patience: int = 10
    budget_models: tuple[str, ...] = ("cheap", "cnn", "mlp")  # retrained at the largest size, seed 0 (local: its
    # check does not use KL_TARGET, and at L = 16 the control costs as much as the rest of its trial)
    control_L: int = 8
    control_K1: float = 1 / 3
    control_k2: float = 0.3
    control_train: int = 2000  # per class
    control_test: int = 2000  # per class
    control_sweeps: int = 4  # Metropolis sweeps between control configurations


QUICK = Config()
FULL = Config(sizes=(8, 16, 32, 64), train_sizes=(30, 60, 125, 250, 500, 1000, 2000, 4000, 10000),
              test_per_class=5000, local_seeds=3, widths=(16, 64, 256, 1024), deep_widths=(64, 256),
              trial_per_size=True, max_epochs=1000, patience=20, budget_models=MODELS, control_L=16,
              control_train=5000, control_test=5000)


def temperatures(L: int, config: Config) -> list[float]:
    """[T_0, T_1] with 1/T = beta +- beta_gap / (2 L): class 0 is the colder one."""
    half = config.beta_gap / (2 * L)
    return [1 / (config.beta + half), 1 / (config.beta - half)]


def architectures(model: str, config: Config) -> list[list]:
    """[[width, hidden layers], ...] of the MLP (every width with one layer, the deep widths with two); [[None, 1]]
    for the other families."""
    if model != "mlp":
        return [[None, 1]]
    return [[w, 1] for w in config.widths] + [[w, 2] for w in config.deep_widths]


def trials(config: Config) -> list[Trial]:
    """Per (L, model, replicate): one trial with all training sizes (nested) or, with ``trial_per_size``, one trial
    per size (each with its own dataset); the largest size of replicate 0 adds the budget control. One control
    trial per replicate."""
    train = {"batch": config.batch, "max_epochs": config.max_epochs, "patience": config.patience}
    sizes = sorted(config.train_sizes)
    groups = [[n] for n in sizes] if config.trial_per_size else [sizes]
    out = []
    for L in config.sizes:
        for model in config.models:
            for r in range(config.local_seeds if model == "local" else config.seeds):
                for group in groups:
                    name = f"L{L:02d}-{model}" + (f"-n{group[0]:05d}" if config.trial_per_size else "") + f"-r{r}"
                    out.append(Trial(ID, name, {
                        "kind": "ladder", "L": L, "model": model, "replicate": r,
                        "temperatures": temperatures(L, config), "sizes": group, "val_fraction": config.val_fraction,
                        "test": config.test_per_class, "channels": config.channels,
                        "architectures": architectures(model, config), "lr": getattr(config, f"{model}_lr"),
                        "budget_control": r == 0 and model in config.budget_models and sizes[-1] in group,
                        "budget_factor": BUDGET_FACTOR, **train}))
    for r in range(config.seeds):
        out.append(Trial(ID, f"control-r{r}", {
            "kind": "control", "L": config.control_L, "K1": config.control_K1, "k2": config.control_k2,
            "train": config.control_train, "val_fraction": config.val_fraction, "test": config.control_test,
            "sweeps": config.control_sweeps, "channels": config.channels, "cheap_lr": config.cheap_lr,
            "cnn_lr": config.cnn_lr, **train}))
    return out


def _val(n: int, fraction: float) -> int:
    return max(round(fraction * n), 10)


def _fit(params: dict, kind: str, L: int, width, x, y, xv, yv, x_test, u_test, y_test, seed: int,
         factor: int = 1, depth: int = 1) -> dict:
    model = make_classifier(kind, L, channels=params["channels"], width=width or 1, depth=depth,
                            seed=derive_seed(seed, "init"))
    fit = train_classifier(model, x, y, xv, yv, seed=derive_seed(seed, "batches"), lr=params["lr"],
                           batch=params["batch"], max_epochs=factor * params["max_epochs"],
                           patience=factor * params["patience"])
    u = predict_log_odds(fit.model, x_test)
    return {"width": width, "depth": depth, "kl": mean_kl(u_test, u), "accuracy": accuracy(u, y_test),
            "epochs": fit.epochs, "best_epoch": fit.best_epoch, "stopped_early": fit.stopped_early,
            "parameters": parameter_count(model)}


def _ladder(params: dict, seed: int) -> dict:
    L, kind, sizes = params["L"], params["model"], params["sizes"]
    top, val_top = sizes[-1], _val(sizes[-1], params["val_fraction"])
    data = ising_temperatures(L, params["temperatures"], top + val_top + params["test"], derive_seed(seed, "data"))
    x, y = data.spins, data.labels  # rows interleave the classes: every prefix is balanced
    h = data.hamiltonians()
    u_bayes = h[:, 0] - h[:, 1] + math.log(data.prior[1] / data.prior[0])  # ln p(1 | s) / p(0 | s), exact
    val0, test0 = 2 * top, 2 * (top + val_top)  # training pool | validation pool | test set: disjoint blocks
    x_test, y_test, u_test = x[test0:], y[test0:], u_bayes[test0:]
    runs, budget = [], []
    for n in sizes:
        v = _val(n, params["val_fraction"])
        for width, depth in params["architectures"]:
            fit_seed = derive_seed(seed, "fit", n, width or 0, *([depth] if depth > 1 else []))
            args = (params, kind, L, width, x[:2 * n], y[:2 * n], x[val0:val0 + 2 * v], y[val0:val0 + 2 * v],
                    x_test, u_test, y_test, fit_seed)
            runs.append({"n": n, **_fit(*args, depth=depth)})
            if params["budget_control"] and n == top:
                budget.append({"n": n, **_fit(*args, factor=params["budget_factor"], depth=depth)})
    oracle = None
    if kind in ("cnn", "local"):  # the existence oracle: the constructed Bayes CNN (or its local copy)
        cnn = cnn_bayes_weights(*bayes_cheap_parameters(data))
        oracle = mean_kl(u_test, predict_log_odds(cnn if kind == "cnn" else local_from_cnn(cnn, L), x_test))
    return {"bayes_accuracy": accuracy(u_test, y_test), "test_size": len(y_test), "runs": runs, "budget": budget,
            "oracle_kl": oracle, "energy_checks": [c.to_dict() for c in data.energy_checks()]}


def _control(params: dict, seed: int) -> dict:
    L, n, v, m = params["L"], params["train"], _val(params["train"], params["val_fraction"]), params["test"]
    matched = matched_classes(L, params["K1"], params["k2"], seed=derive_seed(seed, "match"))
    classes = matched.classes
    ti = log_z_ratio_ti(classes, seed=derive_seed(seed, "ti"))
    blocks = [[sample(classes, c, size, sweeps=params["sweeps"], seed=derive_seed(seed, part, c)) for c in (0, 1)]
              for part, size in (("train", n + v), ("test", m))]  # separate chains: the test set is independent
    x = np.concatenate([np.stack(draws, axis=1).reshape(-1, L, L) for draws in blocks])  # classes interleaved
    y = np.tile([0, 1], n + v + m)
    test0 = 2 * (n + v)
    u_test = bayes_log_odds(classes, x[test0:], ti.value)
    rules = sampled_accuracies(classes, m, seed=derive_seed(seed, "rules"), log_z_ratio=ti.value)
    z = matched.residual_z
    out = {"dK1": matched.dK1, "residual_z": None if math.isnan(z) else z, "log_z_ratio": ti.value,
           "log_z_stderr": ti.stderr, "bayes_accuracy": accuracy(u_test, y[test0:]),
           "best_nn_rule": max(rules.nn_threshold, rules.nn_interval, rules.nn_bins), "nn_rules": rules.to_dict()}
    for kind in ("cheap", "cnn"):
        fit = _fit({**params, "lr": params[f"{kind}_lr"]}, kind, L, None, x[:2 * n], y[:2 * n], x[2 * n:test0],
                   y[2 * n:test0], x[test0:], u_test, y[test0:], derive_seed(seed, "fit", kind))
        out[kind] = fit
    return out


def run_trial(params: dict, seed: int) -> dict:
    start = time.perf_counter()
    result = _ladder(params, seed) if params["kind"] == "ladder" else _control(params, seed)
    return {**result, "seconds": round(time.perf_counter() - start, 3)}


def expected_parameters(kind: str, L: int, channels: int, width, depth: int = 1) -> int:
    """The parameter count of each family, from its formula (spin_classifiers' docstring)."""
    w = width or 0
    return {"cheap": 2, "cnn": 11 * channels + 1, "local": 11 * channels * L * L + 1,
            "mlp": (L * L + 2) * w + 1 + (depth - 1) * (w + 1) * w}[kind]


def summarize(records: list[dict], config: Config) -> Summary:
    cv = curves(records)
    Ls = sorted({L for _, L in cv})
    stars = {key: n_star(c["sizes"], c["median"], KL_TARGET) for key, c in cv.items()}
    top = max(config.train_sizes)
    checks = []
    for model in (m for m in ("cheap", "cnn") if any(k[0] == m for k in cv)):
        found = [(L, stars[(model, L)]) for L in Ls if (model, L) in stars]
        values = [s[1] for _, s in found]
        checks.append(Check.measurement(
            f"{model}: N* (median KL <= {KL_TARGET:g} nats), largest over smallest across L = {Ls}",
            None if None in values else max(values) / min(values), predicted=1.0, high=STAY_RATIO,
            detail=f"{model}: N* = " + ", ".join(f"{star_text(s)} (L = {L})" for L, s in found) +
                   " configurations per class; a prior-laden network must reach Bayes with data independent of L"))
    growth = local_growth(cv, Ls)
    if growth:
        checks.append(Check.measurement(
            f"locally connected: data for median KL <= {growth['kl']:.3g} nats (its KL at L = {Ls[-1]}, n = {top}), "
            f"L = {Ls[-1]} over L = {Ls[0]}", growth["ratio"], predicted=(Ls[-1] / Ls[0]) ** 2, low=GROWTH_RATIO,
            detail=f"without weight sharing the data for KL {growth['kl']:.3g} grows from "
                   f"{star_text((None, growth['small']))} (L = {Ls[0]}) to {growth['large']:.0f} (L = {Ls[-1]}) "
                   f"configurations per class (KL at n = {top}: {growth['kl_small']:.3g} and {growth['kl']:.3g})"))
    mlp_ls = [L for L in Ls if L >= MLP_FROM_L and ("mlp", L) in cv]
    mlp_least = {}
    for L in mlp_ls:
        ref = stars.get(("cnn", L), (None, None))[1]
        mlp_least[str(L)] = None if ref is None else least_kl_below(cv[("mlp", L)], MLP_FACTOR * ref)
        bound = "(the CNN never reached the target: no reference)" if ref is None else (
            f"up to n = {min(MLP_FACTOR * ref, top):.0f} ({MLP_FACTOR:g}x the CNN's N* = {ref:.0f}"
            + (f", capped at the largest size {top})" if MLP_FACTOR * ref > top else ")"))
        value = mlp_least[str(L)]
        checks.append(Check.measurement(
            f"L = {L}: least median KL of the MLP (best width) with up to {MLP_FACTOR:g}x the CNN's N*", value,
            predicted=None, low=KL_TARGET, headline=mlp_ls[-1] == L,
            detail=f"L = {L}: the MLP's N* is {star_text(stars[('mlp', L)])}; its least median KL {bound} is "
                   f"{'-' if value is None else f'{value:.3g}'} nats; it must stay above {KL_TARGET:g}"))
    control = control_summary(records)
    if control:
        checks.append(Check.measurement(
            "nnn control: nn cheap network, (accuracy - 1/2) / (Bayes accuracy - 1/2)", control["nn_fraction"],
            predicted=0.0, high=CONTROL_NN_FRACTION,
            detail=f"classes differing by a diagonal coupling (k2 = {control['k2']:g}, matched <sum_nn>): the nn "
                   f"network gets {control['cheap_accuracy']:.3f} against Bayes {control['bayes_accuracy']:.3f} "
                   f"(best sum_nn-only rule {control['best_nn_rule']:.3f}); a wrong prior must fail"))
        checks.append(Check.measurement(
            "nnn control: Bayes accuracy - 3x3 CNN accuracy", control["cnn_gap"], predicted=0.0,
            high=CONTROL_CNN_MARGIN, detail=f"the 3x3 CNN gets {control['cnn_accuracy']:.3f} against Bayes "
                                            f"{control['bayes_accuracy']:.3f}: its prior covers the diagonal bonds"))
    energy = [(r["params"]["L"], c) for r in records if r["params"]["kind"] == "ladder"
              for c in r["result"]["energy_checks"]]
    worst_z = farthest_from([c["z"] for _, c in energy], 0.0)
    if energy:
        L_w, c_w = next(e for e in energy if e[1]["z"] == worst_z)
        checks.append(Check.measurement(
            "training data: (sample mean energy - Kaufman) / jackknife error, farthest from 0", worst_z,
            predicted=0.0, low=-ENERGY_Z, high=ENERGY_Z, caveat=True,
            detail=f"L = {L_w}, T = {c_w['T']:.4g}: E/N = {c_w['energy_per_site']:.5f} +- {c_w['error']:.5f} "
                   f"against Kaufman's {c_w['exact']:.5f} (non-equilibrated samples would make 'Bayes' wrong)"))
    budget = budget_rows(records, KL_TARGET)
    if budget:
        flips = [b for b in budget if b["flipped"]]
        checks.append(Check.measurement(
            f"budget control: (model, L) whose KL <= {KL_TARGET:g} at n = {top} flips with {BUDGET_FACTOR}x epochs "
            "and patience", len(flips), predicted=0.0, high=BUDGET_FLIPS, caveat=True,
            detail="flipped: " + ", ".join(f"{b['model']} L = {b['L']} ({b['kl']:.3g} -> {b['kl_doubled']:.3g})"
                                           for b in flips)))
    runs = [(r["params"], run) for r in records if r["params"]["kind"] == "ladder" for run in r["result"]["runs"]]
    checks.append(Check.construction(
        "trained models whose parameter count differs from the family's formula", sum(
            run["parameters"] != expected_parameters(p["model"], p["L"], p["channels"], run["width"],
                                                     run.get("depth", 1))
            for p, run in runs), high=0))
    oracles = [r["result"]["oracle_kl"] for r in records if r["params"]["kind"] == "ladder"
               and r["result"]["oracle_kl"] is not None]
    if oracles:
        checks.append(Check.construction(
            "constructed Bayes CNN (and its locally connected copy): largest test KL", max(oracles), high=ORACLE_KL,
            detail="the cnn and local families contain the Bayes rule (cnn_bayes_weights, float32)"))
    counts = [parameter_counts(n, 2) for n in COUNT_SIZES]
    checks.append(Check.construction("Section II D: parameters of a translation-invariant local quadratic "
                                     "Hamiltonian, largest over n", max(c.symmetric for c in counts), low=3, high=3))
    sw = swindle(*SWINDLE)
    bayes = {L: float(np.median([r["result"]["bayes_accuracy"] for r in records if r["params"]["kind"] == "ladder"
                                 and r["params"]["L"] == L])) for L in Ls}
    by_model = lambda table: {m: {str(L): v for (m2, L), v in sorted(table.items()) if m2 == m}  # noqa: E731
                              for m in MODELS if any(k[0] == m for k in table)}
    metrics = {
        "temperatures": {str(L): temperatures(L, config) for L in Ls}, "bayes_accuracy": {str(L): bayes[L] for L in Ls},
        "kl": by_model({k: {"sizes": c["sizes"], "median": c["median"], "width": c["width"]} for k, c in cv.items()}),
        "n_star": by_model({k: {"grid": s[0], "interpolated": s[1]} for k, s in stars.items()}),
        "mlp_least_kl": mlp_least, "local_growth": growth, "control": control, "budget": budget,
        "oracle_kl": max(oracles) if oracles else None, "worst_energy_z": worst_z, "swindle": sw.to_dict(),
        "parameter_counts": {str(c.n): c.to_dict() for c in counts}}
    return Summary(checks=checks, metrics=metrics, headline=_headline(stars, Ls, control, top), notes=_notes(config),
                   figures=figures(cv, control, KL_TARGET, CONTROL_NN_FRACTION),
                   tables=tables(cv, stars, bayes, budget, control, energy, counts, sw, KL_TARGET))


def _headline(stars: dict, Ls: list[int], control: dict | None, top: int) -> str:
    parts = [f"{m} " + "/".join(star_text(stars[(m, L)]) for L in Ls if (m, L) in stars)
             for m in MODELS if any(k[0] == m for k in stars)]
    text = (f"configurations per class for test KL <= {KL_TARGET:g} nats at L = {'/'.join(map(str, Ls))}: "
            + ", ".join(parts) + f" (never: not within {top})")
    if control:
        text += (f"; nnn control: nn network {control['cheap_accuracy']:.3f}, 3x3 CNN {control['cnn_accuracy']:.3f}, "
                 f"Bayes {control['bayes_accuracy']:.3f}")
    return text


def _notes(config: Config) -> list[str]:
    return [
        ("Protocol: per (L, model, size, seed) one dataset" if config.trial_per_size else
         "Protocol: per (L, model, seed) one dataset with nested training prefixes") +
        f" (ising_temperatures, 1/T = {config.beta:.4g} +- {config.beta_gap:g} / (2L)): n configurations per class "
        f"for training, a validation block of max({config.val_fraction:g} n, 10) per class and a test set of "
        f"{config.test_per_class} per class, all disjoint. Adam (lr "
        + ", ".join(f"{m} {getattr(config, f'{m}_lr'):g}" for m in MODELS) +
        f"), batches of {config.batch}, early stopping after {config.patience} epochs without a lower validation "
        f"loss (at most {config.max_epochs}), best state kept. Seeds: {config.seeds} ({config.local_seeds} for the "
        f"locally connected network); medians over seeds; the MLP's curve takes the best of widths "
        f"{list(config.widths)} (one hidden layer)" + (f" and {list(config.deep_widths)} (two hidden layers)"
                                                      if config.deep_widths else "") + " at each size.",
        "N* is the smallest training size whose median test KL <= the target, refined by log-log interpolation from "
        "the size below; 'never' means not within the sizes tried. The MLP's prediction (>= 10x the CNN's N*, or "
        "never) is tested only up to the largest size tried: an MLP that needs more than that counts as 'never'.",
        "Control: nnn classes (K1, 0) and (K1 + dK1, k2) with dK1 matched by Monte Carlo so that <sum_nn s s> is "
        "equal; Bayes log-odds with ln Z1 - ln Z0 by thermodynamic integration; the best sum_nn-only rule "
        "(threshold, interval or per-value vote) from separate samples.",
    ]


CLAIM = Claim(
    id=ID,
    title="Locality, symmetry and low order make learning cheap",
    section="I, II C-D",
    statement=("Low polynomial order, locality and translation symmetry cut the parameters of a Hamiltonian from "
               "exponential to O(n) to O(1), so a network with the right priors learns the Bayes-optimal classifier "
               "from little data, independent of the system size, where a generic one needs far more (the swindle "
               "v^n -> v n)."),
    quick=QUICK,
    full=FULL,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
