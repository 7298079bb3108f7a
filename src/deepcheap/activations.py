"""Activation registry: each activation's torch function and its exact Taylor coefficients.

>>> from deepcheap.activations import get_activation
>>> softplus = get_activation("softplus")
>>> [round(c, 6) for c in softplus.taylor(0.0, 4)]   # ln 2, 1/2, 1/8, 0, -1/192
[0.693147, 0.5, 0.125, 0.0, -0.005208]
>>> round(float(softplus.zero_of_derivative(4, near=-1.3, tolerance=0.1)), 12)   # the order-4 bias
-1.316957896925

Derivatives are exact: each activation's k-th derivative is written in closed form through a
recurrence (sigmoid: polynomials in s with s' = s(1 - s); tanh: polynomials in t with
t' = 1 - t^2; gelu: Hermite polynomials times the normal density), evaluated in mpmath at
:data:`EXACT_DIGITS` significant digits. ``taylor(b, k)`` returns c_j = sigma^(j)(b) / j! for j = 0..k.

The multiplication gates need sigma''(b) != 0 (Theorem 1); the 4th-order gate also needs
sigma''''(b) = 0. Choosing the bias is the error model's job (:func:`deepcheap.precision.best_bias`):
this module imports nothing from deepcheap but its errors. ReLU is registered for negative
demonstrations: its second derivative vanishes wherever it is smooth, so no smooth gate can be built from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import mpmath
import torch
import torch.nn.functional as F
from torch import nn

from deepcheap.errors import InvalidArgumentError, UnsupportedActivationError

EXACT_DIGITS = 50  # working precision (decimal digits) of the derivative evaluations

Derivatives = Callable[[mpmath.mpf, int], list]


@dataclass(frozen=True)
class Activation:
    """A registered activation: torch function, exact derivatives and properties.

    ``smooth``: infinitely differentiable (Theorem 1 applies). ``sigmoidal``: tends to 0 at
    -inf and 1 at +inf (the bit-product neuron of Eq. 13 needs this).
    """

    name: str
    description: str
    torch_fn: Callable[[torch.Tensor], torch.Tensor] = field(repr=False)
    exact_derivatives: Derivatives = field(repr=False)
    smooth: bool = True
    sigmoidal: bool = False

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.torch_fn(x)

    def module(self) -> ActivationModule:
        """This activation as an ``nn.Module`` (for ``nn.Sequential`` networks)."""
        return ActivationModule(self.name)

    def derivatives(self, bias: float, k_max: int, *, exact: bool = False) -> list:
        """[sigma(b), sigma'(b), ..., sigma^(k_max)(b)] as floats (or mpmath numbers)."""
        values = _derivatives_cached(self.name, _as_key(bias), int(k_max))
        return list(values) if exact else [float(v) for v in values]

    def taylor(self, bias: float, order: int, *, exact: bool = False) -> list:
        """Taylor coefficients c_j = sigma^(j)(b) / j! for j = 0..order."""
        with mpmath.workdps(EXACT_DIGITS):
            values = [
                d / mpmath.factorial(j)
                for j, d in enumerate(self.derivatives(bias, order, exact=True))
            ]
        return values if exact else [float(v) for v in values]

    def exact(self, z) -> mpmath.mpf:
        """sigma(z) in mpmath at the caller's working precision (``mpmath.workdps``)."""
        return self.exact_derivatives(mpmath.mpf(z), 0)[0]

    def zero_of_derivative(self, k: int, near: float, *, tolerance: float = 1e-6) -> mpmath.mpf:
        """The zero of sigma^(k) within ``tolerance`` of ``near``, to :data:`EXACT_DIGITS` digits (Newton).

        A float bias at a zero of sigma'''' (the order-4 gate) is exact only to ~1e-16; arithmetic with
        more digits needs the zero itself, or the lambda^2 term comes back with a 1e-16 coefficient.
        """
        with mpmath.workdps(EXACT_DIGITS):
            b = mpmath.mpf(near)
            for _ in range(60):
                d = self.derivatives(b, k + 1, exact=True)
                if d[k + 1] == 0:
                    break
                step = d[k] / d[k + 1]
                b -= step
                if abs(step) <= mpmath.mpf(10) ** (5 - EXACT_DIGITS) * max(1, abs(b)):
                    if abs(b - mpmath.mpf(near)) <= tolerance:
                        return +b
                    break
        raise InvalidArgumentError(f"{self.name}: no zero of its derivative of order {k} within {tolerance:g} of "
                                   f"{near!r}; pass a bias that is one to float precision (e.g. the gate's bias).")


class ActivationModule(nn.Module):
    """Elementwise activation looked up by name, so networks save and load by name only."""

    def __init__(self, name: str):
        super().__init__()
        self.name = get_activation(name).name
        self._fn = get_activation(name).torch_fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fn(x)

    def extra_repr(self) -> str:
        return self.name


# --- exact derivatives through recurrences -------------------------------------------------


def _as_key(bias: float | mpmath.mpf) -> str:
    """Cache key for a bias that keeps mpmath inputs exact and floats exact."""
    if isinstance(bias, mpmath.mpf):
        with mpmath.workdps(EXACT_DIGITS):
            return mpmath.nstr(bias, EXACT_DIGITS)
    return repr(float(bias))


@lru_cache(maxsize=4096)
def _derivatives_cached(name: str, bias_key: str, k_max: int) -> tuple:
    if k_max < 0:
        raise InvalidArgumentError(f"k_max must be >= 0; got {k_max}.")
    with mpmath.workdps(EXACT_DIGITS):
        b = mpmath.mpf(bias_key)
        return tuple(_REGISTRY[name].exact_derivatives(b, k_max))


def _poly_derivative(coeffs: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(i * c for i, c in enumerate(coeffs))[1:] or (0,)


def _poly_mul(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    out = [0] * (len(a) + len(b) - 1)
    for i, ai in enumerate(a):
        for j, bj in enumerate(b):
            out[i + j] += ai * bj
    return tuple(out)


@lru_cache(maxsize=64)
def _chain_polynomials(kind: str, k_max: int) -> tuple[tuple[int, ...], ...]:
    """P_k with d^k/dx^k f = P_k(f) for f' = g(f): sigmoid g = s - s^2, tanh g = 1 - t^2."""
    g = (0, 1, -1) if kind == "sigmoid" else (1, 0, -1)
    polys = [(0, 1)]
    for _ in range(k_max):
        polys.append(_poly_mul(_poly_derivative(polys[-1]), g))
    return tuple(polys)


def _eval_poly(coeffs: tuple[int, ...], x: mpmath.mpf) -> mpmath.mpf:
    return mpmath.polyval(list(reversed(coeffs)), x)


def _sigmoid_derivatives(b, k_max):
    s = 1 / (1 + mpmath.exp(-b))
    return [_eval_poly(p, s) for p in _chain_polynomials("sigmoid", k_max)]


def _tanh_derivatives(b, k_max):
    t = mpmath.tanh(b)
    return [_eval_poly(p, t) for p in _chain_polynomials("tanh", k_max)]


def _softplus_derivatives(b, k_max):
    return [mpmath.log1p(mpmath.exp(b)), *_sigmoid_derivatives(b, k_max - 1)][: k_max + 1]


def _exp_derivatives(b, k_max):
    return [mpmath.exp(b)] * (k_max + 1)


def _silu_derivatives(b, k_max):
    s = _sigmoid_derivatives(b, k_max)  # (x s)^(k) = x s^(k) + k s^(k-1)
    return [b * s[0]] + [b * s[k] + k * s[k - 1] for k in range(1, k_max + 1)]


def _gelu_derivatives(b, k_max):
    # Phi^(j)(b) = (-1)^(j-1) He_{j-1}(b) phi(b) for j >= 1; gelu = x Phi(x).
    phi = mpmath.npdf(b)
    hermite = [mpmath.mpf(1), b]
    for n in range(1, k_max):
        hermite.append(b * hermite[n] - n * hermite[n - 1])
    big_phi = [mpmath.ncdf(b)] + [(-1) ** (j - 1) * hermite[j - 1] * phi for j in range(1, k_max + 1)]
    return [b * big_phi[0]] + [b * big_phi[k] + k * big_phi[k - 1] for k in range(1, k_max + 1)]


def _quadratic_derivatives(b, k_max):
    return ([b * b, 2 * b, mpmath.mpf(2)] + [mpmath.mpf(0)] * k_max)[: k_max + 1]


def _relu_derivatives(b, k_max):
    # Derivative at the kink taken as 0 (torch's convention); all higher derivatives vanish.
    values = [max(b, mpmath.mpf(0)), mpmath.mpf(1) if b > 0 else mpmath.mpf(0)]
    return (values + [mpmath.mpf(0)] * k_max)[: k_max + 1]


_REGISTRY: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation("softplus", "log(1 + e^x); sigma''(0) = 1/4", F.softplus, _softplus_derivatives),
        Activation("sigmoid", "1 / (1 + e^-x); needs a bias", torch.sigmoid, _sigmoid_derivatives,
                   sigmoidal=True),
        Activation("tanh", "tanh x; odd, needs a bias", torch.tanh, _tanh_derivatives),
        Activation("exp", "e^x; all derivatives equal", torch.exp, _exp_derivatives),
        Activation("silu", "x sigmoid(x) (swish)", F.silu, _silu_derivatives),
        Activation("gelu", "x Phi(x), exact erf form", F.gelu, _gelu_derivatives),
        Activation("quadratic", "x^2; multiplies exactly", torch.square, _quadratic_derivatives),
        Activation("relu", "max(0, x); sigma'' = 0: negative demonstrations only", torch.relu,
                   _relu_derivatives, smooth=False),
    ]
}

ACTIVATIONS: tuple[str, ...] = tuple(_REGISTRY)


def get_activation(activation: str | Activation) -> Activation:
    """Look an activation up by name (case-insensitive); pass an :class:`Activation` through."""
    if isinstance(activation, Activation):
        return activation
    key = str(activation).strip().lower()
    if key not in _REGISTRY:
        raise InvalidArgumentError(
            f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}."
        )
    return _REGISTRY[key]


def require_smooth(act: Activation, construction: str) -> None:
    """Refuse ReLU-like activations for constructions that rely on Taylor coefficients."""
    if not act.smooth:
        raise UnsupportedActivationError(
            f"{act.name} has sigma''(b) = 0 wherever it is smooth, so {construction} cannot "
            "work (Theorem 1 needs sigma''(b) != 0). Use a smooth activation such as softplus, "
            "or the ReLU constructions of Yarotsky: deepcheap.gates.yarotsky_square / "
            "yarotsky_product."
        )
