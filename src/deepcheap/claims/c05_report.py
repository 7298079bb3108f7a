"""C05's reading of its trial records (KL curves, N*, the budget control, the nnn control) and its tables and figures
(data for the report: numbers with formats, panels as data)."""

from __future__ import annotations

import math

import numpy as np

from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table

MODELS = ("cheap", "cnn", "local", "mlp")
LABELS = {"cheap": "cheap (a sum_nn / L^2 + b)", "cnn": "3x3 CNN (shared kernel)",
          "local": "3x3 locally connected", "mlp": "MLP (best architecture)"}
STYLES = {"cheap": {"marker": "*", "color": "C3"}, "cnn": {"marker": "o", "color": "C0"},
          "local": {"marker": "s", "color": "C2"}, "mlp": {"marker": "^", "color": "C1"}}


def architecture(run: dict):
    """A run's MLP architecture label: its width (one hidden layer) or "WxD" (D hidden layers); None otherwise."""
    depth = run.get("depth", 1)
    return run["width"] if depth == 1 or run["width"] is None else f"{run['width']}x{depth}"


def _arch_order(label) -> tuple[int, int]:
    if label is None:
        return (0, 0)
    if isinstance(label, str):
        width, depth = label.split("x")
        return (int(depth), int(width))
    return (1, label)


def curves(records: list[dict]) -> dict:
    """{(model, L): {"sizes", "median" (over seeds; the best architecture's for the MLP), "width" (the best
    architecture per size: its width, or "WxD" for D hidden layers), "per_width", "accuracy" (median, same
    architecture), "seeds"}} from the ladder trials (one record may hold one size or all)."""
    raw: dict = {}
    for r in records:
        if r["params"]["kind"] == "ladder":
            cells = raw.setdefault((r["params"]["model"], r["params"]["L"]), {})
            for run in r["result"]["runs"]:
                cells.setdefault((architecture(run), run["n"]), []).append(run)
    out = {}
    for key, cells in raw.items():
        sizes = sorted({n for _, n in cells})
        widths = sorted({w for w, _ in cells}, key=_arch_order)
        per_width = {w: [float(np.median([c["kl"] for c in cells[(w, n)]])) for n in sizes] for w in widths}
        best = [min(widths, key=lambda w, i=i: per_width[w][i]) for i in range(len(sizes))]
        out[key] = {"sizes": sizes, "median": [per_width[w][i] for i, w in enumerate(best)], "width": best,
                    "per_width": per_width, "seeds": min(len(c) for c in cells.values()),
                    "accuracy": [float(np.median([c["accuracy"] for c in cells[(w, n)]]))
                                 for w, n in zip(best, sizes, strict=True)]}
    return out


def _log(y: float) -> float:
    return math.log(max(y, 1e-300))


def n_star(sizes, kls, target: float) -> tuple[int | None, float | None]:
    """(the smallest size whose median KL <= target, that size refined by log-log interpolation from the size
    below); (None, None) if no size reaches it."""
    for i, (n, kl) in enumerate(zip(sizes, kls, strict=True)):
        if kl <= target:
            if i == 0:
                return n, float(n)
            lo, k0 = sizes[i - 1], kls[i - 1]
            t = (_log(k0) - _log(target)) / (_log(k0) - _log(kl))
            return n, math.exp(math.log(lo) + t * (math.log(n) - math.log(lo)))
    return None, None


def least_kl_below(curve: dict, bound: float) -> float:
    """The least median KL of the (log-log interpolated) curve over sizes <= bound, capped at the largest size tried:
    above a target iff the curve's interpolated N* for that target exceeds bound or is never reached."""
    sizes, kls = curve["sizes"], curve["median"]
    values = [k for n, k in zip(sizes, kls, strict=True) if n <= bound]
    for i in range(1, len(sizes)):
        if sizes[i - 1] < bound < sizes[i]:
            t = (math.log(bound) - math.log(sizes[i - 1])) / (math.log(sizes[i]) - math.log(sizes[i - 1]))
            values.append(math.exp(_log(kls[i - 1]) + t * (_log(kls[i]) - _log(kls[i - 1]))))
    return min(values) if values else kls[0]


