"""Run claims' trials on any executor, appending each finished trial to a JSON Lines log.

>>> from deepcheap.claims import select_claims
>>> results = run_sweep(select_claims("C03"), "quick", seed=0)      # serial, no log
>>> results["C03"].verdict
'untested'

Executors: ``None`` (serial, in this process) or anything with ``submit(fn, *args) -> future``
whose ``future.result()`` returns: ``concurrent.futures.ProcessPoolExecutor``, a Dask
``distributed.Client``... Trials are pure and their seeds come from the root seed and the trial's
key, so every executor gives the same numbers. Results are collected with ``.result()`` only.

Configurations: each claim runs at its ``QUICK`` or ``FULL`` config (``scale``), or at the config given
for it in ``configs`` (``{claim id: Config}``, e.g. ``dataclasses.replace(get("C12").QUICK, ...)``).

Resume: with ``log_path`` every finished trial is appended as one JSON line and flushed, with a
fingerprint of its parameters (:meth:`deepcheap.claims.Trial.fingerprint`; a trial's parameters hold
every number it uses). With ``resume=True`` a trial whose key *and* fingerprint are in the log is not run
again; records of another configuration, a truncated last line (a killed run) and any line that is not a
readable record are dropped from the log and those trials redone (:class:`ResumeState` counts them).
The log's directory is locked while the sweep runs (:mod:`deepcheap.rundir`).

Threads: every trial runs with one torch thread and one numba thread, whichever executor runs it.
Trials are small, so parallelism belongs across trials (``process:N``, Dask); one thread also keeps
floating-point reductions in the same order everywhere, so results are bitwise identical across
executors, and no idle OpenMP pool of one worker spins on the cores the other workers need.

Tracing: if the environment variable ``DEEPCHEAP_TRACE_TRIALS`` names a file, each executed trial
appends its key there (one line, from whichever process ran it): a check that resume redoes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from deepcheap.claims import Claim, ClaimResult, Trial, config_dict, get_claim, trial_seed
from deepcheap.errors import InvalidArgumentError
from deepcheap.threads import torch_threads

TRACE_ENV = "DEEPCHEAP_TRACE_TRIALS"
TRIAL_THREADS = 1


def execute_trial(claim_id: str, trial_id: str, params: dict, seed: int) -> dict:
    """Run one trial (module-level, so it pickles for process and Dask workers)."""
    _trace(f"{claim_id}/{trial_id}")
    with torch_threads(TRIAL_THREADS):
        start = time.perf_counter()
        result = get_claim(claim_id).run_trial(params, seed)
        seconds = round(time.perf_counter() - start, 4)
    return {"claim": claim_id, "trial": trial_id, "params": params, "seed": seed, "result": result,
            "seconds": seconds}


def _trace(key: str) -> None:
    path = os.environ.get(TRACE_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as handle:  # one short O_APPEND write: safe across processes
            handle.write(key + "\n")


class _Deferred:
    """A future that runs its call, in this process, when its result is first asked for."""

    def __init__(self, fn: Callable, args: tuple):
        self._fn, self._args, self._done, self._value = fn, args, False, None

    def result(self, timeout: float | None = None):
        if not self._done:
            self._value, self._done = self._fn(*self._args), True
        return self._value


class SerialExecutor:
    """Runs each submission in this process, in the order results are collected."""

    def submit(self, fn: Callable, *args) -> _Deferred:
        return _Deferred(fn, args)


@dataclass
class LogContents:
    """The readable trial records of a log, and how many lines could not be read as one."""

    records: list[dict]
    damaged: int = 0  # undecodable or foreign lines: skipped, and their trials are run again
    torn: bool = False  # the last line has no newline (a run was killed while writing it)


def read_log(path: str | Path) -> list[dict]:
    """Finished trial records from a JSON Lines log (damaged lines skipped; see :func:`load_log`)."""
    return load_log(path).records


def load_log(path: str | Path) -> LogContents:
    """Read a log line by line as bytes: a torn last line (a killed run) is dropped, any other line that is
    not a UTF-8 JSON trial record is counted as damaged and skipped. A file with no record at all but
    damaged lines is not a deepcheap log and is refused."""
    path = Path(path)
    if not path.exists():
        return LogContents([])
    data = path.read_bytes()
    lines = data.split(b"\n")
    torn = bool(data) and not data.endswith(b"\n")
    lines = lines[:-1]  # the torn line, or the empty string after the last newline
    records, damaged = [], 0
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            damaged += 1
            continue
        if not isinstance(record, dict) or not {"claim", "trial", "result"} <= record.keys():
            damaged += 1
            continue
        records.append(record)
    if damaged and not records:
        raise InvalidArgumentError(f"{path} is not a deepcheap trial log ({damaged} lines, none a trial record); "
                                   "use a new --out, or --overwrite to replace it.")
    return LogContents(records, damaged, torn)


def _append(path: Path, record: dict) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, separators=(",", ":")) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _rewrite(path: Path, records: list[dict]) -> None:
    """Replace the log by ``records`` atomically (a kill leaves the old file or the new one, never half)."""
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, separators=(",", ":")) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)


def _check_seeds(log: Path, done: dict[str, dict], seed: int) -> None:
    """A log written with another root seed cannot be resumed: its trials would not match a fresh run."""
    for key, record in done.items():
        if "seed" in record and record["seed"] != trial_seed(seed, key):
            raise InvalidArgumentError(
                f"{log} holds trial {key} run with another root seed; resume with the run's --seed or use a new --out."
            )


def resolve_configs(claims: Iterable[Claim], scale: str, configs: dict | None = None) -> dict:
    """claim id -> the Config each claim runs at: ``configs[id]`` if given, else the claim's ``scale`` instance."""
    configs = dict(configs or {})
    claims = list(claims)
    unknown = sorted(set(configs) - {c.id for c in claims})
    if unknown:
        raise InvalidArgumentError(f"configs given for claims not in this run: {', '.join(unknown)}.")
    return {c.id: c.config(configs.get(c.id, scale)) for c in claims}


