"""Explicit randomness: every seed in deepcheap derives from a root seed and a name through one helper.

>>> derive_seed(0, "C03/boolean-n04") == derive_seed(0, "C03/boolean-n04")
True
>>> rng = numpy_generator(derive_seed(0, "C03/boolean-n04"))
>>> gen = torch_generator(7)

Nothing in deepcheap draws from numpy's or torch's global generator: functions that draw take a seed or
a generator, and claims derive each trial's seed from the root seed and the trial's key, so a trial's
numbers do not depend on which process runs it, in which order, or what ran before.
"""

from __future__ import annotations

import zlib

import numpy as np

from deepcheap.errors import check_seed


def derive_seed(root: int, *names: str | int) -> int:
    """A 63-bit seed from ``root`` and names (numpy ``SeedSequence`` over the root and each name's CRC-32)."""
    entropy = [check_seed(root)] + [zlib.crc32(str(name).encode("utf-8")) for name in names]
    return int(np.random.SeedSequence(entropy).generate_state(1, dtype=np.uint64)[0] % (2**63))


def numpy_generator(seed: int) -> np.random.Generator:
    """A numpy generator from an explicit seed (never OS entropy: ``None`` is refused)."""
    return np.random.default_rng(check_seed(seed))


def torch_generator(seed: int, device="cpu"):
    """A torch generator on ``device`` from an explicit seed."""
    import torch

    return torch.Generator(device=device).manual_seed(check_seed(seed) % 2**63)
