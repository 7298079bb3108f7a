"""C02: the product gate claim."""

import json

import pytest

from deepcheap.claims import c02_product_gate, get_claim


@pytest.fixture(scope="module")
def c02_result():
    return get_claim("C02").run("quick", seed=0)


def test_c02_holds_with_a_floating_point_caveat(c02_result):
    assert c02_result.verdict == "holds with caveats"
    assert any("exact arithmetic" in c for c in c02_result.caveats)
    assert c02_result.metrics["weight_slope"] == pytest.approx(-2.0, abs=0.01)
    assert c02_result.metrics["floor_float64"] < 3e-8
    assert c02_result.metrics["order4_floor_float64"] < 1e-10
    assert 0.4 < c02_result.metrics["floor_exponent_in_eps"] < 0.6
    json.dumps(c02_result.to_dict())
    assert {f.name for f in c02_result.figures} == {"error_vs_lambda", "weights_vs_lambda"}


def test_c02_verdict_is_computed_not_typed(c02_result, monkeypatch):
    """Tighten a threshold past the measurement and the verdict must flip to 'fails'."""
    records = [{"trial": t.trial_id, "params": t.params, "seed": 0,
                "result": c02_product_gate.run_trial(t.params, 0)} for t in c02_product_gate.trials("quick")]
    monkeypatch.setattr(c02_product_gate, "SLOPE_TOLERANCE", {2: 1e-9, 4: 1e-9})
    assert get_claim("C02").result(records, "quick").verdict == "fails"
    monkeypatch.setattr(c02_product_gate, "ARBITRARY_ACCURACY", 1e12)
    monkeypatch.setattr(c02_product_gate, "SLOPE_TOLERANCE", {2: 0.15, 4: 0.3})
    assert get_claim("C02").result(records, "quick").verdict == "holds"
