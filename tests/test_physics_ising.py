"""Ising physics against independent oracles: enumeration, Kaufman, published 4x4 values, Onsager."""

import json
import math

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from deepcheap.cli import app
from deepcheap.errors import InvalidArgumentError
from deepcheap.physics.exact import (
    enumerate_states,
    exact_distribution,
    exact_thermodynamics,
    log_partition,
    onsager_energy,
    onsager_free_energy,
    sample_exact,
    yang_magnetization,
)
from deepcheap.physics.ising import sample_summary
from deepcheap.physics.lattice import T_CRITICAL, energy, magnetization
from deepcheap.physics.samplers import run_chain, sample_configurations
from deepcheap.physics.statistics import binning_error, integrated_autocorrelation_time, jackknife

TEMPERATURES = (2.0, T_CRITICAL, 3.0)

# 4x4 periodic lattice, per site: energy, <|m|>, specific heat, Binder cumulant (exact enumeration,
# computed independently of deepcheap with a brute-force loop over the 65536 states).
REFERENCE_4X4 = {
    2.0: (-1.7553802888, 0.9189432674, 0.6055326572, 0.6448107912),
    T_CRITICAL: (-1.5656237876, 0.8438604448, 0.7832668259, 0.6171993184),
    3.0: (-1.0170696270, 0.6012913260, 0.6031347143, 0.4805406601),
}
OBSERVABLES = (("energy_per_site", "energy_stderr"), ("abs_magnetization", "abs_magnetization_stderr"),
               ("specific_heat_per_site", "specific_heat_stderr"), ("binder_cumulant", "binder_stderr"))


def brute_force_energy(spins: np.ndarray) -> float:
    L = spins.shape[0]
    return -float(sum(spins[i, j] * (spins[(i + 1) % L, j] + spins[i, (j + 1) % L])
                      for i in range(L) for j in range(L)))


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 7), st.integers(0, 2**32 - 1))
def test_energy_matches_a_loop_over_bonds(L, seed):
    spins = np.random.default_rng(seed).choice(np.array([-1, 1], dtype=np.int8), size=(L, L))
    assert energy(spins) == brute_force_energy(spins)
    assert magnetization(spins) == spins.mean()


def test_enumeration_reproduces_the_published_4x4_values():
    for T, expected in REFERENCE_4X4.items():
        exact = exact_thermodynamics(4, T)
        got = [getattr(exact, key) for key, _ in OBSERVABLES]
        np.testing.assert_allclose(got, expected, rtol=0, atol=2e-10)


@pytest.mark.parametrize("L", [2, 3, 4])
@pytest.mark.parametrize("T", [0.5, 1.5, 2.0, T_CRITICAL, 2.5, 3.0, 10.0])
def test_kaufman_equals_enumeration(L, T):
    exact = log_partition(L, T, method="enumeration")
    assert abs(log_partition(L, T, method="kaufman") - exact) <= 1e-10 * abs(exact)
    assert abs(log_partition(L, T, method="transfer") - exact) <= 1e-10 * abs(exact)


@pytest.mark.parametrize("L", [5, 6, 8])
def test_kaufman_equals_the_transfer_matrix_beyond_enumeration(L):
    for T in TEMPERATURES:
        assert log_partition(L, T, method="kaufman") == pytest.approx(log_partition(L, T, method="transfer"),
                                                                      rel=1e-12)


def test_one_dimensional_transfer_equals_enumeration():
    for L in (2, 5, 12):
        for T in (0.7, 2.0):
            assert log_partition(L, T, dims=1, method="transfer") == pytest.approx(
                log_partition(L, T, dims=1, method="enumeration"), rel=1e-12)


def test_kaufman_derivatives_match_enumeration_moments():
    for T in TEMPERATURES:
        a, b = exact_thermodynamics(4, T, method="kaufman"), exact_thermodynamics(4, T, method="enumeration")
        assert a.energy_per_site == pytest.approx(b.energy_per_site, abs=1e-9)
        assert a.specific_heat_per_site == pytest.approx(b.specific_heat_per_site, abs=1e-6)
        assert a.abs_magnetization is None and b.abs_magnetization is not None


