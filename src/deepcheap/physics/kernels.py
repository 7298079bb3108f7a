"""The samplers' compiled kernels: SplitMix64 streams, Metropolis sweeps and Wolff clusters (numba).

Why numba: a single-spin update is a handful of integer operations with a data-dependent branch;
torch or NumPy must update a whole sub-lattice per call and materialise random arrays for every
site, while a compiled loop draws a random number only when the move raises the energy and keeps
each chain's lattice in cache. ``prange`` runs the independent chains on all cores.

Every chain owns a SplitMix64 stream (its state in ``state[c]``), and each spin update draws its own
number from it, so results are identical for any thread count. Lattices are flat (chains, N) int8 arrays,
sites in row-major order. :mod:`deepcheap.physics.samplers` drives these kernels.
"""

from __future__ import annotations

import numba
import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2^-53


@numba.njit(cache=True, inline="always")
def _splitmix(z):
    """One SplitMix64 step: (next state, raw 64-bit output).

    Kernels keep each chain's state in a local variable and store it once at the end: chains on
    different threads writing neighbouring entries of one state array would share a cache line on
    every draw (false sharing), which cost a third of the two-thread throughput.
    """
    z = z + _GOLDEN
    x = (z ^ (z >> _S30)) * _MIX1
    x = (x ^ (x >> _S27)) * _MIX2
    return z, x ^ (x >> _S31)


@numba.njit(cache=True, inline="always")
def _unit(raw):
    """A raw 64-bit draw as a double in [0, 1)."""
    return (raw >> _S11) * _TO_UNIT


@numba.njit(cache=True, inline="always")
def _move(s, i, h, free, threshold, rng, e, m):
    """One Metropolis move of site i (h: the sum of its neighbours); returns (rng, E, M) after it.

    The move changes the energy by dE = 2 k2 with k2 = s_i h. It is taken without a draw when k2 < free;
    otherwise when a raw 64-bit draw is below threshold[k2] = floor(e^(-2 beta k2) 2^64), which equals
    u < e^(-beta dE) for u uniform to 2^-64 resolution.
    """
    k2 = s[i] * h
    flip = k2 < free
    if not flip:
        rng, raw = _splitmix(rng)
        flip = raw < threshold[k2]
    if flip:
        s[i] = -s[i]
        e += 2 * k2
        m += 2 * s[i]
    return rng, e, m


@numba.njit(cache=True, inline="always")
def _square_sweep(s, L, threshold, rng, e, m):
    """One checkerboard sweep of the L x L torus with index arithmetic (the hot path); zero-cost moves are
    always taken."""
    for color in range(2):
        for i in range(L):
            up = (i - 1 if i > 0 else L - 1) * L
            down = (i + 1 if i < L - 1 else 0) * L
            row = i * L
            for j in range((i + color) % 2, L, 2):
                left = j - 1 if j > 0 else L - 1
                right = j + 1 if j < L - 1 else 0
                h = s[up + j] + s[down + j] + s[row + left] + s[row + right]
                rng, e, m = _move(s, row + j, h, 1, threshold, rng, e, m)
    return rng, e, m


@numba.njit(cache=True, inline="always")
def _table_sweep(s, neighbours, order, threshold, rng, e, m):
    """One sweep in ``order`` on a neighbour table; zero-cost moves are drawn for with threshold[0]."""
    z = neighbours.shape[1]
    for t in range(len(order)):
        i = order[t]
        h = 0
        for k in range(z):
            h += s[neighbours[i, k]]
        rng, e, m = _move(s, i, h, 0, threshold, rng, e, m)
    return rng, e, m


@numba.njit(cache=True, parallel=True)
def metropolis(spins, square, L, neighbours, order, threshold, state, sweeps, energy, magnet, energies, mags):
    """``sweeps`` Metropolis sweeps per chain; records E and M (totals) after each sweep.

    ``square``: the L x L torus by index arithmetic, zero-cost moves always taken. Otherwise the neighbour
    table and visiting order, with zero-cost moves taken with probability threshold[0] / 2^64: in 1D it is
    1/2, since with 1 the domain walls of a sweep in fixed order hop deterministically and never meet.
    """
    for c in numba.prange(spins.shape[0]):
        s = spins[c]
        e = energy[c]
        m = magnet[c]
        rng = state[c]
        for sweep in range(sweeps):
            if square:
                rng, e, m = _square_sweep(s, L, threshold, rng, e, m)
            else:
                rng, e, m = _table_sweep(s, neighbours, order, threshold, rng, e, m)
            energies[c, sweep] = e
            mags[c, sweep] = m
        energy[c], magnet[c], state[c] = e, m, rng


@numba.njit(cache=True, parallel=True)
def randomize(spins, state):
    """Every spin of every chain +1 or -1 with probability 1/2."""
    for c in numba.prange(spins.shape[0]):
        rng = state[c]
        for i in range(spins.shape[1]):
            rng, raw = _splitmix(rng)
            spins[c, i] = 1 if _unit(raw) < 0.5 else -1
        state[c] = rng


@numba.njit(cache=True, parallel=True)
def wolff(spins, neighbours, p_add, state, sweeps, clusters, cap, energies, mags, flipped, capped, started):
    """Wolff updates: each 'sweep' is a fixed number of cluster flips, then E and M are recorded.

    The count is fixed in advance (never "until N spins flipped"): stopping at a time that depends
    on the cluster sizes would favour ordered states and bias every average. The only exception is the
    hard cap: a sweep that has flipped ``cap`` spins ends (counted in ``capped``; a miscalibration).
    """
    chains, n = spins.shape
    z = neighbours.shape[1]
    for c in numba.prange(chains):
        s = spins[c]
        stack = np.empty(n, dtype=np.int64)
        total = 0
        hits = 0
        count = 0
        rng = state[c]
        for sweep in range(sweeps):
            this_sweep = 0
            for _ in range(clusters):
                if this_sweep >= cap:
                    hits += 1
                    break
                rng, raw = _splitmix(rng)
                seed_site = min(int(_unit(raw) * n), n - 1)
                s0 = s[seed_site]
                s[seed_site] = -s0
                stack[0] = seed_site
                top = 1
                total += 1
                count += 1
                this_sweep += 1
                while top > 0:
                    top -= 1
                    i = stack[top]
                    for k in range(z):
                        j = neighbours[i, k]
                        if s[j] != s0:
                            continue
                        rng, raw = _splitmix(rng)
                        if _unit(raw) < p_add:
                            s[j] = -s0
                            stack[top] = j
                            top += 1
                            total += 1
                            this_sweep += 1
            e = 0
            m = 0
            for i in range(n):
                m += s[i]
                for k in range(z // 2):
                    e -= s[i] * s[neighbours[i, 2 * k]]
            energies[c, sweep] = e
            mags[c, sweep] = m
        flipped[c] = total
        capped[c] = hits
        started[c] = count
        state[c] = rng
