"""The depth x size grid: Rolnick & Tegmark's Fig. 2 (error over depth x total neurons) with numbers.

>>> from deepcheap.flattening.depth_grid import GridTask, grid_cells, train_grid
>>> task = GridTask(n=4, domain="signed", activation="tanh")
>>> result = train_grid(task, grid_cells(4, depths=(1, 2), totals=(16, 32)), seeds=2, lrs=(1e-2,), steps=50,
...                     batch=128, test_points=2000, seed=0)
>>> [c.neurons for c in result.cells], len(result.cells[0].errors)
([16, 32, 16, 32], 2)

Target: the product x_1 ... x_n, learnt from fresh samples every step (the function is known: nothing to
overfit), scored on a fixed test set. Two domains (see :data:`DOMAINS` and docs/flattening.md):

* ``rt``: Rolnick & Tegmark's [0, 2]^n. The product is heavy-tailed there (E[y^2] = (4/3)^n, E[y^4] = (16/5)^n):
  the relative standard error of a sample estimate of E[y^2] from N points is sqrt((1.8^n - 1) / N)
  (:func:`second_moment_noise`), so relative RMS cannot be measured at feasible N for large n. Scored by
  mean absolute error over the mean absolute error of the best constant predictor (the median).
* ``signed``: |x_i| uniform on [0.5, 1.5] with independent random signs: E[y^2] = (13/12)^n, light-tailed, mean 0.
  Scored by RMS error over the RMS error of the best constant predictor (the mean): relative RMS.

Either score is 1 for a constant and 0 for the exact product. A cell is (depth k, total hidden neurons N,
shape): ``even`` splits N evenly over the k layers; ``tapered`` uses the product tree's widths 2n, n, n/2, ...
Every cell trains ``seeds`` models per learning rate of a grid shared by all cells, the same steps and the
same fresh batches (a model's data never depend on the other models of its run); per (cell, seed) the rate
with the lowest final training loss is kept (chosen without the test set).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from deepcheap.errors import InvalidArgumentError, check_choice, check_int_range
from deepcheap.seeds import derive_seed, numpy_generator
from deepcheap.training import FreshSamples, ModelSpec, split_evenly, train, uniform_box


@dataclass(frozen=True)
class ProductDomain:
    name: str
    low: float
    high: float
    signs: bool
    metric: str  # "mae" (over the median's) or "rms" (over the mean's)

    def draw(self, n: int):
        return uniform_box(n, self.low, self.high, signs=self.signs)

    def sample(self, n: int, points: int, seed: int) -> torch.Tensor:
        """A fixed sample (float64), from its own seed."""
        x = numpy_generator(seed).uniform(self.low, self.high, size=(points, n))
        if self.signs:
            x *= numpy_generator(derive_seed(seed, "signs")).choice((-1.0, 1.0), size=(points, n))
        return torch.from_numpy(x)


DOMAINS = {"rt": ProductDomain("rt", 0.0, 2.0, False, "mae"), "signed": ProductDomain("signed", 0.5, 1.5, True, "rms")}
SHAPES = ("even", "tapered")


def second_moment_noise(domain: str, n: int, points: int) -> float:
    """Relative standard error of the sample mean of y^2 over ``points`` points: sqrt((E y^4 / (E y^2)^2 - 1) / N)."""
    d = DOMAINS[check_choice("domain", domain, tuple(DOMAINS))]
    m2 = (d.high**3 - d.low**3) / (3 * (d.high - d.low))
    m4 = (d.high**5 - d.low**5) / (5 * (d.high - d.low))
    return math.sqrt(((m4 / m2**2) ** n - 1) / points)


def score(prediction: torch.Tensor, y: torch.Tensor, metric: str) -> torch.Tensor:
    """Error relative to the best constant predictor, per model: prediction (M, N), y (N,)."""
    if metric == "mae":
        return (prediction - y).abs().mean(dim=-1) / (y - y.median()).abs().mean()
    return (prediction - y).pow(2).mean(dim=-1).sqrt() / (y - y.mean()).pow(2).mean().sqrt()


@dataclass(frozen=True)
class GridTask:
    n: int
    domain: str
    activation: str

    def __post_init__(self):
        check_int_range("n", self.n, 2, 64)
        check_choice("domain", self.domain, tuple(DOMAINS))

    @property
    def product_domain(self) -> ProductDomain:
        return DOMAINS[self.domain]

    @property
    def key(self) -> str:
        return f"n{self.n:02d}-{self.domain}-{self.activation}"


@dataclass(frozen=True)
class Cell:
    depth: int
    neurons: int
    shape: str = "even"
    widths: tuple[int, ...] = ()

    @property
    def key(self) -> str:
        return f"k{self.depth}-N{self.neurons}-{self.shape}"


def tapered_widths(n: int) -> tuple[int, ...]:
    """The product tree's widths: 2n, n, n/2, ... down to 2, one layer per level of the binary tree."""
    widths, width = [], 2 * n
    for _ in range(max(1, math.ceil(math.log2(n)))):
        widths.append(max(2, width))
        width = math.ceil(width / 2)
    return tuple(widths)


