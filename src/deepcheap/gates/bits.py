"""The bit-product neuron of Eq. 13: prod_{i in K} x_i = lim_{beta -> inf} sigma(-beta (k - 1/2 - sum x_i)).

>>> import torch
>>> from deepcheap.gates import bit_product_gate
>>> gate = bit_product_gate(3, error=1e-6)
>>> bits = torch.tensor([[1, 1, 1], [1, 0, 1]], dtype=torch.float64)
>>> gate(bits).round().tolist()
[1.0, 0.0]

For bits the sum decides the product: sum x = k iff all are 1. The worst inputs are sum = k
(output sigma(beta/2)) and sum = k - 1 (output sigma(-beta/2)); both miss by sigma(-beta/2)
~ e^(-beta/2). So D correct decimals need beta ~ 2 D ln 10 (not D ln 10, as one reading note
has it; see reference/paper-notes.md).
"""

from __future__ import annotations

import math

import torch

from deepcheap.activations import get_activation
from deepcheap.errors import InvalidArgumentError, UnsupportedActivationError, check_int_range, check_positive
from deepcheap.gates.base import Gate, dense
from deepcheap.precision import machine_epsilon, resolve_dtype

MAX_BETA_K = 1e6  # beta * k: the first-layer weights and bias, far past any useful accuracy


class BitProductGate(Gate):
    """One sigmoid neuron computing the product of k bits: (N, k) -> (N,)."""

    def __init__(self, k: int, beta: float, *, activation="sigmoid", dtype, device=None):
        act = get_activation(activation)
        layer = dense([[beta] * k], [-beta * (k - 0.5)], dtype=dtype, device=device)
        super().__init__(layer, act.module())
        self.activation = act
        self.n_inputs = k
        self.scale = float(beta)
        self.bias = -float(beta) * (k - 0.5)
        self.domain = (0.0, 1.0)

    @property
    def neurons(self) -> int:
        return 1  # the sigmoid unit is the output: one hidden unit of an enclosing network

    def target(self, x: torch.Tensor) -> torch.Tensor:
        return torch.prod(x, dim=-1)

    def predicted_error(self, domain=None, dtype=None) -> float:
        """sigma(-beta/2) plus rounding of the output (domain: the bits {0, 1}^k, fixed)."""
        eps = machine_epsilon(dtype or self.dtype)
        tail = math.exp(-self.scale / 2)
        return tail / (1.0 + tail) + eps

    @property
    def depth(self) -> int:
        return 1


def beta_for_error(error: float) -> float:
    """The beta with sigma(-beta/2) = error: beta = 2 ln((1 - error) / error)."""
    error = check_positive("error", error)
    if error >= 0.5:
        raise InvalidArgumentError(f"error must be below 0.5 (a coin flip); got {error}.")
    return 2.0 * math.log((1.0 - error) / error)


def bit_product_gate(k: int, error: float = 1e-6, *, beta: float | None = None, activation="sigmoid",
                     dtype=torch.float64, device=None) -> BitProductGate:
    """The product of ``k`` bits (x_i in {0, 1}) with worst-case error ``error`` (or a given ``beta``)."""
    k = check_int_range("k", k, 1, hint="(the number of bits multiplied)")
    act = get_activation(activation)
    if not act.sigmoidal:
        raise UnsupportedActivationError(
            f"the bit-product neuron needs sigma(-inf) = 0 and sigma(+inf) = 1; {act.name} is not "
            "sigmoidal. Use activation='sigmoid'."
        )
    beta = beta_for_error(error) if beta is None else check_positive("beta", beta)
    if beta * k > MAX_BETA_K:
        raise InvalidArgumentError(f"beta = {beta:.3g} with k = {k} bits is beyond the range this gate supports "
                                   f"(beta * k <= {MAX_BETA_K:.0e}); beta = 80 already gives an error of 4e-18.")
    return BitProductGate(k, beta, activation=act, dtype=resolve_dtype(dtype), device=device)
