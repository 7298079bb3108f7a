"""The common shape of every gate: a strict MLP (``nn.Sequential``) that knows its own counts,
its exact target function and its predicted error."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils import skip_init

from deepcheap.errors import InvalidArgumentError, check_domain, check_int_range, check_memory
from deepcheap.precision import resolve_dtype

MAX_ALL_CORNERS = 10


class Gate(nn.Sequential):
    """A small exact network mapping ``(N, n_inputs)`` to ``(N,)``.

    Subclasses set ``n_inputs``, ``scale``, ``bias``, ``domain`` and implement
    :meth:`target` (the exact function, float64) and :meth:`predicted_error`.
    ``neurons`` counts hidden units; ``synapses`` counts nonzero weights (biases excluded),
    the paper's N_n and N_s (Eqs. 25-26).
    """

    n_inputs: int
    scale: float
    bias: float
    domain: tuple[float, float]

    @property
    def linear_layers(self) -> list[nn.Linear]:
        return [m for m in self if isinstance(m, nn.Linear)]

    @property
    def neurons(self) -> int:
        return sum(layer.out_features for layer in self.linear_layers[:-1])

    @property
    def synapses(self) -> int:
        return sum(int(torch.count_nonzero(layer.weight)) for layer in self.linear_layers)

    @property
    def dtype(self) -> torch.dtype:
        return self.linear_layers[0].weight.dtype

    @property
    def depth(self) -> int:
        """Number of hidden layers."""
        return len(self.linear_layers) - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.shape[-1:] != (self.n_inputs,):
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise InvalidArgumentError(
                f"{type(self).__name__} takes a tensor of shape (N, {self.n_inputs}); got {shape}."
            )
        if x.dtype != self.dtype:
            raise InvalidArgumentError(
                f"input dtype is {x.dtype} but the gate was built in {self.dtype}; pass "
                f"x.to({self.dtype}) or build the gate with dtype={x.dtype}."
            )
        return super().forward(x).squeeze(-1)

    def target(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def predicted_error(self, domain=None, dtype=None) -> float:  # pragma: no cover - abstract
        raise NotImplementedError


def radius(domain: tuple[float, float]) -> float:
    lo, hi = domain
    return max(abs(lo), abs(hi))


def sample_box(domain, n_inputs: int, points: int = 16_384, *, dtype=torch.float64,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """At least ``points`` points of the box [lo, hi]^n: a regular grid (corners included) when
    n <= 3, otherwise corners (all 2^n when n <= 10, else 256 random ones) plus uniform random points.

    The grid draws nothing; above 3 inputs the points are random and ``generator`` is required
    (:func:`deepcheap.seeds.torch_generator`): nothing here draws from torch's global generator.
    """
    lo, hi = check_domain(domain)
    n = check_int_range("n_inputs", n_inputs, 1)
    points = check_int_range("points", points, 1, hint="(the number of points at which the error is measured)")
    dtype = resolve_dtype(dtype)
    per_axis = max(2, math.ceil(points ** (1.0 / n))) if n <= 3 else 0
    rows = per_axis**n if n <= 3 else points + 2 ** min(n, MAX_ALL_CORNERS + 1)
    check_memory(f"measuring on {rows:,} points of a {n}-input box", 8.0 * rows * (n + 4),
                 "ask for fewer points.")
    if n <= 3:
        axis = torch.linspace(lo, hi, per_axis, dtype=torch.float64)
        grid = torch.cartesian_prod(*([axis] * n)).reshape(-1, n)
        return grid.to(dtype)
    if generator is None:
        raise InvalidArgumentError(
            f"a box of {n} inputs is sampled at random points: pass generator=deepcheap.seeds.torch_generator(seed) "
            "(a grid is used, and no generator needed, up to 3 inputs).")
    if n <= MAX_ALL_CORNERS:
        bits = torch.cartesian_prod(*([torch.tensor([0.0, 1.0], dtype=torch.float64)] * n))
    else:
        bits = torch.randint(0, 2, (256, n), generator=generator).to(torch.float64)
    corners = lo + (hi - lo) * bits
    rand = torch.rand(points, n, dtype=torch.float64, generator=generator) * (hi - lo) + lo
    return torch.cat([corners, rand]).to(dtype)


def max_error(gate: Gate, domain=None, points: int = 16_384, *, generator: torch.Generator | None = None) -> float:
    """Measured max |gate(x) - target(x)| over :func:`sample_box` (target in float64); ``generator`` is
    required for gates of more than 3 inputs, measured at random points.

    Refuses a domain on which the exact target itself overflows float64 (the error would be a meaningless inf).
    """
    if not isinstance(gate, Gate):
        raise InvalidArgumentError(f"max_error measures a deepcheap gate (e.g. gates.product_gate()); got "
                                   f"{type(gate).__name__}.")
    box = sample_box(gate.domain if domain is None else domain, gate.n_inputs, points, dtype=gate.dtype,
                     generator=generator)
    target = gate.target(box.to(torch.float64))
    if not bool(torch.isfinite(target).all()):
        raise InvalidArgumentError(f"the exact output of this gate overflows float64 on the domain {domain}; "
                                   "measure on a smaller domain.")
    with torch.no_grad():
        out = gate(box).to(torch.float64)
    return float((out - target).abs().max())


def dense(weight, bias=None, *, dtype, device) -> nn.Linear:
    """An ``nn.Linear`` with the given exact weights (rows = outputs), frozen.

    Built without its random initialisation (``skip_init``), so constructing a gate leaves torch's
    global generator untouched. Constructed networks are exact; call ``.requires_grad_(True)`` on a
    gate to fine-tune it.
    """
    w = torch.as_tensor(weight, dtype=torch.float64)
    layer = skip_init(nn.Linear, w.shape[1], w.shape[0], bias=bias is not None, dtype=dtype,
                      device=torch.get_default_device() if device is None else device)
    with torch.no_grad():
        layer.weight.copy_(w.to(dtype))
        if bias is not None:
            layer.bias.copy_(torch.as_tensor(bias, dtype=torch.float64).to(dtype))
    return layer.requires_grad_(False)
