"""What a claim is, how it is configured, and what it returns.

A claim module defines a frozen dataclass ``Config`` with two instances, ``QUICK`` and ``FULL``, and
``CLAIM = Claim(...)`` with three pure functions:

* ``trials(config) -> list[Trial]``: the independent pieces of work; every number a trial uses is in its
  JSON-ready ``params`` (nothing hidden in the trial body, no scale name smuggled through);
* ``run_trial(params, seed) -> dict``: one piece; returns JSON-ready numbers, never prints; its randomness
  comes only from ``seed`` (derived from the root seed and the trial's key);
* ``summarize(records, config) -> Summary``: metrics, checks (with roles, see :mod:`.checks`), tables and
  figures as data.

The verdict is never typed in: :func:`deepcheap.claims.checks.verdict` derives it from the measurement
checks, whose predictions and tolerances live in the claim module next to the statement they test.

>>> from dataclasses import replace
>>> from deepcheap.claims import get
>>> c03 = get("C03")
>>> result = c03.run(config=replace(c03.QUICK, ks=(1, 2, 3), boolean_ns=(2, 3)))
>>> result.scale, result.verdict in ("holds", "holds with caveats", "fails", "untested")
('custom', True)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from deepcheap.claims.checks import Check, headline_check, measurements, verdict
from deepcheap.claims.presentation import FigureSpec, Table
from deepcheap.errors import InvalidArgumentError, check_choice, check_seed
from deepcheap.seeds import derive_seed

Scale = Literal["quick", "full"]
SCALES: tuple[str, ...] = ("quick", "full")


@dataclass(frozen=True)
class Trial:
    """One independent piece of a claim's work. ``params`` must be JSON-ready and hold every number it uses."""

    claim_id: str
    trial_id: str
    params: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.claim_id}/{self.trial_id}"

    def fingerprint(self) -> str:
        """A hash of the claim, trial id and parameters: a logged record is reused only on a match."""
        text = json.dumps([self.claim_id, self.trial_id, self.params], sort_keys=True, separators=(",", ":"),
                          default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def trial_seed(root_seed: int, key: str) -> int:
    """A seed that depends only on the root seed and the trial's key (not on scheduling order)."""
    return derive_seed(root_seed, key)


def config_dict(config) -> dict:
    """A claim configuration as JSON-ready data (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(config), default=str))


@dataclass
class Summary:
    """What ``summarize`` returns; :class:`ClaimResult` adds identity, verdict and timing.

    ``untested``: when no check is a measurement, what would test the claim (shown with the verdict).
    """

    checks: list[Check]
    metrics: dict[str, Any]
    headline: str
    figures: list[FigureSpec] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    untested: str = ""


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
    config: dict = field(default_factory=dict)
    untested: str = ""
    seconds: float = 0.0
    trials: int = 0

    @property
    def caveats(self) -> list[str]:
        return [c.detail or c.describe() for c in measurements(self.checks) if not c.passed and c.caveat]

    @property
    def failures(self) -> list[str]:
        return [c.detail or c.describe() for c in measurements(self.checks) if not c.passed and not c.caveat]

    @property
    def headline_check(self) -> Check | None:
        return headline_check(self.checks)

    def counts(self) -> dict[str, dict[str, int]]:
        """Per role: how many checks passed, of how many."""
        out = {}
        for role in ("measurement", "identity", "construction"):
            of_role = [c for c in self.checks if c.role == role]
            out[role] = {"passed": sum(c.passed for c in of_role), "total": len(of_role)}
        return out

    def to_dict(self) -> dict:
        """JSON-ready record for results.json: numbers stay numbers (figures by name; their data is in the report)."""
        return {
            "claim": self.claim_id,
            "title": self.title,
            "section": self.section,
            "statement": self.statement,
            "verdict": self.verdict,
            "headline": self.headline,
            "untested": self.untested,
            "caveats": self.caveats,
            "failures": self.failures,
            "counts": self.counts(),
            "checks": [c.to_dict() for c in self.checks],
            "metrics": self.metrics,
            "tables": [t.to_dict() for t in self.tables],
            "notes": self.notes,
            "figures": [f.name for f in self.figures],
            "scale": self.scale,
            "config": self.config,
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
    quick: Any  # the claim's Config at --quick
    full: Any  # ... and at --full
    trials: Callable[[Any], list[Trial]]
    run_trial: Callable[[dict, int], dict]
    summarize: Callable[[list[dict], Any], Summary]
    # metric keys measured with a clock (cost exponents...): they differ from run to run, so
    # comparisons of runs across executors or global-RNG states leave them out
    timed_metrics: tuple[str, ...] = ()

    @property
    def QUICK(self):
        return self.quick

    @property
    def FULL(self):
        return self.full

    @property
    def config_type(self) -> type:
        return type(self.quick)

    def config(self, scale_or_config: str | Any = "quick"):
        """``"quick"``/``"full"`` -> that instance; a Config of this claim -> itself."""
        if isinstance(scale_or_config, str):
            scale = check_choice("scale", scale_or_config, SCALES)
            return self.quick if scale == "quick" else self.full
        if not isinstance(scale_or_config, self.config_type):
            raise InvalidArgumentError(
                f"{self.id} takes a {self.config_type.__module__}.Config (e.g. dataclasses.replace("
                f"get('{self.id}').QUICK, ...)); got {type(scale_or_config).__name__}.")
        return scale_or_config

    def scale_of(self, config) -> str:
        """``quick``, ``full``, or ``custom`` for a configuration that is neither."""
        return "quick" if config == self.quick else "full" if config == self.full else "custom"

    def result(self, records: list[dict], config: Any = "quick", seconds: float = 0.0) -> ClaimResult:
        """Summarise finished trial records (each ``{"trial", "params", "seed", "result"}``)."""
        config = self.config(config)
        ordered = sorted(records, key=lambda r: r["trial"])
        summary = self.summarize(ordered, config)
        found = verdict(summary.checks)
        return ClaimResult(
            claim_id=self.id, title=self.title, section=self.section, statement=self.statement,
            verdict=found, headline=summary.headline, checks=summary.checks, metrics=summary.metrics,
            figures=summary.figures, tables=summary.tables, notes=summary.notes, scale=self.scale_of(config),
            config=config_dict(config), untested=summary.untested, seconds=seconds, trials=len(records),
        )

    def run(self, scale: str = "quick", seed: int = 0, *, config: Any = None) -> ClaimResult:
        """Run every trial here, one after another, and summarise (no files, no output).

        ``config`` (an instance of the claim's Config) overrides ``scale``.
        """
        config = self.config(scale if config is None else config)
        seed = check_seed(seed)
        start = time.perf_counter()
        records = []
        for trial in self.trials(config):
            s = trial_seed(seed, trial.key)
            records.append({"trial": trial.trial_id, "params": trial.params, "seed": s,
                            "result": self.run_trial(trial.params, s)})
        return self.result(records, config, time.perf_counter() - start)
