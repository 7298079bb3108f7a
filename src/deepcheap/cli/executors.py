"""--executor strings -> executor objects (context managers that shut down cleanly)."""

from __future__ import annotations

import contextlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from deepcheap.errors import InvalidArgumentError, check_int_range
from deepcheap.sweep import SerialExecutor


@contextlib.contextmanager
def make_executor(spec: str):
    """``serial`` or ``process:N``."""
    kind, _, arg = spec.partition(":")
    kind = kind.strip().lower()
    if kind == "serial" and not arg:
        yield SerialExecutor()
    elif kind == "process":
        workers = check_int_range("process workers", int(arg) if arg.strip().isdigit() else -1, 1, 256,
                                  hint="write --executor process:N, e.g. process:2")
        context = multiprocessing.get_context("spawn")  # torch and fork do not mix well
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            yield pool
    else:
        raise InvalidArgumentError(f"unknown executor {spec!r}; use serial or process:N.")
