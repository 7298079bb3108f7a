"""Entropy and mutual information of discrete distributions, exactly; the data processing inequality.

The one home of mutual information in deepcheap (C07, C08 and the renormalization module call it).

>>> round(mutual_information(np.eye(2) / 2, base=2), 12)
1.0

* :func:`mutual_information`: I(x; y) = sum p(x, y) log[p(x, y) / (p(x) p(y))] from a joint table;
* :func:`merge_information_loss`: what merging two values of y costs, as a sum of KL divergences;
* :func:`statistic_joint`: p(x, T(y)) from p(x, y) and the labels T(y);
* :func:`data_processing_trials` (Section III D): I(x; y) >= I(x; f(y)) and >= I(x; z) for z a channel of y.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from deepcheap.errors import InvalidArgumentError, check_int_range, check_positive
from deepcheap.seeds import numpy_generator

PROBABILITY_TOLERANCE = 1e-9  # how far a probability vector's sum may be from 1


def check_distribution(name: str, p, axis: int = 0) -> np.ndarray:
    """``p`` as a float array of probabilities (>= 0) summing to 1 along ``axis`` (refused otherwise)."""
    arr = np.array(p, dtype=float)
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise InvalidArgumentError(f"{name} must be a non-empty array of finite probabilities.")
    if np.any(arr < 0):
        raise InvalidArgumentError(f"{name} has negative entries; probabilities must be >= 0.")
    sums = arr.sum(axis=axis)
    if np.any(np.abs(sums - 1) > PROBABILITY_TOLERANCE):
        what = "sum" if arr.ndim == 1 else "columns (p(y_i | y_{i-1}) for each y_{i-1}) sum"
        raise InvalidArgumentError(f"{name} {what} to {np.round(sums, 12)}; normalise so they sum to 1.")
    return arr


def entropy(p, base: float = math.e) -> float:
    """H(p) = -sum p log p (0 log 0 = 0)."""
    p = np.asarray(p, dtype=float).ravel()
    p = p[p > 0]
    return float(-(p * np.log(p)).sum() / math.log(base))


def mutual_information(joint, base: float = math.e) -> float:
    """I(x; y) = sum p(x, y) log[p(x, y) / (p(x) p(y))] from a joint of shape (k_x, k_y) (must sum to 1)."""
    joint = check_distribution("joint", np.asarray(joint, dtype=float).ravel()).reshape(np.shape(joint))
    if joint.ndim != 2:
        raise InvalidArgumentError(f"joint must be a matrix p(x, y); got shape {joint.shape}.")
    px, py = joint.sum(axis=1, keepdims=True), joint.sum(axis=0, keepdims=True)
    nz = joint > 0
    ratio = joint[nz] / (px @ py)[nz]
    return float(max(0.0, (joint[nz] * np.log(ratio)).sum()) / math.log(base))


def statistic_joint(joint: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """p(x, T(y)) from p(x, y) (shape (k_x, k_y)) and labels T(y) in 0..m-1 (-1: dropped, probability 0)."""
    labels = np.asarray(labels)
    m = int(labels.max()) + 1 if labels.size else 0
    out = np.zeros((joint.shape[0], m))
    keep = labels >= 0
    np.add.at(out.T, labels[keep], joint[:, keep].T)
    return out


def merge_information_loss(joint, a: int, b: int) -> float:
    """I(x; t) - I(x; t with values a and b merged), in nats, from p(x, t) (shape (k_x, k_t)).

    Computed as p_a KL(p(x|a) || p(x|a or b)) + p_b KL(p(x|b) || p(x|a or b)): never negative, and
    accurate even when tiny (the difference of two mutual informations is not). Zero iff the posteriors
    p(x|a) and p(x|b) agree (or one of a, b has probability 0), so a statistic is minimal sufficient iff
    every merge of two of its classes loses information.
    """
    joint = np.asarray(joint, dtype=float)
    pa, pb = joint[:, a], joint[:, b]
    merged = (pa + pb) / (pa.sum() + pb.sum())
    loss = 0.0
    for col in (pa, pb):
        mass = col.sum()
        if mass > 0:
            post = col / mass
            nz = post > 0
            loss += mass * float(np.sum(post[nz] * np.log(post[nz] / merged[nz])))
    return float(max(0.0, loss))


def random_stochastic(k_out: int, k_in: int, rng: np.random.Generator, concentration: float = 1.0) -> np.ndarray:
    """A random column-stochastic (k_out, k_in) matrix, columns Dirichlet(concentration), drawn from ``rng``."""
    return rng.dirichlet(np.full(k_out, concentration), size=k_in).T


@dataclass(frozen=True)
class DPIRecord:
    """One random channel: I(x; y) >= I(x; f(y)) (f a random function) and >= I(x; z) (z a random channel of y)."""

    kx: int
    ky: int
    I_xy: float
    I_x_fy: float
    I_x_zy: float

    @property
    def min_gap(self) -> float:
        return min(self.I_xy - self.I_x_fy, self.I_xy - self.I_x_zy)

    def to_dict(self) -> dict:
        return {**asdict(self), "min_gap": self.min_gap}


def data_processing_trials(count: int, seed: int, max_size: int = 8, concentration: float = 0.5) -> list[DPIRecord]:
    """``count`` random joints p(x, y), random functions f and random stochastic channels z ~ K(. | y)."""
    count = check_int_range("count", count, 1)
    max_size = check_int_range("max_size", max_size, 2)
    check_positive("concentration", concentration)
    rng = numpy_generator(seed)
    out = []
    for _ in range(count):
        kx, ky = (int(v) for v in rng.integers(2, max_size + 1, 2))
        joint = rng.dirichlet(np.full(kx * ky, concentration)).reshape(kx, ky)
        f = rng.integers(0, max(1, ky - 1), ky)  # a random (usually lossy) function of y
        K = random_stochastic(int(rng.integers(2, max_size + 1)), ky, rng, concentration)
        fy, zy = mutual_information(statistic_joint(joint, f)), mutual_information(joint @ K.T)
        out.append(DPIRecord(kx, ky, mutual_information(joint), fy, zy))
    return out
