"""Decompilation: read a polynomial back out of a network (compiled, trained, or any function of n inputs).

>>> import deepcheap
>>> net = deepcheap.compile("3*x*y - 2*z + 1", eps=1e-9)
>>> result = deepcheap.decompile(net, inputs="spins")     # all 8 states, exact Walsh-Hadamard transform
>>> result.method, result.rounded(6).polynomial
('walsh-hadamard', 3*x*y - 2*z + 1)
>>> result.residual_max < 1e-12, result.residual_on
(True, 'all 2^3 spin states')
>>> import torch
>>> box = deepcheap.decompile(net, inputs="box", degree=2,  # least squares on the box [-1, 1]^3
...                           generator=torch.Generator().manual_seed(0))
>>> box.rounded(6).polynomial, box.residual_max < 1e-8
(3*x*y - 2*z + 1, True)

Methods, by ``inputs``:

* ``"spins"`` (+/-1): for n <= 20 the Walsh-Hadamard coefficients c_S of all 2^n states
  (:mod:`~deepcheap.compiler.walsh`), truncated to order ``degree`` if given (the least-squares fit
  with uniform weights, by orthogonality); with ``weights`` (one per state) and a ``degree``, weighted
  least squares over all states; for n > 20 least squares on multilinear monomials up to ``degree`` at
  sampled states.
* ``"bits"`` (0/1): the Moebius transform (:func:`deepcheap.boolean.moebius`) for n <= 20; least
  squares on multilinear monomials for a ``degree`` or n > 20.
* ``"box"``: least squares on all monomials up to ``degree`` at points sampled in ``domain``^n,
  the residual measured on fresh points; ``method="taylor"``: Taylor coefficients at ``at`` by autograd.

``uncertainty`` bounds each coefficient's distance from the polynomial the network approximates,
when the network's own error bound is known (a CompiledNetwork's ``predicted_error``, or
``error_bound=``): c_S moves by at most eps for Walsh coefficients, 2^|S| eps for Moebius ones and
sum_i |pinv(A)_Si| eps for a least-squares fit. The exact transforms draw nothing; a method that samples
(any ``"box"`` method, or states of more than 2^20) draws from ``generator``, which it then requires.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import sympy as sp
import torch

from deepcheap.compiler import walsh
from deepcheap.compiler.least_squares import check_memory, monomial_columns, solve
from deepcheap.compiler.polynomial import Monomial, Polynomial
from deepcheap.errors import InvalidArgumentError, check_choice, check_domain, check_int_range

INPUTS = ("spins", "bits", "box")
METHODS = ("auto", "exact", "least-squares", "taylor")
DECOMPILE_MEMORY_LIMIT = 1 * 2**30  # design matrices and pseudo-inverses of a least-squares fit
CHUNK_ROWS = 1 << 15


@dataclass(frozen=True)
class Decompiled:
    """A polynomial read out of a function, with how well it reproduces it and how it was obtained."""

    variables: tuple[str, ...]
    coefficients: dict[Monomial, float]  # ((variable index, power), ...) -> coefficient, as in Polynomial
    method: str  # walsh-hadamard, moebius, least-squares, weighted-least-squares, taylor
    inputs: str
    residual_max: float  # max |f - polynomial| on the residual points (weighted: where weight > 0)
    residual_rms: float  # root mean square (weighted mean under ``weights``)
    residual_points: int
    residual_on: str
    degree: int | None = None
    uncertainty: dict[Monomial, float] | None = field(default=None, compare=False)
    details: dict = field(default_factory=dict, compare=False)

    @cached_property
    def polynomial(self) -> sp.Expr:
        return Polynomial(self.variables, self.coefficients).to_sympy()

    def as_polynomial(self) -> Polynomial:
        """The result as a :class:`Polynomial` (``deepcheap.compile`` takes it)."""
        return Polynomial(self.variables, dict(self.coefficients))

    def rounded(self, digits: int = 0) -> Decompiled:
        """Coefficients rounded to ``digits`` decimals, zeros dropped (residual fields unchanged)."""
        kept = {m: round(c, digits) for m, c in self.coefficients.items() if round(c, digits) != 0}
        return replace(self, coefficients={m: float(int(c)) if float(c).is_integer() else c for m, c in kept.items()})

    def without_small(self, tol: float | str) -> Decompiled:
        """Drop coefficients with |c| <= tol, or with |c| <= their uncertainty for ``tol="uncertainty"``."""
        if tol == "uncertainty":
            if self.uncertainty is None:
                raise InvalidArgumentError("tol='uncertainty' needs the network's error bound (error_bound=...).")
            kept = {m: c for m, c in self.coefficients.items() if abs(c) > self.uncertainty[m]}
        else:
            kept = {m: c for m, c in self.coefficients.items() if abs(c) > float(tol)}
        if kept == self.coefficients:
            return self
        return replace(self, coefficients=kept, details={**self.details, "dropped": len(self.coefficients) - len(kept)},
                       uncertainty=None if self.uncertainty is None else {m: self.uncertainty[m] for m in kept})

    def to_dict(self) -> dict:
        def monomial(m: Monomial) -> dict[str, int]:
            return {self.variables[v]: p for v, p in m}

        terms = [{"monomial": monomial(m), "coefficient": c,
                  **({"uncertainty": self.uncertainty[m]} if self.uncertainty and m in self.uncertainty else {})}
                 for m, c in sorted(self.coefficients.items())]
        return {"polynomial": str(self.polynomial), "variables": list(self.variables), "coefficients": terms,
                "method": self.method, "inputs": self.inputs, "degree": self.degree,
                "residual": {"max": self.residual_max, "rms": self.residual_rms, "points": self.residual_points,
                             "on": self.residual_on}, **self.details}


def decompile(net_or_module, variables=None, *, inputs: str | None = None, domain=None, degree: int | None = None,
              weights=None, method: str = "auto", at=None, points: int | None = None,
              generator: torch.Generator | None = None, tol: float | str = 0.0, error_bound: float | None = None,
              memory_limit: int = DECOMPILE_MEMORY_LIMIT) -> Decompiled:
    """The polynomial a network computes on spins, bits or a box (see the module docstring for methods).

    ``net_or_module``: a CompiledNetwork, a torch module or a callable mapping (N, n) float tensors to
    (N,) or (N, 1). ``variables``: names or their number (default: the network's, else x1..xn).
    ``inputs``: default "bits" for Boolean networks, "box" for other CompiledNetworks (``degree``: its
    polynomial's, ``domain``: its box), "spins" otherwise. ``tol``: drop coefficients with
    |c| <= tol, or with |c| <= their uncertainty for ``tol="uncertainty"``.
    """
    target = _Function.of(net_or_module, variables)
    if inputs is None:
        inputs = target.default_inputs
    inputs = check_choice("inputs", inputs, INPUTS)
    method = check_choice("method", method, METHODS)
    n = len(target.names)
    if degree is not None:
        degree = check_int_range("degree", degree, 0)
    elif inputs == "box" and target.degree is not None:
        degree = target.degree
    bound = error_bound if error_bound is not None else target.error_bound
    if inputs == "box":
        domain = check_domain(domain if domain is not None else target.domain or (-1.0, 1.0))
        if bound is not None and target.domain is not None and not _within(domain, target.domain):
            bound = None  # the network's guarantee holds on its own box only
        if degree is None:
            raise InvalidArgumentError("decompiling on a box needs degree=... (the highest total degree to fit).")
        generator = _required(generator, f"decompiling on a box samples points ({method})")
        if method == "taylor":
            from deepcheap.compiler.taylor import taylor

            readout = taylor(target, degree, at, domain, generator, points)
        else:
            readout = _box_fit(target, degree, domain, points, generator, bound, memory_limit)
    else:
        if weights is not None and inputs == "spins" and degree is None:
            raise InvalidArgumentError("weights choose a weighted least-squares fit: give degree=... too (without "
                                       "a degree the Walsh-Hadamard spectrum is exact whatever the weights).")
        if method == "taylor":
            raise InvalidArgumentError("method='taylor' needs inputs='box' (derivatives need real inputs).")
        if bound is not None and target.domain is not None and not _within(
                (-1.0, 1.0) if inputs == "spins" else (0.0, 1.0), target.domain):
            bound = None
        exact = n <= walsh.MAX_ENUMERATION and method != "least-squares"
        if not exact and method == "exact":
            raise InvalidArgumentError(f"exact decompilation enumerates 2^n states: at most {walsh.MAX_ENUMERATION} "
                                       f"variables, here {n}; use method='least-squares' with a degree.")
        if exact and weights is None and (inputs == "spins" or degree is None):
            readout = _exact(target, inputs, degree, bound)
        else:
            if degree is None:
                raise InvalidArgumentError(f"{n} variables are too many to enumerate: give degree=... for a "
                                           "least-squares fit on multilinear monomials.")
            readout = _discrete_fit(target, inputs, degree, weights, points, generator, bound, memory_limit,
                                   enumerate_all=n <= walsh.MAX_ENUMERATION and method != "least-squares")
    return readout.finish(target, inputs, degree, tol)


# --- the function being read ------------------------------------------------------------------------


@dataclass
class _Function:
    fn: object
    names: tuple[str, ...]
    dtype: torch.dtype
    default_inputs: str = "spins"
    domain: tuple[float, float] | None = None
    degree: int | None = None
    error_bound: float | None = None
    kind: str = "callable"

    @classmethod
    def of(cls, obj, variables) -> _Function:
        from deepcheap.compiler.network import CompiledNetwork

        if isinstance(obj, CompiledNetwork):
            if variables is not None and tuple(_names(variables, len(obj.variables))) != obj.variables:
                raise InvalidArgumentError(f"a compiled network's inputs are {list(obj.variables)}; leave "
                                           "variables=None.")
            return cls(obj.module, obj.variables, obj.dtype, "bits" if obj.binary else "box", tuple(obj.domain),
                       obj.polynomial.degree, float(obj.predicted_error), "compiled network")
        if not callable(obj):
            raise InvalidArgumentError(f"decompile takes a CompiledNetwork, a torch module or a callable; got "
                                       f"{type(obj).__name__}.")
        dtype = torch.float64
        n = None
        if isinstance(obj, torch.nn.Module):
            tensors = [t for t in [*obj.parameters(), *obj.buffers()] if t.is_floating_point()]
            dtype = tensors[0].dtype if tensors else torch.float64
            n = getattr(obj, "n_inputs", None)
            first = next((m for m in obj.modules() if isinstance(m, torch.nn.Linear)), None)
            n = n if n is not None else (first.in_features if first is not None else None)
        if variables is None and n is None:
            raise InvalidArgumentError("cannot tell how many inputs this function takes: pass variables=N or names.")
        names = _names(variables if variables is not None else n, n)
        return cls(obj, names, dtype, kind="torch module" if isinstance(obj, torch.nn.Module) else "callable")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """f at the rows of x (float64 in, float64 out), in chunks, no gradients."""
        out = np.empty(x.shape[0])
        with torch.no_grad():
            for start in range(0, x.shape[0], CHUNK_ROWS):
                chunk = torch.as_tensor(x[start:start + CHUNK_ROWS], dtype=self.dtype)
                y = torch.as_tensor(self.fn(chunk))
                if y.dim() == 2 and y.shape[1] == 1:
                    y = y[:, 0]
                if y.shape != (chunk.shape[0],):
                    raise InvalidArgumentError(f"the function must map (N, {len(self.names)}) to (N,) or (N, 1); "
                                               f"got {tuple(y.shape)}.")
                out[start:start + chunk.shape[0]] = y.detach().cpu().double().numpy()
        if not np.all(np.isfinite(out)):
            raise InvalidArgumentError("the function returned NaN or infinity on some inputs; nothing to fit.")
        return out


def _names(variables, n: int | None) -> tuple[str, ...]:
    if isinstance(variables, int | np.integer) and not isinstance(variables, bool):
        count = check_int_range("variables", int(variables), 1)
        if n is not None and count != n:
            raise InvalidArgumentError(f"the module takes {n} inputs, not {count}.")
        return tuple(f"x{i}" for i in range(1, count + 1))
    names = tuple(str(v) for v in variables)
    if n is not None and len(names) != n:
        raise InvalidArgumentError(f"the module takes {n} inputs; {len(names)} variable names were given.")
    if len(set(names)) != len(names) or not names:
        raise InvalidArgumentError(f"variable names must be distinct and non-empty; got {list(names)}.")
    return names


def _required(generator, what: str) -> torch.Generator:
    if not isinstance(generator, torch.Generator):
        raise InvalidArgumentError(f"{what} draws random inputs: pass generator=torch.Generator().manual_seed(SEED) "
                                   "(any seed; the same seed gives the same result).")
    return generator


def _within(inner, outer) -> bool:
    return outer[0] <= inner[0] and inner[1] <= outer[1]


@dataclass
class _Readout:
    """What a method found, and the points (with f there) on which its residual is measured."""

    terms: dict[Monomial, float]
    uncertainty: dict[Monomial, float] | None
    method: str
    x: np.ndarray
    values: np.ndarray
    where: str
    weights: np.ndarray | None = None
    details: dict = field(default_factory=dict)

    def finish(self, target: _Function, inputs: str, degree: int | None, tol) -> Decompiled:
        result = Decompiled(target.names, self.terms, self.method, inputs, 0.0, 0.0, 0, self.where, degree,
                            self.uncertainty, self.details)
        if tol == "uncertainty" or float(tol) > 0:
            result = result.without_small(tol)  # before the residual: it measures what is returned
        residual = Polynomial(target.names, result.coefficients).evaluate(self.x) - self.values
        w = self.weights
        if w is not None:
            rms, worst = float(np.sqrt(w @ residual**2)), float(np.abs(residual[w > 0]).max())
        else:
            rms, worst = float(np.sqrt(np.mean(residual**2))), float(np.abs(residual).max())
        return replace(result, residual_max=worst, residual_rms=rms, residual_points=len(residual))


# --- exact transforms --------------------------------------------------------------------------------


def _exact(target: _Function, inputs: str, degree: int | None, bound: float | None) -> _Readout:
    from deepcheap.boolean import moebius

    n = len(target.names)
    states = walsh.all_states(n, inputs)
    values = target(states)
    if inputs == "spins":
        coefficients, name = walsh.walsh_hadamard(values), "walsh-hadamard"
        spread = np.ones(2**n)
    else:
        coefficients, name = moebius(values), "moebius"
        spread = 2.0 ** walsh.orders(n)
    if degree is not None:
        coefficients = np.where(walsh.orders(n) <= degree, coefficients, 0.0)
    kept = np.flatnonzero(coefficients)
    terms = {_multilinear(int(i), n): float(coefficients[i]) for i in kept}
    uncertainty = None if bound is None else {_multilinear(int(i), n): float(spread[i] * bound) for i in kept}
    return _Readout(terms, uncertainty, name, states, values, f"all 2^{n} {inputs[:-1]} states")


def _multilinear(index: int, n: int) -> Monomial:
    return tuple((v, 1) for v in walsh.index_to_variables(index, n))


# --- least squares -----------------------------------------------------------------------------------


def _discrete_fit(target, inputs, degree, weights, points, generator, bound, memory_limit, *, enumerate_all):
    n = len(target.names)
    monomials = [m for k in range(min(degree, n) + 1) for m in itertools.combinations(range(n), k)]
    if enumerate_all:
        x = walsh.all_states(n, inputs)
        where = f"all 2^{n} {inputs[:-1]} states"
    else:
        rows = points or max(4096, 4 * len(monomials))
        check_memory(rows, len(monomials), memory_limit)
        generator = _required(generator, f"a least-squares fit on sampled {inputs}")
        bits = torch.randint(0, 2, (rows, n), generator=generator).double().numpy()
        x = bits if inputs == "bits" else 2 * bits - 1
        where = f"{rows} sampled {inputs[:-1]} states (seed from the generator)"
    w = None
    if weights is not None:
        if not enumerate_all:
            raise InvalidArgumentError(f"weights give one number per state: at most {walsh.MAX_ENUMERATION} variables.")
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        if w.shape != (2**n,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise InvalidArgumentError(f"weights must be 2^{n} = {2**n} finite non-negative numbers, not all zero "
                                       "(one per state, in walsh.all_states order).")
        w = w / w.sum()
    check_memory(x.shape[0], len(monomials), memory_limit)
    design = monomial_columns(x, monomials)
    values = target(x)
    terms, uncertainty = solve(design, values, w, bound, [tuple((v, 1) for v in m) for m in monomials])
    if w is not None:
        return _Readout(terms, uncertainty, "weighted-least-squares", x, values, where + ", weighted", w)
    return _Readout(terms, uncertainty, "least-squares", x, values, where)


def _box_fit(target, degree, domain, points, generator, bound, memory_limit):
    n = len(target.names)
    monomials = [m for d in range(degree + 1) for m in itertools.combinations_with_replacement(range(n), d)]
    rows = points or max(4096, 4 * len(monomials))
    check_memory(rows, len(monomials), memory_limit)
    lo, hi = domain

    def sample() -> np.ndarray:
        return (lo + (hi - lo) * torch.rand(rows, n, generator=generator, dtype=torch.float64)).numpy()

    x = sample()
    design = monomial_columns(x, monomials)
    keys = [tuple((v, len(list(g))) for v, g in itertools.groupby(m)) for m in monomials]
    terms, uncertainty = solve(design, target(x), None, bound, keys)
    held_out = sample()  # the residual is measured where the fit did not look
    return _Readout(terms, uncertainty, "least-squares", held_out, target(held_out),
                    f"{rows} fresh uniform points of [{lo:g}, {hi:g}]^{n}")


def variance_by_order(result: Decompiled, weights=None, *, groups=None) -> dict[str, float]:
    """Share of the (weighted) variance of a spins result in orders "0", "1", "2", ">=3" (or your ``groups``).

    See :func:`deepcheap.compiler.walsh.variance_shares`; ``groups`` maps a monomial's variable indices to a name.
    """
    if result.inputs != "spins":
        raise InvalidArgumentError("variance shares are defined for a spins decompilation (Walsh terms).")
    coefficients = {tuple(v for v, _ in m): c for m, c in result.coefficients.items()}
    return walsh.variance_shares(coefficients, len(result.variables), weights, groups or walsh.by_order)


__all__ = ["Decompiled", "decompile", "variance_by_order"]
