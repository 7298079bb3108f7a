"""Run claims' trials on any executor, appending each finished trial to a JSON Lines log.

>>> from deepcheap.claims import select_claims
>>> results = run_sweep(select_claims("C03"), "quick", seed=0)      # serial, no log
>>> results["C03"].verdict
'holds'

Executors: ``None`` (serial, in this process) or anything with ``submit(fn, *args) -> future``
whose ``future.result()`` returns: ``concurrent.futures.ProcessPoolExecutor``, a Dask
``distributed.Client``... Trials are pure and their seeds come from the root seed and the trial's
key, so every executor gives the same numbers. Results are collected with ``.result()`` only.

Resume: with ``log_path`` every finished trial is appended as one JSON line and flushed. Trials
whose key is already in the log are not run again; a truncated last line (a killed run) is
ignored and that trial redone.

Threads: every trial runs with one torch thread and one numba thread, whichever executor runs it.
Trials are small, so parallelism belongs across trials (``process:N``, Dask); one thread also keeps
floating-point reductions in the same order everywhere, so results are bitwise identical across
executors, and no idle OpenMP pool of one worker spins on the cores the other workers need.

Tracing: if the environment variable ``DEEPCHEAP_TRACE_TRIALS`` names a file, each executed trial
appends its key there (one line, from whichever process ran it): a check that resume redoes nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from deepcheap.claims import Claim, ClaimResult, Trial, get_claim, trial_seed
from deepcheap.errors import InvalidArgumentError

TRACE_ENV = "DEEPCHEAP_TRACE_TRIALS"
TRIAL_THREADS = 1


def execute_trial(claim_id: str, trial_id: str, params: dict, seed: int) -> dict:
    """Run one trial (module-level, so it pickles for process and Dask workers)."""
    _trace(f"{claim_id}/{trial_id}")
    with _torch_threads(TRIAL_THREADS):
        start = time.perf_counter()
        result = get_claim(claim_id).run_trial(params, seed)
        seconds = round(time.perf_counter() - start, 4)
    return {"claim": claim_id, "trial": trial_id, "params": params, "seed": seed, "result": result,
            "seconds": seconds}


@contextlib.contextmanager
def _torch_threads(n: int):
    """Run with ``n`` torch and numba threads; the previous counts are restored only on the main thread.

    (A Dask worker runs tasks on pool threads that share one torch setting: it is left at ``n``.)
    """
    import numba
    import torch

    previous, previous_numba = torch.get_num_threads(), numba.get_num_threads()
    torch.set_num_threads(n)
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        if threading.current_thread() is threading.main_thread():
            torch.set_num_threads(previous)
            numba.set_num_threads(previous_numba)


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


def read_log(path: str | Path) -> list[dict]:
    """Finished trial records from a JSON Lines log; a damaged last line is dropped."""
    path = Path(path)
    if not path.exists():
        return []
    records, lines = [], path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):  # the run was killed while writing this line
                break
            raise InvalidArgumentError(
                f"{path} line {number} is not JSON; this is not a deepcheap trial log (use a new --out)."
            ) from None
        if not isinstance(record, dict) or not {"claim", "trial", "result"} <= record.keys():
            raise InvalidArgumentError(f"{path} line {number} is not a deepcheap trial record; use a new --out.")
        records.append(record)
    return records


def _append(path: Path, record: dict) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, separators=(",", ":")) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _repair_tail(path: Path) -> None:
    """Cut a truncated last line left by a killed run so appends start on a fresh line."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        path.write_bytes(data[: data.rfind(b"\n") + 1])


def _check_seeds(log: Path, done: dict[str, dict], seed: int) -> None:
    """A log written with another root seed cannot be resumed: its trials would not match a fresh run."""
    for key, record in done.items():
        if "seed" in record and record["seed"] != trial_seed(seed, key):
            raise InvalidArgumentError(
                f"{log} holds trial {key} run with another root seed; resume with the run's --seed or use a new --out."
            )


def run_sweep(claims: Iterable[Claim], scale: str, seed: int = 0, *, executor=None,
              log_path: str | Path | None = None, resume: bool = False,
              on_trial: Callable[[Trial, dict, bool], None] | None = None,
              on_claim: Callable[[ClaimResult], None] | None = None) -> dict[str, ClaimResult]:
    """Run every trial of ``claims`` at ``scale`` and summarise each claim.

    ``on_trial(trial, record, reused)`` is called as each trial finishes (``reused``: taken from
    the log); ``on_claim(result)`` as each claim is summarised. Returns ``{claim id: ClaimResult}``.
    """
    claims = list(claims)
    executor = executor or SerialExecutor()
    log = Path(log_path) if log_path is not None else None
    done: dict[str, dict] = {}
    if log is not None:
        if resume:
            _repair_tail(log)
            done = {f"{r['claim']}/{r['trial']}": r for r in read_log(log)}
            _check_seeds(log, done, seed)
        elif log.exists():
            log.unlink()
    plan = [(claim, claim.trials(scale)) for claim in claims]
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
            record = done[trial.key] if reused else futures[trial.key].result()
            if not reused and log is not None:
                _append(log, record)
            records.append(record)
            seconds += record.get("seconds", 0.0)
            if on_trial is not None:
                on_trial(trial, record, reused)
        results[claim.id] = claim.result(records, scale, seconds)
        if on_claim is not None:
            on_claim(results[claim.id])
    return results
