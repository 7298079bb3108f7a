"""C06 v2: the exact read-out on 4 x 4, gated by KL and calibrated; verdicts that follow the numbers."""

from __future__ import annotations

import copy
import json
from dataclasses import replace

import pytest

from deepcheap.claims import get_claim
from deepcheap.claims.c06_readout import COUPLING_TOLERANCE, KL_GATE, OUTSIDE_TOLERANCE

TINY = {"sizes": (200,), "models": (("cheap", 0), ("cnn", 4)), "seeds": 1, "max_epochs": 25, "patience": 6,
        "pl_sizes": (1000,)}


@pytest.fixture(scope="module")
def c06():
    claim = get_claim("C06")
    config = replace(claim.QUICK, **TINY)
    records = [{"trial": t.trial_id, "params": t.params, "seed": 0, "result": claim.run_trial(t.params, 0)}
               for t in claim.trials(config)]
    return claim, config, records


def test_trials_split_per_model_size_and_seed():
    claim = get_claim("C06")
    for config in (claim.QUICK, claim.FULL):
        trials = claim.trials(config)
        networks = [t for t in trials if t.params["kind"] == "network"]
        assert len(networks) == len(config.models) * len(config.sizes) * config.seeds
        assert all(json.loads(json.dumps(t.params)) == t.params for t in trials)


def test_calibration_and_the_oracle_are_identities_that_pass(c06):
    claim, config, records = c06
    result = claim.result(records, config)
    fixed = [c for c in result.checks if c.role != "measurement"]
    assert len(fixed) == 5 and all(c.passed for c in fixed), [c.describe() for c in fixed if not c.passed]
    calibration = result.metrics["calibration"]
    assert calibration["Bayes log-odds"]["kl"] == 0.0 and result.metrics["oracle_kl"] < 1e-10
    assert result.metrics["coupling"] == pytest.approx(1 / 2.5 - 1 / 2.1)


def test_trained_networks_are_read_out_over_every_state(c06):
    claim, config, records = c06
    networks = claim.result(records, config).metrics["networks"]
    cheap = next(n for n in networks if n["model"] == "cheap")
    assert cheap["parameters"] == 2 and abs(cheap["outside_nn"]) < 1e-9  # exactly quadratic: only nn pairs
    assert cheap["spectrum"]["nn pairs"] == pytest.approx(1.0, abs=1e-9)
    cnn = next(n for n in networks if n["model"] == "cnn")
    assert cnn["parameters"] == 45 and cnn["kl"] >= 0 and sum(cnn["spectrum"].values()) == pytest.approx(1.0)


def _with_networks(records, doubled=None, **values):
    changed = copy.deepcopy(records)
    for r in changed:
        if r["params"]["kind"] == "network":
            r["result"].update(values)
            if r["result"]["doubled"] is not None:
                r["result"]["doubled"] = {**r["result"], "doubled": None, **(doubled or values)}
    return changed


@pytest.mark.parametrize(("values", "expected"), [
    ({"kl": KL_GATE / 2, "coupling_ratio": 1.05, "outside_nn": 0.01}, "holds"),
    ({"kl": KL_GATE / 2, "coupling_ratio": 1 + 2 * COUPLING_TOLERANCE, "outside_nn": 0.01}, "fails"),
    ({"kl": KL_GATE / 2, "coupling_ratio": 1.0, "outside_nn": 2 * OUTSIDE_TOLERANCE}, "fails"),
    ({"kl": 2 * KL_GATE, "coupling_ratio": 0.0, "outside_nn": 0.9}, "untested"),  # nothing passes the gate
])
def test_the_verdict_follows_the_gated_read_out(c06, values, expected):
    claim, config, records = c06
    result = claim.result(_with_networks(records, **values), config)
    assert result.verdict == expected
    if expected == "untested":
        assert "KL <= 0.01" in result.untested


def test_pseudo_likelihood_is_reported_next_to_the_read_out(c06):
    claim, config, records = c06
    result = claim.result(records, config)
    [row] = result.metrics["pseudo_likelihood"]
    assert row["per_class"] == 1000 and {"ratio", "stderr", "converged"} <= row.keys()
    titles = " ".join(t.title for t in result.tables)
    assert "pseudo-likelihood" in titles and "Calibration" in titles
    assert {f.name for f in result.figures} == {"readout_gate", "readout_vs_pseudo_likelihood"}
    json.dumps(result.to_dict(), allow_nan=False)


def test_the_budget_control_retrains_the_largest_size_with_twice_the_epochs(c06):
    claim, config, records = c06
    controlled = [r for r in records if r["params"]["kind"] == "network" and r["params"]["control"]]
    assert [r["params"]["model"] for r in controlled] == ["cnn"]  # the cheap network has nothing to budget
    doubled = controlled[0]["result"]["doubled"]
    assert doubled["epochs"] >= controlled[0]["result"]["epochs"] and doubled["per_class"] == 200
    good = {"kl": KL_GATE / 2, "coupling_ratio": 1.0, "outside_nn": 0.01}
    flipped = claim.result(_with_networks(records, doubled={**good, "coupling_ratio": 1.5}, **good), config)
    assert flipped.verdict == "holds with caveats" and "coupling 1.00 -> 1.50 K" in flipped.caveats[0]
