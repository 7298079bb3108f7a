"""Bayes posteriors in Boltzmann form (Eq. 8), and reading a Hamiltonian back out of a classifier.

>>> import numpy as np
>>> log_lik = np.log([[0.2, 0.5], [0.7, 0.1]])             # p(x | y) for two inputs, two classes
>>> prior = np.array([0.3, 0.7])
>>> H, mu = boltzmann_form(log_lik, prior)                 # H_y(x) = -ln p(x|y), mu_y = -ln p(y)
>>> np.allclose(softmax_posterior(H, mu), bayes_posterior(np.exp(log_lik), prior))
True

With H_y(x) = -ln p(x | y) and mu_y = -ln p(y), Bayes' theorem reads
p(y | x) = e^(-[H_y(x) + mu_y]) / N(x) = softmax(-H(x) - mu)_y: a network whose last hidden layer
computes the Hamiltonians needs only a softmax, and mu is the output bias. For classes with
Boltzmann densities p(x | y) = e^(-beta_y E(x)) / Z_y, H_y = beta_y E + ln Z_y, so the log-odds of two
classes are (beta_2 - beta_1) E(x) + const: a classifier's log-odds carry the energy function, which
:func:`fit_pair_couplings` recovers by least squares on spin products (:func:`read_out_couplings`
summarises it over a lattice's bonds, e.g. :func:`deepcheap.physics.lattice.neighbour_pairs`).
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass

import numpy as np
import torch
from scipy.special import logsumexp

from deepcheap.errors import InvalidArgumentError


def bayes_posterior(likelihood: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """p(y | x) = p(x | y) p(y) / sum_y' p(x | y') p(y'), straight from the definition (N, K)."""
    likelihood = np.asarray(likelihood, dtype=np.float64)
    prior = _check_prior(prior, likelihood.shape[-1])
    joint = likelihood * prior
    total = joint.sum(axis=-1, keepdims=True)
    if np.any(total <= 0):
        raise InvalidArgumentError("some input has zero likelihood under every class; its posterior is undefined.")
    return joint / total


def boltzmann_form(log_likelihood: np.ndarray, prior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(H, mu) with H_y(x) = -ln p(x | y) and mu_y = -ln p(y)."""
    log_likelihood = np.asarray(log_likelihood, dtype=np.float64)
    prior = _check_prior(prior, log_likelihood.shape[-1])
    return -log_likelihood, -np.log(prior)


def softmax_posterior(H: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """softmax(-H - mu) along the class axis, computed stably (Eq. 8)."""
    logits = -np.asarray(H, dtype=np.float64) - np.asarray(mu, dtype=np.float64)
    return np.exp(logits - logsumexp(logits, axis=-1, keepdims=True))


def _check_prior(prior, classes: int) -> np.ndarray:
    prior = np.asarray(prior, dtype=np.float64).reshape(-1)
    if prior.shape != (classes,) or np.any(prior <= 0) or not np.isclose(prior.sum(), 1.0):
        raise InvalidArgumentError(f"prior must be {classes} positive probabilities summing to 1; got {prior}.")
    return prior


class HamiltonianClassifier(torch.nn.Module):
    """softmax(-H - mu) with H_y(x) = beta_y E(x) + log_z_y, E computed by any module (e.g. a compiled network).

    The hidden layers compute the energy, one linear layer (weights -beta_y, bias -log_z_y - mu_y)
    makes the logits: the paper's Eq. 8 as a network. ``forward`` returns log-probabilities.
    """

    def __init__(self, energy: torch.nn.Module, betas, log_z, prior, *, dtype=torch.float64):
        super().__init__()
        betas = np.asarray(betas, dtype=np.float64).reshape(-1)
        log_z = np.asarray(log_z, dtype=np.float64).reshape(-1)
        prior = _check_prior(prior, len(betas))
        if log_z.shape != betas.shape:
            raise InvalidArgumentError("betas and log_z need one entry per class.")
        self.energy = energy
        # the exact head as buffers (a torch.nn.Linear would draw its initial weights from torch's global RNG)
        self.register_buffer("weight", torch.as_tensor(-betas, dtype=dtype))
        self.register_buffer("bias", torch.as_tensor(-log_z + np.log(prior), dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log_softmax(self.energy(x).reshape(-1, 1) * self.weight + self.bias, dim=-1)


class BoltzmannClassifier(torch.nn.Module):
    """softmax(-H(x) - mu) with one Hamiltonian module per class (e.g. compiled Gaussian H_y).

    ``hamiltonians[y]`` maps (N, d) to (N,); ``mu`` is the output bias, -ln p(y) for the Bayes
    posterior. ``forward`` returns log-probabilities (N, K).
    """

    def __init__(self, hamiltonians, mu, *, dtype=torch.float64):
        super().__init__()
        self.hamiltonians = torch.nn.ModuleList(hamiltonians)
        mu = np.asarray(mu, dtype=np.float64).reshape(-1)
        if len(mu) != len(self.hamiltonians) or len(mu) < 2:
            raise InvalidArgumentError(f"need one mu per Hamiltonian and at least 2 classes; got {len(mu)} mu for "
                                       f"{len(self.hamiltonians)} Hamiltonians.")
        self.register_buffer("mu", torch.as_tensor(mu, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        H = torch.stack([h(x).reshape(-1) for h in self.hamiltonians], dim=-1)
        return torch.log_softmax(-H - self.mu, dim=-1)


# --- reading the Hamiltonian back out -------------------------------------------------------------


def pair_features(spins: np.ndarray, pairs: list[tuple[int, int]] | None = None) -> tuple[np.ndarray, list]:
    """Design matrix [1, s_i, s_i s_j] for flattened spins (N, n); all pairs i < j unless given."""
    s = np.asarray(spins, dtype=np.float64).reshape(len(spins), -1)
    n = s.shape[1]
    pairs = list(itertools.combinations(range(n), 2)) if pairs is None else pairs
    i, j = np.array(pairs, dtype=np.int64).reshape(-1, 2).T if pairs else (np.zeros(0, int), np.zeros(0, int))
    return np.hstack([np.ones((len(s), 1)), s, s[:, i] * s[:, j]]), pairs


@dataclass(frozen=True, eq=False)
class PairFit:
    """log-odds ~ intercept + sum_i fields_i s_i + sum_{i<j} couplings_ij s_i s_j (couplings symmetric, zero
    diagonal), fitted by least squares; residual and log-odds rms over the fitted configurations."""

    intercept: float
    fields: np.ndarray  # (n,)
    couplings: np.ndarray  # (n, n)
    residual_rms: float
    log_odds_rms: float

    def summary(self, neighbours: list[tuple[int, int]]) -> CouplingSummary:
        """The couplings over the bonds ``neighbours`` against every other pair."""
        n = len(self.fields)
        i, j = np.triu_indices(n, 1)
        K = self.couplings[i, j]
        nn = {tuple(sorted(p)) for p in neighbours}
        is_nn = np.array([(a, b) in nn for a, b in zip(i.tolist(), j.tolist(), strict=True)])
        other = K[~is_nn]
        return CouplingSummary(
            nn_mean=float(K[is_nn].mean()), nn_std=float(K[is_nn].std()),
            other_rms=float(np.sqrt(np.mean(other**2))) if other.size else 0.0,
            other_max_abs=float(np.abs(other).max()) if other.size else 0.0,
            field_max_abs=float(np.abs(self.fields).max()), intercept=self.intercept,
            residual_rms=self.residual_rms, log_odds_rms=self.log_odds_rms,
            nn_pairs=int(is_nn.sum()), other_pairs=int((~is_nn).sum()))


@dataclass(frozen=True)
class CouplingSummary:
    """Mean and spread of the couplings K over nearest-neighbour pairs, rms and largest |K| elsewhere, the
    largest field, the intercept, and the fit's residual against the log-odds' own rms."""

    nn_mean: float
    nn_std: float
    other_rms: float
    other_max_abs: float
    field_max_abs: float
    intercept: float
    residual_rms: float
    log_odds_rms: float
    nn_pairs: int
    other_pairs: int

    def to_dict(self) -> dict:
        return asdict(self)


def fit_pair_couplings(spins: np.ndarray, log_odds: np.ndarray) -> PairFit:
    """Fit log-odds ~ c + sum_i h_i s_i + sum_{i<j} K_ij s_i s_j over flattened spins (N, n) by least squares."""
    return fit_pair_couplings_each(spins, np.asarray(log_odds).reshape(-1, 1))[0]


def fit_pair_couplings_each(spins: np.ndarray, log_odds: np.ndarray) -> list[PairFit]:
    """:func:`fit_pair_couplings` for every column of ``log_odds`` (N, k): one least-squares solve."""
    X, pairs = pair_features(spins)
    Y = np.asarray(log_odds, dtype=np.float64)
    if Y.ndim != 2 or len(Y) != len(X):
        raise InvalidArgumentError(f"log_odds needs one row per configuration ({len(X)}); got shape {Y.shape}.")
    if X.shape[0] <= X.shape[1]:
        raise InvalidArgumentError(f"{X.shape[1]} coefficients need more than {X.shape[0]} configurations; sample "
                                   f"at least {2 * X.shape[1]}.")
    coef, *_ = np.linalg.lstsq(X, Y, rcond=None)
    residual = Y - X @ coef
    n = X.shape[1] - 1 - len(pairs)
    i, j = np.array(pairs, dtype=np.int64).reshape(-1, 2).T
    fits = []
    for col in range(Y.shape[1]):
        K = np.zeros((n, n))
        K[i, j] = K[j, i] = coef[1 + n:, col]
        fits.append(PairFit(float(coef[0, col]), coef[1:1 + n, col], K, float(np.sqrt(np.mean(residual[:, col] ** 2))),
                            float(np.sqrt(np.mean(Y[:, col] ** 2)))))
    return fits


def read_out_couplings(spins: np.ndarray, log_odds: np.ndarray, neighbours: list[tuple[int, int]]) -> CouplingSummary:
    """:func:`fit_pair_couplings` summarised over the bonds ``neighbours`` (see :class:`CouplingSummary`)."""
    return fit_pair_couplings(spins, log_odds).summary(neighbours)
