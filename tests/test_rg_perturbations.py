"""Relevant vs irrelevant perturbations under block spins (C09 part C): the nn + nnn Wolff sampler against exact
enumeration, the exact histogram form of the CNN, coarse-graining shapes, sizing and the summary's arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from deepcheap.errors import InvalidArgumentError
from deepcheap.physics.nnn_classes import diagonal_products, enumerate_configurations, nearest_products
from deepcheap.physics.nnn_wolff import bond_probabilities, sample_wolff
from deepcheap.renormalization.perturbations import (
    COARSE_GRAININGS,
    COMPARISON_LEVEL,
    MARGIN,
    PERTURBATIONS,
    PerturbationConfig,
    _coarse,
    binder_cumulant,
    histogram_logits,
    patch_histograms,
    perturbation_trial,
    size_perturbations,
    summarize_perturbations,
)
from deepcheap.spin_classifiers import make_classifier, predict_log_odds


@pytest.mark.parametrize(("K1", "K2"), [(0.3, 0.2), (0.36, 0.06), (0.1, 0.4), (0.2, 0.0)])
def test_wolff_matches_enumeration_at_L4(K1, K2):
    states = enumerate_configurations(4)
    nn, nnn = nearest_products(states).astype(float), diagonal_products(states).astype(float)
    log_w = K1 * nn + K2 * nnn
    p = np.exp(log_w - special.logsumexp(log_w))
    chains = 8
    run = sample_wolff(4, K1, K2, 16000, seed=11, chains=chains, spacing=1.0, burn_in=10.0)
    for got, exact in ((run.nn, p @ nn), (run.nnn, p @ nnn), (run.nn * run.nnn, p @ (nn * nnn))):
        batches = got.astype(float).reshape(chains * 10, -1).mean(axis=1)  # 10 batches per chain (rows chain-major)
        z = (got.mean() - exact) / (batches.std(ddof=1) / math.sqrt(len(batches)))
        assert abs(z) < 4, (K1, K2, got.mean(), exact, z)


def test_wolff_records_and_refuses():
    a = sample_wolff(6, 0.4, 0.1, 24, seed=3, chains=4)
    b = sample_wolff(6, 0.4, 0.1, 24, seed=3, chains=4)
    assert a.configs.shape == (24, 6, 6) and a.configs.dtype == np.int8
    np.testing.assert_array_equal(a.configs, b.configs)  # explicit seeds: reproducible
    np.testing.assert_array_equal(a.nn, nearest_products(a.configs))
    np.testing.assert_array_equal(a.nnn, diagonal_products(a.configs))
    assert a.chain_of().tolist() == [c for c in range(4) for _ in range(6)]
    assert bond_probabilities(0.5, 0.0) == pytest.approx((1 - math.exp(-1.0), 0.0))
    with pytest.raises(InvalidArgumentError, match="ferromagnetic"):
        sample_wolff(6, 0.4, -0.1, 4, seed=0)
    with pytest.raises(InvalidArgumentError):
        sample_wolff(2, 0.4, 0.1, 4, seed=0)
    with pytest.raises(InvalidArgumentError):
        sample_wolff(6, float("nan"), 0.1, 4, seed=0)


def test_histogram_form_is_the_cnn():
    x = sample_wolff(8, 0.44, 0.0, 40, seed=2, chains=4).configs
    h = patch_histograms(x)
    assert h.shape == (40, 512) and np.allclose(h.sum(dim=1).numpy(), 1.0)
    for side, cfg in ((8, x), (4, x[:, ::2, ::2])):
        model = make_classifier("cnn", side, channels=8, seed=5)
        got = histogram_logits(model, patch_histograms(cfg)).detach().numpy()
        np.testing.assert_allclose(got, predict_log_odds(model, cfg), atol=1e-5)


def test_coarse_graining_shapes():
    cfg = PerturbationConfig(L=16, n=64, chains=8)
    assert cfg.levels == 2 and [PerturbationConfig(L=L, n=64, chains=8).levels for L in (16, 32, 64)] == [2, 3, 4]
    x = sample_wolff(16, 0.44, 0.0, 8, seed=1, chains=8).configs
    for rule in COARSE_GRAININGS:
        levels = _coarse(x, rule, cfg, seed=4)
        assert [lv.shape for lv in levels] == [(8, 16, 16), (8, 8, 8), (8, 4, 4)]
        assert all(set(np.unique(lv)) <= {-1, 1} for lv in levels)
    assert binder_cumulant(np.ones((5, 4, 4))) == pytest.approx(2 / 3)


def test_sizing_is_linear_response():
    g = np.random.default_rng(0)
    nn = g.normal(100.0, 10.0, 20000)
    nnn = 0.5 * nn + g.normal(0.0, 4.0, 20000)  # Var = 100, Cov = 50, Var(nnn | nn) = 16
    eps, k2 = size_perturbations(nn, nnn, K=0.5, target=4.0)
    assert eps == pytest.approx(math.sqrt(4.0 / nn.var()) / 0.5)
    assert k2 == pytest.approx(0.5, rel=0.03)
    with pytest.raises(InvalidArgumentError):
        size_perturbations(np.ones(10), np.ones(10), K=0.5)
    with pytest.raises(InvalidArgumentError):
        size_perturbations(nn[:5], nnn[:4], K=0.5)


def _fake(L: int, seed: int, bits: dict) -> dict:
    """A trial result with the given bits per (perturbation, rule) and level (accuracy 0.5 + bits / 2)."""
    scores = {p: {rule: [{"bits": b, "accuracy": 0.5 + b / 2} for b in bits[p][rule]] for rule in COARSE_GRAININGS}
              for p in PERTURBATIONS}
    return {"L": L, "seed": seed, "eps": 0.01, "k2": 0.02, "scores": scores, "sample_seconds": 1.0,
            "train_seconds": 2.0}


def test_summary_arithmetic():
    rel = {rule: [0.4, 0.3, 0.2] for rule in COARSE_GRAININGS}
    irr = {"majority": [0.5, 0.05, 0.0], "decimation": [0.5, 0.1, 0.0], "random": [0.5, 0.25, 0.1]}
    bits = {"relevant": rel, "irrelevant": irr, "irrelevant_binder": irr}
    other = {"relevant": rel, "irrelevant": {**irr, "majority": [0.5, 0.15, 0.0]}, "irrelevant_binder": irr}
    s = summarize_perturbations([_fake(16, 0, bits), _fake(16, 1, other), _fake(16, 2, bits)])
    size = s["sizes"][16]
    assert size["seeds"] == [0, 1, 2] and size["seconds"] == pytest.approx(9.0)
    assert size["median"]["irrelevant"]["majority"][1]["bits"] == pytest.approx(0.05)  # median of 0.05, 0.15, 0.05
    assert size["median"]["irrelevant"]["majority"][1]["accuracy"] == pytest.approx(0.525)
    check = size["checks"]["irrelevant"]
    assert COMPARISON_LEVEL == 1 and MARGIN == 0.1
    assert check["irrelevant_faster"] == {"irrelevant": pytest.approx(0.1), "relevant": pytest.approx(0.75),
                                          "holds": True}
    assert check["majority_faster_than_random"]["random"] == pytest.approx(0.5)
    assert check["majority_faster_than_random"]["holds"] is True  # 0.1 + 0.1 <= 0.5
    assert s["all_hold"] is True and s["holds"] == {"irrelevant_faster": [True], "majority_faster_than_random": [True]}
    # the random rule forgets as fast: check 2 fails; below MIN_LEVEL0_BITS at level 0 nothing is decided
    fast = {**bits, "irrelevant": {**irr, "random": [0.5, 0.06, 0.0]}}
    assert summarize_perturbations([_fake(8, 0, fast)])["all_hold"] is False
    faint = {**bits, "relevant": {rule: [0.05, 0.05, 0.05] for rule in COARSE_GRAININGS}}
    s = summarize_perturbations([_fake(8, 0, faint)])
    assert s["all_hold"] is None and s["sizes"][8]["checks"]["irrelevant"]["irrelevant_faster"]["holds"] is None
    with pytest.raises(InvalidArgumentError):
        summarize_perturbations([])


def test_bad_inputs():
    for bad in (dict(L=24, min_side=4), dict(L=16, chains=6), dict(L=16, n=1001, chains=8), dict(L=16, min_side=2),
                dict(L=4, min_side=4), dict(L=16, lr=0.0), dict(L=16, batch=-1)):
        with pytest.raises(InvalidArgumentError):
            PerturbationConfig(**bad)
    with pytest.raises(InvalidArgumentError, match="keys"):
        perturbation_trial({"L": 16, "temperature": 2.0}, seed=0)
