"""C12 and C13: flattening products and monomials."""

import pytest

from deepcheap.claims import get_claim


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
