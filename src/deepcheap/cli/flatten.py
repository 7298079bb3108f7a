"""`deepcheap flatten product|linear`: flattening costs by construction, certificate and the trained depth x size
grid (the same driver as claim C12: :func:`deepcheap.flattening.depth_grid.train_with_control`)."""

from __future__ import annotations

import re

import typer
from rich.table import Table

from deepcheap.cli._common import console, err_console, fmt, handle_errors, print_json, print_record
from deepcheap.errors import InvalidArgumentError, check_choice, check_int_range, check_positive, check_seed

flatten_app = typer.Typer(help="Flattening costs (Sections III F-H): deep versus shallow, measured.",
                          no_args_is_help=True)

LINEAR_KINDS = ("fft", "lowrank", "sparse", "matmul")
MAX_NS = 64
MAX_N = 1024


def parse_ns(text: str) -> list[int]:
    """'2..8', '5' or '2,3,5' -> sorted n values (each >= 2)."""
    text = text.strip()
    match = re.fullmatch(r"(\d+)\s*\.\.\s*(\d+)", text)
    if len(text) > 10_000:
        raise InvalidArgumentError(f"--n is {len(text):,} characters long; give N, A..B or a short list.")
    if match and int(match[2]) - int(match[1]) + 1 > MAX_NS:
        raise InvalidArgumentError(f"--n {text} selects {int(match[2]) - int(match[1]) + 1:,} values of n, above the "
                                   f"limit of {MAX_NS}; choose a shorter range (shallow products stop at n = 16).")
    try:
        ns = list(range(int(match[1]), int(match[2]) + 1)) if match else [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise InvalidArgumentError(f"--n takes N, A..B or a comma list (e.g. --n 2..8); got {text!r}.") from None
    if not ns:
        raise InvalidArgumentError(f"--n {text!r} selects no n; write e.g. --n 2..8.")
    for n in ns:
        check_int_range("n", n, 2, MAX_N, hint="(a product needs at least two inputs; shallow ones stop at n = 16)")
    return sorted(set(ns))


@flatten_app.command("product")
@handle_errors
def product(
    n: str = typer.Option("2..8", "--n", help="Inputs multiplied: N, A..B or a list (2..8); with --train e.g. 4,8."),
    train: bool = typer.Option(False, "--train", help="Also train the depth x size grid (Rolnick & Tegmark's Fig. 2)."),
    domain: str = typer.Option("signed,rt", help="Grid domains: signed (|x_i| in [0.5, 1.5], random signs; relative "
                                                 "RMS) and/or rt ([0, 2]^n; MAE over the median's)."),
    activation: str = typer.Option("tanh", help="Activations to train (comma list: tanh, softplus, ...)."),
    depths: str = typer.Option("1..4", help="Depths k: A..B or a list."),
    totals: str = typer.Option("16..256", help="Total hidden neurons N: the powers of two in A..B, or a list."),
    seeds: int = typer.Option(3, help="Seeds per cell; a cell reaches eps when half its seeds do."),
    steps: int = typer.Option(1000, help="Adam steps per network (the same for every cell)."),
    lrs: str = typer.Option("0.03,0.1", "--lrs", help="Learning-rate grid shared by every cell (comma list)."),
    batch: int = typer.Option(256, help="Fresh samples per step."),
    test_points: int = typer.Option(100_000, "--test-points", help="Fixed test set per task."),
    eps: float = typer.Option(0.1, help="Error at which N*(k) is read and boundary cells get twice the steps."),
    seed: int = typer.Option(0, help="Root seed of the training runs."),
    json: bool = typer.Option(False, "--json", help="Print one JSON object and nothing else."),
) -> None:
    """Multiply n inputs: shallow 2^n against deep 4(n-1) neurons, C_n, the rank certificate (with its
    hypotheses), and (with --train) the depth x size grid: median error by depth and total hidden neurons,
    N*(k; eps) against depth_k_bound(n, k), boundary cells rerun with twice the steps."""
    from deepcheap.flattening.certificate import certify
    from deepcheap.flattening.polynomial import product_networks
    from deepcheap.gates import shallow_product_gate

    ns = parse_ns(n)
    plan = _grid_plan(ns, domain, activation, depths, totals, seeds, steps, lrs, batch, test_points, eps, seed) \
        if train else None
    rows = []
    for k in ns:
        entry = product_networks(k, build=k <= 12).to_dict()
        if k <= 10:
            cert = certify(shallow_product_gate(k))
            entry |= {"certificate_rank": cert.rank, "certificate_applies": cert.applies}
        rows.append(entry)
    payload: dict = {"rows": rows}
    if plan:
        payload["grid"] = _train_grid(plan, quiet=json)
    if json:
        print_json(payload)
        return
    table = Table(title="Multiplying n inputs: constructed networks (certificate: rank, and whether its hypotheses "
                        "hold at the gate's bias)")
    columns = ["n", "shallow_neurons", "deep_neurons", "C_n", "deep_depth", "certificate_rank", "certificate_applies"]
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*[fmt(r.get(c, "-")) for c in columns])
    console.print(table)
    if plan:
        _print_grid(payload["grid"])


