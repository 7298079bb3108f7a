"""Memory: an estimate before a run, the budget (half of free memory), and the split of a batch into chunks.

>>> from deepcheap.training import ModelSpec
>>> from deepcheap.training.memory import Footprint, chunks
>>> specs = [ModelSpec((64, 64), seed=s) for s in range(4)]
>>> footprint = Footprint(n_inputs=8, n_outputs=1, points=1024, itemsize=4)
>>> footprint.model(specs[0])           # bytes for one model (parameters, optimiser state, activations)
1252748
>>> chunks(specs, footprint, budget=3_000_000)
[[0, 1], [2, 3]]

Models never interact, so a batch that does not fit is trained as several smaller ones with the same
per-model results. The estimate counts every buffer the engine allocates; PyTorch's own workspace comes on
top, which is why the default budget is half of the free memory, not all of it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from deepcheap.errors import ResourceLimitError
from deepcheap.precision import resolve_dtype
from deepcheap.training.kernels import kernel
from deepcheap.training.spec import ModelSpec


@dataclass(frozen=True)
class Footprint:
    """Byte counts for one run's shapes: ``points`` per step, compute ``itemsize`` (4 for float32)."""

    n_inputs: int
    n_outputs: int
    points: int
    itemsize: int
    per_model_data: bool = False
    least_squares: bool = False

    def parameters(self, spec: ModelSpec) -> int:
        """Numbers in the flat buffer for this model (with its bias columns and ones rows)."""
        sizes = (self.n_inputs, *spec.hidden)
        rows = [h + 1 for h in spec.hidden] + [self.n_outputs]
        return sum(r * (c + 1) for r, c in zip(rows, sizes, strict=True))

    def model(self, spec: ModelSpec) -> int:
        """Bytes one model costs in a training run."""
        n, k, size = self.points, self.n_outputs, self.itemsize
        params = self.parameters(spec) * (7 * size + 8)  # p, grad, two moments, scratch, rates (+ decay), owner
        buffers = 3 if kernel(spec.activation).needs_input else 2  # activations, gradients (, pre-activations)
        activations = sum(h + 1 for h in spec.hidden) * n * size * buffers
        outputs = 3 * k * n * size
        data = (self.n_inputs + 1 + k) * n * size if self.per_model_data else 0
        width = spec.hidden[-1] + 1
        solve = (width * n + 3 * width * width + 2 * width * k) * 8 if self.least_squares else 0
        return params + activations + outputs + data + solve

    def shared(self) -> int:
        """Bytes every chunk needs once (shared inputs and targets, and their float64 copy)."""
        return 0 if self.per_model_data else (self.n_inputs + 1 + self.n_outputs) * self.points * (self.itemsize + 8)


def estimate_memory(models, *, n_inputs: int, points: int, dtype="float32", output: str = "adam",
                    per_model_data: bool = False) -> int:
    """Bytes :func:`~deepcheap.training.train` will allocate for ``models`` (one chunk) at ``points`` per step.

    >>> from deepcheap.training import ModelSpec, estimate_memory
    >>> estimate_memory([ModelSpec((256,) * 6, seed=s) for s in range(1000)], n_inputs=20, points=4096) // 2**30
    58
    """
    specs = list(models)
    size = torch.finfo(resolve_dtype(dtype)).bits // 8
    footprint = Footprint(n_inputs, specs[0].n_outputs, points, size, per_model_data, output == "least_squares")
    return footprint.shared() + sum(footprint.model(s) for s in specs)


def free_bytes(device: torch.device) -> int:
    """Free memory on ``device``: torch.cuda.mem_get_info on a GPU, MemAvailable (or sysconf) on the CPU."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 8 << 30  # unknown platform: assume 8 GiB


def default_budget(device: torch.device) -> int:
    """Half of the free memory on ``device``."""
    return free_bytes(device) // 2


def chunks(specs, footprint: Footprint, budget: int) -> list[list[int]]:
    """Model indices split into consecutive runs that each fit in ``budget`` bytes (equal shapes kept together)."""
    order = sorted(range(len(specs)), key=lambda m: (specs[m].activation, specs[m].hidden))
    out: list[list[int]] = []
    used = footprint.shared()
    for m in order:
        cost = footprint.model(specs[m])
        if cost + footprint.shared() > budget:
            raise ResourceLimitError(
                f"one model ({specs[m].hidden}, {footprint.points} points per step) needs "
                f"{_mib(cost + footprint.shared())} but the memory budget is {_mib(budget)}; train on fewer "
                "points per step, narrower layers, or pass a larger memory_budget.")
        if not out or used + cost > budget:
            out.append([])
            used = footprint.shared()
        out[-1].append(m)
        used += cost
    return [sorted(c) for c in out]


def _mib(nbytes: int) -> str:
    return f"{nbytes / 2**20:,.1f} MiB"
