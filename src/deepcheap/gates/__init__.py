"""Exact gates: the paper's elementary constructions as small torch networks.

>>> from deepcheap import gates
>>> g = gates.product_gate("softplus", order=4)
>>> g.neurons, g.predicted_error() < 1e-10
(4, True)

Smooth gates (one stencil construction, :mod:`deepcheap.gates.smooth`): :func:`product_gate`
(Theorem 1, orders 2 and 4), :func:`square_gate`, :func:`identity_gate`, :func:`monomial_gate`,
:func:`shallow_product_gate` (2^n neurons, Appendix A). Bits: :func:`bit_product_gate` (Eq. 13).
ReLU: :func:`yarotsky_square`, :func:`yarotsky_product` (Yarotsky 2017). Every gate is an
``nn.Sequential`` with ``neurons``, ``synapses``, ``scale``, ``bias``, ``target(x)`` and
``predicted_error(domain, dtype)``; :func:`max_error` measures it.

The same smooth gate in mpmath at up to 50 digits: :func:`multiprecision_gate`
(:mod:`deepcheap.gates.multiprecision`); its error against the scale in any arithmetic, and the floor
each arithmetic reaches: :func:`error_curve`, :func:`error_floor` (:mod:`deepcheap.gates.scans`).
"""

from deepcheap.gates.base import Gate, max_error, sample_box
from deepcheap.gates.bits import BitProductGate, bit_product_gate
from deepcheap.gates.multiprecision import MultiprecisionGate, arithmetic, multiprecision_gate
from deepcheap.gates.relu import (
    YarotskyProduct,
    YarotskySquare,
    best_relu_product_errors,
    yarotsky_product,
    yarotsky_square,
)
from deepcheap.gates.scans import ErrorCurve, error_curve, error_floor, fitted_floor_exponent
from deepcheap.gates.smooth import (
    StencilGate,
    identity_gate,
    monomial_gate,
    product_gate,
    shallow_product_gate,
    square_gate,
    stencil_gate,
)

__all__ = [
    "BitProductGate",
    "ErrorCurve",
    "Gate",
    "MultiprecisionGate",
    "StencilGate",
    "YarotskyProduct",
    "YarotskySquare",
    "arithmetic",
    "best_relu_product_errors",
    "bit_product_gate",
    "error_curve",
    "error_floor",
    "fitted_floor_exponent",
    "identity_gate",
    "max_error",
    "monomial_gate",
    "multiprecision_gate",
    "product_gate",
    "sample_box",
    "shallow_product_gate",
    "square_gate",
    "stencil_gate",
    "yarotsky_product",
    "yarotsky_square",
]
