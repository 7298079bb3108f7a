"""Kill `deepcheap reproduce` midway (SIGKILL), rerun with --resume: no finished trial is recomputed, and the
results equal those of an uninterrupted run."""

import json
import os
import signal
import subprocess
import sys
import time

from typer.testing import CliRunner

from deepcheap.claims import select_claims
from deepcheap.cli import app
from deepcheap.sweep import TRACE_ENV

REPRODUCE = ["reproduce", "--executor", "serial"]  # serial: fast to start, and killable as one process

runner = CliRunner()
ONLY = "C02,C03,C11"  # 65 short trials: plenty of moments to be killed in


def _keys(lines):
    return [f"{r['claim']}/{r['trial']}" for r in map(json.loads, lines)]


def _claims(out):
    claims = json.loads((out / "results.json").read_text())["claims"]
    return {c["claim"]: json.dumps({k: c[k] for k in ("metrics", "checks", "verdict")}, sort_keys=True)
            for c in claims}


def _kill_midway(out, at_least: int, total: int) -> None:
    log = out / "trials.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "deepcheap", *REPRODUCE, "--quick", "--only", ONLY, "--out",
                             str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if log.exists() and log.read_bytes().count(b"\n") >= at_least:
                proc.send_signal(signal.SIGKILL)  # no cleanup of any kind, maybe in the middle of a write
                break
            time.sleep(0.005)
    finally:
        if proc.poll() is None and time.monotonic() >= deadline:
            proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, f"the run ended by itself (status {proc.returncode}) before the kill"
    assert log.read_bytes().count(b"\n") < total, "the run finished every trial before it was killed"


def test_killed_run_resumes_without_recomputing_finished_trials(tmp_path, monkeypatch):
    total = sum(len(c.trials(c.QUICK)) for c in select_claims(ONLY))
    reference = tmp_path / "uninterrupted"
    assert runner.invoke(app, [*REPRODUCE, "--quick", "--only", ONLY, "--out", str(reference)]).exit_code == 0
    reference_lines = (reference / "trials.jsonl").read_text().splitlines()
    assert len(reference_lines) == total

    out = tmp_path / "killed"
    _kill_midway(out, at_least=total // 3, total=total)
    manifest = json.loads((out / "manifest.json").read_text())  # written when the run started
    assert manifest["scale"] == "quick" and manifest["finished"] is None
    data = (out / "trials.jsonl").read_bytes()
    complete = data[: data.rfind(b"\n") + 1]
    before = complete.decode().splitlines()
    finished_before = set(_keys(before))
    if data == complete:  # the kill fell between two writes: tear the next record as a kill mid-write would
        missing = next(line for line in reference_lines if _keys([line])[0] not in finished_before)
        with (out / "trials.jsonl").open("ab") as handle:
            handle.write(missing.encode()[: len(missing) // 2])

    trace = tmp_path / "executed.txt"
    monkeypatch.setenv(TRACE_ENV, str(trace))
    result = runner.invoke(app, [*REPRODUCE, "--quick", "--only", ONLY, "--out", str(out), "--resume"])
    assert result.exit_code == 0, result.output

    executed = trace.read_text().splitlines()
    assert not finished_before & set(executed)  # no finished trial ran again
    assert sorted(executed) == sorted(set(_keys(reference_lines)) - finished_before)  # every other one ran once
    after = (out / "trials.jsonl").read_text().splitlines()
    assert after[: len(before)] == before  # the finished records were kept byte for byte; the torn one was dropped
    assert sorted(_keys(after)) == sorted(_keys(reference_lines))
    assert _claims(out) == _claims(reference)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["trials"] == {"total": total, "reused": len(before), "skipped_lines": 0, "stale_records": 0}
    assert manifest["resumed_from"]["finished"] is None


def test_resume_of_a_finished_run_recomputes_nothing(tmp_path, monkeypatch):
    out = tmp_path / "run"
    assert runner.invoke(app, [*REPRODUCE, "--quick", "--only", "C03", "--out", str(out)]).exit_code == 0
    first = _claims(out)
    trace = tmp_path / "executed.txt"
    monkeypatch.setenv(TRACE_ENV, str(trace))
    assert runner.invoke(app, [*REPRODUCE, "--quick", "--only", "C03", "--out", str(out), "--resume"]).exit_code == 0
    assert not trace.exists() and _claims(out) == first
    assert os.path.getsize(out / "report.html") > 0


def test_resume_with_another_seed_is_refused(tmp_path):
    out = tmp_path / "run"
    assert runner.invoke(app, [*REPRODUCE, "--only", "C03", "--out", str(out)]).exit_code == 0
    (out / "manifest.json").unlink()  # even without the manifest, the log's seeds give the mismatch away
    result = runner.invoke(app, [*REPRODUCE, "--only", "C03", "--out", str(out), "--seed", "1", "--resume"])
    assert result.exit_code == 2 and "--seed" in result.stderr
