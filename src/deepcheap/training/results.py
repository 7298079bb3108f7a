"""What a training run returns: per-model metrics (in the order the models were given), flags and the weights.

Metrics are CPU tensors of shape (M,): ``train_mse`` / ``test_mse`` / ``test_relative_rms`` for ``loss="mse"``,
``train_cross_entropy`` / ``test_cross_entropy`` / ``test_accuracy`` for ``loss="cross_entropy"`` (the others are
None). The train metric is the loss on the whole training set after training for fixed data, and the loss of
the model's last step on that step's batch for fresh samples. A diverged model (its loss became NaN or
infinite) has ``diverged`` True, ``diverged_at`` the step, NaN metrics, and stopped moving at that step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from deepcheap.training.layout import Layout
from deepcheap.training.network import StackedNetwork


@dataclass
class Chunk:
    """One independently trained part of the batch: its models (indices into the run's list) and network."""

    models: list[int]
    layout: Layout
    network: StackedNetwork


@dataclass
class TrainingResult:
    steps: torch.Tensor  # (M,) steps each model took
    seconds: float  # the whole call
    step_seconds: float  # the training steps alone (no set-up, no evaluation)
    device: str
    threads: int | None  # torch threads on the CPU (None on a GPU)
    memory_bytes: int  # the estimate the run was planned with
    memory_budget: int
    train_mse: torch.Tensor | None = None
    test_mse: torch.Tensor | None = None
    test_relative_rms: torch.Tensor | None = None  # sqrt(test mse) / rms(y_test)
    train_cross_entropy: torch.Tensor | None = None
    test_cross_entropy: torch.Tensor | None = None
    test_accuracy: torch.Tensor | None = None
    diverged: torch.Tensor = None  # (M,) bool
    diverged_at: torch.Tensor = None  # (M,) int64, 0 if never
    history: torch.Tensor | None = None  # (steps // record_every, M) training losses, NaN after a model stopped
    chunks: list[Chunk] = field(default_factory=list, repr=False)

    @property
    def models(self) -> int:
        return len(self.steps)

    @property
    def model_steps_per_second(self) -> float:
        return float(self.steps.sum()) / self.step_seconds if self.step_seconds > 0 else float("inf")

    def layers(self, m: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Model m's trained weights [(W of shape (in, out), b of shape (out,)), ...] on the CPU, in float64."""
        for chunk in self.chunks:
            if m in chunk.models:
                return chunk.layout.layers(chunk.network.params.detach().double().cpu(), chunk.models.index(m))
        raise IndexError(f"model {m} is not in this run of {self.models} models.")

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Every model's outputs (M, N, K) for x (N, n) shared, or (M, N, n) one per model; on x's device."""
        x = torch.as_tensor(x)
        out = None
        for chunk in self.chunks:
            part = x if x.dim() == 2 else x[torch.as_tensor(chunk.models)]
            if part.dim() == 3:
                part = part[torch.as_tensor(chunk.layout.order)]
            y = chunk.network.predict(part).to(x.device)
            if out is None:
                out = torch.empty(self.models, *y.shape[1:], dtype=y.dtype, device=x.device)
            out[torch.as_tensor([chunk.models[i] for i in chunk.layout.order])] = y
        return out
