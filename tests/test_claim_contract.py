"""One contract over all registered claims (in the spirit of scikit-learn's ``parametrize_with_checks``).

For every claim: trials are pure, complete and picklable; seeds come only from the root seed and the
trial's key; every check has a role; a claim with no measurement is ``untested`` and says what would test
it; tightening a claim-measurement's tolerance to an impossible value turns the verdict to ``fails``;
results.json holds numbers as numbers and round-trips; and no trial draws from torch's or numpy's global
generator (two runs with the global generators perturbed differently give identical results).

The default run uses a tiny configuration per claim (``TINY``: overrides of QUICK); the slow marker runs
the same contract on the QUICK configurations themselves.
"""

from __future__ import annotations

import json
import math
import pickle
import random
from dataclasses import replace

import numpy as np
import pytest
import torch

from deepcheap.claims import ALL_CLAIMS, ROLES, VERDICTS, c04_polynomials, get, trial_seed, verdict
from deepcheap.claims.checks import measurements
from deepcheap.claims.presentation import is_numeric_text
from deepcheap.flattening.trained import Budget
from deepcheap.report import write_report

# Per claim: overrides of QUICK that keep the claim's code paths but fit the default test run.
TINY: dict[str, dict] = {
    "C01": {"gaussian": ((2, 2),), "points": 500, "lattices": (3,)},
    "C02": {"activations": ("softplus", "exp"), "scan": 12, "points": 256, "floor_activations": ("softplus",),
            "floor_scales": 9, "exact_scales": 12},
    "C04": {"polynomials": (c04_polynomials.SUITE[0], c04_polynomials.SUITE[6]), "eps_deep": (1e-2, 1e-3, 1e-4, 1e-5),
            "eps_relu": (1e-2,), "points": 256},
    "C03": {"ks": (1, 2, 3), "boolean_ns": (2, 3), "random_functions": 2},
    "C05": {"sizes": (8,), "train_sizes": (30, 100), "seeds": 1, "local_seeds": 1, "widths": (4,),
            "test_per_class": 200, "max_epochs": 40, "control_train": 200, "control_test": 200},
    "C06": {"sizes": (150,), "models": (("cheap", 0), ("cnn", 2)), "seeds": 1, "max_epochs": 15, "patience": 5,
            "pl_sizes": (300,)},
    "C07": {"chains": (((3, 5), ()), ((2, 3, 4), ((2, 2),)), ((3, 3, 3, 4), ((1, 2),))), "seeds_per_chain": 1},
    "C08": {"dpi_channels": 40, "info_n": 128, "simulations": 300, "dense_n": (64, 128, 256), "fft_n": (256, 512, 1024),
            "fit_from_dense": 64, "fit_from_fft": 256, "timing_repeats": 1, "per_octave_sweep": (1, 4)},
    "C09": {"flow_L": 64, "flow_samples": 60, "flow_levels": 1, "ising_L": 8, "ising_samples": 100, "counter_L": 2,
            "fisher_L": 32, "fisher_levels": 3, "fisher_draws": (2, 8), "perturbation_L": (8,), "perturbation_n": 512},
    "C12": {"construction_ns": (2, 3, 12), "certificate_ns": (2, 3, 4), "shallow_error_ns": (2, 3),
            "deep_error_ns": (2,), "grid_ns": (3, 4), "grid_domains": ("signed",), "grid_depths": (1, 2),
            "grid_totals": (4, 8), "grid_seeds": 1, "grid_lrs": (3e-2,), "grid_steps": 30, "grid_batch": 64,
            "grid_test_points": 1000, "necessity_ns": (2,), "necessity_restarts": 2, "necessity_effort": 10},
    "C13": {"monomials": ((2,), (2, 1), (1, 1, 1)), "powers": (2, 5, 64), "depth_ns": (4, 8),
            "built_groupings": ((8, (2, 4)),), "built_depths": ((8, 2),), "trained_monomials": ((2,),), "seeds": 1,
            "widths": ((2, 4),), "budget": Budget(steps=60, train_points=64, test_points=128),
            "necessity_restarts": 2, "necessity_effort": 10},
    "C10": {"gaussian_points": 200, "locality_sizes": (4, 8), "convolution_configurations": 50, "kl_sizes": (8,),
            "ti_points": 5, "sweeps": 300},
}
IDS = [c.id for c in ALL_CLAIMS]


def tiny(claim):
    return replace(claim.QUICK, **TINY.get(claim.id, {}))


def _perturb_global_generators(value: int) -> None:
    torch.manual_seed(value)
    np.random.seed(value)  # noqa: NPY002 (the legacy global generator, perturbed on purpose)
    random.seed(value)
    torch.rand(value % 7 + 1)  # and advance them by different amounts
    np.random.random(value % 5 + 1)  # noqa: NPY002


def _run(claim, config, root: int = 0) -> list[dict]:
    return [{"trial": t.trial_id, "params": t.params, "seed": trial_seed(root, t.key),
             "result": claim.run_trial(t.params, trial_seed(root, t.key))} for t in claim.trials(config)]


class _Runs(dict):
    """Each claim's tiny trials, run (on first use) twice with the global generators perturbed differently."""

    def __missing__(self, claim_id: str) -> tuple[list[dict], list[dict]]:
        claim = get(claim_id)
        _perturb_global_generators(1)
        first = _run(claim, tiny(claim))
        _perturb_global_generators(2)
        second = _run(claim, tiny(claim))
        self[claim_id] = (first, second)
        return self[claim_id]


@pytest.fixture(scope="module")
def runs() -> _Runs:
    return _Runs()


