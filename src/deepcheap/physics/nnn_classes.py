"""Two Ising classes that differ by a next-nearest-neighbour coupling: a control task for a nn prior.

>>> c = NNNClasses(L=4, K1=1 / 3, k2=0.3)
>>> ratio = log_z_ratio_exact(c)                          # ln Z1 - ln Z0 by enumeration (L <= 4)
>>> s = sample_exact(c, 1, 3, seed=0)                     # three exact draws from class 1
>>> bayes_log_odds(c, s, ratio).shape, int(diagonal_products(np.ones((4, 4), dtype=np.int8)))
((3,), 32)

On the L x L torus (L >= 3) with spins +-1, class c has log-weight

    log w_c(s) = K1_c sum_nn s_i s_j + K2_c sum_nnn s_i s_j,    (K1_0, K2_0) = (K1, 0),  (K1_1, K2_1) = (K1 + dK1, k2),

over the 2 L^2 nearest-neighbour bonds (right, down) and the 2 L^2 diagonal bonds (down-right, down-left),
each counted once. With equal priors the Bayes log-odds are dK1 sum_nn s s + k2 sum_nnn s s - (ln Z1 - ln Z0),
where ln Z1 - ln Z0 = int_0^1 (dK1 <sum_nn s s>_t + k2 <sum_nnn s s>_t) dt along the straight path
(K1 + t dK1, t k2) (thermodynamic integration, Gauss-Legendre).
With dK1 = 0 the coupling k2 also orders the spins, so sum_nn s s alone is far from chance (at L = 4, K1 = 1/3,
k2 = 0.3 it reaches the Bayes accuracy 0.8754); :mod:`deepcheap.physics.nnn_matching` picks dK1 so that both classes
have the same <sum_nn s s>, and :func:`exact_accuracies` measures what a nearest-neighbour statistic still gets.

Sampling: sequential-sweep single-spin Metropolis (a checkerboard would update diagonal neighbours together),
each chain with its own SplitMix64 stream seeded by :func:`deepcheap.seeds.derive_seed`; no global generator.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numba
import numpy as np
from scipy import special

from deepcheap.errors import InvalidArgumentError, check_choice, check_finite, check_int_range, check_memory
from deepcheap.physics.lattice import check_lattice
from deepcheap.seeds import derive_seed, numpy_generator

ENUMERATION_MAX_L = 4  # 2^16 states
DEFAULT_BURN_IN = 1000  # sweeps per chain before the first measurement
BATCHES = 8  # batch means per chain for the error bars


def diagonal_products(spins) -> np.ndarray:
    """sum_nnn s_i s_j per configuration of (..., L, L) spins: s(x) [s(x + (1, 1)) + s(x + (1, -1))] summed."""
    s = _check_spins(spins)
    down = np.roll(s, -1, axis=-2)
    return (s * (np.roll(down, -1, axis=-1) + np.roll(down, 1, axis=-1))).sum(axis=(-2, -1))


def nearest_products(spins) -> np.ndarray:
    """sum_nn s_i s_j per configuration of (..., L, L) spins: s(x) [s(x + (1, 0)) + s(x + (0, 1))] summed."""
    s = _check_spins(spins)
    return (s * (np.roll(s, -1, axis=-2) + np.roll(s, -1, axis=-1))).sum(axis=(-2, -1))


def _check_spins(spins, L: int | None = None) -> np.ndarray:
    s = check_lattice(spins, 2)
    if s.shape[-1] < 3 or (L is not None and s.shape[-1] != L):
        want = "L >= 3 (on L = 2 the two diagonals are the same bond)" if L is None else f"L = {L}"
        raise InvalidArgumentError(f"spins must have shape (..., L, L) with {want}; got {s.shape}.")
    return s


@dataclass(frozen=True)
class NNNClasses:
    """Class 0: (K1, K2) = (K1, 0); class 1: (K1 + dK1, k2); L x L torus. K1 = 1/T; dK1 = 0 by default."""

    L: int
    K1: float
    k2: float
    dK1: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "L", check_int_range("L", self.L, 3, hint="(use L >= 3: on L = 2 the two "
                                                      "diagonal bonds of a site coincide)"))
        for name in ("K1", "k2", "dK1"):
            object.__setattr__(self, name, check_finite(name, getattr(self, name)))

    def coupling(self, cls: int) -> float:
        """K2 of class ``cls`` (0 or 1)."""
        return (0.0, self.k2)[check_choice("cls", cls, (0, 1))]

    def nn_coupling(self, cls: int) -> float:
        """K1 of class ``cls`` (0 or 1): K1, or K1 + dK1 for class 1."""
        return (self.K1, self.K1 + self.dK1)[check_choice("cls", cls, (0, 1))]

    def couplings(self, cls: int) -> tuple[float, float]:
        """(K1_c, K2_c) of class ``cls`` (0 or 1)."""
        return self.nn_coupling(cls), self.coupling(cls)


def enumerate_configurations(L: int) -> np.ndarray:
    """All 2^(L^2) configurations, (2^N, L, L) int8, for 3 <= L <= 4 (bit k of the index is site k)."""
    L = check_int_range("L", L, 3, ENUMERATION_MAX_L, hint="(enumeration has 2^(L^2) states; for larger L use "
                        "log_z_ratio_ti and sample)")
    n = L * L
    codes = np.arange(2**n, dtype="<u2").view(np.uint8).reshape(-1, 2)  # little-endian bytes of each index
    bits = np.unpackbits(codes, axis=1, bitorder="little")[:, :n]
    return (2 * bits.astype(np.int8) - 1).reshape(-1, L, L)


def _enumerated_log_weights(classes: NNNClasses, what: str):
    if classes.L > ENUMERATION_MAX_L:
        raise InvalidArgumentError(f"{what} enumerates 2^(L^2) states and handles L <= {ENUMERATION_MAX_L}; for "
                                   f"L = {classes.L} use log_z_ratio_ti (thermodynamic integration) and sample.")
    states = enumerate_configurations(classes.L)
    nn, nnn = nearest_products(states), diagonal_products(states)
    return states, nn, nnn, [classes.nn_coupling(c) * nn + classes.coupling(c) * nnn for c in (0, 1)]


def exact_distribution(classes: NNNClasses, cls: int) -> tuple[np.ndarray, np.ndarray]:
    """(states, probabilities) of class ``cls`` by enumeration (L <= 4)."""
    states, _, _, logw = _enumerated_log_weights(classes, "exact_distribution")
    log_w = logw[check_choice("cls", cls, (0, 1))]
    return states, np.exp(log_w - special.logsumexp(log_w))


def log_z_ratio_exact(classes: NNNClasses) -> float:
    """ln Z1 - ln Z0 by enumeration of every state (L <= 4)."""
    _, _, _, logw = _enumerated_log_weights(classes, "log_z_ratio_exact")
    return float(special.logsumexp(logw[1]) - special.logsumexp(logw[0]))


def sample_exact(classes: NNNClasses, cls: int, n: int, seed: int) -> np.ndarray:
    """n independent draws (n, L, L) int8 from class ``cls``'s exact distribution (L <= 4)."""
    n = check_int_range("n", n, 1)
    check_memory(f"{n:,} exact draws at L = {classes.L}", n * (8.0 + classes.L**2), "ask for fewer draws.")
    states, p = exact_distribution(classes, cls)
    return states[numpy_generator(seed).choice(len(p), size=n, p=p)]