def grid_cells(n: int, depths, totals, *, tapered: bool = False) -> list[Cell]:
    """Even cells for every (depth, total) with at least one neuron per layer, and the tapered tree shape."""
    cells = [Cell(k, N, "even", split_evenly(N, k)) for k in depths for N in totals if k <= N]
    if tapered:
        widths = tapered_widths(n)
        cells.append(Cell(len(widths), sum(widths), "tapered", widths))
    return cells


@dataclass(frozen=True)
class CellResult:
    """One cell over its seeds (each at its best learning rate)."""

    depth: int
    neurons: int
    shape: str
    widths: tuple[int, ...]
    errors: tuple[float, ...]  # test score per seed
    train_errors: tuple[float, ...]  # final training loss as relative RMS, per seed
    steps_to: dict = field(default_factory=dict)  # eps -> per seed: first recorded step with training rel. RMS <= eps
    lrs: tuple[float, ...] = ()  # the chosen rate per seed
    diverged: int = 0

    def success(self, eps: float) -> float:
        return float(np.mean([e <= eps for e in self.errors]))

    @property
    def median(self) -> float:
        return float(np.median(self.errors))

    def to_dict(self) -> dict:
        return {**asdict(self), "steps_to": {str(k): v for k, v in self.steps_to.items()}, "median": self.median}

    @classmethod
    def from_dict(cls, d: dict) -> CellResult:
        """Back from :meth:`to_dict` (JSON: a missing error, inf in the run, comes back as None -> inf)."""
        return cls(d["depth"], d["neurons"], d["shape"], tuple(d["widths"]),
                   tuple(math.inf if e is None else e for e in d["errors"]),
                   tuple(math.inf if e is None else e for e in d["train_errors"]),
                   {float(k): v for k, v in d.get("steps_to", {}).items()}, tuple(d.get("lrs", ())),
                   d.get("diverged", 0))


@dataclass(frozen=True)
class GridResult:
    task: GridTask
    steps: int
    batch: int
    test_points: int
    lrs: tuple[float, ...]
    seeds: int
    cells: list[CellResult]
    seconds: float
    model_steps_per_second: float

    def cell(self, depth: int, neurons: int, shape: str = "even") -> CellResult | None:
        found = [c for c in self.cells if (c.depth, c.neurons, c.shape) == (depth, neurons, shape)]
        return found[0] if found else None

    def to_dict(self) -> dict:
        return {"task": asdict(self.task), "steps": self.steps, "batch": self.batch, "test_points": self.test_points,
                "lrs": list(self.lrs), "seeds": self.seeds, "cells": [c.to_dict() for c in self.cells],
                "seconds": self.seconds, "model_steps_per_second": self.model_steps_per_second}


RECORD_EVERY = 10
EPS_LEVELS = (0.1, 0.03, 0.01)


