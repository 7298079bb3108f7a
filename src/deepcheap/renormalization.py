"""Renormalization as information distillation (paper Section III E, Eqs. 23-24, and the v1 appendix).

Three computations:

* **Gaussian coupling flow.** A free field on a periodic L x L lattice with
  H = sum_k (y_0 + y_1 k^2 + y_2 k^4) |phi_k|^2 (k^2 = 4 sum_j sin^2(k_j / 2), unitary DFT), so
  <|phi_k|^2> = 1 / (2 h_k). Averaging b x b blocks and measuring lengths in blocks maps, at low k,
  h(k) -> b^2 h(K / b), i.e. y_i -> b^(2 - 2i) y_i. :func:`coarse_spectrum` gives the block field's
  exact spectrum (an alias sum); :func:`fit_couplings` reads y' back from a spectrum, exact or sampled.
* **Ising block spins.** Majority rule (ties broken by the block's top-left spin), decimation and a
  random coarse-graining (random spins, no geometry); :func:`temperature_information` measures how much
  information about the temperature survives (a logistic classifier on coarse energy and magnetisation,
  its test accuracy and an information lower bound), and :func:`exact_temperature_information` does it
  exactly by enumeration on a 4 x 4 lattice.
* **The v1 counterexample** (:func:`counterexample`): H(y, y') = H(y) + H(y') + K(y) + ln Z~ has the same
  partition function Z as H(y) at every temperature, yet its marginal on y is e^(-H-K) / Z~, not p(y).

>>> f = GaussianField(128, (0.0, 0.0, 1.0))
>>> y = fit_couplings(coarse_spectrum(f, 2), window=0.5)
>>> round(float(np.log2(y[2] / 1.0)), 2)  # y_2 -> b^-2 y_2 (the paper's b^(2 - 2i), i = 2)
-2.0

Maths only: nothing here prints, draws or writes files. Randomness comes from an explicit seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.optimize

from deepcheap.errors import InvalidArgumentError, ResourceLimitError, check_choice, check_int_range, check_positive

# --- Gaussian free field -------------------------------------------------------------------------


def lattice_k2(L: int) -> np.ndarray:
    """k^2 = 4 sum_j sin^2(k_j / 2) on the L x L grid of momenta k_j = 2 pi m_j / L (lattice Laplacian)."""
    s = 4 * np.sin(np.pi * np.arange(L) / L) ** 2
    return s[:, None] + s[None, :]


@dataclass(frozen=True)
class GaussianField:
    """p(phi) proportional to exp(-sum_k (y0 + y1 k^2 + y2 k^4) |phi_k|^2) on an L x L periodic lattice.

    If y0 = 0 the zero mode is pinned (phi sums to 0): its spectrum entry is 0.
    """

    L: int
    couplings: tuple[float, float, float]

    def __post_init__(self):
        check_int_range("L", self.L, 2)
        if len(self.couplings) != 3:
            raise InvalidArgumentError(f"couplings must be (y0, y1, y2); got {self.couplings!r}.")
        y = tuple(check_positive(f"y{i}", v, allow_zero=True) for i, v in enumerate(self.couplings))
        if y[1] == 0 and y[2] == 0 and y[0] == 0:
            raise InvalidArgumentError("at least one coupling must be > 0 (otherwise exp(-H) is not normalisable).")
        object.__setattr__(self, "couplings", y)

    def kernel(self) -> np.ndarray:
        """h_k = y0 + y1 k^2 + y2 k^4, shape (L, L)."""
        k2 = lattice_k2(self.L)
        y0, y1, y2 = self.couplings
        return y0 + y1 * k2 + y2 * k2**2

    def spectrum(self) -> np.ndarray:
        """P_k = <|phi_k|^2> = 1 / (2 h_k) (0 for a pinned zero mode)."""
        h = self.kernel()
        with np.errstate(divide="ignore"):
            return np.where(h > 0, 0.5 / np.where(h > 0, h, 1.0), 0.0)

    def sample(self, count: int, seed: int) -> np.ndarray:
        """``count`` exact draws, shape (count, L, L): phi = F^-1 sqrt(P) F w with white w."""
        count = check_int_range("count", count, 1)
        rng = np.random.default_rng(seed)
        white = rng.standard_normal((count, self.L, self.L))
        return np.fft.ifft2(np.sqrt(self.spectrum()) * np.fft.fft2(white), axes=(1, 2)).real


def block_average(fields: np.ndarray, b: int) -> np.ndarray:
    """phi'_X = b^-2 sum_{u in [0, b)^2} phi_{bX + u}, for fields of shape (..., L, L) with b | L."""
    fields = np.asarray(fields)
    L = fields.shape[-1]
    b = check_int_range("b", b, 1)
    if L % b:
        raise InvalidArgumentError(f"the block size b = {b} must divide L = {L}.")
    m = L // b
    return fields.reshape(*fields.shape[:-2], m, b, m, b).mean(axis=(-3, -1))


