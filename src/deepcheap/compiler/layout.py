"""Pass 5, layout: stages of gate specs -> the layers of a strict MLP (the form the paper counts).

In a strict MLP a layer sees only the layer before it. Every value (input or gate output) is
tracked as a sparse read-out of the current layer's units; a value still needed later, by a gate of
a later stage or by the output, crosses each layer through pass-through units (identity gates:
exact for softplus and ReLU). A gate of depth L occupies L consecutive layers; the first reads its
inputs through their read-outs, so weights compose: W = W_gate @ readout.

The result holds each layer's weights as sparse triplets; :func:`dense_bytes` says what the dense
``nn.Linear`` layers would cost before anything large is allocated.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from deepcheap.compiler.strategies import Construction

Readout = tuple[dict[int, float], float]  # (unit -> weight, constant)


@dataclass
class StrictLayer:
    shape: tuple[int, int]  # (units, previous units)
    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    bias: np.ndarray
    gate_units: int
    passthrough_units: int


@dataclass
class StrictLayout:
    n_inputs: int
    layers: list[StrictLayer]
    output_cols: np.ndarray
    output_values: np.ndarray
    output_constant: float
    activation: str

    @property
    def gate_neurons(self) -> int:
        return sum(layer.gate_units for layer in self.layers)

    @property
    def passthrough_neurons(self) -> int:
        return sum(layer.passthrough_units for layer in self.layers)

    def dense_bytes(self, itemsize: int) -> int:
        previous = [self.n_inputs] + [layer.shape[0] for layer in self.layers]
        weights = sum(a * b for a, b in zip(previous[1:], previous[:-1], strict=True)) + previous[-1]
        return weights * itemsize


class _Builder:
    def __init__(self):
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.values: list[np.ndarray] = []
        self.bias: list[np.ndarray] = []
        self.units = 0

    def add_units(self, W: np.ndarray, b: np.ndarray, sources: list[Readout]) -> list[int]:
        """Units with pre-activation W @ [source values] + b; returns their indices."""
        u = W.shape[0]
        start = self.units
        bias = np.array(b, dtype=np.float64)
        for j, (vector, constant) in enumerate(sources):
            bias = bias + W[:, j] * constant
            if not vector:
                continue
            cols = np.fromiter(vector.keys(), dtype=np.int64, count=len(vector))
            vals = np.fromiter(vector.values(), dtype=np.float64, count=len(vector))
            block = np.outer(W[:, j], vals)
            r, c = np.nonzero(block)
            self.rows.append(start + r)
            self.cols.append(cols[c])
            self.values.append(block[r, c])
        self.bias.append(bias)
        self.units += u
        return list(range(start, start + u))

    def layer(self, previous: int, gate_units: int) -> StrictLayer:
        cat = (lambda parts, dtype: np.concatenate(parts) if parts else np.zeros(0, dtype=dtype))  # noqa: E731
        return StrictLayer((self.units, previous), cat(self.rows, np.int64), cat(self.cols, np.int64),
                           cat(self.values, np.float64), cat(self.bias, np.float64), gate_units,
                           self.units - gate_units)


def strict_layout(construction: Construction, n_inputs: int) -> StrictLayout:
    stages = construction.stages
    last_use: dict[int, int] = {}
    for s, stage in enumerate(stages):
        for spec in stage:
            for v in spec.inputs:
                last_use[v] = max(last_use.get(v, -1), s)
    for v in construction.output:
        last_use[v] = len(stages)
    readouts: dict[int, Readout] = {i: ({i: 1.0}, 0.0) for i in range(n_inputs)}
    previous = n_inputs
    layers: list[StrictLayer] = []
    for s, stage in enumerate(stages):
        depth = max(spec.depth for spec in stage)
        if any(spec.depth != depth for spec in stage):  # pragma: no cover - strategies build equal depths
            raise ValueError("gates of one stage must have equal depth")
        carried = [v for v in readouts if last_use.get(v, -1) > s]
        own: list[list[int]] = [[] for _ in stage]
        for k in range(depth):
            builder = _Builder()
            for g, spec in enumerate(stage):
                W, b = spec.layers[k]
                sources = [readouts[v] for v in spec.inputs] if k == 0 else [({unit: 1.0}, 0.0) for unit in own[g]]
                own[g] = builder.add_units(W, b, sources)
            gate_units = builder.units
            updated: dict[int, Readout] = {}
            for v in carried:
                spec = construction.passthrough(v)
                W, b = spec.layers[0]
                units = builder.add_units(W, b, [readouts[v]])
                updated[v] = ({u: w for u, w in zip(units, spec.readout, strict=True) if w}, spec.constant)
            layers.append(builder.layer(previous, gate_units))
            previous = builder.units
            readouts = updated
        for g, spec in enumerate(stage):
            readouts[spec.output] = ({u: w for u, w in zip(own[g], spec.readout, strict=True) if w}, spec.constant)
    combined: dict[int, float] = defaultdict(float)
    constant = construction.constant
    with np.errstate(over="ignore"):  # an overflow shows as inf in the weights: build_mlp refuses them
        for v, c in construction.output.items():
            vector, offset = readouts[v]
            for unit, w in vector.items():
                combined[unit] += c * w
            constant += c * offset
    cols = np.array(sorted(combined), dtype=np.int64)
    return StrictLayout(n_inputs, layers, cols, np.array([combined[c] for c in cols], dtype=np.float64),
                        float(constant), construction.activation)
