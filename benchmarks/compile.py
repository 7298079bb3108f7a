"""Benchmark: compile the periodic 64 x 64 2D Ising energy and evaluate it, against plain torch.

Targets (issue #3): compiling takes <= 5 s and < 1 GB; the compiled DAG module evaluates 4096
configurations within 40x of a direct torch computation of the same energy. The floor of that ratio
is the activation work itself: 4 softplus evaluations per bond against one multiply-add; it is
measured here too (same tensors, same threads) so the table shows how far the module is from it.

    python benchmarks/compile.py [--L 64] [--configs 4096]
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--L", type=int, default=64)
    parser.add_argument("--configs", type=int, default=4096)
    args = parser.parse_args()
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