def train_grid(task: GridTask, cells: list[Cell], *, seeds: int, lrs, steps: int, batch: int, test_points: int,
               seed: int, output: str = "adam", device="cpu", warm_starts: dict | None = None) -> GridResult:
    """Train every cell x seed x rate in one engine run on fresh samples; score on one fixed test set.

    ``warm_starts``: {cell key: layers} trains that cell from given weights (one model per rate) instead.
    """
    seeds = check_int_range("seeds", seeds, 1, 1000)
    lrs = tuple(float(lr) for lr in lrs)
    domain, n = task.product_domain, task.n
    specs, owners = [], []
    for cell in cells:
        start = (warm_starts or {}).get(cell.key)
        for s in range(1 if start is not None else seeds):
            for lr in lrs:
                if start is not None:
                    specs.append(ModelSpec.from_layers(start, task.activation, lr=lr))
                else:
                    specs.append(ModelSpec(cell.widths, task.activation, seed=derive_seed(seed, cell.key, s), lr=lr))
                owners.append((cell, s))
    if not specs:
        raise InvalidArgumentError("train_grid needs at least one cell.")
    samples = FreshSamples(domain.draw(n), lambda x: x.prod(dim=1), batch, seed=derive_seed(seed, task.key, "batches"))
    x_test = domain.sample(n, test_points, derive_seed(seed, task.key, "test"))
    y_test = x_test.prod(dim=1)
    result = train(specs, samples=samples, steps=steps, output=output, device=device, record_every=RECORD_EVERY)
    predictions = result.predict(x_test.to(torch.float32)).squeeze(-1).double().cpu()  # (M, N)
    errors = score(predictions, y_test, domain.metric)
    variance = float(y_test.var())
    final = result.train_mse.double() / variance  # relative training MSE on the last fresh batch
    history = result.history.double() / variance if result.history is not None else None
    return GridResult(task, steps, batch, test_points, lrs, seeds, _collect(cells, owners, errors, final, history,
                                                                          result.diverged, lrs),
                      result.seconds, result.model_steps_per_second)


def _collect(cells, owners, errors, final, history, diverged, lrs) -> list[CellResult]:
    out = []
    for cell in cells:
        per_seed = {}
        for m, (owner, s) in enumerate(owners):
            if owner is not cell:
                continue
            loss = float(final[m]) if math.isfinite(float(final[m])) else math.inf
            if s not in per_seed or loss < per_seed[s][0]:
                per_seed[s] = (loss, m)
        chosen = [per_seed[s][1] for s in sorted(per_seed)]
        steps_to = {eps: [_first_step(history[:, m], eps) if history is not None else None for m in chosen]
                    for eps in EPS_LEVELS}
        out.append(CellResult(cell.depth, cell.neurons, cell.shape, cell.widths,
                              tuple(_finite(errors[m]) for m in chosen),
                              tuple(math.sqrt(per_seed[s][0]) for s in sorted(per_seed)), steps_to,
                              tuple(lrs[m % len(lrs)] for m in chosen), int(sum(bool(diverged[m]) for m in chosen))))
    return out


def _finite(value) -> float:
    value = float(value)
    return value if math.isfinite(value) else math.inf


def _first_step(relative_mse: torch.Tensor, eps: float) -> int | None:
    hit = torch.nonzero(relative_mse.sqrt() <= eps)
    return int(hit[0, 0] + 1) * RECORD_EVERY if len(hit) else None


def train_with_control(task: GridTask, cells: list[Cell], *, control_eps: float, seeds: int, lrs, steps: int,
                       batch: int, test_points: int, seed: int, output: str = "adam",
                       device="cpu") -> tuple[GridResult, GridResult | None]:
    """The cells at ``steps``, then their boundary cells (:func:`~deepcheap.flattening.depth_analysis.boundary_cells`
    at ``control_eps``) again at twice the steps: the same models on the same batches, trained twice as long."""
    from deepcheap.flattening.depth_analysis import boundary_cells

    options = {"seeds": seeds, "lrs": lrs, "batch": batch, "test_points": test_points, "seed": seed,
               "output": output, "device": device}
    first = train_grid(task, cells, steps=steps, **options)
    wanted = set(boundary_cells(first.cells, control_eps))
    boundary = [c for c in cells if c.shape == "even" and (c.depth, c.neurons) in wanted]
    doubled = train_grid(task, boundary, steps=2 * steps, **options) if boundary else None
    return first, doubled
