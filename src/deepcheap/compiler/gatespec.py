"""Gate specifications: every gate of a compiled network as plain float64 arrays.

A :class:`GateSpec` is a small strict network from ``inputs`` (value ids) to one ``output`` value:
hidden layers (W, b) with one activation, then ``readout . h_last + constant``. The DAG module and
the strict MLP are both built from the same specs (:mod:`deepcheap.compiler.build`), so they
compute the same function. Input normalisation (divide by the range bound R) is folded into the
first layer, the output scale into the read-out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deepcheap.activations import Activation
from deepcheap.gates.relu import product_layers, square_layers
from deepcheap.gates.smooth import stencil_weights
from deepcheap.stencils import Stencil


@dataclass
class GateSpec:
    output: int
    inputs: tuple[int, ...]
    layers: list[tuple[np.ndarray, np.ndarray]]  # (W: units x previous, b: units); first previous = inputs
    readout: np.ndarray
    constant: float
    activation: str
    kind: str

    @property
    def units(self) -> int:
        return sum(W.shape[0] for W, _ in self.layers)

    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def synapses(self) -> int:
        """Nonzero weights: into every unit, plus the read-out into the output value."""
        return sum(int(np.count_nonzero(W)) for W, _ in self.layers) + int(np.count_nonzero(self.readout))

    @property
    def shape_key(self) -> tuple:
        """Specs with equal keys are evaluated together (stacked) in the DAG module."""
        return (self.activation, len(self.inputs), tuple(W.shape for W, _ in self.layers))


def smooth_spec(stencil: Stencil, activation: Activation, bias: float, scale: float, in_ranges, out_scale: float,
                inputs: tuple[int, ...], output: int, kind: str) -> GateSpec:
    """A stencil gate on inputs normalised by ``in_ranges``; its value is multiplied by ``out_scale``."""
    w1, b1, readout, constant = stencil_weights(stencil, activation, bias, scale)
    w1 = w1 / np.asarray(in_ranges, dtype=np.float64)[None, :]
    return GateSpec(output, tuple(inputs), [(w1, b1)], readout * out_scale, constant * out_scale,
                    activation.name, kind)


def relu_spec(kind: str, m: int, in_ranges, inputs: tuple[int, ...], output: int) -> GateSpec:
    """Yarotsky's square (one input) or polarised product (two inputs) of depth m, on normalised inputs."""
    if kind == "square":
        specs = square_layers(m, (-1.0, 1.0))
        out_scale = float(in_ranges[0]) ** 2
    else:
        specs = product_layers(m, 1.0)
        out_scale = float(in_ranges[0]) * float(in_ranges[1])
    layers = [(np.asarray(W, dtype=np.float64), np.zeros(W.shape[0]) if b is None else np.asarray(b, dtype=np.float64))
              for W, b in specs[:-1]]
    W0, b0 = layers[0]
    layers[0] = (W0 / np.asarray(in_ranges, dtype=np.float64)[None, :], b0)
    readout = np.asarray(specs[-1][0], dtype=np.float64)[0] * out_scale
    return GateSpec(output, tuple(inputs), layers, readout, 0.0, "relu", f"relu-{kind}")


def relu_identity_spec(value: int) -> GateSpec:
    """x = relu(x) - relu(-x): exact, two units."""
    return GateSpec(value, (value,), [(np.array([[1.0], [-1.0]]), np.zeros(2))], np.array([1.0, -1.0]), 0.0,
                    "relu", "identity")
