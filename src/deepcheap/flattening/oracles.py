"""Existence oracles for the depth x size grid: constructed networks that multiply n inputs at a known size.

>>> from deepcheap.flattening.oracles import existence_oracles
>>> [(o.name, o.depth, o.neurons) for o in existence_oracles(4, "signed", depths=(2,))]
[('tree', 2, 12), ('grouped-k2', 2, 12), ('sign-sum', 1, 16)]

A trained grid cell that misses eps says little on its own: either no network of that depth and size can
multiply n inputs to eps, or training did not find one. Each oracle here is a network of a given depth
and total hidden neurons that does (errors ~1e-5 in float32 on the grid's domains), built by the
compiler: the binary product tree (depth ceil(log2 n), 4(n - 1) neurons in the widths 2n, n, n/2, ...),
Rolnick & Tegmark's grouped products at each depth k (Theorem 5.1, ``strategy="grouped"``), and for
n <= 12 the shallow 2^n sign-sum network. Each is scored on the grid's test set and its strict-MLP
weights are handed to :func:`~deepcheap.flattening.depth_grid.train_grid` as a warm start at its size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from deepcheap.errors import InvalidArgumentError
from deepcheap.flattening.depth_grid import DOMAINS, Cell, score

SIGN_SUM_LIMIT = 12  # the shallow network has 2^n units


@dataclass(frozen=True)
class Oracle:
    name: str
    depth: int
    neurons: int
    widths: tuple[int, ...]
    activation: str
    layers: list = field(repr=False, compare=False)  # strict-MLP weights [(W (in, out), b), ...], float64

    @property
    def cell(self) -> Cell:
        return Cell(self.depth, self.neurons, f"oracle-{self.name}", self.widths)

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """The network's output on x (N, n), evaluated in x's dtype."""
        h = x
        for i, (W, b) in enumerate(self.layers):
            h = h @ W.to(x.dtype) + b.to(x.dtype)
            if i < len(self.layers) - 1:
                h = torch.nn.functional.softplus(h)
        return h.squeeze(-1)

    def error(self, x: torch.Tensor, metric: str) -> float:
        return float(score(self.predict(x)[None], x.double().prod(dim=1), metric)[0])


def _box(domain: str) -> tuple[float, float]:
    d = DOMAINS[domain]
    return (-d.high, d.high) if d.signs else (d.low, d.high)


def existence_oracles(n: int, domain: str, *, depths=(), dtype: str = "float32") -> list[Oracle]:
    """The tree, a grouped product per depth in ``depths`` (>= 2, below the tree's depth), and the sign-sum."""
    import deepcheap
    from deepcheap import library
    from deepcheap.compiler.trainable import mlp_layers

    if domain not in DOMAINS:
        raise InvalidArgumentError(f"domain must be one of {', '.join(DOMAINS)}; got {domain!r}.")
    box, expr, out = _box(domain), library.product(n), []
    tree_depth = max(1, math.ceil(math.log2(n)))
    builds = [("tree", {"strategy": "deep"})]
    builds += [(f"grouped-k{k}", {"strategy": "grouped", "depth": k}) for k in depths if 2 <= k <= tree_depth]
    if n <= SIGN_SUM_LIMIT:
        builds.append(("sign-sum", {"strategy": "grouped", "depth": 1}))
    for name, options in builds:
        net = deepcheap.compile(expr, domain=box, dtype=dtype, **options)
        weights = mlp_layers(net)
        layers = [(W.double(), b.double()) for W, b in weights.layers]
        widths = tuple(int(W.shape[1]) for W, _ in layers[:-1])
        out.append(Oracle(name, len(widths), sum(widths), widths, weights.activation, layers))
    return out
