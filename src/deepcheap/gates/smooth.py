"""Smooth gates: products, squares, identities and shallow monomials from one stencil construction.

>>> import torch
>>> from deepcheap.gates import product_gate
>>> gate = product_gate("softplus")                # the paper's 2-4-1 gate, Theorem 1
>>> gate.neurons, gate.synapses
(4, 12)
>>> x = torch.tensor([[0.3, -0.7]], dtype=torch.float64)
>>> abs(float(gate(x)) - 0.3 * -0.7) < 1e-8
True

Every gate here is sum_m a_m sigma(b + lambda t_m . x) with the offsets t_m and read-out weights
of a finite-difference stencil (:mod:`deepcheap.stencils`): a_m = w_m / (c_p lambda^p (p!/r!) N),
c_p = sigma^(p)(b)/p!. The first layer's weights are lambda t_m, the read-out weights grow like
lambda^-p: the price of accuracy is weight size, not neurons (Corollary 1).
"""

from __future__ import annotations

import math
from functools import lru_cache

import mpmath
import numpy as np
import torch

from deepcheap.activations import EXACT_DIGITS, Activation, get_activation, require_smooth
from deepcheap.errors import (
    InvalidArgumentError,
    UnsupportedActivationError,
    check_choice,
    check_domain,
    check_finite,
    check_int_range,
    check_positive,
)
from deepcheap.gates.base import Gate, dense, radius
from deepcheap.precision import MAX_EXTRA_ORDER, dtype_name, resolve_dtype, search_bias, stencil_error_model
from deepcheap.stencils import Stencil, central_stencil, forward_stencil

MAX_SHALLOW_INPUTS = 12
_LOG_BUDGET = 300.0  # log10 of the largest intermediate the float64 error model may form


class StencilGate(Gate):
    """One hidden layer sigma(b + lambda t_m . x), read out as the monomial x^r.

    Units whose offset is zero output the constant sigma(b); they are folded into the output
    bias unless ``keep_constant_units`` (the bias-free form of Rolnick & Tegmark).
    """

    def __init__(self, stencil: Stencil, activation: Activation, bias: float, scale: float, *,
                 domain, dtype, device=None, keep_constant_units: bool = False, name: str = "gate",
                 order: int | None = None):
        self.stencil = stencil
        self.activation = activation
        self.order = order  # 4: the bias is a zero of sigma^(p+2) (the lambda^2 term vanishes)
        w1, b1, readout, constant = stencil_weights(stencil, activation, bias, scale, keep_constant_units)
        first = dense(w1, b1 if bias else None, dtype=dtype, device=device)
        folded = constant != 0.0 or (len(readout) < stencil.units)
        second = dense(readout[None, :], [constant] if folded else None, dtype=dtype, device=device)
        super().__init__(first, activation.module(), second)
        self.n_inputs = len(stencil.exponents)
        self.scale = float(scale)
        self.bias = float(bias)
        self.domain = domain
        self.name = name

    def target(self, x: torch.Tensor) -> torch.Tensor:
        exps = torch.tensor(self.stencil.exponents, dtype=x.dtype, device=x.device)
        return torch.prod(x**exps, dim=-1)

    def predicted_error(self, domain=None, dtype=None) -> float:
        """Truncation (exact series on the box) plus modelled rounding at this gate's scale."""
        model = stencil_error_model(self.activation, self.stencil, self.bias,
                                    radius(check_domain(domain or self.domain)), resolve_dtype(dtype or self.dtype))
        return model.error(self.scale)

    @property
    def output_weight(self) -> float:
        """Largest read-out weight magnitude (grows like scale^-p)."""
        return float(self[2].weight.abs().max())


