"""Adam over one flat parameter buffer with a learning rate per element: every step is ~10 kernels in all.

>>> import torch
>>> from deepcheap.training.adam import FlatAdam
>>> p = torch.zeros(3); owner = torch.tensor([0, 1, 2])      # element i belongs to model i; slot 2 is frozen
>>> adam = FlatAdam(p, owner, weight_decay=torch.zeros(2))
>>> adam.step(torch.ones(3), 1, torch.tensor([0.1, 0.2]))
>>> [round(v, 6) for v in p.tolist()]
[-0.1, -0.2, 0.0]

The arithmetic is torch.optim.Adam's (``step_size = lr / (1 - beta1^t)``, ``denom = sqrt(v) / sqrt(1 - beta2^t)
+ eps``) with AdamW's decoupled decay ``p <- p (1 - lr wd)`` first. ``owner[i]`` is the model an element
belongs to; the extra slot ``models`` (learning rate 0) holds everything frozen. A model's rate is 0 once it
has stopped or diverged, so it stops moving while the others go on.
"""

from __future__ import annotations

import math

import torch


class FlatAdam:
    def __init__(self, params: torch.Tensor, owner: torch.Tensor, weight_decay: torch.Tensor,
                 betas=(0.9, 0.999), eps: float = 1e-8):
        self.params = params
        self.owner = owner.to(params.device)
        self.beta1, self.beta2 = (float(b) for b in betas)
        self.eps = float(eps)
        self.first = torch.zeros_like(params)
        self.second = torch.zeros_like(params)
        self.scratch = torch.empty_like(params)
        self.rate = torch.empty_like(params)
        self.zero = torch.zeros(1, dtype=params.dtype, device=params.device)
        decay = weight_decay.to(params.device, params.dtype)
        self.decay = torch.cat([decay, self.zero]) if bool((decay > 0).any()) else None
        self.decay_rate = torch.empty_like(params) if self.decay is not None else None

    def step(self, grad: torch.Tensor, t: int, rates: torch.Tensor) -> None:
        """One step at t = 1, 2, ... with ``rates`` (models,): each model's scheduled learning rate (0 = frozen)."""
        slots = torch.cat([rates.to(self.params.dtype), self.zero])
        torch.index_select(slots, 0, self.owner, out=self.rate)
        if self.decay is not None:
            torch.index_select(slots * self.decay, 0, self.owner, out=self.decay_rate)
            self.params.addcmul_(self.params, self.decay_rate, value=-1.0)
        self.first.lerp_(grad, 1 - self.beta1)
        self.second.mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)
        bias1 = 1 - self.beta1**t
        root2 = math.sqrt(1 - self.beta2**t)
        torch.sqrt(self.second, out=self.scratch)
        self.scratch.div_(root2).add_(self.eps)
        torch.div(self.first, self.scratch, out=self.scratch)
        self.params.addcmul_(self.scratch, self.rate, value=-1.0 / bias1)
