"""Free-energy differences as KL divergences (Table I), exactly and from sampled energies.

For Boltzmann distributions p_k(s) = e^(-beta_k E(s)) / Z_k of one energy function,

    KL(p_1 || p_2) = sum_s p_1 ln(p_1 / p_2) = (beta_2 - beta_1) <E>_1 + ln Z_2 - ln Z_1,

and ln Z_1 - ln Z_2 = -int_{beta_2}^{beta_1} <E>(beta) dbeta (thermodynamic integration), which needs only
sampled mean energies, never Z.

>>> r = kl_by_enumeration(3, 2.2, 2.4)
>>> bool(r.relative_error < 1e-12)
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.integrate import simpson

from deepcheap.errors import InvalidArgumentError, check_int_range
from deepcheap.physics.exact import enumerate_states, log_boltzmann, log_partition
from deepcheap.physics.ising import sample_summary
from deepcheap.physics.lattice import check_temperature
from deepcheap.seeds import derive_seed


def kl_from_free_energies(T1: float, T2: float, mean_energy_1: float, log_z_1: float, log_z_2: float) -> float:
    """(beta_2 - beta_1) <E>_1 + ln Z_2 - ln Z_1 = KL(p_1 || p_2)."""
    return (1.0 / T2 - 1.0 / T1) * mean_energy_1 + log_z_2 - log_z_1


@dataclass(frozen=True)
class KLExact:
    """KL(p_1 || p_2) on a small lattice: by its definition (enumeration) and by the free-energy formula with
    Kaufman's ln Z."""

    L: int
    T1: float
    T2: float
    direct: float
    formula: float
    relative_error: float

    def to_dict(self) -> dict:
        return asdict(self)


def kl_by_enumeration(L: int, T1: float, T2: float) -> KLExact:
    """sum_s p_1 ln(p_1 / p_2) over every state against (beta_2 - beta_1) <E>_1 + ln Z_2 - ln Z_1 (Kaufman)."""
    _, E = enumerate_states(L)
    log_p1, log_p2 = log_boltzmann(E, T1), log_boltzmann(E, T2)
    p1 = np.exp(log_p1)
    direct = float(np.sum(p1 * (log_p1 - log_p2)))
    formula = kl_from_free_energies(T1, T2, float(p1 @ E), log_partition(L, T1, method="kaufman"),
                                    log_partition(L, T2, method="kaufman"))
    return KLExact(L, float(T1), float(T2), direct, formula, abs(formula - direct) / direct)


def thermodynamic_integration(betas, mean_energies, errors) -> tuple[float, float]:
    """(ln Z(beta_last) - ln Z(beta_first), its standard error) = -int <E> dbeta by Simpson's rule over ascending
    ``betas``; the error propagates independent errors of the sampled <E> through Simpson's weights."""
    betas = np.asarray(betas, dtype=np.float64)
    if betas.ndim != 1 or len(betas) < 3 or np.any(np.diff(betas) <= 0):
        raise InvalidArgumentError("thermodynamic integration needs at least 3 ascending betas.")
    value = -float(simpson(np.asarray(mean_energies, dtype=np.float64), x=betas))
    weights = simpson(np.eye(len(betas)), x=betas, axis=1)
    return value, float(np.sqrt(np.sum((weights * np.asarray(errors, dtype=np.float64)) ** 2)))


@dataclass(frozen=True)
class SampledKL:
    """KL(p_1 || p_2) on an L x L torus from a sampled <E>_1: with Kaufman's ln Z difference, and with the
    difference from thermodynamic integration of sampled energies; ``z``: (integration - Kaufman) / its error."""

    L: int
    betas: tuple[float, ...]
    energies: tuple[float, ...]  # sampled <E>/N along the path
    energy_errors: tuple[float, ...]
    delta_log_z_kaufman: float  # ln Z(T1) - ln Z(T2)
    delta_log_z_ti: float
    delta_log_z_ti_err: float
    kl_kaufman: float
    kl_ti: float
    kl_err: float
    z: float

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def sampled_kl(L: int, T1: float, T2: float, *, points: int, sweeps: int, seed: int) -> SampledKL:
    """Sample <E> at ``points`` betas from 1/T2 to 1/T1 (T1 < T2); each point an independent run."""
    T1, T2 = check_temperature(T1), check_temperature(T2)
    if not T1 < T2:
        raise InvalidArgumentError(f"give T1 < T2 (integration from beta_2 = 1/T2 up to beta_1); got {T1}, {T2}.")
    n = L * L
    betas = np.linspace(1 / T2, 1 / T1, check_int_range("points", points, 3))
    runs = [sample_summary(L, float(1 / b), sweeps=sweeps, seed=derive_seed(seed, "beta", k))
            for k, b in enumerate(betas)]
    means = np.array([r.energy_per_site for r in runs]) * n
    errors = np.array([r.energy_stderr for r in runs]) * n
    ti, ti_err = thermodynamic_integration(betas, means, errors)
    kaufman = log_partition(L, T1, method="kaufman") - log_partition(L, T2, method="kaufman")
    kl = [kl_from_free_energies(T1, T2, means[-1], delta, 0.0) for delta in (kaufman, ti)]
    return SampledKL(L, tuple(betas.tolist()), tuple((means / n).tolist()), tuple((errors / n).tolist()),
                     float(kaufman), ti, ti_err, kl[0], kl[1], float((1 / T1 - 1 / T2) * errors[-1]),
                     float((ti - kaufman) / max(ti_err, 1e-300)))