def _int_list(text: str, option: str, low: int, high: int) -> list[int]:
    """'A..B' or 'a,b,c' -> sorted ints in [low, high]."""
    text = text.strip()
    match = re.fullmatch(r"(\d+)\s*\.\.\s*(\d+)", text)
    try:
        values = list(range(int(match[1]), int(match[2]) + 1)) if match and int(match[2]) - int(match[1]) < 10_000 \
            else [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise InvalidArgumentError(f"{option} takes A..B or a comma list of integers; got {text!r}.") from None
    if not values:
        raise InvalidArgumentError(f"{option} {text!r} selects nothing; write e.g. {option} {low}..{min(high, 4)}.")
    for v in values:
        check_int_range(option, v, low, high)
    return sorted(set(values))


def _grid_plan(ns, domain, activation, depths, totals, seeds, steps, lrs, batch, test_points, eps, seed) -> dict:
    from deepcheap.flattening.depth_grid import DOMAINS

    domains = [d.strip() for d in domain.split(",") if d.strip()]
    if not domains:
        raise InvalidArgumentError(f"--domain {domain!r} names no domain; e.g. --domain signed,rt.")
    for d in domains:
        check_choice("--domain", d, tuple(DOMAINS))
    activations = [a.strip() for a in activation.split(",") if a.strip()]
    if not activations:
        raise InvalidArgumentError(f"--activation {activation!r} names no activation; e.g. --activation tanh.")
    for act in activations:
        check_choice("--activation", act, ("softplus", "tanh", "sigmoid", "silu", "gelu", "relu"))
    for k in ns:
        check_int_range("n", k, 2, 64, hint="(the grid trains products of up to 64 inputs)")
    match = re.fullmatch(r"\s*(\d+)\s*\.\.\s*(\d+)\s*", totals)
    if match:
        low, high = (check_int_range("--totals", int(v), 1, 2**16) for v in match.groups())
        sizes = [2**e for e in range(17) if low <= 2**e <= high]
        if not sizes:
            raise InvalidArgumentError(f"--totals {totals} holds no power of two; write e.g. --totals 16..256.")
    else:
        sizes = _int_list(totals, "--totals", 1, 2**16)
    try:
        rates = tuple(float(v) for v in lrs.split(",") if v.strip())
    except ValueError:
        raise InvalidArgumentError(f"--lrs takes a comma list of numbers (e.g. --lrs 0.03,0.1); got {lrs!r}.") from None
    if not rates:
        raise InvalidArgumentError("--lrs needs at least one learning rate, e.g. --lrs 0.03,0.1.")
    for r in rates:
        check_positive("--lrs", r)
    return {"ns": ns, "domains": domains, "activations": activations,
            "depths": _int_list(depths, "--depths", 1, 16), "totals": sizes,
            "seeds": check_int_range("--seeds", seeds, 1, 100, hint="(each seed trains every cell again)"),
            "steps": check_int_range("--steps", steps, 1, 100_000, hint="(1000 steps take seconds per cell)"),
            "lrs": rates, "batch": check_int_range("--batch", batch, 1, 1 << 20),
            "test_points": check_int_range("--test-points", test_points, 100, 10**7),
            "eps": check_positive("--eps", eps), "seed": check_seed(seed, "--seed")}


def _train_grid(plan: dict, *, quiet: bool) -> dict:
    """One engine run per task (n, domain, activation) over every depth and total, then the budget control."""
    from deepcheap.flattening.depth_analysis import equal_error, n_star, separation
    from deepcheap.flattening.depth_grid import GridTask, grid_cells, train_with_control
    from deepcheap.flattening.polynomial import depth_k_bound

    tasks = [GridTask(k, d, a) for k in plan["ns"] for d in plan["domains"] for a in plan["activations"]]
    budget = {key: plan[key] for key in ("seeds", "lrs", "steps", "batch", "test_points", "seed")}
    out = []
    for i, task in enumerate(tasks, 1):
        if not quiet:
            err_console.print(f"[{i}/{len(tasks)}] training the grid for n = {task.n}, {task.domain}, "
                              f"{task.activation} ...")
        cells = grid_cells(task.n, plan["depths"], plan["totals"], tapered=True)
        first, doubled = train_with_control(task, cells, control_eps=plan["eps"], **budget)
        out.append({"n": task.n, "domain": task.domain, "activation": task.activation,
                    "cells": [c.to_dict() for c in first.cells],
                    "doubled": [c.to_dict() for c in doubled.cells] if doubled else [],
                    "bounds": {str(k): depth_k_bound(task.n, k)[0] for k in plan["depths"] if k <= task.n},
                    "n_star": {str(k): n_star(first.cells, k, plan["eps"]) for k in plan["depths"]},
                    "separation": separation(first.cells, plan["eps"]).to_dict(),
                    "equal_error": equal_error(first.cells).to_dict(),
                    "seconds": round(first.seconds + (doubled.seconds if doubled else 0.0), 1)})
    return {**{k: (list(v) if isinstance(v, tuple) else v) for k, v in plan.items()}, "tasks": out}


def _print_grid(grid: dict) -> None:
    for task in grid["tasks"]:
        totals = grid["totals"]
        table = Table(title=f"n = {task['n']}, {task['domain']}, {task['activation']}: median test error (1 = a "
                            f"constant) by depth k and total hidden neurons N; N* at eps = {grid['eps']:g}")
        for c in ("k", *[str(N) for N in totals], "N*", "bound"):
            table.add_column(c)
        for k in grid["depths"]:
            cells = {c["neurons"]: c for c in task["cells"] if c["depth"] == k and c["shape"] == "even"}
            table.add_row(str(k), *[fmt(cells[N]["median"]) if N in cells else "-" for N in totals],
                          fmt(task["n_star"][str(k)] or "-"), fmt(task["bounds"].get(str(k), "-")))
        console.print(table)
        for c in (c for c in task["cells"] if c["shape"] == "tapered"):
            console.print(f"  tapered {tuple(c['widths'])} (N = {c['neurons']}): median error {c['median']:.3g}")
        sep, equal = task["separation"], task["equal_error"]
        if sep["ratio"] is not None:
            bound = " (a lower bound)" if sep["shallow_exceeds"] else ""
            console.print(f"  N*(1) / best deep N* = {sep['ratio']:.3g}{bound}; ", end="")
        console.print(f"  equal error: shallow at N = {equal['largest']} reaches {equal['shallow_error']:.3g}; "
                      f"ratio {equal['ratio']:.3g}" + (" (a lower bound)" if equal["ratio_is_lower_bound"] else "")
                      + f"; {len(task['doubled'])} boundary cells rerun with 2x steps; {task['seconds']:.0f} s")
    console.print(f"budget: {grid['seeds']} seeds, {grid['steps']} Adam steps of {grid['batch']} fresh samples, "
                  f"learning rates {grid['lrs']} (per seed the lowest training loss), {grid['test_points']} test "
                  "points; tapered = the product tree's widths 2n, n, n/2, ...")


@flatten_app.command("linear")
@handle_errors
def linear(
    kind: str = typer.Argument(..., help="fft (butterfly), lowrank, sparse (Eq. 27) or matmul (B -> AB by Strassen)."),
    n: int = typer.Option(1024, "--n", help="Size n (a power of two for fft and matmul)."),
    seed: int = typer.Option(0, help="Seed for random matrices."),
    json: bool = typer.Option(False, "--json", help="Print one JSON object and nothing else."),
) -> None:
    """Linear flattening: deep (factored) against flat synapses, C_s against its closed form, and max error
    against an independent oracle where it applies (numpy.fft for fft)."""
    from deepcheap.flattening import linear_summary

    kind = check_choice("kind", kind.lower(), LINEAR_KINDS)
    payload = linear_summary(kind, n, seed=check_seed(seed, "--seed")).to_dict()
    print_record(payload, f"linear flattening: {kind}, n = {n}", json)
