"""C01 - Section II A, Eq. 8: the Bayes posterior is softmax(-H_y(x) - mu_y); mu is the output bias.

Measured, on data whose likelihoods are known exactly:

* Gaussian classes (quadratic H): the posterior from the density formula (Bayes' theorem as
  written) against softmax(-H - mu), H from the sympy Hamiltonian, mu = -ln p(y);
* Ising temperature classes on every state of a small periodic lattice: the posterior from
  enumerated probabilities against softmax(-beta_y E - ln Z_y - mu_y) with ln Z_y from Kaufman's
  closed form (an independent route to the normalisation);
* a network whose hidden layers are the *compiled* Hamiltonian (``deepcheap.compile``) and whose
  last layer is one linear map (weights -beta_y, bias -ln Z_y - mu_y) followed by a softmax:
  its posterior against the exact one.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
import torch

import deepcheap
from deepcheap import library
from deepcheap.bayes import BoltzmannClassifier, HamiltonianClassifier, bayes_posterior, softmax_posterior
from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.checks import Check
from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.physics.exact import enumerate_states, log_partition
from deepcheap.physics.gaussian_classes import GaussianClasses
from deepcheap.physics.lattice import T_CRITICAL

ID = "C01"
FORMULA_TOLERANCE = 1e-10  # the identity is exact: only rounding separates the two sides
NETWORK_TOLERANCE = 1e-6  # compiled Hamiltonians carry the compiler's eps
COMPILE_EPS = 1e-7
TEMPERATURES = (1.8, T_CRITICAL, 3.0)

_GAUSSIAN = {"quick": [(2, 2), (3, 3), (4, 4)], "full": [(2, 2), (3, 3), (4, 4), (6, 5), (8, 3)]}
_LATTICES = {"quick": [3, 4], "full": [2, 3, 4]}
_POINTS = {"quick": 2000, "full": 20000}


def trials(scale: str) -> list[Trial]:
    out = [Trial(ID, f"gaussian-d{d}-k{k}", {"kind": "gaussian", "dim": d, "classes": k, "points": _POINTS[scale]})
           for d, k in _GAUSSIAN[scale]]
    out += [Trial(ID, f"ising-L{L}", {"kind": "ising", "L": L, "temperatures": list(TEMPERATURES)})
            for L in _LATTICES[scale]]
    return out


def run_trial(params: dict, seed: int) -> dict:
    return _gaussian_trial(params, seed) if params["kind"] == "gaussian" else _ising_trial(params)


def _gaussian_trial(params: dict, seed: int) -> dict:
    g = GaussianClasses.random(params["dim"], params["classes"], seed)
    x, y = g.sample(params["points"], seed + 1)
    exact = bayes_posterior(g.likelihood(x), g.prior)
    mu = -np.log(g.prior)
    H = np.column_stack([sp.lambdify(g.symbols(), g.hamiltonian(k))(*x.T) for k in range(g.classes)])
    formula_error = float(np.abs(softmax_posterior(H, mu) - exact).max())
    radius = float(np.ceil(np.abs(x).max()))
    nets = [deepcheap.compile(g.hamiltonian(k), eps=COMPILE_EPS, domain=(-radius, radius)) for k in range(g.classes)]
    with torch.no_grad():
        network = BoltzmannClassifier([n.module for n in nets], mu)(torch.as_tensor(x)).exp().numpy()
    return {
        "formula_error": formula_error,
        "network_error": float(np.abs(network - exact).max()),
        "neurons": sum(n.neurons for n in nets),
        "bayes_accuracy": float(np.mean(exact.argmax(1) == y)),
        "network_agrees": float(np.mean(network.argmax(1) == exact.argmax(1))),
    }


def _ising_trial(params: dict) -> dict:
    L, temps = params["L"], np.array(params["temperatures"])
    betas = 1.0 / temps
    states, energies = enumerate_states(L)
    prior = np.full(len(temps), 1.0 / len(temps))
    weights = np.exp(-np.outer(energies - energies.min(), betas))  # unnormalised p(x | T_k), shifted
    likelihood = weights / weights.sum(axis=0)  # normalised by summing over every state
    exact = bayes_posterior(likelihood, prior)
    log_z = np.array([log_partition(L, t, method="kaufman") for t in temps])
    H = np.outer(energies, betas) + log_z
    formula_error = float(np.abs(softmax_posterior(H, -np.log(prior)) - exact).max())
    net = deepcheap.compile(library.ising_2d(L), eps=COMPILE_EPS)
    classifier = HamiltonianClassifier(net.module, betas, log_z, prior)
    with torch.no_grad():
        network = classifier(torch.as_tensor(states.reshape(len(states), -1), dtype=torch.float64)).exp().numpy()
    p_joint = likelihood * prior
    levels, index = np.unique(energies, return_index=True)
    return {
        "formula_error": formula_error,
        "network_error": float(np.abs(network - exact).max()),
        "neurons": net.neurons,
        "states": len(states),
        "bayes_accuracy": float(p_joint.max(axis=1).sum()),
        "energy_per_site": (levels / L**2).tolist(),
        "posterior_by_energy": exact[index].T.tolist(),
        "network_by_energy": network[index].T.tolist(),
    }


def summarize(records: list[dict], scale: str) -> Summary:
    gauss = [r for r in records if r["params"]["kind"] == "gaussian"]
    ising = [r for r in records if r["params"]["kind"] == "ising"]
    worst = {
        "gaussian_formula": max(r["result"]["formula_error"] for r in gauss),
        "ising_formula": max(r["result"]["formula_error"] for r in ising),
        "network": max(r["result"]["network_error"] for r in records),
    }
    checks = [
        Check("Gaussian classes: max |Bayes posterior - softmax(-H - mu)|", worst["gaussian_formula"],
              high=FORMULA_TOLERANCE),
        Check("Ising temperatures (ln Z by Kaufman): max |Bayes posterior - softmax(-H - mu)|",
              worst["ising_formula"], high=FORMULA_TOLERANCE),
        Check("network with compiled H + one linear softmax layer: max posterior error", worst["network"],
              high=NETWORK_TOLERANCE, detail=f"Hamiltonians compiled at eps = {COMPILE_EPS:g}"),
    ]
    rows = []
    for r in records:
        p, res = r["params"], r["result"]
        case = (f"Gaussian, d = {p['dim']}, {p['classes']} classes" if p["kind"] == "gaussian"
                else f"Ising {p['L']}x{p['L']}, T = {', '.join(f'{t:.3g}' for t in p['temperatures'])}")
        size = p["points"] if p["kind"] == "gaussian" else res["states"]
        rows.append([case, size, f"{res['formula_error']:.2g}", f"{res['network_error']:.2g}", res["neurons"],
                     f"{res['bayes_accuracy']:.4f}"])
    metrics = {**worst, "cases": {r["trial"]: {k: v for k, v in r["result"].items() if not isinstance(v, list)}
                                  for r in records}}
    headline = (f"|posterior - softmax(-H-mu)| <= {max(worst['gaussian_formula'], worst['ising_formula']):.1g}; "
                f"compiled-H network {worst['network']:.1g}")
    return Summary(
        checks=checks, metrics=metrics, headline=headline, figures=_figures(records),
        tables=[Table("Bayes posterior against the Boltzmann form",
                      ["data", "inputs (points or all states)", "formula error", "network error",
                       "hidden neurons of H", "Bayes accuracy"], rows)],
        notes=["Ising likelihoods are normalised by summing over every state; the Boltzmann form uses Kaufman's "
               "ln Z, so the two sides share nothing but the energy function. The Bayes accuracy of the Ising "
               "rows is exact: sum over states of max_y p(x, y)."],
    )


def _figures(records: list[dict]) -> list[FigureSpec]:
    errors = Panel("Posterior error per case", "case", "max |error|", yscale="log")
    labels = [r["trial"] for r in records]
    ticks = list(range(len(labels)))
    errors.series.append(Series("softmax(-H - mu) vs Bayes", ticks,
                                [max(r["result"]["formula_error"], 1e-17) for r in records], kind="scatter",
                                style={"marker": "o", "s": 40}))
    errors.series.append(Series("compiled-H network vs Bayes", ticks, [r["result"]["network_error"] for r in records],
                                kind="scatter", style={"marker": "s", "s": 40}))
    errors.hlines.append((NETWORK_TOLERANCE, "network tolerance"))
    errors.xlabel = "case: " + ", ".join(f"{i} = {name}" for i, name in enumerate(labels))
    panels = [errors]
    biggest = max((r for r in records if r["params"]["kind"] == "ising"), key=lambda r: r["params"]["L"])
    L, res = biggest["params"]["L"], biggest["result"]
    posterior = Panel(f"Ising {L}x{L}: exact posterior of each temperature", "energy per site E/N",
                      "p(T | x)")
    for k, t in enumerate(biggest["params"]["temperatures"]):
        posterior.series.append(Series(f"T = {t:.3g} (exact)", res["energy_per_site"], res["posterior_by_energy"][k],
                                       style={"color": f"C{k}"}))
        posterior.series.append(Series(f"T = {t:.3g} (compiled network)", res["energy_per_site"],
                                       res["network_by_energy"][k], kind="scatter",
                                       style={"color": f"C{k}", "marker": "x", "s": 25}))
    panels.append(posterior)
    return [FigureSpec("posterior", "Eq. 8 made concrete: Bayes' theorem and softmax(-H - mu) agree to rounding; a "
                       "network computing the compiled Hamiltonian, with mu as its output bias, is Bayes-optimal.",
                       panels, columns=2)]


CLAIM = Claim(
    id=ID,
    title="The Bayes posterior is a softmax of minus the Hamiltonian",
    section="II A, Eq. 8",
    statement=("p(y|x) = softmax(-H_y(x) - mu_y) with H_y = -ln p(x|y) and mu_y = -ln p(y): a network that "
               "computes the Hamiltonians needs only a softmax layer, and mu is its output bias."),
    quick=None,  # TODO(issue 15): Config
    full=None,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
