"""CompiledNetwork: what :func:`deepcheap.compile` returns."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp
import torch
from torch import nn

from deepcheap.compiler.build import MLP_MEMORY_LIMIT, DagModule, build_mlp
from deepcheap.compiler.layout import StrictLayout, strict_layout
from deepcheap.compiler.plan import ProductPlan
from deepcheap.compiler.polynomial import Polynomial
from deepcheap.compiler.strategies import Construction, gate_kinds
from deepcheap.gates.base import sample_box
from deepcheap.precision import dtype_name

MEASURE_POINTS = 4096
MAX_EXHAUSTIVE_BITS = 16


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
    binary: bool = False  # inputs are bits {0, 1} (compile_boolean): errors measured on all of them
    options: dict = field(default_factory=dict)

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

    def measure_inputs(self, points: int = MEASURE_POINTS, seed: int = 0) -> torch.Tensor:
        n = len(self.variables)
        generator = torch.Generator().manual_seed(seed)
        if self.binary:
            if n <= MAX_EXHAUSTIVE_BITS:
                return torch.tensor(list(itertools.product((0.0, 1.0), repeat=n)), dtype=self.dtype).reshape(-1, n)
            return torch.randint(0, 2, (points, n), generator=generator).to(self.dtype)
        if n == 0:
            return torch.zeros(1, 0, dtype=self.dtype)
        return sample_box(self.domain, n, points, dtype=self.dtype, generator=generator)

    def measure_error(self, points: int = MEASURE_POINTS, seed: int = 0, *, form: str = "module") -> float:
        """max |network(x) - polynomial(x)| over sampled inputs (all bit patterns for Boolean networks)."""
        x = self.measure_inputs(points, seed)
        with torch.no_grad():
            if form == "mlp":
                out = self.mlp(x.to(self.device or "cpu")).squeeze(-1)
            else:
                out = self.module(x.to(self.device or "cpu"))
        return float((out.detach().cpu().double() - self.target(x)).abs().max())

    @cached_property
    def max_error(self) -> float:
        """Measured on :data:`MEASURE_POINTS` points of the domain box (seed 0); cached."""
        return self.measure_error()

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
        return info

    def __repr__(self) -> str:
        return (f"CompiledNetwork(strategy={self.strategy!r}, variables={len(self.variables)}, neurons={self.neurons}, "
                f"depth={self.depth}, multiplications={self.multiplications}, "
                f"predicted_error={self.predicted_error:.2g})")
