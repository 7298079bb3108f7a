"""Ising samplers: independent chains of checkerboard Metropolis or Wolff clusters, sized before they run.

>>> run = run_chain(8, 2.5, algorithm="metropolis", sweeps=200, seed=0, chains=4)
>>> run.energies.shape, run.spins.shape
((4, 200), (4, 8, 8))

The compiled kernels are in :mod:`deepcheap.physics.kernels`. Every chain owns a SplitMix64 stream seeded
from ``numpy.random.SeedSequence(seed)``, and each spin update draws its own number from it, so results are
identical for any thread count. Sites are visited in checkerboard order (all even sites, then all odd
ones); Metropolis accepts a flip raising the energy by dE with probability e^(-beta dE); Wolff grows a
cluster of aligned spins with bond probability p = 1 - e^(-2 beta J) and flips it; a Wolff "sweep" is a
fixed number of clusters chosen so that about N spins flip (calibrated on pilot clusters before the
measured sweeps, never from the sweep itself).

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
from dataclasses import asdict, dataclass

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
from deepcheap.physics import kernels
from deepcheap.physics.lattice import T_CRITICAL, check_dims, check_size, check_temperature, neighbour_table

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
MAX_CHAINS = 32  # sample_configurations' default number of chains
CONFIGURATION_WARMUP = 200  # sample_configurations' thermalisation sweeps per chain


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

    def __init__(self, L: int, T: float, *, seed: int, chains: int = 8, algorithm: str = "auto", dims: int = 2,
                 start: str = "random"):
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
            kernels.randomize(self.spins, self.state)
        self.energy, self.magnet = _totals(self.spins, self.neighbours)
        beta = 1.0 / self.T
        accept = np.exp(-2.0 * beta * np.arange(2 * self.dims + 1, dtype=np.float64))  # e^(-beta dE), dE = 2k
        if self.dims == 1:
            accept[0] = 0.5  # zero-cost moves (see kernels.metropolis)
        self.threshold = np.array([np.uint64(min(a * 2.0**64, 2.0**64 - 2048)) for a in accept], dtype=np.uint64)
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
        kernels.wolff(self.spins, self.neighbours, self.p_add, self.state, sweeps, clusters,
                      WOLFF_CAP * self.spins.shape[1], energies, mags, flipped, capped, started)
        return int(flipped.sum()), int(started.sum()), int(capped.sum())

    def run(self, sweeps: int) -> ChainRun:
        sweeps = check_int_range("sweeps", sweeps, 1, hint="(run at least one sweep)")
        energies = np.empty((self.chains, sweeps), dtype=np.int64)
        mags = np.empty((self.chains, sweeps), dtype=np.int64)
        start = time.perf_counter()
        capped = 0
        if self.algorithm == "metropolis":
            kernels.metropolis(self.spins, self.dims == 2, self.L, self.neighbours, self.order, self.threshold,
                               self.state, sweeps, self.energy, self.magnet, energies, mags)
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
    if T >= MIN_SAMPLER_T:
        return T
    raise InvalidArgumentError(f"T = {T:g} is below the samplers' range (T >= {MIN_SAMPLER_T}): a move that breaks a "
                               "bond is accepted with probability e^(-4/T) < e^-40, so a chain never leaves its start. "
                               "The model is in its ground state there (E/N = -2 in 2D, -1 in 1D): use `deepcheap "
                               "ising exact` (any T).")


def lattice_bytes(n: int, chains: int, dims: int) -> float:
    """Memory of the sampler's arrays for n sites: spins, neighbour table, visiting order, Wolff stacks, totals."""
    return float(n) * (chains * (1 + 8 + 2 * dims) + 8 * (2 * dims) * 3 + 8 * (dims + 3))


@dataclass(frozen=True)
class RunEstimate:
    """A run's checked parameters, its work (spin updates), memory and a conservative wall time."""

    algorithm: str
    updates: float
    seconds: float
    bytes: float
    thermalize: int
    sweeps: int
    L: int
    T: float
    dims: int
    chains: int

    def to_dict(self) -> dict:
        return asdict(self)


def estimate_run(L: int, T: float, *, algorithm: str = "auto", sweeps: int = 1000, thermalize: int | None = None,
                 chains: int = 8, dims: int = 2) -> RunEstimate:
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
    per_chain = (PILOT_FLIPS + WOLFF_WARMUP_FACTOR * warmup + sweeps) if chosen == "wolff" else warmup + sweeps
    total = per_chain * n * chains
    cores = max(1, min(chains, numba.get_num_threads()))
    return RunEstimate(chosen, float(total), total / (UPDATES_PER_SECOND[chosen] * cores),
                       lattice_bytes(n, chains, dims) + 8.0 * 16 * chains * (sweeps + warmup), warmup, sweeps, L, T,
                       dims, chains)


