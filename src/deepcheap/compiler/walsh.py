"""Walsh-Hadamard transforms on +/-1 spins, and variance shares of a spectrum under given weights.

>>> import numpy as np
>>> states = all_states(2)                  # x_1 most significant, -1 before +1
>>> states.tolist()
[[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]]
>>> f = 3 + 2 * states[:, 0] - states[:, 0] * states[:, 1]
>>> walsh_hadamard(f).tolist()              # index bits = the monomial: 0b10 = x_1, 0b11 = x_1 x_2
[3.0, 0.0, 2.0, -1.0]

State k of :func:`all_states` has spin s_i = +1 where bit (n - 1 - i) of k is 1 (the order of
``itertools.product((-1, 1), repeat=n)``, and of :func:`deepcheap.boolean.truth_table` with 0 -> -1).
Coefficient index S has bit (n - 1 - i) set when variable i is in the monomial (the indexing of
:func:`deepcheap.boolean.moebius`). f(s) = sum_S c_S prod_{i in S} s_i with
c_S = 2^-n sum_s f(s) prod_{i in S} s_i, computed axis by axis in O(n 2^n):
(f(-1) + f(+1)) / 2 is the part without s_i, (f(+1) - f(-1)) / 2 the part with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from deepcheap.errors import InvalidArgumentError

MAX_ENUMERATION = 20  # 2^20 states: 8 MB of values


def state_bits(n: int, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Rows start..stop-1 of all 2^n bit patterns (x_1 most significant), as float64 0/1."""
    stop = 2**n if stop is None else stop
    index = np.arange(start, stop, dtype=np.int64)
    shifts = np.arange(n - 1, -1, -1, dtype=np.int64)
    return ((index[:, None] >> shifts) & 1).astype(np.float64)


def all_states(n: int, inputs: str = "spins") -> np.ndarray:
    """All 2^n inputs, (2^n, n): spins (+/-1) or bits (0/1), in the order weights are given in."""
    if not 0 <= n <= MAX_ENUMERATION:
        raise InvalidArgumentError(f"enumerating 2^{n} states is beyond the {MAX_ENUMERATION} variables deepcheap "
                                   "tabulates; sample instead.")
    bits = state_bits(n)
    return bits if inputs == "bits" else 2.0 * bits - 1.0


def walsh_hadamard(values: np.ndarray) -> np.ndarray:
    """Coefficients c_S of f on all spin states (``values`` in :func:`all_states` order)."""
    return _butterfly(values, lambda a, b: ((a + b) / 2, (b - a) / 2))


def inverse_walsh_hadamard(coefficients: np.ndarray) -> np.ndarray:
    """Values on all spin states of sum_S c_S prod_{i in S} s_i."""
    return _butterfly(coefficients, lambda low, high: (low - high, low + high))


def _butterfly(values, step) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    n = round(np.log2(len(values))) if len(values) else -1
    if n < 0 or 2**n != len(values):
        raise InvalidArgumentError(f"a transform over spins needs 2^n values; got {len(values)}.")
    h = values.copy()
    for axis in range(n):
        view = h.reshape(2**axis, 2, 2 ** (n - axis - 1))
        a, b = step(view[:, 0, :].copy(), view[:, 1, :].copy())
        view[:, 0, :], view[:, 1, :] = a, b
    return h


def orders(n: int) -> np.ndarray:
    """|S| for every coefficient index S of n variables (popcount)."""
    work = np.arange(2**n, dtype=np.int64)
    count = np.zeros_like(work)
    while work.any():
        count += work & 1
        work >>= 1
    return count


def index_to_variables(index: int, n: int) -> tuple[int, ...]:
    return tuple(i for i in range(n) if (index >> (n - 1 - i)) & 1)


def variables_to_index(variables, n: int) -> int:
    return sum(1 << (n - 1 - i) for i in variables)


# --- variance shares ----------------------------------------------------------------------------


def by_order(variables: tuple[int, ...]) -> str:
    """The default grouping: "0", "1", "2", ">=3" spins in the monomial."""
    return str(len(variables)) if len(variables) < 3 else ">=3"


def variance_shares(coefficients: Mapping[tuple[int, ...], float], n: int, weights=None,
                    groups: Callable[[tuple[int, ...]], str] = by_order) -> dict[str, float]:
    """Share of Var_w(f) carried by each group of Walsh terms: Cov_w(f_G, f) / Var_w(f).

    ``coefficients``: variable-index tuple -> c_S. ``weights``: one per state in :func:`all_states`
    order (normalised here; default uniform). ``groups`` maps a monomial's variables to a group name
    (default: by order). The shares add up to 1; with uniform weights the Walsh functions are
    orthogonal and a share is sum_{S in G} c_S^2 / sum_{S != {}} c_S^2 (Parseval). Under other
    weights terms correlate and a share can be negative (a group that cancels part of another).
    """
    if n > MAX_ENUMERATION:
        raise InvalidArgumentError(f"variance shares enumerate all 2^{n} states; at most {MAX_ENUMERATION} variables.")
    w = np.full(2**n, 2.0**-n) if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape != (2**n,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise InvalidArgumentError(f"weights must be 2^{n} = {2**n} finite non-negative numbers, not all zero "
                                   "(one per state, in all_states order).")
    w = w / w.sum()
    dense: dict[str, np.ndarray] = {}
    for variables, c in coefficients.items():
        name = groups(tuple(variables))
        dense.setdefault(name, np.zeros(2**n))[variables_to_index(variables, n)] += c
    parts = {name: inverse_walsh_hadamard(c) for name, c in dense.items()}
    total = sum(parts.values()) if parts else np.zeros(2**n)
    centred = total - w @ total
    variance = float(w @ centred**2)
    names = sorted(set(parts) | {"0", "1", "2", ">=3"} if groups is by_order else set(parts))
    if variance <= 0:
        return {name: 0.0 for name in names}
    return {name: float(w @ ((parts[name] - w @ parts[name]) * centred)) / variance if name in parts else 0.0
            for name in names}
