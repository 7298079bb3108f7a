"""A CMB-like Gaussian hierarchy and its distillers (paper Section III D, Fig. 3 left).

The generative chain, on a periodic 1D grid of n pixels (y_0 -> y_1 -> y_2 -> y_3):

    theta -> S_k(theta) = A (1 + |q_k| / q_c)^(-t) -> sky phi ~ N(0, S) -> data d = B phi + noise

with q_k = 2 pi min(k, n - k) / n, a Gaussian beam b_k = exp(-sigma_b^2 q_k^2 / 2) and white noise
N_k = sigma_n^2. Everything is stationary, so the data covariance C = F^-1 diag(P) F is circulant with
P_k = S_k b_k^2 + N_k. theta is the amplitude A or the tilt t. The distillers run back up:

* map-making (data -> map): the Wiener filter m = S B (B S B + N)^-1 d (invertible, so lossless);
  dense Cholesky solve O(n^3) or FFT O(n log n);
* spectrum estimation (map -> band powers): noise-debiased, beam-deconvolved periodogram averaged over
  log-spaced bands (``per_octave`` per doubling of k) with fiducial inverse-variance weights; dense DFT O(n^2) or FFT;
* parameter fit (band powers -> theta): Gauss-Newton on sum_b (q_b - mu_b(theta))^2 / V_b, O(n_b).

Information kept is the Fisher information about theta at each stage, against the data's
F = 1/2 sum_k (d ln P_k / d theta)^2 (= 1/2 tr(C^-1 C' C^-1 C')); band powers keep
F_bp = sum_b mu_b'^2 / V_b, exactly the inverse asymptotic variance of the fit.

>>> h = GaussianHierarchy(256)
>>> F = fisher_information(h)
>>> bool(abs(F - fisher_information_dense(h)) < 1e-8 * F)
True
>>> 0.9 < bandpower_fisher(h) / F <= 1
True

Modules, one job each: :mod:`~deepcheap.distillation.model` (the hierarchy, its exact Fisher information),
:mod:`~deepcheap.distillation.bands` (band powers and the information they keep),
:mod:`~deepcheap.distillation.distillers` (map-making, spectrum estimation, the fits, simulations) and
:mod:`~deepcheap.distillation.costs` (wall-clock cost against n).

Maths only: nothing here prints, draws or writes files; timings use time.perf_counter.
"""

from __future__ import annotations

from deepcheap.distillation.bands import (
    BandModel,
    band_model,
    bandpower_fisher,
    bands,
)
from deepcheap.distillation.costs import (
    MIN_BATCH_SECONDS,
    STAGE_METHODS,
    STAGES,
    StageCost,
    cost_scaling,
    stage_job,
    time_stage,
)
from deepcheap.distillation.distillers import (
    FIT_ITERATIONS,
    METHODS,
    STAGE_ESTIMATORS,
    SimulatedInformation,
    dft_matrix,
    estimate_spectrum,
    fit_data,
    fit_parameter,
    make_map,
    simulate_distillers,
)
from deepcheap.distillation.model import (
    MAX_DENSE_N,
    PARAMETERS,
    GaussianHierarchy,
    circulant_matrix,
    fisher_information,
    fisher_information_dense,
    wiener_filter,
)

__all__ = [
    "FIT_ITERATIONS",
    "MAX_DENSE_N",
    "METHODS",
    "MIN_BATCH_SECONDS",
    "PARAMETERS",
    "STAGES",
    "STAGE_ESTIMATORS",
    "STAGE_METHODS",
    "BandModel",
    "GaussianHierarchy",
    "SimulatedInformation",
    "StageCost",
    "band_model",
    "bandpower_fisher",
    "bands",
    "circulant_matrix",
    "cost_scaling",
    "dft_matrix",
    "estimate_spectrum",
    "fisher_information",
    "fisher_information_dense",
    "fit_data",
    "fit_parameter",
    "make_map",
    "simulate_distillers",
    "stage_job",
    "time_stage",
    "wiener_filter",
]
