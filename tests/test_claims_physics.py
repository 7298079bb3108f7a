"""Claims C01, C05 and C10 on small configurations: roles, numbers, and verdicts that flip with the numbers."""

import copy
import json
from contextlib import contextmanager
from dataclasses import replace

import numpy as np
import pytest
import torch

from deepcheap.claims import get_claim
from deepcheap.claims.checks import verdict
from deepcheap.dictionary import TABLE_I


def _roles(result) -> set[str]:
    return {c.role for c in result.checks}


def _claim_measurements(result) -> list:
    return [c for c in result.checks if c.role == "measurement" and not c.caveat]


@contextmanager
def global_rngs_untouched():
    """Trials draw only from generators built from their seed: torch's and numpy's global states stay as they were."""
    torch_state, numpy_state = torch.random.get_rng_state(), np.random.get_state()  # noqa: NPY002 (the legacy global)
    yield
    assert torch.equal(torch_state, torch.random.get_rng_state())
    after = np.random.get_state()  # noqa: NPY002
    assert np.array_equal(numpy_state[1], after[1]) and numpy_state[2:] == after[2:]


def test_c01_eq8_is_an_identity_and_the_verdict_is_untested():
    claim = get_claim("C01")
    with global_rngs_untouched():
        result = claim.run(config=replace(claim.QUICK, gaussian=((2, 2), (3, 3)), points=500, lattices=(3,)))
    assert result.verdict == "untested" and "trained" in result.untested
    assert _roles(result) == {"identity", "construction"} and all(c.passed for c in result.checks)
    assert result.metrics["gaussian_formula"] < 1e-12 and result.metrics["ising_formula"] < 1e-12
    assert result.metrics["network"] < 1e-6
    # no tolerance of an identity or a construction can move the verdict
    assert verdict([c.with_bounds(None, 1e-300) for c in result.checks]) == "untested"
    json.dumps(result.to_dict(), allow_nan=False)


def _c05_records(mlp_accuracies: dict[int, float] | None, z: float = 0.5) -> list[dict]:
    """One L = 8 record: Bayes 0.60, cheap 0.598 (8 parameters), MLPs of width w with 64 w + w + 3 w + 3 parameters."""
    mlp = [{"width": w, "parameters": 68 * w + 3, "test_accuracy": a} for w, a in (mlp_accuracies or {}).items()]
    energy = {"T": 2.0, "configurations": 3000, "chains": 32, "energy_per_site": -1.745 + z * 0.003, "error": 0.003,
              "exact": -1.745, "z": z, "tau_int": 0.5}
    result = {"bayes_accuracy": 0.60, "bayes_stderr": 0.007, "bayes_train_accuracy": 0.61, "cheap_accuracy": 0.598,
              "cheap_parameters": 8, "test_size": 4500, "energy_checks": [energy], "mlp": mlp}
    params = {"L": 8, "temperatures": [2.0, 2.27, 2.6], "widths": list(mlp_accuracies or [])}
    return [{"trial": "L8", "params": params, "seed": 0, "result": result}]


def test_c05_verdict_follows_the_mlp_parameter_ratio_and_the_training_data():
    c05 = get_claim("C05")
    matched_wide = c05.result(_c05_records({1: 0.40, 2: 0.50, 8: 0.595, 16: 0.60}))  # width 8: 547 / 8 parameters
    assert matched_wide.verdict == "holds"
    ratio = _claim_measurements(matched_wide)[0]
    assert ratio.value == pytest.approx(547 / 8) and ratio.headline
    matched_narrow = c05.result(_c05_records({1: 0.595, 8: 0.60}))  # width 1: 71 / 8 < 10
    assert matched_narrow.verdict == "fails" and _claim_measurements(matched_narrow)[0].value == pytest.approx(71 / 8)
    off_equilibrium = c05.result(_c05_records({8: 0.595}, z=6.0))
    assert off_equilibrium.verdict == "holds with caveats" and "Kaufman" in off_equilibrium.caveats[0]


def test_c05_no_matching_mlp_leaves_the_ratio_untested_and_names_the_largest_tried():
    result = get_claim("C05").result(_c05_records({1: 0.40, 4: 0.55, 64: 0.54}))
    assert _claim_measurements(result) == []  # a failed MLP measures nothing: no ratio, not a passing one
    assert "width 64" in result.untested and "4355 parameters" in result.untested
    assert result.metrics["sizes"]["8"]["mlp_match"]["matched"] is False


def test_c05_small_run_has_its_constructions_and_the_equilibration_measurement():
    claim = get_claim("C05")
    config = replace(claim.QUICK, sizes=(8,), mlp_sizes=(8,), train_per_class=300, test_per_class=300, widths=(2, 8),
                     mlp_steps=100, cheap_restarts=1)
    result = claim.run(config=config)
    size = result.metrics["sizes"]["8"]
    assert result.metrics["cheap_parameters"] == 8 and size["gap"] < 0.03 and 1 / 3 < size["bayes_accuracy"] <= 1
    assert _roles(result) >= {"measurement", "construction"}
    equilibrium = [c for c in result.checks if c.caveat]
    assert len(equilibrium) == 1 and equilibrium[0].passed and len(size["energy_checks"]) == 3
    json.dumps(result.to_dict(), allow_nan=False)


def test_c10_reads_table_i_and_is_untested():
    claim = get_claim("C10")
    with global_rngs_untouched():
        result = claim.run(config=replace(claim.QUICK, kl_sizes=(8,), sweeps=3000, locality_sizes=(4, 8)))
    assert result.verdict == "untested" and "trained" in result.untested
    assert _roles(result) == {"identity", "construction"} and all(c.passed for c in result.checks)
    assert result.metrics["kl_exact_relative_error"] < 1e-10
    assert result.metrics["bit_neurons"] == 27  # 9 fields + 18 bonds of the 3x3 lattice in bits
    table = result.tables[0]
    assert [row[0] for row in table.rows] == [row.physics for row in TABLE_I]
    computed = [row for row in table.rows if row[5] is not None]
    assert len(computed) == sum(1 for row in TABLE_I if row.check) == 6
    assert verdict([c.with_bounds(None, 1e-300) for c in result.checks]) == "untested"
    json.dumps(result.to_dict(), allow_nan=False)
