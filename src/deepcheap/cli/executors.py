"""--executor strings -> executor objects (context managers that shut down cleanly).

The forms and their meaning live in :mod:`deepcheap.executors`; this module is the CLI's name for them.
"""

from __future__ import annotations

from deepcheap.executors import DEFAULT_CONNECT_TIMEOUT, FORMS, open_executor, parse_executor

EXECUTOR_HELP = (
    "auto (default: process:N on N cores, serial on one), serial, process:N (N local processes), "
    "dask:local[:N] (a local Dask cluster, 2 workers by "
    "default), or dask:ADDRESS (a running Dask scheduler, e.g. dask:tcp://host:8786). Dask needs the optional "
    "extra 'dist' of deepcheap."
)  # no square brackets: typer renders help as rich markup


def make_executor(spec: str, *, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT):
    """``serial``, ``process:N``, ``dask:local``, ``dask:local:N`` or ``dask:ADDRESS``."""
    return open_executor(parse_executor(spec), connect_timeout=connect_timeout)


__all__ = ["EXECUTOR_HELP", "FORMS", "make_executor", "parse_executor"]
