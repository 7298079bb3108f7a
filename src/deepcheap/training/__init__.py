"""Train many small MLPs at once, fast: shared-data GEMMs, a hand-derived backward, one flat Adam, CPU or GPU.

>>> import torch
>>> from deepcheap.training import ModelSpec, train
>>> x = torch.rand(256, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 2 - 1
>>> y = x[:, 0] * x[:, 1]
>>> models = [ModelSpec((w,), "tanh", seed=s, lr=1e-2) for w in (4, 8, 16) for s in range(2)]
>>> result = train(models, x, y, steps=300, x_test=x, y_test=y)
>>> result.test_relative_rms.shape, bool(result.diverged.any())
(torch.Size([6]), False)

Models of different depths and widths share one run (a list of :class:`ModelSpec`: hidden widths,
activation, seed, learning rate, weight decay, steps); every model trains exactly as it would alone.
Fresh samples per step, deterministic given (seed, step), and a warm start from given weights:

>>> from deepcheap.training import FreshSamples, uniform_box, split_evenly
>>> samples = FreshSamples(uniform_box(3), lambda x: x.prod(dim=1), points=512, seed=1)
>>> grid = [ModelSpec(split_evenly(24, k), seed=s) for k in (1, 2, 3) for s in range(2)]
>>> result = train(grid, samples=samples, steps=100, output="least_squares")
>>> result.train_mse.shape, [len(result.layers(m)) for m in (0, 2, 4)]
(torch.Size([6]), [2, 3, 4])
>>> warm = ModelSpec.from_layers(result.layers(4), seed=9, lr=1e-3)   # continue from model 4's weights
>>> warm.hidden
(8, 8, 8)

How it works (one module each): :mod:`~deepcheap.training.spec` (ModelSpec, default initialisation),
:mod:`~deepcheap.training.layout` (groups of equal shape, one flat parameter buffer, bias columns and
ones rows), :mod:`~deepcheap.training.network` (forward, hand-derived backward, least-squares read-out),
:mod:`~deepcheap.training.kernels` (activations and their fused backward kernels),
:mod:`~deepcheap.training.adam` (flat Adam with per-model rates), :mod:`~deepcheap.training.data`
(fixed or fresh batches), :mod:`~deepcheap.training.memory` (estimate, budget, chunks),
:mod:`~deepcheap.training.engine` (``train``), :mod:`~deepcheap.training.results`. docs/training.md has
the design, the API and the benchmark figures.

Every tensor lives on ``device`` ("cpu" or "cuda"); computation is float32 by default (``dtype``), the
least-squares read-out is solved in float64. On the CPU the run uses torch's threads (``result.threads``).
"""

from deepcheap.training.data import FreshSamples, uniform_box
from deepcheap.training.engine import resolve_device, train
from deepcheap.training.memory import estimate_memory
from deepcheap.training.results import TrainingResult
from deepcheap.training.spec import ModelSpec, split_evenly

__all__ = ["FreshSamples", "ModelSpec", "TrainingResult", "estimate_memory", "resolve_device", "split_evenly", "train",
           "uniform_box"]
