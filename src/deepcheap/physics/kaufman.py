"""Kaufman's partition function of the periodic L x L Ising model with analytic derivatives in K = J/T.

>>> from deepcheap.physics.lattice import T_CRITICAL
>>> r = kaufman(64, 1 / T_CRITICAL)                   # at T_c: E/N and C/N = K^2 (ln Z)''/N
>>> round(-r.d1 / 64**2, 10), round(r.d2 / (T_CRITICAL**2 * 64**2), 8)
(-1.4239383898, 2.19221139)
>>> bool(r.errors[2] / r.d2 < 1e-10)
True

Z = 1/2 (2 sinh 2K)^(N/2) [Z_1 + Z_2 + Z_3 + Z_4], Z_1,2 = prod_r 2cosh, 2sinh (L g_{2r+1}/2) and
Z_3,4 = prod_r 2cosh, 2sinh (L g_{2r}/2), r = 0..L-1, with cosh g_k = cosh 2K coth 2K - cos(pi k / L) and
the signed g_0 = 2K + ln tanh K. :func:`kaufman` returns ln Z and its first two derivatives in K, each with
an absolute error estimate (eps times the sum of the magnitudes that were added, and the parts whose
difference was taken), so a caller can print only the digits it has.

Everything is written in t = e^(-2K) (which stays in (0, 1): no overflow at any temperature):

- g_k = log1p((d_k + S_k) / t) with d_k = t (cosh g_k - 1) = (1 - 2t - t^2)^2 / (2(1 - t^2)) + 2t sin^2(pi k / 2L)
  and S_k = t sinh g_k = sqrt(d_k (d_k + 2t)): no cancellation near T_c, where 1 - 2t - t^2 = (t_c - t)(t + 1 + sqrt 2)
  vanishes and d_k ~ (pi k / L)^2 is tiny at large L;
- g_k' = c1 / S_k, g_k'' = (c2 S_k^2 - c1^2 (t + d_k)) / S_k^3 with t cosh 2K coth 2K's derivatives
  c1 = (1 + t^2)(1 - 2t - t^2)(1 + 2t - t^2) / (1 - t^2)^2 and c2 = 2 (1 + 30 t^4 + t^8) / (1 - t^2)^3;
- each factor 2cosh u or 2sinh u (u = L g / 2) is e^|u| (1 +- e^(-2|u|)) with exact derivatives; the first
  factor of each product is kept apart, so Z_4 = 0 at T_c (g_0 = 0) costs nothing;
- the four terms are combined as a signed log-sum-exp, and the second derivative as
  sum_i w_i [l_i'' + (l_i' - m)^2] with m = (ln Z)', never as Z''/Z - (Z'/Z)^2.

Far from T_c the series ln Z = 2NK + ln 2 + N sum_j a_j t^j (low T) and ln Z = N ln 2 + 2N ln cosh K
+ N sum_j a_j v^j, v = tanh K (high T), with a_j = 1, 2, 9/2, 12, 112/3, 130, 1961/4 for j = 4, 6, ..., 16 (the
square lattice's graph counts; the same on both sides by Kramers-Wannier duality; checked against a 60-digit
evaluation of the formula above), take over when t or v <= SERIES_X and L >= SERIES_MIN_L (5 <= L < 16: when
t or v <= 1e-4, where the torus's winding graphs are negligible): they give the
ground state (E/N = -2 at T = 1e-4) and the high-temperature limit (E/N = -2 tanh K at T = 1e300) exactly
where the closed form would lose every digit to cancellation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from deepcheap.errors import InvalidArgumentError
from deepcheap.physics.lattice import T_CRITICAL

K_CRITICAL = 1.0 / T_CRITICAL
T_AT_CRITICAL = math.sqrt(2.0) - 1.0  # t = e^(-2 K_c)
EPS = float(np.finfo(np.float64).eps)

SERIES_COEFFICIENTS = ((4, Fraction(1)), (6, Fraction(2)), (8, Fraction(9, 2)), (10, Fraction(12)),
                       (12, Fraction(112, 3)), (14, Fraction(130)), (16, Fraction(1961, 4)))
NEXT_COEFFICIENT = (18, 1959.0)  # 5876/3, for the truncation error only
SERIES_X = 0.05
SERIES_MIN_L = 16  # winding graphs (length >= L) change the series at order x^L
SMALL_L_SERIES_X = 1e-4  # 5 <= L < 16: the winding terms are below x^(L-2) <= 1e-12 relative
MIN_CLOSED_FORM_K = 1e-5  # L <= 4 only (from L = 5 the series takes over first): digits lost ~ eps / K^2


@dataclass(frozen=True)
class LogPartition:
    """ln Z and its derivatives in K, with absolute error estimates (``errors``: value, d1, d2)."""

    value: float
    d1: float
    d2: float
    errors: tuple[float, float, float]
    method: str


def kaufman(L: int, K: float) -> LogPartition:
    """ln Z, d ln Z / dK, d^2 ln Z / dK^2 of the periodic L x L lattice at K = J/T > 0 (see module docstring)."""
    x_limit = SERIES_X if L >= SERIES_MIN_L else SMALL_L_SERIES_X if L >= 5 else 0.0
    found = series(K, L, x_limit)
    if found is not None:
        return found
    if K < MIN_CLOSED_FORM_K:
        raise InvalidArgumentError(f"Kaufman's closed form cannot be evaluated at T = {1 / K:.3g} for L = {L}: it "
                                   f"loses its digits above T = {1 / MIN_CLOSED_FORM_K:.0e}. For L <= 4 use "
                                   "method='enumeration' (exact at any T); from L = 5 the high-temperature series "
                                   "takes over there.")
    return _closed_form(L, K)


def series(K: float, L: int = 1, x_limit: float = SERIES_X) -> LogPartition | None:
    """The low- or high-temperature series when t or v <= x_limit, else None (per site for L = 1)."""
    t, v = math.exp(-2.0 * K), math.tanh(K)
    if K > K_CRITICAL and t <= x_limit:
        return _low_temperature_series(L, K, t)
    if K < K_CRITICAL and v <= x_limit:
        return _high_temperature_series(L, K, v)
    return None


def _low_temperature_series(L: int, K: float, t: float) -> LogPartition:
    N = L * L
    s0 = sum(float(a) * t**j for j, a in SERIES_COEFFICIENTS)
    s1 = sum(float(a) * j * t**j for j, a in SERIES_COEFFICIENTS)
    s2 = sum(float(a) * j * j * t**j for j, a in SERIES_COEFFICIENTS)
    j, a = NEXT_COEFFICIENT
    tail = a * t**j
    value = 2 * N * K + math.log(2.0) + N * s0
    d1 = 2 * N - 2 * N * s1
    d2 = 4 * N * s2
    errors = (N * tail + 4 * EPS * abs(value), 2 * N * j * tail + 4 * EPS * abs(d1),
              4 * N * j * j * tail + 4 * EPS * d2)
    return LogPartition(value, d1, d2, errors, "kaufman (low-temperature series)")


def _high_temperature_series(L: int, K: float, v: float) -> LogPartition:
    N = L * L
    w = 1.0 - v * v
    s0 = sum(float(a) * v**j for j, a in SERIES_COEFFICIENTS)
    s1 = sum(float(a) * j * v ** (j - 1) for j, a in SERIES_COEFFICIENTS)
    s2 = sum(float(a) * (j * (j - 1) * v ** (j - 2) * w * w - 2 * j * v**j * w) for j, a in SERIES_COEFFICIENTS)
    j, a = NEXT_COEFFICIENT
    value = N * math.log(2.0) - N * math.log1p(-v * v) + N * s0
    d1 = 2 * N * v + N * w * s1
    d2 = 2 * N * w + N * s2
    errors = (N * a * v**j + 4 * EPS * abs(value), N * a * j * v ** (j - 1) + 4 * EPS * abs(d1),
              N * a * j * j * v ** (j - 2) + 4 * EPS * abs(d2))
    return LogPartition(value, d1, d2, errors, "kaufman (high-temperature series)")


def _factors(u: np.ndarray, du: np.ndarray, ddu: np.ndarray, kind: str):
    """ln|F|, (ln|F|)', (ln|F|)'' of F = 2cosh u or 2sinh u, elementwise (u != 0 for sinh)."""
    sign = np.where(u < 0, -1.0, 1.0)
    e = np.exp(-2.0 * np.abs(u))
    one_minus = -np.expm1(-2.0 * np.abs(u))
    if kind == "cosh":  # tanh u = sign (1 - e)/(1 + e), sech^2 u = 4e/(1 + e)^2
        log_abs = np.abs(u) + np.log1p(e)
        g1, g2 = sign * one_minus / (1.0 + e), 4.0 * e / (1.0 + e) ** 2
    else:  # coth u = sign (1 + e)/(1 - e), -csch^2 u = -4e/(1 - e)^2
        log_abs = np.abs(u) + np.log(one_minus)
        g1, g2 = sign * (1.0 + e) / one_minus, -4.0 * e / one_minus**2
    return log_abs, g1 * du, g2 * du * du + g1 * ddu, g1, g2


