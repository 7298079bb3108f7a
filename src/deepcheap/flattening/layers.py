"""A bias-free linear network held as its weight matrices (scipy.sparse), first layer first.

>>> import numpy as np, scipy.sparse as sp
>>> net = SparseLinearNetwork((sp.csr_matrix(np.ones((2, 3))), sp.csr_matrix(np.eye(2))))
>>> net.synapses, net.neurons, net.depth, net.shape
(8, 2, 2, (2, 3))
>>> net(np.ones((1, 3))).tolist()
[[3.0, 3.0]]

Synapses are the stored nonzeros of every layer (explicit zeros removed on construction), neurons the
widths of the hidden layers: what :func:`deepcheap.flattening.counts` reads.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from deepcheap.errors import InvalidArgumentError


@dataclass(frozen=True, eq=False)
class SparseLinearNetwork:
    """y = L_d ... L_2 L_1 x for x of shape (N, n_in) (one input per row)."""

    layers: tuple[sp.csr_matrix, ...]

    def __post_init__(self):
        if not self.layers:
            raise InvalidArgumentError("a linear network needs at least one layer.")
        layers = tuple(sp.csr_matrix(layer) for layer in self.layers)
        for layer in layers:
            layer.eliminate_zeros()
        for before, after in itertools.pairwise(layers):
            if after.shape[1] != before.shape[0]:
                raise InvalidArgumentError(f"layer shapes do not chain: {before.shape} then {after.shape}.")
        object.__setattr__(self, "layers", layers)

    @property
    def shape(self) -> tuple[int, int]:
        """(outputs, inputs) of the whole map."""
        return self.layers[-1].shape[0], self.layers[0].shape[1]

    @property
    def depth(self) -> int:
        """Number of weight layers (hidden layers + 1)."""
        return len(self.layers)

    @property
    def synapses(self) -> int:
        return int(sum(layer.nnz for layer in self.layers))

    @property
    def neurons(self) -> int:
        """Hidden neurons: the widths of all layers but the output layer."""
        return int(sum(layer.shape[0] for layer in self.layers[:-1]))

    def layer_synapses(self) -> list[int]:
        return [int(layer.nnz) for layer in self.layers]

    def __call__(self, x) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.shape[1]:
            raise InvalidArgumentError(
                f"input must have shape (N, {self.shape[1]}) (one input per row); got {x.shape}."
            )
        y = x.T
        for layer in self.layers:
            y = layer @ y
        return np.asarray(y).T

    def dense(self) -> np.ndarray:
        """The product of the layers as one dense matrix (small networks only)."""
        product = self.layers[0]
        for layer in self.layers[1:]:
            product = layer @ product
        return product.toarray()
