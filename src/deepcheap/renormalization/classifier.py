"""How much a set of features tells about the temperature: logistic regression, test accuracy and bits."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import scipy.optimize

from deepcheap.errors import InvalidArgumentError
from deepcheap.seeds import numpy_generator


def _standardize(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu, sd = train.mean(axis=0), train.std(axis=0)
    sd = np.where(sd > 1e-12, sd, 1.0)
    return (train - mu) / sd, (test - mu) / sd


def logistic_regression(X: np.ndarray, y: np.ndarray, l2: float = 1e-4) -> np.ndarray:
    """Weights (bias last) minimising mean log-loss + l2 |w|^2 (L-BFGS, deterministic)."""
    Xb = np.hstack([X, np.ones((X.shape[0], 1))])
    t = 2.0 * y - 1.0

    def loss(w):
        z = t * (Xb @ w)
        value = np.mean(np.logaddexp(0, -z)) + l2 * w[:-1] @ w[:-1]
        sig = np.exp(-np.logaddexp(0, z))  # sigmoid(-z)
        grad = -(Xb.T @ (t * sig)) / len(t)
        grad[:-1] += 2 * l2 * w[:-1]
        return value, grad

    res = scipy.optimize.minimize(loss, np.zeros(Xb.shape[1]), jac=True, method="L-BFGS-B")
    return res.x


@dataclass(frozen=True)
class ClassifierScore:
    """Test accuracy and cross-entropy of a temperature classifier; bits = max(0, H(T) - cross-entropy)."""

    accuracy: float
    cross_entropy_bits: float
    information_bits: float
    n_train: int
    n_test: int

    def to_dict(self) -> dict:
        return asdict(self)


def temperature_information(features: np.ndarray, labels: np.ndarray, seed: int, l2: float = 1e-4,
                            expand: bool = True) -> ClassifierScore:
    """Train logistic regression on a random half, score on the other half (two balanced classes).

    ``expand`` adds the squares and pairwise products of the features (a quadratic log-odds), which
    covers the exact Bayes rule when the features are sufficient and roughly Gaussian per class.
    The information estimate, 1 bit minus the test cross-entropy, is a lower bound on I(T; features)
    up to sampling error.
    """
    X = np.asarray(features, dtype=float)
    y = np.asarray(labels).astype(int)
    if set(np.unique(y)) - {0, 1}:
        raise InvalidArgumentError("labels must be 0 / 1 (two temperatures).")
    if expand:
        i, j = np.triu_indices(X.shape[1])
        X = np.hstack([X, X[:, i] * X[:, j]])
    order = numpy_generator(seed).permutation(len(y))
    half = len(y) // 2
    tr, te = order[:half], order[half:]
    Xtr, Xte = _standardize(X[tr], X[te])
    w = logistic_regression(Xtr, y[tr], l2)
    z = np.hstack([Xte, np.ones((len(te), 1))]) @ w
    t = 2.0 * y[te] - 1.0
    ce = float(np.mean(np.logaddexp(0, -t * z)) / math.log(2))
    prior = float(np.mean(y[tr]))
    h_prior = 0.0 if prior in (0, 1) else -(prior * math.log2(prior) + (1 - prior) * math.log2(1 - prior))
    acc = float(np.mean((z > 0) == (y[te] == 1)))
    return ClassifierScore(acc, ce, float(max(0.0, h_prior - ce)), len(tr), len(te))