def _first_factor(u: float, du: float, ddu: float, kind: str) -> tuple[float, float, float]:
    """F, F', F'' of 2cosh u or 2sinh u divided by e^|u| (finite at u = 0, where 2sinh vanishes)."""
    sign = -1.0 if u < 0 else 1.0
    plus, minus = 1.0 + math.exp(-2.0 * abs(u)), sign * -math.expm1(-2.0 * abs(u))
    if kind == "cosh":
        return plus, minus * du, plus * du * du + minus * ddu
    return minus, plus * du, minus * du * du + plus * ddu


def _gammas(L: int, K: float, t: float):
    """g_k, g_k', g_k'' for k = 0..2L-1 and a bound on the magnitude of the parts of g_k''."""
    k = np.arange(2 * L)
    one_minus_t = -math.expm1(-2.0 * K)
    a = one_minus_t * (1.0 + t)  # 1 - t^2
    near = abs(K - K_CRITICAL) < 0.25 * K_CRITICAL
    distance = t * math.expm1(2.0 * (K - K_CRITICAL)) if near else T_AT_CRITICAL - t  # t_c - t, exact near T_c
    q = distance * (t + 1.0 + math.sqrt(2.0))  # 1 - 2t - t^2
    d = q * q / (2.0 * a) + 2.0 * t * np.sin(np.pi * k / (2.0 * L)) ** 2
    S = np.sqrt(d * (d + 2.0 * t))
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = np.log1p((d + S) / t) if t > 1e-250 else 2.0 * K + np.log(d + S)
        c1 = (1.0 + t * t) * q * (1.0 + 2.0 * t - t * t) / (a * a)
        c2 = 2.0 * (1.0 + 30.0 * t**4 + t**8) / a**3
        dgamma = c1 / S
        parts = (c2 * S * S, c1 * c1 * (t + d))
        ddgamma = (parts[0] - parts[1]) / S**3
        scale = (parts[0] + parts[1]) / S**3
    # g_0 = 2K + ln tanh K (signed), g_0' = 2 + 2 / sinh 2K, g_0'' = -4 cosh 2K / sinh^2 2K, in t
    gamma[0] = math.log1p(q / (t * (1.0 + t))) if near else 2.0 * K + math.log(one_minus_t) - math.log1p(t)
    dgamma[0] = 2.0 + 4.0 * t / a
    ddgamma[0] = -8.0 * t * (1.0 + t * t) / (a * a)
    scale[0] = abs(ddgamma[0])
    return gamma, dgamma, ddgamma, scale