def block_window(L: int, b: int) -> np.ndarray:
    """|W(k)|^2 = prod_j sin^2(b k_j / 2) / (b sin(k_j / 2))^2 (1 at k_j = 0) on the fine L x L grid."""
    k = 2 * np.pi * np.arange(L) / L
    num, den = np.sin(b * k / 2) ** 2, (b * np.sin(k / 2)) ** 2
    w = np.where(den > 1e-300, num / np.where(den > 1e-300, den, 1.0), 1.0)
    w[0] = 1.0
    return w[:, None] * w[None, :]


def coarse_spectrum(field: GaussianField, b: int) -> np.ndarray:
    """Exact spectrum of the b x b block average on the (L/b)^2 lattice (unitary DFT):

    P'(K) = b^-2 sum_{m in Z_b^2} |W(k_m)|^2 P(k_m), k_m = (K + 2 pi m) / b (aliases of K).
    """
    L = field.L
    if L % b:
        raise InvalidArgumentError(f"the block size b = {b} must divide L = {L}.")
    m = L // b
    full = field.spectrum() * block_window(L, b)
    return full.reshape(b, m, b, m).sum(axis=(0, 2)) / b**2


def sample_spectrum(fields: np.ndarray) -> np.ndarray:
    """<|phi_k|^2> averaged over samples (unitary DFT), shape (L, L)."""
    fields = np.asarray(fields, dtype=float)
    L = fields.shape[-1]
    return np.mean(np.abs(np.fft.fft2(fields, axes=(-2, -1))) ** 2, axis=0) / L**2


def fit_couplings(spectrum: np.ndarray, window: float = 1.0, order: int = 3) -> np.ndarray:
    """(y0, y1, y2) with 1 / (2 P_K) ~ sum_{j <= order} y_j K^(2j) on the modes 0 < K^2 <= ``window``.

    K^2 is the lattice 4 sum sin^2(K_j / 2). Least squares on relative residuals (each sampled mode has
    the same relative error). The default ``order`` = 3 fits a K^6 term too and drops it: block averaging
    generates all powers, and leaving K^6 out biases y_2 by the curvature inside the window.
    """
    window = check_positive("window", window)
    order = check_int_range("order", order, 2)
    spectrum = np.asarray(spectrum, dtype=float)
    L = spectrum.shape[-1]
    k2 = lattice_k2(L)
    keep = (k2 > 0) & (k2 <= window * (1 + 1e-12)) & (spectrum > 0)
    distinct = np.unique(np.round(k2[keep], 12)).size
    if distinct < order + 1:
        raise InvalidArgumentError(f"only {distinct} distinct K^2 values with 0 < K^2 <= {window} for {order + 1} "
                                   "coefficients; widen the window or use a larger lattice.")
    h = 0.5 / spectrum[keep]
    A = np.stack([k2[keep] ** j for j in range(order + 1)], axis=1) / h[:, None]
    return np.linalg.lstsq(A, np.ones(keep.sum()), rcond=None)[0][:3]


def flow_exponents(before: Sequence[float], after: Sequence[float], b: int) -> np.ndarray:
    """x_i = log(y_i' / y_i) / log b for each coupling (y_i -> b^(x_i) y_i; the paper: x_i = 2 - 2i)."""
    before, after = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(after / before) / math.log(b)


# --- Ising block spins ---------------------------------------------------------------------------

COARSE_GRAININGS = ("majority", "decimation", "random")


