"""One error family for everything deepcheap refuses to do.

Every message says what was wrong *and what to do instead*. The CLI prints the message as one line
and exits with status 2; library users catch :class:`DeepCheapError` (or the narrower classes).

>>> from deepcheap.gates import product_gate
>>> product_gate(activation="relu")
Traceback (most recent call last):
...
deepcheap.errors.UnsupportedActivationError: relu has sigma''(b) = 0 wherever it is smooth, ...
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any


class DeepCheapError(Exception):
    """Base class of every error deepcheap raises on purpose."""


class InvalidArgumentError(DeepCheapError, ValueError):
    """An argument is out of range, of the wrong kind, or inconsistent with another one."""


class UnsupportedActivationError(InvalidArgumentError):
    """The activation cannot implement the requested construction (e.g. ReLU in a smooth gate)."""


class PrecisionError(DeepCheapError):
    """The requested accuracy is below what the dtype can deliver for this construction."""


class NotAPolynomialError(InvalidArgumentError):
    """An expression that must be a polynomial is not one."""


class NetworkFileError(DeepCheapError):
    """A file is not a deepcheap network (or is damaged); nothing in it was executed."""


class ResourceLimitError(DeepCheapError):
    """A construction would exceed a memory or size limit; the message says how much it needs."""


class RunLockedError(DeepCheapError):
    """Another run holds the output directory's lock; the message names it."""


class MissingExtraError(DeepCheapError, ImportError):
    """An optional dependency is not installed; the message gives the pip command."""


# --- small validation helpers used across the package --------------------------------------

MEMORY_LIMIT_BYTES = 4 * 2**30  # the most one computation may allocate before deepcheap refuses it


def format_bytes(n: float) -> str:
    """1536 -> '1.5 KiB'; 8e10 -> '74.5 GiB'."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n:.0f} bytes"


def check_memory(what: str, nbytes: float, hint: str, limit: float = MEMORY_LIMIT_BYTES) -> None:
    """Refuse (ResourceLimitError) before allocating if ``what`` needs more than ``limit`` bytes."""
    if not nbytes <= limit:
        raise ResourceLimitError(f"{what} needs about {format_bytes(nbytes)}, above the limit of "
                                 f"{format_bytes(limit)}; {hint}")


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``; otherwise raise naming the valid ones."""
    options = list(choices)
    if value not in options:
        listed = ", ".join(str(c) for c in options)
        raise InvalidArgumentError(f"{name} must be one of {listed}; got {value!r}.")
    return value


def check_finite(name: str, value: Any) -> float:
    """Return ``value`` as a float if it is a finite number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{name} must be a number; got {value!r}.") from None
    if not math.isfinite(number):
        raise InvalidArgumentError(f"{name} must be finite; got {value!r}.")
    return number


def check_positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float if it is finite and > 0 (or >= 0 with ``allow_zero``)."""
    number = check_finite(name, value)
    if number < 0 or (number == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise InvalidArgumentError(f"{name} must be {bound}; got {value!r}.")
    return number


def check_int_range(name: str, value: Any, lo: int, hi: int | None = None, *, hint: str = "") -> int:
    """Return ``value`` as an int if ``lo <= value <= hi``; otherwise raise with ``hint``."""
    integral = isinstance(value, numbers.Integral) or (
        isinstance(value, numbers.Real) and math.isfinite(float(value)) and float(value).is_integer())
    if isinstance(value, bool) or not integral:
        raise InvalidArgumentError(f"{name} must be an integer; got {value!r}.")
    number = int(value)
    if number < lo or (hi is not None and number > hi):
        span = f">= {lo}" if hi is None else f"between {lo} and {hi}"
        suffix = f" {hint}" if hint else ""
        raise InvalidArgumentError(f"{name} must be {span}; got {number}.{suffix}")
    return number


def check_seed(seed: Any, name: str = "seed") -> int:
    """A root seed: an integer in [0, 2^128) (numpy's SeedSequence takes non-negative integers)."""
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and not 0 <= int(seed) < 2**128:
        raise InvalidArgumentError(f"{name} must be a non-negative integer below 2^128; got {seed}.")
    return check_int_range(name, seed, 0)


def check_domain(domain: Any, name: str = "domain") -> tuple[float, float]:
    """Return ``(lo, hi)`` as floats with ``lo < hi``, both finite."""
    try:
        lo, hi = (float(v) for v in domain)
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            f"{name} must be a pair (lo, hi) of numbers, e.g. (-1, 1); got {domain!r}."
        ) from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise InvalidArgumentError(f"{name} bounds must be finite; got ({lo}, {hi}).")
    if lo >= hi:
        raise InvalidArgumentError(f"{name} needs lo < hi; got lo={lo}, hi={hi}. Swap or widen them.")
    return lo, hi
