"""Benchmark: compile the periodic 64 x 64 2D Ising energy and evaluate it, against plain torch.

Targets (issue #3): compiling takes <= 5 s and < 1 GB; the compiled DAG module evaluates 4096
configurations within 40x of a direct torch computation of the same energy. The floor of that ratio
is the activation work itself: 4 softplus evaluations per bond against one multiply-add; it is
measured here too (same tensors, same threads) so the table shows how far the module is from it.

    python benchmarks/compile.py [--L 64] [--configs 4096]
    python benchmarks/compile.py --scaling [--sizes 64,128,256,512]

``--scaling`` compiles ``ising2d:L`` for each size in a fresh process (so peak memory is that size's own)
the way ``deepcheap compile ising2d:L`` does: build the expression, compile, measure the error on the
automatic sample. It prints seconds per step and the peak resident memory. Targets (issue #14):
``ising2d:256`` under 30 s and 2 GB in all; ``ising2d:512`` compiles on a 24 GB machine.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import torch
import torch.nn.functional as F

import deepcheap
from deepcheap import library


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best_of(fn, repeats: int = 5) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def compile_once(L: int) -> dict:
    """One size, in this process: the seconds of each step and the peak RSS."""
    start = time.perf_counter()
    expr = library.ising_2d(L)
    t_expr = time.perf_counter() - start
    start = time.perf_counter()
    net = deepcheap.compile(expr)
    t_compile = time.perf_counter() - start
    start = time.perf_counter()
    error = net.max_error
    t_measure = time.perf_counter() - start
    return {"L": L, "expression_s": t_expr, "compile_s": t_compile, "measure_s": t_measure,
            "points": net.measure_points(), "max_error": error, "predicted_error": net.predicted_error,
            "neurons": net.neurons, "peak_rss_mb": rss_mb()}


def scaling(sizes: list[int]) -> int:
    import json
    import subprocess

    print(f"{'L':>5} {'variables':>9} {'neurons':>9} {'expr s':>7} {'compile s':>9} {'measure s':>9} {'points':>6} "
          f"{'total s':>7} {'peak GB':>7}  max error / predicted")
    ok = True
    for L in sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(L)], capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(f"{L:>5} failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}")
            ok = False
            continue
        r = json.loads(out.stdout)
        total = r["expression_s"] + r["compile_s"] + r["measure_s"]
        print(f"{L:>5} {L * L:>9} {r['neurons']:>9} {r['expression_s']:>7.1f} {r['compile_s']:>9.1f} "
              f"{r['measure_s']:>9.1f} {r['points']:>6} {total:>7.1f} {r['peak_rss_mb'] / 1024:>7.2f}  "
              f"{r['max_error']:.2g} / {r['predicted_error']:.2g}")
        if L == 256:
            ok &= total < 30 and r["peak_rss_mb"] < 2048
    print(f"threads: {torch.get_num_threads()}; target: ising2d:256 under 30 s and 2 GB")
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--L", type=int, default=64)
    parser.add_argument("--configs", type=int, default=4096)
    parser.add_argument("--scaling", action="store_true", help="compile time and peak memory per lattice size")
    parser.add_argument("--sizes", default="64,128,256,512")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        import json

        print(json.dumps(compile_once(args.one)))
        return 0
    if args.scaling:
        return scaling([int(v) for v in args.sizes.split(",")])
    L, N = args.L, args.configs

    start = time.perf_counter()
    expr = library.ising_2d(L)
    t_expr = time.perf_counter() - start
    rss_before = rss_mb()
    start = time.perf_counter()
    net = deepcheap.compile(expr)
    t_compile = time.perf_counter() - start
    rss_after = rss_mb()

    spins = (torch.randint(0, 2, (N, L * L), generator=torch.Generator().manual_seed(0)) * 2 - 1).double()

    def direct():
        s = spins.view(N, L, L)
        return -(s * (s.roll(1, 1) + s.roll(1, 2))).sum((1, 2))

    bonds = 2 * L * L
    chunk = net.module.rows_per_chunk
    z = torch.rand(min(N, chunk), bonds, dtype=torch.float64)

    def activation_floor():  # 4 softplus per bond, in the module's chunk shape, no gathers
        for _ in range(0, N, chunk):
            (F.softplus(z) + F.softplus(-z) - F.softplus(z + 1) - F.softplus(1 - z)).sum()

    with torch.no_grad():
        t_module = best_of(lambda: net(spins))
        t_direct = best_of(direct)
        t_floor = best_of(activation_floor)
        max_diff = float((net(spins) - direct()).abs().max())

    rows = [
        ("lattice", f"{L} x {L}, {bonds} bonds, {net.neurons} neurons, depth {net.depth}"),
        ("build sympy expression", f"{t_expr:.2f} s (not part of compiling)"),
        ("compile", f"{t_compile:.2f} s (target <= 5 s)"),
        ("peak RSS before / after compile", f"{rss_before:.0f} / {rss_after:.0f} MB (+{rss_after - rss_before:.0f} MB; "
                                            "target < 1 GB)"),
        (f"evaluate {N} configurations: module", f"{t_module * 1e3:.1f} ms"),
        ("direct torch energy (roll)", f"{t_direct * 1e3:.1f} ms"),
        ("activation floor (4 softplus / bond)", f"{t_floor * 1e3:.1f} ms"),
        ("module / direct", f"{t_module / t_direct:.1f}x (target <= 40x)"),
        ("floor / direct", f"{t_floor / t_direct:.1f}x (the best a 4-neuron-per-bond network can do)"),
        ("module / floor", f"{t_module / t_floor:.2f}x (distance from the floor)"),
        ("max |module - direct|", f"{max_diff:.2g} (predicted bound {net.predicted_error:.2g})"),
        ("threads", str(torch.get_num_threads())),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    ok = t_compile <= 5 and (rss_after - rss_before) < 1024 and t_module / t_direct <= 40
    print("\nall targets met" if ok else "\nTARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
