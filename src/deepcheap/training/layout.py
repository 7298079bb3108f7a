"""Where every model's weights live: groups of equal shape, one flat parameter buffer, a ones row per layer.

>>> from deepcheap.training import ModelSpec
>>> from deepcheap.training.layout import plan
>>> layout = plan([ModelSpec((4,), seed=0), ModelSpec((8, 8), seed=0), ModelSpec((4,), seed=1)], n_inputs=3,
...               n_outputs=1)
>>> [(g.activation, g.widths, g.models) for g in layout.groups]
[('tanh', (4,), (0, 2)), ('tanh', (8, 8), (1,))]
>>> layout.shape(0, 0), layout.shape(1, 1), layout.shape(1, 2)   # (models, rows, columns)
((2, 5, 4), (1, 9, 9), (1, 1, 9))

The engine computes in a transposed layout, units x points: layer l of a group of G models is a (G, rows, cols)
matrix acting on activations (G, cols, N). The last column of every matrix is the bias, and every hidden
layer has one extra row, the fixed ``[0, ..., 0, 1]``, whose output is the constant 1 that the next layer's
bias column multiplies. So a layer is one matrix product with its bias inside, and the bias gradient comes
out of the weight gradient's product for free. The first layers of all groups are stacked into one
(sum of rows, n + 1) matrix, so shared inputs pass through the first layer of every model in one GEMM.

Models of the same activation and hidden widths form a group (``grouping="packed"``); with
``grouping="padded"`` each width is rounded up to a power of two and narrower models are zero-padded.
Elements that must not train (the ones rows, padded units, ignored inputs, a solved read-out) are owned by
the extra slot ``models``, whose learning rate is always 0, so they never move.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import torch

from deepcheap.errors import check_choice
from deepcheap.training.spec import ModelSpec, default_init

GROUPINGS = ("packed", "padded")


@dataclass(frozen=True)
class Group:
    """Models (indices into the run's list, in the group's order) sharing an activation and hidden widths."""

    activation: str
    widths: tuple[int, ...]
    models: tuple[int, ...]
    start: int  # internal index of the first model: the group's models are start .. start + size - 1

    @property
    def size(self) -> int:
        return len(self.models)

    @property
    def depth(self) -> int:
        return len(self.widths)


@dataclass(frozen=True)
class Layout:
    specs: tuple[ModelSpec, ...]
    groups: tuple[Group, ...]
    n_inputs: int
    n_outputs: int

    @cached_property
    def order(self) -> tuple[int, ...]:
        """Internal index -> model index (groups are contiguous internally)."""
        return tuple(m for g in self.groups for m in g.models)

    @property
    def models(self) -> int:
        return len(self.specs)

    def shape(self, g: int, layer: int) -> tuple[int, int, int]:
        group = self.groups[g]
        sizes = (self.n_inputs, *group.widths)
        rows = group.widths[layer] + 1 if layer < group.depth else self.n_outputs
        return group.size, rows, sizes[layer] + 1

    @cached_property
    def _placement(self) -> tuple[tuple[tuple[int, ...], ...], int]:
        position = 0
        first = []
        for g in range(len(self.groups)):
            first.append(position)
            position += math.prod(self.shape(g, 0))
        rest = []
        for g, group in enumerate(self.groups):
            row = [first[g]]
            for layer in range(1, group.depth + 1):
                row.append(position)
                position += math.prod(self.shape(g, layer))
            rest.append(tuple(row))
        return tuple(rest), position

    @property
    def offsets(self) -> tuple[tuple[int, ...], ...]:
        """Flat offset of every (group, layer): all first layers first, so they form one matrix."""
        return self._placement[0]

    @property
    def size(self) -> int:
        """Numbers in the flat buffer (trainable or not)."""
        return self._placement[1]

    @property
    def first_layer_rows(self) -> int:
        return sum(self.shape(g, 0)[0] * self.shape(g, 0)[1] for g in range(len(self.groups)))

    def view(self, flat: torch.Tensor, g: int, layer: int) -> torch.Tensor:
        shape = self.shape(g, layer)
        start = self.offsets[g][layer]
        return flat[start:start + math.prod(shape)].view(shape)

    def first_layer(self, flat: torch.Tensor) -> torch.Tensor:
        """The first layers of every group as one (sum of rows, n_inputs + 1) matrix."""
        return flat[:self.first_layer_rows * (self.n_inputs + 1)].view(-1, self.n_inputs + 1)

    def real_sizes(self, m: int) -> tuple[int, ...]:
        spec = self.specs[m]
        return spec.sizes(spec.n_inputs or self.n_inputs)

    @cached_property
    def _where(self) -> dict[int, tuple[int, int]]:
        return {m: (g, i) for g, group in enumerate(self.groups) for i, m in enumerate(group.models)}

    def locate(self, m: int) -> tuple[int, int]:
        """(group, position within the group) of model m."""
        return self._where[m]

    def _runs(self, g: int):
        """Consecutive models of group g with equal real sizes: (first position, stop, sizes); one slice each."""
        group, first = self.groups[g], 0
        for i in range(1, group.size + 1):
            if i == group.size or self.real_sizes(group.models[i]) != self.real_sizes(group.models[first]):
                yield first, i, self.real_sizes(group.models[first])
                first = i

    def owners(self, train_readout: bool = True) -> torch.Tensor:
        """Flat int64: the internal index of the model each element belongs to, or ``models`` if it is frozen."""
        owner = torch.full((self.size,), self.models, dtype=torch.int64)
        for g, group in enumerate(self.groups):
            for a, b, sizes in self._runs(g):
                index = torch.arange(group.start + a, group.start + b).view(-1, 1, 1)
                for layer in range(group.depth + 1 if train_readout else group.depth):
                    block = self.view(owner, g, layer)[a:b]
                    block[:, :sizes[layer + 1], :sizes[layer]] = index
                    block[:, :sizes[layer + 1], -1:] = index
        return owner

    def initial(self) -> torch.Tensor:
        """The flat float64 buffer at initialisation: each model's own (seeded or warm) init, ones rows."""
        flat = torch.zeros(self.size, dtype=torch.float64)
        for g, group in enumerate(self.groups):
            for a, b, sizes in self._runs(g):
                inits = [self.specs[m].init or default_init(self.specs[m], sizes[0]) for m in group.models[a:b]]
                for layer in range(group.depth + 1):
                    block = self.view(flat, g, layer)[a:b]
                    block[:, :sizes[layer + 1], :sizes[layer]] = torch.stack([init[layer][0].T for init in inits])
                    block[:, :sizes[layer + 1], -1] = torch.stack([init[layer][1] for init in inits])
                    if layer < group.depth:
                        block[:, group.widths[layer], -1] = 1.0  # the ones row
        return flat

    def layers(self, flat: torch.Tensor, m: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Model m's weights as [(W of shape (in, out), b of shape (out,)), ...] (the warm-start format)."""
        g, i = self.locate(m)
        sizes = self.real_sizes(m)
        out = []
        for layer in range(self.groups[g].depth + 1):
            block = self.view(flat, g, layer)[i]
            a, c = sizes[layer], sizes[layer + 1]
            out.append((block[:c, :a].T.clone(), block[:c, -1].clone()))
        return out


def plan(specs, n_inputs: int, n_outputs: int, grouping: str = "packed") -> Layout:
    """Group the models (see the module docstring) for data with ``n_inputs`` columns."""
    check_choice("grouping", grouping, GROUPINGS)
    keys: dict[tuple, list[int]] = {}
    for m, spec in enumerate(specs):
        widths = spec.hidden if grouping == "packed" else tuple(1 << (w - 1).bit_length() for w in spec.hidden)
        keys.setdefault((spec.activation, widths), []).append(m)
    groups, start = [], 0
    for (activation, widths), members in keys.items():
        groups.append(Group(activation, widths, tuple(members), start))
        start += len(members)
    return Layout(tuple(specs), tuple(groups), n_inputs, n_outputs)
