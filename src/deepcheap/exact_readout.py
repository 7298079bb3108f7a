"""Reading H back out of a classifier, exactly: two temperature classes on the 4 x 4 torus (all 2^16 states).

>>> task = exact_task(4, (2.1, 2.5))
>>> r = readout(task, task.bayes_log_odds)
>>> round(r.coupling_ratio, 9), round(r.spectrum["nn pairs"], 9), abs(r.outside_nn) < 1e-12
(1.0, 1.0, True)

Classes c = 0, 1 at temperatures T_c, p_c(s) = e^(-E(s)/T_c) / Z_c with E = -sum_nn s_i s_j, equal priors. On a
lattice this small every quantity is a finite sum over the states s, weighted by the mixture w(s) = (p_0 + p_1)/2
(where the data live):

* the Bayes log-odds f_B(s) = ln p_1(s) - ln p_0(s) = K sum_nn s_i s_j + ln Z_0 - ln Z_1, K = 1/T_1 - 1/T_0;
* a model's exact KL to Bayes: sum_s w(s) KL(sigmoid(f_B(s)) || sigmoid(f(s))) for its log-odds f (binary);
* its read-out: the full Walsh-Hadamard spectrum of f (every order; :mod:`deepcheap.compiler.walsh`) as
  Parseval shares of single spins, nearest-neighbour pairs, other pairs and >= 3-spin terms; the share of the
  *weighted* variance Var_w(f) outside the nearest-neighbour pairs, 1 - R^2_w of f regressed on them (under
  w the Walsh terms correlate, so per-group weighted shares can be negative; this one cannot); and the
  nearest-neighbour coupling from weighted least squares of f on 1, s_i and every s_i s_j (its mean over the
  32 bonds, over K).

Calibration functions (:func:`calibration_functions`) with known answers: f_B itself (exactly quadratic, all
nearest-neighbour), f_B^3 (the same decisions, but >= 3-spin terms), and a function of m^2 (no locality).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import linalg, special

from deepcheap.compiler import walsh
from deepcheap.errors import InvalidArgumentError, check_int_range
from deepcheap.physics.lattice import check_temperature, energy, neighbour_pairs
from deepcheap.seeds import numpy_generator
from deepcheap.spin_classifiers import binary_kl

MAX_L = 4  # 2^16 states
GROUPS = ("fields", "nn pairs", "other pairs", ">=3 spins")


@dataclass(frozen=True, eq=False)
class ExactTask:
    """Two temperature classes on the L x L torus, every state enumerated (in :func:`walsh.all_states` order)."""

    L: int
    temperatures: tuple[float, float]
    states: np.ndarray = field(repr=False)  # (2^n, L, L) spins, float64
    weights: np.ndarray = field(repr=False)  # (2^n,) mixture probabilities (p_0 + p_1) / 2
    class_probabilities: np.ndarray = field(repr=False)  # (2, 2^n)
    bayes_log_odds: np.ndarray = field(repr=False)  # (2^n,)

    @property
    def coupling(self) -> float:
        """K = 1/T_1 - 1/T_0: the nearest-neighbour coefficient of the Bayes log-odds."""
        return 1.0 / self.temperatures[1] - 1.0 / self.temperatures[0]

    @property
    def bayes_accuracy(self) -> float:
        """The Bayes classifier's accuracy, sum_s max(p_0(s), p_1(s)) / 2 (equal priors)."""
        return float(np.maximum(*self.class_probabilities).sum() / 2)

    @property
    def sites(self) -> int:
        return self.L * self.L

    @cached_property
    def pairs(self) -> list[tuple[int, int]]:
        return list(itertools.combinations(range(self.sites), 2))

    @cached_property
    def pair_solver(self) -> np.ndarray:
        """Weighted least squares on 1, s_i, s_i s_j as one matrix: coefficients = pair_solver @ (sqrt(w) f)."""
        s = self.states.reshape(len(self.weights), -1)
        i, j = np.array(self.pairs).T
        return _weighted_pinv(np.concatenate([np.ones((len(s), 1)), s, s[:, i] * s[:, j]], axis=1), self.weights)

    @cached_property
    def nn_design(self) -> tuple[np.ndarray, np.ndarray]:
        """(X, its weighted pseudo-inverse) for 1 and the nearest-neighbour pair products."""
        s = self.states.reshape(len(self.weights), -1)
        i, j = np.array(sorted(neighbour_pairs(self.L))).T
        X = np.concatenate([np.ones((len(s), 1)), s[:, i] * s[:, j]], axis=1)
        return X, _weighted_pinv(X, self.weights)


