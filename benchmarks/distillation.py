"""Benchmark: how each CMB-like distiller's cost grows with the number of pixels n, dense against FFT.

For every stage (map-making, spectrum estimation, parameter fit, and the undistilled direct likelihood),
time one data vector at a range of n (best of 3 batches, one thread; see deepcheap.distillation.cost_scaling),
fit time ~ n^x on the upper part of the range, and compare with the paper's exponents (O(n^3), O(n^2),
O(n^{3/2}), O(n) for its four CMB distillers). Also prints the dense / FFT time ratio at the largest
common n, and the information each stage keeps.

    python benchmarks/distillation.py [--full]
"""

from __future__ import annotations

import sys
import time

from deepcheap.distillation import (
    STAGE_METHODS,
    GaussianHierarchy,
    bandpower_fisher,
    cost_scaling,
    fisher_information,
    fisher_information_dense,
)
from deepcheap.seeds import derive_seed

PAPER = {"map-making": 3.0, "spectrum": 2.0, "parameter fit": 1.0, "direct likelihood": None}


def main(full: bool = False, seed: int = 0) -> int:
    dense_n = [128, 256, 512, 1024, 2048] + ([4096] if full else [])
    fft_n = [2**e for e in range(10, 21 if full else 19)]
    fit_from = {"dense": 256, "fft": 2**13, "bands": 2**13}
    start = time.perf_counter()
    header = f"{'stage':18s} {'method':6s} {'n range':>15s} {'s at max n':>11s} {'fitted x':>9s} {'paper x':>8s}"
    print(header)
    print("-" * len(header))
    times: dict[tuple[str, str], dict[int, float]] = {}
    for stage, methods in STAGE_METHODS.items():
        for method in methods:
            ns = dense_n if method == "dense" else fft_n
            cost = cost_scaling(stage, method, ns, fit_from=fit_from[method], seed=derive_seed(seed, stage, method))
            times[(stage, method)] = dict(zip(cost.n, cost.seconds, strict=True))
            paper = PAPER[stage] if method != "fft" else None
            print(f"{stage:18s} {method:6s} {f'{ns[0]}-{ns[-1]}':>15s} {cost.seconds[-1]:11.3e} {cost.exponent:9.2f} "
                  f"{'-' if paper is None else f'{paper:g}':>8s}")
    print()
    print("dense / FFT time at the same n:")
    for stage in ("map-making", "spectrum", "direct likelihood"):
        dense, fast = times[(stage, "dense")], times[(stage, "fft")]
        common = sorted(set(dense) & set(fast))
        for n in common[-2:]:
            print(f"  {stage:18s} n = {n:5d}: {dense[n] / fast[n]:10.1f}x")
    print()
    print("Fisher information kept (exact), n = 1024, 4 band powers per octave:")
    for parameter in ("amplitude", "tilt"):
        h = GaussianHierarchy(1024, parameter=parameter)
        F = fisher_information(h)
        print(f"  {parameter:9s}: F = {F:9.3f} (dense check {fisher_information_dense(h) / F - 1:+.1e}); "
              f"band powers keep {bandpower_fisher(h) / F:.4f}")
    print(f"\n{time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main("--full" in sys.argv[1:]))
