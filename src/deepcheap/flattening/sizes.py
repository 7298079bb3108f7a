"""Sizes the linear constructions accept, and the limits that keep them in memory.

>>> power_of("n", 16, base=2)
16
>>> power_of("n", 12, base=2)
Traceback (most recent call last):
...
deepcheap.errors.InvalidArgumentError: n must be a power of two; got 12. Use 8 or 16, or pad the input with zeros ...
"""

from __future__ import annotations

import math

from deepcheap.errors import InvalidArgumentError, ResourceLimitError, check_int_range

MAX_DENSE_ENTRIES = 2**26  # a dense n x n float64 matrix of at most 512 MiB
_BASE_NAMES = {2: "two", 3: "three"}


def power_of(name: str, n, *, base: int, lo: int = 1, hi: int | None = None) -> int:
    """``n`` as an int if it is a power of ``base`` in [lo, hi]; the message names the nearest valid sizes."""
    n = check_int_range(name, n, lo, hi)
    below = 1
    while below * base <= n:
        below *= base
    if below != n:
        raise InvalidArgumentError(
            f"{name} must be a power of {_BASE_NAMES.get(base, base)}; got {n}. Use {below} "
            f"or {below * base}, or pad the input with zeros to the next power of {base}."
        )
    return n


def exponent_of(n: int, base: int) -> int:
    """k with base^k = n (n already checked by :func:`power_of`)."""
    k = 0
    while base**k < n:
        k += 1
    return k


def check_probability(p) -> float:
    """``p`` as a float in (0, 1] (the density of ones of a random 0/1 matrix)."""
    try:
        value = float(p)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"p must be a probability in (0, 1]; got {p!r}.") from None
    if not (0.0 < value <= 1.0):
        raise InvalidArgumentError(f"p must be a probability in (0, 1] (the density of ones); got {p!r}.")
    return value


def check_dense(n: int, what: str) -> None:
    """Refuse a dense n x n matrix of more than MAX_DENSE_ENTRIES entries."""
    if n * n > MAX_DENSE_ENTRIES:
        raise ResourceLimitError(
            f"{what} needs a dense {n} x {n} matrix ({n * n * 8 / 2**30:.1f} GiB); "
            f"use n <= {math.isqrt(MAX_DENSE_ENTRIES)}."
        )
