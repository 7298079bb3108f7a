"""C02: the product gate claim, on a small configuration (the maths has its own tests in test_gates.py)."""

import json
import math
from dataclasses import replace

import pytest

from deepcheap.claims import c02_product_gate as c02
from deepcheap.claims.base import trial_seed

SMALL = replace(c02.QUICK, activations=("softplus", "exp"), scan=12, points=256, floor_activations=("softplus",),
                floor_scales=9, exact_scales=12)


@pytest.fixture(scope="module")
def records():
    return [{"trial": t.trial_id, "params": t.params, "seed": trial_seed(0, t.key),
             "result": c02.run_trial(t.params, trial_seed(0, t.key))} for t in c02.trials(SMALL)]


@pytest.fixture(scope="module")
def result(records):
    return c02.CLAIM.result(records, SMALL)


def test_the_claim_holds_and_its_verdict_rests_on_measurements(result):
    assert result.verdict == "holds", [c.describe() for c in result.checks]
    roles = {c.name: c.role for c in result.checks}
    assert roles["softplus: read-out weight slope in lambda"] == "construction"
    assert [c.role for c in result.checks if c.name.startswith("relu")] == ["identity"]
    headline = result.headline_check
    assert headline.name.startswith("error slope in lambda at 50 digits") and headline.predicted == 2.0
    assert [c.predicted for c in result.checks if c.caveat] == pytest.approx([0.5, 2 / 3])


def test_arbitrarily_well_at_50_digits_and_floors_as_predicted(result):
    metrics = result.metrics
    assert metrics["exact_slope"] == pytest.approx(2.0, abs=0.01)
    assert metrics["exact_best_error"] < 1e-20
    assert metrics["floor_exponents"]["2"]["softplus"] == pytest.approx(0.5, abs=0.05)
    assert metrics["floor_exponents"]["4"]["softplus"] == pytest.approx(2 / 3, abs=0.05)
    floors = metrics["floors"]["softplus_order2"]
    assert floors["float32"] > floors["float64"] > floors["mp30"] > floors["mp50"]
    assert metrics["unsupported"] == ["exp order 4 (float64)", "exp order 4 (float32)"]


def test_results_are_json_numbers(result):
    document = json.loads(json.dumps(result.to_dict()))
    for table in document["tables"]:
        for row in table["rows"]:
            assert all(v is None or isinstance(v, (int, float)) or not _numeric(v) for v in row)
    assert {f.name for f in result.figures} == {"error_vs_lambda", "arbitrarily_well", "weights_vs_lambda"}


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_tightening_a_claim_tolerance_fails_and_a_caveat_tolerance_qualifies(records, monkeypatch):
    monkeypatch.setattr(c02, "EXACT_SLOPE_TOLERANCE", 1e-9)
    assert c02.CLAIM.result(records, SMALL).verdict == "fails"
    monkeypatch.undo()
    monkeypatch.setattr(c02, "FLOOR_EXPONENT_TOLERANCE", 1e-9)
    result = c02.CLAIM.result(records, SMALL)
    assert result.verdict == "holds with caveats"
    assert any("floor" in c for c in result.caveats)


def test_an_unbracketed_floor_is_a_missing_measurement(records):
    broken = [dict(r, result=dict(r["result"], exponent=None)) if r["params"]["kind"] == "floor" else r
              for r in records]
    result = c02.CLAIM.result(broken, SMALL)
    assert result.verdict == "holds with caveats"
    assert all(c.value is None for c in result.checks if "floor exponent" in c.name)


def test_configuration_is_complete_in_the_params():
    for config in (c02.QUICK, c02.FULL):
        for trial in c02.trials(config):
            assert json.loads(json.dumps(trial.params)) == trial.params
    kinds = {t.params["kind"] for t in c02.trials(c02.QUICK)}
    assert kinds == {"curve", "relu", "floor", "exact"}
    assert c02.FULL.activations[-2:] == ("silu", "gelu") and not math.isclose(c02.FULL.points, c02.QUICK.points)
