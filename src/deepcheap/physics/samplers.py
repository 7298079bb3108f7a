"""Compiled Ising samplers: checkerboard Metropolis over many chains, and Wolff clusters.

>>> run = run_chain(8, 2.5, algorithm="metropolis", sweeps=200, seed=0, chains=4)
>>> run.energies.shape, run.spins.shape
((4, 200), (4, 8, 8))

Why numba: a single-spin update is a handful of integer operations with a data-dependent branch;
torch or NumPy must update a whole sub-lattice per call and materialise random arrays for every
site, while a compiled loop draws a random number only when the move raises the energy and keeps
each chain's lattice in cache. ``prange`` runs the independent chains on all cores.

Every chain owns a SplitMix64 stream seeded from ``numpy.random.SeedSequence(seed)``, and each spin
update draws its own number from it, so results are identical for any thread count. Sites are
visited in checkerboard order (all even sites, then all odd ones) on the neighbour table of the
periodic lattice, which serves 1D and 2D alike. Metropolis accepts a flip raising the energy by dE
with probability e^(-beta dE); Wolff grows a cluster of aligned spins with bond probability
p = 1 - e^(-2 beta J) and flips it; a Wolff "sweep" is a fixed number of clusters chosen so that about
N spins flip (calibrated on pilot clusters before the measured sweeps, never from the sweep itself).

The calibration cannot overshoot: pilot clusters run in batches whose size targets N/4 flips from the
mean cluster size of the batch before, growing at most twofold per batch, until 4N spins per chain have
flipped. Thermalisation runs in chunks of 1, 2, 4, 8, ... sweeps, so the count follows the
ordering of a random start. A hard cap of WOLFF_CAP N flips per sweep ends a sweep early
(counted in ``capped_sweeps``: a bias warning, never hit when the calibration is right).
:func:`estimate_run` gives the work, time and memory of a run before it starts (:func:`check_run` refuses).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numba
import numpy as np

from deepcheap.errors import (
    InvalidArgumentError,
    ResourceLimitError,
    check_choice,
    check_int_range,
    check_memory,
    check_seed,
)
from deepcheap.physics.lattice import T_CRITICAL, check_dims, check_size, check_temperature

ALGORITHMS = ("auto", "metropolis", "wolff")
MIN_SAMPLER_T = 0.1  # below it a single-spin move that breaks bonds is accepted with probability < e^-40
WOLFF_CAP = 4  # flips per sweep, in units of N, after which a Wolff sweep ends early
PILOT_FLIPS = 4  # spins flipped per chain (units of N) by the calibration's pilot clusters, at least
MAX_PILOT_FLIPS = 32  # ... and at most, when the mean cluster size has not settled before
# conservative throughputs for the time estimate: spin updates (Metropolis) or flips (Wolff) per second per core,
# about half of what large lattices reach on the 2-core development machine (Metropolis 0.19 flips/ns per core
# at L = 256, 0.09 at L = 2048; Wolff near T_c about 1e7 flips/s per core)
UPDATES_PER_SECOND = {"metropolis": 5e7, "wolff": 5e6}
WOLFF_WARMUP_FACTOR = 2  # a random start's clusters grow while the count per sweep is re-estimated
MAX_RUN_SECONDS = 3600.0  # estimated wall time above which run_chain refuses (max_seconds=None lifts it)

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


@numba.njit(cache=True, parallel=True)
def _metropolis_square(spins, threshold, state, sweeps, energy, magnet, energies, mags):
    """The 2D Metropolis kernel with index arithmetic instead of a neighbour table (the hot path).

    threshold[k] = floor(e^(-2 beta k) * 2^64): a flip with dE = 2k > 0 is accepted when a raw
    64-bit draw is below it, which equals u < e^(-beta dE) for u uniform to 2^-64 resolution.
    """
    chains, L, _ = spins.shape
    for c in numba.prange(chains):
        s = spins[c]
        e = energy[c]
        m = magnet[c]
        rng = state[c]
        for sweep in range(sweeps):
            for color in range(2):
                for i in range(L):
                    up = i - 1 if i > 0 else L - 1
                    down = i + 1 if i < L - 1 else 0
                    for j in range((i + color) % 2, L, 2):
                        left = j - 1 if j > 0 else L - 1
                        right = j + 1 if j < L - 1 else 0
                        k2 = s[i, j] * (s[up, j] + s[down, j] + s[i, left] + s[i, right])
                        flip = k2 <= 0
                        if not flip:
                            rng, raw = _splitmix(rng)
                            flip = raw < threshold[k2]
                        if flip:
                            s[i, j] = -s[i, j]
                            e += 2 * k2
                            m += 2 * s[i, j]
            energies[c, sweep] = e
            mags[c, sweep] = m
        energy[c] = e
        magnet[c] = m
        state[c] = rng


@numba.njit(cache=True, parallel=True)
def _randomize(spins, state):
    for c in numba.prange(spins.shape[0]):
        rng = state[c]
        for i in range(spins.shape[1]):
            rng, raw = _splitmix(rng)
            spins[c, i] = 1 if _unit(raw) < 0.5 else -1
        state[c] = rng


@numba.njit(cache=True, parallel=True)
def _metropolis(spins, neighbours, order, accept, state, sweeps, energy, magnet, energies, mags):
    """``sweeps`` Metropolis sweeps per chain; records E and M (totals) after each sweep.

    accept[k] = e^(-beta * 2k) for a flip with dE = 2 s h = 2k > 0 (h = sum of neighbours); accept[0]
    is the probability of a flip that leaves E unchanged. In 1D it is 1/2: with 1 the domain walls of a
    sweep in fixed order hop deterministically and never meet, and chains stop mixing.
    """
    chains, n = spins.shape
    z = neighbours.shape[1]
    for c in numba.prange(chains):
        s = spins[c]
        e = energy[c]
        m = magnet[c]
        rng = state[c]
        for sweep in range(sweeps):
            for t in range(n):
                i = order[t]
                h = 0
                for k in range(z):
                    h += s[neighbours[i, k]]
                k2 = s[i] * h  # dE = 2 * k2
                flip = k2 < 0
                if not flip:
                    rng, raw = _splitmix(rng)
                    flip = _unit(raw) < accept[k2]
                if flip:
                    s[i] = -s[i]
                    e += 2 * k2
                    m += 2 * s[i]
            energies[c, sweep] = e
            mags[c, sweep] = m
        energy[c] = e
        magnet[c] = m
        state[c] = rng


@numba.njit(cache=True, parallel=True)
def _wolff(spins, neighbours, p_add, state, sweeps, clusters, cap, energies, mags, flipped, capped, started):
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


def neighbour_table(L: int, dims: int) -> np.ndarray:
    """(N, 2*dims) int64: columns (+x, -x[, +y, -y]) of the periodic lattice, sites in C order."""
    index = np.arange(L**dims).reshape((L,) * dims)
    columns = []
    for axis in range(dims):
        columns += [np.roll(index, -1, axis=axis).ravel(), np.roll(index, 1, axis=axis).ravel()]
    return np.stack(columns, axis=1).astype(np.int64)


def checkerboard_order(L: int, dims: int) -> np.ndarray:
    """All sites with even coordinate sum, then the odd ones."""
    parity = np.indices((L,) * dims).sum(axis=0).ravel() % 2
    return np.concatenate([np.flatnonzero(parity == 0), np.flatnonzero(parity == 1)]).astype(np.int64)


def _totals(spins: np.ndarray, neighbours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    forward = neighbours[:, 0::2]
    e = -(spins[:, :, None] * spins[:, forward]).sum(axis=(1, 2))
    return e.astype(np.int64), spins.sum(axis=1).astype(np.int64)


def resolve_algorithm(algorithm: str, T: float) -> str:
    """'auto' -> Wolff within 10% of T_c (critical slowing down), Metropolis elsewhere.

    Away from T_c Metropolis's tau_int is a sweep or two and each sweep costs several times less than
    a Wolff sweep, so it gives smaller error bars per second; near T_c Metropolis's tau_int grows like
    L^2.17 while Wolff's stays of order one.
    """
    algorithm = check_choice("algorithm", algorithm, ALGORITHMS)
    if algorithm != "auto":
        return algorithm
    return "wolff" if 0.9 * T_CRITICAL <= T <= 1.1 * T_CRITICAL else "metropolis"


@dataclass
class ChainRun:
    """Per-sweep totals of independent chains (after thermalisation) and the final lattices."""

    L: int
    T: float
    dims: int
    algorithm: str
    energies: np.ndarray  # (chains, sweeps) total energy E
    magnetizations: np.ndarray  # (chains, sweeps) total magnetisation M
    spins: np.ndarray  # (chains, L[, L]) int8, the last configuration
    seconds: float  # wall time of the measured sweeps
    spin_updates: int  # attempted (Metropolis) or flipped (Wolff) spins in the measured sweeps
    capped_sweeps: int = 0  # Wolff sweeps ended early by the hard cap (0 unless miscalibrated)

    @property
    def sites(self) -> int:
        return self.L**self.dims

    @property
    def flips_per_ns(self) -> float:
        return self.spin_updates / max(self.seconds, 1e-12) / 1e9


class IsingChains:
    """Independent chains of one lattice, advanced in place: ``chains.run(sweeps)``."""

    def __init__(self, L: int, T: float, *, chains: int = 8, algorithm: str = "auto", seed: int = 0,
                 dims: int = 2, start: str = "random"):
        self.dims = check_dims(dims)
        self.L = check_size(L, self.dims)
        self.T = check_sampler_temperature(T)
        self.chains = check_int_range("chains", chains, 1)
        self.algorithm = resolve_algorithm(algorithm, self.T)
        seed = check_seed(seed)
        check_choice("start", start, ("random", "ordered"))
        n = self.L**self.dims
        check_memory(f"{self.chains} chains of a {self.L}^{self.dims} lattice",
                     lattice_bytes(n, self.chains, self.dims), "use a smaller --L or fewer --chains.")
        self.neighbours = neighbour_table(self.L, self.dims)
        self.order = checkerboard_order(self.L, self.dims)
        self.state = np.random.SeedSequence(seed).generate_state(self.chains, dtype=np.uint64)
        self.spins = np.ones((self.chains, n), dtype=np.int8)
        if start == "random":
            _randomize(self.spins, self.state)
        self.energy, self.magnet = _totals(self.spins, self.neighbours)
        beta = 1.0 / self.T
        self.accept = np.exp(-2.0 * beta * np.arange(2 * self.dims + 1, dtype=np.float64))
        if self.dims == 1:
            self.accept[0] = 0.5
        self.threshold = np.array([np.uint64(min(a * 2.0**64, 2.0**64 - 2048)) for a in self.accept], dtype=np.uint64)
        self.p_add = -math.expm1(-2.0 * beta)
        self.clusters_per_sweep: int | None = None

    def _calibrate_clusters(self) -> None:
        """Pilot clusters (part of thermalisation) to choose about N flipped spins per sweep.

        Batches of clusters target N/4 flips each from the previous batch's mean cluster size, growing at
        most twofold, until PILOT_FLIPS * N spins per chain have flipped: no batch can overshoot by more
        than the growth of the mean cluster within it, and the hard cap bounds even that.
        """
        n = self.spins.shape[1]
        clusters, flipped_total, mean, previous = 1, 0, 1.0, 0.0
        scratch = np.empty((self.chains, 1), dtype=np.int64), np.empty((self.chains, 1), dtype=np.int64)
        while flipped_total < MAX_PILOT_FLIPS * n * self.chains:
            flipped, started, _ = self._wolff_sweeps(1, clusters, *scratch)
            flipped_total += flipped
            previous, mean = mean, flipped / max(started, 1)
            settled = 0.8 < mean / previous < 1.25
            if flipped_total >= PILOT_FLIPS * n * self.chains and settled:
                break
            clusters = int(min(2 * clusters, max(1, round(n / (4 * mean)))))
        self.clusters_per_sweep = max(1, round(n / mean))

    def _wolff_sweeps(self, sweeps: int, clusters: int, energies, mags) -> tuple[int, int, int]:
        flipped = np.zeros(self.chains, dtype=np.int64)
        capped = np.zeros(self.chains, dtype=np.int64)
        started = np.zeros(self.chains, dtype=np.int64)
        _wolff(self.spins, self.neighbours, self.p_add, self.state, sweeps, clusters, WOLFF_CAP * self.spins.shape[1],
               energies, mags, flipped, capped, started)
        return int(flipped.sum()), int(started.sum()), int(capped.sum())

    def run(self, sweeps: int) -> ChainRun:
        sweeps = check_int_range("sweeps", sweeps, 1, hint="(run at least one sweep)")
        energies = np.empty((self.chains, sweeps), dtype=np.int64)
        mags = np.empty((self.chains, sweeps), dtype=np.int64)
        start = time.perf_counter()
        capped = 0
        if self.algorithm == "metropolis" and self.dims == 2:
            shape = (self.chains, self.L, self.L)
            _metropolis_square(self.spins.reshape(shape), self.threshold, self.state, sweeps, self.energy,
                               self.magnet, energies, mags)
            updates = sweeps * self.chains * self.spins.shape[1]
        elif self.algorithm == "metropolis":
            _metropolis(self.spins, self.neighbours, self.order, self.accept, self.state, sweeps,
                        self.energy, self.magnet, energies, mags)
            updates = sweeps * self.chains * self.spins.shape[1]
        else:
            if self.clusters_per_sweep is None:
                self._calibrate_clusters()
                start = time.perf_counter()
            updates, started, capped = self._wolff_sweeps(sweeps, self.clusters_per_sweep, energies, mags)
            self.energy, self.magnet = energies[:, -1].copy(), mags[:, -1].copy()
            self._mean_cluster = updates / max(started, 1)
            self.clusters_per_sweep = max(1, round(self.spins.shape[1] / self._mean_cluster))
        seconds = time.perf_counter() - start
        shape = (self.chains,) + (self.L,) * self.dims
        return ChainRun(self.L, self.T, self.dims, self.algorithm, energies, mags,
                        self.spins.reshape(shape).copy(), seconds, updates, capped)


def check_sampler_temperature(T) -> float:
    """A temperature the samplers can equilibrate at: T >= MIN_SAMPLER_T (below it, use the exact results)."""
    T = check_temperature(T)
    if T < MIN_SAMPLER_T:
        raise InvalidArgumentError(
            f"T = {T:g} is below the samplers' range (T >= {MIN_SAMPLER_T}): a move that breaks a bond is accepted "
            f"with probability e^(-4/T) < e^-40, so a chain never leaves its start. The model is in its ground "
            "state there (E/N = -2 in 2D, -1 in 1D): use `deepcheap ising exact` (any T).")
    return T


def lattice_bytes(n: int, chains: int, dims: int) -> float:
    """Memory of the sampler's arrays for n sites: spins, neighbour table, visiting order, Wolff stacks, totals."""
    return float(n) * (chains * (1 + 8 + 2 * dims) + 8 * (2 * dims) * 3 + 8 * (dims + 3))


