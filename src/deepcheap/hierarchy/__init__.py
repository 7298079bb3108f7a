"""Markov hierarchies, minimal sufficient statistics and mutual information (paper Sections III A-D).

A hierarchy y_0 -> y_1 -> ... -> y_n is a prior p(y_0) and column-stochastic matrices
M_i[a, b] = p(y_i = a | y_{i-1} = b), so p(y_n) = M_n ... M_1 p(y_0) (Eqs. 15-16).

>>> import numpy as np
>>> h = random_hierarchy([3, 4, 4, 5], seed=0, nuisance={2: 2})
>>> h.sizes
(3, 4, 8, 10)
>>> d = distill(h)
>>> d.sizes  # |T_0|, |T_1|, |T_2|: minimal sufficient statistics of p(y_i | y_3)
(5, 5, 10)
>>> bool(np.abs(d.compose() - h.posterior(0)).max() < 1e-12)
True

Modules, one job each:

* :mod:`~deepcheap.hierarchy.markov`: hierarchies, random ones from a seed, and the path-enumeration oracle;
* :mod:`~deepcheap.hierarchy.statistics`: minimal sufficient statistics and the maps of Theorem 2 / Corollary 2;
* :mod:`~deepcheap.hierarchy.information`: entropy, mutual information (its one home), the data
  processing inequality (Section III D: I(x; y) >= I(x; f(y)), with equality for a sufficient statistic).

Maths only: nothing here prints, draws or writes files. Randomness comes from an explicit seed.
"""

from __future__ import annotations

from deepcheap.hierarchy.information import (
    PROBABILITY_TOLERANCE,
    DPIRecord,
    check_distribution,
    data_processing_trials,
    entropy,
    merge_information_loss,
    mutual_information,
    random_stochastic,
    statistic_joint,
)
from deepcheap.hierarchy.markov import (
    MAX_PATH_STATES,
    MarkovHierarchy,
    brute_force_posterior,
    condition,
    path_joint,
    random_hierarchy,
)
from deepcheap.hierarchy.statistics import (
    POSTERIOR_TOLERANCE,
    Distillation,
    Statistic,
    distill,
    group_rows,
    minimal_sufficient_statistic,
)

__all__ = [
    "MAX_PATH_STATES",
    "POSTERIOR_TOLERANCE",
    "PROBABILITY_TOLERANCE",
    "DPIRecord",
    "Distillation",
    "MarkovHierarchy",
    "Statistic",
    "brute_force_posterior",
    "check_distribution",
    "condition",
    "data_processing_trials",
    "distill",
    "entropy",
    "group_rows",
    "merge_information_loss",
    "minimal_sufficient_statistic",
    "mutual_information",
    "path_joint",
    "random_hierarchy",
    "random_stochastic",
    "statistic_joint",
]
