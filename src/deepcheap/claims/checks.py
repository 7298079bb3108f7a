"""Checks, their roles, and the verdict computed from them.

Every check has exactly one role:

* ``construction``: holds by the design of the builder (a count equal to the formula the builder used).
  A regression test, shown in the report, never evidence for the paper.
* ``identity``: a mathematical identity checked numerically (Bayes' theorem in Boltzmann form, the data
  processing inequality on deterministic maps...). Evidence that the code is right, not that the paper is.
* ``measurement``: a quantity that could have come out against the paper's statement, with the value the
  statement predicts and a tolerance written in the claim module before the run. Only these decide.

A measurement either bears on the claim itself (``caveat=False``: failing it contradicts the statement)
or on a limitation of it (``caveat=True``: failing it means the statement holds only with that caveat).

>>> checks = [Check.measurement("slope", 2.01, predicted=2.0, low=1.85, high=2.15),
...           Check.construction("neurons != 4(n - 1)", 0, high=0)]
>>> verdict(checks)
'holds'
>>> verdict([Check.identity("Z_joint / Z - 1", 1e-15, high=1e-12)])
'untested'
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

Role = Literal["construction", "identity", "measurement"]
ROLES: tuple[str, ...] = ("measurement", "identity", "construction")
VERDICTS: tuple[str, ...] = ("holds", "holds with caveats", "fails", "untested")


@dataclass(frozen=True)
class Check:
    """A computed value against bounds written in the claim module (``low <= value <= high``)."""

    name: str
    value: float | None
    role: Role
    low: float | None = None
    high: float | None = None
    predicted: float | None = None  # what the paper's statement predicts (measurements)
    caveat: bool = False  # a measurement of a limitation: failing it gives "holds with caveats"
    headline: bool = False  # the measurement the summary table shows against its prediction
    detail: str = ""
    timed: bool = False  # the value comes from a clock: it differs from run to run (comparisons leave it out)

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"check {self.name!r}: role must be one of {ROLES}; got {self.role!r}")
        if self.role != "measurement" and (self.caveat or self.headline or self.predicted is not None):
            raise ValueError(f"check {self.name!r}: only measurements carry a prediction, a caveat or a headline")
        if self.low is None and self.high is None:
            raise ValueError(f"check {self.name!r} needs a bound (low, high or both)")

    @classmethod
    def measurement(cls, name: str, value, *, predicted: float | None, low: float | None = None,
                    high: float | None = None, caveat: bool = False, headline: bool = False,
                    detail: str = "", timed: bool = False) -> Check:
        return cls(name, _number(value), "measurement", low, high, predicted, caveat, headline, detail, timed)

    @classmethod
    def identity(cls, name: str, value, *, low: float | None = None, high: float | None = None,
                 detail: str = "", timed: bool = False) -> Check:
        return cls(name, _number(value), "identity", low, high, detail=detail, timed=timed)

    @classmethod
    def construction(cls, name: str, value, *, low: float | None = None, high: float | None = None,
                     detail: str = "", timed: bool = False) -> Check:
        return cls(name, _number(value), "construction", low, high, detail=detail, timed=timed)

    @property
    def passed(self) -> bool:
        if self.value is None or math.isnan(self.value):
            return False
        return (self.low is None or self.value >= self.low) and (self.high is None or self.value <= self.high)

    @property
    def bounds(self) -> str:
        parts = ([f">= {fmt(self.low)}"] if self.low is not None else []) + (
            [f"<= {fmt(self.high)}"] if self.high is not None else [])
        return " and ".join(parts)

    def describe(self) -> str:
        return f"{self.name}: {fmt(self.value)} (needs {self.bounds}) {'ok' if self.passed else 'FAILED'}"

    def with_bounds(self, low: float | None, high: float | None) -> Check:
        """The same check against other bounds (the contract test tightens a tolerance with it)."""
        return dataclasses.replace(self, low=low, high=high)

    def to_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}


def _number(value) -> float | None:
    """Checks hold numbers: bools and ints become floats, None stays (a missing measurement fails)."""
    if value is None:
        return None
    return float(value)


def fmt(x: Any) -> str:
    """A short human form of a number (used by check descriptions and the report)."""
    if isinstance(x, bool) or x is None:
        return "-" if x is None else str(x)
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e15):
        return str(int(x))
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return str(x)
        if 1e-3 <= abs(x) < 1e5:
            return f"{x:.4g}"
        return f"{x:.3g}"
    return str(x)


def farthest_from(values: Sequence[float | None], predicted: float) -> float | None:
    """The value farthest from the prediction: the one a measurement check should test (None if any is missing,
    so that a missing value fails its check).

    >>> farthest_from([1.9, 2.05, 2.2], 2.0)
    2.2
    """
    if not values or any(v is None for v in values):
        return None
    return max(values, key=lambda v: abs(v - predicted))


def measurements(checks: Sequence[Check]) -> list[Check]:
    return [c for c in checks if c.role == "measurement"]


def verdict(checks: Sequence[Check]) -> str:
    """From the measurement checks only: ``untested`` if none bears on the claim itself (caveat measurements
    alone test nothing the paper states), ``fails`` if one bearing on the claim failed, ``holds with caveats`` if
    a caveat measurement failed, else ``holds``."""
    measured = measurements(checks)
    if all(c.caveat for c in measured):
        return "untested"
    if any(not c.passed for c in measured if not c.caveat):
        return "fails"
    if any(not c.passed for c in measured if c.caveat):
        return "holds with caveats"
    return "holds"


def headline_check(checks: Sequence[Check]) -> Check | None:
    """The measurement marked ``headline`` (else the first measurement; None without measurements)."""
    measured = measurements(checks)
    marked = [c for c in measured if c.headline]
    return marked[0] if marked else (measured[0] if measured else None)
