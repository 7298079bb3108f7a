"""Renormalization as information distillation (paper Section III E, Eqs. 23-24, and the v1 appendix).

Modules, one job each:

* :mod:`~deepcheap.renormalization.flow`: a Gaussian free field under b x b block averaging; its couplings
  flow as y_i -> b^(2 - 2i) y_i (exact alias sums and samples, :func:`fit_couplings`);
* :mod:`~deepcheap.renormalization.blockspins`: Ising block spins (majority rule, decimation, random spins)
  and a temperature classifier's score at each level (:mod:`~deepcheap.renormalization.classifier`);
* :mod:`~deepcheap.renormalization.exact_information`: the exact I(T; block spins) by enumeration
  (states, energies and Boltzmann weights from :mod:`deepcheap.physics`);
* :mod:`~deepcheap.renormalization.counterexample`: H(y, y') = H(y) + H(y') + K(y) + ln Z~ keeps Z but not p(y).

Maths only: nothing here prints, draws or writes files. Randomness comes from an explicit seed.
"""

from __future__ import annotations

from deepcheap.renormalization.blockspins import COARSE_GRAININGS, block_spins, coarse_features, coarse_grained_scores
from deepcheap.renormalization.classifier import ClassifierScore, logistic_regression, temperature_information
from deepcheap.renormalization.counterexample import Counterexample, counterexample
from deepcheap.renormalization.exact_information import (
    ExactTemperatureInformation,
    coarse_information,
    exact_temperature_information,
    state_codes,
    temperature_joint,
)
from deepcheap.renormalization.flow import (
    GaussianField,
    block_average,
    block_window,
    coarse_side,
    coarse_spectrum,
    fit_couplings,
    flow_exponents,
    lattice_k2,
    sample_spectrum,
    sampled_coarse_spectra,
)

__all__ = [
    "COARSE_GRAININGS",
    "ClassifierScore",
    "Counterexample",
    "ExactTemperatureInformation",
    "GaussianField",
    "block_average",
    "block_spins",
    "block_window",
    "coarse_features",
    "coarse_grained_scores",
    "coarse_information",
    "coarse_side",
    "coarse_spectrum",
    "counterexample",
    "exact_temperature_information",
    "fit_couplings",
    "flow_exponents",
    "lattice_k2",
    "logistic_regression",
    "sample_spectrum",
    "sampled_coarse_spectra",
    "state_codes",
    "temperature_information",
    "temperature_joint",
]
