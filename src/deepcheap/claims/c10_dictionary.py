"""C10 - Table I: the physics <-> machine-learning dictionary, each row tied to an executable check.

The rows are :data:`deepcheap.dictionary.TABLE_I` (the report reads the same table). Rows computed here:

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

The remaining rows are the subject of C01, C04/C05, C08 and C09.

Roles: the dictionary's entries are definitions and identities. Surprisal, the Gaussian density and the
KL = free-energy difference are identities (the last on large lattices an identity checked statistically:
thermodynamic integration against Kaufman in standard errors); the quadratic degree, the synapses per site,
translation invariance and the exact bit network hold by construction of the builders; the pooled
convolution's affine dependence on E is an identity. Nothing here could come out against the paper: the
verdict is ``untested`` (see ``UNTESTED``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import sympy as sp
import torch

import deepcheap
from deepcheap import library
from deepcheap.boolean import compile_boolean
from deepcheap.cheap_learning import CheapIsingClassifier
from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.checks import Check
from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.dictionary import TABLE_I
from deepcheap.physics.exact import enumerate_states, log_boltzmann, log_partition
from deepcheap.physics.free_energy import kl_by_enumeration, sampled_kl
from deepcheap.physics.gaussian_classes import GaussianClasses
from deepcheap.physics.lattice import T_CRITICAL, energy
from deepcheap.seeds import derive_seed, numpy_generator

ID = "C10"
EXACT_TOLERANCE = 1e-10
INVARIANCE_TOLERANCE = 1e-12  # translations of a periodic convolution: rounding only
SYNAPSE_SPREAD = 0.01  # spread of compiled synapses per site across lattice sizes
Z_SCORE = 3.0  # sampled against exact: within 3 standard errors
UNTESTED = ("Table I is a dictionary: each row checked here is a definition or an identity (surprisal, Gaussian "
            "density, KL = free-energy difference) or holds by how the networks are built (synapses per site, "
            "translation invariance, one neuron per multilinear term). A measurement that could fail: whether "
            "networks *trained* on data with a local, translation-symmetric Hamiltonian become sparse and "
            "convolutional (e.g. the fraction of a trained MLP's first-layer weight mass on lattice neighbours, "
            "against what an unstructured network would show).")


@dataclass(frozen=True)
class Config:
    surprisal_L: int = 4
    surprisal_T: float = T_CRITICAL
    gaussian_dim: int = 3
    gaussian_classes: int = 2
    gaussian_points: int = 1000
    locality_sizes: tuple[int, ...] = (4, 8, 16)
    compile_eps: float = 1e-6
    convolution_L: int = 8
    convolution_configurations: int = 200
    convolution_classes: int = 3
    bits_L: int = 3
    kl_exact_L: int = 4
    kl_temperatures: tuple[float, float] = (2.2, 2.4)
    kl_sizes: tuple[int, ...] = (16, 32)  # sampled KL and thermodynamic integration
    ti_points: int = 9
    sweeps: int = 2000


QUICK = Config()
FULL = Config(kl_sizes=(16, 32, 64), ti_points=17, sweeps=100000)


def trials(config: Config) -> list[Trial]:
    c = config
    out = [Trial(ID, "surprisal", {"kind": "surprisal", "L": c.surprisal_L, "T": c.surprisal_T}),
           Trial(ID, "gaussian", {"kind": "gaussian", "dim": c.gaussian_dim, "classes": c.gaussian_classes,
                                  "points": c.gaussian_points}),
           Trial(ID, "locality", {"kind": "locality", "sizes": list(c.locality_sizes), "eps": c.compile_eps}),
           Trial(ID, "convolution", {"kind": "convolution", "L": c.convolution_L, "classes": c.convolution_classes,
                                     "configurations": c.convolution_configurations}),
           Trial(ID, "bits", {"kind": "bits", "L": c.bits_L}),
           Trial(ID, f"kl-exact-L{c.kl_exact_L}", {"kind": "kl_exact", "L": c.kl_exact_L,
                                                   "temperatures": list(c.kl_temperatures)})]
    out += [Trial(ID, f"kl-sampled-L{L}", {"kind": "kl_sampled", "L": L, "temperatures": list(c.kl_temperatures),
                                            "points": c.ti_points, "sweeps": c.sweeps}) for L in c.kl_sizes]
    return out


def run_trial(params: dict, seed: int) -> dict:
    return _RUNNERS[params["kind"]](params, seed)


def _surprisal(params: dict, seed: int) -> dict:
    L, T = params["L"], params["T"]
    _, energies = enumerate_states(L)
    H = energies / T + log_partition(L, T, method="kaufman")
    return {"max_error": float(np.abs(H + log_boltzmann(energies, T)).max()), "states": len(energies)}


def _gaussian(params: dict, seed: int) -> dict:
    g = GaussianClasses.random(params["dim"], params["classes"], derive_seed(seed, "classes"))
    x, _ = g.sample(params["points"], derive_seed(seed, "points"))
    degree = max(sp.Poly(g.hamiltonian(k), *g.symbols()).total_degree() for k in range(g.classes))
    H = np.column_stack([sp.lambdify(g.symbols(), g.hamiltonian(k))(*x.T) for k in range(g.classes)])
    return {"degree": degree, "max_relative_error": float(np.abs(np.exp(-H) / g.likelihood(x) - 1).max())}


def _locality(params: dict, seed: int) -> dict:
    rows = []
    for L in params["sizes"]:
        H = library.ising_2d(L)
        net = deepcheap.compile(H, eps=params["eps"])
        rows.append({"L": L, "sites": L * L, "terms": len(H.args), "log10_possible_terms": L * L * np.log10(2),
                     "synapses": net.synapses, "neurons": net.neurons})
    return {"rows": rows}


def _convolution(params: dict, seed: int) -> dict:
    L = params["L"]
    spins = numpy_generator(derive_seed(seed, "spins")).choice([-1.0, 1.0], size=(params["configurations"], L, L))
    model = CheapIsingClassifier(params["classes"], seed=derive_seed(seed, "model"))
    x = torch.as_tensor(spins)
    with torch.no_grad():
        base = model(x)
        shifted = max(float((model(torch.roll(x, (dy, dx), dims=(1, 2))) - base).abs().max())
                      for dy in range(L) for dx in range(L))
        feature = model.feature(x).numpy()
    affine = model.feature_from_energy(energy(spins.astype(np.int8)), L * L)
    return {"translation_change": shifted, "affine_error": float(np.abs(feature - affine).max())}


def _bits(params: dict, seed: int) -> dict:
    L = params["L"]
    bits = np.array(list(itertools.product((0, 1), repeat=L * L)))
    table = energy((2 * bits - 1).reshape(-1, L, L).astype(np.int8))
    net = compile_boolean(table)
    with torch.no_grad():
        out = net.module(torch.as_tensor(bits, dtype=torch.float64)).numpy().reshape(-1)
    return {"inputs": len(table), "hidden_units": net.neurons, "bound": 2 ** (L * L) - 1,
            "max_error": float(np.abs(out - table).max()), "wrong_after_rounding": int(np.sum(np.round(out) != table))}


def _kl_exact(params: dict, seed: int) -> dict:
    return kl_by_enumeration(params["L"], *params["temperatures"]).to_dict()


def _kl_sampled(params: dict, seed: int) -> dict:
    t1, t2 = params["temperatures"]
    return sampled_kl(params["L"], t1, t2, points=params["points"], sweeps=params["sweeps"], seed=seed).to_dict()


_RUNNERS = {"surprisal": _surprisal, "gaussian": _gaussian, "locality": _locality, "convolution": _convolution,
            "bits": _bits, "kl_exact": _kl_exact, "kl_sampled": _kl_sampled}


def summarize(records: list[dict], config: Config) -> Summary:
    by = {r["params"]["kind"]: r["result"] for r in records}
    sampled = sorted((r for r in records if r["params"]["kind"] == "kl_sampled"), key=lambda r: r["params"]["L"])
    loc = by["locality"]["rows"]
    per_site = [row["synapses"] / row["sites"] for row in loc]
    L_s, L_b, L_k = config.surprisal_L, config.bits_L, config.kl_exact_L
    row_checks = {
        "surprisal": Check.identity(f"surprisal: max |beta E + ln Z - (-ln p)| over all {L_s}x{L_s} states",
                                    by["surprisal"]["max_error"], high=EXACT_TOLERANCE),
        "gaussian": Check.identity("Gaussian: max |e^(-H) / density - 1|", by["gaussian"]["max_relative_error"],
                                   high=EXACT_TOLERANCE),
        "locality": Check.construction(
            "locality: spread of compiled synapses per site across L = " + ", ".join(str(r["L"]) for r in loc),
            max(per_site) / min(per_site) - 1, high=SYNAPSE_SPREAD, detail="O(N) synapses: the same count per site"),
        "convolution": Check.construction("convolution: max output change under lattice translations",
                                          by["convolution"]["translation_change"], high=INVARIANCE_TOLERANCE),
        "bits": Check.construction(f"bits: wrong outputs after rounding, {L_b}x{L_b} energy on all "
                                   f"{by['bits']['inputs']} bit inputs", by["bits"]["wrong_after_rounding"], high=0),
        "kl": Check.identity(f"KL ({L_k}x{L_k} exact): |formula - sum p1 ln(p1/p2)| / KL",
                             by["kl_exact"]["relative_error"], high=EXACT_TOLERANCE),
    }
    checks = [
        *row_checks.values(),
        Check.construction("Gaussian: degree of H", by["gaussian"]["degree"], low=2, high=2),
        Check.identity("convolution: max |pooled feature - (2(a^2 + b^2) N - 2ab E)|",
                       by["convolution"]["affine_error"], high=EXACT_TOLERANCE),
        Check.construction("bits: hidden units / (2^n - 1)", by["bits"]["hidden_units"] / by["bits"]["bound"],
                           high=1.0, detail="one bit-product neuron per nonzero multilinear coefficient"),
    ]
    checks += [Check.identity(f"KL ({r['params']['L']}x{r['params']['L']}): |ln Z difference, thermodynamic "
                              "integration - Kaufman| in standard errors", abs(r["result"]["z"]), high=Z_SCORE,
                              detail="an identity checked statistically") for r in sampled]
    table_rows = []
    for row in TABLE_I:
        check = row_checks.get(row.check)
        table_rows.append([row.physics, row.ml, ", ".join(row.claims), check.name if check else "-",
                           check.role if check else "-", check.value if check else None,
                           check.high if check else None])
    kl_rows = [[r["params"]["L"], r["result"]["kl_kaufman"], r["result"]["kl_ti"], r["result"]["delta_log_z_ti_err"],
                r["result"]["z"]] for r in sampled]
    metrics = {"surprisal_error": by["surprisal"]["max_error"], "gaussian_error": by["gaussian"]["max_relative_error"],
               "synapses_per_site": per_site, "translation_change": by["convolution"]["translation_change"],
               "affine_error": by["convolution"]["affine_error"], "bit_neurons": by["bits"]["hidden_units"],
               "kl_exact_relative_error": by["kl_exact"]["relative_error"],
               "kl_sampled": {str(r["params"]["L"]): {k: v for k, v in r["result"].items() if not isinstance(v, list)}
                              for r in sampled},
               "rows": [{"physics": row.physics, "ml": row.ml, "claims": list(row.claims), "check": row.check}
                        for row in TABLE_I]}
    here = sum(1 for row in TABLE_I if row.check)
    headline = (f"{here} of {len(TABLE_I)} rows computed here, all identities or constructions (KL exact to "
                f"{by['kl_exact']['relative_error']:.0e}); the rest by "
                + ", ".join(sorted({c for row in TABLE_I if not row.check for c in row.claims})))
    return Summary(
        checks=checks, metrics=metrics, headline=headline, figures=_figures(sampled), untested=UNTESTED,
        tables=[Table("Table I, executed", ["physics", "machine learning", "claims", "check here", "role",
                                            "computed", "bound"], table_rows,
                      formats=["", "", "", "", "", ".2g", ".2g"]),
                Table("Locality = sparsity: the Ising energy compiled", ["L", "sites", "terms", "log10 possible terms",
                                                                       "neurons", "synapses"],
                      [[r["L"], r["sites"], r["terms"], r["log10_possible_terms"], r["neurons"], r["synapses"]]
                       for r in loc], formats=["d", "d", "d", ".0f", "d", "d"]),
                Table(f"KL(p_1 || p_2), T = {config.kl_temperatures[0]} vs {config.kl_temperatures[1]}: Kaufman's ln Z "
                      "against thermodynamic integration", ["L", "KL (Kaufman)", "KL (integration)",
                                                             "integration error", "z"], kl_rows,
                      formats=["d", ".5f", ".5f", ".2g", "+.2f"])],
        notes=[f"KL between T = {config.kl_temperatures[0]} and {config.kl_temperatures[1]}; the thermodynamic "
               "integration uses Simpson's rule over sampled <E>(beta) and never touches Z, so it checks Kaufman's "
               "ln Z independently."],
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
    quick=QUICK,
    full=FULL,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
