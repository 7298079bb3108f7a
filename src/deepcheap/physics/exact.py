"""Exact Ising results: enumeration, Kaufman's finite torus, transfer matrices, Onsager and Yang.

>>> abs(log_partition(4, 2.5, method="kaufman") - log_partition(4, 2.5, method="enumeration")) < 1e-12
True
>>> import math; onsager_energy(T_CRITICAL) == -math.sqrt(2)
True

Methods of :func:`log_partition` (periodic lattice, J = 1, K = J/T):

- ``enumeration``: sum over all 2^N states (2D: L <= 4; 1D: L <= 20). Gives every moment; its states and
  energies come from :func:`enumerate_states`, their exact Boltzmann log-probabilities from :func:`log_boltzmann`.
- ``kaufman`` (2D, any L): Z = 1/2 (2 sinh 2K)^(N/2) [prod_r 2cosh(L g_{2r+1}/2) + prod_r 2sinh(L g_{2r+1}/2)
  + prod_r 2cosh(L g_{2r}/2) + prod_r 2sinh(L g_{2r}/2)], r = 0..L-1, with
  cosh g_k = cosh 2K coth 2K - cos(pi k / L) and the *signed* g_0 = 2K + ln tanh K (negative below T_c,
  which makes the last product negative); see :mod:`~deepcheap.physics.kaufman`.
- ``transfer``: 1D closed form (2cosh K)^L + (2sinh K)^L; 2D row-to-row matrix (L <= 10).

Energies and specific heats: ``kaufman`` and 1D ``transfer`` differentiate ln Z analytically (in log space,
at any temperature: T = 1e-4 gives the ground state, T = 1e300 the high-temperature limit); the 2D transfer
matrix uses a 5-point stencil in beta. Every value comes with an absolute error estimate (``*_error``):
rounding (and the stencil's truncation) propagated from the magnitudes involved. ``enumeration`` also gives
<|m|> and the Binder cumulant U4 = 1 - <m^4>/(3<m^2>^2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
from scipy import integrate, special

from deepcheap.errors import InvalidArgumentError, check_choice, check_int_range, check_memory
from deepcheap.physics import kaufman as _kaufman_module
from deepcheap.physics.lattice import T_CRITICAL, check_dims, check_size, check_temperature, energy
from deepcheap.seeds import numpy_generator

EPS = float(np.finfo(np.float64).eps)

METHODS = ("auto", "enumeration", "kaufman", "transfer")
ENUMERATION_MAX_SITES = 20
TRANSFER_MAX_L_2D = 10

__all__ = [
    "METHODS",
    "T_CRITICAL",
    "ExactThermodynamics",
    "enumerate_states",
    "exact_distribution",
    "exact_thermodynamics",
    "log_boltzmann",
    "log_partition",
    "onsager_energy",
    "onsager_free_energy",
    "sample_exact",
    "yang_magnetization",
]


def _max_enumeration_L(dims: int) -> int:
    return ENUMERATION_MAX_SITES if dims == 1 else 4


def enumerate_states(L: int, dims: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """All 2^N configurations as int8 spins (shape (2^N, L) or (2^N, L, L)) and their energies."""
    dims = check_dims(dims)
    L = check_size(L, dims)
    if _max_enumeration_L(dims) < L:
        raise InvalidArgumentError(
            f"enumeration handles L <= {_max_enumeration_L(dims)} in {dims}D (2^N states); for L = {L} use "
            + ("method='kaufman' (any L) or method='transfer' (L <= 10)." if dims == 2 else "method='transfer'."))
    n = L**dims
    codes = np.arange(2**n, dtype=np.int64)[:, None]
    bits = (codes >> np.arange(n, dtype=np.int64)) & 1
    states = (2 * bits - 1).astype(np.int8).reshape((2**n,) + (L,) * dims)
    return states, energy(states, dims)


def log_boltzmann(energies, T: float) -> np.ndarray:
    """ln p(s) = -E(s)/T - ln sum_s' e^(-E(s')/T) of every state in ``energies`` (all the states there are).

    >>> np.exp(log_boltzmann(np.array([-1.0, 1.0]), 1.0)).round(4).tolist()
    [0.8808, 0.1192]
    """
    shifted = _shifted_log_weights(energies, T)
    return shifted - special.logsumexp(shifted)


def _shifted_log_weights(energies, T: float) -> np.ndarray:
    """-E/T minus its maximum: 0 for the ground states, so nothing of their weight is lost at any T."""
    logw = -np.asarray(energies, dtype=np.float64) / check_temperature(T)
    return logw - logw.max()


def exact_distribution(L: int, T: float, dims: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """(states, probabilities) of the Boltzmann distribution by enumeration."""
    states, energies = enumerate_states(L, dims)
    weights = np.exp(_shifted_log_weights(energies, T))
    return states, weights / weights.sum()


def sample_exact(L: int, T: float, n: int, seed: int, dims: int = 2) -> np.ndarray:
    """n independent configurations drawn from the exact distribution (small lattices)."""
    n = check_int_range("n", n, 1)
    check_memory(f"{n:,} exact draws of a {L}^{dims} lattice", n * (8.0 + L**dims), "ask for fewer draws.")
    states, p = exact_distribution(L, T, dims)
    index = numpy_generator(seed).choice(len(p), size=n, p=p)
    return states[index]


def _resolve(method: str, L: int, dims: int) -> str:
    method = check_choice("method", method, METHODS)
    if method == "auto":
        if _max_enumeration_L(dims) >= L and L**dims <= 16:
            return "enumeration"
        method = "kaufman" if dims == 2 else "transfer"
    if method == "enumeration" and _max_enumeration_L(dims) < L:
        enumerate_states(L, dims)  # raises with the advice
    if method == "kaufman" and dims != 2:
        raise InvalidArgumentError("Kaufman's formula is for the 2D torus; in 1D use method='transfer' "
                                   "(exact for any L).")
    if method == "kaufman":
        check_memory(f"Kaufman's formula at L = {L:,}", 2 * L * 8 * 24,
                     "use a smaller L (the per-site values converge to Onsager's long before).")
    if method == "transfer" and dims == 2 and L > TRANSFER_MAX_L_2D:
        raise InvalidArgumentError(f"the 2D transfer matrix has 2^L rows and handles L <= {TRANSFER_MAX_L_2D}; "
                                   f"for L = {L} use method='kaufman' (any L).")
    return method


def log_partition(L: int, T: float, dims: int = 2, method: str = "auto") -> float:
    """ln Z of the periodic L (1D) or L x L (2D) Ising model at temperature T (J = 1)."""
    dims = check_dims(dims)
    L = check_size(L, dims)
    T = check_temperature(T)
    return _log_z_beta(L, 1.0 / T, dims, _resolve(method, L, dims))


def _log_z_beta(L: int, beta: float, dims: int, method: str) -> float:
    if method == "enumeration":
        _, energies = enumerate_states(L, dims)
        return float(special.logsumexp(-beta * energies))
    if method == "kaufman":
        return _kaufman_module.kaufman(L, beta).value
    if dims == 1:
        return _chain(L, beta)[0]
    return _transfer_2d(L, beta)


def _chain(L: int, K: float) -> tuple[float, float, float, tuple[float, float, float]]:
    """ln Z of the periodic chain, Z = (2cosh K)^L + (2sinh K)^L, and its K-derivatives, in log space.

    l_a = L ln 2cosh K, l_b = L ln 2sinh K; (ln Z)' = sum w_i l_i', (ln Z)'' = sum w_i [l_i'' + (l_i' - m)^2]
    with w_b / w_a = tanh^L K and l_a' - l_b' = -2L / sinh 2K formed directly; the w_b terms (large l_b', l_b''
    times a tiny weight at high T) are multiplied in logs, so nothing overflows at any T.
    """
    e = math.exp(-2.0 * K)
    one_minus = -math.expm1(-2.0 * K)
    log_a = L * (K + math.log1p(e))
    log_ratio = L * (math.log(one_minus) - math.log1p(e))  # ln tanh^L K
    ratio = math.exp(log_ratio)
    wa, log_wb = 1.0 / (1.0 + ratio), log_ratio - math.log1p(ratio)
    log_gap = math.log(4.0 * L) - 2.0 * K - math.log(-math.expm1(-4.0 * K))  # ln |l_a' - l_b'|
    log_csch2 = math.log(4.0) - 2.0 * K - 2.0 * math.log(one_minus)
    first_a = L * one_minus / (1.0 + e)  # L tanh K
    pulled = math.exp(log_wb + log_gap)  # w_b |l_a' - l_b'|
    first = first_a + pulled
    sech2 = 4.0 * e / (1.0 + e) ** 2
    bent = math.exp(log_wb + math.log(L) + log_csch2)  # w_b L csch^2 K
    spread = math.exp(math.log(wa) + log_wb + 2.0 * log_gap)  # w_a w_b (l_a' - l_b')^2
    second = wa * L * sech2 - bent + spread
    value = log_a + math.log1p(ratio)
    errors = (8 * EPS * abs(value), 8 * EPS * (abs(first_a) + pulled), 8 * EPS * (wa * L * sech2 + bent + spread))
    return value, first, second, errors


def _transfer_2d(L: int, beta: float) -> float:
    rows = enumerate_states(L, 1)[0].astype(np.float64)
    within = (rows * np.roll(rows, -1, axis=1)).sum(axis=1)  # -E_row, one row's horizontal bonds
    between = rows @ rows.T  # vertical bonds between two rows
    log_t = beta * (0.5 * within[:, None] + 0.5 * within[None, :] + between)
    shift = log_t.max()
    eig = np.linalg.eigvalsh(np.exp(log_t - shift))
    top = np.abs(eig).max()
    total = np.sum((eig / top) ** L)
    return float(L * shift + L * math.log(top) + math.log(total))


@dataclass(frozen=True)
class ExactThermodynamics:
    """Per-site energy, free energy and specific heat of the finite lattice, each with an absolute error estimate;
    <|m|> and the Binder cumulant by enumeration only (None otherwise)."""

    L: int
    T: float
    dims: int
    method: str
    energy_per_site: float
    energy_per_site_error: float
    free_energy_per_site: float
    free_energy_per_site_error: float
    specific_heat_per_site: float
    specific_heat_per_site_error: float
    abs_magnetization: float | None = None
    binder_cumulant: float | None = None

    def to_dict(self) -> dict:
        """Every field, leaving out the enumeration-only ones when absent."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: v for k, v in values.items() if v is not None or k not in ("abs_magnetization", "binder_cumulant")}


def exact_thermodynamics(L: int, T: float, dims: int = 2, method: str = "auto") -> ExactThermodynamics:
    """Per-site energy, free energy and specific heat (plus |m| and U4 by enumeration)."""
    dims = check_dims(dims)
    L = check_size(L, dims)
    T = check_temperature(T)
    method = _resolve(method, L, dims)
    beta, n = 1.0 / T, L**dims
    if method == "enumeration":
        states, p = exact_distribution(L, T, dims)
        energies = energy(states, dims)
        m = states.reshape(len(states), -1).mean(axis=1)
        e_mean = float(p @ energies)
        m2, m4 = float(p @ m**2), float(p @ m**4)
        values = (e_mean / n, -T * _log_z_beta(L, beta, dims, method) / n,
                  beta**2 * float(p @ (energies - e_mean) ** 2) / n)
        e1, e2, e3 = (64 * EPS * (abs(v) + 2.0 * dims) for v in values)  # sums over at most 2^16 states
        return ExactThermodynamics(L, T, dims, method, values[0], e1, values[1], e2, values[2], e3,
                                   abs_magnetization=float(p @ np.abs(m)), binder_cumulant=1.0 - m4 / (3.0 * m2**2))
    if method == "kaufman":
        r = _kaufman_module.kaufman(L, beta)
        value, first, second, errors, method = r.value, r.d1, r.d2, r.errors, r.method
    elif dims == 1:
        value, first, second, errors = _chain(L, beta)
    else:
        value, first, second, errors = _stencil(lambda b: _log_z_beta(L, b, dims, method), beta)
    # E/N = -(ln Z)'/N, f = -T ln Z / N, C/N = K^2 (ln Z)''/N, with their absolute error estimates
    return ExactThermodynamics(L, T, dims, method, -first / n, errors[1] / n, -T * value / n, T * errors[0] / n,
                               beta * beta * second / n, beta * beta * errors[2] / n)


def _stencil(log_z, beta: float) -> tuple[float, float, float, tuple[float, float, float]]:
    """5-point derivatives in beta; errors: rounding (eps |f| / h, / h^2) plus the 5- vs 3-point difference."""
    h = 1e-3 * beta
    f = [log_z(beta + j * h) for j in (-2, -1, 0, 1, 2)]
    first = (f[0] - 8 * f[1] + 8 * f[3] - f[4]) / (12 * h)
    second = (-f[0] + 16 * f[1] - 30 * f[2] + 16 * f[3] - f[4]) / (12 * h) / h
    scale = 8 * EPS * max(abs(v) for v in f)
    errors = (scale, scale * 1.5 / h + abs(first - (f[3] - f[1]) / (2 * h)),
              scale * 5.3 / h / h + abs(second - (f[3] - 2 * f[2] + f[1]) / h / h))
    if not (math.isfinite(errors[2]) and errors[1] < 0.5 * abs(first) + 1e-300):
        raise InvalidArgumentError(f"the 2D transfer matrix's stencil derivatives have no digits left at T = "
                                   f"{1 / beta:.3g}; use method='kaufman' (analytic derivatives at any T).")
    return f[2], first, second, errors


def _modulus(K: float) -> float:
    """k = 2 sinh 2K / cosh^2 2K = 2 tanh 2K sech 2K, without overflow at any K."""
    e = math.exp(-2.0 * K)
    return 2.0 * math.tanh(2.0 * K) * 2.0 * e / (1.0 + e * e)


def onsager_energy(T: float) -> float:
    """Infinite-lattice energy per site u(T) = -coth 2K [1 + (2/pi)(2 tanh^2 2K - 1) K(k)], k = 2 sinh 2K / cosh^2 2K.

    At T_c the bracket's second term is 0 * infinity = 0 and u = -coth(2K_c) = -sqrt(2) exactly. Far from T_c
    (e^(-2K) or tanh K below 0.05), where the bracket cancels, the low- and high-temperature series.
    """
    T = check_temperature(T)
    K = 1.0 / T
    if T == T_CRITICAL:
        return -math.sqrt(2.0)
    series = _kaufman_module.series(K)
    if series is not None:
        return -series.d1
    t2 = math.tanh(2 * K) ** 2
    elliptic = special.ellipk(min(_modulus(K) ** 2, 1.0 - 2**-52))  # rounding can push k^2 past 1 near T_c
    return -(1.0 / math.tanh(2 * K)) * (1.0 + (2.0 / math.pi) * (2 * t2 - 1) * elliptic)


def onsager_free_energy(T: float) -> float:
    """Infinite-lattice free energy per site (Onsager).

    -beta f = ln(2 cosh 2K) + (1/pi) int_0^(pi/2) ln[(1 + sqrt(1 - k^2 sin^2 t)) / 2] dt, k = 2 sinh 2K / cosh^2 2K.
    """
    T = check_temperature(T)
    K = 1.0 / T
    kappa = _modulus(K)
    integrand = lambda t: math.log(0.5 * (1 + math.sqrt(max(0.0, 1 - (kappa * math.sin(t)) ** 2))))  # noqa: E731
    value, _ = integrate.quad(integrand, 0.0, math.pi / 2, limit=200)
    return -T * (2 * K + math.log1p(math.exp(-4 * K)) + value / math.pi)


def yang_magnetization(T: float) -> float:
    """Spontaneous magnetisation (1 - sinh(2K)^-4)^(1/8) below T_c, 0 above."""
    T = check_temperature(T)
    if T >= T_CRITICAL:
        return 0.0
    e = math.exp(-2.0 / T)
    return (1.0 - (2.0 * e / -math.expm1(-4.0 / T)) ** 4) ** 0.125
