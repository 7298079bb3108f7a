"""Claim C11: its verdict comes from the measured exponents only, predicted values are the laws written in the
module, and every number it reports is a JSON number or null."""

import json
import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from deepcheap.claims import VERDICTS
from deepcheap.claims import c11_linear as c11
from deepcheap.claims.base import trial_seed

# --- claim C11 ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def c11_records():
    return [
        {
            "trial": t.trial_id,
            "params": t.params,
            "seed": trial_seed(0, t.key),
            "result": c11.run_trial(t.params, trial_seed(0, t.key)),
        }
        for t in c11.trials(c11.QUICK)
    ]


def test_c11_quick_holds_and_reports_numbers(c11_records):
    result = c11.CLAIM.result(c11_records, c11.QUICK)
    assert result.verdict == "holds" and result.verdict in VERDICTS
    headline = result.headline_check
    assert headline.name.startswith("Strassen: fitted exponent of C_s in synapses")
    assert headline.predicted == pytest.approx(3 - math.log2(7))
    assert {c.role for c in result.checks} == {"measurement", "identity", "construction"}
    predicted = sorted(round(c.predicted, 4) for c in result.checks if c.role == "measurement")
    assert predicted == sorted(
        round(x, 4) for x in [0.5, 2 / 3, 0.75] + [3 - math.log2(7)] * 2 + [3 - math.log(23, 3)] * 2
    )
    assert {f.name for f in result.figures} == {"fft_flattening", "sparse_product_eq27", "matmul_counts"}
    text = json.dumps(result.to_dict(), allow_nan=False)
    assert json.loads(text)["metrics"]["matmul"]["Strassen"]["fit_from"] == 512
    for table in result.tables:
        assert all(
            v is None or isinstance(v, (int, float)) or not v.replace(".", "").isdigit()
            for row in table.rows
            for v in row
        )


def test_c11_verdict_comes_from_measurements_only(c11_records, monkeypatch):
    monkeypatch.setattr(c11, "FFT_MAX_ERROR", 0.0)  # identity checks fail ...
    monkeypatch.setattr(c11, "LOW_RANK_TOLERANCE", -1.0)  # ... and a construction fails
    result = c11.CLAIM.result(c11_records, c11.QUICK)
    assert any(not c.passed for c in result.checks if c.role != "measurement")
    assert result.verdict == "holds"


def test_tightening_a_measurement_tolerance_turns_the_verdict_to_fails(c11_records, monkeypatch):
    monkeypatch.setattr(c11, "EXPONENT_TOLERANCE", 1e-6)
    result = c11.CLAIM.result(c11_records, c11.QUICK)
    assert result.verdict == "fails"
    assert any("Strassen" in f or "Laderman" in f or "FFT" in f for f in result.failures)


def test_c11_configuration_and_trials():
    for config in (c11.QUICK, c11.FULL):
        trials = c11.trials(config)
        assert len({t.key for t in trials}) == len(trials)
        for trial in trials:
            assert json.loads(json.dumps(trial.params)) == trial.params
    assert c11.CLAIM.scale_of(c11.QUICK) == "quick" and c11.CLAIM.scale_of(c11.FULL) == "full"
    small = replace(
        c11.QUICK,
        fft_log_n=(4, 5),
        hidden_layers=(0, 1),
        low_rank=((16, 2),),
        eq27_ns=(20,),
        eq27_ps=(0.2,),
        strassen_log_n=(1, 2, 3),
        laderman_log_n=(1, 2),
        strassen_execute_up_to=4,
        laderman_execute_up_to=3,
    )
    result = c11.CLAIM.run(config=small)
    assert result.scale == "custom" and result.verdict == "fails"  # too few sizes to fit: missing measurements
    assert [c.value for c in result.checks if c.role == "measurement"][1:] == [None] * 6
    json.dumps(result.to_dict(), allow_nan=False)


def test_c11_trials_ignore_the_global_generators():
    trial = next(t for t in c11.trials(c11.QUICK) if t.params["kind"] == "matmul")
    params = {**trial.params, "ns": [2, 4, 8, 16], "execute_up_to": 8}
    torch.manual_seed(1)
    np.random.seed(1)  # noqa: NPY002 - perturbing the legacy global generator on purpose
    first = c11.run_trial(params, 5)
    torch.manual_seed(2)
    np.random.seed(2)  # noqa: NPY002
    assert c11.run_trial(params, 5) == first
