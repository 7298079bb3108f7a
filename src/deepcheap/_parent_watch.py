"""End a worker process as soon as the process that started it dies (standard library only, so a
fresh worker starts watching before it imports torch or the claims).

A parent killed by SIGKILL runs no cleanup; without this, a worker in the middle of a trial keeps
computing, and holding its memory, until the trial ends. A daemon thread waits on the parent's
sentinel (a pipe that closes when the parent dies) and exits the worker at once.
"""

from __future__ import annotations

import multiprocessing
import os
import threading

EXIT_STATUS = 3


def exit_with_parent() -> None:
    """``ProcessPoolExecutor(initializer=exit_with_parent)``: start the watch in this worker."""
    parent = multiprocessing.parent_process()
    if parent is None:  # pragma: no cover - not started by multiprocessing
        return

    def watch() -> None:
        parent.join()  # returns when the parent's sentinel closes
        os._exit(EXIT_STATUS)

    threading.Thread(target=watch, name="deepcheap-parent-watch", daemon=True).start()
