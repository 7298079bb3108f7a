"""Ising temperature classification with exact log-probabilities (labels = temperature classes).

>>> data = ising_temperatures(L=4, temperatures=(2.0, 3.0), per_class=50, seed=0)
>>> data.spins.shape, data.labels.shape, data.classes
((100, 4, 4), (100,), 2)
>>> bool(abs(data.bayes_posterior().sum(axis=1) - 1).max() < 1e-12)
True

Class y has the Boltzmann density p(s | y) = e^(-beta_y E(s)) / Z_y on the periodic L x L lattice,
so H_y(s) = beta_y E(s) + ln Z_y exactly (ln Z_y by Kaufman's closed form, any L), and the Bayes
posterior softmax(-H - mu) is known for every configuration: the Bayes-optimal accuracy of any
classifier on these data is measured, not guessed, provided the samples are Boltzmann distributed:
:meth:`IsingTemperatures.energy_checks` compares each class's mean energy with Kaufman's exact value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deepcheap.bayes import softmax_posterior
from deepcheap.errors import InvalidArgumentError, check_int_range
from deepcheap.physics.exact import log_partition
from deepcheap.physics.ising import EnergyCheck, energy_against_exact
from deepcheap.physics.lattice import check_temperature, energy
from deepcheap.physics.samplers import configuration_chains, sample_configurations
from deepcheap.seeds import derive_seed


@dataclass(frozen=True)
class IsingTemperatures:
    spins: np.ndarray  # (N, L, L) int8 in {-1, +1}
    labels: np.ndarray  # (N,) class index
    temperatures: np.ndarray  # (K,)
    log_z: np.ndarray  # (K,) ln Z_y (Kaufman)
    prior: np.ndarray  # (K,)
    chains: np.ndarray  # (N,) the sampler chain of each configuration (within its class)

    @property
    def classes(self) -> int:
        return len(self.temperatures)

    @property
    def L(self) -> int:
        return self.spins.shape[-1]

    @property
    def betas(self) -> np.ndarray:
        return 1.0 / self.temperatures

    @property
    def energies(self) -> np.ndarray:
        return energy(self.spins)

    def hamiltonians(self) -> np.ndarray:
        """H_y(s) = -ln p(s | y) = beta_y E(s) + ln Z_y, shape (N, K)."""
        return np.outer(self.energies, self.betas) + self.log_z

    def bayes_posterior(self) -> np.ndarray:
        """softmax(-H - mu) with mu = -ln prior: the exact p(y | s) (Eq. 8)."""
        return softmax_posterior(self.hamiltonians(), -np.log(self.prior))

    def bayes_accuracy(self) -> float:
        """Accuracy of the Bayes-optimal classifier on these configurations."""
        return float(np.mean(self.bayes_posterior().argmax(axis=1) == self.labels))

    def energy_checks(self) -> tuple[EnergyCheck, ...]:
        """Per class: the sample mean energy per site against Kaufman's exact value, in jackknife errors."""
        return tuple(energy_against_exact(self.spins[self.labels == k], self.chains[self.labels == k], float(t))
                     for k, t in enumerate(self.temperatures))

    def split(self, fraction: float) -> tuple[IsingTemperatures, IsingTemperatures]:
        """(first, rest): classes stay balanced because rows are interleaved by class."""
        cut = round(fraction * len(self.labels))
        if not 0 < cut < len(self.labels):
            raise InvalidArgumentError(f"split fraction {fraction} leaves an empty part; use a value in (0, 1).")
        part = lambda s: IsingTemperatures(self.spins[s], self.labels[s], self.temperatures, self.log_z,  # noqa: E731
                                           self.prior, self.chains[s])
        return part(slice(0, cut)), part(slice(cut, None))


def ising_temperatures(L: int, temperatures, per_class: int, seed: int) -> IsingTemperatures:
    """``per_class`` effectively independent configurations at each temperature (uniform prior).

    Rows are interleaved (class 0, 1, ..., K-1, 0, 1, ...) so any prefix is balanced.
    """
    L = check_int_range("L", L, 2)
    per_class = check_int_range("per_class", per_class, 1)
    temps = np.array([check_temperature(t) for t in temperatures], dtype=np.float64)
    if len(temps) < 2 or len(np.unique(temps)) != len(temps):
        raise InvalidArgumentError("give at least two distinct temperatures, e.g. (2.0, 2.5).")
    blocks = [sample_configurations(L, float(t), per_class, derive_seed(seed, "class", k)) for k, t in enumerate(temps)]
    spins = np.stack(blocks, axis=1).reshape(per_class * len(temps), L, L).astype(np.int8)
    labels = np.tile(np.arange(len(temps)), per_class)
    chains = np.repeat(configuration_chains(per_class), len(temps))
    log_z = np.array([log_partition(L, float(t), method="kaufman") for t in temps])
    return IsingTemperatures(spins, labels, temps, log_z, np.full(len(temps), 1.0 / len(temps)), chains)