def _weighted_pinv(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    return linalg.pinv(X * np.sqrt(w)[:, None])


def exact_task(L: int, temperatures) -> ExactTask:
    L = check_int_range("L", L, 2, MAX_L, hint=f"(the exact read-out enumerates 2^(L^2) states; L <= {MAX_L})")
    if len(temperatures) != 2:
        raise InvalidArgumentError(f"temperatures must be two numbers (T_0, T_1); got {temperatures!r}.")
    t0, t1 = (check_temperature(t) for t in temperatures)
    if t0 == t1:
        raise InvalidArgumentError("the two temperatures must differ (equal ones make the classes identical).")
    states = walsh.all_states(L * L).reshape(-1, L, L)
    bonds = -energy(states.astype(np.int64))  # sum_nn s_i s_j
    log_p = np.stack([bonds / t - special.logsumexp(bonds / t) for t in (t0, t1)])
    p = np.exp(log_p)
    return ExactTask(L, (t0, t1), states, p.mean(axis=0), p, log_p[1] - log_p[0])


def _checked(task: ExactTask, log_odds) -> np.ndarray:
    f = np.asarray(log_odds, dtype=np.float64).reshape(-1)
    if f.shape != task.weights.shape:
        raise InvalidArgumentError(f"log_odds needs one value per state ({len(task.weights)}, in "
                                   f"walsh.all_states order); got shape {np.shape(log_odds)}.")
    if not np.all(np.isfinite(f)):
        raise InvalidArgumentError("log_odds must be finite.")
    return f


def exact_kl(task: ExactTask, log_odds) -> float:
    """sum_s w(s) KL(p_Bayes(. | s) || p_model(. | s)) over all states, in nats."""
    return float(task.weights @ binary_kl(task.bayes_log_odds, _checked(task, log_odds)).numpy())


@dataclass(frozen=True)
class ReadOut:
    coupling: float  # mean weighted-least-squares coefficient over the nearest-neighbour bonds
    coupling_ratio: float  # coupling / K
    other_pairs_rms: float  # rms of the other pair coefficients (same fit)
    outside_nn: float  # 1 - R^2_w of f on the nearest-neighbour pair products: weighted variance outside them
    spectrum: dict  # Parseval shares of Var(f) (uniform weights) per group of Walsh terms (GROUPS); they add to 1
    walsh_nn_coupling: float  # mean nearest-neighbour Walsh coefficient (the whole-space projection)
    log_odds_error: float  # weighted rms of f - f_B over the weighted standard deviation of f_B

    def to_dict(self) -> dict:
        return {"coupling": self.coupling, "coupling_ratio": self.coupling_ratio,
                "other_pairs_rms": self.other_pairs_rms, "outside_nn": self.outside_nn,
                "spectrum": dict(self.spectrum), "walsh_nn_coupling": self.walsh_nn_coupling,
                "log_odds_error": self.log_odds_error}


def readout(task: ExactTask, log_odds) -> ReadOut:
    """The read-out of log-odds f given on every state: see the module docstring."""
    f = _checked(task, log_odds)
    n, bonds = task.sites, sorted(neighbour_pairs(task.L))
    coefficients = walsh.walsh_hadamard(f)
    order = walsh.orders(n)
    nn = np.zeros(len(f), dtype=bool)
    nn[[walsh.variables_to_index(p, n) for p in bonds]] = True
    power = coefficients**2
    power[0] = 0.0
    groups = {"fields": order == 1, "nn pairs": nn, "other pairs": (order == 2) & ~nn, ">=3 spins": order >= 3}
    total = power.sum()
    spectrum = {g: float(power[mask].sum() / total) if total > 0 else 0.0 for g, mask in groups.items()}
    w = task.weights
    X, solver = task.nn_design
    residual = f - X @ (solver @ (np.sqrt(w) * f))
    variance = float(w @ (f - w @ f) ** 2)
    # a least-squares residual never exceeds the variance; a network that collapsed to a constant (variance at
    # rounding level) would otherwise report rounding noise over rounding noise
    outside = min(1.0, float(w @ residual**2) / variance) if variance > 0 else 0.0
    fit = _pair_fit(task, f)
    nn_fit = np.array([fit[p] for p in bonds])
    others = np.array([c for p, c in fit.items() if p not in set(bonds)])
    fb = task.bayes_log_odds
    error = float(np.sqrt(w @ (f - fb) ** 2 / (w @ (fb - w @ fb) ** 2)))
    return ReadOut(float(nn_fit.mean()), float(nn_fit.mean() / task.coupling), float(np.sqrt(np.mean(others**2))),
                   outside, spectrum, float(coefficients[nn].mean()), error)


def _pair_fit(task: ExactTask, f: np.ndarray) -> dict:
    """Weighted least squares of f on 1, s_i and s_i s_j (i < j): {(i, j): K_ij}."""
    coef = task.pair_solver @ (np.sqrt(task.weights) * f)
    return dict(zip(task.pairs, coef[1 + task.sites:], strict=True))


def calibration_functions(task: ExactTask) -> dict[str, np.ndarray]:
    """Log-odds with known read-outs: the Bayes log-odds (all nearest-neighbour), its cube (the same decisions,
    >= 3-spin terms) and a function of m^2 (no locality; centred and scaled like the Bayes log-odds)."""
    fb = task.bayes_log_odds
    scale = np.sqrt(task.weights @ (fb - task.weights @ fb) ** 2)
    cube = fb**3
    cube *= scale / np.sqrt(task.weights @ (cube - task.weights @ cube) ** 2)
    m2 = task.states.reshape(len(fb), -1).mean(axis=1) ** 2
    m2 = (m2 - task.weights @ m2) * scale / np.sqrt(task.weights @ (m2 - task.weights @ m2) ** 2)
    return {"Bayes log-odds": fb.copy(), "(Bayes log-odds)^3": cube, "m^2": m2}


def sample_classes(task: ExactTask, per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``per_class`` exact draws from each class, interleaved (class 0, 1, 0, 1, ...): spins (2 per_class, L, L)
    float32 and labels (int64)."""
    per_class = check_int_range("per_class", per_class, 1, 10**7)
    rng = numpy_generator(seed)
    index = np.stack([rng.choice(len(task.weights), size=per_class, p=p) for p in task.class_probabilities], axis=1)
    return task.states[index.reshape(-1)].astype(np.float32), np.tile(np.arange(2), per_class)
