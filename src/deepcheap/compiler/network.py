"""CompiledNetwork: what :func:`deepcheap.compile` returns."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import sympy as sp
import torch
from torch import nn

from deepcheap.compiler.build import MLP_MEMORY_LIMIT, DagModule, build_mlp
from deepcheap.compiler.layout import StrictLayout, strict_layout
from deepcheap.compiler.plan import ProductPlan
from deepcheap.compiler.polynomial import Polynomial
from deepcheap.compiler.strategies import Construction, gate_kinds
from deepcheap.errors import check_choice, check_int_range
from deepcheap.gates.base import sample_box
from deepcheap.precision import dtype_name
from deepcheap.seeds import torch_generator

MEASURE_POINTS = 4096  # inputs of the automatic error measurement of a small network
MIN_MEASURE_POINTS = 64  # ... and of the largest ones
MEASURE_WORK = 2**26  # element operations the automatic measurement may spend (about half a second)
CHUNK_ELEMENTS = 2**22  # input numbers generated and evaluated at once
MAX_EXHAUSTIVE_BITS = 16
MAX_ERROR_SEED = 0  # the seed of the inputs behind the cached :attr:`CompiledNetwork.max_error`


@dataclass(eq=False)
class CompiledNetwork:
    """A polynomial compiled to a torch network, with its counts and errors.

    ``net(x)`` evaluates ``net.module`` (the DAG form: sparse, sums free); ``net.mlp`` is the
    strict ``nn.Sequential`` the paper counts (built on first use; pass-through neurons are counted
    separately in ``mlp_passthrough_neurons``). Input columns follow ``net.variables``.
    """

    polynomial: Polynomial
    plan: ProductPlan
    construction: Construction
    module: DagModule
    strategy: str
    activation: str
    order: int | None
    eps: float | None
    domain: tuple[float, float]
    dtype: torch.dtype
    device: torch.device | str | None = None
    binary: bool = False  # inputs are bits {0, 1} (strategy bits): errors measured on all of them

    # --- evaluation ---------------------------------------------------------------------------

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x)

    def target(self, x: torch.Tensor) -> torch.Tensor:
        """The exact polynomial at the rows of ``x`` (float64 reference)."""
        return torch.as_tensor(self.polynomial.evaluate(x), dtype=torch.float64)

    @property
    def variables(self) -> tuple[str, ...]:
        return self.polynomial.variables

    @property
    def expression(self) -> sp.Expr:
        return self.polynomial.to_sympy()

    # --- counts -------------------------------------------------------------------------------

    @property
    def neurons(self) -> int:
        """Hidden units of the gates (the DAG form has no pass-through units)."""
        return sum(spec.units for stage in self.construction.stages for spec in stage)

    @property
    def synapses(self) -> int:
        """Nonzero weights of the DAG form: into every gate unit, gate read-outs, and the output sum."""
        gates = sum(spec.synapses for stage in self.construction.stages for spec in stage)
        return gates + sum(1 for c in self.construction.output.values() if c != 0)

    @property
    def depth(self) -> int:
        """Hidden layers on the longest path (equal to the strict MLP's number of hidden layers)."""
        return sum(max(spec.depth for spec in stage) for stage in self.construction.stages)

    @property
    def multiplications(self) -> int:
        """Two-input multiplications (products and squares) in the product DAG."""
        return self.plan.multiplications

    @property
    def max_weight(self) -> float:
        """Largest |weight| in the network: the price of accuracy (Corollary 1 fixes neurons, not weights)."""
        sizes = [float(t.abs().max()) for name, t in self.module.named_buffers()
                 if name.rsplit(".", 1)[-1].startswith(("W", "readout")) and t.numel()]
        return max(sizes, default=0.0)

    @property
    def gate_counts(self) -> dict[str, int]:
        return gate_kinds(self.construction)

    @cached_property
    def layout(self) -> StrictLayout:
        return strict_layout(self.construction, len(self.variables))

    @property
    def mlp_gate_neurons(self) -> int:
        return self.layout.gate_neurons

    @property
    def mlp_passthrough_neurons(self) -> int:
        return self.layout.passthrough_neurons

    # --- errors -------------------------------------------------------------------------------

    @property
    def predicted_error(self) -> float:
        """Worst-case bound from the accuracy pass (gate truncation and rounding, propagated)."""
        return self.construction.predicted_error

    def measure_points(self) -> int:
        """How many inputs the automatic error measurement uses: :data:`MEASURE_POINTS`, fewer for large
        networks so that its work (inputs + hidden units + terms, per input) stays near
        :data:`MEASURE_WORK` element operations, but never fewer than :data:`MIN_MEASURE_POINTS`.
        (A 512 x 512 Ising energy: 64 inputs; a 64 x 64 one: about 1500.)"""
        if self.binary and len(self.variables) <= MAX_EXHAUSTIVE_BITS:
            return 2 ** len(self.variables)
        per_input = len(self.variables) + self.neurons + len(self.polynomial)
        return int(min(MEASURE_POINTS, max(MIN_MEASURE_POINTS, MEASURE_WORK // max(1, per_input))))

    def measure_inputs(self, points: int = MEASURE_POINTS, *, seed: int) -> torch.Tensor:
        """The inputs :meth:`measure_error` uses, as one tensor (small networks; see :meth:`input_chunks`)."""
        return torch.cat(list(self.input_chunks(points, seed=seed)))

    def input_chunks(self, points: int, *, seed: int):
        """Measurement inputs in chunks of at most :data:`CHUNK_ELEMENTS` numbers: all 2^n bit patterns of a
        Boolean network (n <= 16), else corners of the box (all of them for n <= 10, else random ones, at
        most a quarter of the points) followed by uniform points, drawn from a generator seeded ``seed``."""
        n = len(self.variables)
        points = check_int_range("points", points, 1, hint="(the error is measured on at least one input)")
        generator = torch_generator(seed)
        rows = max(1, CHUNK_ELEMENTS // max(1, n))
        if n == 0:
            yield torch.zeros(1, 0, dtype=self.dtype)
            return
        if self.binary and n <= MAX_EXHAUSTIVE_BITS:
            codes = torch.arange(2**n)
            for start in range(0, 2**n, rows):
                block = codes[start:start + rows, None] >> torch.arange(n - 1, -1, -1)
                yield (block & 1).to(self.dtype)
            return
        if self.binary:
            for start in range(0, points, rows):
                yield torch.randint(0, 2, (min(rows, points - start), n), generator=generator).to(self.dtype)
            return
        lo, hi = self.domain
        if n <= 3:  # a regular grid with the corners: cheap and exhaustive enough in a few dimensions
            yield sample_box(self.domain, n, points, dtype=self.dtype, generator=generator)
            return
        corners = 2**n if n <= 10 else min(256, max(1, points // 4))
        for start in range(0, corners, rows):
            count = min(rows, corners - start)
            bits = (torch.arange(start, start + count)[:, None] >> torch.arange(n)) & 1 if n <= 10 else \
                torch.randint(0, 2, (count, n), generator=generator)
            yield (lo + (hi - lo) * bits.to(torch.float64)).to(self.dtype)
        for start in range(0, points, rows):
            count = min(rows, points - start)
            yield (torch.rand(count, n, dtype=torch.float64, generator=generator) * (hi - lo) + lo).to(self.dtype)

    def measure_error(self, points: int | None = None, *, seed: int, form: str = "module") -> float:
        """max |network(x) - polynomial(x)| over :meth:`input_chunks` (default size: :meth:`measure_points`),
        drawn with ``seed``, evaluated chunk by chunk so memory stays bounded whatever the network's size."""
        points = self.measure_points() if points is None else points
        check_choice("form", form, ("module", "mlp"))
        network = self.mlp if form == "mlp" else self.module
        worst = 0.0
        with torch.no_grad():
            for x in self.input_chunks(points, seed=seed):
                out = network(x.to(self.device or "cpu"))
                out = out.squeeze(-1) if form == "mlp" else out
                difference = (out.detach().cpu().double() - self.target(x)).abs()
                if not bool(torch.isfinite(difference).all()):
                    return math.inf
                worst = max(worst, float(difference.max()))
        return worst

    @cached_property
    def max_error(self) -> float:
        """Measured on :meth:`measure_points` inputs of the domain box (seed :data:`MAX_ERROR_SEED`); cached.
        Sampled, not a bound: :attr:`predicted_error` is the accuracy pass's worst-case bound."""
        return self.measure_error(seed=MAX_ERROR_SEED)

    # --- the strict MLP -----------------------------------------------------------------------

    def strict_mlp(self, memory_limit: int = MLP_MEMORY_LIMIT) -> nn.Sequential:
        return build_mlp(self.layout, dtype=self.dtype, device=self.device, memory_limit=memory_limit)

    @cached_property
    def mlp(self) -> nn.Sequential:
        """The strict MLP (Linear, activation, ..., Linear), output shape (N, 1)."""
        return self.strict_mlp()

    def trainable(self, form: str = "mlp", *, memory_limit: int | None = None) -> nn.Module:
        """A new module, same function, whose compiled weights are nn.Parameters (a warm start to fine-tune).

        ``form="mlp"``: an nn.Sequential of Linear and activation layers; ``"dag"``: the sparse DAG module.
        See :mod:`deepcheap.compiler.trainable` (also ``mlp_layers`` and ``fine_tune``).
        """
        from deepcheap.compiler.trainable import trainable

        return trainable(self, form, memory_limit=memory_limit)

    # --- reporting ----------------------------------------------------------------------------

    def summary(self, *, measure: bool = True) -> dict:
        info = {
            "strategy": self.strategy,
            "activation": self.activation,
            "order": self.order,
            "dtype": dtype_name(self.dtype),
            "domain": list(self.domain),
            "eps": self.eps,
            "variables": list(self.variables),
            "terms": len(self.polynomial),
            "degree": self.polynomial.degree,
            "neurons": self.neurons,
            "synapses": self.synapses,
            "depth": self.depth,
            "multiplications": self.multiplications,
            "gates": self.gate_counts,
            "predicted_error": self.predicted_error,
        }
        if measure:
            info["max_error"] = self.max_error
            info["max_error_points"] = self.measure_points()
        return info

    def __repr__(self) -> str:
        return (f"CompiledNetwork(strategy={self.strategy!r}, variables={len(self.variables)}, neurons={self.neurons}, "
                f"depth={self.depth}, multiplications={self.multiplications}, "
                f"predicted_error={self.predicted_error:.2g})")
