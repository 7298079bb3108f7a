"""Pass 6, build: gate specs -> torch modules, in two forms of the same network.

* :class:`DagModule` (``CompiledNetwork.module``): sums are free and weights stay sparse. Gates of
  one stage with the same shape form a bank, evaluated together on gathered inputs; values needed
  later are kept in a slot table, values needed only by the output are summed at once. Rows are
  processed in chunks so memory stays bounded (a 64 x 64 Ising energy: 8192 gates, no dense
  matrix anywhere).
* :func:`build_mlp` (``CompiledNetwork.mlp``): a strict ``nn.Sequential`` of Linear and activation
  layers from :mod:`deepcheap.compiler.layout`, refused with the size it would need when the dense
  weights exceed a memory limit.
"""

from __future__ import annotations

import warnings
from itertools import groupby

import numpy as np
import torch
from torch import nn

from deepcheap.activations import ActivationModule, get_activation
from deepcheap.compiler.gatespec import GateSpec
from deepcheap.compiler.layout import StrictLayout
from deepcheap.compiler.strategies import Construction
from deepcheap.errors import InvalidArgumentError, PrecisionError, ResourceLimitError

CHUNK_BYTES = 48 * 2**20  # working memory per chunk of rows in DagModule.forward
MLP_MEMORY_LIMIT = 512 * 2**20  # default cap on the dense weights of the strict MLP


class GateBank(nn.Module):
    """G gates of identical shape evaluated at once: gather inputs, apply the layers, read out."""

    def __init__(self, specs: list[GateSpec], slot_of: dict[int, int], output: dict[int, float],
                 keep: set[int], *, dtype, device):
        super().__init__()
        self.activation = specs[0].activation
        self._fn = get_activation(self.activation).torch_fn
        t = lambda data, kind=dtype: torch.as_tensor(np.array(data), dtype=kind, device=device)  # noqa: E731
        self.register_buffer("index", t([[slot_of[v] for v in s.inputs] for s in specs], torch.long))
        self.depth = specs[0].depth
        for k in range(self.depth):
            self.register_buffer(f"W{k}", t([s.layers[k][0] for s in specs]))
            self.register_buffer(f"b{k}", t([s.layers[k][1] for s in specs]))
        self.register_buffer("readout", t([s.readout for s in specs]))
        self.register_buffer("constant", t([s.constant for s in specs]))
        self.register_buffer("out_coef", t([output.get(s.output, 0.0) for s in specs]))
        kept = [(i, slot_of[s.output]) for i, s in enumerate(specs) if s.output in keep]
        self.register_buffer("keep_cols", t([i for i, _ in kept], torch.long))
        self.register_buffer("keep_slots", t([slot for _, slot in kept], torch.long))
        self.has_output = any(s.output in output for s in specs)
        self.width = max(s.layers[k][0].shape[0] for s in specs[:1] for k in range(self.depth)) * len(specs)

    def forward(self, store: torch.Tensor, acc: torch.Tensor) -> None:
        rows = store.shape[0]
        G, k = self.index.shape
        h = store.index_select(1, self.index.reshape(-1)).view(rows, G, k)
        for layer in range(self.depth):
            W, b = getattr(self, f"W{layer}"), getattr(self, f"b{layer}")
            z = b.expand(rows, *b.shape).clone()
            for p in range(W.shape[2]):  # few inputs per unit: a loop beats a 4-d intermediate
                z.addcmul_(h[:, :, p : p + 1], W[:, :, p])
            h = self._fn(z)
        values = torch.einsum("rgu,gu->rg", h, self.readout) + self.constant
        if self.has_output:
            acc.add_(values @ self.out_coef)
        if self.keep_cols.numel():
            store[:, self.keep_slots] = values.index_select(1, self.keep_cols)


