"""Executors for :func:`deepcheap.sweep.run_sweep`, by name: ``serial``, ``process:N``, ``dask:...``.

>>> with open_executor("serial") as pool:
...     pool.submit(pow, 2, 10).result()
1024

Every executor is anything with ``submit(fn, *args) -> future`` and ``future.result()``. Names:

* ``auto`` (the default of ``deepcheap reproduce``): ``process:N`` with N = the number of CPU cores
  (at most 8), or ``serial`` on a single core.
* ``serial``: in this process, one trial after another.
* ``process:N``: N worker processes on this machine (``concurrent.futures``, spawn start method).
* ``dask:local`` / ``dask:local:N``: a Dask ``LocalCluster`` of 2 (or N) worker processes with one
  thread each, dashboard off, logs quiet; it is started and shut down with the run.
* ``dask:ADDRESS``: an existing Dask scheduler, e.g. ``dask:tcp://10.0.0.5:8786`` (a SLURM cluster
  through dask-jobqueue; see docs/distributed.md). The workers need deepcheap installed.

Dask is the optional extra ``pip install "deepcheap[dist]"``, imported only when a ``dask:`` name is
used. Trials are pure and seeded from the root seed and their key, so all executors give the same
numbers (``sweep.execute_trial`` also runs every trial with one torch thread, whoever runs it).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from deepcheap._parent_watch import exit_with_parent
from deepcheap.errors import InvalidArgumentError, MissingExtraError
from deepcheap.sweep import SerialExecutor

FORMS = "auto, serial, process:N, dask:local, dask:local:N or dask:ADDRESS (e.g. dask:tcp://scheduler:8786)"
DIST_HINT = 'pip install "deepcheap[dist]"'
DEFAULT_DASK_WORKERS = 2
MAX_WORKERS = 256
AUTO_MAX_WORKERS = 8
DEFAULT_CONNECT_TIMEOUT = 30.0  # seconds for a dask:ADDRESS scheduler to accept and answer


@dataclass(frozen=True)
class ExecutorSpec:
    """A parsed executor name: ``kind`` is serial, process, dask-local or dask-address."""

    kind: str
    workers: int = 1
    address: str = ""

    def __str__(self) -> str:
        if self.kind == "process":
            return f"process:{self.workers}"
        if self.kind == "dask-local":
            return f"dask:local:{self.workers}"
        if self.kind == "dask-address":
            return f"dask:{self.address}"
        return "serial"


def parse_executor(spec: str) -> ExecutorSpec:
    """``"process:2"`` -> ``ExecutorSpec("process", 2)``; unknown names raise, listing every form."""
    text = str(spec).strip()
    kind, _, arg = text.partition(":")
    kind = kind.lower()
    if kind == "serial" and not arg:
        return ExecutorSpec("serial")
    if kind == "auto" and not arg:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return ExecutorSpec("process", min(cores, AUTO_MAX_WORKERS)) if cores > 1 else ExecutorSpec("serial")
    if kind == "process":
        return ExecutorSpec("process", _workers(arg, "process:N, e.g. process:2"))
    if kind == "dask":
        if arg.lower() == "local":
            return ExecutorSpec("dask-local", DEFAULT_DASK_WORKERS)
        if arg.lower().startswith("local:"):
            return ExecutorSpec("dask-local", _workers(arg[len("local:"):], "dask:local:N, e.g. dask:local:4"))
        if arg.strip():
            return ExecutorSpec("dask-address", address=arg.strip())
        raise InvalidArgumentError(f"executor {text!r} needs a scheduler address or 'local'; use {FORMS}.")
    raise InvalidArgumentError(f"unknown executor {text!r}; use {FORMS}.")


def _workers(text: str, example: str) -> int:
    text = text.strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise InvalidArgumentError(f"the number of workers must be an integer from 1 to {MAX_WORKERS}; "
                                   f"got {text!r}. Write {example}.")
    return int(text)


@contextlib.contextmanager
def open_executor(spec: str | ExecutorSpec, *, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT) -> Iterator:
    """The executor named by ``spec``, shut down cleanly when the block ends.

    ``connect_timeout``: the total time allowed for a ``dask:ADDRESS`` scheduler to accept the
    connection *and* answer as a Dask scheduler.
    """
    parsed = spec if isinstance(spec, ExecutorSpec) else parse_executor(spec)
    if parsed.kind == "serial":
        yield SerialExecutor()
    elif parsed.kind == "process":
        context = multiprocessing.get_context("spawn")  # torch and fork do not mix well
        with _blas_threads(max(1, (os.cpu_count() or 1) // parsed.workers)):  # read by each spawned worker
            pool = ProcessPoolExecutor(max_workers=parsed.workers, mp_context=context, initializer=exit_with_parent)
            try:
                yield pool
            except BaseException:  # Ctrl-C or an error: stop now rather than finish every queued trial first
                _stop_process_pool(pool)
                raise
            pool.shutdown(wait=True)
    elif parsed.kind == "dask-local":
        with _dask_local(parsed.workers) as client:
            yield DaskExecutor(client)
    else:
        with _dask_client(parsed.address, connect_timeout) as client:
            yield DaskExecutor(client)


BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def _blas_threads(threads: int) -> Iterator[None]:
    """Workers' BLAS threads (NumPy/SciPy read these when a worker starts): one share of the cores each, so that
    two workers on two cores do not run four BLAS threads. Variables the user set are left alone."""
    added = [v for v in BLAS_THREAD_VARIABLES if v not in os.environ]
    os.environ.update({v: str(threads) for v in added})
    try:
        yield
    finally:
        for v in added:
            os.environ.pop(v, None)


def _stop_process_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel queued trials and end the workers' running ones (logged trials are safe; the rest rerun)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # private, but there since 3.2
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


class DaskExecutor:
    """``submit(fn, *args)`` on a Dask client, with a fresh key per submission (never cached or merged).

    Dask's default (``pure=True``) would key a task by its arguments; trials are pure, but a key per
    submission keeps a rerun honest and names the task after the trial on the dashboard.
    """

    def __init__(self, client):
        self.client = client

    def submit(self, fn: Callable, *args):
        label = "/".join(str(a) for a in args[:2] if isinstance(a, str)) or "task"
        key = f"{getattr(fn, '__name__', 'task')}-{label}-{uuid.uuid4().hex[:12]}"
        return self.client.submit(fn, *args, key=key, pure=False, retries=0)


def _import_distributed():
    try:
        import distributed
    except ImportError as err:
        raise MissingExtraError(
            f"the dask executors need Dask's distributed scheduler, which is not installed ({err}); "
            f"install it with: {DIST_HINT}"
        ) from None
    return distributed


@contextlib.contextmanager
def _dask_local(workers: int):
    distributed = _import_distributed()
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            distributed.Client(cluster) as client:  # closed before the cluster
        yield client


@contextlib.contextmanager
def _dask_client(address: str, timeout: float = DEFAULT_CONNECT_TIMEOUT):
    distributed = _import_distributed()
    _probe_scheduler(address, timeout)
    try:
        client = distributed.Client(address, timeout=f"{timeout}s")
    except (OSError, TimeoutError, ValueError) as err:
        raise InvalidArgumentError(_unreachable(address, str(err))) from None
    with client:
        yield client


def _unreachable(address: str, why: str) -> str:
    return (f"cannot reach a Dask scheduler at {address!r} ({why}); start one (dask scheduler, or dask-jobqueue) "
            "and pass its address as dask:tcp://HOST:PORT, use dask:local, or allow more time with "
            "--connect-timeout.")


def _probe_scheduler(address: str, timeout: float) -> None:
    """Refuse within ``timeout`` seconds an address that is closed, or open but not a Dask scheduler.

    ``distributed.Client``'s own timeout does not cover a peer that accepts the TCP connection and
    never answers (an HTTP server, a stuck process): the handshake waits for minutes. Here one
    ``identity`` request runs under a deadline that covers connect and handshake together, after a
    plain TCP connect that fails at once on a refused port (Dask itself retries it until the timeout).
    """
    import asyncio
    import socket
    from urllib.parse import urlsplit

    from distributed.comm import connect

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme in ("tcp", "tls") and parts.hostname:
        try:
            with socket.create_connection((parts.hostname, parts.port or 8786), timeout=timeout):
                pass
        except OSError as err:
            raise InvalidArgumentError(_unreachable(address, err.strerror or type(err).__name__)) from None

    async def identity() -> dict:
        comm = await connect(address, timeout=timeout)
        try:
            await comm.write({"op": "identity"})
            return await comm.read()
        finally:
            await comm.close()

    try:
        reply = asyncio.run(asyncio.wait_for(identity(), timeout))
    except TimeoutError:
        why = f"no answer as a Dask scheduler within {timeout:g} s"
        raise InvalidArgumentError(_unreachable(address, why)) from None
    except Exception as err:
        raise InvalidArgumentError(_unreachable(address, f"{type(err).__name__}: {err}")) from None
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        kind = reply.get("type") if isinstance(reply, dict) else type(reply).__name__
        raise InvalidArgumentError(_unreachable(address, f"it answered as {kind!r}, not as a Dask scheduler"))


__all__ = ["DEFAULT_CONNECT_TIMEOUT", "DIST_HINT", "FORMS", "DaskExecutor", "ExecutorSpec", "open_executor",
           "parse_executor"]