def block_spins(configs: np.ndarray, b: int, rule: str = "majority", seed: int = 0) -> np.ndarray:
    """Coarse-grain +-1 configurations (..., L, L) to (..., L/b, L/b).

    * ``majority``: the sign of each b x b block's sum; ties (even b) go to the block's top-left spin;
    * ``decimation``: each block's top-left spin;
    * ``random``: (L/b)^2 spins drawn at random positions (fixed by ``seed``), laid out on the coarse
      grid in random order: the same number of spins, no geometry.
    """
    check_choice("rule", rule, COARSE_GRAININGS)
    configs = np.asarray(configs)
    L = configs.shape[-1]
    b = check_int_range("b", b, 1)
    if L % b:
        raise InvalidArgumentError(f"the block size b = {b} must divide L = {L}.")
    m = L // b
    if rule == "decimation":
        return configs[..., ::b, ::b].copy()
    if rule == "random":
        pick = np.random.default_rng(seed).choice(L * L, size=m * m, replace=False)
        flat = configs.reshape(*configs.shape[:-2], L * L)
        return flat[..., pick].reshape(*configs.shape[:-2], m, m)
    sums = configs.reshape(*configs.shape[:-2], m, b, m, b).sum(axis=(-3, -1), dtype=np.int64)
    top_left = configs[..., ::b, ::b]
    return np.where(sums > 0, 1, np.where(sums < 0, -1, top_left)).astype(configs.dtype)


def coarse_features(configs: np.ndarray) -> np.ndarray:
    """Per configuration: (e, |m|, m^2) with e = mean nearest-neighbour product on the periodic lattice."""
    s = np.asarray(configs, dtype=float)
    L = s.shape[-1]
    if L > 1:
        e = (s * np.roll(s, 1, axis=-1) + s * np.roll(s, 1, axis=-2)).mean(axis=(-2, -1)) / 2
    else:
        e = np.zeros(s.shape[:-2])
    m = s.mean(axis=(-2, -1))
    return np.stack([e, np.abs(m), m * m], axis=-1)


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
        return dict(self.__dict__)


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
    order = np.random.default_rng(seed).permutation(len(y))
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


# --- exact small-lattice information -------------------------------------------------------------


def enumerate_ising(L: int) -> np.ndarray:
    """All 2^(L^2) configurations of an L x L lattice as int8 +-1, shape (2^(L^2), L, L)."""
    L = check_int_range("L", L, 1)
    if L * L > 20:
        raise ResourceLimitError(f"enumerating 2^{L * L} states is too large; use L <= 4.")
    idx = np.arange(2 ** (L * L), dtype=np.int64)[:, None]
    bits = (idx >> np.arange(L * L)[None, :]) & 1
    return (2 * bits - 1).astype(np.int8).reshape(-1, L, L)


def ising_energy(configs: np.ndarray) -> np.ndarray:
    """E = -sum_<ij> s_i s_j over nearest neighbours on the periodic lattice (J = 1, each bond once)."""
    s = np.asarray(configs, dtype=np.int64)
    return -(s * np.roll(s, 1, axis=-1) + s * np.roll(s, 1, axis=-2)).sum(axis=(-2, -1))


def _log_boltzmann(energies: np.ndarray, T: float) -> np.ndarray:
    logw = -energies / T
    return logw - (np.max(logw) + np.log(np.sum(np.exp(logw - np.max(logw)))))


def exact_temperature_information(L: int, temperatures: Sequence[float], rules: Sequence[str] = COARSE_GRAININGS,
                                  b: int = 2, seed: int = 0) -> dict:
    """Exact I(T; level) in bits for T uniform over two ``temperatures``, by enumerating all 2^(L^2) states.

    Levels: the full configuration, then repeated b x b coarse-graining by each rule down to one spin.
    Returns {rule: [I(T; s^(0)), I(T; s^(1)), ...]} and the Bayes accuracy at each level.
    """
    if len(temperatures) != 2:
        raise InvalidArgumentError("give exactly two temperatures.")
    states = enumerate_ising(L)
    E = ising_energy(states)
    logp = np.stack([_log_boltzmann(E, check_positive("T", T)) for T in temperatures])  # (2, S)
    p = 0.5 * np.exp(logp)  # joint p(T, s) with a uniform prior
    out: dict = {"L": L, "temperatures": list(map(float, temperatures)), "bits": {}, "bayes_accuracy": {}}
    for rule in rules:
        bits, accs, level, cur = [], [], 0, states
        while True:
            codes = _state_codes(cur)
            _, inv = np.unique(codes, return_inverse=True)
            joint = np.zeros((2, inv.max() + 1))
            np.add.at(joint.T, inv, p.T)
            bits.append(_mi_bits(joint))
            accs.append(float(joint.max(axis=0).sum()))
            if cur.shape[-1] < b or cur.shape[-1] % b:
                break
            level += 1
            cur = block_spins(cur, b, rule, seed=seed + level)
        out["bits"][rule] = bits
        out["bayes_accuracy"][rule] = accs
    return out


