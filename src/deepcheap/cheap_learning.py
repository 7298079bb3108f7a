"""Cheap learning (Sections I, II C-D): low order, locality and symmetry make tiny networks enough.

>>> parameter_counts(10**6, degree=2, lattice_bonds=2 * 10**6)["symmetric"]   # a 1000 x 1000 Ising image
3
>>> round(swindle(10**6, 256)["log10_v_to_the_n"])                              # 256^(10^6) images
2408240

:class:`CheapIsingClassifier` is local (2-site kernels), translation-invariant (one kernel shared by
every site and both directions) and quadratic (squared activations), with at most 10 parameters:
F(s) = mean over sites of (a s_i + b s_right)^2 + (a s_i + b s_down)^2 = 2(a^2 + b^2) + 2ab (-E(s) / N)
for spins s_i = +-1, so every logit w_y F + c_y is affine in the energy, which is all a Bayes-optimal
temperature classifier needs (H_y = beta_y E + ln Z_y). Generic MLPs see the same data.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from deepcheap.errors import InvalidArgumentError, check_int_range
from deepcheap.training import MLPSpec, StackedMLP, train


def parameter_counts(n: int, degree: int = 2, *, lattice_bonds: int | None = None, values: int = 2) -> dict:
    """How many numbers describe a Hamiltonian of n variables (Section II D).

    generic: every monomial of degree <= d, C(n + d, d); local: constant, fields and one coupling per
    bond (``lattice_bonds``, default 2n: a square lattice); symmetric: translation-invariant local
    quadratic (constant, field, coupling): 3; any function of n variables with v values: v^n (bits:
    2^n multilinear coefficients). Large counts are returned as floats (log10 in ``log10_*``).
    """
    n, degree = check_int_range("n", n, 1), check_int_range("degree", degree, 0)
    bonds = 2 * n if lattice_bonds is None else check_int_range("lattice_bonds", lattice_bonds, 0)
    log10_generic = (math.lgamma(n + degree + 1) - math.lgamma(n + 1) - math.lgamma(degree + 1)) / math.log(10)
    generic = math.comb(n + degree, degree) if log10_generic < 300 else float(f"1e{int(log10_generic)}")
    return {"n": n, "degree": degree, "generic": generic, "log10_generic": log10_generic,
            "local": 1 + n + bonds, "symmetric": 3, "log10_any_function": n * math.log10(values)}


def swindle(n: int, v: int) -> dict:
    """The swindle of Section I: v^n possible inputs against v * n parameters."""
    n, v = check_int_range("n", n, 1), check_int_range("v", v, 2)
    return {"n": n, "v": v, "log10_v_to_the_n": n * math.log10(v), "v_times_n": v * n}


class CheapIsingClassifier(torch.nn.Module):
    """Local, translation-invariant, quadratic: 2 kernel weights + 2 per class (<= 10 for <= 4 classes)."""

    def __init__(self, classes: int, *, seed: int = 0, dtype=torch.float64):
        super().__init__()
        classes = check_int_range("classes", classes, 2, 4, hint="(at most 10 parameters: 2 + 2 per class)")
        g = torch.Generator().manual_seed(seed)
        self.kernel = torch.nn.Parameter(torch.rand(2, generator=g, dtype=dtype) + 0.5)
        self.weight = torch.nn.Parameter(torch.randn(classes, generator=g, dtype=dtype) * 0.1)
        self.bias = torch.nn.Parameter(torch.zeros(classes, dtype=dtype))

    @property
    def parameters_count(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def feature(self, spins: torch.Tensor) -> torch.Tensor:
        """F(s) = mean_i (a s_i + b s_right)^2 + (a s_i + b s_down)^2: a 2-site convolution, squared, pooled."""
        a, b = self.kernel
        right = a * spins + b * torch.roll(spins, -1, dims=-1)
        down = a * spins + b * torch.roll(spins, -1, dims=-2)
        return (right**2 + down**2).mean(dim=(-2, -1))

    def forward(self, spins: torch.Tensor) -> torch.Tensor:
        if spins.dim() != 3 or spins.shape[1] != spins.shape[2]:
            raise InvalidArgumentError(
                f"the cheap classifier takes spins of shape (N, L, L); got {tuple(spins.shape)}.")
        return self.feature(spins)[:, None] * self.weight + self.bias


def train_cheap(x_train, y_train, x_test, y_test, classes: int, *, steps: int = 1500, lr: float = 0.05,
                restarts: int = 3, seed: int = 0) -> dict:
    """Train the cheap classifier (Adam, full batch, a few restarts; the best training loss wins)."""
    xs, xt = _spins(x_train), _spins(x_test)
    ys, yt = torch.as_tensor(y_train).long(), torch.as_tensor(y_test).long()
    best = None
    for restart in range(restarts):
        model = CheapIsingClassifier(classes, seed=seed * 1000 + restart)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
        for _ in range(steps):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xs), ys)
            loss.backward()
            opt.step()
            sched.step()
        if best is None or loss.item() < best[0]:
            best = (loss.item(), model)
    model = best[1]
    with torch.no_grad():
        accuracy = float((model(xt).argmax(1) == yt).double().mean())
    return {"model": model, "test_accuracy": accuracy, "train_loss": best[0], "parameters": model.parameters_count}


def mlp_sweep(x_train, y_train, x_test, y_test, classes: int, widths, *, seeds: int = 2, steps: int = 800,
              lrs=(3e-3, 1e-2), activation: str = "tanh", seed: int = 0) -> list[dict]:
    """Generic one-hidden-layer MLPs on flattened spins, every width trained at once (padded, masked).

    Returns, per width, the best test accuracy over seeds and learning rates (the equal budget) and
    the parameter count n w + w + w K + K.
    """
    xs = _spins(x_train).reshape(len(x_train), -1).float()
    xt = _spins(x_test).reshape(len(x_test), -1).float()
    ys, yt = torch.as_tensor(y_train).long(), torch.as_tensor(y_test).long()
    widths = sorted(int(w) for w in widths)
    combos = [(w, s, lr) for w in widths for s in range(seeds) for lr in lrs]
    spec = MLPSpec(xs.shape[1], (max(widths),), activation, classes)
    model = StackedMLP(spec, seeds=[seed * 7919 + 31 * w + s for w, s, _ in combos], widths=[w for w, *_ in combos],
                       dtype=torch.float32)
    result = train(model, xs, ys, steps=steps, lr=torch.tensor([lr for *_, lr in combos]), x_test=xt, y_test=yt,
                   loss="cross_entropy", weight_decay=1e-4)
    accuracy = result.test_accuracy.reshape(len(widths), seeds * len(lrs)).amax(dim=1)
    n = xs.shape[1]
    return [{"width": w, "parameters": n * w + w + w * classes + classes, "test_accuracy": float(a)}
            for w, a in zip(widths, accuracy, strict=True)]


def _spins(x) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(x), dtype=torch.float64)
    if t.dim() != 3:
        raise InvalidArgumentError(f"expected spin configurations of shape (N, L, L); got {tuple(t.shape)}.")
    return t
