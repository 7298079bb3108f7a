"""Cheap learning (Sections I, II C-D): low order, locality and symmetry make tiny networks enough.

>>> parameter_counts(10**6, degree=2, lattice_bonds=2 * 10**6).symmetric   # a 1000 x 1000 Ising image
3
>>> round(swindle(10**6, 256).log10_v_to_the_n)                              # 256^(10^6) images
2408240

:class:`CheapIsingClassifier` is local (2-site kernels), translation-invariant (one kernel shared by
every site and both directions) and quadratic (squared activations), with at most 10 parameters:
F(s) = sum over sites of (a s_i + b s_right)^2 + (a s_i + b s_down)^2 = 2(a^2 + b^2) N - 2ab E(s)
for spins s_i = +-1 on N sites, so every logit w_y F + N c_y is affine in the energy, which is all a
Bayes-optimal temperature classifier needs (H_y = beta_y E + ln Z_y). The bias is counted per site
(N c_y) because ln Z_y is extensive; with that scaling every parameter is of order one at any L.
Generic MLPs see the same data.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch

from deepcheap.errors import InvalidArgumentError, check_int_range
from deepcheap.seeds import derive_seed, torch_generator


@dataclass(frozen=True)
class ParameterCounts:
    """How many numbers describe a Hamiltonian of n variables (see :func:`parameter_counts`)."""

    n: int
    degree: int
    generic: int | float
    log10_generic: float
    local: int
    symmetric: int
    log10_any_function: float

    def to_dict(self) -> dict:
        return asdict(self)


def parameter_counts(n: int, degree: int = 2, *, lattice_bonds: int | None = None, values: int = 2) -> ParameterCounts:
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
    return ParameterCounts(n, degree, generic, log10_generic, 1 + n + bonds, 3, n * math.log10(values))


@dataclass(frozen=True)
class Swindle:
    """v^n possible inputs (as log10) against v * n parameters."""

    n: int
    v: int
    log10_v_to_the_n: float
    v_times_n: int

    def to_dict(self) -> dict:
        return asdict(self)


def swindle(n: int, v: int) -> Swindle:
    """The swindle of Section I: v^n possible inputs against v * n parameters."""
    n, v = check_int_range("n", n, 1), check_int_range("v", v, 2)
    return Swindle(n, v, n * math.log10(v), v * n)


class CheapIsingClassifier(torch.nn.Module):
    """Local, translation-invariant, quadratic: 2 kernel weights + 2 per class (<= 10 for <= 4 classes)."""

    def __init__(self, classes: int, *, seed: int, dtype=torch.float64):
        super().__init__()
        classes = check_int_range("classes", classes, 2, 4, hint="(at most 10 parameters: 2 + 2 per class)")
        g = torch_generator(seed)
        self.kernel = torch.nn.Parameter(torch.rand(2, generator=g, dtype=dtype) + 0.5)
        self.weight = torch.nn.Parameter(torch.randn(classes, generator=g, dtype=dtype) * 0.1)
        self.bias = torch.nn.Parameter(torch.zeros(classes, dtype=dtype))

    @property
    def parameters_count(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def feature(self, spins: torch.Tensor) -> torch.Tensor:
        """F(s) = sum_i (a s_i + b s_right)^2 + (a s_i + b s_down)^2: a 2-site convolution, squared, summed."""
        a, b = self.kernel
        right = a * spins + b * torch.roll(spins, -1, dims=-1)
        down = a * spins + b * torch.roll(spins, -1, dims=-2)
        return (right**2 + down**2).sum(dim=(-2, -1))

    def feature_from_energy(self, energies, sites: int) -> np.ndarray:
        """F = 2(a^2 + b^2) N - 2ab E for spins +-1 on N sites: the pooled feature as a function of the energy."""
        a, b = (float(v) for v in self.kernel.detach())
        return 2 * (a * a + b * b) * sites - 2 * a * b * np.asarray(energies, dtype=np.float64)

    @staticmethod
    def moments(spins: torch.Tensor) -> torch.Tensor:
        """The pooled quadratic moments (sum s_i^2, sum s_i (s_right + s_down), N), shape (batch, 3).

        Because the network is quadratic and the pooling linear, F = 2(a^2 + b^2) q + 2ab c exactly
        for any real spins (periodic boundaries make sum s_right^2 = sum s_i^2): training on the
        moments is training the convolutional network, only faster.
        """
        q = (spins**2).sum(dim=(-2, -1))
        c = (spins * (torch.roll(spins, -1, dims=-1) + torch.roll(spins, -1, dims=-2))).sum(dim=(-2, -1))
        n = torch.full_like(q, spins.shape[-1] * spins.shape[-2])
        return torch.stack([q, c, n], dim=-1)

    def logits_from_moments(self, moments: torch.Tensor) -> torch.Tensor:
        a, b = self.kernel
        feature = 2 * (a**2 + b**2) * moments[:, 0] + 2 * a * b * moments[:, 1]
        return feature[:, None] * self.weight + moments[:, 2:3] * self.bias

    def forward(self, spins: torch.Tensor) -> torch.Tensor:
        if spins.dim() != 3 or spins.shape[1] != spins.shape[2]:
            raise InvalidArgumentError(
                f"the cheap classifier takes spins of shape (N, L, L); got {tuple(spins.shape)}.")
        sites = spins.shape[-1] * spins.shape[-2]
        return self.feature(spins)[:, None] * self.weight + sites * self.bias

    def log_odds_couplings(self, first: int, second: int) -> float:
        """The nearest-neighbour coupling K of log p(second|s) - log p(first|s) = K sum_<ij> s_i s_j + const.

        From F = 2(a^2 + b^2) N + 2ab sum_<ij> s_i s_j for spins +-1 on N sites.
        """
        a, b = (float(v) for v in self.kernel.detach())
        w = self.weight.detach()
        return float(w[second] - w[first]) * 2 * a * b


@dataclass(frozen=True, eq=False)
class CheapFit:
    """The trained cheap classifier, its test accuracy (convolutional forward pass) and final training loss."""

    model: CheapIsingClassifier
    test_accuracy: float
    train_loss: float
    parameters: int

    def to_dict(self) -> dict:
        """The numbers (the model is left out)."""
        return {"test_accuracy": self.test_accuracy, "train_loss": self.train_loss, "parameters": self.parameters}


def train_cheap(x_train, y_train, x_test, y_test, classes: int, *, seed: int, steps: int = 300,
                restarts: int = 3) -> CheapFit:
    """Train the cheap classifier: full-batch L-BFGS with a strong-Wolfe line search, a few restarts,
    the lowest training loss wins (with at most 10 parameters a quasi-Newton method is the right tool).

    Trains on the pooled moments (exactly the same function, see :meth:`CheapIsingClassifier.moments`);
    the reported test accuracy is measured by the convolutional forward pass on the test spins.
    """
    xs, xt = _spins(x_train), _spins(x_test)
    ms = CheapIsingClassifier.moments(xs)
    ys, yt = torch.as_tensor(y_train).long(), torch.as_tensor(y_test).long()
    steps = check_int_range("steps", steps, 1)
    best = None
    for restart in range(check_int_range("restarts", restarts, 1)):
        model = CheapIsingClassifier(classes, seed=derive_seed(seed, "restart", restart))
        opt = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=steps, history_size=20,
                                tolerance_grad=1e-12, tolerance_change=1e-15, line_search_fn="strong_wolfe")

        def closure(model=model, opt=opt):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model.logits_from_moments(ms), ys)
            loss.backward()
            return loss

        opt.step(closure)
        with torch.no_grad():
            final = float(torch.nn.functional.cross_entropy(model.logits_from_moments(ms), ys))
        if best is None or final < best[0]:
            best = (final, model)
    model = best[1]
    with torch.no_grad():
        accuracy = float((model(xt).argmax(1) == yt).double().mean())
    return CheapFit(model, accuracy, best[0], model.parameters_count)


def _spins(x) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(x), dtype=torch.float64)
    if t.dim() != 3:
        raise InvalidArgumentError(f"expected spin configurations of shape (N, L, L); got {tuple(t.shape)}.")
    return t
