"""Benchmark: does deepcheap's automatic scale land near the best scale of a brute-force scan?

For every activation x order x dtype, scan lambda over 4 decades around the automatic choice
(81 points), measure the max error of the product gate on [-1, 1]^2 (16,384 points) at each,
and compare the best of the scan with the error at the automatic lambda. Target: within 3x.

    python benchmarks/gates.py
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np
import torch

from deepcheap.errors import UnsupportedActivationError
from deepcheap.gates import max_error, product_gate

ACTIVATIONS = ("softplus", "sigmoid", "tanh", "exp", "silu", "gelu")
TARGET = 3.0


def main() -> int:
    header = f"{'activation':10s} {'order':>5s} {'dtype':>8s} {'bias':>8s} {'auto lambda':>12s} {'best lambda':>12s} " \
             f"{'auto error':>11s} {'best error':>11s} {'ratio':>6s}"
    print(header)
    print("-" * len(header))
    worst, start = 0.0, time.perf_counter()
    for act in ACTIVATIONS:
        for order in (2, 4):
            for dtype in (torch.float64, torch.float32):
                try:
                    auto = product_gate(act, order, dtype)
                except UnsupportedActivationError:
                    print(f"{act:10s} {order:5d} {str(dtype)[6:]:>8s}  (no order-{order} bias exists)")
                    continue
                lambdas = np.logspace(math.log10(auto.scale) - 2, math.log10(auto.scale) + 2, 81)
                lambdas = lambdas[lambdas <= 0.5]
                errors = [max_error(product_gate(act, order, dtype, scale=float(lam), bias=auto.bias))
                          for lam in lambdas]
                best = int(np.argmin(errors))
                auto_error = max_error(auto)
                ratio = auto_error / errors[best]
                worst = max(worst, ratio)
                print(f"{act:10s} {order:5d} {str(dtype)[6:]:>8s} {auto.bias:8.4f} {auto.scale:12.3e} "
                      f"{lambdas[best]:12.3e} {auto_error:11.3e} {errors[best]:11.3e} {ratio:6.2f}")
    verdict = "within" if worst <= TARGET else "NOT within"
    print(f"\nworst auto/best ratio: {worst:.2f} ({verdict} the {TARGET:g}x target); "
          f"{time.perf_counter() - start:.1f} s")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
