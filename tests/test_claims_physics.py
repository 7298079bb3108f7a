"""Claims C01, C05, C06 and C10 on small budgets: verdicts computed from their numbers, and they flip."""

import json

import pytest

from deepcheap.claims import get_claim


@pytest.fixture(scope="module")
def c01():
    return get_claim("C01").run("quick", seed=0)


def test_c01_posterior_is_the_boltzmann_softmax(c01):
    assert c01.verdict == "holds"
    assert c01.metrics["gaussian_formula"] < 1e-12
    assert c01.metrics["ising_formula"] < 1e-12
    assert c01.metrics["network"] < 1e-6
    json.dumps(c01.to_dict())


def test_c01_verdict_flips_when_the_tolerance_is_impossible(monkeypatch):
    from deepcheap.claims import c01_boltzmann_posterior as c01_module

    monkeypatch.setattr(c01_module, "_GAUSSIAN", {"quick": [(2, 2)]})
    monkeypatch.setattr(c01_module, "_LATTICES", {"quick": [3]})
    monkeypatch.setattr(c01_module, "NETWORK_TOLERANCE", 1e-30)
    assert get_claim("C01").run("quick", seed=0).verdict == "fails"


@pytest.fixture
def tiny_c05(monkeypatch):
    from deepcheap.claims import c05_cheap_learning as c05

    monkeypatch.setattr(c05, "_SIZES", {"quick": [8]})
    monkeypatch.setattr(c05, "_MLP_SIZES", {"quick": [8]})
    monkeypatch.setattr(c05, "_TRAIN", {"quick": 300})
    monkeypatch.setattr(c05, "_TEST", {"quick": 300})
    monkeypatch.setattr(c05, "_WIDTHS", {"quick": [2, 8]})
    monkeypatch.setattr(c05, "_MLP_STEPS", {"quick": 100})
    return c05


def test_c05_cheap_network_reaches_bayes_with_few_parameters(tiny_c05, monkeypatch):
    result = get_claim("C05").run("quick", seed=0)
    size = result.metrics["sizes"][8]
    assert result.metrics["cheap_parameters"] == 8
    assert size["gap"] < 0.03  # small test set: 300 per class
    assert 1 / 3 < size["bayes_accuracy"] <= 1
    assert {c.name.split(":")[0] for c in result.checks} >= {"L = 8", "cheap network"}
    monkeypatch.setattr(tiny_c05, "MAX_CHEAP_PARAMETERS", 5)
    assert get_claim("C05").run("quick", seed=0).verdict == "fails"


def test_c06_reads_the_coupling_out_of_a_trained_cheap_network(monkeypatch):
    from deepcheap.claims import c06_readout as c06

    monkeypatch.setitem(c06._SETTINGS, "quick", {"L": 4, "train": 1500, "test": 400, "width": 8, "steps": 100})
    records = [{"trial": t.trial_id, "params": t.params, "seed": 0, "result": c06.run_trial(t.params, 0)}
               for t in c06.trials("quick")]
    result = c06.CLAIM.result(records, "quick")
    assert abs(result.metrics["relative_error"]["bayes"]) < 1e-8  # exact log-odds: exact couplings
    assert abs(result.metrics["relative_error"]["cheap"]) < 0.2
    assert result.metrics["cheap_analytic_coupling"] == pytest.approx(
        result.metrics["true_coupling"] * (1 + result.metrics["relative_error"]["cheap"]), rel=1e-6)
    monkeypatch.setattr(c06, "CHEAP_TOLERANCE", 0.0)
    assert c06.CLAIM.result(records, "quick").verdict == "fails"


def test_c10_dictionary_rows(monkeypatch):
    from deepcheap.claims import c10_dictionary as c10

    monkeypatch.setattr(c10, "_KL_SIZES", {"quick": [8]})
    monkeypatch.setattr(c10, "_SWEEPS", {"quick": 3000})
    result = get_claim("C10").run("quick", seed=0)
    assert result.verdict == "holds"
    assert result.metrics["kl_exact_relative_error"] < 1e-10
    assert result.metrics["bit_neurons"] == 27  # 9 fields + 18 bonds of the 3x3 lattice in bits
    assert len(result.metrics["rows"]) == len(c10.ROWS)
    monkeypatch.setattr(c10, "Z_SCORE", 0.0)
    assert get_claim("C10").run("quick", seed=0).verdict == "fails"
