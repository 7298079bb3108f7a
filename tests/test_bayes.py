"""Eq. 8: the Bayes posterior equals softmax(-H - mu); compiled Hamiltonians reach it; read-out of couplings."""

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import deepcheap
from deepcheap import library
from deepcheap.bayes import (
    BoltzmannClassifier,
    HamiltonianClassifier,
    bayes_posterior,
    boltzmann_form,
    fit_pair_couplings,
    fit_pair_couplings_each,
    read_out_couplings,
    softmax_posterior,
)
from deepcheap.errors import InvalidArgumentError
from deepcheap.physics.exact import enumerate_states, exact_distribution, log_partition
from deepcheap.physics.gaussian_classes import GaussianClasses
from deepcheap.physics.lattice import neighbour_pairs


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 6), st.integers(1, 20), st.integers(0, 2**31 - 1))
def test_softmax_of_minus_h_minus_mu_is_bayes(classes, points, seed):
    rng = np.random.default_rng(seed)
    likelihood = rng.uniform(1e-6, 1.0, size=(points, classes))
    prior = rng.dirichlet(np.ones(classes))
    H, mu = boltzmann_form(np.log(likelihood), prior)
    np.testing.assert_allclose(softmax_posterior(H, mu), bayes_posterior(likelihood, prior), rtol=1e-12, atol=1e-15)


def test_gaussian_hamiltonians_are_quadratic_and_give_the_posterior():
    g = GaussianClasses.random(dim=3, classes=3, seed=4)
    x, _ = g.sample(400, seed=5)
    H = np.column_stack([sp.lambdify(g.symbols(), g.hamiltonian(k))(*x.T) for k in range(3)])
    assert all(sp.Poly(g.hamiltonian(k), *g.symbols()).total_degree() == 2 for k in range(3))
    posterior = softmax_posterior(H, -np.log(g.prior))
    np.testing.assert_allclose(posterior, bayes_posterior(g.likelihood(x), g.prior), atol=1e-12)


def test_a_network_computing_the_compiled_hamiltonians_is_bayes_optimal():
    g = GaussianClasses.random(dim=2, classes=2, seed=1)
    x, _ = g.sample(300, seed=2)
    nets = [deepcheap.compile(g.hamiltonian(k), eps=1e-7, domain=(-8, 8)) for k in range(2)]
    assert all(net.variables == ("x_0", "x_1") for net in nets)
    classifier = BoltzmannClassifier([net.module for net in nets], -np.log(g.prior))
    with torch.no_grad():
        probs = classifier(torch.as_tensor(x)).exp().numpy()
    assert np.abs(probs - bayes_posterior(g.likelihood(x), g.prior)).max() < 1e-7


def test_read_out_recovers_exact_couplings_from_exact_log_odds():
    L, dbeta = 3, 0.37
    rng = np.random.default_rng(0)
    spins = rng.choice([-1.0, 1.0], size=(400, L, L))
    symbols = sorted(library.ising_2d(L).free_symbols, key=str)
    energy = sp.lambdify(symbols, library.ising_2d(L))(*spins.reshape(400, -1).T)
    log_odds = -dbeta * energy + 0.2  # log p(T2|s)/p(T1|s) = (beta_1 - beta_2) E + const, here beta_2 - beta_1 = dbeta
    fit = read_out_couplings(spins, log_odds, neighbour_pairs(L))
    assert fit.nn_mean == pytest.approx(dbeta, rel=1e-10)
    assert fit.other_max_abs < 1e-10
    assert fit.nn_pairs == 2 * L * L and fit.other_pairs == 9 * 8 // 2 - 2 * L * L
    assert fit.intercept == pytest.approx(0.2, abs=1e-10) and fit.field_max_abs < 1e-10
    pairs = fit_pair_couplings(spins, log_odds)
    assert np.allclose(pairs.couplings, pairs.couplings.T) and np.all(np.diag(pairs.couplings) == 0)
    assert pairs.couplings[0, 1] == pytest.approx(dbeta, rel=1e-10) and abs(pairs.couplings[0, 4]) < 1e-10
    both = fit_pair_couplings_each(spins, np.column_stack([log_odds, -2 * log_odds]))  # one solve, two read-outs
    assert both[1].couplings[0, 1] == pytest.approx(-2 * dbeta, rel=1e-10)
    assert np.allclose(both[0].couplings, pairs.couplings, atol=1e-12)


def test_neighbour_pairs_are_the_bonds_of_the_periodic_lattice():
    for L in (2, 3, 5):
        brute = {tuple(sorted((r * L + c, ((r + 1) % L) * L + c))) for r in range(L) for c in range(L)}
        brute |= {tuple(sorted((r * L + c, r * L + (c + 1) % L))) for r in range(L) for c in range(L)}
        assert neighbour_pairs(L) == sorted(brute)
    assert neighbour_pairs(5, dims=1) == [(0, 1), (0, 4), (1, 2), (2, 3), (3, 4)]


def test_hamiltonian_classifier_is_the_exact_posterior_and_leaves_the_global_rng_alone():
    """The Ising head (weights -beta, bias -ln Z + ln prior) against the enumerated posterior."""
    L, temps = 3, (2.0, 3.0)
    states, energies = enumerate_states(L)
    likelihood = np.column_stack([exact_distribution(L, t)[1] for t in temps])
    energy = torch.nn.Module()
    energy.forward = lambda x: torch.as_tensor(energies, dtype=torch.float64)  # the energy of every state
    before = torch.random.get_rng_state()
    classifier = HamiltonianClassifier(energy, [1 / t for t in temps], [log_partition(L, t) for t in temps],
                                       [0.3, 0.7])
    assert torch.equal(before, torch.random.get_rng_state())
    with torch.no_grad():
        posterior = classifier(torch.zeros(len(states), L * L)).exp().numpy()
    np.testing.assert_allclose(posterior, bayes_posterior(likelihood, [0.3, 0.7]), atol=1e-12)


def test_bad_input_is_refused():
    with pytest.raises(InvalidArgumentError, match="prior"):
        bayes_posterior(np.ones((2, 2)), [0.5, 0.6])
    with pytest.raises(InvalidArgumentError, match="zero likelihood"):
        bayes_posterior(np.zeros((1, 2)), [0.5, 0.5])
    with pytest.raises(InvalidArgumentError, match="configurations"):
        read_out_couplings(np.ones((3, 3, 3)), np.zeros(3), neighbour_pairs(3))
    with pytest.raises(InvalidArgumentError, match="mu"):
        BoltzmannClassifier([torch.nn.Identity()], [0.0, 1.0])
