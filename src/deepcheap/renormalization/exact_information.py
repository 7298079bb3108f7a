"""Exact information about the temperature that block spins keep, every state of a small lattice enumerated.

T is uniform over two temperatures; p(T, s) = p_T(s) / 2 with p_T the Boltzmann distribution of
:func:`deepcheap.physics.exact.exact_distribution`. For a coarse-graining c, I(T; c(s)) in bits comes from
p(T, c) = sum_{s: c(s) = c} p(T, s) (:func:`deepcheap.hierarchy.mutual_information`), and the Bayes accuracy
of guessing T from c is sum_c max_T p(T, c).

>>> r = exact_temperature_information(3, (2.0, 2.6), rules=("majority",), b=3)
>>> r.spins, r.bits["majority"][1]  # 3x3 -> one majority spin: symmetric under a global flip
((9, 1), 0.0)
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from deepcheap.errors import InvalidArgumentError, check_choice, check_int_range
from deepcheap.hierarchy import mutual_information
from deepcheap.physics.exact import exact_distribution
from deepcheap.renormalization.blockspins import COARSE_GRAININGS, block_spins


@dataclass(frozen=True)
class ExactTemperatureInformation:
    """I(T; level) in bits and the Bayes accuracy, per rule and level ((L / b^l)^2 spins at level l).

    ``random`` is the exact average over every set of (L / b^l)^2 sites of the fine lattice: the expected
    information of spins at uniformly random positions; ``random_range[l]`` is (worst, best) over those sets.
    Level 0 is the full configuration for every rule.
    """

    L: int
    b: int
    temperatures: tuple[float, float]
    spins: tuple[int, ...]
    bits: dict[str, tuple[float, ...]]
    bayes_accuracy: dict[str, tuple[float, ...]]
    random_range: tuple[tuple[float, float], ...] = ()

    def to_dict(self) -> dict:
        return {"L": self.L, "b": self.b, "temperatures": list(self.temperatures), "spins": list(self.spins),
                "bits": {r: list(v) for r, v in self.bits.items()},
                "bayes_accuracy": {r: list(v) for r, v in self.bayes_accuracy.items()},
                "random_range": [list(v) for v in self.random_range]}


def temperature_joint(L: int, temperatures: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """All states (2^(L^2), L, L) and p(T, s), shape (2, 2^(L^2)), for T uniform over two temperatures."""
    if len(temperatures) != 2:
        raise InvalidArgumentError(f"give exactly two temperatures; got {len(temperatures)}.")
    states, p0 = exact_distribution(L, temperatures[0])
    _, p1 = exact_distribution(L, temperatures[1])
    return states, 0.5 * np.stack([p0, p1])


def coarse_information(joint: np.ndarray, codes: np.ndarray) -> tuple[float, float]:
    """(I(T; c) in bits, Bayes accuracy) from p(T, s) (shape (2, S)) and the code c(s) in 0..C-1 of each state."""
    codes = np.asarray(codes, dtype=np.int64)
    size = int(codes.max()) + 1
    coarse = np.stack([np.bincount(codes, weights=row, minlength=size) for row in joint])
    return mutual_information(coarse, base=2), float(coarse.max(axis=0).sum())


def state_codes(configs: np.ndarray) -> np.ndarray:
    """Each +-1 configuration (..., L, L) as the integer whose bit j is site j (row-major) being +1."""
    flat = (np.asarray(configs).reshape(len(configs), -1) > 0).astype(np.int64)
    return flat @ (1 << np.arange(flat.shape[1], dtype=np.int64))


def lattice_symmetries(L: int) -> np.ndarray:
    """The site permutations of the periodic L x L lattice that keep its bonds: 8 point operations x L^2 shifts.

    Row g maps site j (row-major) to site ``out[g, j]``. The Ising measure is invariant under each.
    """
    grid = np.arange(L * L).reshape(L, L)
    images = []
    for turns in range(4):
        for flip in (False, True):
            g = np.rot90(grid, turns)
            g = g.T if flip else g
            images += [np.roll(g, (dx, dy), axis=(0, 1)).ravel() for dx in range(L) for dy in range(L)]
    return np.argsort(np.array(images), axis=1)  # position of each site in each image


def subset_information(states: np.ndarray, joint: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(bits, Bayes accuracy) of every set of k sites, one row per symmetry class, and each class's size.

    Returns ``(values, counts)``: values[c] = (I(T; s_A), accuracy) for a representative A of class c and
    counts[c] the number of k-sets in it (they sum to C(L^2, k)); sets related by a lattice symmetry
    (:func:`lattice_symmetries`) keep the same information, so each class is computed once.
    """
    L = states.shape[-1]
    sites = L * L
    k = check_int_range("k", k, 1, sites)
    subsets = np.array(list(itertools.combinations(range(sites), k)), dtype=np.int64)
    masks = (np.int64(1) << lattice_symmetries(L)[:, subsets]).sum(axis=-1)  # (symmetries, subsets)
    _, representatives, counts = np.unique(masks.min(axis=0), return_index=True, return_counts=True)
    codes = state_codes(states)
    values = [coarse_information(joint, sum(((codes >> int(j)) & 1) << t for t, j in enumerate(subsets[r])))
              for r in representatives]
    return np.array(values), counts


def exact_temperature_information(L: int, temperatures: Sequence[float], rules: Sequence[str] = COARSE_GRAININGS,
                                  b: int = 2) -> ExactTemperatureInformation:
    """Exact I(T; level) in bits for T uniform over two ``temperatures``, by enumerating all 2^(L^2) states.

    Levels: the full configuration, then repeated b x b coarse-graining by each rule down to one spin;
    ``random`` averages every set of as many sites (:func:`subset_information`).
    """
    for rule in rules:
        check_choice("rule", rule, COARSE_GRAININGS)
    b = check_int_range("b", b, 2)
    states, joint = temperature_joint(L, temperatures)
    sides = [L]
    while sides[-1] % b == 0:
        sides.append(sides[-1] // b)
    spins = tuple(s * s for s in sides)
    level0 = coarse_information(joint, np.arange(joint.shape[1]))
    bits, accs, random_range = {}, {}, ()
    for rule in rules:
        values, cur = [level0], states
        for k in spins[1:]:
            if rule == "random":
                sets, counts = subset_information(states, joint, k)
                values.append(tuple(counts @ sets / counts.sum()))
                random_range += ((float(sets[:, 0].min()), float(sets[:, 0].max())),)
            else:
                cur = block_spins(cur, b, rule)
                values.append(coarse_information(joint, state_codes(cur)))
        bits[rule] = tuple(float(v[0]) for v in values)
        accs[rule] = tuple(float(v[1]) for v in values)
    return ExactTemperatureInformation(L, b, tuple(map(float, temperatures)), spins, bits, accs, random_range)
