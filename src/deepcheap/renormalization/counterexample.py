"""The v1 appendix's counterexample: matching the partition function does not reconstruct p(y).

H(y, y') = H(y) + H(y') + K(y) + ln Z~ has the same partition function Z as H(y) at every temperature,
yet its marginal on y is e^(-H-K) / Z~, not p(y).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.special import logsumexp

from deepcheap.errors import InvalidArgumentError, ResourceLimitError, check_positive

MAX_PAIRS = 2**26  # the brute-force double sum over (y, y') refuses more pairs


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
        return asdict(self)


def counterexample(energies, K, T: float = 1.0) -> Counterexample:
    """The v1 appendix's construction, computed by brute force over all pairs (y, y').

    ``energies``: H(y) of every state at T = 1 (divided by T here; e.g. the Ising energies of
    :func:`deepcheap.physics.exact.enumerate_states`); ``K``: the extra term per state (non-constant).
    Z_joint = sum_{y, y'} e^{-H(y) - H(y') - K(y)} / Z~ = Z, yet the y-marginal is e^{-H - K} / Z~.
    The coupling operator T(y, y') = -H(y, y') + H(y) (Mehta-Schwab's convention) has
    Tr_{y'} e^{T(y, y')} = Z e^{-K(y)} / Z~: not 1 unless K is constant.
    """
    T = check_positive("T", T)
    H = np.asarray(energies, dtype=float).ravel() / T
    K = np.asarray(K, dtype=float)
    if K.shape != H.shape:
        raise InvalidArgumentError(f"K must give one number per state ({H.shape}); got {K.shape}.")
    if np.ptp(K) == 0:
        raise InvalidArgumentError("K must be non-constant (a constant K changes nothing).")
    if H.size**2 > MAX_PAIRS:
        raise ResourceLimitError(f"{H.size}^2 pairs is too many for the brute-force sum; use fewer states.")
    log_Zt = float(logsumexp(-H - K))
    joint_H = H[:, None] + H[None, :] + K[:, None] + log_Zt  # (y, y')
    log_Z_joint = float(logsumexp(-joint_H))
    log_Z = float(logsumexp(-H))
    p = np.exp(-H - log_Z)
    pj = np.exp(-joint_H - log_Z_joint)
    marg_y, marg_yp = pj.sum(axis=1), pj.sum(axis=0)
    coupling = -joint_H + H[:, None]  # T(y, y') = -H(y, y') + H(y)
    log_trace = logsumexp(coupling, axis=1)
    return Counterexample(T=T, log_Z=log_Z, log_Z_joint=log_Z_joint, tv_marginal=float(0.5 * np.abs(marg_y - p).sum()),
                          kl_marginal=float(np.sum(marg_y * (np.log(marg_y) - np.log(p)))),
                          tv_other_marginal=float(0.5 * np.abs(marg_yp - p).sum()),
                          trace_spread=float(np.ptp(log_trace)))
