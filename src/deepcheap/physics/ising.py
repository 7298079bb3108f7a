"""The periodic Ising model in one place: lattices, samplers, error bars and exact results.

>>> summary = sample_summary(4, 2.0, sweeps=2000, seed=0)
>>> exact = exact_thermodynamics(4, 2.0)
>>> bool(abs(summary.energy_per_site - exact.energy_per_site) < 4 * summary.energy_stderr)
True

:func:`sample_summary` runs independent chains (default 8), thermalises them, and reports per-site
energy, <|m|>, specific heat C/N = beta^2 N (<e^2> - <e>^2) and the Binder cumulant
U4 = 1 - <m^4>/(3 <m^2>^2), each with an error bar (binning over 16 bins per chain, jackknife for the
non-linear ones), the energy's integrated autocorrelation time in sweeps and the sampler's speed, and an
equilibration diagnostic (:func:`~deepcheap.physics.statistics.equilibration`: first-half vs second-half
energy in error bars, run length in units of tau_int) with a warning when it fails.
:func:`energy_against_exact` compares the mean energy of given configurations with Kaufman's exact value.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from deepcheap.errors import InvalidArgumentError, check_int_range
from deepcheap.physics.exact import (
    enumerate_states,
    exact_distribution,
    exact_thermodynamics,
    log_boltzmann,
    log_partition,
    onsager_energy,
    onsager_free_energy,
    sample_exact,
    yang_magnetization,
)
from deepcheap.physics.lattice import (
    BETA_CRITICAL,
    T_CRITICAL,
    check_temperature,
    energy,
    magnetization,
    neighbour_products,
)
from deepcheap.physics.samplers import MAX_RUN_SECONDS, IsingChains, estimate_run, run_chain, sample_configurations
from deepcheap.physics.statistics import (
    Equilibration,
    bin_means,
    chain_jackknife,
    equilibration,
    estimate,
    integrated_autocorrelation_time,
    jackknife,
)

__all__ = [
    "BETA_CRITICAL",
    "T_CRITICAL",
    "EnergyCheck",
    "IsingChains",
    "SampleSummary",
    "energy",
    "energy_against_exact",
    "enumerate_states",
    "estimate_run",
    "exact_distribution",
    "exact_thermodynamics",
    "log_boltzmann",
    "log_partition",
    "magnetization",
    "neighbour_products",
    "onsager_energy",
    "onsager_free_energy",
    "run_chain",
    "sample_configurations",
    "sample_exact",
    "sample_summary",
    "yang_magnetization",
]


@dataclass(frozen=True)
class SampleSummary:
    """Monte Carlo estimates with their standard errors, tau_int (sweeps), speed and the equilibration check."""

    L: int
    T: float
    dims: int
    algorithm: str
    sweeps: int
    chains: int
    energy_per_site: float
    energy_stderr: float
    abs_magnetization: float
    abs_magnetization_stderr: float
    specific_heat_per_site: float
    specific_heat_stderr: float
    binder_cumulant: float
    binder_stderr: float
    tau_int: float
    flips_per_ns: float
    seconds: float
    equilibration: Equilibration
    capped_sweeps: int
    warnings: tuple[str, ...]

    def to_dict(self) -> dict:
        """JSON-ready; ``capped_sweeps`` sits in the ``equilibration`` record (the command line's --json keys)."""
        out = asdict(self)
        out["equilibration"] = {**self.equilibration.to_dict(), "capped_sweeps": out.pop("capped_sweeps")}
        out["warnings"] = list(self.warnings)
        return out


def sample_summary(L: int, T: float, *, seed: int, algorithm: str = "auto", sweeps: int = 2000, dims: int = 2,
                   chains: int = 8, thermalize: int | None = None, bins: int = 16,
                   max_seconds: float | None = MAX_RUN_SECONDS) -> SampleSummary:
    """Monte Carlo estimates with error bars (see the module docstring for the estimators)."""
    T = check_temperature(T)
    sweeps = check_int_range("sweeps", sweeps, 1, hint="(run at least one sweep)")
    bins = check_int_range("bins", bins, 2)
    sweeps = max(sweeps, bins)
    run = run_chain(L, T, algorithm=algorithm, sweeps=sweeps, thermalize=thermalize, seed=seed, chains=chains,
                    dims=dims, max_seconds=max_seconds)
    n = run.sites
    beta = 1.0 / T
    e = run.energies / n
    m = run.magnetizations / n
    heat = jackknife(lambda a, b: beta * beta * n * (b - a * a), bin_means(e, bins), bin_means(e * e, bins))
    binder = jackknife(lambda a, b: 1.0 - b / (3.0 * a * a), bin_means(m**2, bins), bin_means(m**4, bins))
    tau = integrated_autocorrelation_time(e)
    check = equilibration(e, tau)
    warnings = [] if check.passed else [f"not in equilibrium: {check.reason}; run more --sweeps (and "
                                        "--algorithm wolff near T_c), or treat these numbers as unconverged."]
    if run.capped_sweeps:
        warnings.append(f"{run.capped_sweeps} Wolff sweeps hit the cap on flips per sweep (a miscalibration; "
                        "their averages may be biased).")
    (energy_mean, energy_err), (abs_m, abs_m_err) = estimate(e, bins), estimate(np.abs(m), bins)
    return SampleSummary(
        L=run.L, T=T, dims=run.dims, algorithm=run.algorithm, sweeps=sweeps, chains=chains,
        energy_per_site=energy_mean, energy_stderr=energy_err, abs_magnetization=abs_m,
        abs_magnetization_stderr=abs_m_err, specific_heat_per_site=heat[0], specific_heat_stderr=heat[1],
        binder_cumulant=binder[0], binder_stderr=binder[1], tau_int=tau, flips_per_ns=run.flips_per_ns,
        seconds=run.seconds, equilibration=check, capped_sweeps=run.capped_sweeps, warnings=tuple(warnings))


@dataclass(frozen=True)
class EnergyCheck:
    """Sampled mean energy per site against Kaufman's exact value, in units of the sample's standard error.

    ``error`` is the jackknife over whole chains (so it holds whatever the autocorrelation within a chain);
    ``tau_int`` is the energy's integrated autocorrelation time in configurations along a chain.
    """

    T: float
    configurations: int
    chains: int
    energy_per_site: float
    error: float
    exact: float
    z: float
    tau_int: float

    def to_dict(self) -> dict:
        return asdict(self)


def energy_against_exact(spins, chains, T: float) -> EnergyCheck:
    """Mean energy per site of 2D configurations ``spins`` (N, L, L) drawn by independent chains (``chains[i]``:
    the chain of row i, rows of one chain in the order drawn) against Kaufman's exact E/N at T."""
    spins = np.asarray(spins)
    chains = np.asarray(chains).reshape(-1)
    if spins.ndim != 3 or len(chains) != len(spins):
        raise InvalidArgumentError(f"need spins (N, L, L) and one chain id per configuration; got {spins.shape} and "
                                   f"{chains.shape}.")
    L = spins.shape[-1]
    e = energy(spins) / L**2
    mean, error = chain_jackknife(e, chains)
    ids, counts = np.unique(chains, return_counts=True)
    full = [e[chains == c] for c, k in zip(ids, counts, strict=True) if k == counts.max()]
    tau = integrated_autocorrelation_time(np.stack(full)) if counts.max() >= 2 else 0.5
    exact = exact_thermodynamics(L, T, method="kaufman").energy_per_site
    z = (mean - exact) / error if error > 0 else (0.0 if mean == exact else math.inf)
    return EnergyCheck(float(T), len(e), len(ids), mean, error, exact, z, tau)
