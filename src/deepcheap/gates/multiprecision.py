"""The stencil gates of :mod:`deepcheap.gates.smooth` evaluated in mpmath, at any number of digits up to 50.

A float gate rounds its read-out weights, its pre-activations and sigma to its dtype, so its error stops
at a floor ~ eps^(e/(e+p)) (:func:`deepcheap.precision.floor_exponent`). :class:`MultiprecisionGate` is the
same gate (same stencil, bias, scale and read-out a_m = w_m / (c_p lambda^p (p!/r!) N)) computed with
``digits`` significant digits: its rounding falls to ~ 10^-digits / lambda^p, and the truncation series
can be followed far below float64's floor.

>>> import torch
>>> from deepcheap.gates import product_gate
>>> from deepcheap.gates.multiprecision import multiprecision_gate
>>> gate = product_gate("softplus", scale=1e-6)     # float64: rounding ~ eps / lambda^2 dominates
>>> x = torch.tensor([[0.5, -0.75], [1.0, 1.0]], dtype=torch.float64)
>>> float((gate(x) - x.prod(1)).abs().max()) > 1e-5
True
>>> multiprecision_gate(gate, 50).max_error(x) < 1e-11   # truncation ~ lambda^2 only
True

:class:`Arithmetic` names where a gate is evaluated: ``"float32"``, ``"float64"`` (torch) or ``"mp30"``
(mpmath, 30 digits), with its machine epsilon (the spacing of numbers at 1: 2^(1 - precision in bits)).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

import mpmath
import torch

from deepcheap.activations import EXACT_DIGITS, Activation
from deepcheap.errors import InvalidArgumentError, check_int_range
from deepcheap.gates.smooth import StencilGate, readout_denominator
from deepcheap.precision import machine_epsilon
from deepcheap.stencils import Stencil

MIN_DIGITS = 5
_NAME = re.compile(r"^(float32|float64|mp(\d+))$")


@dataclass(frozen=True)
class Arithmetic:
    """``float32`` / ``float64`` (a torch dtype) or ``mpN`` (mpmath at N significant digits)."""

    name: str

    @property
    def digits(self) -> int | None:
        """mpmath's significant digits; None for a torch dtype."""
        return None if self.name.startswith("float") else int(self.name[2:])

    @property
    def dtype(self) -> torch.dtype | None:
        return getattr(torch, self.name) if self.digits is None else None

    @property
    def eps(self) -> float:
        """Spacing of numbers at 1: 2^-52 for float64, 2^(1 - bits) for mpmath at ``digits``."""
        if self.digits is None:
            return machine_epsilon(self.dtype)
        with mpmath.workdps(self.digits):
            return float(mpmath.mp.eps)


def arithmetic(name: str | Arithmetic) -> Arithmetic:
    """``"float32"``, ``"float64"`` or ``"mp<digits>"`` (digits from 5 to 50) -> an :class:`Arithmetic`."""
    if isinstance(name, Arithmetic):
        return name
    match = _NAME.match(str(name).strip().lower())
    if match is None:
        raise InvalidArgumentError(f"unknown arithmetic {name!r}; use 'float32', 'float64' or 'mp<digits>' "
                                   f"(mpmath, e.g. 'mp30', {MIN_DIGITS} to {EXACT_DIGITS} digits).")
    if match.group(2) is not None:
        check_int_range("digits", int(match.group(2)), MIN_DIGITS, EXACT_DIGITS,
                        hint=f"(the activations' exact derivatives are known to {EXACT_DIGITS} digits)")
    return Arithmetic(match.group(1))


@dataclass(frozen=True)
class MultiprecisionGate:
    """sum_m a_m sigma(b + lambda t_m . x) over every unit of ``stencil``, in mpmath at ``digits`` digits.

    Constant units (zero offset) are evaluated like the others: the float gate folds them into its
    output bias, which is the same sum.
    """

    stencil: Stencil
    activation: Activation
    bias: mpmath.mpf
    scale: float
    digits: int

    @property
    def eps(self) -> float:
        return arithmetic(f"mp{self.digits}").eps

    def readout(self) -> list[mpmath.mpf]:
        """a_m = w_m / (c_p lambda^p (p!/r!) N), at ``digits`` digits."""
        with mpmath.workdps(self.digits):
            denominator = readout_denominator(self.stencil, self.activation, self.bias, self.scale)
            return [mpmath.mpf(int(w)) / denominator for w in self.stencil.weights]

    @property
    def output_weight(self) -> float:
        """Largest read-out weight magnitude (grows like scale^-p)."""
        return float(max(abs(a) for a in self.readout()))

    def __call__(self, x) -> list[mpmath.mpf]:
        """The gate at the rows of ``x`` (a tensor or :class:`ExactPoints`; floats are taken exactly)."""
        points = exact_points(x, len(self.stencil.exponents))
        sums, distinct = points.offset_sums(self.stencil)
        with mpmath.workdps(self.digits):
            readout = self.readout()
            lam, bias = mpmath.mpf(self.scale), +self.bias
            sigma = {s: self.activation.exact(bias + lam * s) for s in distinct}
            out = []
            for row in sums:  # each product and sum rounded to the working precision, as a float gate's
                total = mpmath.mpf(0)
                for a, s in zip(readout, row, strict=True):
                    total += a * sigma[s]
                out.append(total)
            return out

    def target(self, x) -> list[mpmath.mpf]:
        """x^r at the rows of ``x``, to ``digits`` digits."""
        return exact_points(x, len(self.stencil.exponents)).monomial(self.stencil.exponents, self.digits)

    def max_error(self, x) -> float:
        """max |gate(x) - x^r| over the rows of ``x``."""
        points = exact_points(x, len(self.stencil.exponents))
        with mpmath.workdps(self.digits):
            return float(max(abs(g - t) for g, t in zip(self(points), self.target(points), strict=True)))


