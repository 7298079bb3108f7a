"""Samplers that finish: Wolff's work per sweep is bounded, runs are sized before they start, and every
result says whether it reached equilibrium."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from deepcheap.cli import app
from deepcheap.errors import ResourceLimitError
from deepcheap.physics.ising import sample_summary
from deepcheap.physics.lattice import T_CRITICAL as T_C
from deepcheap.physics.samplers import WOLFF_CAP, IsingChains, estimate_run, run_chain
from deepcheap.physics.statistics import equilibration


def test_wolff_flips_about_n_spins_per_sweep_from_a_random_start():
    """The case that overshot 235x-2766x: random start at T_c, calibrated while the clusters grow."""
    L, chains, sweeps = 96, 2, 20
    run = run_chain(L, T_C, algorithm="wolff", sweeps=sweeps, thermalize=10, chains=chains, seed=1)
    per_sweep = run.spin_updates / (sweeps * chains * L * L)
    assert 0.3 < per_sweep < 3.0, per_sweep
    assert run.capped_sweeps == 0


def test_the_hard_cap_bounds_a_miscalibrated_sweep():
    sampler = IsingChains(32, T_C, chains=2, algorithm="wolff", seed=0)
    n = 32 * 32
    energies = np.empty((2, 3), dtype=np.int64)
    flipped, started, capped = sampler._wolff_sweeps(3, 10**6, energies, energies.copy())
    assert capped == 2 * 3  # every sweep of both chains hit the cap
    assert flipped <= 2 * 3 * (WOLFF_CAP + 1) * n  # a cluster in progress can add at most N
    assert started < 2 * 3 * (WOLFF_CAP + 1) * n


def test_wolff_streams_are_deterministic_per_seed():
    one = run_chain(16, T_C, algorithm="wolff", sweeps=30, seed=7, chains=3)
    two = run_chain(16, T_C, algorithm="wolff", sweeps=30, seed=7, chains=3)
    assert np.array_equal(one.energies, two.energies) and np.array_equal(one.spins, two.spins)


def test_a_run_is_sized_before_it_starts():
    estimate = estimate_run(2048, T_C, sweeps=10)
    assert estimate.algorithm == "wolff" and estimate.seconds > 60
    with pytest.raises(ResourceLimitError, match=r"--algorithm metropolis \(about \d+ s\)"):
        sample_summary(2048, T_C, sweeps=10, max_seconds=60, seed=0)
    assert estimate_run(16, T_C, sweeps=4000).seconds < 5  # the default `ising sample` runs
    assert estimate.to_dict()["L"] == 2048


def test_equilibration_flags_a_drift_and_a_short_run():
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(4, 2000))
    assert equilibration(noise).passed
    drifting = noise + np.linspace(0, 1, 2000)
    check = equilibration(drifting)
    assert not check.passed and check.half_difference_sigma > 4 and "drifts" in check.reason
    short = equilibration(noise[:, :20])
    assert not short.passed and "autocorrelation times" in short.reason


def test_every_sample_result_carries_the_diagnostic():
    good = sample_summary(8, 3.0, sweeps=2000, seed=0)
    assert good.equilibration.passed and good.warnings == () and good.capped_sweeps == 0
    record = good.to_dict()["equilibration"]
    assert {"half_difference_sigma", "tau_int", "sweeps_per_tau", "capped_sweeps"} <= record.keys()
    short = sample_summary(8, 3.0, sweeps=16, seed=0, algorithm="metropolis")
    assert not short.equilibration.passed and short.warnings


def test_cli_warns_on_stderr_and_keeps_json_clean():
    result = CliRunner().invoke(app, ["ising", "sample", "--L", "8", "--T", "3", "--sweeps", "16", "--json"])
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["equilibration"]["passed"] is False
    assert result.stderr.startswith("warning: not in equilibrium")
