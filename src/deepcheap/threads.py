"""How many threads torch and numba use inside a block (one home for the setting).

>>> import torch
>>> before = torch.get_num_threads()
>>> with torch_threads(1):
...     torch.get_num_threads()
1
>>> torch.get_num_threads() == before
True
"""

from __future__ import annotations

import contextlib
import threading


@contextlib.contextmanager
def torch_threads(n: int):
    """Run with ``n`` torch and numba threads; the previous counts are restored only on the main thread.

    (A Dask worker runs tasks on pool threads that share one torch setting: it is left at ``n``.) Small models on
    shared cores want n = 1: threads waiting on each other made steps of ~1 ms take ~40 ms, and timings chaotic.
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