def estimate_run(L: int, T: float, *, algorithm: str = "auto", sweeps: int = 1000, thermalize: int | None = None,
                 chains: int = 8, dims: int = 2) -> dict:
    """Work, memory and a conservative wall time of :func:`run_chain` before it runs (nothing is allocated).

    Wolff flips about N spins per sweep (plus PILOT_FLIPS N in calibration); Metropolis attempts N.
    """
    dims = check_dims(dims)
    L = check_size(L, dims)
    T = check_sampler_temperature(T)
    chains = check_int_range("chains", chains, 1)
    sweeps = check_int_range("sweeps", sweeps, 1, hint="(run at least one sweep)")
    warmup = default_thermalization(sweeps) if thermalize is None else check_int_range("thermalize", thermalize, 0)
    chosen = resolve_algorithm(algorithm, T)
    n = L**dims
    if chosen == "wolff":
        total = (PILOT_FLIPS + WOLFF_WARMUP_FACTOR * warmup + sweeps) * n * chains
    else:
        total = (warmup + sweeps) * n * chains
    cores = max(1, min(chains, numba.get_num_threads()))
    return {"algorithm": chosen, "updates": total, "seconds": total / (UPDATES_PER_SECOND[chosen] * cores),
            "bytes": lattice_bytes(n, chains, dims) + 8.0 * 16 * chains * (sweeps + warmup),
            "thermalize": warmup, "sweeps": sweeps, "L": L, "T": T, "dims": dims, "chains": chains}


