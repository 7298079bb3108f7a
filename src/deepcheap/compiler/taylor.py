"""Taylor coefficients of a network at a point by autograd: the ``method="taylor"`` of decompile.

>>> import deepcheap, torch
>>> net = deepcheap.compile("x**2*y - 3*y + 1")
>>> result = deepcheap.decompile(net, method="taylor", degree=3,       # at the centre of the box
...                              generator=torch.Generator().manual_seed(0))  # the residual's points
>>> result.method, result.rounded(6).polynomial
('taylor', x**2*y - 3*y + 1)

Derivatives d^k f / dx_i1 ... dx_ik at ``at`` come from nested reverse-mode gradients
(``torch.autograd.grad`` with ``create_graph``), one per multiset of indices of size < degree:
C(n + degree - 1, degree - 1) gradient calls. The coefficient of prod_i (x_i - a_i)^r_i is the mixed
derivative divided by prod r_i!; the result is expanded into monomials of x. The residual is measured
on the box, where a Taylor polynomial is only a local description.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import sympy as sp
import torch

from deepcheap.errors import InvalidArgumentError, ResourceLimitError

MAX_GRADIENT_CALLS = 20_000


def taylor(target, degree: int, at, domain, generator: torch.Generator, points: int | None):
    from deepcheap.compiler.decompile import _Readout

    n = len(target.names)
    a = np.full(n, (domain[0] + domain[1]) / 2) if at is None else np.asarray(at, dtype=np.float64).reshape(-1)
    if a.shape != (n,) or not np.all(np.isfinite(a)):
        raise InvalidArgumentError(f"at= must give {n} finite coordinates (one per variable).")
    calls = math.comb(n + degree - 1, degree - 1) if degree else 0
    if calls > MAX_GRADIENT_CALLS:
        raise ResourceLimitError(f"Taylor coefficients of degree {degree} in {n} variables need {calls:,} gradient "
                                 f"calls (limit {MAX_GRADIENT_CALLS:,}); lower the degree or use the least-squares fit."
                                 )
    derivatives = _derivatives(target, a, degree)
    symbols = [sp.Symbol(name) for name in target.names]
    shifted = sp.Integer(0)
    for index, value in derivatives.items():
        powers = Counter(index)
        factor = math.prod(math.factorial(r) for r in powers.values())
        shifted += sp.Float(value / factor, 17) * sp.Mul(*[(symbols[i] - sp.Float(a[i], 17)) ** r
                                                           for i, r in powers.items()])
    expanded = sp.Poly(sp.expand(shifted), *symbols) if n else None
    terms = {}
    if expanded is not None:
        for exponents, c in expanded.terms():
            key = tuple((i, int(r)) for i, r in enumerate(exponents) if r)
            if float(c) != 0:
                terms[key] = float(c)
    elif derivatives:
        terms[()] = float(derivatives[()])
    rows = points or 4096
    lo, hi = domain
    x = (lo + (hi - lo) * torch.rand(rows, n, generator=generator, dtype=torch.float64)).numpy()
    return _Readout(terms, None, "taylor", x, target(x), f"{rows} uniform points of [{lo:g}, {hi:g}]^{n}",
                    details={"at": a.tolist()})


def _derivatives(target, a: np.ndarray, degree: int) -> dict[tuple[int, ...], float]:
    """Sorted index tuple -> mixed partial derivative at a, for every order 0..degree."""
    n = len(a)
    x = torch.tensor(a, dtype=target.dtype).reshape(1, n).requires_grad_(True)
    y = torch.as_tensor(target.fn(x)).reshape(-1)
    if y.shape != (1,):
        raise InvalidArgumentError("the function must map (1, n) to one value for Taylor coefficients.")
    values: dict[tuple[int, ...], float] = {(): float(y[0].detach())}
    frontier: dict[tuple[int, ...], torch.Tensor] = {(): y[0]}
    for order in range(1, degree + 1):
        following: dict[tuple[int, ...], torch.Tensor] = {}
        for index, value in frontier.items():
            if not value.requires_grad:  # the derivative is a constant: every higher one is 0
                continue
            (grad,) = torch.autograd.grad(value, x, create_graph=order < degree, retain_graph=True,
                                      allow_unused=True)
            if grad is None:
                continue
            for i in range(index[-1] if index else 0, n):
                key = (*index, i)
                values[key] = float(grad[0, i].detach())
                following[key] = grad[0, i]
        frontier = following
    return values