def stencil_weights(stencil: Stencil, activation: Activation, bias: float, scale: float,
                    keep_constant_units: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Exact float64 weights of a stencil gate: (W1 = scale * offsets, b1, read-out, output constant).

    Read-out a_m = w_m / (c_p scale^p (p!/r!) N); constant units (zero offset) are folded into the
    output constant unless ``keep_constant_units``.
    """
    w1, b1, readout, constant = _stencil_weights(stencil, activation.name, float(bias), float(scale),
                                                 bool(keep_constant_units))
    return w1.copy(), b1.copy(), readout.copy(), constant


def readout_denominator(stencil: Stencil, activation: Activation, bias, scale) -> mpmath.mpf:
    """c_p scale^p (p!/r!) N in mpmath at the caller's precision: read-out weight m is w_m over it."""
    p = stencil.degree
    c_p = activation.taylor(bias, p, exact=True)[p]
    factor = stencil.leading_factor
    return c_p * mpmath.mpf(scale) ** p * int(factor.numerator) / int(factor.denominator)


@lru_cache(maxsize=4096)
def _stencil_weights(stencil: Stencil, name: str, bias: float, scale: float, keep_constant_units: bool):
    activation = get_activation(name)
    keep = np.ones(stencil.units, dtype=bool) if keep_constant_units else ~stencil.constant_units
    with mpmath.workdps(EXACT_DIGITS):
        denominator = float(readout_denominator(stencil, activation, bias, scale))
    readout = stencil.weights[keep] / denominator
    sigma_b = float(activation(torch.tensor(bias, dtype=torch.float64)))
    constant = float(stencil.weights[~keep].sum() / denominator * sigma_b)
    w1 = scale * stencil.offsets[keep].astype(np.float64)
    return w1, np.full(int(keep.sum()), float(bias)), readout, constant


def stencil_gate(stencil: Stencil, activation="softplus", *, order: int | None = 2, dtype=None,
                 scale=None, bias=None, domain=(-1.0, 1.0), device=None,
                 keep_constant_units: bool = False, name: str = "gate") -> StencilGate:
    """Build a :class:`StencilGate`, choosing bias and scale for ``dtype`` and ``domain`` unless given."""
    act = get_activation(activation)
    dtype = resolve_dtype(dtype)
    domain = check_domain(domain)
    R = radius(domain)
    _check_radius(R, stencil.degree)
    if bias is None:
        bias = search_bias(act, stencil, order=order, dtype=dtype, radius=R)
    else:
        bias = check_finite("bias", bias)
        if order == 4:
            _require_vanishing(act, bias, stencil.degree + 2)
    if scale is not None:
        scale = _check_scale(check_positive("scale", scale), stencil.degree, R, dtype)
    model = stencil_error_model(act, stencil, bias, R, dtype)
    scale = model.best_scale() if scale is None else scale
    return StencilGate(stencil, act, bias, scale, domain=domain, dtype=dtype, device=device,
                       keep_constant_units=keep_constant_units, name=name, order=order)


def _check_radius(R: float, p: int) -> None:
    """The error model takes |x|^(p + MAX_EXTRA_ORDER) on the box: it must stay within float64."""
    limit = 10.0 ** (_LOG_BUDGET / (p + MAX_EXTRA_ORDER))
    if 1.0 / limit > R:
        raise InvalidArgumentError(
            f"inputs only up to |x| = {R:.3g} are below what a degree-{p} gate can represent: its error model takes "
            f"|x|^{p + MAX_EXTRA_ORDER} and scales up to 1/|x|, so float64 needs |x| >= {1 / limit:.3g}. Rescale the "
            "inputs (build the gate on [-1, 1] and feed it x / R).")
    if limit < R:
        raise InvalidArgumentError(
            f"inputs up to |x| = {R:.3g} are beyond what a degree-{p} gate can represent: its error model takes "
            f"|x|^{p + MAX_EXTRA_ORDER}, so float64 needs |x| <= {limit:.3g}. Rescale the inputs (build the gate "
            f"on [-1, 1], feed it x / R and multiply its output by R^{p}).")


def _check_scale(scale: float, p: int, R: float, dtype) -> float:
    """lambda within (read-out weights ~ lambda^-p representable in dtype, truncation (lambda R)^k R^p finite)."""
    budget = math.log10(torch.finfo(dtype).max) - 8
    lo = 10.0 ** (-budget / p)
    hi = 10.0 ** ((_LOG_BUDGET - p * max(math.log10(R), 0.0)) / MAX_EXTRA_ORDER) / R
    if not lo <= scale <= hi:
        raise InvalidArgumentError(
            f"scale = {scale:.3g} is outside the range this gate can represent in {dtype_name(dtype)} on inputs up "
            f"to |x| = {R:.3g}: [{lo:.3g}, {hi:.3g}] (its read-out weights grow like scale^-{p}); omit the scale to "
            "let deepcheap choose the most accurate one.")
    return scale


def _require_vanishing(act: Activation, bias: float, k: int) -> None:
    d = act.derivatives(bias, k)
    if abs(d[k]) > 1e-9 * max(1.0, max(abs(v) for v in d)):
        raise InvalidArgumentError(
            f"order=4 needs sigma^({k})(bias) = 0, but {act.name} has sigma^({k})({bias:g}) = {d[k]:.3g}; "
            "omit bias to let deepcheap find such a bias, or use order=2."
        )


def _check_order(order) -> int:
    return check_choice("order", order, (2, 4))


def product_gate(activation="softplus", order: int = 2, dtype=torch.float64, scale=None, *,
                 bias=None, domain=(-1.0, 1.0), device=None) -> StencilGate:
    """The 2-4-1 multiplication gate of Theorem 1 (Eq. 11): (N, 2) -> (N,) ~ u v.

    ``order=2``: the paper's gate, error ~ lambda^2 sigma''''/(6 sigma'') u v (u^2 + v^2).
    ``order=4``: the same 4 neurons at a bias where sigma''''(b) = 0; error ~ lambda^4.
    ``scale=None`` balances truncation against rounding for ``dtype`` on ``domain``.
    """
    act = get_activation(activation)
    require_smooth(act, "the smooth product gate")
    return stencil_gate(central_stencil((1, 1)), act, order=_check_order(order), dtype=dtype, scale=scale,
                        bias=bias, domain=domain, device=device, name=f"product-order{order}")


def square_gate(activation="softplus", order: int = 2, dtype=torch.float64, scale=None, *,
                bias=None, bias_free: bool = False, domain=(-1.0, 1.0), device=None) -> StencilGate:
    """x^2 from 2 neurons and an output bias: [sigma(b + l x) + sigma(b - l x) - 2 sigma(b)] / (l^2 sigma''(b)).

    ``bias_free=True`` is Rolnick & Tegmark's 3-neuron form with no biases anywhere: the
    constant sigma(0) comes from a third neuron with zero input weight; it needs sigma''(0) != 0.
    """
    act = get_activation(activation)
    require_smooth(act, "the smooth square gate")
    order = _check_order(order)
    if bias_free:
        if bias not in (None, 0, 0.0):
            raise InvalidArgumentError("bias_free=True fixes the bias at 0; drop bias= or set bias_free=False.")
        if act.derivatives(0.0, 2)[2] == 0.0:
            raise UnsupportedActivationError(
                f"{act.name} has sigma''(0) = 0, so the bias-free square gate cannot work; "
                "use bias_free=False (a bias shift) or softplus/exp."
            )
        bias = 0.0
    return stencil_gate(central_stencil((2,)), act, order=order, dtype=dtype, scale=scale, bias=bias,
                        domain=domain, device=device, keep_constant_units=bias_free,
                        name="square-bias-free" if bias_free else "square")


def identity_gate(activation="softplus", neurons: int = 2, dtype=torch.float64, scale=None, *,
                  bias=None, domain=(-1.0, 1.0), device=None) -> StencilGate:
    """Pass-through neurons for strict MLPs: (N, 1) -> (N,) ~ x.

    ``neurons=2``: [sigma(b + l x) - sigma(b - l x)] / (2 l sigma'(b)); exact for softplus at b = 0
    (softplus(z) - softplus(-z) = z) and for ReLU. ``neurons=1``: [sigma(b + l x) - sigma(b)] / (l sigma'(b)),
    error O(l) unless sigma''(b) = 0. The bias minimises the full error model.
    """
    act = get_activation(activation)
    neurons = check_choice("neurons", neurons, (1, 2))
    stencil = central_stencil((1,)) if neurons == 2 else forward_stencil((1,))
    domain = check_domain(domain)
    if not act.smooth:  # ReLU: exact while every unit stays on its linear piece
        bias = 1.0 if bias is None else check_positive("bias", bias)
        limit = bias / radius(domain)
        scale = limit if scale is None else check_positive("scale", scale)
        if scale > limit * (1 + 1e-12):
            raise InvalidArgumentError(
                f"a ReLU identity needs scale * radius <= bias ({limit:g} here) to stay linear; lower scale."
            )
        return StencilGate(stencil, act, bias, scale, domain=domain, dtype=resolve_dtype(dtype),
                           device=device, name=f"identity-{neurons}")
    return stencil_gate(stencil, act, order=None, dtype=dtype, scale=scale, bias=bias, domain=domain,
                        device=device, name=f"identity-{neurons}")


def monomial_gate(exponents, activation="softplus", order: int = 2, dtype=torch.float64, scale=None, *,
                  bias=None, domain=(-1.0, 1.0), device=None, bias_free: bool = False) -> StencilGate:
    """x1^r1 ... xn^rn with one hidden layer of prod(r_i + 1) units (Rolnick & Tegmark's m_1 bound).

    Units with a zero offset (all r_i even) output a constant; they become the output bias
    unless ``bias_free``.
    """
    act = get_activation(activation)
    require_smooth(act, "a shallow monomial gate")
    stencil = central_stencil(tuple(exponents))
    units = math.prod(r + 1 for r in stencil.exponents)
    if units > 2**MAX_SHALLOW_INPUTS:
        raise InvalidArgumentError(
            f"a shallow gate for exponents {stencil.exponents} needs {units} neurons; the limit is "
            f"{2**MAX_SHALLOW_INPUTS}. Use a deep network (deepcheap.compile) instead."
        )
    return stencil_gate(stencil, act, order=_check_order(order), dtype=dtype, scale=scale, bias=bias,
                        domain=domain, device=device, keep_constant_units=bias_free,
                        name=f"monomial{stencil.exponents}")


def shallow_product_gate(n: int, activation="softplus", order: int = 2, dtype=torch.float64, scale=None, *,
                         bias=None, domain=(-1.0, 1.0), device=None) -> StencilGate:
    """x1 x2 ... xn with one hidden layer of 2^n neurons: the sign-sum construction of Appendix A,

        P(x) = [2^n n! sigma_n lambda^n]^-1 sum_{s in {+-1}^n} (prod s_i) sigma(b + lambda s . x),

    exact up to O(lambda^2); the paper proves 2^n is also necessary (Taylor sense). n <= 12.
    """
    n = check_int_range("n", n, 1, MAX_SHALLOW_INPUTS,
                        hint=f"2^n neurons grow fast: n = 12 already needs {2**MAX_SHALLOW_INPUTS}.")
    return monomial_gate((1,) * n, activation, order, dtype, scale, bias=bias, domain=domain, device=device)
