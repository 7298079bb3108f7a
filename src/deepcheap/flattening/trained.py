"""Trained minimal widths: how wide must a trained shallow or deep net be to multiply n inputs?

>>> from deepcheap.flattening.trained import Budget, ProductTask, minimal_widths
>>> [result] = minimal_widths([ProductTask(2, (-1.0, 1.0))], "shallow", "tanh", seeds=2, budget=Budget(steps=300),
...                           seed=0)
>>> result.min_width is None or result.min_width <= 32
True

The experiment the follow-up paper (Rolnick & Tegmark 2018) only drew as a heat map. For the
product x_1 ... x_n on a box, networks of growing width w are trained under one fixed budget
(full-batch Adam on the hidden layers with the linear read-out solved by least squares before every
step, i.e. variable projection; the same steps, learning-rate grid and data for every width and
architecture) and the smallest w at which at least one of S seeds reaches a relative RMS error (test
RMS error / RMS of the target) at or below the target is reported, with its total hidden neurons
(width x depth). Architectures: ``shallow`` (one hidden layer of w) and ``deep`` (ceil(log2 n) hidden
layers of w each: the depth of a binary product tree); a deep network of n = 2 has depth 1, so it is the
shallow one.

Widths are tried in buckets (1-8, 12-32, 48-64). One bucket trains, in a single batched run of
:mod:`deepcheap.training`, every width, seed and learning rate of every task (n, domain) still
unsolved; tasks of different n share a run with zero-padded inputs (exactly inert). The theorem
(Appendix A) says exact Taylor matching needs 2^n units in one hidden layer and 4(n - 1) deep;
at small n (2^n / 4(n - 1) <= 2 for n <= 5) a trained comparison cannot tell the two apart: the results
are data, not evidence (claim C13 uses these searches; C12 uses :mod:`~deepcheap.flattening.depth_grid`). Besides
the target the same runs give the minimal widths at looser targets for free.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import torch

from deepcheap.errors import (
    InvalidArgumentError,
    check_choice,
    check_domain,
    check_int_range,
    check_positive,
    check_seed,
)
from deepcheap.seeds import derive_seed
from deepcheap.training import ModelSpec, train

BUCKETS: tuple[tuple[int, ...], ...] = ((1, 2, 3, 4, 6, 8), (12, 16, 24, 32), (48, 64))
ARCHITECTURES = ("shallow", "deep")
READOUTS = {"least_squares": "the linear read-out solved by least squares before every step (variable projection)",
            "adam": "the read-out trained by Adam too"}  # Budget.output -> how reports describe it
LOOSER_TARGETS = (0.03, 0.1)
DOMAINS: tuple[tuple[float, float], ...] = ((-1.0, 1.0), (0.0, 2.0))


@dataclass(frozen=True)
class Budget:
    """The training budget shared by every width, seed, task and architecture."""

    steps: int = 2000
    lrs: tuple[float, ...] = (3e-2, 1e-1)
    train_points: int = 256
    test_points: int = 1024
    dtype: str = "float32"
    output: str = "least_squares"  # the read-out solved by least squares at every step, or "adam"


@dataclass(frozen=True)
class ProductTask:
    """The target x_1^r_1 ... x_n^r_n on domain^n (exponents default to all ones: the product of n)."""

    n: int
    domain: tuple[float, float] = (-1.0, 1.0)
    exponents: tuple[int, ...] | None = None

    @property
    def powers(self) -> tuple[int, ...]:
        return self.exponents or (1,) * self.n


def depth_for(n: int, architecture: str) -> int:
    return 1 if architecture == "shallow" else max(1, math.ceil(math.log2(n)))


def product_data(n: int, domain, points: int, seed: int, dtype, powers=None) -> tuple[torch.Tensor, torch.Tensor]:
    lo, hi = domain
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand(points, n, generator=generator, dtype=torch.float64) * (hi - lo) + lo
    exps = torch.tensor(powers or (1,) * n, dtype=torch.float64)
    return x.to(dtype), (x**exps).prod(dim=1, keepdim=True).to(dtype)


def data_seed(task: ProductTask) -> int:
    """Data depend on the task only: every architecture, width and seed sees the same points."""
    return derive_seed(0, "product", task.n, task.domain[0], task.domain[1], *task.powers)


@dataclass(frozen=True)
class WidthResult:
    """The smallest trained width reaching ``target`` on one task, and what the runs measured on the way.

    ``min_width_at`` / ``neurons_at``: the same at looser targets (keys "0.03", "0.1"); ``errors[w]``: the best
    relative RMS error (over learning rates) of each seed at width w.
    """

    n: int
    exponents: tuple[int, ...]
    domain: tuple[float, float]
    architecture: str
    activation: str
    depth: int
    target: float
    min_width: int | None
    successful_seeds: tuple[int, ...]
    min_width_at: dict[str, int | None] = field(default_factory=dict)
    errors: dict[str, list[float]] = field(default_factory=dict)
    seeds: int = 0
    budget: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def neurons(self) -> int | None:
        """Total hidden neurons (width x depth) at the target; None when no width reached it."""
        return None if self.min_width is None else self.min_width * self.depth

    @property
    def neurons_at(self) -> dict[str, int | None]:
        return {t: None if w is None else w * self.depth for t, w in self.min_width_at.items()}

    @property
    def best_error(self) -> dict[str, float]:
        return {w: min(e) for w, e in self.errors.items()}

    @property
    def lowest_error(self) -> float:
        """The best relative RMS error at any width (inf when every run diverged)."""
        return min(self.best_error.values(), default=math.inf)

    @property
    def max_width_tried(self) -> int | None:
        return max((int(w) for w in self.errors), default=None)

    def to_dict(self) -> dict:
        """JSON-ready: a diverged run's error (inf) becomes None."""
        return {**asdict(self), "exponents": list(self.exponents), "domain": list(self.domain),
                "successful_seeds": list(self.successful_seeds), "neurons": self.neurons,
                "neurons_at": self.neurons_at, "max_width_tried": self.max_width_tried,
                "errors": {w: [_finite(v) for v in e] for w, e in self.errors.items()},
                "best_error": {w: _finite(v) for w, v in self.best_error.items()},
                "lowest_error": _finite(self.lowest_error)}


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def minimal_widths(tasks, architecture: str, activation: str, *, target: float = 0.01, seeds: int = 3,
                   budget: Budget | None = None, seed: int, buckets=BUCKETS) -> list[WidthResult]:
    """One result per task (see the module docstring): min width, errors per width and seed, budget.
    ``seed`` is the root of every model's initialisation (data depend on the task only)."""
    tasks = [_checked(t) for t in tasks]
    seed = check_seed(seed)
    architecture = check_choice("architecture", architecture, ARCHITECTURES)
    target = check_positive("target", target)
    seeds = check_int_range("seeds", seeds, 1)
    budget = budget or Budget()
    errors: dict[ProductTask, dict[int, list[float]]] = {t: {} for t in tasks}
    found: dict[ProductTask, int | None] = dict.fromkeys(tasks)
    start = time.perf_counter()
    for depth in sorted({depth_for(t.n, architecture) for t in tasks}):
        unsolved = [t for t in tasks if depth_for(t.n, architecture) == depth]
        for bucket in buckets:
            if not unsolved:
                break
            _train_bucket(unsolved, bucket, depth, activation, seeds, budget, seed, errors)
            for t in unsolved:
                wins = [w for w in bucket if min(errors[t][w]) <= target]
                found[t] = min(wins) if wins else None
            unsolved = [t for t in unsolved if found[t] is None]
    seconds = round(time.perf_counter() - start, 2)
    return [_result(t, architecture, activation, target, seeds, budget, errors[t], found[t], seconds) for t in tasks]