def check_run(estimate: dict, max_seconds: float | None) -> None:
    """Refuse (before allocating) a run whose memory or estimated time is beyond the limits."""
    check_memory(f"{estimate['chains']:,} chains x {estimate['thermalize'] + estimate['sweeps']:,} sweeps of a "
                 f"{estimate['L']:,}^{estimate['dims']} lattice", estimate["bytes"],
                 "use a smaller --L, fewer --chains or fewer --sweeps (--thermalize).")
    if max_seconds is not None and estimate["seconds"] > max_seconds:
        other = "metropolis" if estimate["algorithm"] == "wolff" else "wolff"
        elsewise = estimate_run(estimate["L"], estimate["T"], algorithm=other, sweeps=estimate["sweeps"],
                                thermalize=estimate["thermalize"], chains=estimate["chains"],
                                dims=estimate["dims"])["seconds"]
        raise ResourceLimitError(
            f"this run ({estimate['thermalize']:,} thermalisation + {estimate['sweeps']:,} recorded sweeps, "
            f"{estimate['updates']:.3g} spin updates with {estimate['algorithm']}) would take about "
            f"{estimate['seconds']:,.0f} s, above the limit of {max_seconds:,.0f} s; use fewer --sweeps, a shorter "
            f"--thermalize, fewer --chains or a smaller --L, or --algorithm {other} (about {elsewise:,.0f} s); "
            "--max-seconds 0 lifts the limit.")


