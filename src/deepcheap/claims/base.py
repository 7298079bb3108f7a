"""What a claim is, what it returns, and how its verdict is computed.

A claim module defines ``CLAIM = Claim(...)`` with three pure functions:

* ``trials(scale) -> list[Trial]``: the independent pieces of work (picklable, JSON parameters);
* ``run_trial(params, seed) -> dict``: one piece; returns JSON-ready numbers, never prints;
* ``summarize(records, scale) -> Summary``: metrics, checks, tables and figure specs.

The verdict is never typed in: :func:`verdict` derives it from the :class:`Check` list, whose
thresholds live in the claim module next to the statement they test.

* a failed check with role ``"claim"`` -> ``fails`` (the paper's statement is contradicted);
* a failed check with role ``"caveat"`` -> ``holds with caveats`` (true only with a limitation,
  e.g. "arbitrarily well" stops at a floating-point floor); the check's ``detail`` says which;
* otherwise ``holds``.

Figures are data (:class:`FigureSpec`): the report draws them; claims never touch matplotlib.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from deepcheap.errors import check_choice, check_seed

Scale = Literal["quick", "full"]
SCALES: tuple[str, ...] = ("quick", "full")
VERDICTS: tuple[str, ...] = ("holds", "holds with caveats", "fails")


# --- checks and verdicts --------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """A measured value against a threshold written in the claim module."""

    name: str
    value: float
    low: float | None = None
    high: float | None = None
    role: Literal["claim", "caveat"] = "claim"
    detail: str = ""

    @property
    def passed(self) -> bool:
        if self.value is None or (isinstance(self.value, float) and math.isnan(self.value)):
            return False
        return (self.low is None or self.value >= self.low) and (self.high is None or self.value <= self.high)

    def describe(self) -> str:
        bounds = []
        if self.low is not None:
            bounds.append(f">= {_fmt(self.low)}")
        if self.high is not None:
            bounds.append(f"<= {_fmt(self.high)}")
        status = "ok" if self.passed else "FAILED"
        return f"{self.name}: {_fmt(self.value)} (needs {' and '.join(bounds)}) {status}"

    def to_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}


def _fmt(x: Any) -> str:
    if isinstance(x, bool) or x is None:
        return str(x)
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if x == 0 or 1e-3 <= abs(x) < 1e5:
            return f"{x:.4g}"
        return f"{x:.3g}"
    return str(x)


def verdict(checks: Sequence[Check]) -> str:
    """``fails`` if a claim check failed, ``holds with caveats`` if a caveat check failed, else ``holds``."""
    if not checks:
        raise ValueError("a verdict needs at least one check")
    if any(not c.passed for c in checks if c.role == "claim"):
        return "fails"
    if any(not c.passed for c in checks if c.role == "caveat"):
        return "holds with caveats"
    return "holds"


# --- figures and tables as data -------------------------------------------------------------


@dataclass
class Series:
    """One line/scatter/bar/step series; ``style`` is passed to matplotlib (color, linestyle, marker)."""

    label: str
    x: list[float]
    y: list[float]
    kind: Literal["line", "scatter", "bar", "step"] = "line"
    yerr: list[float] | None = None
    style: dict[str, Any] = field(default_factory=dict)


@dataclass
class Panel:
    title: str
    xlabel: str
    ylabel: str
    series: list[Series] = field(default_factory=list)
    xscale: Literal["linear", "log", "symlog"] = "linear"
    yscale: Literal["linear", "log", "symlog"] = "linear"
    hlines: list[tuple[float, str]] = field(default_factory=list)
    vlines: list[tuple[float, str]] = field(default_factory=list)
    image: list[list[float]] | None = None  # a heat map drawn under the series
    image_extent: tuple[float, float, float, float] | None = None
    legend: bool = True


@dataclass
class FigureSpec:
    name: str  # file stem, unique within the claim
    caption: str
    panels: list[Panel]
    columns: int = 2


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]]


# --- trials, summaries, results --------------------------------------------------------------


@dataclass(frozen=True)
class Trial:
    """One independent piece of a claim's work. ``params`` must be JSON-ready."""

    claim_id: str
    trial_id: str
    params: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.claim_id}/{self.trial_id}"

    def fingerprint(self, scale: str) -> str:
        """A hash of the claim, trial id, parameters and scale: a logged record is reused only on a match."""
        text = json.dumps([self.claim_id, self.trial_id, scale, self.params], sort_keys=True, separators=(",", ":"),
                          default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def trial_seed(root_seed: int, key: str) -> int:
    """A seed that depends only on the root seed and the trial's key (not on scheduling order)."""
    entropy = [check_seed(root_seed), zlib.crc32(key.encode("utf-8"))]
    return int(np.random.SeedSequence(entropy).generate_state(1, dtype=np.uint64)[0] % (2**63))


@dataclass
class Summary:
    """What ``summarize`` returns; :class:`ClaimResult` adds identity, verdict and timing."""

    checks: list[Check]
    metrics: dict[str, Any]
    headline: str
    figures: list[FigureSpec] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class ClaimResult:
    claim_id: str
    title: str
    section: str
    statement: str
    verdict: str
    headline: str
    checks: list[Check]
    metrics: dict[str, Any]
    figures: list[FigureSpec]
    tables: list[Table]
    notes: list[str]
    scale: str
    seconds: float = 0.0
    trials: int = 0

    @property
    def caveats(self) -> list[str]:
        return [c.detail or c.describe() for c in self.checks if not c.passed and c.role == "caveat"]

    @property
    def failures(self) -> list[str]:
        return [c.detail or c.describe() for c in self.checks if not c.passed and c.role == "claim"]

    def to_dict(self) -> dict:
        """JSON-ready record for results.json (figures by name; their data stays in the report)."""
        return {
            "claim": self.claim_id,
            "title": self.title,
            "section": self.section,
            "statement": self.statement,
            "verdict": self.verdict,
            "headline": self.headline,
            "caveats": self.caveats,
            "failures": self.failures,
            "checks": [c.to_dict() for c in self.checks],
            "metrics": self.metrics,
            "tables": [asdict(t) for t in self.tables],
            "notes": self.notes,
            "figures": [f.name for f in self.figures],
            "scale": self.scale,
            "seconds": round(self.seconds, 3),
            "trials": self.trials,
        }


@dataclass(frozen=True)
class Claim:
    """A claim of the paper made executable (see the module docstring)."""

    id: str
    title: str
    section: str
    statement: str
    trials: Callable[[str], list[Trial]]
    run_trial: Callable[[dict, int], dict]
    summarize: Callable[[list[dict], str], Summary]
    # metric keys measured with a clock (cost exponents...): they differ from run to run, so
    # comparisons of runs across executors leave them out
    timed_metrics: tuple[str, ...] = ()

    def result(self, records: list[dict], scale: str, seconds: float = 0.0) -> ClaimResult:
        """Summarise finished trial records (each ``{"trial", "params", "seed", "result"}``)."""
        ordered = sorted(records, key=lambda r: r["trial"])
        summary = self.summarize(ordered, scale)
        return ClaimResult(
            claim_id=self.id, title=self.title, section=self.section, statement=self.statement,
            verdict=verdict(summary.checks), headline=summary.headline, checks=summary.checks,
            metrics=summary.metrics, figures=summary.figures, tables=summary.tables,
            notes=summary.notes, scale=scale, seconds=seconds, trials=len(records),
        )

    def run(self, scale: str = "quick", seed: int = 0) -> ClaimResult:
        """Run every trial here, one after another, and summarise (no files, no output)."""
        scale, seed = check_choice("scale", scale, SCALES), check_seed(seed)
        start = time.perf_counter()
        records = []
        for trial in self.trials(scale):
            s = trial_seed(seed, trial.key)
            records.append({"trial": trial.trial_id, "params": trial.params, "seed": s,
                            "result": self.run_trial(trial.params, s)})
        return self.result(records, scale, time.perf_counter() - start)


# --- small numeric helpers shared by claims ---------------------------------------------------


def loglog_slope(x: Sequence[float], y: Sequence[float], lo: float | None = None, hi: float | None = None) -> float:
    """Least-squares slope of log y against log x over lo <= x <= hi (positive finite points only)."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = (xs > 0) & (ys > 0) & np.isfinite(xs) & np.isfinite(ys)
    if lo is not None:
        keep &= xs >= lo
    if hi is not None:
        keep &= xs <= hi
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(xs[keep]), np.log(ys[keep]), 1)[0])
