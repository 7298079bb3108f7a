"""Compile polynomials (Hamiltonians) into torch networks of fixed size (Corollary 1).

>>> import deepcheap
>>> net = deepcheap.compile("x*y*z + 2*x - 1", eps=1e-8)
>>> net.variables, net.neurons, net.multiplications, net.depth
(('x', 'y', 'z'), 8, 2, 2)
>>> net.max_error <= 1e-8
True

The compiler is a list of passes, one module each; each pass's output is the next one's input:

1. :mod:`~deepcheap.compiler.parse`: expression -> :class:`Polynomial` (sparse terms, variables by name)
2. :mod:`~deepcheap.compiler.plan`: polynomial -> :class:`ProductPlan` (product DAG, shared sub-products,
   balanced trees, repeated squaring; levels = earliest schedule)
3. :mod:`~deepcheap.compiler.accuracy`: ranges along the DAG, sensitivities, an error share per gate
4. :mod:`~deepcheap.compiler.strategies`: gate specs for the strategy (deep / shallow / relu / bits /
   grouped), each gate's scale the largest that meets its share -> :class:`Construction`
5. :mod:`~deepcheap.compiler.layout`: stages -> strict MLP layers with pass-through units (lazily)
6. :mod:`~deepcheap.compiler.build`: gate specs -> :class:`DagModule`; layout -> strict ``nn.Sequential``
"""

from __future__ import annotations

import math

import torch

from deepcheap.activations import get_activation
from deepcheap.compiler.build import DagModule
from deepcheap.compiler.network import CompiledNetwork
from deepcheap.compiler.parse import parse
from deepcheap.compiler.plan import ProductPlan, plan
from deepcheap.compiler.polynomial import Polynomial, coefficient_sum
from deepcheap.compiler.strategies import STRATEGIES, construct
from deepcheap.errors import InvalidArgumentError, check_choice, check_domain, check_positive
from deepcheap.gates.base import radius
from deepcheap.precision import dtype_name, resolve_device, resolve_dtype

BITS = (0.0, 1.0)  # the domain of strategy='bits'


def compile(expr, strategy: str = "deep", eps: float | None = None, domain=None, dtype=torch.float64,
            activation: str | None = None, order: int = 4, *, variables=None, device=None, groups=None,
            depth: int | None = None) -> CompiledNetwork:
    """Compile a polynomial into a network whose size does not depend on ``eps``.

    ``expr``: a sympy expression, a string ("x**2*y - 3*z") or a :class:`Polynomial`.
    ``strategy``: ``"deep"`` (smooth product gates on a balanced product DAG), ``"shallow"`` (one
    hidden layer, prod(r_i + 1) units per monomial), ``"relu"`` (Yarotsky ReLU squares; depth grows
    like log(1/eps)), ``"bits"`` (a multilinear polynomial on bits {0, 1}: one sigmoid neuron per
    monomial, Eq. 13; :func:`deepcheap.compile_boolean` builds it from a truth table). ``eps``: the
    worst-case error to guarantee on ``domain``^n (None: the best the dtype allows; 1e-6 for relu and
    bits). ``domain``: the box, (-1, 1) by default; always (0, 1) for bits. ``activation``: softplus by
    default (relu for strategy="relu", sigmoid for "bits"). ``order``: 4 puts each gate's bias at a zero
    of sigma'''' (error ~ lambda^4), 2 is the paper's gate. ``variables``: input column order (default:
    sorted by name). ``groups`` / ``depth``: the levels of strategy="grouped" (see
    :mod:`~deepcheap.compiler.strategies`).
    """
    strategy = check_choice("strategy", strategy, STRATEGIES)
    dtype, device = resolve_dtype(dtype), resolve_device(device)
    domain = _domain(strategy, domain)
    eps = None if eps is None else check_positive("eps", eps)
    act = _activation(strategy, activation)
    order = check_choice("order", order, (2, 4))
    if strategy != "grouped" and (groups is not None or depth is not None):
        raise InvalidArgumentError(f"groups= and depth= choose the levels of strategy='grouped'; drop them for "
                                   f"strategy={strategy!r}.")

    polynomial = parse(expr, variables)  # 1. parse
    _check_representable(polynomial, domain, dtype)
    product_plan = plan(polynomial)  # 2. plan
    construction = construct(product_plan, strategy, act, order, eps, dtype, radius(domain),  # 3-4. accuracy, gates
                             groups=groups, depth=depth)
    module = DagModule(construction, len(polynomial.variables), dtype=dtype, device=device)  # 6. build (5: lazily)
    return CompiledNetwork(polynomial, product_plan, construction, module, strategy, act.name,
                           None if strategy in ("relu", "bits") else order, eps, domain, dtype, device,
                           binary=strategy == "bits")


def _check_representable(polynomial: Polynomial, domain, dtype) -> None:
    """sum |c| R^degree (a bound on |p| on the box) must fit the dtype with room for the read-out weights
    (~ eps^-1/2 for a gate at its best scale) and the network's sums (100x)."""
    R = radius(domain)
    try:
        total = coefficient_sum(polynomial)
    except OverflowError:  # fsum of finite coefficients past 1.8e308
        total = math.inf
    log_bound = (math.log10(total) if total > 0 else -math.inf) + polynomial.degree * math.log10(max(R, 1.0))
    info = torch.finfo(dtype)
    limit = math.log10(info.max) + 0.5 * math.log10(info.eps) - 2
    if not log_bound <= limit:
        shown = f"1e{log_bound:.0f}" if math.isfinite(log_bound) else "infinity"
        raise InvalidArgumentError(
            f"on the domain {list(domain)} this polynomial can reach about {shown} (sum |c| R^degree with R = {R:.3g}, "
            f"degree {polynomial.degree}), beyond what {dtype_name(dtype)} holds with room for the network's weights "
            f"and sums (1e{limit:.0f}); rescale the inputs (a smaller --domain) or the coefficients.")


def _domain(strategy: str, domain) -> tuple[float, float]:
    if strategy != "bits":
        return check_domain((-1.0, 1.0) if domain is None else domain)
    if domain is not None and tuple(check_domain(domain)) != BITS:
        raise InvalidArgumentError(f"strategy='bits' computes on bits {{0, 1}}; drop domain={domain!r} (or pass "
                                   "(0, 1)), or choose another strategy for a box.")
    return BITS


def _activation(strategy: str, activation: str | None):
    fixed = {"relu": "relu", "bits": "sigmoid"}.get(strategy)
    if fixed is not None:
        if activation not in (None, fixed):
            raise InvalidArgumentError(f"strategy={strategy!r} builds {fixed} networks; drop "
                                       f"activation={activation!r} or choose strategy='deep'.")
        return get_activation(fixed)
    return get_activation(activation or "softplus")


__all__ = ["CompiledNetwork", "DagModule", "Polynomial", "ProductPlan", "compile", "parse", "plan"]
