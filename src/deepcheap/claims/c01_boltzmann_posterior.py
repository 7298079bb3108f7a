"""C01 - Section II A, Eq. 8: the Bayes posterior is softmax(-H_y(x) - mu_y); mu is the output bias.

Computed, on data whose likelihoods are known exactly:

* Gaussian classes (quadratic H): the posterior from the density formula (Bayes' theorem as
  written) against softmax(-H - mu), H from the sympy Hamiltonian, mu = -ln p(y);
* Ising temperature classes on every state of a small periodic lattice: the posterior from
  enumerated probabilities against softmax(-beta_y E - ln Z_y - mu_y) with ln Z_y from Kaufman's
  closed form (an independent route to the normalisation);
* a network whose hidden layers are the *compiled* Hamiltonian (``deepcheap.compile``) and whose
  last layer is one linear map (weights -beta_y, bias -ln Z_y - mu_y) followed by a softmax:
  its posterior against the exact one.

Roles: Eq. 8 is Bayes' theorem rewritten (H_y = -ln p(x|y), mu_y = -ln p(y)), so the first two are
identities checked numerically; the compiled network reaches the posterior to the compiler's eps by
construction. Nothing here could come out against the paper: the verdict is ``untested`` (see ``UNTESTED``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp
import torch

import deepcheap
from deepcheap import library
from deepcheap.bayes import BoltzmannClassifier, HamiltonianClassifier, bayes_posterior, softmax_posterior
from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.checks import Check
from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.physics.exact import enumerate_states, log_boltzmann, log_partition
from deepcheap.physics.gaussian_classes import GaussianClasses
from deepcheap.physics.lattice import T_CRITICAL
from deepcheap.seeds import derive_seed

ID = "C01"
FORMULA_TOLERANCE = 1e-10  # the identity is exact: only rounding separates the two sides
NETWORK_TOLERANCE = 1e-6  # compiled Hamiltonians carry the compiler's eps
UNTESTED = ("Eq. 8 is Bayes' theorem with H_y = -ln p(x|y) and mu_y = -ln p(y): both sides agree by definition, and "
            "a network given the compiled Hamiltonians reaches the posterior by construction. A measurement that "
            "could fail: a network trained by gradient descent on samples (not compiled), whose logits are compared "
            "with -H_y - mu_y; e.g. whether its last-layer biases converge to ln p(y) + const as the class priors "
            "are varied, and whether its logit differences converge to the Hamiltonian differences.")


@dataclass(frozen=True)
class Config:
    gaussian: tuple[tuple[int, int], ...] = ((2, 2), (3, 3), (4, 4))  # (dimension, classes) of Gaussian cases
    points: int = 2000  # samples per Gaussian case
    lattices: tuple[int, ...] = (3, 4)  # Ising L x L, every state enumerated
    temperatures: tuple[float, ...] = (1.8, T_CRITICAL, 3.0)  # the Ising classes (uniform prior)
    compile_eps: float = 1e-7  # the compiled Hamiltonians' error budget


QUICK = Config()
FULL = Config(gaussian=((2, 2), (3, 3), (4, 4), (6, 5), (8, 3)), points=20000, lattices=(2, 3, 4))


def trials(config: Config) -> list[Trial]:
    out = [Trial(ID, f"gaussian-d{d}-k{k}", {"kind": "gaussian", "dim": d, "classes": k, "points": config.points,
                                              "compile_eps": config.compile_eps}) for d, k in config.gaussian]
    out += [Trial(ID, f"ising-L{L}", {"kind": "ising", "L": L, "temperatures": list(config.temperatures),
                                      "compile_eps": config.compile_eps}) for L in config.lattices]
    return out


def run_trial(params: dict, seed: int) -> dict:
    return _gaussian_trial(params, seed) if params["kind"] == "gaussian" else _ising_trial(params)


def _gaussian_trial(params: dict, seed: int) -> dict:
    g = GaussianClasses.random(params["dim"], params["classes"], derive_seed(seed, "classes"))
    x, y = g.sample(params["points"], derive_seed(seed, "points"))
    exact = bayes_posterior(g.likelihood(x), g.prior)
    mu = -np.log(g.prior)
    H = np.column_stack([sp.lambdify(g.symbols(), g.hamiltonian(k))(*x.T) for k in range(g.classes)])
    formula_error = float(np.abs(softmax_posterior(H, mu) - exact).max())
    radius = float(np.ceil(np.abs(x).max()))
    nets = [deepcheap.compile(g.hamiltonian(k), eps=params["compile_eps"], domain=(-radius, radius))
            for k in range(g.classes)]
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
    L, temps = params["L"], params["temperatures"]
    states, energies = enumerate_states(L)
    prior = np.full(len(temps), 1.0 / len(temps))
    likelihood = np.column_stack([np.exp(log_boltzmann(energies, t)) for t in temps])  # normalised over all states
    exact = bayes_posterior(likelihood, prior)
    log_z = np.array([log_partition(L, t, method="kaufman") for t in temps])
    betas = 1.0 / np.array(temps)
    H = np.outer(energies, betas) + log_z
    formula_error = float(np.abs(softmax_posterior(H, -np.log(prior)) - exact).max())
    net = deepcheap.compile(library.ising_2d(L), eps=params["compile_eps"])
    classifier = HamiltonianClassifier(net.module, betas, log_z, prior)
    with torch.no_grad():
        network = classifier(torch.as_tensor(states.reshape(len(states), -1), dtype=torch.float64)).exp().numpy()
    levels, index = np.unique(energies, return_index=True)
    return {
        "formula_error": formula_error,
        "network_error": float(np.abs(network - exact).max()),
        "neurons": net.neurons,
        "states": len(states),
        "bayes_accuracy": float((likelihood * prior).max(axis=1).sum()),
        "energy_per_site": (levels / L**2).tolist(),
        "posterior_by_energy": exact[index].T.tolist(),
        "network_by_energy": network[index].T.tolist(),
    }


def summarize(records: list[dict], config: Config) -> Summary:
    gauss = [r for r in records if r["params"]["kind"] == "gaussian"]
    ising = [r for r in records if r["params"]["kind"] == "ising"]
    worst = {
        "gaussian_formula": max(r["result"]["formula_error"] for r in gauss),
        "ising_formula": max(r["result"]["formula_error"] for r in ising),
        "network": max(r["result"]["network_error"] for r in records),
    }
    checks = [
        Check.identity("Gaussian classes: max |Bayes posterior - softmax(-H - mu)|", worst["gaussian_formula"],
                       high=FORMULA_TOLERANCE, detail="Bayes' theorem with H = -ln p(x|y), mu = -ln p(y)"),
        Check.identity("Ising temperatures (ln Z by Kaufman): max |Bayes posterior - softmax(-H - mu)|",
                       worst["ising_formula"], high=FORMULA_TOLERANCE),
        Check.construction("network with compiled H + one linear softmax layer: max posterior error",
                           worst["network"], high=NETWORK_TOLERANCE,
                           detail=f"Hamiltonians compiled at eps = {config.compile_eps:g}"),
    ]
    rows = []
    for r in records:
        p, res = r["params"], r["result"]
        case = (f"Gaussian, d = {p['dim']}, {p['classes']} classes" if p["kind"] == "gaussian"
                else f"Ising {p['L']}x{p['L']}, T = {', '.join(f'{t:.4g}' for t in p['temperatures'])}")
        size = p["points"] if p["kind"] == "gaussian" else res["states"]
        rows.append([case, size, res["formula_error"], res["network_error"], res["neurons"], res["bayes_accuracy"]])
    metrics = {**worst, "cases": {r["trial"]: {k: v for k, v in r["result"].items() if not isinstance(v, list)}
                                  for r in records}}
    headline = (f"|posterior - softmax(-H-mu)| <= {max(worst['gaussian_formula'], worst['ising_formula']):.1g} "
                f"(Bayes' theorem); compiled-H network {worst['network']:.1g}")
    return Summary(
        checks=checks, metrics=metrics, headline=headline, figures=_figures(records), untested=UNTESTED,
        tables=[Table("Bayes posterior against the Boltzmann form",
                      ["data", "inputs (points or all states)", "formula error", "network error",
                       "hidden neurons of H", "Bayes accuracy"], rows, formats=["", "d", ".2g", ".2g", "d", ".4f"])],
        notes=["Ising likelihoods are normalised by summing over every state; the Boltzmann form uses Kaufman's "
               "ln Z, so the two sides share nothing but the energy function. The Bayes accuracy of the Ising "
               "rows is exact: sum over states of max_y p(x, y)."],
    )


def _figures(records: list[dict]) -> list[FigureSpec]:
    labels = [r["trial"] for r in records]
    ticks = list(range(len(labels)))
    errors = Panel("Posterior error per case", "case: " + ", ".join(f"{i} = {name}" for i, name in enumerate(labels)),
                   "max |error|", yscale="log")
    errors.series.append(Series("softmax(-H - mu) vs Bayes", ticks,
                                [max(r["result"]["formula_error"], 1e-17) for r in records], kind="scatter",
                                style={"marker": "o", "s": 40}))
    errors.series.append(Series("compiled-H network vs Bayes", ticks, [r["result"]["network_error"] for r in records],
                                kind="scatter", style={"marker": "s", "s": 40}))
    errors.hlines.append((NETWORK_TOLERANCE, "network tolerance"))
    biggest = max((r for r in records if r["params"]["kind"] == "ising"), key=lambda r: r["params"]["L"])
    L, res = biggest["params"]["L"], biggest["result"]
    posterior = Panel(f"Ising {L}x{L}: exact posterior of each temperature", "energy per site E/N", "p(T | x)")
    for k, t in enumerate(biggest["params"]["temperatures"]):
        posterior.series.append(Series(f"T = {t:.3g} (exact)", res["energy_per_site"], res["posterior_by_energy"][k],
                                       style={"color": f"C{k}"}))
        posterior.series.append(Series(f"T = {t:.3g} (compiled network)", res["energy_per_site"],
                                       res["network_by_energy"][k], kind="scatter",
                                       style={"color": f"C{k}", "marker": "x", "s": 25}))
    return [FigureSpec("posterior", "Eq. 8 made concrete: Bayes' theorem and softmax(-H - mu) agree to rounding; a "
                       "network computing the compiled Hamiltonian, with mu as its output bias, is Bayes-optimal.",
                       [errors, posterior], columns=2)]


CLAIM = Claim(
    id=ID,
    title="The Bayes posterior is a softmax of minus the Hamiltonian",
    section="II A, Eq. 8",
    statement=("p(y|x) = softmax(-H_y(x) - mu_y) with H_y = -ln p(x|y) and mu_y = -ln p(y): a network that "
               "computes the Hamiltonians needs only a softmax layer, and mu is its output bias."),
    quick=QUICK,
    full=FULL,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