def _closed_form(L: int, K: float) -> LogPartition:
    N = L * L
    t = math.exp(-2.0 * K)
    gamma, dgamma, ddgamma, scale = _gammas(L, K, t)
    half = L / 2.0
    u, du, ddu = half * gamma, half * dgamma, half * ddgamma
    terms = []  # per Z_i: log scale, first factor (F, F', F'') / e^|u_0|, rest: sum of (ln F)' and (ln F)''
    size = [0.0, 0.0, 0.0]  # magnitudes of what was added, for the error estimates
    for parity, kind in ((1, "cosh"), (1, "sinh"), (0, "cosh"), (0, "sinh")):
        rest = slice(parity + 2, None, 2)
        log_abs, l1, l2, g1, g2 = _factors(u[rest], du[rest], ddu[rest], kind)
        a0, a1, a2 = _first_factor(float(u[parity]), float(du[parity]), float(ddu[parity]), kind)
        terms.append((abs(float(u[parity])) + float(log_abs.sum()), a0, a1, a2, float(l1.sum()), float(l2.sum())))
        size[0] += float(np.abs(log_abs).sum()) + abs(float(u[parity]))
        size[1] += float(np.abs(l1).sum()) + abs(a1 / a0 if a0 else du[parity])
        size[2] += float((np.abs(g2) * du[rest] ** 2 + np.abs(g1) * half * scale[rest]).sum())
    top = max(lam for lam, a0, *_ in terms if a0 != 0.0)
    weights = [math.exp(lam - top) for lam, *_ in terms]
    s0 = sum(w * a0 for w, (_, a0, *_) in zip(weights, terms, strict=True))
    m = sum(w * (a1 + a0 * b1) for w, (_, a0, a1, _, b1, _) in zip(weights, terms, strict=True)) / s0
    # (ln Z)'' = sum_i Z_i'' / Z - m^2 = sum_i [F'' + 2F'(B' - m) + F((B' - m)^2 + B'')] B / Z: no Z''/Z - m^2
    variance = sum(w * (a2 + 2 * a1 * (b1 - m) + a0 * ((b1 - m) ** 2 + b2))
                   for w, (_, a0, a1, a2, b1, b2) in zip(weights, terms, strict=True)) / s0
    spread = sum(w * (abs(a2) + 2 * abs(a1 * (b1 - m)) + abs(a0) * (b1 - m) ** 2)
                 for w, (_, a0, a1, a2, b1, b2) in zip(weights, terms, strict=True)) / abs(s0)
    # the weights e^(l_i - top) carry the rounding of the large sums l_i (about eps sum |u|): their effect
    shift = 8 * EPS * size[0]
    tilt1 = shift * sum(w * abs(a1 + a0 * (b1 - m)) for w, (_, a0, a1, _, b1, _) in zip(weights, terms, strict=True))
    tilt2 = shift * sum(w * abs(a2 + 2 * a1 * (b1 - m) + a0 * ((b1 - m) ** 2 + b2 - variance))
                        for w, (_, a0, a1, a2, b1, b2) in zip(weights, terms, strict=True))
    log_sum = top + math.log(s0)
    a = -math.expm1(-2.0 * K) * (1.0 + t)  # 1 - t^2
    head = N * K + 0.5 * N * math.log1p(-t * t)  # (N/2) ln(2 sinh 2K)
    value = -math.log(2.0) + head + log_sum
    d1 = N + 2.0 * N * t * t / a + m
    d2 = -8.0 * N * t * t / (a * a) + variance
    errors = (8 * EPS * (abs(head) + size[0] + 1.0) + shift,
              8 * EPS * (N + 2.0 * N * t * t / a + size[1]) + tilt1 / abs(s0),
              8 * EPS * (8.0 * N * t * t / (a * a) + size[2] + spread + 2.0 * size[1]) + tilt2 / abs(s0))
    return LogPartition(value, d1, d2, errors, "kaufman")


__all__ = ["SERIES_X", "LogPartition", "kaufman", "series"]
