"""C04: any polynomial is a network of fixed size (small configuration; the compiler has its own tests)."""

import json
from dataclasses import replace

import pytest

from deepcheap.claims import c04_polynomials as c04
from deepcheap.claims.base import trial_seed

SMALL = replace(c04.QUICK, polynomials=(c04.SUITE[0], c04.SUITE[2], c04.SUITE[6]),
                eps_deep=(1e-2, 1e-3, 1e-4, 1e-5, 1e-6), eps_relu=(1e-2, 1e-4), points=512)


@pytest.fixture(scope="module")
def records():
    return [{"trial": t.trial_id, "params": t.params, "seed": trial_seed(0, t.key),
             "result": c04.run_trial(t.params, trial_seed(0, t.key))} for t in c04.trials(SMALL)]


@pytest.fixture(scope="module")
def result(records):
    return c04.CLAIM.result(records, SMALL)


def test_fixed_size_networks_meet_every_eps(result):
    assert result.verdict == "holds", [c.describe() for c in result.checks]
    by_role = {role: [c.name for c in result.checks if c.role == role] for role in ("measurement", "construction")}
    assert any("neuron count changes" in name for name in by_role["construction"])
    assert any("per multiplication" in name for name in by_role["construction"])
    assert result.headline_check.name.startswith("max measured error / eps")
    assert result.metrics["max_error_over_eps"] <= 1.0
    assert result.metrics["neuron_counts_vary"] == []


def test_weights_grow_as_the_gate_order_predicts(result):
    caveats = [c for c in result.checks if c.caveat]
    assert [c.predicted for c in caveats] == [-1.0, -0.5]
    per = result.metrics["per_polynomial"]
    for name, *_ in SMALL.polynomials:
        assert per[f"{name} | order 2"]["weight_exponent_vs_error"] == pytest.approx(-1.0, abs=0.05)
        assert per[f"{name} | order 4"]["weight_exponent_vs_error"] == pytest.approx(-0.5, abs=0.05)
        # the paper's order-2 gates stop short of what the order-4 gates reach in float64
        assert per[f"{name} | order 2"]["best_error"] > 10 * per[f"{name} | order 4"]["best_error"]


def test_neuron_counts_and_sizes(records):
    for record in records:
        if record["params"]["kind"] == "deep":
            counts = {n["neurons"] for n in record["result"]["networks"] if n["reached"]}
            assert len(counts) == 1
    product4 = next(r["result"] for r in records if r["trial"] == "product of 4|deep|order4")
    assert product4["multiplications"] == 3 and product4["networks"][0]["neurons"] == 12


def test_tightening_the_error_bound_fails_and_a_weight_tolerance_qualifies(records, monkeypatch):
    monkeypatch.setattr(c04, "MAX_ERROR_OVER_EPS", 1e-3)
    assert c04.CLAIM.result(records, SMALL).verdict == "fails"
    monkeypatch.undo()
    monkeypatch.setattr(c04, "WEIGHT_EXPONENT_TOLERANCE", 1e-6)
    result = c04.CLAIM.result(records, SMALL)
    assert result.verdict == "holds with caveats"
    assert any("fixed in neurons, not in weights" in c for c in result.caveats)


def test_too_few_eps_is_a_missing_measurement():
    small = replace(SMALL, polynomials=(c04.SUITE[0],), eps_deep=(1e-2, 1e-4), eps_relu=(1e-2,))
    records = [{"trial": t.trial_id, "params": t.params, "seed": 0, "result": c04.run_trial(t.params, 0)}
               for t in c04.trials(small)]
    result = c04.CLAIM.result(records, small)
    assert [c.value for c in result.checks if c.caveat] == [None, None]
    assert result.verdict == "holds with caveats"


def test_params_are_json_ready_and_name_the_polynomial():
    trials = c04.trials(c04.QUICK)
    assert all(json.loads(json.dumps(t.params)) == t.params for t in trials)
    random_sparse = next(t for t in trials if t.params["polynomial"]["builder"] == "random_sparse_polynomial")
    assert random_sparse.params["polynomial"]["kwargs"] == {"seed": 11}
    assert len(c04.trials(c04.FULL)) > len(trials)
