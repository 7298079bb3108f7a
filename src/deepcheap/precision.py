"""Floating-point error model of stencil gates, the choice of scale and bias from it, and what it predicts.

A stencil gate (see :mod:`deepcheap.stencils`) evaluated at scale lambda has two errors:

* truncation, a power series sum_e C_e lambda^e (e = 2, 4, ... for central stencils) whose
  coefficients are exact: C_e = |c_{p+e} / c_p| * sum_q |K_q| R^(p+e) on the box |x_i| <= R;
* rounding: each hidden unit is computed with absolute error about eps times its size,
  eps * (|sigma(b)| + |b sigma'(b)| + a |sigma'(b)| + a^2 |sigma''(b)| / 2) with a = lambda |t|_1 R
  the largest input deviation, and the read-out multiplies it
  by sum_m |w_m| / (|c_p| lambda^p (p!/r!) N), which grows like lambda^-p.

Minimising their sum gives lambda ~ eps^(1/(p+e)): eps^(1/4) for the 2-4-1 gate (e = 2) and
eps^(1/6) for the 4th-order gate (e = 4), as in the table of related-work.md. What follows from it
(:func:`floor_exponent`, :func:`weight_exponent`) is what claims C02 and C04 measure.

>>> import torch
>>> from deepcheap.activations import get_activation
>>> from deepcheap.stencils import central_stencil
>>> model = stencil_error_model(get_activation("softplus"), central_stencil((1, 1)), 0.0, 1.0, torch.float64)
>>> 1e-4 < model.best_scale() < 1e-3
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from scipy.optimize import brentq, minimize_scalar

from deepcheap.activations import Activation, get_activation, require_smooth
from deepcheap.errors import InvalidArgumentError, UnsupportedActivationError
from deepcheap.stencils import Stencil, box_bound, central_stencil, error_terms

_DTYPES = {
    "float64": torch.float64,
    "double": torch.float64,
    "float32": torch.float32,
    "float": torch.float32,
    "float16": torch.float16,
    "half": torch.float16,
    "bfloat16": torch.bfloat16,
}

MAX_EXTRA_ORDER = 6  # truncation terms kept beyond the leading one


def resolve_dtype(dtype: str | torch.dtype | None) -> torch.dtype:
    """``torch.float64``, ``"float64"``, ``"float32"``... -> a floating torch dtype."""
    if dtype is None:
        return torch.float64
    if isinstance(dtype, torch.dtype):
        if not dtype.is_floating_point:
            raise InvalidArgumentError(f"dtype must be a floating type; got {dtype}.")
        return dtype
    key = str(dtype).replace("torch.", "").strip().lower()
    if key not in _DTYPES:
        raise InvalidArgumentError(
            f"unknown dtype {dtype!r}; use float64 (default, exact constructions) or float32."
        )
    return _DTYPES[key]


def resolve_device(device) -> torch.device | None:
    """None (the default device), or a torch device that exists here ('cpu', 'cuda', 'cuda:0', a torch.device)."""
    if device is None:
        return None
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise InvalidArgumentError(f"unknown device {device!r}; use 'cpu' or 'cuda' (or 'cuda:N').") from None
    if resolved.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise InvalidArgumentError(f"device {device!r} asks for CUDA, which this torch/machine does not have; "
                                       "use device='cpu' (or leave it out).")
        if resolved.index is not None and resolved.index >= count:
            raise InvalidArgumentError(f"device {device!r} does not exist: this machine has {count} CUDA "
                                       f"device(s), cuda:0..cuda:{count - 1}.")
    elif resolved.type not in ("cpu", "meta"):
        raise InvalidArgumentError(f"device {device!r} is not supported; use 'cpu' or 'cuda'.")
    return resolved


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).replace("torch.", "")


def machine_epsilon(dtype: str | torch.dtype | None) -> float:
    """Spacing of floats at 1 (2.2e-16 for float64, 1.2e-7 for float32)."""
    return float(torch.finfo(resolve_dtype(dtype)).eps)


@dataclass(frozen=True)
class StencilErrorModel:
    """error(lambda) = sum_e truncation[e] lambda^e + sum_j rounding[j] lambda^j / lambda^p."""

    degree: int
    truncation: dict[int, float]
    rounding: tuple[float, float, float]  # eps * gain * (s0, s1, s2)
    max_scale: float

    def truncation_error(self, scale: float) -> float:
        return sum(c * scale**e for e, c in self.truncation.items())

    def rounding_error(self, scale: float) -> float:
        s0, s1, s2 = self.rounding
        return (s0 + scale * (s1 + scale * s2)) / scale**self.degree

    def error(self, scale: float) -> float:
        return self.truncation_error(scale) + self.rounding_error(scale)

    @property
    def leading_order(self) -> int | None:
        """Smallest e with a non-negligible truncation coefficient (None: exact activation)."""
        nonzero = [e for e, c in sorted(self.truncation.items()) if c > 1e-12 * max(self.truncation.values())]
        return nonzero[0] if nonzero else None

    def best_scale(self) -> float:
        """The lambda minimising :meth:`error` on (0, max_scale]: a log grid, then refined."""
        if self.leading_order is None:
            return self.max_scale  # exact activation: the largest scale has the least rounding
        lowest = min(-14.0, math.log10(self.max_scale) - 14.0)
        if self.rounding[0] > 0:  # more digits than float64 (mpmath): the optimum ~ rounding^(1/(p+2)) lies lower
            lowest = min(lowest, math.log10(self.rounding[0]) / (self.degree + 2) - 3.0)
        grid = np.logspace(lowest, math.log10(self.max_scale), 281)
        errors = np.array([self.error(lam) for lam in grid])
        i = int(np.argmin(errors))
        lo, hi = math.log(grid[max(i - 1, 0)]), math.log(grid[min(i + 1, len(grid) - 1)])
        result = minimize_scalar(
            lambda t: self.error(math.exp(t)), bounds=(lo, hi), method="bounded",
            options={"xatol": 1e-8},
        )
        best = math.exp(result.x)
        return best if self.error(best) <= errors[i] else float(grid[i])

    def best_error(self) -> float:
        return self.error(self.best_scale())


def stencil_error_model(activation, stencil: Stencil, bias: float, radius: float,
                        dtype: torch.dtype | None, *, max_extra: int = MAX_EXTRA_ORDER,
                        eps: float | None = None) -> StencilErrorModel:
    """The error model of ``stencil`` built on ``activation`` at ``bias``, inputs in [-radius, radius].

    ``eps`` (optional) replaces the dtype's machine epsilon: the same gate in other arithmetic (mpmath at
    some number of digits, :mod:`deepcheap.gates.multiprecision`).
    """
    p = stencil.degree
    coeffs = activation.taylor(bias, p + max_extra)
    if abs(coeffs[p]) <= _negligible(coeffs[: p + 1]):
        raise UnsupportedActivationError(
            f"{activation.name} has sigma^({p})(b) = 0 at b = {float(bias):g}, so this stencil cannot "
            "isolate its monomial there; choose another bias (or let deepcheap choose it)."
        )
    bounds = box_bound(_terms(stencil, max_extra), stencil, radius)
    truncation = {e: abs(coeffs[p + e] / coeffs[p]) * b for e, b in bounds.items()}
    eps = machine_epsilon(dtype) if eps is None else eps
    d0, d1, d2 = activation.derivatives(bias, 2)
    bias = float(bias)  # an mpmath bias (a zero of sigma^(p+2) to 50 digits) gives exact Taylor ratios above
    gain = eps * float(np.abs(stencil.weights).sum()) / (abs(coeffs[p]) * float(stencil.leading_factor))
    reach = float(np.abs(stencil.offsets).sum(axis=1).max()) * radius
    return StencilErrorModel(
        degree=p,
        truncation=truncation,
        rounding=(gain * (abs(d0) + abs(bias * d1)), gain * abs(d1) * reach, gain * abs(d2) * reach**2 / 2),
        max_scale=1.0 / reach,
    )


@lru_cache(maxsize=256)
def _terms(stencil: Stencil, max_extra: int):
    return error_terms(stencil, max_extra)


def _negligible(values) -> float:
    return 1e-12 * max(abs(v) for v in values) if values else 0.0


# --- what the model predicts ----------------------------------------------------------------


def floor_exponent(order: int, degree: int = 2) -> float:
    """The exponent a in floor ~ eps^a: the best error a gate reaches in arithmetic of precision eps.

    Truncation c_t lambda^e (e = ``order``: 2 for the paper's gate, 4 with the bias at a zero of
    sigma'''') plus rounding c_r eps / lambda^p (p = ``degree``, 2 for a product) is smallest where
    e c_t lambda^e = p c_r eps / lambda^p, i.e. at lambda* ~ eps^(1/(e+p)), and there both terms are
    ~ eps^(e/(e+p)): a = 1/2 for the paper's 2-4-1 gate, 2/3 for the order-4 gate. The prefactors
    depend on sigma and the bias, not on eps, so the same gate in float32, float64 or mpmath at any
    number of digits should follow this one power.

    >>> floor_exponent(2), round(floor_exponent(4), 4)
    (0.5, 0.6667)
    """
    return order / (order + degree)


def best_scale_exponent(order: int, degree: int = 2) -> float:
    """lambda* ~ eps^(1/(order + degree)) (see :func:`floor_exponent`)."""
    return 1.0 / (order + degree)


def weight_exponent(order: int, degree: int = 2) -> float:
    """The exponent w in weights ~ error^w of a gate that meets a requested error by its scale alone.

    In the truncation regime the error is c_t lambda^e (e = ``order``), so an error eps takes
    lambda ~ eps^(1/e), and the read-out weights w_m / (c_p lambda^p (p!/r!) N) grow like
    lambda^-p ~ eps^(-p/e): eps^-1 for the paper's gate (e = p = 2), eps^-1/2 for the order-4 gate.
    Corollary 1 fixes the neurons; this is what pays for accuracy instead.

    >>> weight_exponent(2), weight_exponent(4)
    (-1.0, -0.5)
    """
    return -degree / order


# --- choosing the bias ----------------------------------------------------------------------


def best_bias(activation: str | Activation, order: int = 2) -> float:
    """The bias at which the 2-4-1 product gate of the given order is most accurate in float64.

    ``order=2``: the bias in [-4, 4] that minimises the gate's rounding error relative to its
    isolated coefficient sigma''(b) / 2 (see :func:`search_bias`). ``order=4``: the zero of sigma''''
    in [-6, 6] with sigma''(b) != 0 whose full error model has the smallest optimum.
    Raises :class:`UnsupportedActivationError` when no usable bias exists (ReLU; exp at order 4).

    >>> round(best_bias("softplus", order=4), 4)         # a zero of sigma'''' with sigma'' != 0
    -1.317
    """
    act = get_activation(activation)
    if order not in (2, 4):
        raise InvalidArgumentError(
            f"order must be 2 (the paper's gate) or 4 (bias at a zero of sigma''''); got {order!r}."
        )
    require_smooth(act, "the 2-4-1 product gate")
    return search_bias(act, central_stencil((1, 1)), order=order)


_GRID = np.round(np.arange(-4.0, 4.0 + 1e-9, 0.05), 10)
_ROOT_GRID = np.round(np.arange(-6.0, 6.0 + 1e-9, 0.01), 10)


def search_bias(activation, stencil: Stencil, *, order: int = 2,
                dtype: str | torch.dtype | None = torch.float64, radius: float = 1.0) -> float:
    """The bias b at which ``stencil`` built on ``activation`` is most accurate.

    ``order=2`` (the paper's gates): minimise the rounding error relative to the isolated Taylor
    coefficient, eps (|sigma(b)| + |b sigma'(b)| + lambda0 |t|_1 R |sigma'(b)|) / |c_p(b)|, at the
    dtype's typical scale lambda0 = eps^(1/(p+2)), over b in [-4, 4]. The truncation coefficient
    is left out on purpose: including it would drift to a zero of sigma^(p+2), i.e. order 4.
    ``order=4``: among the zeros of sigma^(p+2) in [-6, 6] with c_p(b) != 0, the one whose full
    error model (truncation lambda^4 and beyond, plus rounding) has the smallest optimum.
    ``order=None``: the best bias overall by the full error model, over the grid and the zeros of
    sigma^(p+1) and sigma^(p+2) (used for identity neurons, where no order is prescribed).
    """
    key = None if order is None else int(order)
    return _search_bias_cached(activation.name, stencil, key, resolve_dtype(dtype), float(radius))


@lru_cache(maxsize=512)
def _search_bias_cached(name: str, stencil: Stencil, order: int | None, dtype: torch.dtype,
                        radius: float) -> float:
    act = get_activation(name)
    p = stencil.degree
    eps = machine_epsilon(dtype)
    if order == 4:
        return _best_vanishing_bias(act, stencil, p + 2, dtype, radius)
    if order is None:
        candidates = [float(b) for b in _GRID]
        for k in (p + 1, p + 2):
            candidates += _roots_of_derivative(act, k) or []
        return _best_by_model(act, stencil, candidates, dtype, radius)
    if order != 2:
        raise InvalidArgumentError(f"order must be 2 or 4; got {order!r}.")

    reach = float(np.abs(stencil.offsets).sum(axis=1).max()) * radius
    lam0 = eps ** (1.0 / (p + 2))

    def rounding_ratio(b: float) -> float:
        d = act.derivatives(b, p)
        cp = abs(d[p]) / math.factorial(p)
        if cp <= _negligible([x / math.factorial(i) for i, x in enumerate(d)]):
            return math.inf
        return (abs(d[0]) + abs(b * d[1]) + lam0 * reach * abs(d[1])) / cp

    values = np.array([rounding_ratio(float(b)) for b in _GRID])
    if not np.isfinite(values).any():
        raise UnsupportedActivationError(
            f"{act.name} has sigma^({p}) = 0 for every bias in [-4, 4]; this gate needs it nonzero."
        )
    # Near-ties (within 1%) go to the smallest |b|: no bias when none is needed (Eq. 11).
    near_best = np.nonzero(values <= 1.01 * values.min())[0]
    return float(_GRID[near_best[np.argmin(np.abs(_GRID[near_best]))]]) + 0.0  # no -0.0


def _roots_of_derivative(act, k: int) -> list[float] | None:
    """Zeros of sigma^(k) in [-6, 6] (sign changes on a grid, then Brent); None if sigma^(k) == 0."""
    values = np.array([act.derivatives(float(b), k)[k] for b in _ROOT_GRID])
    if not values.any():
        return None
    roots = [float(b) for b, v in zip(_ROOT_GRID, values, strict=True) if v == 0.0]
    for j in np.nonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0)[0]:
        roots.append(brentq(lambda b: act.derivatives(b, k)[k], _ROOT_GRID[j], _ROOT_GRID[j + 1], xtol=1e-15))
    return roots


def _best_by_model(act, stencil: Stencil, candidates, dtype, radius: float) -> float | None:
    """The candidate bias with the smallest optimum of the full error model (ties: smallest |b|)."""
    scored = []
    for b in candidates:
        try:
            scored.append((stencil_error_model(act, stencil, b, radius, dtype).best_error(), abs(b), b))
        except UnsupportedActivationError:
            continue
    if not scored:
        return None
    best = min(s[0] for s in scored)
    return min((s for s in scored if s[0] <= 1.01 * best), key=lambda s: s[1])[2] + 0.0


def _best_vanishing_bias(act, stencil: Stencil, k: int, dtype: torch.dtype, radius: float) -> float:
    """Zeros of sigma^(k) with c_p != 0, ranked by the full error model's optimum."""
    p = stencil.degree
    roots = _roots_of_derivative(act, k)
    if roots is None:  # sigma^(k) vanishes identically (the quadratic activation): any bias will do
        return search_bias(act, stencil, order=2, dtype=dtype, radius=radius)
    best = _best_by_model(act, stencil, roots, dtype, radius)
    if best is None:
        raise UnsupportedActivationError(
            f"{act.name} has no bias in [-6, 6] where sigma^({k})(b) = 0 and sigma^({p})(b) != 0, "
            f"so no order-4 gate exists for it; use order=2, or softplus, sigmoid or tanh for order 4."
        )
    return float(best)