def bayes_log_odds(classes: NNNClasses, spins, log_z_ratio: float) -> np.ndarray:
    """ln p1(s)/p0(s) = dK1 sum_nn s s + k2 sum_nnn s s - (ln Z1 - ln Z0) per configuration (equal priors)."""
    s = _check_spins(spins, classes.L)
    ratio = check_finite("log_z_ratio", log_z_ratio)
    odds = classes.k2 * diagonal_products(s).astype(np.float64)
    if classes.dK1 != 0.0:
        odds += classes.dK1 * nearest_products(s)
    return odds - ratio


@dataclass(frozen=True)
class ExactAccuracies:
    """Exact accuracies with equal priors (L <= 4): Bayes (sum_s max(p0, p1) / 2), the best classifier that is any
    function of sum_nn s s, and the best threshold on sum_nn s s (either direction)."""

    bayes: float
    nn_function: float
    nn_threshold: float

    def to_dict(self) -> dict:
        return asdict(self)


def exact_accuracies(classes: NNNClasses) -> ExactAccuracies:
    """The accuracies of :class:`ExactAccuracies` from the joint distribution of the states (L <= 4)."""
    _, nn, _, logw = _enumerated_log_weights(classes, "exact_accuracies")
    p0, p1 = (np.exp(lw - special.logsumexp(lw)) for lw in logw)
    values, index = np.unique(nn, return_inverse=True)
    q0, q1 = (np.bincount(index, weights=p, minlength=len(values)) for p in (p0, p1))
    # predict 1 above the threshold: accuracy (P0(nn <= t) + P1(nn > t)) / 2 for t below, between and above values
    below0, above1 = np.concatenate([[0.0], np.cumsum(q0)]), np.concatenate([[1.0], 1.0 - np.cumsum(q1)])
    up = 0.5 * (below0 + above1)
    best = float(np.max(np.maximum(up, 1.0 - up)))
    return ExactAccuracies(float(0.5 * np.maximum(p0, p1).sum()), float(0.5 * np.maximum(q0, q1).sum()), best)