def check_run(estimate: RunEstimate, max_seconds: float | None) -> None:
    """Refuse (before allocating) a run whose memory or estimated time is beyond the limits."""
    check_memory(f"{estimate.chains:,} chains x {estimate.thermalize + estimate.sweeps:,} sweeps of a "
                 f"{estimate.L:,}^{estimate.dims} lattice", estimate.bytes,
                 "use a smaller --L, fewer --chains or fewer --sweeps (--thermalize).")
    if max_seconds is None or estimate.seconds <= max_seconds:
        return
    other = "metropolis" if estimate.algorithm == "wolff" else "wolff"
    elsewise = estimate_run(estimate.L, estimate.T, algorithm=other, sweeps=estimate.sweeps,
                            thermalize=estimate.thermalize, chains=estimate.chains, dims=estimate.dims).seconds
    raise ResourceLimitError(
        f"this run ({estimate.thermalize:,} thermalisation + {estimate.sweeps:,} recorded sweeps, "
        f"{estimate.updates:.3g} spin updates with {estimate.algorithm}) would take about {estimate.seconds:,.0f} s, "
        f"above the limit of {max_seconds:,.0f} s; use fewer --sweeps, a shorter --thermalize, fewer --chains or a "
        f"smaller --L, or --algorithm {other} (about {elsewise:,.0f} s); --max-seconds 0 lifts the limit.")


def default_thermalization(sweeps: int) -> int:
    return max(100, sweeps // 5)


def run_chain(L: int, T: float, *, seed: int, algorithm: str = "auto", sweeps: int = 1000,
              thermalize: int | None = None, chains: int = 8, dims: int = 2,
              max_seconds: float | None = MAX_RUN_SECONDS) -> ChainRun:
    """Thermalise (default: sweeps // 5, at least 100) and record ``sweeps`` sweeps of each chain.

    Refuses up front (ResourceLimitError) a run estimated above ``max_seconds`` (None: no limit) or the
    memory limit."""
    plan = estimate_run(L, T, algorithm=algorithm, sweeps=sweeps, thermalize=thermalize, chains=chains, dims=dims)
    check_run(plan, max_seconds)
    sampler = IsingChains(plan.L, plan.T, chains=plan.chains, algorithm=plan.algorithm, seed=seed, dims=plan.dims)
    thermalize_chains(sampler, plan.thermalize)
    return sampler.run(plan.sweeps)


def thermalize_chains(sampler: IsingChains, sweeps: int) -> None:
    """``sweeps`` unrecorded sweeps; for Wolff in chunks of 1, 2, 4, 8, ... sweeps, after each of which the
    clusters per sweep are re-estimated (a random start orders and its clusters grow; each call costs a few ms)."""
    done, chunk = 0, 1
    while done < sweeps:
        step = min(chunk, sweeps - done) if sampler.algorithm == "wolff" else sweeps - done
        sampler.run(step)
        done, chunk = done + step, 2 * chunk


def configuration_chains(n: int, chains: int | None = None) -> np.ndarray:
    """The chain that gave each of :func:`sample_configurations`' n rows: rows are chain-major, chain c gives rows
    c k .. c k + k - 1 with k = ceil(n / chains) (the last chain may give fewer).

    >>> configuration_chains(7, 3).tolist()
    [0, 0, 0, 1, 1, 1, 2]
    """
    n = check_int_range("n", n, 1)
    chains = min(n, MAX_CHAINS) if chains is None else check_int_range("chains", chains, 1)
    return np.arange(n) // -(-n // chains)


def sample_configurations(L: int, T: float, n: int, seed: int, *, algorithm: str = "auto", dims: int = 2,
                          spacing: int | None = None, chains: int | None = None) -> np.ndarray:
    """n thermalised configurations (int8, shape (n, L[, L])), ``spacing`` sweeps apart in each chain.

    Defaults: up to MAX_CHAINS chains, CONFIGURATION_WARMUP thermalisation sweeps, spacing 4 sweeps (Wolff) or 10
    (Metropolis), which leaves successive configurations of one chain nearly independent away from T_c and, with
    Wolff, at T_c too for L <= 64. Rows are chain-major (:func:`configuration_chains` gives each row's chain).
    """
    n = check_int_range("n", n, 1)
    T = check_sampler_temperature(T)
    chosen = resolve_algorithm(algorithm, T)
    chains = min(n, MAX_CHAINS) if chains is None else check_int_range("chains", chains, 1)
    gap = (4 if chosen == "wolff" else 10) if spacing is None else check_int_range("spacing", spacing, 1)
    per_chain = -(-n // chains)
    check_memory(f"{n:,} configurations of a {L}^{dims} lattice", 2.0 * chains * per_chain * float(L) ** dims,
                 "ask for fewer configurations or a smaller L.")
    check_run(estimate_run(L, T, algorithm=chosen, sweeps=per_chain * gap, thermalize=CONFIGURATION_WARMUP,
                           chains=chains, dims=dims), MAX_RUN_SECONDS)
    sampler = IsingChains(L, T, chains=chains, algorithm=chosen, seed=seed, dims=dims)
    thermalize_chains(sampler, CONFIGURATION_WARMUP)
    frames = [sampler.run(gap).spins for _ in range(per_chain)]
    out = np.stack(frames, axis=1).reshape((chains * per_chain,) + (sampler.L,) * sampler.dims)
    return out[:n].astype(np.int8)