def test_kaufman_is_stable_on_large_lattices_and_approaches_onsager():
    for T in (1.5, 2.0, 3.0):
        big = exact_thermodynamics(512, T, method="kaufman")
        assert math.isfinite(big.free_energy_per_site)
        assert big.energy_per_site == pytest.approx(onsager_energy(T), abs=1e-8)
        # below T_c the two ordered states add -T ln 2 / N to the finite-lattice free energy
        correction = -T * math.log(2) / 512**2 if T < T_CRITICAL else 0.0
        assert big.free_energy_per_site == pytest.approx(onsager_free_energy(T) + correction, abs=1e-9)


def test_onsager_energy_is_exactly_minus_sqrt2_at_tc():
    assert onsager_energy(T_CRITICAL) == -math.sqrt(2)
    assert onsager_energy(T_CRITICAL * (1 + 1e-9)) == pytest.approx(-math.sqrt(2), abs=1e-6)


def test_yang_magnetization():
    assert yang_magnetization(3.0) == 0.0
    assert yang_magnetization(1.0) == pytest.approx((1 - math.sinh(2.0) ** -4) ** 0.125, rel=1e-15)
    near = [yang_magnetization(T_CRITICAL * f) for f in (0.9, 0.99, 0.999)]
    assert near == sorted(near, reverse=True) and 0.0 < near[-1] < 0.6


def test_exact_distribution_and_sampling():
    states, p = exact_distribution(3, 2.0)
    assert p.sum() == pytest.approx(1.0, abs=1e-12) and states.shape == (512, 3, 3)
    draws = sample_exact(3, 2.0, 20000, seed=0)
    expected = float(p @ energy(states))
    assert energy(draws).mean() == pytest.approx(expected, abs=4 * energy(draws).std() / math.sqrt(20000))
    assert enumerate_states(2)[0].shape == (16, 2, 2)


@pytest.mark.parametrize("algorithm", ["metropolis", "wolff"])
@pytest.mark.parametrize("T", TEMPERATURES)
def test_samplers_match_the_exact_4x4_values_within_3_standard_errors(algorithm, T):
    summary = sample_summary(4, T, algorithm=algorithm, sweeps=20000, seed=0)
    for (key, error_key), expected in zip(OBSERVABLES, REFERENCE_4X4[T], strict=True):
        got, error = getattr(summary, key), getattr(summary, error_key)
        assert abs(got - expected) <= 3 * error, (key, got, expected)


@pytest.mark.parametrize("L", [16, 32])
@pytest.mark.parametrize("algorithm", [pytest.param("metropolis", marks=pytest.mark.slow), "wolff"])
@pytest.mark.parametrize("T", TEMPERATURES)
def test_large_lattice_energies_match_kaufman(L, algorithm, T):
    sweeps = 40000 if algorithm == "metropolis" else 8000
    summary = sample_summary(L, T, algorithm=algorithm, sweeps=sweeps, seed=2, bins=16)
    exact = exact_thermodynamics(L, T, method="kaufman").energy_per_site
    assert abs(summary.energy_per_site - exact) <= 3 * summary.energy_stderr


@pytest.mark.parametrize("algorithm", ["metropolis", "wolff"])
def test_tracked_totals_equal_recomputed_ones(algorithm):
    run = run_chain(6, 2.4, algorithm=algorithm, sweeps=50, seed=3, chains=3)
    assert np.array_equal(run.energies[:, -1], energy(run.spins))
    assert np.array_equal(run.magnetizations[:, -1], run.spins.sum(axis=(1, 2)))


def test_one_dimensional_sampler_matches_the_transfer_matrix():
    summary = sample_summary(16, 1.0, dims=1, algorithm="metropolis", sweeps=20000, seed=4)
    exact = exact_thermodynamics(16, 1.0, dims=1, method="transfer").energy_per_site
    assert abs(summary.energy_per_site - exact) <= 3 * summary.energy_stderr


def test_results_do_not_depend_on_the_thread_count():
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run_chain(8, 2.3, algorithm="metropolis", sweeps=30, seed=5, chains=4).spins
        numba.set_num_threads(before)
        many = run_chain(8, 2.3, algorithm="metropolis", sweeps=30, seed=5, chains=4).spins
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(one, many)
    again = sample_configurations(8, 2.0, 10, seed=1)
    assert np.array_equal(again, sample_configurations(8, 2.0, 10, seed=1))
    assert not np.array_equal(again, sample_configurations(8, 2.0, 10, seed=2))


