"""Wolff clusters for the Ising model with nearest-neighbour and diagonal couplings (K1, K2 >= 0), L x L torus.

>>> run = sample_wolff(8, 0.44, 0.05, 6, seed=0, chains=2)
>>> run.configs.shape, run.nn.shape, bool((run.nnn == diagonal_products(run.configs)).all())
((6, 8, 8), (6,), True)

The weight is exp(K1 sum_nn s s + K2 sum_nnn s s) (the convention of :mod:`deepcheap.physics.nnn_classes`). With
every coupling ferromagnetic, the Fortuin-Kasteleyn construction applies bond by bond: a cluster grows from a random
seed site through each aligned nearest neighbour with probability p1 = 1 - e^(-2 K1) and each aligned diagonal
neighbour with p2 = 1 - e^(-2 K2), and is flipped. This satisfies detailed balance for the joint weight (the
ratio of the probabilities of not adding the broken boundary bonds is exactly the Boltzmann ratio), so the chain
is exact for any K1, K2 >= 0; a negative coupling has no such bond picture (use the Metropolis sampler
:func:`deepcheap.physics.nnn_classes.sample`). Near T_c a cluster is a finite fraction of the lattice, so a few
clusters decorrelate the configuration where single-spin Metropolis needs ~L^2.17 sweeps.

Schedule (nothing chosen from the recorded chains): a pilot chain (its own seed) starts ordered, flips clusters
until PILOT_BURN N spins have flipped, then measures the mean cluster size c over at least PILOT_MEASURE N flips;
every recorded chain then starts ordered (all +1: near and below T_c the first clusters are large, so it relaxes in
a few sweeps; a random start coarsens slowly), flips ceil(burn_in N / c) clusters, and records a configuration
after every round(spacing N / c) clusters (a fixed count: stopping after "N spins flipped" would favour states
with large clusters). Each chain owns a SplitMix64 stream seeded by :func:`deepcheap.seeds.derive_seed`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from deepcheap.errors import InvalidArgumentError, check_finite, check_int_range, check_memory, check_positive
from deepcheap.physics.nnn_classes import _splitmix, diagonal_products, nearest_products
from deepcheap.seeds import derive_seed

PILOT_BURN = 20.0  # flipped spins (units of N) before the pilot measures its clusters
PILOT_MEASURE = 20.0  # flipped spins (units of N) over which the mean cluster size is measured
_S11 = np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2^-53


def bond_probabilities(K1: float, K2: float) -> tuple[float, float]:
    """(p1, p2) = (1 - e^(-2 K1), 1 - e^(-2 K2)); refuses a negative coupling (no Wolff bonds for it)."""
    K1, K2 = check_finite("K1", K1), check_finite("K2", K2)
    if K1 < 0 or K2 < 0:
        raise InvalidArgumentError(f"the Wolff sampler needs ferromagnetic couplings K1, K2 >= 0; got K1 = {K1:g}, "
                                   f"K2 = {K2:g}. Use deepcheap.physics.nnn_classes.sample (Metropolis) instead.")
    return -math.expm1(-2.0 * K1), -math.expm1(-2.0 * K2)


@numba.njit(cache=True, inline="always")
def _grow(s, a, b, s0, p, rng, stack, top, L):
    """Add site (a, b) to the cluster with probability p if it is aligned with s0: (rng, top)."""
    if s[a, b] == s0 and p > 0.0:
        rng, raw = _splitmix(rng)
        if (raw >> _S11) * _TO_UNIT < p:
            s[a, b] = -s0
            stack[top] = a * L + b
            top += 1
    return rng, top


@numba.njit(cache=True)
def _clusters(s, p1, p2, rng, count, stack):
    """Flip ``count`` Wolff clusters of the (L, L) lattice s in place; returns (rng, spins flipped)."""
    L = s.shape[0]
    n = L * L
    flipped = 0
    for _ in range(count):
        rng, raw = _splitmix(rng)
        site = min(int((raw >> _S11) * _TO_UNIT * n), n - 1)
        s0 = s[site // L, site % L]
        s[site // L, site % L] = -s0
        stack[0] = site
        top = 1
        flipped += 1
        while top > 0:
            top -= 1
            i, j = stack[top] // L, stack[top] % L
            u = i - 1 if i > 0 else L - 1
            d = i + 1 if i < L - 1 else 0
            lf = j - 1 if j > 0 else L - 1
            rt = j + 1 if j < L - 1 else 0
            before = top
            rng, top = _grow(s, u, j, s0, p1, rng, stack, top, L)
            rng, top = _grow(s, d, j, s0, p1, rng, stack, top, L)
            rng, top = _grow(s, i, lf, s0, p1, rng, stack, top, L)
            rng, top = _grow(s, i, rt, s0, p1, rng, stack, top, L)
            rng, top = _grow(s, u, lf, s0, p2, rng, stack, top, L)
            rng, top = _grow(s, u, rt, s0, p2, rng, stack, top, L)
            rng, top = _grow(s, d, lf, s0, p2, rng, stack, top, L)
            rng, top = _grow(s, d, rt, s0, p2, rng, stack, top, L)
            flipped += top - before
    return rng, flipped


@numba.njit(cache=True)
def _record(s, p1, p2, rng, burn, per_sample, samples, configs, stack):
    """Burn ``burn`` clusters, then ``samples`` times: ``per_sample`` clusters and a copy into configs[k]."""
    rng, _ = _clusters(s, p1, p2, rng, burn, stack)
    for k in range(samples):
        rng, _ = _clusters(s, p1, p2, rng, per_sample, stack)
        configs[k] = s
    return rng


@dataclass(frozen=True, eq=False)
class WolffSample:
    """Recorded configurations (n, L, L) int8, chain-major (chain c gives rows c k .. c k + k - 1, k = ceil(n /
    chains)), their sum_nn s s and sum_nnn s s, and the schedule that produced them."""

    configs: np.ndarray
    nn: np.ndarray
    nnn: np.ndarray
    chains: int
    mean_cluster: float  # the pilot's mean cluster size (spins)
    clusters_per_sample: int
    burn_in_clusters: int

    def chain_of(self) -> np.ndarray:
        """The chain that gave each row."""
        n = len(self.configs)
        return np.arange(n) // -(-n // self.chains)


def sample_wolff(L: int, K1: float, K2: float, n: int, *, seed: int, chains: int = 8, spacing: float = 2.0,
                 burn_in: float = 50.0) -> WolffSample:
    """n configurations of the (K1, K2) model on the L x L torus by Wolff clusters (see the module docstring).

    ``spacing`` and ``burn_in`` are in expected flipped spins per site (the pilot's mean cluster size converts them
    to fixed cluster counts). Seeds: derive_seed(seed, "pilot") and derive_seed(seed, "chain", c).
    """
    L = check_int_range("L", L, 3, hint="(on L = 2 the diagonal bonds of a site coincide)")
    p1, p2 = bond_probabilities(K1, K2)
    n, chains = check_int_range("n", n, 1), check_int_range("chains", chains, 1)
    spacing, burn_in = check_positive("spacing", spacing), check_positive("burn_in", burn_in, allow_zero=True)
    chains = min(chains, n)
    per_chain = -(-n // chains)
    check_memory(f"{n:,} configurations at L = {L}", float(chains * per_chain * L * L),
                 "ask for fewer configurations.")
    sites = L * L
    stack = np.empty(sites, dtype=np.int64)
    s = np.ones((L, L), dtype=np.int8)
    rng, flips, clusters = np.uint64(derive_seed(seed, "pilot")), 0, 1
    while flips < PILOT_BURN * sites:  # the pilot's stopping rules bias nothing that is recorded
        rng, f = _clusters(s, p1, p2, np.uint64(rng), clusters, stack)
        flips, clusters = flips + f, min(2 * clusters, 1024)
    flips, count = 0, 0
    while flips < PILOT_MEASURE * sites or count < 64:
        rng, f = _clusters(s, p1, p2, np.uint64(rng), 16, stack)
        flips, count = flips + f, count + 16
    mean = flips / count
    per_sample = max(1, round(spacing * sites / mean))
    burn = math.ceil(burn_in * sites / mean)
    configs = np.empty((chains, per_chain, L, L), dtype=np.int8)
    for c in range(chains):
        s = np.ones((L, L), dtype=np.int8)
        _record(s, p1, p2, np.uint64(derive_seed(seed, "chain", c)), burn, per_sample, per_chain, configs[c], stack)
    out = configs.reshape(-1, L, L)[:n]
    return WolffSample(out, nearest_products(out), diagonal_products(out), chains, float(mean), per_sample, burn)
