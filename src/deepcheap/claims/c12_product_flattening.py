"""C12 - Section III H, Appendix A: multiplying n inputs takes 2^n neurons in one hidden layer, ~4n deep.

Computed three ways, none of which can come out against the paper at this scale:

* constructions: the sign-sum network (2^n) and the compiled binary tree (4(n - 1)), built and counted
  (``construction``: the counts are the builders' formulas), the sign-sum's error against its scale
  (``identity``: Taylor's theorem gives lambda^2) and the tree's error against the eps asked of it;
* the rank certificate of Appendix A (:mod:`deepcheap.flattening.certificate`): the construction's matrix
  has rank 2^n and a layer of 2^n - 1 units cannot (``construction``: rank <= units). It proves that no
  narrower layer matches the product only under its hypotheses (bias-free units, no output bias,
  sigma_k != 0 for every k <= n, Taylor sense), which are checked per activation and bias. Where they fail
  the test does not apply: bias-free tanh (odd) multiplies 3 inputs with 4 = 2^(n-1) units, bias-free
  softplus (c_3 = 0) 4 inputs with 8, shown by the folded sign-sum and an exact solve of the Taylor system;
* training (beyond the paper): the smallest trained width and total hidden neurons (width x depth) reaching
  a relative RMS error, shallow against deep under one budget. At n <= 5 the theory's advantage
  2^n / 4(n - 1) is at most 2, below what a coarse width grid and a finite budget resolve: data, not evidence.

So the verdict is ``untested`` (see ``UNTESTED``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.checks import Check, farthest_from
from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.fits import loglog_slope
from deepcheap.flattening.certificate import (
    certify,
    folded_sign_sum,
    folded_sign_sum_error,
    hypotheses,
    taylor_rank,
    taylor_system,
)
from deepcheap.flattening.polynomial import deep_error_curve, product_networks, shallow_error_curve
from deepcheap.flattening.trained import (
    BUCKETS,
    DOMAINS,
    LOOSER_TARGETS,
    READOUTS,
    Budget,
    compare_depths,
    width_search,
)
from deepcheap.gates import shallow_product_gate
from deepcheap.seeds import derive_seed, numpy_generator

ID = "C12"
TARGET = 0.01  # relative RMS error a trained network must reach
QUICK_BUDGET = Budget(steps=1000)
LAMBDA_SLOPE = (1.8, 2.2)  # sign-sum and folded sign-sum errors fall like lambda^2 (Taylor)
TAYLOR_RESIDUAL = 1e-30  # a 50-digit solve of a consistent system leaves ~1e-50
HYPOTHESIS_DEGREE = 8  # the hypotheses table lists c_k = 0 for k <= 8
HYPOTHESIS_CASES = (("softplus", 0.0), ("softplus", 1.0), ("tanh", 0.0), ("tanh", 1.0), ("sigmoid", 0.0),
                    ("exp", 0.0))
ACTIVATIONS = ("softplus", "tanh", "relu")
UNTESTED = ("every check here is a construction or an identity: the counts are the builders' formulas, the "
            "certificate's rank cannot exceed the layer's width, and the lambda^2 convergence is Taylor's theorem; the "
            "trained comparison runs at n <= 5, where 2^n / 4(n - 1) <= 2. A measurement that could fail: the depth x "
            "size grid (issue 18), trained shallow and deep networks at n where 2^n / 4(n - 1) >= 10 (n >= 9), "
            "counting the pairs where the deep network needs fewer total hidden neurons.")


@dataclass(frozen=True)
class Config:
    construction_ns: tuple[int, ...] = tuple(range(2, 13))  # built and counted (the sign-sum stops at 2^12)
    certificate_ns: tuple[int, ...] = tuple(range(2, 10))
    shallow_error_ns: tuple[int, ...] = (2, 3, 4, 5, 6)
    deep_error_ns: tuple[int, ...] = (2, 4, 8)
    deep_eps: tuple[float, ...] = (1e-2, 1e-4, 1e-6, 1e-8)
    folded: tuple[tuple[str, float, int], ...] = (("tanh", 0.0, 3), ("softplus", 0.0, 4))  # activation, bias, n
    folded_scales: tuple[float, ...] = tuple(float(s) for s in np.logspace(-2.5, -0.5, 7))
    train_ns: tuple[int, ...] = (2, 3, 4, 5)
    activations: tuple[str, ...] = ("softplus", "tanh")  # FULL adds relu (no Taylor expansion: a contrast)
    domains: tuple[tuple[float, float], ...] = DOMAINS
    seeds: int = 2
    budget: Budget = QUICK_BUDGET
    widths: tuple[tuple[int, ...], ...] = BUCKETS[:2]


QUICK = Config()
FULL = Config(train_ns=tuple(range(2, 9)), activations=ACTIVATIONS, seeds=10,
              budget=Budget(steps=4000, lrs=(1e-2, 3e-2, 1e-1)), widths=(*BUCKETS, (96, 128)))


def trials(config: Config) -> list[Trial]:
    """Constructions, certificate, errors and the folded sign-sum (cheap), then one training trial per
    architecture x activation."""
    out = [Trial(ID, "construction", {"kind": "construction", "ns": list(config.construction_ns)}),
           Trial(ID, "certificate", {"kind": "certificate", "ns": list(config.certificate_ns),
                                     "cases": [list(c) for c in HYPOTHESIS_CASES], "degree": HYPOTHESIS_DEGREE}),
           Trial(ID, "errors", {"kind": "errors", "shallow_ns": list(config.shallow_error_ns),
                                "deep_ns": list(config.deep_error_ns), "eps": list(config.deep_eps)}),
           Trial(ID, "folded", {"kind": "folded", "cases": [list(c) for c in config.folded],
                                "scales": list(config.folded_scales)})]
    budget = {**asdict(config.budget), "lrs": list(config.budget.lrs)}
    for architecture in ("shallow", "deep"):
        for activation in config.activations:
            out.append(Trial(ID, f"trained-{architecture}-{activation}", {
                "kind": "trained", "architecture": architecture, "activation": activation,
                "ns": list(config.train_ns), "domains": [list(d) for d in config.domains], "target": TARGET,
                "seeds": config.seeds, "budget": budget, "widths": [list(b) for b in config.widths]}))
    return out


def run_trial(params: dict, seed: int) -> dict:
    kind = params["kind"]
    if kind == "construction":
        return {"rows": [product_networks(n).to_dict() for n in params["ns"]]}
    if kind == "certificate":
        return _certificate(params, seed)
    if kind == "errors":
        return {"shallow": [shallow_error_curve(n, seed=derive_seed(seed, "shallow", n)).to_dict()
                            for n in params["shallow_ns"]],
                "deep": [deep_error_curve(n, params["eps"], seed=derive_seed(seed, "deep", n)).to_dict()
                         for n in params["deep_ns"]]}
    if kind == "folded":
        return {"rows": [_folded(act, bias, n, params["scales"], derive_seed(seed, act, n))
                         for act, bias, n in params["cases"]]}
    budget = Budget(**{**params["budget"], "lrs": tuple(params["budget"]["lrs"])})
    results = width_search(params["ns"], (params["architecture"],), (params["activation"],),
                           domains=[tuple(d) for d in params["domains"]], target=params["target"],
                           seeds=params["seeds"], budget=budget, seed=seed,
                           buckets=[tuple(b) for b in params["widths"]])
    return {"results": [r.to_dict() for r in results]}


def _certificate(params: dict, seed: int) -> dict:
    """The construction's certificate (with its hypotheses), random layers of 2^n - 1 and 2^n units, and the
    hypotheses of a few (activation, bias) pairs."""
    rng = numpy_generator(seed)
    rows = []
    for n in params["ns"]:
        gate = shallow_product_gate(n)
        cert = certify(gate)
        rows.append({"n": n, "required": 2**n, "construction": cert.rank, "bias": gate.bias,
                     "applies": cert.applies, "vanishing": list(cert.hypotheses.vanishing),
                     "one_short": taylor_rank(rng.normal(size=(n, 2**n - 1))).rank,
                     "random_full_width": taylor_rank(rng.normal(size=(n, 2**n))).rank})
    cases = [hypotheses(act, bias, params["degree"]).to_dict() for act, bias in params["cases"]]
    return {"rows": rows, "cases": cases}


def _folded(activation: str, bias: float, n: int, scales, seed: int) -> dict:
    """The folded sign-sum of 2^(n-1) units: its certificate, its exact Taylor system and its error curve."""
    W, _ = folded_sign_sum(n, activation, bias, scale=1.0)
    cert = taylor_rank(W, activation=activation, bias=bias)
    errors = folded_sign_sum_error(n, activation, bias, scales, seed=seed)
    return {"activation": activation, "bias": bias, "n": n, "units": W.shape[1], "rank": cert.rank,
            "required": cert.required, "applies": cert.applies, "violations": list(cert.hypotheses.violations),
            "residual": taylor_system(W, activation=activation, bias=bias).residual,
            "same_layer_exp_residual": taylor_system(W, activation="exp").residual,
            "scales": list(scales), "errors": list(errors), "slope": loglog_slope(scales, errors)}


def summarize(records: list[dict], config: Config) -> Summary:
    by = {r["trial"]: r["result"] for r in records}
    construction, certificate = by["construction"]["rows"], by["certificate"]
    errors, folded = by["errors"], by["folded"]["rows"]
    trained = sorted((row for key, res in by.items() if key.startswith("trained") for row in res["results"]),
                     key=lambda r: (r["activation"], r["domain"], r["n"], r["architecture"] == "deep"))
    shallow_slopes = [loglog_slope(c["values"], c["errors"]) for c in errors["shallow"]]
    deep_ratio = max(e / eps for c in errors["deep"] for e, eps in zip(c["errors"], c["values"], strict=True))
    built = [r for r in construction if r["built"]]
    ns = f"n = {min(r['n'] for r in construction)}..{max(r['n'] for r in construction)}"
    rows = certificate["rows"]
    checks = [
        Check.construction(f"constructed shallow networks with neurons != 2^n ({ns})",
                           sum(r["shallow_neurons"] != 2 ** r["n"] for r in construction), high=0),
        Check.construction(f"constructed deep networks with neurons != 4(n - 1) ({ns})",
                           sum(r["deep_neurons"] != 4 * (r["n"] - 1) for r in construction), high=0),
        Check.construction("certificate: sign-sum constructions without full rank 2^n",
                           sum(r["construction"] != r["required"] for r in rows), high=0,
                           detail="the sign-sum's matrix is the 2^n x 2^n Walsh-Hadamard matrix by construction"),
        Check.construction("certificate: random layers of 2^n - 1 units reaching rank 2^n",
                           sum(r["one_short"] >= r["required"] for r in rows), high=0,
                           detail="cannot happen: a 2^n x (2^n - 1) matrix has rank at most 2^n - 1"),
        Check.identity("sign-sum error against lambda: log-log slope farthest from 2",
                       farthest_from(shallow_slopes, 2.0), low=LAMBDA_SLOPE[0], high=LAMBDA_SLOPE[1],
                       detail="Taylor's theorem: the first term the sign-sum leaves is O(lambda^2)"),
        Check.identity("deep tree: measured error / requested eps (largest)", deep_ratio, high=1.0,
                       detail="the accuracy pass's error model against the network it built"),
        Check.identity("folded sign-sum: largest residual of the exact Taylor system",
                       max(f["residual"] for f in folded), high=TAYLOR_RESIDUAL,
                       detail="2^(n-1) units match x_1...x_n in the Taylor sense where c_(n-1)(b) = 0"),
        Check.identity("folded sign-sum: error against lambda, log-log slope farthest from 2",
                       farthest_from([f["slope"] for f in folded], 2.0), low=LAMBDA_SLOPE[0], high=LAMBDA_SLOPE[1]),
        Check.identity("folded sign-sum: cases whose certificate hypotheses hold",
                       sum(f["applies"] for f in folded), high=0,
                       detail="c_(n-1)(b) = 0 violates sigma_k != 0 for k <= n: the rank test (rank 2^(n-1) < 2^n) "
                              "does not apply"),
    ]
    comparisons = [compare_depths(trained, looser).to_dict() for looser in (None, *LOOSER_TARGETS)]
    own = comparisons[0]
    reached = sum(r["min_width"] is not None for r in trained)
    largest = max(built, key=lambda r: r["n"])
    metrics = {
        "C_n": {str(r["n"]): r["C_n"] for r in construction},
        "shallow_error_slopes": {str(c["n"]): s for c, s in zip(errors["shallow"], shallow_slopes, strict=True)},
        "deep_error_over_eps": deep_ratio,
        "certificate": rows,
        "hypotheses": certificate["cases"],
        "folded": [{k: v for k, v in f.items() if k not in ("scales", "errors")} for f in folded],
        "trained_neurons": {_key(r): r["neurons"] for r in trained},
        "trained_neurons_at_10pct": {_key(r): r["neurons_at"]["0.1"] for r in trained},
        "depth_comparison": comparisons,
        "trained_reaching_target": reached,
        "trained_tasks": len(trained),
    }
    f3 = next((f for f in folded if f["n"] == 3), folded[0]) if folded else None
    headline = (f"constructed: 2^n shallow vs 4(n-1) deep (C_n = {largest['C_n']:.0f} at n = {largest['n']}); "
                "certificate rank 2^n, binding only under its hypotheses"
                + (f" ({f3['activation']} at b = {f3['bias']:g}: {f3['units']} units multiply {f3['n']} inputs)"
                   if f3 else "")
                + f"; trained (n <= {max(config.train_ns)}): deep used fewer total neurons in {own['deep_fewer']} "
                f"of {own['pairs']} pairs at {TARGET:.0%}")
    notes = [
        "Certificate hypotheses (Appendix A): one bias shared by every unit (bias-free), no output bias, and "
        "c_k = sigma^(k)(b)/k! != 0 for every k <= n; the rank test says nothing where one fails. deepcheap's own "
        "sign-sum gate sits at b = 0 for even n, where softplus has c_3 = c_5 = ... = 0: there its hypotheses fail "
        "too, and the folded sign-sum shows 2^(n-1) units suffice (n >= 4).",
        f"Trained results are data, not evidence: at n <= {max(config.train_ns)} the theory's advantage "
        f"2^n / 4(n - 1) is at most {max(2**n / (4 * (n - 1)) for n in config.train_ns if n > 1):.2g}. In total hidden "
        f"neurons (width x depth), deep < shallow in {own['deep_fewer']}, equal in {own['equal']}, deep > shallow "
        f"in {own['deep_more']} of {own['pairs']} pairs (n >= 3) that both reached {TARGET:.0%}; "
        f"{reached} of {len(trained)} trained tasks reached it.",
        _budget_note(config),
    ]
    short = [r for r in rows if r["random_full_width"] < r["required"]]
    if short:
        notes.append("Numerical rank (singular values above 1e-10 of the largest): a random layer of 2^n units reaches "
                     + ", ".join(f"{r['random_full_width']} of {r['required']} at n = {r['n']}" for r in short)
                     + "; the subset matrix of random weights is ill-conditioned there (generically its exact rank is "
                     "2^n). The sign-sum's matrix, a Walsh-Hadamard matrix, is perfectly conditioned.")
    return Summary(checks=checks, metrics=metrics, headline=headline, untested=UNTESTED, notes=notes,
                   figures=_figures(construction, errors, trained, config),
                   tables=_tables(construction, rows, certificate["cases"], folded, trained, comparisons))


def _key(r: dict) -> str:
    return f"{r['architecture']}|{r['activation']}|{r['domain'][0]:g},{r['domain'][1]:g}|{r['n']}"


def _domain(r: dict) -> str:
    return f"[{r['domain'][0]:g}, {r['domain'][1]:g}]"


def _tables(construction, rows, cases, folded, trained, comparisons) -> list[Table]:
    def vanishing(ks: list[int]) -> str:
        return ", ".join(f"c_{k}" for k in ks) if ks else "none"

    def covered(case: dict) -> int | None:  # the largest n >= 2 with c_k != 0 for every k <= n
        top = (min(case["vanishing"]) - 1) if case["vanishing"] else case["degree"]
        return top if top >= 2 else None

    return [
        Table("Constructed product networks", ["n", "shallow neurons (2^n)", "deep gate neurons (4(n-1))",
                                               "deep strict-MLP neurons", "deep depth", "C_n"],
              [[r["n"], r["shallow_neurons"], r["deep_neurons"], r["deep_mlp_neurons"], r["deep_depth"], r["C_n"]]
               for r in construction], formats=["d", "d", "d", "d", "d", ".2f"]),
        Table("Rank certificate (Appendix A): rank of A[S, j] = prod_{i in S} W[i, j]",
              ["n", "needed (2^n)", "sign-sum rank", "its bias b", "vanishing c_k(b), k <= n", "hypotheses hold",
               "random, 2^n - 1 units", "random, 2^n units"],
              [[r["n"], r["required"], r["construction"], r["bias"], vanishing(r["vanishing"]),
                "yes" if r["applies"] else "no", r["one_short"], r["random_full_width"]] for r in rows],
              formats=["d", "d", "d", ".3g", "", "", "d", "d"]),
        Table(f"Certificate hypotheses of bias-free units sigma(b + w.x): c_k(b) = 0 for k <= {cases[0]['degree']}",
              ["activation", "bias b", "vanishing c_k(b)", "certificate covers n <="],
              [[c["activation"], c["bias"], vanishing(c["vanishing"]), covered(c)] for c in cases],
              formats=["", ".3g", "", "d"]),
        Table("Where the hypotheses fail: the folded sign-sum (2^(n-1) units)",
              ["activation", "bias", "n", "units", "rank of A", "needed (2^n)", "hypotheses hold",
               "Taylor residual", "same layer, exp: residual", "error slope in lambda"],
              [[f["activation"], f["bias"], f["n"], f["units"], f["rank"], f["required"],
                "yes" if f["applies"] else "no", f["residual"], f["same_layer_exp_residual"], f["slope"]]
               for f in folded], formats=["", ".3g", "d", "d", "d", "d", "", ".2g", ".2g", ".3f"]),
        Table(f"Trained minimal widths and total hidden neurons (relative RMS error <= {TARGET:.0%}; also 3%, 10%)",
              ["architecture", "activation", "domain", "n", "depth", "min width", "neurons", "neurons at 3%",
               "neurons at 10%", "best error", "seeds reaching target"],
              [[r["architecture"], r["activation"], _domain(r), r["n"], r["depth"], r["min_width"], r["neurons"],
                r["neurons_at"]["0.03"], r["neurons_at"]["0.1"], r["lowest_error"],
                len(r["successful_seeds"])] for r in trained],
              formats=["", "", "", "d", "d", "d", "d", "d", "d", ".3g", "d"]),
        Table("Deep against shallow on the same task (n >= 3), total hidden neurons",
              ["target", "pairs reaching it", "deep fewer", "equal", "deep more", "shallow only", "deep only"],
              [[c["target"], c["pairs"], c["deep_fewer"], c["equal"], c["deep_more"], c["shallow_only"],
                c["deep_only"]] for c in comparisons],
              formats=[".0%", "d", "d", "d", "d", "d", "d"]),
    ]


def _figures(construction, errors, trained, config) -> list[FigureSpec]:
    ns = [r["n"] for r in construction]
    counts = Panel("Neurons to multiply n inputs (constructed)", "n", "hidden neurons", yscale="log",
                   series=[Series("shallow: 2^n", ns, [r["shallow_neurons"] for r in construction],
                                  style={"marker": "o"}),
                           Series("deep: 4(n-1)", ns, [r["deep_neurons"] for r in construction], style={"marker": "s"}),
                           Series("deep strict MLP (with pass-throughs)", [r["n"] for r in construction
                                                                          if r["deep_mlp_neurons"] is not None],
                                  [r["deep_mlp_neurons"] for r in construction if r["deep_mlp_neurons"] is not None],
                                  style={"linestyle": ":"})])
    shallow_err = Panel("Shallow 2^n construction: error against scale", "scale lambda", "max |error| on [-1,1]^n",
                        xscale="log", yscale="log",
                        series=[Series(f"n = {c['n']}", c["values"], c["errors"], style={"marker": "."})
                                for c in errors["shallow"]])
    panels = [_neurons_panel(trained, tuple(domain), key) for key in ("own", "0.1") for domain in config.domains]
    return [FigureSpec("construction", "By construction: 2^n neurons in one hidden layer against 4(n - 1) in a tree; "
                       "the shallow network converges like lambda^2.", [counts, shallow_err], columns=2),
            FigureSpec("trained_neurons", f"By training: the fewest total hidden neurons (width x depth) reaching "
                       f"{TARGET:.0%} (top) and 10% (bottom) relative RMS error, solid shallow, dashed deep, against "
                       "the constructions' 2^n and 4(n - 1); a missing point was not reached at any width tried.",
                       panels, columns=2)]


def _neurons_panel(trained: list[dict], domain, key: str) -> Panel:
    """Total hidden neurons at the target ('own') or a looser one against n, for one domain."""
    label = f"{TARGET:.0%}" if key == "own" else f"{float(key):.0%}"
    rows = [r for r in trained if tuple(r["domain"]) == domain]
    panel = Panel(f"Trained: fewest neurons ({label}), domain [{domain[0]:g}, {domain[1]:g}]", "n",
                  "total hidden neurons", yscale="log")
    for arch, marker in (("shallow", "o"), ("deep", "s")):
        for i, act in enumerate(sorted({r["activation"] for r in rows})):
            pts = [(r["n"], r["neurons"] if key == "own" else r["neurons_at"][key]) for r in rows
                   if r["architecture"] == arch and r["activation"] == act]
            pts = sorted(p for p in pts if p[1] is not None)
            if pts:
                panel.series.append(Series(f"{arch}, {act}", [p[0] for p in pts], [p[1] for p in pts],
                                           style={"marker": marker, "color": f"C{i}",
                                                  "linestyle": "-" if arch == "shallow" else "--"}))
    all_n = sorted({r["n"] for r in rows})
    panel.series.append(Series("2^n", all_n, [2**n for n in all_n], style={"color": "k", "linestyle": ":"}))
    panel.series.append(Series("4(n-1)", all_n, [4 * (n - 1) for n in all_n], style={"color": "0.5", "linestyle": ":"}))
    return panel


def _budget_note(config: Config) -> str:
    b = config.budget
    return (f"Training budget (equal for every width and architecture): full-batch Adam on the hidden layers, "
            f"{READOUTS[b.output]}, {b.steps} steps, cosine decay, learning rates {list(b.lrs)}, "
            f"{b.train_points} training and {b.test_points} test points, {b.dtype}; {config.seeds} seeds; widths "
            f"{[w for bucket in config.widths for w in bucket]}; deep = ceil(log2 n) hidden layers of the same width "
            "(n = 2: depth 1, the shallow network, trained once). Success: at least one seed (best learning rate) at "
            "or below the target.")


CLAIM = Claim(
    id=ID,
    title="No flattening: n inputs need 2^n shallow neurons, ~4n deep",
    section="III H, Appendix A",
    statement=("No network with one hidden layer can multiply n inputs with fewer than 2^n neurons (Taylor sense; "
               "bias-free units, sigma_k != 0 for every k <= n); a deep binary tree of 4-neuron gates needs about 4n."),
    quick=QUICK,
    full=FULL,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
