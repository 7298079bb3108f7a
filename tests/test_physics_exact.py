"""Exact Ising values against an independent 50-60 digit evaluation of Kaufman's formula (mpmath).

The oracle is the plain formula (arccosh, cosh, sinh, products) at high precision with central differences
in K (step 1e-15..1e-20, far below any structure of ln Z, with 50+ digits to spare); the package evaluates
analytic derivatives in float64 with error estimates. Both the values and the honesty of the estimates are
checked: |value - oracle| <= estimated error.
"""

import json

import mpmath as mp
import numpy as np
import pytest
from typer.testing import CliRunner

from deepcheap.cli import app
from deepcheap.physics.exact import exact_thermodynamics, onsager_energy
from deepcheap.physics.kaufman import kaufman
from deepcheap.physics.lattice import T_CRITICAL as T_C


def mp_log_z(L: int, K) -> mp.mpf:
    """Kaufman's ln Z of the periodic L x L lattice, straight from the formula, at mpmath precision."""
    c = mp.cosh(2 * K) / mp.tanh(2 * K)
    g = [mp.acosh(c - mp.cos(mp.pi * k / L)) for k in range(2 * L)]
    g[0] = 2 * K + mp.log(mp.tanh(K))
    half = mp.mpf(L) / 2
    odd, even = g[1::2], g[0::2]
    products = (mp.fprod(2 * mp.cosh(half * v) for v in odd), mp.fprod(2 * mp.sinh(half * v) for v in odd),
                mp.fprod(2 * mp.cosh(half * v) for v in even), mp.fprod(2 * mp.sinh(half * v) for v in even))
    return -mp.log(2) + mp.mpf(L * L) / 2 * mp.log(2 * mp.sinh(2 * K)) + mp.log(mp.fsum(products))


def oracle(L: int, T: float, dps: int = 50, step: str = "1e-15") -> dict:
    """E/N, f, C/N at the float T exactly (K = 1/T evaluated in mpmath), by central differences in K."""
    with mp.workdps(dps):
        K, h = 1 / mp.mpf(T), mp.mpf(step)
        lo, mid, hi = (mp_log_z(L, K + j * h) for j in (-1, 0, 1))
        n = L * L
        return {"energy_per_site": float(-(hi - lo) / (2 * h) / n),
                "free_energy_per_site": float(-mp.mpf(T) * mid / n),
                "specific_heat_per_site": float(K * K * (hi - 2 * mid + lo) / (h * h) / n)}


KEYS = ("energy_per_site", "free_energy_per_site", "specific_heat_per_site")


def check_against_oracle(L, T, tolerance, **options):
    got = exact_thermodynamics(L, T)
    want = oracle(L, T, **options)
    for key in KEYS:
        value, estimate = getattr(got, key), getattr(got, f"{key}_error")
        error = abs(value - want[key])
        assert error <= tolerance * abs(want[key]), (L, T, key, value, want[key])
        assert error <= max(estimate, 1e-15 * abs(want[key])), (L, T, key, error, estimate)
    return got


@pytest.mark.parametrize("L", [256, 4096])
@pytest.mark.parametrize("T", [T_C, 2.0, 3.0])
def test_kaufman_matches_a_60_digit_evaluation(L, T):
    check_against_oracle(L, T, 1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("T", [T_C, 2.0, 3.0])
def test_kaufman_matches_at_16384(T):
    check_against_oracle(16384, T, 1e-8)


def test_cli_json_at_4096_and_T_c_within_1e6_of_mpmath():
    """The acceptance: `deepcheap ising exact --L 4096 --T 2.269185314213022 --json`."""
    result = CliRunner().invoke(app, ["ising", "exact", "--L", "4096", "--T", repr(T_C), "--json"])
    got = json.loads(result.stdout)
    want = oracle(4096, T_C)
    assert got["specific_heat_per_site"] == pytest.approx(want["specific_heat_per_site"], rel=1e-6)
    assert got["energy_per_site"] == pytest.approx(want["energy_per_site"], rel=1e-6)
    assert got["specific_heat_per_site"] == pytest.approx(4.2516, abs=1e-4)  # was 3.92 with the fixed stencil


@pytest.mark.parametrize(("L", "T"), [(64, 0.5), (64, 25.0), (8, 1.0), (12, 50.0), (5, T_C)])
def test_series_and_small_lattices_match_the_oracle(L, T):
    """Low- and high-temperature series (L >= 16, t or tanh K <= 0.05) and the closed form at small L."""
    check_against_oracle(L, T, 1e-9, dps=70, step="1e-25")


def test_series_take_over_far_from_T_c():
    assert kaufman(64, 1 / 0.5).method == "kaufman (low-temperature series)"
    assert kaufman(64, 1 / 25.0).method == "kaufman (high-temperature series)"
    assert kaufman(64, 1 / 3.0).method == "kaufman"


@pytest.mark.parametrize("L", [4, 8, 64, 4096])
def test_ground_state_at_T_1e_minus_4(L):
    r = exact_thermodynamics(L, 1e-4)
    assert r.energy_per_site == -2.0
    assert abs(r.specific_heat_per_site) <= r.specific_heat_per_site_error + 1e-300


@pytest.mark.parametrize("L", [5, 64, 4096])
def test_high_temperature_limit_at_T_1e300(L):
    r = exact_thermodynamics(L, 1e300)
    K = 1e-300
    assert r.energy_per_site == pytest.approx(-2 * np.tanh(K), rel=1e-12)
    assert r.free_energy_per_site == pytest.approx(-1e300 * np.log(2), rel=1e-12)
    assert onsager_energy(1e300) == pytest.approx(-2e-300, rel=1e-12)


@pytest.mark.parametrize("T", [0.3, 1.0, 2.0, 7.0, 1e4])
def test_chain_analytic_derivatives_match_enumeration(T):
    chain = exact_thermodynamics(12, T, dims=1, method="transfer")
    enum = exact_thermodynamics(12, T, dims=1, method="enumeration")
    for key in KEYS:
        assert getattr(chain, key) == pytest.approx(getattr(enum, key), rel=1e-10, abs=1e-13)


def test_chain_at_extremes_is_finite():
    cold = exact_thermodynamics(10**8, 1e-4, dims=1)
    hot = exact_thermodynamics(10**8, 1e300, dims=1)
    assert cold.energy_per_site == -1.0 and hot.energy_per_site == pytest.approx(-1e-300, rel=1e-12)


def test_cli_prints_only_the_digits_each_value_has():
    from deepcheap.cli.ising import trustworthy

    assert trustworthy(4.251561234567, 2e-8) == "4.2515612"
    assert trustworthy(-2.0, 1e-15) == "-2"
    assert trustworthy(1e-30, 5e-6) == "0"
    out = CliRunner().invoke(app, ["ising", "exact", "--L", "4096"]).stdout
    assert "estimated error" in out and "4.25156" in out
