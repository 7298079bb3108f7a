"""Boolean functions -> multilinear Hamiltonians -> one bit-product neuron per monomial (Eqs. 12-13).

>>> import sympy as sp
>>> from deepcheap.boolean import compile_boolean
>>> x, y, z = sp.symbols("x y z")
>>> net = compile_boolean(x ^ y ^ z)          # parity: every multilinear coefficient is nonzero
>>> net.expression                            # the multilinear Hamiltonian of Eq. 12
4*x*y*z - 2*x*y - 2*x*z + x - 2*y*z + y + z
>>> net.neurons, net.max_error < 1e-6
(7, True)

On bits, x_i^2 = x_i, so every f: {0,1}^n -> R is exactly one multilinear polynomial
f(x) = sum_S h_S prod_{i in S} x_i, with h_S = sum_{T subset S} (-1)^(|S|-|T|) f(T) (the Moebius
transform, computed in O(n 2^n)). Each monomial with S nonempty becomes one neuron
sigma(beta (sum_{i in S} x_i - |S| + 1/2)) (Eq. 13); h_empty is the output bias. So a function of
n bits needs at most 2^n - 1 hidden units, exactly the number of nonzero coefficients. This module
tabulates and transforms; the neurons are the compiler's ``strategy="bits"``
(:mod:`deepcheap.compiler.strategies`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

import numpy as np
import sympy as sp
import torch
from sympy.logic.boolalg import Xnor

from deepcheap.compiler import compile
from deepcheap.compiler.network import CompiledNetwork
from deepcheap.compiler.polynomial import Polynomial
from deepcheap.errors import InvalidArgumentError, NotAPolynomialError, check_positive

MAX_BITS = 20


def truth_table(function, variables=None) -> tuple[np.ndarray, tuple[str, ...]]:
    """(values over {0,1}^n in itertools.product order, variable names) for any accepted input."""
    if isinstance(function, sp.Basic):
        return _table_from_sympy(function, variables)
    if isinstance(function, str | bytes):
        raise InvalidArgumentError(f"compile_boolean does not read strings (got {function[:40]!r}); build the "
                                   "expression with sympy symbols (x & y | ~z, sympy.Xor(x, y)) or pass a truth "
                                   "table (a list of 2^n values or a dict {bits: value}).")
    if isinstance(function, Mapping):
        keys = list(function)
        try:
            n = len(keys[0]) if keys else 0
            given = {tuple(int(b) for b in k) for k in keys}
        except (TypeError, ValueError):
            raise InvalidArgumentError("a truth table dict maps bit tuples such as (0, 1, 1) to values.") from None
        if n > MAX_BITS or len(keys) != 2**n:
            raise InvalidArgumentError(f"a truth table dict needs all 2^n bit tuples of one length n <= {MAX_BITS} "
                                       f"as keys; got {len(keys)} keys of length {n}.")
        if given != set(itertools.product((0, 1), repeat=n)):
            raise InvalidArgumentError(f"a truth table dict needs every one of the {2**n} bit tuples of length {n} "
                                       "as keys exactly once.")
        try:
            values = np.array([float(function[k]) for k in sorted(keys, key=lambda k: tuple(int(b) for b in k))])
        except (TypeError, ValueError):
            raise InvalidArgumentError("a truth table dict maps bit tuples to numbers; some values are not "
                                       "numbers.") from None
        if not np.isfinite(values).all():
            raise InvalidArgumentError("a truth table's values must be finite numbers.")
        return values, _names(variables, n)
    if isinstance(function, Sequence | np.ndarray | torch.Tensor):
        try:
            values = np.asarray(function, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise InvalidArgumentError("a truth table is a flat list of 2^n numbers (index = bits x_1..x_n); "
                                       "some entries are not numbers.") from None
        if not np.isfinite(values).all():
            raise InvalidArgumentError("a truth table's values must be finite numbers.")
        n = round(math.log2(len(values))) if len(values) else -1
        if len(values) == 0 or 2**n != len(values):
            raise InvalidArgumentError(f"a truth table needs 2^n values (index = bits x_1..x_n, x_1 most "
                                       f"significant); got {len(values)}.")
        return values, _names(variables, n)
    raise InvalidArgumentError("compile_boolean takes a truth table (list of 2^n values), a dict {bits: value} "
                               f"or a sympy Boolean expression; got {type(function).__name__}.")


def _names(variables, n: int) -> tuple[str, ...]:
    if n > MAX_BITS:
        raise InvalidArgumentError(f"{n} bits means a table of 2^{n} entries; deepcheap handles up to {MAX_BITS}.")
    if variables is None:
        width = len(str(n))
        return tuple(f"x_{i:0{width}d}" for i in range(1, n + 1))
    names = tuple(v.name if isinstance(v, sp.Symbol) else str(v) for v in variables)
    if len(names) != n:
        raise InvalidArgumentError(f"the table has {n} bits but {len(names)} variables were named.")
    return names


def _table_from_sympy(expr: sp.Basic, variables) -> tuple[np.ndarray, tuple[str, ...]]:
    if not isinstance(expr, sp.logic.boolalg.Boolean) or isinstance(expr, sp.core.relational.Relational):
        raise NotAPolynomialError(f"{expr} is not a Boolean expression (And, Or, Not, Xor of symbols); for "
                                  "polynomials use deepcheap.compile.")
    used = sorted(s.name for s in expr.free_symbols)
    names = tuple(used) if variables is None else _names(variables, len(tuple(variables)))
    missing = sorted(set(used) - set(names))
    if missing:
        raise InvalidArgumentError(f"the expression uses {', '.join(missing)}, not in variables={list(names)}.")
    if len(names) > MAX_BITS:
        raise InvalidArgumentError(f"{len(names)} bits is more than the {MAX_BITS} deepcheap tabulates.")
    return evaluate_boolean(expr, names).astype(np.float64), names


_REDUCE = {
    sp.And: np.logical_and.reduce, sp.Or: np.logical_or.reduce, sp.Xor: np.logical_xor.reduce,
    sp.Nand: lambda a: ~np.logical_and.reduce(a), sp.Nor: lambda a: ~np.logical_or.reduce(a),
    Xnor: lambda a: ~np.logical_xor.reduce(a),
    sp.Not: lambda a: ~a[0], sp.Implies: lambda a: ~a[0] | a[1],
    sp.Equivalent: lambda a: np.logical_and.reduce([v == a[0] for v in a]),
    sp.ITE: lambda a: np.where(a[0], a[1], a[2]),
}


def evaluate_boolean(expr: sp.Basic, names: Sequence[str]) -> np.ndarray:
    """The truth table of a sympy Boolean expression over {0,1}^n (itertools.product order, x_1 most
    significant), by walking its tree with numpy (no code is generated from the expression)."""
    n = len(names)
    codes = np.arange(2**n, dtype=np.int64)
    column = {name: ((codes >> (n - 1 - i)) & 1).astype(bool) for i, name in enumerate(names)}
    values: dict[int, np.ndarray] = {}
    stack: list[tuple[sp.Basic, bool]] = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if id(node) in values:
            continue
        if isinstance(node, sp.Symbol):
            values[id(node)] = column[node.name]
        elif node is sp.true or node is sp.false:
            values[id(node)] = np.full(2**n, node is sp.true)
        elif type(node) not in _REDUCE:
            raise NotAPolynomialError(f"{node} is not a Boolean operation deepcheap evaluates (And, Or, Not, Xor, "
                                      "Nand, Nor, Xnor, Implies, Equivalent, ITE of symbols).")
        elif not ready:
            stack.append((node, True))
            stack.extend((arg, False) for arg in node.args)
        else:
            values[id(node)] = _REDUCE[type(node)]([values[id(arg)] for arg in node.args])
    return np.broadcast_to(values[id(expr)], (2**n,))


def all_bits(n: int, dtype=torch.float64) -> torch.Tensor:
    """All 2^n bit vectors (2^n, n), in itertools.product order (the order of truth tables here)."""
    return torch.tensor(list(itertools.product((0.0, 1.0), repeat=n)), dtype=dtype).reshape(2**n, n)


def moebius(values: np.ndarray) -> np.ndarray:
    """Multilinear coefficients h_S (same indexing as the table: bit i of S <-> variable i, x_1 first)."""
    n = round(math.log2(len(values)))
    h = np.array(values, dtype=np.float64).reshape((2,) * n) if n else np.array(values, dtype=np.float64)
    for axis in range(n):
        low = np.take(h, 0, axis=axis)
        high = np.take(h, 1, axis=axis) - low
        h = np.stack([low, high], axis=axis)
    return h.reshape(-1)


def multilinear_polynomial(values: np.ndarray, names: tuple[str, ...], tol: float = 0.0) -> Polynomial:
    """The unique multilinear polynomial through the table (coefficients with |h| <= tol dropped)."""
    n = len(names)
    terms = {}
    for index, h in enumerate(moebius(values)):
        if abs(h) > tol:
            bits = [(index >> (n - 1 - i)) & 1 for i in range(n)]
            terms[tuple((i, 1) for i, b in enumerate(bits) if b)] = float(h)
    return Polynomial(names, terms)


def compile_boolean(function, variables=None, *, error: float = 1e-6, dtype=torch.float64,
                    device=None) -> CompiledNetwork:
    """A network computing ``function`` on {0,1}^n with worst-case error ``error`` (exact after rounding
    for 0/1 outputs whenever error < 1/2): truth table -> multilinear polynomial (Moebius) ->
    ``deepcheap.compile(strategy="bits")``.

    ``function``: a list of 2^n values (index bits x_1..x_n, x_1 most significant), a dict
    {bit tuple: value}, or a sympy Boolean expression (variables sorted by name).
    """
    error = check_positive("error", error)
    values, names = truth_table(function, variables)
    scale = max(1.0, float(np.abs(values).max()))
    polynomial = multilinear_polynomial(values, names, tol=1e-12 * scale)
    return compile(polynomial, strategy="bits", eps=error, dtype=dtype, device=device)
