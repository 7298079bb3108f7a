"""C12 and C13: flattening products and monomials (tiny configurations through dataclasses.replace)."""

import json
from dataclasses import replace

import pytest

from deepcheap.claims import get_claim, verdict
from deepcheap.flattening.trained import Budget

TINY_TRAINING = {"seeds": 1, "budget": Budget(steps=60, train_points=64, test_points=128), "widths": ((2, 4),)}


def _tiny_c12():
    claim = get_claim("C12")
    return claim, replace(claim.QUICK, construction_ns=(2, 3, 4, 5, 12), certificate_ns=(2, 3, 4),
                          shallow_error_ns=(2, 3), deep_error_ns=(2, 4), train_ns=(2, 3), activations=("tanh",),
                          **TINY_TRAINING)


def _tiny_c13():
    claim = get_claim("C13")
    return claim, replace(claim.QUICK, monomials=((1,), (2,), (2, 1), (3, 1), (1, 1, 1)), powers=(2, 5, 16, 64),
                          depth_ns=(4, 8, 64), built_groupings=((8, (2, 4)), (8, (3, 3))), built_depths=((16, 2),),
                          trained_monomials=((2,), (2, 1)), **TINY_TRAINING)


@pytest.fixture(scope="module")
def c12():
    claim, config = _tiny_c12()
    return claim.run(config=config, seed=0)


@pytest.fixture(scope="module")
def c13():
    claim, config = _tiny_c13()
    return claim.run(config=config, seed=0)


def test_c12_is_untested_with_its_constructions_and_identities_passing(c12):
    assert c12.verdict == "untested" and "issue 18" in c12.untested and "2^n / 4(n - 1) >= 10" in c12.untested
    assert {c.role for c in c12.checks} == {"construction", "identity"}
    assert all(c.passed for c in c12.checks), [c.describe() for c in c12.checks if not c.passed]
    assert c12.metrics["C_n"]["12"] == pytest.approx(4096 / 44)
    assert c12.scale == "custom"


def test_c12_reports_the_hypotheses_and_the_odd_activation_case(c12):
    folded = {(f["activation"], f["n"]): f for f in c12.metrics["folded"]}
    tanh = folded[("tanh", 3)]
    assert (tanh["units"], tanh["rank"], tanh["required"], tanh["applies"]) == (4, 4, 8, False)
    assert tanh["residual"] < 1e-30 < tanh["same_layer_exp_residual"]
    rows = {r["n"]: r for r in c12.metrics["certificate"]}
    assert rows[3]["applies"] and not rows[4]["applies"] and rows[4]["vanishing"] == [3]  # softplus at b = 0
    cases = {(c["activation"], c["bias"]): c for c in c12.metrics["hypotheses"]}
    assert cases[("tanh", 0.0)]["vanishing"][:2] == [0, 2] and cases[("exp", 0.0)]["hold"]
    titles = " ".join(t.title for t in c12.tables)
    assert "hypotheses" in titles and "folded sign-sum" in titles
    assert any("bias-free" in note for note in c12.notes)


def test_c12_trained_results_are_data_in_total_neurons(c12):
    trained = next(t for t in c12.tables if t.title.startswith("Trained"))
    col = {name: i for i, name in enumerate(trained.columns)}
    for row in trained.rows:
        width, depth, neurons = row[col["min width"]], row[col["depth"]], row[col["neurons"]]
        assert neurons == (None if width is None else width * depth)
        assert depth == (1 if row[col["architecture"]] == "shallow" else 2)  # n = 3: ceil(log2 3) layers
    assert not any(r[col["architecture"]] == "deep" and r[col["n"]] == 2 for r in trained.rows)  # trained once
    comparison = c12.metrics["depth_comparison"][0]
    assert {"pairs", "deep_fewer", "equal", "deep_more"} <= comparison.keys()
    assert not any(c.role == "measurement" for c in c12.checks)  # nothing trained decides


def test_c12_a_failing_identity_is_evidence_about_the_code_not_the_paper(c12):
    broken = [c.with_bounds(3.0, 4.0) if "slope" in c.name else c for c in c12.checks]
    assert not all(c.passed for c in broken) and verdict(broken) == "untested"


def test_c13_is_untested_and_compares_like_with_like(c13):
    assert c13.verdict == "untested" and "conjecture" in c13.untested
    assert {c.role for c in c13.checks} == {"construction", "identity"}
    assert all(c.passed for c in c13.checks), [c.describe() for c in c13.checks if not c.passed]
    x64 = c13.metrics["power_neurons"]["64"]
    assert (x64["shallow_bias_free"], x64["deep_bias_free"]) == (65, 18)  # both bias-free
    assert (x64["shallow_with_biases"], x64["deep_with_biases"]) == (64, 12)  # both with biases
    assert "65 shallow vs 18 deep bias-free" in c13.headline and "64 vs 12 with biases" in c13.headline
    assert c13.metrics["power_neurons"]["16"]["deep_with_biases"] == 8  # four 2-neuron squares
    assert c13.metrics["monomial_certificate_applies"] == {"x1": True, "x1^2": True, "x1^2 x2": True,
                                                          "x1^3 x2": False, "x1 x2 x3": True}


def test_claims_results_hold_numbers_as_numbers(c12, c13):
    for result in (c12, c13):
        payload = json.loads(json.dumps(result.to_dict()))
        for table in payload["tables"]:
            for row in table["rows"]:
                assert all(cell is None or isinstance(cell, (int, float, str)) for cell in row)


def test_configs_are_typed_and_complete():
    for claim_id in ("C12", "C13"):
        claim = get_claim(claim_id)
        for config in (claim.QUICK, claim.FULL):
            trials = claim.trials(config)
            assert all(json.loads(json.dumps(t.params)) == t.params for t in trials)
            assert not any("scale" in t.params for t in trials)
    c12 = get_claim("C12")
    assert len(c12.trials(c12.QUICK)) == 4 + 2 * len(c12.QUICK.activations)
