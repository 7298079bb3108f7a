"""Pseudo-likelihood inverse Ising against oracles: exact recovery when every state is weighted by its Boltzmann
probability, a planted 4 x 4 torus at T = 3 sampled exactly, and standard errors against the Monte-Carlo spread of
repeated fits."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp

from deepcheap.errors import InvalidArgumentError, ResourceLimitError
from deepcheap.physics.exact import enumerate_states, sample_exact
from deepcheap.physics.inverse_ising import mean_coupling, pseudo_likelihood
from deepcheap.physics.lattice import neighbour_pairs
from deepcheap.seeds import derive_seed, numpy_generator


def all_states(n: int) -> np.ndarray:
    bits = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    return 2 * bits - 1


def random_model(seed: int, n: int, scale: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    rng = numpy_generator(seed)
    h = rng.normal(0.0, scale, n)
    K = np.triu(rng.normal(0.0, scale, (n, n)), 1)
    return h, K + K.T


def boltzmann(states: np.ndarray, h: np.ndarray, K: np.ndarray) -> np.ndarray:
    """p(s) ∝ exp(h.s + sum_{i<j} K_ij s_i s_j) over all the states given."""
    log_w = states @ h + 0.5 * np.einsum("si,ij,sj->s", states, K, states)
    return np.exp(log_w - logsumexp(log_w))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_exact_weights_recover_the_parameters(seed):
    h, K = random_model(seed, 5)
    states = all_states(5)
    fit = pseudo_likelihood(states, weights=boltzmann(states, h, K))
    assert fit.converged and fit.coupling_stderr is None and fit.covariance is None
    np.testing.assert_allclose(fit.fields, h, rtol=0, atol=1e-6)
    np.testing.assert_allclose(fit.couplings, K, rtol=0, atol=1e-6)
    assert np.array_equal(fit.couplings, fit.couplings.T) and not np.diag(fit.couplings).any()


@pytest.fixture(scope="module")
def torus():
    """S = 20000 exact draws of the periodic 4 x 4 Ising model at T = 3 (K = 1/3 on the 32 bonds), fitted on all
    120 pairs. Measured: mean bond coupling 0.33245 ± 0.00254 (z = -0.35); bonds' spread 0.0115, median error 0.0116
    (var_i/4 + var_j/4 would give 0.0082, and 0.00145 for the mean if the bonds were independent)."""
    S, T = 20000, 3.0
    states, energies = enumerate_states(4)
    assert np.array_equal(energies, -np.einsum("sij,sij->s", states, np.roll(states, -1, 1) + np.roll(states, -1, 2)))
    samples = sample_exact(4, T, S, seed=derive_seed(0, "inverse-ising/planted-4x4")).reshape(S, 16)
    return pseudo_likelihood(samples), neighbour_pairs(4), 1.0 / T


def test_planted_torus_recovers_one_over_t(torus):
    fit, bonds, K = torus
    assert fit.converged and fit.samples == 20000
    mean, stderr = mean_coupling(fit, bonds)
    assert abs(mean - K) < 3 * stderr, (mean, stderr)
    b = np.array(bonds)
    estimates, errors = fit.couplings[b[:, 0], b[:, 1]], fit.coupling_stderr[b[:, 0], b[:, 1]]
    assert 0.5 < estimates.std(ddof=1) / np.median(errors) < 2.0  # errors match the spread of the 32 bonds
    bonded = np.zeros((16, 16), dtype=bool)
    bonded[b[:, 0], b[:, 1]] = True
    others = np.triu(~bonded, 1)
    z = fit.couplings[others] / fit.coupling_stderr[others]
    assert len(z) == 88 and np.mean(np.abs(z) < 3) >= 0.9
    assert np.mean(np.abs(fit.fields / fit.field_stderr) < 3) >= 0.9  # h = 0


def test_planted_torus_with_the_bonds_only(torus):
    full, bonds, K = torus
    fit = pseudo_likelihood(sample_exact(4, 3.0, 20000, seed=derive_seed(0, "inverse-ising/planted-4x4"))
                            .reshape(20000, 16), pairs=bonds)
    assert [tuple(p) for p in fit.pairs.tolist()] == bonds and fit.covariance.shape == (16 + 32, 16 + 32)
    mean, stderr = mean_coupling(fit, bonds)
    assert abs(mean - K) < 3 * stderr and stderr < mean_coupling(full, bonds)[1]  # fewer parameters, smaller error


def test_standard_errors_match_the_monte_carlo_spread():
    """The sandwich covariance at the exact distribution (weights = p, samples_equivalent = S) against the spread
    of 100 independent fits of S samples, per coupling and for the mean over all couplings (correlations count).
    Measured ratios 0.93 to 1.14 per coupling, 0.97 for the mean."""
    n, S, repeats = 4, 1000, 100
    h, K = random_model(11, n, scale=0.4)
    states = all_states(n)
    p = boltzmann(states, h, K)
    exact = pseudo_likelihood(states, weights=p, samples_equivalent=S)
    rng = numpy_generator(derive_seed(0, "inverse-ising/monte-carlo"))
    iu = np.triu_indices(n, 1)
    fits = [pseudo_likelihood(states[rng.choice(len(p), size=S, p=p)]) for _ in range(repeats)]
    estimates = np.array([f.couplings[iu] for f in fits])
    ratio = estimates.std(axis=0, ddof=1) / exact.coupling_stderr[iu]
    assert np.all((ratio > 0.7) & (ratio < 1.4)), ratio
    pairs = list(zip(*iu, strict=True))
    ratio_mean = estimates.mean(axis=1).std(ddof=1) / mean_coupling(exact, pairs)[1]
    assert 0.7 < ratio_mean < 1.4, ratio_mean
    sampled = np.median([f.coupling_stderr[iu] for f in fits], axis=0)  # errors from samples alone agree
    np.testing.assert_allclose(sampled, exact.coupling_stderr[iu], rtol=0.2)


def test_pairs_restrict_the_fit_and_agree_with_the_full_fit():
    h, K = random_model(3, 5)
    support = [(0, 1), (1, 2), (2, 3), (3, 4), (0, 4), (1, 3)]
    mask = np.zeros((5, 5), dtype=bool)
    for i, j in support:
        mask[i, j] = mask[j, i] = True
    K = np.where(mask, K, 0.0)
    states = all_states(5)
    p = boltzmann(states, h, K)
    full = pseudo_likelihood(states, weights=p)
    restricted = pseudo_likelihood(states, weights=p, pairs=[(j, i) for i, j in support] + support[:2],
                                   samples_equivalent=1000)
    assert not restricted.couplings[~mask].any() and not restricted.coupling_stderr[~mask].any()
    assert restricted.pairs.tolist() == sorted([list(pair) for pair in support])
    np.testing.assert_allclose(restricted.couplings, full.couplings, rtol=0, atol=1e-6)
    np.testing.assert_allclose(restricted.fields, full.fields, rtol=0, atol=1e-6)
    missing = pseudo_likelihood(states, weights=p, pairs=support[1:])  # (0, 1) left out: K_01 is exactly 0
    assert missing.couplings[0, 1] == 0.0 and missing.couplings[1, 0] == 0.0
    assert mean_coupling(missing, support[:2])[0] == pytest.approx(missing.couplings[1, 2] / 2, abs=0)
    none = pseudo_likelihood(states, weights=p, pairs=[])  # independent spins: h_i = atanh <s_i>
    np.testing.assert_allclose(none.fields, np.arctanh(p @ states), rtol=0, atol=1e-10)


def test_ridge_shrinks_the_couplings():
    h, K = random_model(5, 5)
    states = all_states(5)
    p = boltzmann(states, h, K)
    norms = [np.linalg.norm(pseudo_likelihood(states, weights=p, l2=l2).couplings) for l2 in (0.0, 0.1, 1.0)]
    assert norms[0] > norms[1] > norms[2] > 0


def test_deterministic_plain_numbers_and_no_global_randomness():
    samples = all_states(6)[numpy_generator(2).integers(0, 64, 500)]
    state = np.random.get_state()[1].copy()  # noqa: NPY002 (checks that the legacy global is untouched)
    a, b = pseudo_likelihood(samples, l2=0.01), pseudo_likelihood(samples.astype(float), l2=0.01)
    assert np.array_equal(np.random.get_state()[1], state)  # noqa: NPY002
    for field in ("fields", "couplings", "field_stderr", "coupling_stderr", "covariance", "pairs"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    d = a.to_dict()
    assert json.loads(json.dumps(d)) == d and d["samples"] == 500 and len(d["pairs"]) == 15
    assert "covariance" not in d and np.asarray(d["coupling_stderr"]).shape == (6, 6)


def test_separable_samples_are_not_converged():
    samples = all_states(4)[numpy_generator(4).integers(0, 16, 200)]
    samples[:, 2] = 1  # a spin that never flips: its field runs off to infinity
    fit = pseudo_likelihood(samples)
    assert not fit.converged and np.isnan(fit.field_stderr[2])


GOOD = all_states(3)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"samples": (GOOD + 1) // 2}, r"2\*bits - 1"),
    ({"samples": GOOD * 0.5}, "only -1 and"),
    ({"samples": np.where(GOOD == 1, np.nan, -1.0)}, "only -1 and"),
    ({"samples": np.array([["a", "b"], ["c", "d"]])}, "only -1 and"),
    ({"samples": np.ones((4, 3), dtype=bool)}, "only -1 and"),
    ({"samples": GOOD[0]}, "2D array"),
    ({"samples": GOOD.reshape(8, 3, 1)}, r"reshape\(len\(samples\), -1\)"),
    ({"samples": GOOD[:1]}, "at least 2 samples"),
    ({"samples": GOOD[:, :1]}, "at least 2 spins"),
    ({"weights": -np.ones(8)}, ">= 0"),
    ({"weights": np.zeros(8)}, "sum to more than 0"),
    ({"weights": np.ones(7)}, r"shape \(8,\)"),
    ({"weights": np.full(8, np.nan)}, "finite"),
    ({"weights": ["x"] * 8}, "non-negative numbers"),
    ({"pairs": [(0, 3)]}, "between 0 and 2"),
    ({"pairs": [(-1, 0)]}, "between 0 and 2"),
    ({"pairs": [(1, 1)]}, "itself"),
    ({"pairs": [(0, 1, 2)]}, r"a pair \(i, j\)"),
    ({"pairs": [(0.5, 1)]}, "integer"),
    ({"l2": -1.0}, ">= 0"),
    ({"l2": float("inf")}, "finite"),
    ({"samples_equivalent": 0}, "> 0"),
])
def test_bad_inputs_are_refused_with_the_fix(kwargs, match):
    args = {"samples": GOOD, **kwargs}
    with pytest.raises(InvalidArgumentError, match=match):
        pseudo_likelihood(args.pop("samples"), **args)


def test_too_large_inputs_are_refused_before_allocating():
    huge = np.broadcast_to(np.int8(1), (2**26, 64))  # a view: no memory behind it
    with pytest.raises(ResourceLimitError, match=r"GiB.*fewer samples"):
        pseudo_likelihood(huge)


def test_mean_coupling_checks_its_pairs():
    fit = pseudo_likelihood(GOOD, weights=np.full(8, 1 / 8))
    assert mean_coupling(fit, [(0, 1)]) == (pytest.approx(0.0, abs=1e-12), None)
    with pytest.raises(InvalidArgumentError, match="at least one pair"):
        mean_coupling(fit, [])
    with pytest.raises(InvalidArgumentError, match="between 0 and 2"):
        mean_coupling(fit, [(0, 5)])
