"""Benchmark: what C12's full depth x size grid costs, measured per step here and extrapolated to the full budget.

For every depth k of the FULL grid (total hidden neurons 16..2048 split evenly, plus the tree shape, seeds x
learning rates models per cell, batch 1024) one grid trial at n = 8 is trained for a few steps twice (``--short``
and ``--long`` steps); the difference gives seconds per step without start-up and test-set costs. The test-set
pass (10^6 points per model) is timed separately at the same k. The full trial's time is then

    steps x (seconds per step) + test pass + control,

where the control (boundary cells rerun with twice the steps) is bounded by its worst case: at each depth the
two largest cells at 2x steps. n = 12, 16, 20 differ only in the first layer's inputs; their time is scaled by
the count of multiply-adds per sample. Prints one row per depth and the totals per n and for the whole grid,
as CPU hours on this machine (2 cores here); on a GPU run the same script with ``--device cuda``.

    python benchmarks/depth_grid.py [--short 3 --long 9] [--device cpu]
"""

from __future__ import annotations

import argparse
import itertools
import time

import torch

from deepcheap.claims.c12_product_flattening import FULL
from deepcheap.flattening.depth_grid import DOMAINS, GridTask, grid_cells, tapered_widths, train_grid
from deepcheap.training import ModelSpec, train


def macs(widths, n: int) -> int:
    """Multiply-adds per sample of one forward pass: n -> widths -> 1."""
    dims = [n, *widths, 1]
    return sum(a * b for a, b in itertools.pairwise(dims))


def trial_cells(n: int, k: int):
    return grid_cells(n, (k,), FULL.grid_totals, tapered=k == len(tapered_widths(n)))


def per_step_seconds(n: int, k: int, short: int, long: int, device: str) -> float:
    task = GridTask(n, "signed", "tanh")
    options = {"seeds": FULL.grid_seeds, "lrs": FULL.grid_lrs, "batch": FULL.grid_batch, "test_points": 1000,
               "seed": 0, "device": device}
    times = []
    for steps in (short, long):
        start = time.perf_counter()
        train_grid(task, trial_cells(n, k), steps=steps, **options)
        times.append(time.perf_counter() - start)
    return max(times[1] - times[0], 1e-9) / (long - short)


def scoring_seconds(n: int, k: int, device: str, points: int = 65_536) -> float:
    """Predicting the test set with every model of the trial (as train_grid does after training): one chunk of
    ``points`` timed, scaled to the full test set."""
    models = [ModelSpec(c.widths, "tanh", seed=s) for c in trial_cells(n, k) for s in range(FULL.grid_seeds)
              for _ in FULL.grid_lrs]
    x = DOMAINS["signed"].sample(n, 1024, 0).float()
    result = train(models, x, x.prod(dim=1), steps=1, device=device)
    x_test = DOMAINS["signed"].sample(n, points, 1).float()
    start = time.perf_counter()
    result.predict(x_test)
    return (time.perf_counter() - start) * FULL.grid_test_points / points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=int, default=3)
    parser.add_argument("--long", type=int, default=9)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    steps, n0 = FULL.grid_steps, 8
    print(f"C12 FULL grid: n {FULL.grid_ns}, depths {FULL.grid_depths}, totals {FULL.grid_totals[0]}.."
          f"{FULL.grid_totals[-1]}, {FULL.grid_seeds} seeds x {len(FULL.grid_lrs)} rates, {steps} steps of "
          f"{FULL.grid_batch}, {FULL.grid_test_points} test points; device {args.device}, "
          f"{torch.get_num_threads()} torch threads")
    print(f"{'k':>2} {'models':>7} {'s/step':>8} {'test s':>7} {'train h':>8} {'control h':>10} {'trial h':>8}")
    per_k = {}
    for k in FULL.grid_depths:
        cells = trial_cells(n0, k)
        step = per_step_seconds(n0, k, args.short, args.long, args.device)
        test = scoring_seconds(n0, k, args.device)
        largest = sorted((c for c in cells if c.shape == "even"), key=lambda c: c.neurons)[-2:]
        share = sum(macs(c.widths, n0) for c in largest) / sum(macs(c.widths, n0) for c in cells)
        train_s, control_s = steps * step, 2 * steps * step * share
        per_k[k] = (train_s + test + control_s, cells)
        print(f"{k:>2} {len(cells) * FULL.grid_seeds * len(FULL.grid_lrs):>7} {step:>8.3f} {test:>7.1f} "
              f"{train_s / 3600:>8.2f} {control_s / 3600:>10.2f} {(train_s + test + control_s) / 3600:>8.2f}")
    tasks = len(FULL.grid_domains) * len(FULL.grid_activations)
    total = 0.0
    for n in FULL.grid_ns:
        hours = sum(seconds * sum(macs(c.widths, n) for c in trial_cells(n, k)) /
                    sum(macs(c.widths, n0) for c in cells) for k, (seconds, cells) in per_k.items()) / 3600
        total += tasks * hours
        print(f"n = {n:>2}: {hours:.1f} h per (domain, activation), {tasks * hours:.1f} h for its {tasks} tasks")
    print(f"whole grid (4 n x {tasks} tasks x {len(FULL.grid_depths)} depths = "
          f"{len(FULL.grid_ns) * tasks * len(FULL.grid_depths)} trials): {total:.1f} h on this device "
          f"(n <= 12: {sum(1 for n in FULL.grid_ns if n <= 12)} of {len(FULL.grid_ns)} n values)")


if __name__ == "__main__":
    main()