def _state_codes(configs: np.ndarray) -> np.ndarray:
    flat = (np.asarray(configs).reshape(len(configs), -1) > 0).astype(np.int64)
    return flat @ (1 << np.arange(flat.shape[1], dtype=np.int64))


def _mi_bits(joint: np.ndarray) -> float:
    px, py = joint.sum(axis=1, keepdims=True), joint.sum(axis=0, keepdims=True)
    nz = joint > 0
    return float(max(0.0, np.sum(joint[nz] * np.log2(joint[nz] / (px @ py)[nz]))))


# --- the v1 counterexample -----------------------------------------------------------------------


@dataclass(frozen=True)
class Counterexample:
    """Numbers for H(y, y') = H(y) + H(y') + K(y) + ln Z~ at one temperature (all logs natural)."""

    T: float
    log_Z: float  # ln Z of H(y) alone
    log_Z_joint: float  # ln of the brute-force double sum over (y, y')
    tv_marginal: float  # total variation between the joint's marginal on y and p(y)
    kl_marginal: float  # KL(marginal || p) in nats
    tv_other_marginal: float  # the y' marginal (equals p)
    trace_spread: float  # max - min over y of ln Tr_{y'} e^{T(y, y')}: 0 would satisfy the trace condition

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def counterexample(energy: Callable[[np.ndarray], np.ndarray], states: np.ndarray, K: np.ndarray,
                   T: float = 1.0) -> Counterexample:
    """The v1 appendix's construction, computed by brute force over all pairs (y, y').

    ``energy(states)`` gives H(y) at T = 1 (divided by T here), ``K`` the extra term per state (non-constant).
    Z_joint = sum_{y, y'} e^{-H(y) - H(y') - K(y)} / Z~ = Z, yet the y-marginal is e^{-H - K} / Z~.
    The coupling operator T(y, y') = -H(y, y') + H(y) (Mehta-Schwab's convention) has
    Tr_{y'} e^{T(y, y')} = Z e^{-K(y)} / Z~: not 1 unless K is constant.
    """
    T = check_positive("T", T)
    H = np.asarray(energy(states), dtype=float) / T
    K = np.asarray(K, dtype=float)
    if K.shape != H.shape:
        raise InvalidArgumentError(f"K must give one number per state ({H.shape}); got {K.shape}.")
    if np.ptp(K) == 0:
        raise InvalidArgumentError("K must be non-constant (a constant K changes nothing).")
    if H.size ** 2 > 2**26:
        raise ResourceLimitError(f"{H.size}^2 pairs is too many for the brute-force sum; use fewer states.")
    log_Zt = _logsumexp(-H - K)
    joint_H = H[:, None] + H[None, :] + K[:, None] + log_Zt  # (y, y')
    log_Z_joint = _logsumexp(-joint_H.ravel())
    log_Z = _logsumexp(-H)
    p = np.exp(-H - log_Z)
    pj = np.exp(-joint_H - log_Z_joint)
    marg_y, marg_yp = pj.sum(axis=1), pj.sum(axis=0)
    coupling = -joint_H + H[:, None]  # T(y, y') = -H(y, y') + H(y)
    log_trace = np.array([_logsumexp(row) for row in coupling])
    return Counterexample(
        T=T, log_Z=log_Z, log_Z_joint=log_Z_joint, tv_marginal=float(0.5 * np.abs(marg_y - p).sum()),
        kl_marginal=float(np.sum(marg_y * (np.log(marg_y) - np.log(p)))),
        tv_other_marginal=float(0.5 * np.abs(marg_yp - p).sum()), trace_spread=float(np.ptp(log_trace)))


def _logsumexp(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    top = np.max(x)
    return float(top + np.log(np.sum(np.exp(x - top))))
