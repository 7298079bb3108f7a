"""Benchmark: Ising sampler throughput, against a plain NumPy checkerboard measured in the same run.

Targets (issue #5): Metropolis at L = 256 reaches >= 0.3 spin updates per ns on this 2-core machine
(compiled scalar anchors: 0.3-0.35 per core); its ratio to a vectorised NumPy checkerboard; and Wolff
against Metropolis in independent samples per second at T_c, L = 64 (samples per second divided by
2 tau_int of the energy, tau_int measured in each run).

    python benchmarks/ising.py [--L 256] [--chains 8] [--sweeps 400]
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numba
import numpy as np

from deepcheap.physics.lattice import T_CRITICAL
from deepcheap.physics.samplers import IsingChains
from deepcheap.physics.statistics import integrated_autocorrelation_time


def numpy_checkerboard(L: int, T: float, chains: int, sweeps: int, seed: int = 0) -> float:
    """Spin updates per ns of a vectorised NumPy checkerboard Metropolis (the baseline)."""
    rng = np.random.default_rng(seed)
    spins = rng.choice(np.array([-1, 1], dtype=np.int8), size=(chains, L, L))
    parity = (np.indices((L, L)).sum(axis=0) % 2).astype(bool)
    accept = np.exp(-2.0 / T * np.arange(5))
    start = time.perf_counter()
    for _ in range(sweeps):
        for colour in (False, True):
            mask = parity == colour
            field = (np.roll(spins, 1, 1) + np.roll(spins, -1, 1) + np.roll(spins, 1, 2)
                     + np.roll(spins, -1, 2))
            k = spins * field
            flip = mask & ((k <= 0) | (rng.random(spins.shape) < accept[np.clip(k, 0, 4)]))
            spins = np.where(flip, -spins, spins)
    return sweeps * chains * L * L / (time.perf_counter() - start) / 1e9


def compiled(L: int, T: float, chains: int, sweeps: int, algorithm: str, seed: int = 0):
    sampler = IsingChains(L, T, chains=chains, algorithm=algorithm, seed=seed)
    # thermalise (and compile, the first time): a disordered start has more energy-raising moves,
    # each with a random draw, so measuring too early understates the equilibrium rate
    sampler.run(max(200, sweeps // 2))
    return sampler.run(sweeps)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--L", type=int, default=256)
    parser.add_argument("--chains", type=int, default=8)
    parser.add_argument("--sweeps", type=int, default=400)
    parser.add_argument("--wolff-L", type=int, default=64)
    parser.add_argument("--wolff-sweeps", type=int, default=4000)
    args = parser.parse_args()
    threads = numba.get_num_threads()
    print(f"numba threads: {threads}; T = T_c = {T_CRITICAL:.6f}")

    print(f"\nMetropolis, L = {args.L}, {args.chains} chains, {args.sweeps} sweeps (spin updates per ns)")
    print(f"{'sampler':<34}{'updates/ns':>12}{'ratio':>10}")
    base = numpy_checkerboard(args.L, T_CRITICAL, args.chains, max(5, args.sweeps // 20))
    print(f"{'NumPy checkerboard (baseline)':<34}{base:>12.4f}{1.0:>10.1f}")
    rows = []
    for label, n_threads in (("deepcheap numba, 1 thread", 1), (f"deepcheap numba, {threads} threads", threads)):
        numba.set_num_threads(n_threads)
        run = compiled(args.L, T_CRITICAL, args.chains, args.sweeps, "metropolis")
        rows.append(run.flips_per_ns)
        print(f"{label:<34}{run.flips_per_ns:>12.4f}{run.flips_per_ns / base:>10.1f}")
    numba.set_num_threads(threads)
    target = 0.3
    print(f"target >= {target} updates/ns on all cores: {'met' if rows[-1] >= target else 'NOT met'} "
          f"({rows[-1]:.3f})")

    L = args.wolff_L
    print(f"\nIndependent samples per second at T_c, L = {L} (samples/s / (2 tau_int of E))")
    print(f"{'algorithm':<14}{'sweeps/s':>12}{'tau_int':>10}{'indep./s':>12}{'ratio':>10}")
    results = {}
    for algorithm in ("metropolis", "wolff"):
        sweeps = args.wolff_sweeps if algorithm == "wolff" else 5 * args.wolff_sweeps
        run = compiled(L, T_CRITICAL, 4, sweeps, algorithm, seed=1)
        tau = integrated_autocorrelation_time(run.energies)
        per_second = run.energies.size / run.seconds
        results[algorithm] = (per_second, tau, per_second / (2 * tau))
    for algorithm, (per_second, tau, independent) in results.items():
        ratio = independent / results["metropolis"][2]
        print(f"{algorithm:<14}{per_second:>12.0f}{tau:>10.2f}{independent:>12.0f}{ratio:>10.2f}")
    return 0 if math.isfinite(rows[-1]) else 1


if __name__ == "__main__":
    sys.exit(main())
