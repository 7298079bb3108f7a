"""Training data in the engine's layout: fixed (shared or per model) or a fresh batch every step.

>>> import torch
>>> from deepcheap.training import FreshSamples, uniform_box
>>> samples = FreshSamples(uniform_box(3, -1.0, 1.0), lambda x: x.prod(dim=1), points=4, seed=7)
>>> x1, y1 = samples.batch(1); x2, y2 = samples.batch(2)
>>> tuple(x1.shape), bool(torch.equal(x1, samples.batch(1)[0])), bool(torch.equal(x1, x2))
((4, 3), True, False)

Fresh samples: step t's batch is ``draw(generator, points)`` with a generator on the engine's device seeded
from (seed, t) alone, and ``target(x)``; so a model's data, and its training, never depend on which other
models share its run. ``draw`` must draw from the generator it is given (on ``generator.device``). The first
batch is checked (shapes, NaN); a later batch with NaN marks the models diverged rather than stopping the run.
The engine holds inputs transposed with a ones row appended, ``xa`` of shape (n + 1, N) shared or
(M, n + 1, N) per model, and targets as (K, N) or (M, K, N) (class labels as (N,) or (M, N)).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from deepcheap.errors import InvalidArgumentError, check_domain, check_int_range, check_seed
from deepcheap.seeds import derive_seed


@dataclass(frozen=True)
class FreshSamples:
    """A new batch each step: ``x = draw(generator, points)`` of shape (points, n), ``y = target(x)``."""

    draw: Callable[[torch.Generator, int], torch.Tensor]
    target: Callable[[torch.Tensor], torch.Tensor]
    points: int
    seed: int

    def __post_init__(self):
        check_int_range("points", self.points, 1)
        check_seed(self.seed)
        if not (callable(self.draw) and callable(self.target)):
            raise InvalidArgumentError("FreshSamples needs callables draw(generator, points) and target(x).")

    def batch(self, step: int, device="cpu", generator: torch.Generator | None = None):
        """Step ``step``'s batch (x, y), drawn on ``device``; deterministic given (seed, step)."""
        generator = generator or torch.Generator(device=device)
        generator.manual_seed(step_seed(self.seed, step))
        x = self.draw(generator, self.points)
        return x, self.target(x)


def step_seed(seed: int, step: int) -> int:
    """The generator seed of step ``step`` of a task seeded ``seed`` (independent streams per step)."""
    return derive_seed(seed, "step", step)


def uniform_box(n: int, low: float = -1.0, high: float = 1.0, *, signs: bool = False):
    """A ``draw`` for :class:`FreshSamples`: x uniform on [low, high]^n (``signs``: times an independent random sign).

    >>> import torch
    >>> draw = uniform_box(2, 0.5, 1.5, signs=True)
    >>> x = draw(torch.Generator().manual_seed(0), 1000)
    >>> bool((x.abs() >= 0.5).all() and (x.abs() <= 1.5).all()), bool((x < 0).any())
    (True, True)
    """
    n = check_int_range("n", n, 1)
    low, high = check_domain((low, high))

    def draw(generator: torch.Generator, points: int) -> torch.Tensor:
        x = torch.rand(points, n, generator=generator, device=generator.device, dtype=torch.float64)
        x = x * (high - low) + low
        if signs:
            x = x * (torch.randint(0, 2, (points, n), generator=generator, device=generator.device) * 2 - 1)
        return x

    return draw


@dataclass
class Batch:
    """One step's data in the engine's layout (see the module docstring)."""

    xa: torch.Tensor
    targets: torch.Tensor  # (K, N) / (M, K, N) floats, or (N,) / (M, N) int64 labels
    classify: bool = False

    @property
    def shared(self) -> bool:
        return self.xa.dim() == 2

    def targets_for(self, rows: slice) -> torch.Tensor:
        """The targets of the models ``rows`` (internal order): a slice if targets are per model, else all."""
        per_model = self.targets.dim() == (2 if self.classify else 3)
        return self.targets[rows] if per_model else self.targets

    @property
    def points(self) -> int:
        return self.xa.shape[-1]


def to_engine(x: torch.Tensor, y: torch.Tensor, classify: bool, dtype, device, order=None) -> Batch:
    """(N, n) / (M, N, n) inputs and (N,) / (N, K) / (M, N) / (M, N, K) targets -> a :class:`Batch`.

    ``order``: the engine's internal model order (per-model data are permuted to it).
    """
    x = x.to(device, dtype)
    if x.dim() == 3 and order is not None:
        x = x[torch.as_tensor(order, device=device)]
    ones = torch.ones(*x.shape[:-1], 1, dtype=dtype, device=device)
    xa = torch.cat([x, ones], dim=-1).transpose(-1, -2).contiguous()
    if classify:
        targets = y.to(device, torch.int64)
        if targets.dim() == 2 and order is not None:
            targets = targets[torch.as_tensor(order, device=device)]
    else:
        y = y.to(device, dtype)
        y = y.unsqueeze(-1) if y.dim() == x.dim() - 1 else y
        if y.dim() == 3 and order is not None:
            y = y[torch.as_tensor(order, device=device)]
        targets = y.transpose(-1, -2).contiguous()
    return Batch(xa, targets, classify)
