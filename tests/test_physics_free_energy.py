"""Boltzmann log-probabilities, KL = free-energy difference, thermodynamic integration, and the checks of sampled
energies against Kaufman, each against an independent oracle (brute-force sums, closed-form integrals)."""

import math

import numpy as np
import pytest
from scipy.special import rel_entr

from deepcheap.errors import InvalidArgumentError
from deepcheap.physics.datasets import ising_temperatures
from deepcheap.physics.exact import enumerate_states, exact_thermodynamics, log_boltzmann, sample_exact
from deepcheap.physics.free_energy import kl_by_enumeration, sampled_kl, thermodynamic_integration
from deepcheap.physics.ising import energy_against_exact
from deepcheap.physics.samplers import configuration_chains
from deepcheap.physics.statistics import chain_jackknife


def test_log_boltzmann_is_the_normalised_weight():
    _, E = enumerate_states(3)
    for T in (0.5, 2.0, 30.0):
        weights = np.array([math.exp(-e / T) for e in E])
        np.testing.assert_allclose(np.exp(log_boltzmann(E, T)), weights / weights.sum(), rtol=1e-12)
    cold = np.exp(log_boltzmann(E, 1e-4))  # no digits lost to the ground state's huge -E/T
    assert cold.sum() == pytest.approx(1.0, abs=1e-15) and cold.max() == pytest.approx(0.5, abs=1e-15)
    with pytest.raises(InvalidArgumentError, match="T must be > 0"):
        log_boltzmann(E, 0.0)


@pytest.mark.parametrize("temperatures", [(2.2, 2.4), (1.5, 3.0), (3.0, 1.5)])
def test_kl_equals_the_free_energy_difference(temperatures):
    _, E = enumerate_states(3)
    p1, p2 = (np.exp(-E / t) / np.exp(-E / t).sum() for t in temperatures)
    r = kl_by_enumeration(3, *temperatures)
    assert r.direct == pytest.approx(float(rel_entr(p1, p2).sum()), rel=1e-10)
    assert r.relative_error < 1e-10 and r.direct > 0


def test_thermodynamic_integration_is_exact_for_a_quadratic_and_propagates_errors():
    betas = np.linspace(0.4, 0.5, 9)
    a, b, c = -3.0, 2.0, -5.0
    value, error = thermodynamic_integration(betas, a + b * betas + c * betas**2, np.full(9, 0.1))
    integral = lambda x: a * x + b * x**2 / 2 + c * x**3 / 3  # noqa: E731
    assert value == pytest.approx(-(integral(0.5) - integral(0.4)), rel=1e-12)
    h = betas[1] - betas[0]
    weights = h / 3 * np.array([1, 4, 2, 4, 2, 4, 2, 4, 1])  # composite Simpson
    assert error == pytest.approx(0.1 * math.sqrt(np.sum(weights**2)), rel=1e-12)
    with pytest.raises(InvalidArgumentError, match="ascending"):
        thermodynamic_integration(betas[::-1], betas, betas)


def test_sampled_kl_agrees_with_enumeration_on_4x4():
    exact = kl_by_enumeration(4, 2.2, 2.4)
    r = sampled_kl(4, 2.2, 2.4, points=5, sweeps=4000, seed=3)
    assert abs(r.delta_log_z_ti - r.delta_log_z_kaufman) <= 4 * r.delta_log_z_ti_err
    assert abs(r.kl_kaufman - exact.direct) <= 4 * r.kl_err
    assert len(r.to_dict()["betas"]) == 5 and r.betas[0] < r.betas[-1]
    with pytest.raises(InvalidArgumentError, match="T1 < T2"):
        sampled_kl(4, 2.4, 2.2, points=5, sweeps=10, seed=0)


def test_chain_jackknife_is_the_standard_error_of_the_chain_means():
    x = np.random.default_rng(0).normal(size=(12, 30))
    mean, error = chain_jackknife(x.ravel(), np.repeat(np.arange(12), 30))
    assert mean == pytest.approx(x.mean())
    assert error == pytest.approx(x.mean(axis=1).std(ddof=1) / math.sqrt(12), rel=1e-12)
    with pytest.raises(InvalidArgumentError, match="two chains"):
        chain_jackknife([1.0, 2.0], [0, 0])


def test_energy_against_exact_accepts_exact_draws_and_rejects_the_wrong_temperature():
    draws = sample_exact(4, 2.5, 4000, seed=1)
    chains = np.arange(4000) // 100  # independent draws: any grouping is a valid set of chains
    good = energy_against_exact(draws, chains, 2.5)
    assert good.exact == pytest.approx(exact_thermodynamics(4, 2.5).energy_per_site, abs=1e-12)
    assert abs(good.z) < 4 and good.chains == 40 and good.configurations == 4000 and good.tau_int < 1.5
    assert abs(energy_against_exact(draws, chains, 2.0).z) > 10
    with pytest.raises(InvalidArgumentError, match="chain id"):
        energy_against_exact(draws, chains[:10], 2.5)


def test_configuration_chains_and_datasets_keep_each_row_s_chain():
    ids = configuration_chains(3000, 32)
    assert ids[0] == 0 and ids[-1] == 31 and np.all(np.diff(ids) >= 0)
    assert np.bincount(ids).tolist() == [94] * 31 + [86]
    data = ising_temperatures(6, (2.0, 3.0), 96, seed=0)
    train, test = data.split(0.5)
    assert np.array_equal(np.concatenate([train.chains, test.chains]), data.chains)
    assert np.array_equal(data.chains[data.labels == 1], configuration_chains(96))
    checks = data.energy_checks()
    assert [c.T for c in checks] == [2.0, 3.0] and all(abs(c.z) < 5 for c in checks)
