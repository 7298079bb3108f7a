"""The sweep: serial and process executors agree; an interrupted log resumes without redoing work."""

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest

from deepcheap import sweep
from deepcheap.claims import select_claims
from deepcheap.errors import InvalidArgumentError
from deepcheap.sweep import read_log, run_sweep


def test_serial_run_writes_one_line_per_trial(tmp_path):
    log = tmp_path / "trials.jsonl"
    results = run_sweep(select_claims("C03"), "quick", 0, log_path=log)
    records = read_log(log)
    assert len(records) == len(select_claims("C03")[0].trials(select_claims("C03")[0].QUICK))
    assert results["C03"].trials == len(records)


def test_resume_skips_finished_trials_and_tolerates_a_torn_line(tmp_path, monkeypatch):
    log = tmp_path / "trials.jsonl"
    claims = select_claims("C03")
    reference = run_sweep(claims, "quick", 0, log_path=log)
    lines = log.read_text().splitlines()
    log.write_text("\n".join(lines[:3]) + "\n" + lines[3][: len(lines[3]) // 2])  # killed mid-write
    ran = []
    original = sweep.execute_trial
    monkeypatch.setattr(sweep, "execute_trial", lambda *a: ran.append(a[1]) or original(*a))
    resumed = run_sweep(claims, "quick", 0, log_path=log, resume=True)
    assert len(ran) == len(lines) - 3  # the 3 complete records were not recomputed
    assert resumed["C03"].metrics == reference["C03"].metrics
    assert len(read_log(log)) == len(lines)


def test_a_foreign_log_is_refused(tmp_path):
    log = tmp_path / "trials.jsonl"
    log.write_text("not json\n{}\n")
    with pytest.raises(InvalidArgumentError, match="not"):
        read_log(log)


def test_process_executor_gives_identical_results():
    claims = select_claims("C03")
    serial = run_sweep(claims, "quick", 7)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        parallel = run_sweep(claims, "quick", 7, executor=pool)
    assert json.dumps(serial["C03"].metrics, sort_keys=True) == json.dumps(parallel["C03"].metrics, sort_keys=True)