def _without_timed(claim, metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k not in claim.timed_metrics}


@pytest.mark.parametrize("claim_id", IDS)
def test_trials_are_pure_complete_and_picklable(claim_id):
    claim = get(claim_id)
    for config in (claim.QUICK, claim.FULL, tiny(claim)):
        trials = claim.trials(config)
        assert trials, f"{claim_id}: no trials"
        assert trials == claim.trials(config), "trials(config) must be pure"
        assert len({t.key for t in trials}) == len(trials), "trial ids must be unique"
        for trial in trials:
            assert trial.claim_id == claim_id
            assert pickle.loads(pickle.dumps(trial)) == trial
            assert json.loads(json.dumps(trial.params)) == trial.params, "params must be JSON-ready (no tuples)"
            assert not {"scale", "quick", "full"} & set(trial.params), "no scale names in params"
    assert claim.scale_of(claim.QUICK) == "quick" and claim.scale_of(claim.FULL) == "full"


@pytest.mark.parametrize("claim_id", IDS)
def test_seeds_come_only_from_the_trial_id(claim_id):
    claim = get(claim_id)
    for trial in claim.trials(tiny(claim)):
        assert trial_seed(0, trial.key) == trial_seed(0, f"{claim_id}/{trial.trial_id}")
        assert trial_seed(0, trial.key) != trial_seed(1, trial.key)


@pytest.mark.parametrize("claim_id", IDS)
def test_global_generators_do_not_reach_any_trial(claim_id, runs):
    claim = get(claim_id)
    first, second = runs[claim_id]
    a = claim.result(first, tiny(claim))
    b = claim.result(second, tiny(claim))
    assert json.dumps(_without_timed(claim, a.metrics), sort_keys=True, default=str) == \
        json.dumps(_without_timed(claim, b.metrics), sort_keys=True, default=str)
    assert [c.value for c in a.checks if not c.timed] == [c.value for c in b.checks if not c.timed]


@pytest.mark.parametrize("claim_id", IDS)
def test_roles_and_a_verdict_from_measurements(claim_id, runs):
    claim = get(claim_id)
    result = claim.result(runs[claim_id][0], tiny(claim))
    assert result.checks, f"{claim_id} has no checks"
    assert {c.role for c in result.checks} <= set(ROLES)
    assert result.verdict in VERDICTS and result.verdict == verdict(result.checks)
    measured = measurements(result.checks)
    if all(c.caveat for c in measured):
        assert result.verdict == "untested"
        assert len(result.untested) > 40, f"{claim_id} is untested: say what would test it"
    else:
        assert result.verdict != "untested"
        assert sum(c.headline for c in measured) <= 1
    assert result.headline


@pytest.mark.parametrize("claim_id", IDS)
def test_an_impossible_tolerance_turns_the_verdict_to_fails(claim_id, runs):
    claim = get(claim_id)
    config = tiny(claim)
    base = claim.result(runs[claim_id][0], config)
    claim_measurements = [c for c in measurements(base.checks) if not c.caveat]
    if not claim_measurements:
        pytest.skip(f"{claim_id} has no measurement of the claim itself ({base.verdict})")
    target = claim_measurements[0]
    summarize = claim.summarize

    def tightened(records, cfg):
        summary = summarize(records, cfg)
        summary.checks = [c.with_bounds(math.inf, None) if c == target else c for c in summary.checks]
        return summary

    object.__setattr__(claim, "summarize", tightened)  # Claim is frozen: swap it for this one call
    try:
        assert claim.result(runs[claim_id][0], config).verdict == "fails"
    finally:
        object.__setattr__(claim, "summarize", summarize)


def _walk(value, path="$"):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]")
    else:
        yield path, value


NUMERIC_PLACES = (".metrics", ".rows[", ".value", ".low", ".high", ".predicted")


def test_results_json_holds_numbers_and_round_trips(runs, tmp_path):
    results = [c.result(runs[c.id][0], tiny(c)) for c in ALL_CLAIMS]
    manifest = {"scale": "custom", "seed": 0, "versions": {}, "platform": {}}
    paths = write_report(tmp_path, results, manifest)
    document = json.loads(paths["results.json"].read_text())
    offenders = [(p, v) for p, v in _walk(document)
                 if isinstance(v, str) and any(place in p for place in NUMERIC_PLACES) and is_numeric_text(v)]
    assert not offenders, f"numbers written as text in results.json: {offenders[:10]}"
    nonfinite = [p for p, v in _walk(document) if isinstance(v, float) and not math.isfinite(v)]
    assert not nonfinite, f"NaN/inf are not JSON: {nonfinite[:10]}"
    for claim_doc, result in zip(document["claims"], results, strict=True):
        assert claim_doc["verdict"] == result.verdict
        assert claim_doc["config"] == json.loads(json.dumps(result.config))
        for table_doc, table in zip(claim_doc["tables"], result.tables, strict=True):
            assert table_doc["rows"] == json.loads(json.dumps(table.rows))


@pytest.mark.slow
@pytest.mark.parametrize("claim_id", IDS)
def test_quick_configuration_is_immune_to_the_global_generators(claim_id):
    claim = get(claim_id)
    _perturb_global_generators(1)
    a = claim.result(_run(claim, claim.QUICK), claim.QUICK)
    _perturb_global_generators(2)
    b = claim.result(_run(claim, claim.QUICK), claim.QUICK)
    assert json.dumps(_without_timed(claim, a.metrics), sort_keys=True, default=str) == \
        json.dumps(_without_timed(claim, b.metrics), sort_keys=True, default=str)
