"""Ising block spins: majority rule, decimation and random spins, and the temperature information they keep.

* :func:`block_spins`: majority rule (ties broken by the block's top-left spin), decimation, or the same
  number of spins at random positions (no geometry: the control);
* :func:`coarse_features`: (e, |m|, m^2) of a coarse lattice, the features a temperature classifier sees;
* :func:`coarse_grained_scores`: that classifier's test accuracy and information at every level of every rule.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from deepcheap.errors import InvalidArgumentError, check_choice, check_int_range
from deepcheap.physics.lattice import energy, magnetization
from deepcheap.renormalization.classifier import ClassifierScore, temperature_information
from deepcheap.renormalization.flow import coarse_side
from deepcheap.seeds import derive_seed, numpy_generator

COARSE_GRAININGS = ("majority", "decimation", "random")


def block_spins(configs: np.ndarray, b: int, rule: str = "majority", seed: int | None = None) -> np.ndarray:
    """Coarse-grain +-1 configurations (..., L, L) to (..., L/b, L/b).

    * ``majority``: the sign of each b x b block's sum; ties (even b) go to the block's top-left spin;
    * ``decimation``: each block's top-left spin;
    * ``random``: (L/b)^2 spins drawn at random positions (drawn from ``seed``, required for this rule),
      laid out on the coarse grid in random order: the same number of spins, no geometry.
    """
    check_choice("rule", rule, COARSE_GRAININGS)
    configs = np.asarray(configs)
    L = configs.shape[-1]
    m = coarse_side(L, b)
    if rule == "decimation":
        return configs[..., ::b, ::b].copy()
    if rule == "random":
        if seed is None:
            raise InvalidArgumentError("the random rule draws spin positions: give seed=<int>.")
        pick = numpy_generator(seed).choice(L * L, size=m * m, replace=False)
        flat = configs.reshape(*configs.shape[:-2], L * L)
        return flat[..., pick].reshape(*configs.shape[:-2], m, m)
    sums = configs.reshape(*configs.shape[:-2], m, b, m, b).sum(axis=(-3, -1), dtype=np.int64)
    top_left = configs[..., ::b, ::b]
    return np.where(sums > 0, 1, np.where(sums < 0, -1, top_left)).astype(configs.dtype)


def coarse_features(configs: np.ndarray) -> np.ndarray:
    """Per configuration: (e, |m|, m^2) with e = -E / (2N) the mean nearest-neighbour product (0 on one site)."""
    s = np.asarray(configs)
    L = s.shape[-1]
    e = -energy(s) / (2 * L * L) if L > 1 else np.zeros(s.shape[:-2])
    m = magnetization(s) if L > 1 else s[..., 0, 0].astype(float)
    return np.stack([e, np.abs(m), m * m], axis=-1)


def coarse_grained_scores(configs: np.ndarray, labels: np.ndarray, *, b: int, levels: int, seed: int,
                          rules: Sequence[str] = COARSE_GRAININGS,
                          l2: float = 1e-4) -> dict[str, tuple[ClassifierScore, ...]]:
    """Temperature classifier scores at levels 0..``levels`` of each rule (level l: (L / b^l)^2 spins).

    Majority and decimation coarse-grain level after level; ``random`` takes (L / b^l)^2 spins of the fine
    lattice at positions drawn from ``derive_seed(seed, "positions", l)``. Every score uses the same
    train/test split (``derive_seed(seed, "split")``), so the rules are compared on the same configurations.
    """
    levels = check_int_range("levels", levels, 0)
    coarse_side(np.shape(configs)[-1], b**levels)
    split = derive_seed(seed, "split")
    out = {}
    for rule in rules:
        scores, cur = [], configs
        for lv in range(levels + 1):
            if lv > 0:
                cur = (block_spins(configs, b**lv, "random", seed=derive_seed(seed, "positions", lv))
                       if rule == "random" else block_spins(cur, b, rule))
            scores.append(temperature_information(coarse_features(cur), labels, split, l2))
        out[rule] = tuple(scores)
    return out