# --- Metropolis (numba): SplitMix64 streams, one per chain ---------------------------------------------------

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S11, _S27, _S30, _S31, _S63 = (np.uint64(k) for k in (11, 27, 30, 31, 63))


@numba.njit(cache=True, inline="always")
def _splitmix(z):
    """(next state, 64-bit output) of SplitMix64."""
    z = z + _GOLDEN
    x = (z ^ (z >> _S30)) * _MIX1
    x = (x ^ (x >> _S27)) * _MIX2
    return z, x ^ (x >> _S31)


@numba.njit(cache=True)
def _metropolis(spins, accept, state, burn_in, samples, sweeps, nn_out, nnn_out, configs, record):
    """Random start, ``burn_in`` sweeps, then ``samples`` measurements ``sweeps`` sweeps apart, per chain.

    A flip of s_i (nn field h1, diagonal field h2) changes log w by -2 (K1 a + K2 b) with a = s_i h1, b = s_i h2;
    it is accepted with probability accept[a + 4, b + 4] = min(1, e^(-2 (K1 a + K2 b))), drawing only when < 1,
    except that moves leaving log w unchanged are taken with probability 1/2 (detailed balance holds either way):
    always taking them in a fixed visiting order let a chain at L = 3 cycle deterministically through states of
    sum_nn s s = -6 forever (2 chains in 480 were caught there).
    """
    chains, L = spins.shape[0], spins.shape[1]
    for c in range(chains):
        s = spins[c]
        rng = state[c]
        for i in range(L):
            for j in range(L):
                rng, raw = _splitmix(rng)
                s[i, j] = 1 if (raw >> _S63) == 1 else -1
        nn = 0
        nnn = 0
        for i in range(L):
            for j in range(L):
                d = (i + 1) % L
                nn += int(s[i, j]) * (int(s[d, j]) + int(s[i, (j + 1) % L]))
                nnn += int(s[i, j]) * (int(s[d, (j + 1) % L]) + int(s[d, (j - 1) % L]))
        for t in range(burn_in + samples * sweeps):
            for i in range(L):
                u = i - 1 if i > 0 else L - 1
                d = i + 1 if i < L - 1 else 0
                for j in range(L):
                    lf = j - 1 if j > 0 else L - 1
                    rt = j + 1 if j < L - 1 else 0
                    h1 = int(s[u, j]) + int(s[d, j]) + int(s[i, lf]) + int(s[i, rt])
                    h2 = int(s[u, lf]) + int(s[u, rt]) + int(s[d, lf]) + int(s[d, rt])
                    si = int(s[i, j])
                    a = si * h1
                    b = si * h2
                    p = accept[a + 4, b + 4]
                    flip = p >= 1.0
                    if not flip:
                        rng, raw = _splitmix(rng)
                        flip = (raw >> _S11) * (1.0 / 9007199254740992.0) < p
                    if flip:
                        s[i, j] = -si
                        nn -= 2 * a
                        nnn -= 2 * b
            done = t + 1 - burn_in
            if done > 0 and done % sweeps == 0:
                k = done // sweeps - 1
                nn_out[c, k] = nn
                nnn_out[c, k] = nnn
                if record:
                    configs[c, k] = s
        state[c] = rng


def _run(L: int, K1: float, K2: float, *, chains: int, samples: int, sweeps: int, burn_in: int, seeds, record: bool):
    """(nn, nnn) sums of shape (chains, samples) and, with ``record``, the configurations (chains, samples, L, L)."""
    sweeps = check_int_range("sweeps", sweeps, 1, hint="(sweeps between measurements)")
    burn_in = check_int_range("burn_in", burn_in, 0)
    check_memory(f"{chains:,} chains x {samples:,} measurements at L = {L}",
                 chains * samples * (16.0 + (L * L if record else 0)), "ask for fewer samples or chains.")
    grid = np.arange(-4, 5, dtype=np.float64)
    delta = -2.0 * (K1 * grid[:, None] + K2 * grid[None, :])
    tie = np.abs(delta) <= 64 * np.finfo(np.float64).eps * (abs(K1) + abs(K2))  # zero up to rounding
    accept = np.where(tie, 0.5, np.exp(np.minimum(0.0, delta)))
    spins = np.empty((chains, L, L), dtype=np.int8)
    state = np.array(list(seeds), dtype=np.uint64)
    nn, nnn = np.empty((chains, samples), np.int64), np.empty((chains, samples), np.int64)
    configs = np.empty((chains, samples if record else 0, L, L), dtype=np.int8)
    _metropolis(spins, accept, state, burn_in, samples, sweeps, nn, nnn, configs, record)
    return nn, nnn, configs


