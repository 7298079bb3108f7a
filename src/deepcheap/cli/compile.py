"""`deepcheap compile EXPR`: a polynomial to a network, with its counts and errors."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from deepcheap import library
from deepcheap.cli._common import check_output_file, console, fmt, handle_errors, parse_domain, print_json
from deepcheap.compiler import compile as compile_polynomial
from deepcheap.compiler.io import save
from deepcheap.compiler.onnx_export import export_onnx
from deepcheap.errors import InvalidArgumentError

SHORTCUTS = {
    "product": library.product,
    "power": library.power,
    "ising1d": library.ising_1d,
    "ising2d": library.ising_2d,
    "phi4": library.phi4,
}


def expression_from(text: str):
    """'x*y + z**2', or a library shortcut NAME:N (product:5, power:7, ising1d:16, ising2d:8, phi4:6)."""
    name, sep, arg = text.partition(":")
    if sep and name.strip().lower() in SHORTCUTS:
        try:
            n = int(arg)
        except ValueError:
            raise InvalidArgumentError(f"{text!r}: a library shortcut takes an integer, e.g. {name}:8.") from None
        return SHORTCUTS[name.strip().lower()](n)  # the library refuses sizes past the compiler's limits
    return text


@handle_errors
def compile_command(
    expr: str = typer.Argument(..., help="A polynomial, e.g. 'x**2*y - 3*z' (x^2 works too), or a library "
                               "shortcut: product:N, power:D, ising1d:L, ising2d:L, phi4:L."),
    strategy: str = typer.Option("deep", help="deep (smooth gates), shallow (one hidden layer), relu (Yarotsky), "
                                 "bits (multilinear on {0,1}, Eq. 13) or grouped (depth-k products, --depth)."),
    eps: float = typer.Option(None, help="Worst-case error to guarantee on the domain (default: best for the dtype)."),
    domain: str = typer.Option(None, help="Input box LO,HI, e.g. --domain=0,2 (default -1,1; 0,1 for bits)."),
    dtype: str = typer.Option("float64", help="float64 or float32."),
    activation: str = typer.Option(None, help="Activation (default softplus; relu for --strategy relu)."),
    order: int = typer.Option(4, help="4: gate bias at a zero of sigma'''' (default); 2: the paper's gate."),
    depth: int = typer.Option(None, help="Levels of --strategy grouped (the grouping with the fewest neurons)."),
    save_to: Path = typer.Option(None, "--save", help="Write the network to FILE (load with deepcheap.load)."),
    onnx_to: Path = typer.Option(None, "--onnx", help="Write the network as ONNX to FILE (DAG form; needs "
                                 'pip install "deepcheap[onnx]").'),
    json: bool = typer.Option(False, "--json", help="Print one JSON object and nothing else."),
) -> None:
    """Compile a polynomial (Hamiltonian) into a network whose size does not depend on eps."""
    if save_to is not None:
        check_output_file(save_to, "--save")
    net = compile_polynomial(expression_from(expr), strategy, eps, None if domain is None else parse_domain(domain),
                             dtype, activation, order, depth=depth)
    info = net.summary()
    info["mlp_passthrough_neurons"] = net.mlp_passthrough_neurons
    if save_to is not None:
        save(net, save_to)
        info["saved"] = str(save_to)
    if onnx_to is not None:
        export_onnx(net, onnx_to)
        info["onnx"] = str(onnx_to)
    if json:
        print_json(info)
        return
    table = Table(title=f"compiled: {_short(str(net.expression))}", show_header=False)
    for key in ("strategy", "activation", "order", "dtype", "domain", "eps", "neurons", "mlp_passthrough_neurons",
                "synapses", "depth", "multiplications", "gates", "predicted_error", "max_error", "saved", "onnx"):
        if key in info:
            table.add_row(key, fmt(info[key]))
    table.add_row("variables", _short(", ".join(net.variables)))
    console.print(table)


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
