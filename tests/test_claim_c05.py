"""C05 (issue 19): the data a model needs across a ladder of priors, and the nnn control.

Synthetic records drive the verdict through every prediction (each one flips it on its own); a tiny real run checks
the trials, the roles, the constructions and that no global generator is touched.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from deepcheap.claims import c05_cheap_learning as c05
from deepcheap.claims import c05_report, get_claim
from deepcheap.claims.c05_report import least_kl_below, n_star
from deepcheap.seeds import derive_seed

SIZES = [30, 100, 300, 1000, 3000]
GOOD = {  # median test KL per size: cheap and CNN reach 0.01 at similar n at both L, local grows, the MLP never
    ("cheap", 8): [0.05, 0.008, 0.003, 0.001, 0.0003], ("cheap", 16): [0.06, 0.009, 0.003, 0.001, 0.0003],
    ("cnn", 8): [0.3, 0.05, 0.015, 0.006, 0.002], ("cnn", 16): [0.3, 0.06, 0.02, 0.008, 0.003],
    ("local", 8): [0.3, 0.17, 0.1, 0.065, 0.04], ("local", 16): [0.31, 0.29, 0.25, 0.16, 0.085],
    ("mlp", 8): [0.25, 0.22, 0.17, 0.11, 0.07], ("mlp", 16): [0.32, 0.32, 0.31, 0.28, 0.22],
}
CONTROL = {"bayes": 0.927, "cheap": 0.50, "cnn": 0.915}


def _energy(z: float) -> dict:
    return {"T": 3.0, "configurations": 5750, "chains": 32, "energy_per_site": -0.7 + 0.002 * z, "error": 0.002,
            "exact": -0.7, "z": z, "tau_int": 0.5}


def _records(curves=None, control=None, budget: float | None = None, z: float = 0.5, seeds: int = 3) -> list[dict]:
    """Ladder records whose median KL per size is ``curves`` (the MLP at widths 16 and 64, width 16 worse), plus one
    control record. ``budget``: seed 0's KL at the largest size with the doubled budget (every model; None: no control
    run)."""
    curves, control = {**GOOD, **(curves or {})}, {**CONTROL, **(control or {})}
    records = []
    for (model, L), kls in curves.items():
        widths = [16, 64] if model == "mlp" else [None]
        for r in range(seeds):
            runs = [{"n": n, "width": w, "kl": k * (2.0 if w == 16 else 1.0), "accuracy": 0.83 - k / 10,
                     "epochs": 50, "best_epoch": 40, "stopped_early": True,
                     "parameters": c05.expected_parameters(model, L, 4, w)}
                    for w in widths for n, k in zip(SIZES, kls, strict=True)]
            extra = [{**run, "kl": budget} for run in runs if run["n"] == SIZES[-1]] if budget and r == 0 else []
            records.append({"trial": f"L{L:02d}-{model}-r{r}", "seed": r, "params": {
                "kind": "ladder", "L": L, "model": model, "replicate": r, "channels": 4},
                "result": {"bayes_accuracy": 0.83, "test_size": 4000, "runs": runs, "budget": extra,
                           "oracle_kl": 1e-14 if model in ("cnn", "local") else None,
                           "energy_checks": [_energy(z if r == 0 else 0.1)]}})
    records.append({"trial": "control-r0", "seed": 0, "params": {"kind": "control", "L": 8, "K1": 1 / 3, "k2": 0.3,
                                                                 "train": 2000},
                    "result": {"bayes_accuracy": control["bayes"], "best_nn_rule": 0.67, "dK1": -0.28,
                               "residual_z": 0.3, "log_z_ratio": -0.17,
                               "cheap": {"accuracy": control["cheap"], "kl": 0.5},
                               "cnn": {"accuracy": control["cnn"], "kl": 0.01}}})
    return records


def _result(**kwargs):
    return get_claim("C05").result(_records(**kwargs), "quick")


def _check(result, start: str):
    return next(c for c in result.checks if c.name.startswith(start))


def test_n_star_interpolates_in_log_log_and_says_never():
    assert n_star([100, 1000], [0.1, 0.001], 0.01) == (1000, pytest.approx(100 * 10**0.5))
    assert n_star([30, 100], [0.005, 0.001], 0.01) == (30, 30.0)
    assert n_star([30, 100], [0.5, 0.02], 0.01) == (None, None)
    curve = {"sizes": [100, 1000, 10000], "median": [0.1, 0.01, 0.001]}
    assert least_kl_below(curve, 10**3.5) == pytest.approx(10**-2.5)  # interpolated between 1000 and 10000
    assert least_kl_below(curve, 10**6) == pytest.approx(0.001)  # capped at the largest size


def test_the_ladder_as_predicted_holds():
    result = _result()
    assert result.verdict == "holds", result.failures + result.caveats
    assert _check(result, "cheap: N*").value == pytest.approx(1.0, abs=0.3)
    assert _check(result, "cnn: N*").value < c05.STAY_RATIO
    assert _check(result, "locally connected").value > c05.GROWTH_RATIO
    mlp = _check(result, "L = 16: least median KL of the MLP")
    assert mlp.headline and mlp.value == pytest.approx(0.22)  # its best width (64) at the largest size
    assert result.metrics["n_star"]["mlp"]["16"]["interpolated"] is None
    assert result.metrics["kl"]["mlp"]["16"]["width"] == [64] * 5
    assert {c.role for c in result.checks} == {"measurement", "construction"}
    assert all(c.passed for c in result.checks)
    json.dumps(result.to_dict(), allow_nan=False)


def test_a_cnn_that_never_reaches_bayes_fails_the_claim():
    result = _result(curves={("cnn", 16): [0.3, 0.1, 0.05, 0.03, 0.02]})
    assert result.verdict == "fails"
    assert _check(result, "cnn: N*").value is None and "never (L = 16)" in _check(result, "cnn: N*").detail
    assert _check(result, "L = 16: least median KL of the MLP").value is None  # no reference: not a pass


def test_a_cnn_whose_data_need_grows_with_L_fails():
    result = _result(curves={("cnn", 16): [0.3, 0.1, 0.05, 0.02, 0.009]})
    assert result.verdict == "fails" and _check(result, "cnn: N*").value > c05.STAY_RATIO


def test_an_mlp_that_matches_the_cnn_fails_and_one_needing_ten_times_more_passes():
    matched = _result(curves={("mlp", 16): [0.3, 0.05, 0.015, 0.008, 0.004]})
    assert matched.verdict == "fails" and not _check(matched, "L = 16: least median KL of the MLP").passed
    # CNN N* = 200: the MLP reaches 0.01 only between 1000 and 3000, i.e. beyond 10 x 200 = 2000
    late = _result(curves={("cnn", 8): [0.3, 0.05, 0.006, 0.004, 0.002], ("cnn", 16): [0.3, 0.04, 0.005, 0.003, 0.002],
                           ("mlp", 16): [0.3, 0.2, 0.1, 0.03, 0.008]})
    mlp = _check(late, "L = 16: least median KL of the MLP")
    assert mlp.passed and mlp.value > c05.KL_TARGET and late.verdict == "holds"
    assert late.metrics["n_star"]["mlp"]["16"]["grid"] == 3000


def test_a_locally_connected_network_whose_data_need_does_not_grow_fails():
    result = _result(curves={("local", 16): GOOD[("local", 8)]})
    assert result.verdict == "fails" and _check(result, "locally connected").value == pytest.approx(1.0)


@pytest.mark.parametrize(("control", "failing"), [({"cheap": 0.85}, "nnn control: nn"),
                                                  ({"cnn": 0.88}, "nnn control: Bayes accuracy - 3x3")])
def test_the_control_must_fail_for_the_nn_network_and_succeed_for_the_cnn(control, failing):
    result = _result(control=control)
    assert result.verdict == "fails" and not _check(result, failing).passed


def test_the_budget_control_and_the_equilibrium_check_are_caveats():
    flipped = _result(budget=0.005)  # doubling the budget brings the local network and the MLP below the target
    assert flipped.verdict == "holds with caveats" and "local L = 16" in flipped.caveats[0]
    assert _check(flipped, "budget control").value == 4  # local and mlp, both L
    assert _result(z=6.0).verdict == "holds with caveats"


def test_trials_are_complete_and_only_seed_zero_runs_the_budget_control():
    claim = get_claim("C05")
    for config in (claim.QUICK, claim.FULL):
        trials = claim.trials(config)
        ladder = [t for t in trials if t.params["kind"] == "ladder"]
        per_L = len(config.models) - 1
        groups = len(config.train_sizes) if config.trial_per_size else 1
        assert len(ladder) == len(config.sizes) * (per_L * config.seeds + config.local_seeds) * groups
        assert len({t.key for t in trials}) == len(trials)
        assert sum(t.params["kind"] == "control" for t in trials) == config.seeds
        top = max(config.train_sizes)
        assert all(t.params["budget_control"] == (t.params["replicate"] == 0 and t.params["model"] in
                                                  config.budget_models and top in t.params["sizes"])
                   for t in ladder)
        for t in ladder:
            T0, T1 = t.params["temperatures"]
            assert pytest.approx(config.beta_gap / t.params["L"]) == 1 / T0 - 1 / T1
            assert pytest.approx(config.beta) == (1 / T0 + 1 / T1) / 2
            assert json.loads(json.dumps(t.params)) == t.params
    full_mlp = next(t for t in claim.trials(claim.FULL) if t.params["model"] == "mlp")
    assert [2 for w in claim.FULL.deep_widths] == [d for _, d in full_mlp.params["architectures"] if d == 2]
    quick = claim.trials(claim.QUICK)
    assert not any(t.params.get("budget_control") for t in quick if t.params.get("model") == "local")


TINY = {"sizes": (8,), "train_sizes": (30, 100), "seeds": 1, "local_seeds": 1, "widths": (4,),
        "test_per_class": 200, "max_epochs": 40, "control_train": 200, "control_test": 200}


def test_a_tiny_real_run_has_its_constructions_and_touches_no_global_generator():
    claim = get_claim("C05")
    config = replace(claim.QUICK, **TINY)
    torch_state, numpy_state = torch.random.get_rng_state(), np.random.get_state()  # noqa: NPY002
    result = claim.run(config=config)
    assert torch.equal(torch_state, torch.random.get_rng_state())
    assert np.array_equal(numpy_state[1], np.random.get_state()[1])  # noqa: NPY002
    constructions = [c for c in result.checks if c.role == "construction"]
    assert len(constructions) == 3 and all(c.passed for c in constructions)
    assert result.metrics["oracle_kl"] < c05.ORACLE_KL  # the constructed Bayes CNN on real test data
    assert {m for m in result.metrics["kl"]} == set(c05.MODELS)
    assert 0.5 < result.metrics["bayes_accuracy"]["8"] < 1
    control = result.metrics["control"]
    assert control["bayes_accuracy"] > control["best_nn_rule"] - 0.05 and math.isfinite(control["dK1"])
    assert result.verdict in ("holds", "holds with caveats", "fails")
    json.dumps(result.to_dict(), allow_nan=False)


def test_one_trial_per_size_with_two_layer_mlps_gives_the_same_kind_of_result():
    claim = get_claim("C05")
    config = replace(claim.QUICK, **TINY, models=("cheap", "mlp"), deep_widths=(4,), trial_per_size=True)
    trials = [t for t in claim.trials(config) if t.params["kind"] == "ladder"]
    assert sorted(t.params["sizes"] for t in trials) == [[30], [30], [100], [100]]
    records = [{"trial": t.key, "params": t.params, "result": claim.run_trial(t.params, derive_seed(0, t.key))}
               for t in trials if t.params["model"] == "mlp"]
    runs = [run for r in records for run in r["result"]["runs"]]
    assert sorted((run["n"], run["depth"]) for run in runs) == [(30, 1), (30, 2), (100, 1), (100, 2)]
    assert all(run["parameters"] == c05.expected_parameters("mlp", 8, 4, 4, run["depth"]) for run in runs)
    curve = c05_report.curves(records)[("mlp", 8)]
    assert curve["sizes"] == [30, 100] and set(curve["width"]) <= {4, "4x2"}
