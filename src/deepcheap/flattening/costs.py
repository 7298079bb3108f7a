"""Flattening costs (Eqs. 25-26): C_n = N_n(flat) / N_n(deep), C_s = N_s(flat) / N_s(deep).

>>> import deepcheap
>>> from deepcheap import library
>>> deep = deepcheap.compile(library.product(6))
>>> flat = deepcheap.compile(library.product(6), strategy="shallow")
>>> flattening_cost(deep, flat).C_n                    # 2^6 / (4 * 5)
3.2

N_n counts hidden neurons and N_s nonzero weights ("synapses"). A no-flattening result is C > 1.
Networks are counted as they come: compiled networks in their DAG form (gate neurons; pass-through
neurons of the strict MLP are reported apart), gates and ``nn.Sequential`` MLPs layer by layer,
linear networks (:class:`~deepcheap.flattening.layers.SparseLinearNetwork`, butterflies) by their own
``neurons`` and ``synapses``; a pair ``(neurons, synapses)`` is accepted too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from deepcheap.errors import InvalidArgumentError


@dataclass(frozen=True)
class FlatteningCost:
    deep_neurons: int
    flat_neurons: int
    deep_synapses: int
    flat_synapses: int

    @property
    def C_n(self) -> float:
        return self.flat_neurons / self.deep_neurons if self.deep_neurons else float("inf")

    @property
    def C_s(self) -> float:
        return self.flat_synapses / self.deep_synapses if self.deep_synapses else float("inf")

    def to_dict(self) -> dict:
        """The four counts and both ratios (None where the deep count is 0), JSON-ready."""
        ratios = {"C_n": self.C_n if self.deep_neurons else None, "C_s": self.C_s if self.deep_synapses else None}
        return {**asdict(self), **ratios}


def counts(network) -> tuple[int, int]:
    """(hidden neurons, nonzero weights) of a network (see the module docstring for what is accepted)."""
    if isinstance(network, tuple | list) and len(network) == 2:
        return int(network[0]), int(network[1])
    if isinstance(network, torch.nn.Sequential):
        linears = [m for m in network if isinstance(m, torch.nn.Linear)]
        if not linears:
            raise InvalidArgumentError("this nn.Sequential has no Linear layers to count.")
        return (
            sum(layer.out_features for layer in linears[:-1]),
            sum(int(torch.count_nonzero(layer.weight)) for layer in linears),
        )
    if hasattr(network, "synapses"):
        return int(getattr(network, "neurons", 0)), int(network.synapses)
    raise InvalidArgumentError(
        f"cannot count neurons and synapses of a {type(network).__name__}; pass a deepcheap "
        "network, an nn.Sequential or a (neurons, synapses) pair."
    )


def flattening_cost(deep, shallow) -> FlatteningCost:
    """C_n and C_s of replacing ``deep`` by the flatter ``shallow`` network computing the same function."""
    deep_n, deep_s = counts(deep)
    flat_n, flat_s = counts(shallow)
    return FlatteningCost(deep_n, flat_n, deep_s, flat_s)
