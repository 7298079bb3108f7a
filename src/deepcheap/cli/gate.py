"""`deepcheap gate product|square|bit`: build one exact gate, count it, measure it."""

from __future__ import annotations

import torch
import typer

from deepcheap.boolean import all_bits
from deepcheap.cli._common import handle_errors, parse_domain, print_record
from deepcheap.errors import check_choice, check_int_range
from deepcheap.gates import (
    bit_product_gate,
    identity_gate,
    max_error,
    product_gate,
    shallow_product_gate,
    square_gate,
    yarotsky_product,
    yarotsky_square,
)
from deepcheap.precision import dtype_name, resolve_dtype
from deepcheap.seeds import torch_generator

KINDS = ("product", "square", "bit", "identity", "shallow", "relu-square", "relu-product")


@handle_errors
def gate(
    kind: str = typer.Argument(..., help="product (2-4-1, Theorem 1), square, bit (Eq. 13), identity, "
                               "shallow (2^n neurons, Appendix A), relu-square or relu-product (Yarotsky)."),
    activation: str = typer.Option(None, help="Activation (default softplus; sigmoid for bit)."),
    order: int = typer.Option(2, help="2: the paper's gate; 4: bias at a zero of sigma'''' (still 4 neurons)."),
    dtype: str = typer.Option("float64", help="float64 or float32."),
    scale: float = typer.Option(None, help="Fix lambda (or beta for bit); default: chosen for dtype and domain."),
    domain: str = typer.Option(None, help="Input box LO,HI for scale choice and measurement, e.g. --domain=-2,2 "
                               "(default -1,1; 0,1 for relu-square)."),
    bits: int = typer.Option(2, "--bits", "-k", help="Number of bits multiplied (bit gate)."),
    error: float = typer.Option(1e-6, help="Requested worst-case error of the bit gate (sets beta)."),
    n: int = typer.Option(3, "--n", help="Number of inputs multiplied (shallow gate, at most 12)."),
    depth: int = typer.Option(None, help="Depth m of the ReLU square (relu-*; default: the depth reaching --eps)."),
    eps: float = typer.Option(1e-6, help="Target error of the ReLU gates when --depth is not given."),
    points: int = typer.Option(16384, help="Number of points at which the error is measured (>= 10000)."),
    json: bool = typer.Option(False, "--json", help="Print one JSON object and nothing else."),
) -> None:
    """Build a gate and report neurons, synapses, scale, bias, predicted and measured max |error|."""
    kind = check_choice("gate kind", kind.lower(), KINDS)
    dt = resolve_dtype(dtype)
    lo_hi = parse_domain(domain or ("0,1" if kind == "relu-square" else "-1,1"))
    check_int_range("--points", points, 10_000, 10_000_000, hint="(the error is measured on at least 10,000 points)")
    if kind == "bit":
        check_int_range("--bits", bits, 1, 20, hint="(all 2^k inputs are checked)")
        g = bit_product_gate(bits, error, beta=scale, activation=activation or "sigmoid", dtype=dt)
        x = all_bits(bits).to(dt)
        with torch.no_grad():
            measured = float((g(x).double() - x.double().prod(dim=1)).abs().max())
        measured_on = f"all {len(x)} inputs in {{0,1}}^{bits}"
    elif kind in ("relu-square", "relu-product"):
        build_relu = yarotsky_square if kind == "relu-square" else yarotsky_product
        g = build_relu(depth, eps=None if depth is not None else eps, domain=lo_hi, dtype=dt)
        measured = max_error(g, lo_hi, points, generator=torch_generator(0))
        measured_on = f"{points} points of [{lo_hi[0]:g}, {lo_hi[1]:g}]^{g.n_inputs}"
    else:
        act = activation or "softplus"
        if kind == "shallow":
            g = shallow_product_gate(n, act, order, dt, scale, domain=lo_hi)
        elif kind == "identity":
            g = identity_gate(act, 2, dt, scale, domain=lo_hi)
        else:
            g = (product_gate if kind == "product" else square_gate)(act, order, dt, scale, domain=lo_hi)
        measured = max_error(g, lo_hi, points, generator=torch_generator(0))
        measured_on = f"{points} points of [{lo_hi[0]:g}, {lo_hi[1]:g}]^{g.n_inputs}"
    payload = {
        "gate": kind,
        "activation": g.activation.name,
        "order": order if kind in ("product", "square", "shallow") else None,
        "dtype": dtype_name(dt),
        "neurons": g.neurons,
        "synapses": g.synapses,
        "depth": g.depth,
        "scale": g.scale,
        "bias": g.bias,
        "predicted_error": g.predicted_error(),
        "max_error": measured,
        "measured_on": measured_on,
    }
    print_record(payload, f"{kind} gate", json)