def sample(classes: NNNClasses, cls: int, n: int, *, sweeps: int, seed: int, chains: int = 8,
           burn_in: int = DEFAULT_BURN_IN) -> np.ndarray:
    """n configurations (n, L, L) int8 of class ``cls`` by Metropolis: ``chains`` chains (seeds derive_seed(seed, c)),
    ``burn_in`` sweeps, then one configuration every ``sweeps`` sweeps; rows interleave the chains."""
    n, chains = check_int_range("n", n, 1), check_int_range("chains", chains, 1)
    chains = min(chains, n)
    per_chain = -(-n // chains)
    _, _, configs = _run(classes.L, *classes.couplings(cls), chains=chains, samples=per_chain,
                         sweeps=sweeps, burn_in=burn_in, seeds=(derive_seed(seed, c) for c in range(chains)),
                         record=True)
    return np.ascontiguousarray(configs.transpose(1, 0, 2, 3).reshape(-1, classes.L, classes.L)[:n])


@dataclass(frozen=True)
class LogZRatio:
    """ln Z1 - ln Z0 by Gauss-Legendre thermodynamic integration along (K1 + t dK1, t k2), t in [0, 1]: the nodes t_k,
    the quadrature weights (summing to 1), the sampled d ln Z/dt = dK1 <sum_nn s s> + k2 <sum_nnn s s> at each node
    with its batch-means error, and the value with its propagated standard error."""

    value: float
    stderr: float
    ts: tuple[float, ...]
    weights: tuple[float, ...]
    means: tuple[float, ...]
    errors: tuple[float, ...]

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def log_z_ratio_ti(classes: NNNClasses, *, points: int = 8, sweeps: int = 1, samples: int = 4000, seed: int,
                   chains: int = 4, burn_in: int = DEFAULT_BURN_IN) -> LogZRatio:
    """ln Z1 - ln Z0 = int_0^1 (dK1 <sum_nn s s>_t + k2 <sum_nnn s s>_t) dt, by ``points``-point Gauss-Legendre.

    At each node t_k: ``chains`` Metropolis chains of the (K1 + t_k dK1, t_k k2) model (seeds derive_seed(seed, k, c)),
    ``burn_in`` sweeps, ``samples`` measurements ``sweeps`` sweeps apart; the error of the mean of
    dK1 sum_nn + k2 sum_nnn is from BATCHES batch means per chain (so their covariance is included), and
    sum_k (w_k err_k)^2 gives the value's variance (independent nodes).
    """
    points = check_int_range("points", points, 2, hint="(Gauss-Legendre nodes; 6 to 10 are plenty)")
    samples = check_int_range("samples", samples, BATCHES, hint=f"(measurements per chain, in {BATCHES} batches)")
    chains = check_int_range("chains", chains, 1)
    nodes, gl_weights = np.polynomial.legendre.leggauss(points)
    ts, weights = 0.5 * (nodes + 1.0), 0.5 * gl_weights
    means, errors = np.empty(points), np.empty(points)
    usable = samples - samples % BATCHES
    for k, t in enumerate(ts):
        nn, nnn, _ = _run(classes.L, classes.K1 + t * classes.dK1, t * classes.k2, chains=chains, samples=samples,
                          sweeps=sweeps, burn_in=burn_in, seeds=(derive_seed(seed, k, c) for c in range(chains)),
                          record=False)
        slope = classes.dK1 * nn + classes.k2 * nnn
        batch = slope[:, :usable].reshape(chains * BATCHES, -1).mean(axis=1)
        means[k] = slope.mean()
        errors[k] = batch.std(ddof=1) / math.sqrt(len(batch))
    return LogZRatio(float(weights @ means), float(np.sqrt(np.sum((weights * errors) ** 2))),
                     tuple(ts.tolist()), tuple(weights.tolist()), tuple(means.tolist()), tuple(errors.tolist()))
