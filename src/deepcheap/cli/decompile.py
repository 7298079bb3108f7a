"""`deepcheap decompile FILE`: the polynomial a saved network computes, and how well it reproduces it."""

from __future__ import annotations

from pathlib import Path

import sympy as sp
import torch
import typer
from rich.table import Table

from deepcheap.cli._common import console, fmt, handle_errors, parse_domain, print_json
from deepcheap.compiler.decompile import decompile
from deepcheap.compiler.io import load
from deepcheap.errors import InvalidArgumentError


@handle_errors
def decompile_command(
    path: Path = typer.Argument(..., help="A network saved with deepcheap compile --save (or deepcheap.save)."),
    inputs: str = typer.Option(None, help="spins (+/-1, Walsh-Hadamard), bits (0/1, Moebius) or box (least "
                               "squares on the domain). Default: bits for Boolean networks, box otherwise."),
    degree: int = typer.Option(None, help="Highest degree to fit (box: default the network's polynomial's)."),
    domain: str = typer.Option(None, help="Box LO,HI for --inputs box (default: the network's domain)."),
    tol: str = typer.Option("uncertainty", help="Drop coefficients with |c| <= TOL, or 'uncertainty' (default): "
                            "those within their bound from the network's guaranteed error."),
    points: int = typer.Option(None, help="Sample size of a least-squares fit (default: 4096 or 4x the monomials)."),
    seed: int = typer.Option(0, help="Seed of the sampled points."),
    json: bool = typer.Option(False, "--json", help="Print one JSON object and nothing else."),
) -> None:
    """Read the polynomial back out of a saved network: coefficients, residual, method."""
    net = load(path)
    options = {"inputs": inputs, "degree": degree, "domain": None if domain is None else parse_domain(domain),
               "points": points}
    result = decompile(net, generator=torch.Generator().manual_seed(seed), tol=0.0 if tol == "uncertainty" else
                       _number(tol), **options)
    if tol == "uncertainty" and result.uncertainty is not None:  # None off the network's box: nothing certified
        result = decompile(net, generator=torch.Generator().manual_seed(seed), tol="uncertainty", **options)
    if json:
        print_json({"file": str(path), **result.to_dict()})
        return
    table = Table(title=f"decompiled: {path}", show_header=False)
    table.add_row("polynomial", str(result.polynomial.xreplace({f: sp.Float(f, 10)
                                                                for f in result.polynomial.atoms(sp.Float)})))
    table.add_row("method", f"{result.method} on {result.inputs}" + (f", degree {result.degree}"
                                                                      if result.degree is not None else ""))
    table.add_row("residual max", fmt(result.residual_max))
    table.add_row("residual rms", fmt(result.residual_rms))
    table.add_row("residual on", result.residual_on)
    if "dropped" in result.details:
        table.add_row("dropped", f"{result.details['dropped']} coefficients within their uncertainty"
                      if tol == "uncertainty" else f"{result.details['dropped']} coefficients with |c| <= {tol}")
    console.print(table)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InvalidArgumentError(f"--tol takes a number or 'uncertainty'; got {text!r}.") from None
