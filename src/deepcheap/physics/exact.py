"""Exact Ising results: enumeration, Kaufman's finite torus, transfer matrices, Onsager and Yang.

>>> abs(log_partition(4, 2.5, method="kaufman") - log_partition(4, 2.5, method="enumeration")) < 1e-12
True
>>> import math; onsager_energy(T_CRITICAL) == -math.sqrt(2)
True

Methods of :func:`log_partition` (periodic lattice, J = 1, K = J/T):

- ``enumeration``: sum over all 2^N states (2D: L <= 4; 1D: L <= 20). Gives every moment.
- ``kaufman`` (2D, any L): Z = 1/2 (2 sinh 2K)^(N/2) [prod_r 2cosh(L g_{2r+1}/2) + prod_r 2sinh(L g_{2r+1}/2)
  + prod_r 2cosh(L g_{2r}/2) + prod_r 2sinh(L g_{2r}/2)], r = 0..L-1, with
  cosh g_k = cosh 2K coth 2K - cos(pi k / L) and the *signed* g_0 = 2K + ln tanh K (negative below T_c,
  which makes the last product negative). Evaluated in log space, so L = 1024 does not overflow.
- ``transfer``: 1D closed form (2cosh K)^L + (2sinh K)^L; 2D row-to-row matrix (L <= 10).

Energies and specific heats for ``kaufman`` and ``transfer`` come from derivatives of ln Z in beta
(5-point stencils); ``enumeration`` also gives <|m|> and the Binder cumulant U4 = 1 - <m^4>/(3<m^2>^2).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate, special

from deepcheap.errors import InvalidArgumentError, check_choice, check_int_range
from deepcheap.physics.lattice import T_CRITICAL, check_dims, check_size, check_temperature, energy

METHODS = ("auto", "enumeration", "kaufman", "transfer")
ENUMERATION_MAX_SITES = 20
TRANSFER_MAX_L_2D = 10

__all__ = [
    "METHODS",
    "T_CRITICAL",
    "enumerate_states",
    "exact_distribution",
    "exact_thermodynamics",
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


def exact_distribution(L: int, T: float, dims: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """(states, probabilities) of the Boltzmann distribution by enumeration."""
    beta = 1.0 / check_temperature(T)
    states, energies = enumerate_states(L, dims)
    logw = -beta * energies
    p = np.exp(logw - logw.max())
    return states, p / p.sum()


def sample_exact(L: int, T: float, n: int, seed: int, dims: int = 2) -> np.ndarray:
    """n independent configurations drawn from the exact distribution (small lattices)."""
    n = check_int_range("n", n, 1)
    states, p = exact_distribution(L, T, dims)
    index = np.random.default_rng(seed).choice(len(p), size=n, p=p)
    return states[index]


def _resolve(method: str, L: int, dims: int) -> str:
    method = check_choice("method", method, METHODS)
    if method == "auto":
        if _max_enumeration_L(dims) >= L and L**dims <= 16:
            return "enumeration"
        return "kaufman" if dims == 2 else "transfer"
    if method == "enumeration" and _max_enumeration_L(dims) < L:
        enumerate_states(L, dims)  # raises with the advice
    if method == "kaufman" and dims != 2:
        raise InvalidArgumentError("Kaufman's formula is for the 2D torus; in 1D use method='transfer' "
                                   "(exact for any L).")
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
        return _kaufman(L, beta)
    if dims == 1:
        return _logaddexp_signed([(L * math.log(2 * math.cosh(beta)), 1.0), (L * math.log(2 * math.sinh(beta)), 1.0)])
    return _transfer_2d(L, beta)


def _log2cosh(x: np.ndarray) -> np.ndarray:
    a = np.abs(x)
    return a + np.log1p(np.exp(-2 * a))


def _log_abs_2sinh(x: np.ndarray) -> np.ndarray:
    a = np.abs(x)
    with np.errstate(divide="ignore"):
        return a + np.log(-np.expm1(-2 * a))


def _logaddexp_signed(terms: list[tuple[float, float]]) -> float:
    """ln(sum_i sign_i e^(l_i)) for terms (l_i, sign_i); the sum must be positive."""
    finite = [(lv, s) for lv, s in terms if np.isfinite(lv)]
    top = max(lv for lv, _ in finite)
    total = sum(s * math.exp(lv - top) for lv, s in finite)
    if total <= 0:
        raise ArithmeticError("signed log-sum is not positive")  # cannot happen for a partition function
    return top + math.log(total)


def _kaufman(L: int, beta: float) -> float:
    K = beta
    two_k = 2 * K
    c = math.cosh(two_k) / math.tanh(two_k)
    k = np.arange(2 * L)
    cosh_g = c - np.cos(np.pi * k / L)
    gamma = np.arccosh(np.maximum(cosh_g, 1.0))
    gamma[0] = two_k + math.log(math.tanh(K))  # signed: negative below T_c
    odd, even = gamma[1::2], gamma[0::2]
    half = L / 2.0
    terms = [
        (float(_log2cosh(half * odd).sum()), 1.0),
        (float(_log_abs_2sinh(half * odd).sum()), 1.0),
        (float(_log2cosh(half * even).sum()), 1.0),
        (float(_log_abs_2sinh(half * even).sum()), float(np.prod(np.sign(even)))),
    ]
    n = L * L
    return -math.log(2.0) + 0.5 * n * math.log(2 * math.sinh(two_k)) + _logaddexp_signed(terms)


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


def exact_thermodynamics(L: int, T: float, dims: int = 2, method: str = "auto") -> dict:
    """Per-site energy, free energy and specific heat (plus |m| and U4 by enumeration)."""
    dims = check_dims(dims)
    L = check_size(L, dims)
    T = check_temperature(T)
    method = _resolve(method, L, dims)
    beta, n = 1.0 / T, L**dims
    out = {"L": L, "T": T, "dims": dims, "method": method}
    if method == "enumeration":
        states, p = exact_distribution(L, T, dims)
        energies = energy(states, dims)
        m = states.reshape(len(states), -1).mean(axis=1)
        e_mean = float(p @ energies)
        m2, m4 = float(p @ m**2), float(p @ m**4)
        out.update(
            energy_per_site=e_mean / n,
            free_energy_per_site=-T * _log_z_beta(L, beta, dims, method) / n,
            specific_heat_per_site=beta**2 * float(p @ (energies - e_mean) ** 2) / n,
            abs_magnetization=float(p @ np.abs(m)),
            binder_cumulant=1.0 - m4 / (3.0 * m2**2),
        )
        return out
    log_z = lambda b: _log_z_beta(L, b, dims, method)  # noqa: E731
    h = 1e-3 * beta
    f = [log_z(beta + j * h) for j in (-2, -1, 0, 1, 2)]
    first = (f[0] - 8 * f[1] + 8 * f[3] - f[4]) / (12 * h)
    second = (-f[0] + 16 * f[1] - 30 * f[2] + 16 * f[3] - f[4]) / (12 * h * h)
    out.update(energy_per_site=-first / n, free_energy_per_site=-T * f[2] / n,
               specific_heat_per_site=beta**2 * second / n)
    return out


def onsager_energy(T: float) -> float:
    """Infinite-lattice energy per site u(T) = -coth 2K [1 + (2/pi)(2 tanh^2 2K - 1) K(k)], k = 2 sinh 2K / cosh^2 2K.

    At T_c the bracket's second term is 0 * infinity = 0 and u = -coth(2K_c) = -sqrt(2) exactly.
    """
    T = check_temperature(T)
    K = 1.0 / T
    if T == T_CRITICAL:
        return -math.sqrt(2.0)
    t2 = math.tanh(2 * K) ** 2
    modulus = 2 * math.sinh(2 * K) / math.cosh(2 * K) ** 2
    elliptic = special.ellipk(min(modulus**2, 1.0 - 2**-52))  # rounding can push k^2 past 1 near T_c
    return -(1.0 / math.tanh(2 * K)) * (1.0 + (2.0 / math.pi) * (2 * t2 - 1) * elliptic)


def onsager_free_energy(T: float) -> float:
    """Infinite-lattice free energy per site (Onsager).

    -beta f = ln(2 cosh 2K) + (1/pi) int_0^(pi/2) ln[(1 + sqrt(1 - k^2 sin^2 t)) / 2] dt, k = 2 sinh 2K / cosh^2 2K.
    """
    T = check_temperature(T)
    K = 1.0 / T
    kappa = 2 * math.sinh(2 * K) / math.cosh(2 * K) ** 2
    integrand = lambda t: math.log(0.5 * (1 + math.sqrt(max(0.0, 1 - (kappa * math.sin(t)) ** 2))))  # noqa: E731
    value, _ = integrate.quad(integrand, 0.0, math.pi / 2, limit=200)
    return -T * (math.log(2 * math.cosh(2 * K)) + value / math.pi)


def yang_magnetization(T: float) -> float:
    """Spontaneous magnetisation (1 - sinh(2K)^-4)^(1/8) below T_c, 0 above."""
    T = check_temperature(T)
    if T >= T_CRITICAL:
        return 0.0
    return (1.0 - math.sinh(2.0 / T) ** -4) ** 0.125
