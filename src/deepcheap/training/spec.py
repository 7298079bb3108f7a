"""One model of a batch: its architecture, seed, learning rate, weight decay, steps and (optionally) warm start.

>>> from deepcheap.training import ModelSpec
>>> spec = ModelSpec((8, 8), "softplus", seed=3, lr=3e-2)
>>> spec.hidden, spec.depth, spec.neurons, spec.parameters(n_inputs=2)
((8, 8), 2, 16, 105)
>>> import torch
>>> warm = ModelSpec.from_layers([(torch.ones(2, 4), torch.zeros(4)), (torch.ones(4, 1), torch.zeros(1))])
>>> warm.hidden, warm.n_inputs, warm.n_outputs
((4,), 2, 1)

A model is n_inputs -> hidden[0] -> ... -> hidden[-1] -> n_outputs with one activation on every hidden
layer, biases everywhere and a linear read-out. ``n_inputs=None`` takes the data's; a smaller value (per-model
data only) means the model reads the first ``n_inputs`` columns and ignores the rest. ``steps=None`` takes
:func:`~deepcheap.training.train`'s ``steps``; a model with fewer steps stops early (its parameters freeze).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace

import torch

from deepcheap.activations import get_activation
from deepcheap.errors import InvalidArgumentError, check_int_range, check_positive, check_seed
from deepcheap.seeds import torch_generator

Layers = tuple[tuple[torch.Tensor, torch.Tensor], ...]


@dataclass(frozen=True)
class ModelSpec:
    """One model: hidden widths, activation, seed (its initialisation: required unless warm-started), learning
    rate, weight decay, steps."""

    hidden: tuple[int, ...]
    activation: str = "tanh"
    seed: int | None = None
    lr: float = 1e-2
    weight_decay: float = 0.0
    steps: int | None = None
    n_inputs: int | None = None
    n_outputs: int = 1
    init: Layers | None = field(default=None, compare=False, repr=False)  # warm start: ((W, b), ...)

    def __post_init__(self):
        hidden = (self.hidden,) if isinstance(self.hidden, int) else tuple(self.hidden)
        if not hidden:
            raise InvalidArgumentError("a model needs at least one hidden layer: hidden=(width, ...).")
        hidden = tuple(check_int_range("hidden width", w, 1, hint="(a layer needs at least one neuron; "
                                       "drop the layer instead)") for w in hidden)
        object.__setattr__(self, "hidden", hidden)
        object.__setattr__(self, "activation", get_activation(self.activation).name)
        object.__setattr__(self, "lr", check_positive("lr", self.lr))
        object.__setattr__(self, "weight_decay", check_positive("weight_decay", self.weight_decay, allow_zero=True))
        if self.steps is not None:
            object.__setattr__(self, "steps", check_int_range("steps", self.steps, 1))
        if self.n_inputs is not None:
            object.__setattr__(self, "n_inputs", check_int_range("n_inputs", self.n_inputs, 1))
        object.__setattr__(self, "n_outputs", check_int_range("n_outputs", self.n_outputs, 1))
        if self.init is not None:
            object.__setattr__(self, "init", _checked_layers(self.init, self))
        if self.seed is not None:
            object.__setattr__(self, "seed", check_seed(self.seed))
        elif self.init is None:
            raise InvalidArgumentError("a model draws its initial weights from its own seed: give seed=... (any "
                                       "integer >= 0), or warm-start it with ModelSpec.from_layers(layers, ...).")

    @classmethod
    def from_layers(cls, layers, activation: str = "tanh", **options) -> ModelSpec:
        """Warm start: a spec whose initial weights are ``layers`` = [(W of shape (in, out), b of shape (out,)), ...].

        The widths, ``n_inputs`` and ``n_outputs`` are read off the shapes (the last pair is the linear read-out);
        ``options`` are the other fields (seed, lr, weight_decay, steps). With ``output="least_squares"`` the
        read-out is re-solved at the first step, so only the hidden layers' weights matter.
        """
        pairs = _as_pairs(layers)
        hidden = tuple(int(W.shape[1]) for W, _ in pairs[:-1])
        return cls(hidden, activation, n_inputs=int(pairs[0][0].shape[0]), n_outputs=int(pairs[-1][0].shape[1]),
                   init=tuple(pairs), **options)

    @property
    def depth(self) -> int:
        return len(self.hidden)

    @property
    def neurons(self) -> int:
        """Total hidden neurons."""
        return sum(self.hidden)

    def sizes(self, n_inputs: int) -> tuple[int, ...]:
        return (n_inputs, *self.hidden, self.n_outputs)

    def parameters(self, n_inputs: int | None = None) -> int:
        """Trainable numbers (weights and biases)."""
        sizes = self.sizes(n_inputs or self.n_inputs or 0)
        return sum(a * b + b for a, b in itertools.pairwise(sizes))

    def with_(self, **changes) -> ModelSpec:
        """A copy with some fields changed, e.g. ``spec.with_(lr=1e-1, seed=2)``."""
        return replace(self, **changes)


def split_evenly(neurons: int, depth: int) -> tuple[int, ...]:
    """``neurons`` hidden units over ``depth`` layers, as evenly as possible (wider layers first).

    >>> split_evenly(16, 3)
    (6, 5, 5)
    """
    neurons = check_int_range("neurons", neurons, 1)
    depth = check_int_range("depth", depth, 1, neurons, hint="(each layer needs at least one neuron)")
    base, extra = divmod(neurons, depth)
    return tuple(base + (i < extra) for i in range(depth))


def _as_pairs(layers) -> list[tuple[torch.Tensor, torch.Tensor]]:
    try:
        pairs = [(torch.as_tensor(W), torch.as_tensor(b)) for W, b in layers]
    except (TypeError, ValueError):
        raise InvalidArgumentError("layers must be a list of (W, b) pairs: W of shape (in, out), b of shape "
                                   "(out,), one pair per layer (the last is the read-out).") from None
    if len(pairs) < 2:
        raise InvalidArgumentError(f"layers must hold at least one hidden layer and the read-out; got {len(pairs)} "
                                   "pair(s).")
    return pairs


def _checked_layers(layers, spec: ModelSpec) -> Layers:
    pairs = _as_pairs(layers)
    fan_in = spec.n_inputs
    if fan_in is None:
        raise InvalidArgumentError("a warm start needs n_inputs; build it with ModelSpec.from_layers(layers, ...).")
    sizes = spec.sizes(fan_in)
    if len(pairs) != len(sizes) - 1:
        raise InvalidArgumentError(f"the warm start has {len(pairs)} layers but the spec has {len(sizes) - 1} "
                                   f"(sizes {sizes}); use ModelSpec.from_layers.")
    out = []
    for i, ((W, b), a, c) in enumerate(zip(pairs, sizes, sizes[1:], strict=False)):
        if tuple(W.shape) != (a, c) or tuple(b.shape) != (c,):
            raise InvalidArgumentError(f"warm-start layer {i}: W must be ({a}, {c}) and b ({c},); got "
                                       f"{tuple(W.shape)} and {tuple(b.shape)}. Pass W as (in, out).")
        W, b = W.detach().to("cpu", torch.float64), b.detach().to("cpu", torch.float64)
        if not (bool(torch.isfinite(W).all()) and bool(torch.isfinite(b).all())):
            raise InvalidArgumentError(f"warm-start layer {i} has NaN or infinite weights; pass finite ones.")
        out.append((W, b))
    return tuple(out)


def default_init(spec: ModelSpec, n_inputs: int) -> Layers:
    """PyTorch's default U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for every W and b, from the spec's own seed.

    The draws are made on the CPU in float64 in the order W_1, b_1, W_2, b_2, ..., so a model's initial
    weights depend on its seed and shape only, never on its batch companions or the device.
    """
    generator = torch_generator(spec.seed)
    layers = []
    sizes = spec.sizes(n_inputs)
    for fan_in, fan_out in itertools.pairwise(sizes):
        bound = 1.0 / math.sqrt(fan_in)
        W = (torch.rand(fan_in, fan_out, generator=generator, dtype=torch.float64) * 2 - 1) * bound
        b = (torch.rand(fan_out, generator=generator, dtype=torch.float64) * 2 - 1) * bound
        layers.append((W, b))
    return tuple(layers)