def _checked(task: ProductTask) -> ProductTask:
    n = check_int_range("n", task.n, 1)
    if task.exponents is not None and (len(task.exponents) != n or any(int(r) < 1 for r in task.exponents)):
        raise InvalidArgumentError(f"exponents must be {n} integers >= 1; got {task.exponents}.")
    if task.exponents is None and n < 2:
        raise InvalidArgumentError("a product needs n >= 2 inputs (or give exponents for a monomial).")
    return ProductTask(n, check_domain(task.domain), None if task.exponents is None else tuple(task.exponents))


def _train_bucket(tasks, bucket, depth, activation, seeds, budget, seed, errors) -> None:
    dtype = getattr(torch, budget.dtype)
    n_max = max(t.n for t in tasks)
    combos = [(t, w, s, lr) for t in tasks for w in bucket for s in range(seeds) for lr in budget.lrs]
    data = {t: _standardised(t, budget, dtype, n_max) for t in tasks}
    x = torch.stack([data[t][0] for t, *_ in combos])
    y = torch.stack([data[t][1] for t, *_ in combos])
    xt = torch.stack([data[t][2] for t, *_ in combos])
    yt = torch.stack([data[t][3] for t, *_ in combos])
    models = [ModelSpec((w,) * depth, activation, seed=_model_seed(seed, t, w, s), lr=lr, n_inputs=t.n)
              for t, w, s, lr in combos]
    result = train(models, x, y, steps=budget.steps, x_test=xt, y_test=yt, output=budget.output, dtype=dtype)
    rel = torch.nan_to_num(result.test_relative_rms, nan=math.inf)  # a diverged model never reaches a target
    rel = rel.reshape(len(tasks), len(bucket), seeds, len(budget.lrs)).amin(dim=3)
    for i, t in enumerate(tasks):
        for j, w in enumerate(bucket):
            errors[t][w] = [float(v) for v in rel[i, j]]


def _standardised(task: ProductTask, budget: Budget, dtype, n_max: int):
    """Train/test inputs zero-padded to n_max; targets divided by their train RMS."""
    x, y = product_data(task.n, task.domain, budget.train_points, data_seed(task), dtype, task.powers)
    xt, yt = product_data(task.n, task.domain, budget.test_points, data_seed(task) + 1, dtype, task.powers)
    scale = y.pow(2).mean().sqrt()
    pad = lambda a: torch.nn.functional.pad(a, (0, n_max - task.n))  # noqa: E731
    return pad(x), y / scale, pad(xt), yt / scale


def _result(task, architecture, activation, target, seeds, budget, errors, found, seconds) -> WidthResult:
    best = {w: min(e) for w, e in sorted(errors.items())}
    return WidthResult(
        task.n, tuple(task.powers), tuple(task.domain), architecture, activation, depth_for(task.n, architecture),
        target, found, () if found is None else tuple(s for s, e in enumerate(errors[found]) if e <= target),
        {str(t): next((w for w, e in best.items() if e <= t), None) for t in LOOSER_TARGETS},
        {str(w): e for w, e in sorted(errors.items())}, seeds, asdict(budget), seconds)


def _model_seed(seed: int, task: ProductTask, width: int, index: int) -> int:
    """The seed of model (task, width, index): independent of which other models share its batch."""
    return derive_seed(seed, data_seed(task), width, index)
