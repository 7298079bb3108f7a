"""`deepcheap ising sample|exact`: Monte Carlo with error bars, and exact finite-lattice values."""

from __future__ import annotations

import math

import typer
from rich.table import Table

from deepcheap.cli._common import console, err_console, fmt, handle_errors, print_json
from deepcheap.physics.lattice import T_CRITICAL

ising_app = typer.Typer(help="The periodic Ising model: samplers with error bars and exact results.",
                        no_args_is_help=True)


@ising_app.command("sample")
@handle_errors
def sample(
    L: int = typer.Option(16, "--L", help="Side length of the periodic lattice (>= 2)."),
    T: float = typer.Option(T_CRITICAL, "--T", help="Temperature in units of J/k_B (default T_c)."),
    algorithm: str = typer.Option("auto", help="metropolis, wolff, or auto (Wolff within 10% of T_c)."),
    sweeps: int = typer.Option(4000, help="Measured sweeps per chain (after the thermalisation sweeps)."),
    thermalize: int = typer.Option(None, help="Thermalisation sweeps per chain (default: sweeps/5, at least 100)."),
    chains: int = typer.Option(8, help="Independent chains (run in parallel)."),
    dims: int = typer.Option(2, help="Lattice dimension: 1 or 2."),
    seed: int = typer.Option(0, help="Root seed; results are identical on any number of threads."),
    max_seconds: float = typer.Option(60.0, "--max-seconds", help="Refuse a run estimated to take longer (0: no "
                                      "limit)."),
    json: bool = typer.Option(False, "--json", help="Print one JSON object and nothing else."),
) -> None:
    """Sample the Ising model and print energy, |m|, specific heat, Binder cumulant with error bars."""
    from deepcheap.errors import check_positive
    from deepcheap.physics.ising import sample_summary

    limit = check_positive("--max-seconds", max_seconds, allow_zero=True) or None
    summary = sample_summary(L, T, algorithm=algorithm, sweeps=sweeps, seed=seed, dims=dims, chains=chains,
                             thermalize=thermalize, max_seconds=limit)
    result = summary.to_dict()
    for warning in result["warnings"]:
        err_console.print(f"warning: {warning}", markup=False, soft_wrap=True)
    if json:
        print_json(result)
        return
    table = Table(title=f"Ising {dims}D, L = {result['L']}, T = {result['T']:.6g} ({result['algorithm']}, "
                        f"{result['chains']} chains x {result['sweeps']} sweeps)")
    for column in ("quantity", "estimate", "std. error"):
        table.add_column(column)
    for name, key in (("energy per site", "energy_per_site"), ("<|m|>", "abs_magnetization"),
                      ("specific heat per site", "specific_heat_per_site"), ("Binder cumulant", "binder_cumulant")):
        error_key = {"energy_per_site": "energy_stderr", "abs_magnetization": "abs_magnetization_stderr",
                     "specific_heat_per_site": "specific_heat_stderr", "binder_cumulant": "binder_stderr"}[key]
        table.add_row(name, f"{result[key]:.6f}", f"{result[error_key]:.2g}")
    console.print(table)
    console.print(f"tau_int (energy) = {result['tau_int']:.3g} sweeps; {result['flips_per_ns']:.3g} spin "
                  f"updates per ns; {result['seconds']:.2f} s measured.")
    check = result["equilibration"]
    verdict = "passed" if check["passed"] else "FAILED (see the warning)"
    shown = "n/a" if check["half_difference_sigma"] is None else f"{check['half_difference_sigma']:+.2f}"
    console.print(f"equilibration {verdict}: second half - first half = {shown} error bars; "
                  f"{check['sweeps_per_tau']:.3g} recorded sweeps per tau_int.")


@ising_app.command("exact")
@handle_errors
def exact(
    L: int = typer.Option(16, "--L", help="Side length of the periodic lattice (>= 2)."),
    T: float = typer.Option(T_CRITICAL, "--T", help="Temperature in units of J/k_B (default T_c)."),
    dims: int = typer.Option(2, help="Lattice dimension: 1 or 2."),
    method: str = typer.Option("auto", help="auto, enumeration (2D L<=4), kaufman (2D, any L), transfer."),
    json: bool = typer.Option(False, "--json", help="Print one JSON object and nothing else."),
) -> None:
    """Exact per-site energy, free energy and specific heat of the finite periodic lattice."""
    from deepcheap.physics.exact import exact_thermodynamics, onsager_energy, onsager_free_energy

    result = exact_thermodynamics(L, T, dims=dims, method=method).to_dict()
    if dims == 2:
        result["onsager_energy_per_site"] = onsager_energy(T)
        result["onsager_free_energy_per_site"] = onsager_free_energy(T)
    if json:
        print_json(result)
        return
    table = Table(title=f"Exact Ising {dims}D, L = {result['L']}, T = {result['T']:.6g} ({result['method']})")
    table.add_column("quantity")
    table.add_column("value (the digits it has)")
    table.add_column("estimated error")
    for key, value in result.items():
        if key in ("L", "T", "dims", "method") or key.endswith("_error"):
            continue
        error = result.get(f"{key}_error")
        shown = trustworthy(value, error) if isinstance(value, float) else fmt(value)
        table.add_row(key, shown, "" if error is None else f"{error:.1g}")
    console.print(table)


def trustworthy(value: float, error: float | None) -> str:
    """``value`` with only the significant digits its absolute ``error`` leaves (12 when no error is known)."""
    if error is None or not math.isfinite(value):
        return f"{value:.12g}"
    if error >= abs(value):
        return "0"  # indistinguishable from zero at this precision (the error column says how close)
    digits = max(1, min(15, math.floor(math.log10(abs(value) / max(error, 1e-300 * abs(value))))))
    return f"{value:.{digits}g}"