def default_thermalization(sweeps: int) -> int:
    return max(100, sweeps // 5)


def run_chain(L: int, T: float, *, algorithm: str = "auto", sweeps: int = 1000, thermalize: int | None = None,
              seed: int = 0, chains: int = 8, dims: int = 2, max_seconds: float | None = MAX_RUN_SECONDS) -> ChainRun:
    """Thermalise (default: sweeps // 5, at least 100) and record ``sweeps`` sweeps of each chain.

    Refuses up front (ResourceLimitError) a run estimated above ``max_seconds`` (None: no limit) or the
    memory limit."""
    sweeps = check_int_range("sweeps", sweeps, 1, hint="(run at least one sweep)")
    warmup = default_thermalization(sweeps) if thermalize is None else check_int_range("thermalize", thermalize, 0)
    check_run(estimate_run(L, T, algorithm=algorithm, sweeps=sweeps, thermalize=warmup, chains=chains, dims=dims),
              max_seconds)
    sampler = IsingChains(L, T, chains=chains, algorithm=algorithm, seed=seed, dims=dims)
    thermalize_chains(sampler, warmup)
    return sampler.run(sweeps)


def thermalize_chains(sampler: IsingChains, sweeps: int) -> None:
    """``sweeps`` unrecorded sweeps; for Wolff in chunks of 1, 2, 4, 8, ... sweeps, after each of which the
    clusters per sweep are re-estimated (a random start orders and its clusters grow; each call costs a few ms)."""
    done, chunk = 0, 1
    while done < sweeps:
        step = min(chunk, sweeps - done) if sampler.algorithm == "wolff" else sweeps - done
        sampler.run(step)
        done, chunk = done + step, 2 * chunk


def sample_configurations(L: int, T: float, n: int, seed: int, *, algorithm: str = "auto", dims: int = 2,
                          spacing: int | None = None, chains: int | None = None) -> np.ndarray:
    """n thermalised configurations (int8, shape (n, L[, L])), ``spacing`` sweeps apart in each chain.

    Defaults: up to 32 chains, 200 thermalisation sweeps, spacing 4 sweeps (Wolff) or 10 (Metropolis),
    which leaves successive configurations of one chain nearly independent away from T_c and, with Wolff,
    at T_c too for L <= 64.
    """
    n = check_int_range("n", n, 1)
    T = check_sampler_temperature(T)
    chosen = resolve_algorithm(algorithm, T)
    chains = min(n, 32) if chains is None else check_int_range("chains", chains, 1)
    gap = (4 if chosen == "wolff" else 10) if spacing is None else check_int_range("spacing", spacing, 1)
    per_chain = -(-n // chains)
    check_memory(f"{n:,} configurations of a {L}^{dims} lattice", 2.0 * chains * per_chain * float(L) ** dims,
                 "ask for fewer configurations or a smaller L.")
    check_run(estimate_run(L, T, algorithm=chosen, sweeps=per_chain * gap, thermalize=200, chains=chains, dims=dims),
              MAX_RUN_SECONDS)
    sampler = IsingChains(L, T, chains=chains, algorithm=chosen, seed=seed, dims=dims)
    thermalize_chains(sampler, 200)
    frames = []
    for _ in range(per_chain):
        frames.append(sampler.run(gap).spins)
    out = np.stack(frames, axis=1).reshape((chains * per_chain,) + (sampler.L,) * sampler.dims)
    return out[:n].astype(np.int8)
