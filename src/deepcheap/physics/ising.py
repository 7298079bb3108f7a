"""The periodic Ising model in one place: lattices, samplers, error bars and exact results.

>>> summary = sample_summary(4, 2.0, sweeps=2000, seed=0)
>>> exact = exact_summary(4, 2.0)
>>> bool(abs(summary["energy_per_site"] - exact["energy_per_site"]) < 4 * summary["energy_stderr"])
True

:func:`sample_summary` runs independent chains (default 8), thermalises them, and reports per-site
energy, <|m|>, specific heat C/N = beta^2 N (<e^2> - <e>^2) and the Binder cumulant
U4 = 1 - <m^4>/(3 <m^2>^2), each with an error bar (binning over 16 bins per chain, jackknife for the
non-linear ones), the energy's integrated autocorrelation time in sweeps and the sampler's speed, and an
equilibration diagnostic (:func:`~deepcheap.physics.statistics.equilibration`: first-half vs second-half
energy in error bars, run length in units of tau_int) with a warning when it fails.
"""

from __future__ import annotations

import numpy as np

from deepcheap.errors import check_int_range
from deepcheap.physics.exact import (
    enumerate_states,
    exact_distribution,
    exact_thermodynamics,
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
from deepcheap.physics.statistics import bin_means, equilibration, estimate, integrated_autocorrelation_time, jackknife

__all__ = [
    "BETA_CRITICAL",
    "T_CRITICAL",
    "IsingChains",
    "energy",
    "enumerate_states",
    "estimate_run",
    "exact_distribution",
    "exact_summary",
    "exact_thermodynamics",
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


def sample_summary(L: int, T: float, *, algorithm: str = "auto", sweeps: int = 2000, seed: int = 0, dims: int = 2,
                   chains: int = 8, thermalize: int | None = None, bins: int = 16,
                   max_seconds: float | None = MAX_RUN_SECONDS) -> dict:
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
    energy_mean, energy_err = estimate(e, bins)
    abs_m, abs_m_err = estimate(np.abs(m), bins)
    heat, heat_err = jackknife(lambda a, b: beta * beta * n * (b - a * a), bin_means(e, bins), bin_means(e * e, bins))
    binder, binder_err = jackknife(lambda a, b: 1.0 - b / (3.0 * a * a), bin_means(m**2, bins), bin_means(m**4, bins))
    tau = integrated_autocorrelation_time(e)
    check = equilibration(e, tau)
    warnings = [] if check["passed"] else [f"not in equilibrium: {check['reason']}; run more --sweeps (and "
                                           "--algorithm wolff near T_c), or treat these numbers as unconverged."]
    if run.capped_sweeps:
        warnings.append(f"{run.capped_sweeps} Wolff sweeps hit the cap on flips per sweep (a miscalibration; "
                        "their averages may be biased).")
    return {
        "L": run.L, "T": T, "dims": run.dims, "algorithm": run.algorithm, "sweeps": sweeps, "chains": chains,
        "energy_per_site": energy_mean, "energy_stderr": energy_err,
        "abs_magnetization": abs_m, "abs_magnetization_stderr": abs_m_err,
        "specific_heat_per_site": heat, "specific_heat_stderr": heat_err,
        "binder_cumulant": binder, "binder_stderr": binder_err,
        "tau_int": tau,
        "flips_per_ns": run.flips_per_ns, "seconds": run.seconds,
        "equilibration": {**check, "capped_sweeps": run.capped_sweeps},
        "warnings": warnings,
    }


def exact_summary(L: int, T: float, *, dims: int = 2, method: str = "auto") -> dict:
    """Exact values for the same lattice (enumeration, Kaufman or transfer matrix)."""
    return exact_thermodynamics(L, T, dims=dims, method=method)