class DagModule(nn.Module):
    """The compiled polynomial as a DAG of gate banks: (N, n_inputs) -> (N,)."""

    def __init__(self, construction: Construction, n_inputs: int, *, dtype, device=None):
        super().__init__()
        self.n_inputs = n_inputs
        consumed = {v for stage in construction.stages for spec in stage for v in spec.inputs}
        keep = {spec.output for stage in construction.stages for spec in stage if spec.output in consumed}
        slot_of = {i: i for i in range(n_inputs)}
        for v in sorted(keep):
            slot_of[v] = len(slot_of)
        self.n_slots = len(slot_of)
        self.banks = nn.ModuleList()
        for stage in construction.stages:
            keyed = sorted(((repr(s.shape_key), i) for i, s in enumerate(stage)))
            for _, group in groupby(keyed, key=lambda pair: pair[0]):
                specs = [stage[i] for _, i in group]
                self.banks.append(GateBank(specs, slot_of, construction.output, keep, dtype=dtype, device=device))
        linear = torch.zeros(n_inputs, dtype=dtype, device=device)
        for v, c in construction.output.items():
            if v < n_inputs:
                linear[v] = c
        self.register_buffer("linear", linear)
        self.register_buffer("bias", torch.tensor(construction.constant, dtype=dtype, device=device))
        widest = max((bank.width for bank in self.banks), default=1)
        self.rows_per_chunk = max(1, CHUNK_BYTES // (torch.finfo(dtype).bits // 8 * (self.n_slots + 3 * widest)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != self.n_inputs:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise InvalidArgumentError(
                f"the compiled network takes a tensor of shape (N, {self.n_inputs}); got {shape}.")
        if x.dtype != self.bias.dtype:
            raise InvalidArgumentError(f"input dtype is {x.dtype} but the network was compiled in {self.bias.dtype}; "
                                       f"pass x.to({self.bias.dtype}) or compile with dtype={x.dtype}.")
        out = x.new_empty(x.shape[0])
        for start in range(0, x.shape[0], self.rows_per_chunk):
            chunk = x[start : start + self.rows_per_chunk]
            store = chunk.new_empty(chunk.shape[0], self.n_slots)
            store[:, : self.n_inputs] = chunk
            acc = chunk @ self.linear + self.bias
            for bank in self.banks:
                bank(store, acc)
            out[start : start + chunk.shape[0]] = acc
        return out


def build_mlp(layout: StrictLayout, *, dtype, device=None, memory_limit: int = MLP_MEMORY_LIMIT) -> nn.Sequential:
    """The strict MLP: Linear, activation, ..., Linear -> (N, 1). Refuses dense weights above ``memory_limit``."""
    itemsize = torch.finfo(dtype).bits // 8
    needed = layout.dense_bytes(itemsize)
    if needed > memory_limit:
        shapes = " -> ".join(str(n) for n in [layout.n_inputs, *(layer.shape[0] for layer in layout.layers), 1])
        raise ResourceLimitError(
            f"the strict MLP ({shapes} units) would need {needed / 2**30:.2f} GiB of dense weights, above the "
            f"{memory_limit / 2**30:.2f} GiB limit; use .module (sparse, same function) or "
            "strict_mlp(memory_limit=...) to raise the limit."
        )
    modules: list[nn.Module] = []
    previous = layout.n_inputs
    for layer in layout.layers:
        linear = _linear(previous, layer.shape[0], dtype, device)
        with torch.no_grad():
            weight = torch.zeros(layer.shape, dtype=torch.float64)
            weight.index_put_((torch.as_tensor(layer.rows), torch.as_tensor(layer.cols)),
                              torch.as_tensor(layer.values), accumulate=True)
            linear.weight.copy_(weight)
            linear.bias.copy_(torch.as_tensor(layer.bias))
        modules += [linear, ActivationModule(layout.activation)]
        previous = layer.shape[0]
    out = _linear(previous, 1, dtype, device)
    with torch.no_grad():
        weight = torch.zeros(1, previous, dtype=torch.float64)
        weight[0, torch.as_tensor(layout.output_cols)] = torch.as_tensor(layout.output_values)
        out.weight.copy_(weight)
        out.bias.fill_(layout.output_constant)
    modules.append(out)
    mlp = nn.Sequential(*modules).requires_grad_(False)
    for name, tensor in mlp.named_parameters():
        if not bool(torch.isfinite(tensor).all()):
            raise PrecisionError(
                f"the strict MLP's weights overflow {str(dtype).replace('torch.', '')} (layer {name} holds "
                f"{float(tensor.abs().max()):g}): composing a gate's read-out with a coefficient this large is not "
                "representable. Use .module (the same function, with the two factors kept apart), scale the "
                "polynomial's coefficients down, or compile in float64."
            )
    return mlp


def _linear(inputs: int, outputs: int, dtype, device) -> nn.Linear:
    """An uninitialised Linear (its weights are overwritten), built without its random initialisation so that
    compiling never draws from torch's global generator; zero-input layers are legitimate here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Initializing zero-element tensors")
        return nn.utils.skip_init(nn.Linear, inputs, outputs, dtype=dtype, device=device or "cpu")