class ExactPoints:
    """Input rows as mpmath numbers (each float taken exactly), with the offset sums t_m . x of a stencil
    computed once: a scan evaluates one set of points at many scales."""

    def __init__(self, rows: list[tuple[mpmath.mpf, ...]]):
        self.rows = rows
        self._cache: dict[tuple, object] = {}

    def offset_sums(self, stencil: Stencil) -> tuple[list[tuple[mpmath.mpf, ...]], frozenset]:
        """t_m . x for every row and unit m, exact (integer offsets times floats, summed without rounding),
        and the set of their distinct values (on a grid, few: sigma is computed once for each)."""
        key = ("sums", stencil)
        if key not in self._cache:
            offsets = [[int(t) for t in row] for row in stencil.offsets]
            with mpmath.workprec(4096):  # far beyond any sum of a few scaled floats: exact
                sums = [tuple(+mpmath.fsum(t * xi for t, xi in zip(unit, row, strict=True)) for unit in offsets)
                        for row in self.rows]
            self._cache[key] = (sums, frozenset(itertools.chain(*sums)))
        return self._cache[key]

    def monomial(self, exponents: tuple[int, ...], digits: int) -> list[mpmath.mpf]:
        """x^r at every row, to ``digits`` digits."""
        key = ("monomial", tuple(exponents), digits)
        if key not in self._cache:
            with mpmath.workdps(digits):
                self._cache[key] = [mpmath.fprod(xi**r for xi, r in zip(row, exponents, strict=True))
                                    for row in self.rows]
        return self._cache[key]


def exact_points(x, n: int) -> ExactPoints:
    """Rows of ``x`` (a tensor, nested sequences of floats, or :class:`ExactPoints`) with ``n`` inputs each."""
    if isinstance(x, ExactPoints):
        if any(len(row) != n for row in x.rows):
            raise InvalidArgumentError(f"a gate of {n} inputs takes rows of {n} numbers.")
        return x
    values = x.detach().cpu().double().tolist() if isinstance(x, torch.Tensor) else [list(r) for r in x]
    if not values or any(len(row) != n for row in values):
        raise InvalidArgumentError(f"a gate of {n} inputs takes rows of {n} numbers; got shape "
                                   f"{tuple(x.shape) if isinstance(x, torch.Tensor) else len(values)}.")
    if not all(math.isfinite(v) for row in values for v in row):
        raise InvalidArgumentError("the inputs must be finite numbers.")
    return ExactPoints([tuple(mpmath.mpf(v) for v in row) for row in values])


def multiprecision_gate(gate: StencilGate, digits: int, *, bias=None) -> MultiprecisionGate:
    """``gate`` (a float :class:`StencilGate`) in mpmath at ``digits`` significant digits.

    The bias is the float gate's, exactly, except for an order-4 gate, whose bias is a zero of
    sigma^(p+2) known to float precision only: it is refined to that zero at 50 digits
    (:meth:`~deepcheap.activations.Activation.zero_of_derivative`). ``bias`` overrides both.
    """
    if not isinstance(gate, StencilGate):
        raise InvalidArgumentError(f"multiprecision_gate takes a smooth stencil gate (e.g. gates.product_gate()); "
                                   f"got {type(gate).__name__}.")
    digits = arithmetic(f"mp{check_int_range('digits', digits, MIN_DIGITS, EXACT_DIGITS)}").digits
    if bias is None:
        k = gate.stencil.degree + 2
        bias = gate.activation.zero_of_derivative(k, gate.bias) if gate.order == 4 else gate.bias
    with mpmath.workdps(EXACT_DIGITS):  # mpf() rounds to the working precision
        bias = mpmath.mpf(bias)
    return MultiprecisionGate(gate.stencil, gate.activation, bias, float(gate.scale), digits)

