"""Cheap learning: parameter counts against their formulas; the cheap classifier's feature is the energy."""

import math

import numpy as np
import pytest
import sympy as sp
import torch

from deepcheap import library
from deepcheap.cheap_learning import CheapIsingClassifier, parameter_counts, swindle, train_cheap
from deepcheap.errors import InvalidArgumentError


def test_parameter_counts_follow_the_formulas():
    counts = parameter_counts(16, degree=3)
    assert counts.generic == math.comb(19, 3)
    assert counts.local == 1 + 16 + 32 and counts.symmetric == 3
    assert counts.log10_any_function == pytest.approx(16 * math.log10(2))
    huge = parameter_counts(10**6, degree=4)
    assert huge.log10_generic == pytest.approx(math.log10(math.comb(10**6 + 4, 4)), rel=1e-10)
    assert swindle(10**6, 256).v_times_n == 256 * 10**6
    assert swindle(10, 3).to_dict() == {"n": 10, "v": 3, "log10_v_to_the_n": pytest.approx(10 * math.log10(3)),
                                        "v_times_n": 30}


def test_cheap_feature_is_affine_in_the_ising_energy():
    L = 5
    before = torch.random.get_rng_state()
    model = CheapIsingClassifier(3, seed=1)
    assert torch.equal(before, torch.random.get_rng_state())  # its initial weights come from its own generator
    spins = np.random.default_rng(2).choice([-1.0, 1.0], size=(50, L, L))
    symbols = sorted(library.ising_2d(L).free_symbols, key=str)
    energy = sp.lambdify(symbols, library.ising_2d(L))(*spins.reshape(50, -1).T)
    a, b = model.kernel.detach().numpy()
    with torch.no_grad():
        feature = model.feature(torch.as_tensor(spins)).numpy()
    np.testing.assert_allclose(feature, 2 * (a**2 + b**2) * L**2 - 2 * a * b * energy, rtol=1e-12)
    np.testing.assert_allclose(model.feature_from_energy(energy, L * L), feature, rtol=1e-12)
    assert model.parameters_count == 2 + 2 * 3 <= 10
    with torch.no_grad():
        from_moments = model.logits_from_moments(model.moments(torch.as_tensor(spins * 0.7)))
        torch.testing.assert_close(model(torch.as_tensor(spins * 0.7)), from_moments, rtol=1e-12, atol=1e-12)
    coupling = model.log_odds_couplings(0, 2)
    with torch.no_grad():
        logits = model(torch.as_tensor(spins)).numpy()
    np.testing.assert_allclose(logits[:, 2] - logits[:, 0], -coupling * energy + (logits[0, 2] - logits[0, 0])
                               + coupling * energy[0], rtol=1e-10, atol=1e-10)


def test_the_cheap_classifier_learns_an_energy_threshold():
    """Random vs mostly aligned spins: the cheap net matches the best energy threshold (the oracle)."""
    rng = np.random.default_rng(0)
    L = 6
    spins = rng.choice([-1.0, 1.0], size=(600, L, L))
    ordered = rng.random(600) < 0.5
    spins[ordered] = np.where(rng.random((int(ordered.sum()), L, L)) < 0.9, 1.0, -1.0)  # mostly aligned
    labels = ordered.astype(int)
    cheap = train_cheap(spins[:400], labels[:400], spins[400:], labels[400:], 2, steps=300, restarts=1, seed=0)
    energy = -(spins * np.roll(spins, -1, 1) + spins * np.roll(spins, -1, 2)).sum(axis=(1, 2))
    best_threshold = max(np.mean((energy[400:] < t) == labels[400:]) for t in np.unique(energy) + 0.5)
    assert cheap.test_accuracy >= best_threshold - 0.02 and cheap.parameters == 6
    assert set(cheap.to_dict()) == {"test_accuracy", "train_loss", "parameters"}


def test_bad_input_is_refused():
    with pytest.raises(InvalidArgumentError, match="classes"):
        CheapIsingClassifier(5, seed=0)
    with pytest.raises(InvalidArgumentError, match=r"\(N, L, L\)"):
        CheapIsingClassifier(2, seed=0)(torch.zeros(3, 4))
    with pytest.raises(TypeError, match="seed"):
        CheapIsingClassifier(2)  # no default: randomness is explicit
    with pytest.raises(InvalidArgumentError, match="v"):
        swindle(10, 1)