def local_growth(cv: dict, Ls: list[int]) -> dict | None:
    """The locally connected network's data for the KL it reaches at the largest L and size (N* at that KL: it does
    not reach the claim's target), at the smallest and the largest L; None without two lattice sizes."""
    if len(Ls) < 2 or ("local", Ls[0]) not in cv or ("local", Ls[-1]) not in cv:
        return None
    small, large = cv[("local", Ls[0])], cv[("local", Ls[-1])]
    kl = large["median"][-1]
    n_small, n_large = n_star(small["sizes"], small["median"], kl)[1], n_star(large["sizes"], large["median"], kl)[1]
    return {"kl": kl, "kl_small": small["median"][-1], "small": n_small, "large": n_large,
            "ratio": None if n_small is None else n_large / n_small}


def budget_rows(records: list[dict], target: float) -> list[dict]:
    """Per (model, L): seed 0's KL at the largest size (best width) with the configured and the doubled budget."""
    out = []
    for r in records:
        res = r["result"]
        if r["params"]["kind"] != "ladder" or not res["budget"]:
            continue
        top = max(run["n"] for run in res["runs"])
        single = min((run for run in res["runs"] if run["n"] == top), key=lambda run: run["kl"])
        doubled = min(res["budget"], key=lambda run: run["kl"])
        out.append({"model": r["params"]["model"], "L": r["params"]["L"], "n": top, "kl": single["kl"],
                    "kl_doubled": doubled["kl"], "epochs": single["epochs"], "epochs_doubled": doubled["epochs"],
                    "flipped": (single["kl"] <= target) != (doubled["kl"] <= target)})
    return sorted(out, key=lambda b: (MODELS.index(b["model"]), b["L"]))


def control_summary(records: list[dict]) -> dict | None:
    """Medians over the control's replicates (None without control trials)."""
    rows = [r["result"] for r in records if r["params"]["kind"] == "control"]
    if not rows:
        return None
    p = next(r["params"] for r in records if r["params"]["kind"] == "control")

    def med(f) -> float | None:
        values = [f(c) for c in rows if f(c) is not None]
        return float(np.median(values)) if values else None

    return {"L": p["L"], "K1": p["K1"], "k2": p["k2"], "train": p["train"], "replicates": len(rows),
            "bayes_accuracy": med(lambda c: c["bayes_accuracy"]), "best_nn_rule": med(lambda c: c["best_nn_rule"]),
            "cheap_accuracy": med(lambda c: c["cheap"]["accuracy"]),
            "cnn_accuracy": med(lambda c: c["cnn"]["accuracy"]),
            "cheap_kl": med(lambda c: c["cheap"]["kl"]), "cnn_kl": med(lambda c: c["cnn"]["kl"]),
            "nn_fraction": med(lambda c: (c["cheap"]["accuracy"] - 0.5) / (c["bayes_accuracy"] - 0.5)),
            "cnn_gap": med(lambda c: c["bayes_accuracy"] - c["cnn"]["accuracy"]),
            "dK1": med(lambda c: c["dK1"]), "residual_z": med(lambda c: c["residual_z"]),
            "log_z_ratio": med(lambda c: c["log_z_ratio"])}


def star_text(star) -> str:
    return "never" if star[1] is None else f"{star[1]:.0f}"


def _order(cv: dict) -> list[tuple[str, int]]:
    return sorted(cv, key=lambda k: (MODELS.index(k[0]), k[1]))


