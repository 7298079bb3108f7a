"""Per-model losses and their gradients in the engine's layout (outputs (M, K, N)).

>>> import torch
>>> from deepcheap.training.losses import mse
>>> out = torch.tensor([[[1.0, 3.0]]]); grad = torch.empty_like(out)
>>> mse(out, torch.tensor([[0.0, 0.0]]), grad), grad
(tensor([5.]), tensor([[[1., 3.]]]))

Each model's loss is its own mean over points and outputs; the engine descends their sum, so gradients
never mix models. ``grad`` receives dL/d(output) for the backward pass.
"""

from __future__ import annotations

import torch

LOSSES = ("mse", "cross_entropy")


def mse(out: torch.Tensor, targets: torch.Tensor, grad: torch.Tensor | None = None) -> torch.Tensor:
    """Mean squared error per model: out (M, K, N), targets (K, N) or (M, K, N) -> (M,)."""
    residual = torch.sub(out, targets, out=grad) if grad is not None else out - targets
    loss = residual.square().mean(dim=(1, 2))
    if grad is not None:
        grad.mul_(2.0 / (out.shape[1] * out.shape[2]))
    return loss


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor, grad: torch.Tensor | None = None) -> torch.Tensor:
    """Mean cross-entropy per model: logits (M, K, N), labels (N,) or (M, N) -> (M,)."""
    index = labels.view(-1, 1, labels.shape[-1]).expand(logits.shape[0], 1, -1)
    logp = torch.log_softmax(logits, dim=1)
    loss = -logp.gather(1, index).mean(dim=(1, 2))
    if grad is not None:
        torch.exp(logp, out=grad)
        grad.scatter_add_(1, index, torch.full(index.shape, -1.0, dtype=grad.dtype, device=grad.device))
        grad.div_(logits.shape[2])
    return loss


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Fraction of points whose largest logit is the label, per model."""
    return (logits.argmax(dim=1) == labels.view(-1, labels.shape[-1])).to(logits.dtype).mean(dim=1)
