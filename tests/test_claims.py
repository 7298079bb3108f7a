"""Claims: verdicts follow the numbers; trials are pure and seeded by their key."""

import json

import pytest

from deepcheap.claims import (
    ALL_CLAIMS,
    Check,
    c02_product_gate,
    c03_bit_product,
    get_claim,
    select_claims,
    trial_seed,
    verdict,
)
from deepcheap.errors import InvalidArgumentError


@pytest.mark.parametrize(
    ("checks", "expected"),
    [
        ([Check("a", 1.0, 0, 2)], "holds"),
        ([Check("a", 3.0, 0, 2)], "fails"),
        ([Check("a", 1.0, 0, 2), Check("b", 5.0, high=1, role="caveat")], "holds with caveats"),
        ([Check("a", 3.0, 0, 2), Check("b", 5.0, high=1, role="caveat")], "fails"),
        ([Check("a", float("nan"), 0, 2)], "fails"),
        ([Check("a", 0, high=0)], "holds"),
    ],
)
def test_verdict_from_checks(checks, expected):
    assert verdict(checks) == expected


def test_verdict_needs_checks():
    with pytest.raises(ValueError, match="at least one"):
        verdict([])


def test_trial_seed_depends_on_root_and_key_only():
    assert trial_seed(0, "C02/a") == trial_seed(0, "C02/a")
    assert trial_seed(0, "C02/a") != trial_seed(1, "C02/a")
    assert trial_seed(0, "C02/a") != trial_seed(0, "C02/b")


def test_registry_and_selection():
    ids = [c.id for c in ALL_CLAIMS]
    assert ids == sorted(ids)
    assert [c.id for c in select_claims("c03, C02")] == ["C02", "C03"]
    with pytest.raises(InvalidArgumentError, match="available"):
        select_claims("C99")
    for claim in ALL_CLAIMS:
        assert claim.statement and claim.section and claim.trials("quick")
        assert len({t.key for t in claim.trials("full")}) == len(claim.trials("full"))
        for trial in claim.trials("quick"):
            json.dumps(trial.params)  # picklable and JSON-ready


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


def test_c03_holds_and_flips(monkeypatch):
    result = get_claim("C03").run("quick", seed=0)
    assert result.verdict == "holds"
    assert result.metrics["wrong_after_rounding"] == 0
    assert result.metrics["decimals_at_D_ln10_over_D"] == pytest.approx(0.5, abs=0.05)
    monkeypatch.setattr(c03_bit_product, "EXPECTED_RATE", -1.0)
    assert get_claim("C03").run("quick", seed=0).verdict == "fails"


@pytest.fixture
def tiny_training(monkeypatch):
    """Claims that train networks, with a budget small enough for the default test run."""
    from deepcheap.claims import c12_product_flattening, c13_monomials
    from deepcheap.flattening.trained import Budget

    tiny = {"ns": (2, 3), "seeds": 1, "budget": Budget(steps=60, train_points=64, test_points=128),
            "buckets": ((2, 4),)}
    monkeypatch.setitem(c12_product_flattening.TRAINING, "quick", tiny)
    monkeypatch.setitem(c13_monomials.TRAINING, "quick", tiny)
    monkeypatch.setattr(c12_product_flattening, "CONSTRUCTION_NS", (2, 3, 4, 5, 12))
    monkeypatch.setattr(c13_monomials, "POWERS", (2, 5, 16))


def test_c12_verdict_follows_its_checks(tiny_training, monkeypatch):
    from deepcheap.claims import c12_product_flattening

    result = get_claim("C12").run("quick", seed=0)
    by_name = {c.name.split(" (")[0]: c for c in result.checks}
    assert all(c.passed for c in result.checks if c.role == "claim")
    assert result.verdict in {"holds", "holds with caveats"}
    assert result.metrics["C_n"]["12"] == pytest.approx(4096 / 44)
    assert by_name  # every check has a name
    monkeypatch.setattr(c12_product_flattening, "SHALLOW_SLOPE", (3.0, 4.0))
    assert get_claim("C12").run("quick", seed=0).verdict == "fails"


def test_c13_holds_with_tiny_training(tiny_training):
    result = get_claim("C13").run("quick", seed=0)
    assert all(c.passed for c in result.checks if c.role == "claim")
    assert result.metrics["power_neurons"]["16"] == 8  # four 2-neuron squares