def test_sample_configurations_shape_and_values():
    spins = sample_configurations(8, 2.5, 37, seed=0)
    assert spins.shape == (37, 8, 8) and spins.dtype == np.int8 and set(np.unique(spins)) <= {-1, 1}


def test_integrated_autocorrelation_time_of_an_ar1_process():
    phi, rng = 0.8, np.random.default_rng(0)
    noise = rng.normal(size=(8, 20000))
    x = np.empty_like(noise)
    x[:, 0] = noise[:, 0]
    for t in range(1, x.shape[1]):
        x[:, t] = phi * x[:, t - 1] + noise[:, t]
    expected = 0.5 * (1 + phi) / (1 - phi)  # 4.5
    assert integrated_autocorrelation_time(x) == pytest.approx(expected, rel=0.1)
    naive = x.std() / math.sqrt(x.size)
    assert binning_error(x) == pytest.approx(naive * math.sqrt(2 * expected), rel=0.35)


def test_jackknife_of_a_mean_equals_the_standard_error():
    bins = np.random.default_rng(1).normal(size=64)
    value, error = jackknife(lambda a: a, bins)
    assert value == pytest.approx(bins.mean()) and error == pytest.approx(bins.std(ddof=1) / 8, rel=1e-12)


@pytest.mark.parametrize(("call", "fragment"), [
    (lambda: log_partition(1, 2.0), "L must be >= 2"),
    (lambda: log_partition(4, 0.0), "T must be > 0"),
    (lambda: log_partition(4, float("inf")), "finite"),
    (lambda: log_partition(4, float("nan")), "finite"),
    (lambda: log_partition(8, 2.0, method="enumeration"), "method='kaufman'"),
    (lambda: log_partition(12, 2.0, method="transfer"), "method='kaufman'"),
    (lambda: log_partition(8, 2.0, dims=1, method="kaufman"), "method='transfer'"),
    (lambda: log_partition(4, 2.0, method="magic"), "method must be one of"),
    (lambda: run_chain(4, 2.0, sweeps=0, seed=0), "sweeps must be >= 1"),
    (lambda: run_chain(4, -1.0, seed=0), "T must be > 0"),
    (lambda: run_chain(4, 2.0, algorithm="heatbath", seed=0), "algorithm must be one of"),
    (lambda: run_chain(4, 2.0, seed=-1), "non-negative integer"),
    (lambda: energy(np.zeros((3, 3))), "-1 or +1"),
])
def test_bad_input_raises_clear_errors(call, fragment):
    with pytest.raises(InvalidArgumentError, match=None) as info:
        call()
    assert fragment in str(info.value)


def test_cli_json_contracts():
    runner = CliRunner()
    out = runner.invoke(app, ["ising", "sample", "--L", "8", "--T", "2.5", "--sweeps", "400", "--json"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert set(payload) == {"L", "T", "dims", "algorithm", "sweeps", "chains", "energy_per_site", "energy_stderr",
                            "abs_magnetization", "abs_magnetization_stderr", "specific_heat_per_site",
                            "specific_heat_stderr", "binder_cumulant", "binder_stderr", "tau_int", "flips_per_ns",
                            "seconds", "equilibration", "warnings"}
    assert set(payload["equilibration"]) == {"half_difference_sigma", "tau_int", "sweeps_per_tau", "passed", "reason",
                                             "capped_sweeps"}
    out = runner.invoke(app, ["ising", "exact", "--L", "4", "--T", "2.0", "--json"])
    payload = json.loads(out.stdout)
    assert payload["method"] == "enumeration"
    assert payload["energy_per_site"] == pytest.approx(REFERENCE_4X4[2.0][0], abs=1e-9)
    assert set(payload) == {"L", "T", "dims", "method", "energy_per_site", "energy_per_site_error",
                            "free_energy_per_site", "free_energy_per_site_error", "specific_heat_per_site",
                            "specific_heat_per_site_error", "abs_magnetization", "binder_cumulant",
                            "onsager_energy_per_site", "onsager_free_energy_per_site"}
    kaufman = json.loads(runner.invoke(app, ["ising", "exact", "--L", "8", "--json"]).stdout)
    assert "abs_magnetization" not in kaufman and kaufman["method"] == "kaufman"
    bad = runner.invoke(app, ["ising", "exact", "--L", "9", "--method", "enumeration"])
    assert bad.exit_code == 2 and "kaufman" in bad.output
