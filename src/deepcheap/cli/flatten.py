"""`deepcheap flatten product|linear`: flattening costs by construction, certificate and training."""

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
    n: str = typer.Option("2..8", "--n", help="Inputs multiplied: N, A..B or a list (2..8)."),
    train: bool = typer.Option(False, "--train", help="Also train shallow and deep networks: minimal widths."),
    activation: str = typer.Option("softplus,tanh,relu", help="Activations to train (comma list)."),
    target: float = typer.Option(0.01, help="Relative RMS error a trained network must reach."),
    seeds: int = typer.Option(3, help="Seeds per width; success = at least one seed reaches the target."),
    steps: int = typer.Option(1000, help="Adam steps per network (the same for every width and architecture)."),
    max_width: int = typer.Option(32, "--max-width", help="Largest trained width tried."),
    seed: int = typer.Option(0, help="Root seed of the training runs."),
    json: bool = typer.Option(False, "--json", help="Print one JSON object and nothing else."),
) -> None:
    """Multiply n inputs: shallow 2^n against deep 4(n-1) neurons, C_n, the rank certificate (with its
    hypotheses), and (with --train) trained widths and total hidden neurons."""
    from deepcheap.flattening.certificate import certify
    from deepcheap.flattening.polynomial import product_networks
    from deepcheap.gates import shallow_product_gate

    ns = parse_ns(n)
    rows = []
    for k in ns:
        entry = product_networks(k, build=k <= 12).to_dict()
        if k <= 10:
            cert = certify(shallow_product_gate(k))
            entry |= {"certificate_rank": cert.rank, "certificate_applies": cert.applies}
        rows.append(entry)
    payload: dict = {"rows": rows}
    if train:
        payload["training"] = _train(ns, activation, target, seeds, steps, max_width, seed, json)
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
    if train:
        _print_training(payload["training"])


def _print_training(training: dict) -> None:
    from deepcheap.flattening.trained import READOUTS

    table = Table(title=f"Trained: fewest total hidden neurons, width x depth (relative RMS error <= "
                        f"{training['target']:.0%}; '-': not reached)")
    for c in ("activation", "domain", "n", "shallow", "deep", "shallow at 10%", "deep at 10%", "best error s/d"):
        table.add_column(c)
    grid = {(r["activation"], tuple(r["domain"]), r["n"], r["architecture"]): r for r in training["results"]}
    for act, domain, k in sorted({key[:3] for key in grid}):
        s = grid[(act, domain, k, "shallow")]
        d = grid.get((act, domain, k, "deep"), s)  # n = 2: the deep network is the shallow one
        table.add_row(act, f"[{domain[0]:g}, {domain[1]:g}]", str(k), fmt(s["neurons"] or "-"),
                      fmt(d["neurons"] or "-"),
                      fmt(s["neurons_at"]["0.1"] or "-"), fmt(d["neurons_at"]["0.1"] or "-"),
                      " / ".join("-" if r["lowest_error"] is None else fmt(r["lowest_error"]) for r in (s, d)))
    console.print(table)
    c = training["comparison"]
    b = training["budget"]
    console.print(f"deep < shallow in {c['deep_fewer']} of {c['pairs']} pairs (n >= 3) that both reached the target "
                  f"(equal {c['equal']}, deep more {c['deep_more']}); budget: {training['seeds']} seeds, {b['steps']} "
                  f"Adam steps ({READOUTS[b['output']]}), learning rates {list(b['lrs'])}, {b['train_points']} "
                  f"training points, widths up to {training['max_width']}; deep = ceil(log2 n) layers of the same "
                  f"width; {training['seconds']:.0f} s")


def _train(ns, activation, target, seeds, steps, max_width, seed, quiet) -> dict:
    import time

    from deepcheap.flattening.trained import ARCHITECTURES, BUCKETS, Budget, compare_depths, width_search

    activations = [a.strip() for a in activation.split(",") if a.strip()]
    if not activations:
        raise InvalidArgumentError(f"--activation {activation!r} names no activation; e.g. --activation softplus,tanh.")
    for act in activations:
        check_choice("activation", act, ("softplus", "tanh", "relu", "sigmoid", "silu", "gelu", "exp"))
    seed = check_seed(seed, "--seed")
    target = check_positive("--target", target)
    seeds = check_int_range("--seeds", seeds, 1, 100, hint="(each seed trains every width again)")
    steps = check_int_range("--steps", steps, 1, 100_000, hint="(1000 steps take seconds per network; 1e5 hours)")
    widest = max(w for bucket in BUCKETS for w in bucket)
    max_width = check_int_range("--max-width", max_width, 1, widest, hint=f"(the widths tried go up to {widest})")
    buckets = [b for b in (tuple(w for w in bucket if w <= max_width) for bucket in BUCKETS) if b]
    budget = Budget(steps=steps)
    if not quiet:
        err_console.print(f"training shallow and deep {', '.join(activations)} networks for n = {ns[0]}..{ns[-1]} ...")
    start = time.perf_counter()
    results = [r.to_dict() for r in width_search(ns, ARCHITECTURES, activations, target=target, seeds=seeds,
                                                 budget=budget, seed=seed, buckets=buckets)]
    return {"target": target, "seeds": seeds, "budget": results[0]["budget"] if results else {},
            "max_width": max_width, "results": results, "comparison": compare_depths(results).to_dict(),
            "seconds": round(time.perf_counter() - start, 1)}


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