def tables(cv, stars, bayes, budget, control, energy, counts, sw, target) -> list[Table]:
    sizes = sorted({n for c in cv.values() for n in c["sizes"]})
    star_rows, kl_rows = [], []
    for model, L in _order(cv):
        c = cv[(model, L)]
        grid, interp = stars[(model, L)]
        star_rows.append([L, model, c["width"][-1], grid, interp, c["median"][-1], bayes[L] - c["accuracy"][-1],
                          c["seeds"]])
        by = dict(zip(c["sizes"], c["median"], strict=True))
        kl_rows.append([L, model, *[by.get(n) for n in sizes]])
    out = [
        Table(f"N*: training configurations per class for a median test KL <= {target:g} nats ('-': never)",
              ["L", "model", "MLP width (xD: D layers) at the largest size", "N* (grid)", "N* (interpolated)",
               "median KL at the largest size", "Bayes - model accuracy there", "seeds"], star_rows,
              formats=["d", "", "", "d", ".0f", ".3g", "+.4f", "d"]),
        Table("Median test KL(p_Bayes || p_model) in nats by training configurations per class (MLP: best width)",
              ["L", "model", *[f"n = {n}" for n in sizes]], kl_rows, formats=["d", "", *[".3g"] * len(sizes)]),
    ]
    if budget:
        out.append(Table("Budget control (seed 0, largest size): twice the epochs and patience",
                         ["model", "L", "n", "KL", "KL, doubled budget", "epochs", "epochs, doubled budget",
                          "reaching the target flips"],
                         [[b["model"], b["L"], b["n"], b["kl"], b["kl_doubled"], b["epochs"], b["epochs_doubled"],
                           "yes" if b["flipped"] else "no"] for b in budget],
                         formats=["", "d", "d", ".3g", ".3g", "d", "d", ""]))
    if control:
        c = control
        out.append(Table(f"nnn control (L = {c['L']}, K1 = {c['K1']:.4g}, k2 = {c['k2']:g}, {c['train']} training "
                         f"configurations per class; medians over {c['replicates']} replicates)",
                         ["matched dK1", "residual z", "ln Z1 - ln Z0", "Bayes accuracy", "best sum_nn-only rule",
                          "nn cheap network", "3x3 CNN", "nn network KL", "CNN KL"],
                         [[c["dK1"], c["residual_z"], c["log_z_ratio"], c["bayes_accuracy"], c["best_nn_rule"],
                           c["cheap_accuracy"], c["cnn_accuracy"], c["cheap_kl"], c["cnn_kl"]]],
                         formats=[".4f", "+.2f", ".4f", ".4f", ".4f", ".4f", ".4f", ".3g", ".3g"]))
    worst: dict = {}
    for L, e in energy:
        key = (L, round(e["T"], 6))
        if key not in worst or abs(e["z"]) > abs(worst[key]["z"]):
            worst[key] = e
    out.append(Table("Training data against Kaufman: per L and T, the class mean energy farthest from it over trials",
                     ["L", "T", "sampled E/N", "jackknife error", "Kaufman E/N", "z", "tau_int (configurations)"],
                     [[L, e["T"], e["energy_per_site"], e["error"], e["exact"], e["z"], e["tau_int"]]
                      for (L, _), e in sorted(worst.items())],
                     formats=["d", ".4g", ".5f", ".2g", ".5f", "+.2f", ".2f"]))
    out += [
        Table("Parameters of a Hamiltonian of n binary variables (Section II D)",
              ["n", "log10 generic, degree 2", "local (square lattice)", "symmetric", "log10 of any function (2^n)"],
              [[c.n, c.log10_generic, c.local, c.symmetric, c.log10_any_function] for c in counts],
              formats=["d", ".1f", "d", "d", ".0f"]),
        Table("The swindle (Section I): a 1000 x 1000 image with 256 grey levels",
              ["inputs n", "values v", "log10 v^n (possible images)", "v * n"],
              [[sw.n, sw.v, sw.log10_v_to_the_n, sw.v_times_n]], formats=["d", "d", ".0f", "d"]),
    ]
    return out


def figures(cv, control, target, nn_fraction) -> list[FigureSpec]:
    panels = []
    for L in sorted({L for _, L in cv}):
        panel = Panel(f"L = {L}", "training configurations per class", "median test KL to Bayes (nats)",
                      xscale="log", yscale="log", hlines=[(target, f"KL = {target:g}")])
        for model in (m for m, L2 in _order(cv) if L2 == L):
            c = cv[(model, L)]
            panel.series.append(Series(LABELS[model], c["sizes"], [max(k, 1e-6) for k in c["median"]],
                                       style=STYLES[model]))
        panels.append(panel)
    out = [FigureSpec("kl_vs_training_size", "The data a model needs: median test KL to the Bayes posterior against "
                      "training size, one panel per lattice size (the nearest-neighbour cheap network, the 3x3 CNN, "
                      "the same stencil without weight sharing, the best-width MLP).", panels, columns=2)]
    if control and control["bayes_accuracy"] is not None:
        c = control
        bars = Panel(f"nnn control (L = {c['L']}, medians over replicates)", "", "test accuracy",
                     hlines=[(0.5, "chance"), (0.5 + nn_fraction * (c["bayes_accuracy"] - 0.5), "halfway to Bayes")])
        for i, (label, key, color) in enumerate([("Bayes", "bayes_accuracy", "0.5"),
                                                 ("best sum_nn-only rule", "best_nn_rule", "C1"),
                                                 ("nn cheap network", "cheap_accuracy", "C3"),
                                                 ("3x3 CNN", "cnn_accuracy", "C0")]):
            bars.series.append(Series(label, [i], [c[key]], kind="bar", style={"color": color}))
        out.append(FigureSpec("nnn_control", "A wrong prior fails: with matched nearest-neighbour energies the "
                              "nearest-neighbour network stays near chance; the 3x3 CNN sees the diagonal bonds.",
                              [bars], columns=1))
    return out
