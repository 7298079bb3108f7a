"""C10 - Table I: the physics <-> machine-learning dictionary, each row an executable check.

Rows computed here:

* Hamiltonian <-> surprisal: beta E(s) + ln Z (Kaufman) against -ln p(s) from enumerated
  probabilities, every state of a 4x4 lattice;
* quadratic H <-> Gaussian p: e^(-H) of the compiled-from-sympy quadratic against the Gaussian
  density formula;
* locality <-> sparsity: multilinear coefficients of the Ising energy (2N of 2^N) and the deep
  compiled network's synapses per site across lattice sizes (constant: O(N));
* translation symmetry <-> convolution: the cheap network is exactly invariant under lattice
  translations and its pooled convolution is affine in the energy;
* spin <-> bit: the 3x3 Ising energy as a function of bits b = (s + 1)/2, compiled to one
  bit-product neuron per nonzero multilinear coefficient, exact on all 512 inputs;
* free-energy difference <-> KL divergence: KL(p_1 || p_2) = (beta_2 - beta_1) <H>_1 + ln Z_2 - ln Z_1,
  exact by enumeration on 4x4 (against the definition sum p_1 ln(p_1 / p_2)); on 16x16 and 32x32
  with Kaufman's ln Z and a sampled <H>_1, against thermodynamic integration of sampled energies
  (which never uses Z).

The remaining rows (simple H <-> cheap learning, effective theory <-> distillation, relevant and
irrelevant operators <-> features and noise, p from H <-> softmax) are the subject of C04/C05, C08,
C09 and C01; the report ties them together.
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp
import torch
from scipy.integrate import simpson

import deepcheap
from deepcheap import library
from deepcheap.boolean import compile_boolean
from deepcheap.cheap_learning import CheapIsingClassifier
from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.checks import Check
from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.physics.exact import enumerate_states, log_partition
from deepcheap.physics.gaussian_classes import GaussianClasses
from deepcheap.physics.ising import sample_summary
from deepcheap.physics.lattice import energy

ID = "C10"
EXACT_TOLERANCE = 1e-10
Z_SCORE = 3.0  # sampled against exact: within 3 standard errors
KL_TEMPERATURES = (2.2, 2.4)

_KL_SIZES = {"quick": [16, 32], "full": [16, 32, 64]}
_TI_POINTS = {"quick": 9, "full": 17}
_SWEEPS = {"quick": 2000, "full": 100000}

# (physics, machine learning, where it is checked)
ROWS = (
    ("Hamiltonian H", "surprisal -ln p", "surprisal"),
    ("simple H", "cheap learning", "C04, C05"),
    ("quadratic H", "Gaussian p", "gaussian"),
    ("locality", "sparsity", "locality"),
    ("translationally symmetric H", "convolutional neural net", "convolution"),
    ("spin", "bit", "bits"),
    ("free energy difference", "KL divergence", "kl"),
    ("effective theory", "nearly lossless data distillation", "C08"),
    ("irrelevant operator", "noise", "C09"),
    ("relevant operator", "feature", "C09"),
    ("computing p from H", "softmaxing", "C01"),
)


def trials(scale: str) -> list[Trial]:
    out = [Trial(ID, name, {"kind": name}) for name in ("surprisal", "gaussian", "locality", "convolution", "bits")]
    out.append(Trial(ID, "kl-exact-L4", {"kind": "kl_exact", "L": 4, "temperatures": list(KL_TEMPERATURES)}))
    out += [Trial(ID, f"kl-sampled-L{L}", {"kind": "kl_sampled", "L": L, "temperatures": list(KL_TEMPERATURES),
                                            "points": _TI_POINTS[scale], "sweeps": _SWEEPS[scale]})
            for L in _KL_SIZES[scale]]
    return out


def run_trial(params: dict, seed: int) -> dict:
    return _RUNNERS[params["kind"]](params, seed)


def _surprisal(params: dict, seed: int) -> dict:
    L, T = 4, 2.269
    _, energies = enumerate_states(L)
    w = np.exp(-(energies - energies.min()) / T)
    surprisal = -np.log(w / w.sum())
    H = energies / T + log_partition(L, T, method="kaufman")
    return {"max_error": float(np.abs(H - surprisal).max()), "states": len(energies)}


def _gaussian(params: dict, seed: int) -> dict:
    g = GaussianClasses.random(3, 2, seed)
    x, _ = g.sample(1000, seed + 1)
    degree = max(sp.Poly(g.hamiltonian(k), *g.symbols()).total_degree() for k in range(2))
    H = np.column_stack([sp.lambdify(g.symbols(), g.hamiltonian(k))(*x.T) for k in range(2)])
    density = g.likelihood(x)
    return {"degree": degree, "max_relative_error": float(np.abs(np.exp(-H) / density - 1).max())}


def _locality(params: dict, seed: int) -> dict:
    rows = []
    for L in (4, 8, 16):
        n = L * L
        net = deepcheap.compile(library.ising_2d(L), eps=1e-6)
        rows.append({"L": L, "sites": n, "terms": len(library.ising_2d(L).args),
                     "log10_possible_terms": n * np.log10(2), "synapses": net.synapses, "neurons": net.neurons})
    return {"rows": rows}


def _convolution(params: dict, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    L = 8
    spins = torch.as_tensor(rng.choice([-1.0, 1.0], size=(200, L, L)))
    model = CheapIsingClassifier(3, seed=seed % 1000)
    with torch.no_grad():
        base = model(spins)
        shifted = max(float((model(torch.roll(spins, (dy, dx), dims=(1, 2))) - base).abs().max())
                      for dy in range(L) for dx in range(L))
        feature = model.feature(spins).numpy()
    a, b = model.kernel.detach().numpy()
    affine = 2 * (a**2 + b**2) * L**2 - 2 * a * b * energy(spins.numpy().astype(np.int8))
    return {"translation_change": shifted, "affine_error": float(np.abs(feature - affine).max())}


def _bits(params: dict, seed: int) -> dict:
    L = 3
    bits = np.array(list(itertools.product((0, 1), repeat=L * L)))
    spins = (2 * bits - 1).reshape(-1, L, L).astype(np.int8)
    table = energy(spins)
    net = compile_boolean(table)
    with torch.no_grad():
        out = net.module(torch.as_tensor(bits, dtype=torch.float64)).numpy().reshape(-1)
    return {"inputs": len(table), "hidden_units": net.neurons, "bound": 2 ** (L * L) - 1,
            "max_error": float(np.abs(out - table).max()), "exact_after_rounding": bool(np.all(np.round(out) == table))}


def _kl_exact(params: dict, seed: int) -> dict:
    L, (t1, t2) = params["L"], params["temperatures"]
    _, E = enumerate_states(L)
    logp = [-(E - E.min()) / t - np.log(np.exp(-(E - E.min()) / t).sum()) for t in (t1, t2)]
    p1 = np.exp(logp[0])
    direct = float(np.sum(p1 * (logp[0] - logp[1])))
    mean_h1 = float(np.sum(p1 * E))
    formula = (1 / t2 - 1 / t1) * mean_h1 + log_partition(L, t2, method="kaufman") - log_partition(
        L, t1, method="kaufman")
    return {"direct": direct, "formula": float(formula), "relative_error": abs(formula - direct) / direct}


def _kl_sampled(params: dict, seed: int) -> dict:
    L, (t1, t2), sweeps = params["L"], params["temperatures"], params["sweeps"]
    n = L * L
    betas = np.linspace(1 / t2, 1 / t1, params["points"])  # ascending beta
    seeds = np.random.SeedSequence(seed).generate_state(len(betas))
    means, errors = [], []
    for beta, s in zip(betas, seeds, strict=True):
        summary = sample_summary(L, float(1 / beta), sweeps=sweeps, seed=int(s))
        means.append(summary["energy_per_site"] * n)
        errors.append(summary["energy_stderr"] * n)
    means, errors = np.array(means), np.array(errors)
    # ln Z(beta_1) - ln Z(beta_2) = -int_{beta_2}^{beta_1} <E> dbeta  (beta_1 = 1/t1 > beta_2)
    ti = -simpson(means, x=betas)
    weights = simpson(np.eye(len(betas)), x=betas, axis=1)  # Simpson weights, for the error of the integral
    ti_err = float(np.sqrt(np.sum((weights * errors) ** 2)))
    kaufman = log_partition(L, t1, method="kaufman") - log_partition(L, t2, method="kaufman")
    mean_h1, err_h1 = means[-1], errors[-1]
    dbeta = 1 / t2 - 1 / t1
    kl_kaufman = dbeta * mean_h1 - kaufman
    kl_ti = dbeta * mean_h1 - ti
    return {"betas": betas.tolist(), "energies": (means / n).tolist(), "energy_errors": (errors / n).tolist(),
            "delta_log_z_kaufman": float(kaufman), "delta_log_z_ti": float(ti), "delta_log_z_ti_err": ti_err,
            "kl_kaufman": float(kl_kaufman), "kl_ti": float(kl_ti),
            "kl_err": float(abs(dbeta) * err_h1), "z": float((ti - kaufman) / max(ti_err, 1e-300))}


_RUNNERS = {"surprisal": _surprisal, "gaussian": _gaussian, "locality": _locality, "convolution": _convolution,
            "bits": _bits, "kl_exact": _kl_exact, "kl_sampled": _kl_sampled}


def summarize(records: list[dict], scale: str) -> Summary:
    by = {r["trial"]: r["result"] for r in records}
    sampled = sorted((r for r in records if r["params"]["kind"] == "kl_sampled"), key=lambda r: r["params"]["L"])
    loc = by["locality"]["rows"]
    per_site = [row["synapses"] / row["sites"] for row in loc]
    checks = [
        Check("surprisal: max |beta E + ln Z - (-ln p)| over all 4x4 states", by["surprisal"]["max_error"],
              high=EXACT_TOLERANCE),
        Check("Gaussian: degree of H", by["gaussian"]["degree"], 2, 2),
        Check("Gaussian: max |e^(-H) / density - 1|", by["gaussian"]["max_relative_error"], high=EXACT_TOLERANCE),
        Check("locality: spread of compiled synapses per site across L = 4, 8, 16",
              max(per_site) / min(per_site) - 1, high=0.01, detail="O(N) synapses: the same count per site"),
        Check("convolution: max output change under lattice translations", by["convolution"]["translation_change"],
              high=1e-12),
        Check("convolution: max |pooled feature - affine(energy)|", by["convolution"]["affine_error"],
              high=EXACT_TOLERANCE),
        Check("bits: 3x3 Ising energy exact on all 512 bit inputs after rounding",
              float(by["bits"]["exact_after_rounding"]), 1.0, 1.0),
        Check("KL (4x4 exact): |formula - sum p1 ln(p1/p2)| / KL", by["kl-exact-L4"]["relative_error"],
              high=EXACT_TOLERANCE),
    ]
    for r in sampled:
        checks.append(Check(f"KL ({r['params']['L']}x{r['params']['L']}): |ln Z difference, thermodynamic "
                            "integration - Kaufman| in standard errors", abs(r["result"]["z"]), high=Z_SCORE))
    evidence = {
        "surprisal": f"max error {by['surprisal']['max_error']:.1g} over {by['surprisal']['states']} states",
        "gaussian": (f"degree {by['gaussian']['degree']}; "
                     f"e^(-H) = density to {by['gaussian']['max_relative_error']:.1g}"),
        "locality": (f"{loc[-1]['terms']} of 2^{loc[-1]['sites']} multilinear terms at {loc[-1]['L']}x{loc[-1]['L']}; "
                     f"{per_site[-1]:.1f} synapses per site at every L"),
        "convolution": (f"translation changes output by {by['convolution']['translation_change']:.1g}; "
                        f"feature affine in E to {by['convolution']['affine_error']:.1g}"),
        "bits": (f"{by['bits']['hidden_units']} bit-product neurons (<= {by['bits']['bound']}); max error "
                 f"{by['bits']['max_error']:.1g}"),
        "kl": (f"4x4 exact to {by['kl-exact-L4']['relative_error']:.1g}; "
               + "; ".join(f"{r['params']['L']}x{r['params']['L']}: KL {r['result']['kl_kaufman']:.4f} (Kaufman) vs "
                           f"{r['result']['kl_ti']:.4f} +- {r['result']['delta_log_z_ti_err']:.4f} (integration)"
                           for r in sampled)),
    }
    table_rows = [[phys, ml, evidence.get(key, f"see {key}")] for phys, ml, key in ROWS]
    metrics = {"surprisal_error": by["surprisal"]["max_error"], "gaussian_error": by["gaussian"]["max_relative_error"],
               "synapses_per_site": per_site, "translation_change": by["convolution"]["translation_change"],
               "bit_neurons": by["bits"]["hidden_units"],
               "kl_exact_relative_error": by["kl-exact-L4"]["relative_error"],
               "kl_sampled": {str(r["params"]["L"]): {k: v for k, v in r["result"].items()
                                                      if not isinstance(v, list)} for r in sampled},
               "rows": [{"physics": p, "ml": m, "checked_by": k if k.startswith("C") else ID} for p, m, k in ROWS]}
    computed = sum(1 for *_, k in ROWS if not k.startswith("C"))
    headline = (f"{computed} of {len(ROWS)} rows checked here (KL exact to "
                f"{by['kl-exact-L4']['relative_error']:.0e}); the rest by "
                + ", ".join(sorted({k for *_, k in ROWS if k.startswith("C")})))
    return Summary(
        checks=checks, metrics=metrics, headline=headline, figures=_figures(sampled),
        tables=[Table("Table I, executed", ["physics", "machine learning", "evidence"], table_rows),
                Table("Locality = sparsity: the Ising energy compiled", ["L", "sites", "terms", "log10 possible terms",
                                                                       "neurons", "synapses"],
                      [[r["L"], r["sites"], r["terms"], f"{r['log10_possible_terms']:.0f}", r["neurons"], r["synapses"]]
                       for r in loc])],
        notes=[f"KL between T = {KL_TEMPERATURES[0]} and {KL_TEMPERATURES[1]}; the thermodynamic integration uses "
               "Simpson's rule over sampled <E>(beta) and never touches Z, so it checks Kaufman's ln Z independently."],
    )


def _figures(sampled: list[dict]) -> list[FigureSpec]:
    panel = Panel("Sampled energy along the integration path", "beta", "<E>/N")
    for r in sampled:
        res = r["result"]
        panel.series.append(Series(f"{r['params']['L']}x{r['params']['L']}", res["betas"], res["energies"],
                                   yerr=res["energy_errors"], style={"marker": "o", "markersize": 3}))
    kl = Panel("KL(p_1 || p_2): Kaufman vs thermodynamic integration", "L", "KL divergence")
    Ls = [r["params"]["L"] for r in sampled]
    kl.series.append(Series("Kaufman ln Z + sampled <H>_1", Ls, [r["result"]["kl_kaufman"] for r in sampled],
                            style={"marker": "o"}))
    kl.series.append(Series("integration of sampled <E>", Ls, [r["result"]["kl_ti"] for r in sampled],
                            yerr=[r["result"]["delta_log_z_ti_err"] for r in sampled],
                            style={"marker": "s", "linestyle": "--"}))
    return [FigureSpec("free_energy_kl", "Free-energy difference = KL divergence: the same number from Kaufman's "
                       "exact partition function and from integrating sampled energies.", [panel, kl], columns=2)]


CLAIM = Claim(
    id=ID,
    title="Table I: the physics <-> machine-learning dictionary",
    section="Table I",
    statement=("Hamiltonian = surprisal, quadratic H = Gaussian, locality = sparsity, translation symmetry = "
               "convolution, spin = bit, free-energy difference = KL divergence, effective theory = distillation, "
               "irrelevant/relevant operators = noise/features."),
    quick=None,  # TODO(issue 15): Config
    full=None,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