def claim_configs(plan: list[tuple[Claim, list[Trial]]], configs: dict) -> dict[str, dict]:
    """claim id -> its configuration and a fingerprint of all its trials' parameters (recorded in the manifest)."""
    out = {}
    for claim, trials in plan:
        text = ",".join(t.fingerprint() for t in trials)
        out[claim.id] = {"scale": claim.scale_of(configs[claim.id]), "config": config_dict(configs[claim.id]),
                         "fingerprint": hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]}
    return out


def plan_trials(claims: Iterable[Claim], configs: dict) -> list[tuple[Claim, list[Trial]]]:
    return [(claim, claim.trials(configs[claim.id])) for claim in claims]


@dataclass
class ResumeState:
    """What a resumed log contributed: records reused, and lines skipped as damaged or stale."""

    done: dict[str, dict] = field(default_factory=dict)
    damaged: int = 0  # lines that were not trial records
    stale: int = 0  # records of another configuration (fingerprint mismatch): redone


def _resume_state(log: Path, plan, seed: int) -> ResumeState:
    contents = load_log(log)
    wanted = {t.key: t.fingerprint() for _, trials in plan for t in trials}
    state = ResumeState(damaged=contents.damaged)
    kept = []
    for record in contents.records:
        key = f"{record['claim']}/{record['trial']}"
        if key in wanted and record.get("fingerprint") != wanted[key]:
            state.stale += 1
            continue
        kept.append(record)
        if key in wanted:
            state.done[key] = record
    _check_seeds(log, state.done, seed)
    if state.damaged or state.stale or contents.torn:
        _rewrite(log, kept)
    return state


def run_sweep(claims: Iterable[Claim], scale: str = "quick", seed: int = 0, *, configs: dict | None = None,
              executor=None, log_path: str | Path | None = None, resume: bool = False, overwrite: bool = False,
              on_trial: Callable[[Trial, dict, bool], None] | None = None,
              on_claim: Callable[[ClaimResult], None] | None = None,
              resume_state: ResumeState | None = None) -> dict[str, ClaimResult]:
    """Run every trial of ``claims`` at ``scale`` (or at their ``configs``) and summarise each claim.

    ``on_trial(trial, record, reused)`` is called as each trial finishes (``reused``: taken from
    the log); ``on_claim(result)`` as each claim is summarised. Returns ``{claim id: ClaimResult}``.

    With ``log_path``, the log's directory is locked for the run (:mod:`deepcheap.rundir`); an existing
    log is continued with ``resume`` (checked against the directory's manifest, records matched by
    key and fingerprint), replaced with ``overwrite``, and otherwise refused. ``resume_state``, if
    given, receives how many records were reused and how many lines were skipped.
    """
    from deepcheap.rundir import acquire_lock, check_resumable

    claims = list(claims)
    executor = executor or SerialExecutor()
    log = Path(log_path) if log_path is not None else None
    configs = resolve_configs(claims, scale, configs)
    plan = plan_trials(claims, configs)
    state = resume_state if resume_state is not None else ResumeState()
    lock = None
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        lock = acquire_lock(log.parent)
    try:
        if log is not None:
            if resume:
                check_resumable(log.parent, scale, seed, claim_configs(plan, configs))
                resumed = _resume_state(log, plan, seed)
                state.done, state.damaged, state.stale = resumed.done, resumed.damaged, resumed.stale
            elif log.exists() and log.stat().st_size:
                if not overwrite:
                    raise InvalidArgumentError(f"{log} holds trials of an earlier run; pass resume=True to continue "
                                               "it, overwrite=True to replace it, or use another log.")
                log.unlink()
        return _run(plan, configs, seed, executor, log, state.done, on_trial, on_claim)
    finally:
        if lock is not None:
            lock.close()


def _run(plan, configs, seed, executor, log, done, on_trial, on_claim) -> dict[str, ClaimResult]:
    futures: dict = {}
    for _claim, trials in plan:  # submit everything first so parallel executors stay busy
        for trial in trials:
            if trial.key not in done:
                futures[trial.key] = executor.submit(
                    execute_trial, trial.claim_id, trial.trial_id, trial.params, trial_seed(seed, trial.key))
    results: dict[str, ClaimResult] = {}
    for claim, trials in plan:
        records, seconds = [], 0.0
        for trial in trials:
            reused = trial.key in done
            if reused:
                record = done[trial.key]
            else:
                record = {**futures[trial.key].result(), "fingerprint": trial.fingerprint()}
                if log is not None:
                    _append(log, record)
            records.append(record)
            seconds += record.get("seconds", 0.0)
            if on_trial is not None:
                on_trial(trial, record, reused)
        results[claim.id] = claim.result(records, configs[claim.id], seconds)
        if on_claim is not None:
            on_claim(results[claim.id])
    return results
