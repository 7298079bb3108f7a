"""Runs cannot mix or clobber: parameter-hashed records, one run per directory, no silent overwrite,
workers that die with their parent, damaged logs, and a Dask address that is not a scheduler."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deepcheap.claims import select_claims
from deepcheap.cli import app
from deepcheap.errors import InvalidArgumentError, RunLockedError
from deepcheap.rundir import LOCK_NAME, RunDirectory, acquire_lock
from deepcheap.sweep import TRACE_ENV, ResumeState, load_log, run_sweep

runner = CliRunner()
SERIAL = ["reproduce", "--executor", "serial"]


def _invoke(*args):
    return runner.invoke(app, [*SERIAL, *args])


def _metrics(out: Path) -> dict:
    claims = json.loads((out / "results.json").read_text())["claims"]
    return {c["claim"]: json.dumps({k: c[k] for k in ("metrics", "checks", "verdict")}, sort_keys=True)
            for c in claims}


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None and not ready():
        time.sleep(0.01)
    assert proc.poll() is None, f"the run ended by itself (status {proc.returncode}) before the kill"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def test_killed_full_run_without_manifest_never_reuses_quick_records(tmp_path, monkeypatch):
    """Quick records have the same keys as full ones: only those whose parameters are the full run's may be reused."""
    reference = tmp_path / "full"
    assert _invoke("--full", "--only", "C07", "--out", str(reference)).exit_code == 0

    out = tmp_path / "mixed"
    assert _invoke("--quick", "--only", "C07", "--out", str(out)).exit_code == 0
    quick_keys = {f"{r['claim']}/{r['trial']}" for r in load_log(out / "trials.jsonl").records}
    (out / "manifest.json").unlink()
    log = out / "trials.jsonl"
    lines_before = log.read_bytes().count(b"\n")
    proc = subprocess.Popen([sys.executable, "-m", "deepcheap", *SERIAL, "--full", "--only", "C07", "--out", str(out),
                             "--resume"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # the resume first drops the quick records (rewriting the log), then appends full ones: kill after a few
    _kill_when(proc, lambda: log.exists() and 3 <= log.read_bytes().count(b"\n") < lines_before)
    (out / "manifest.json").unlink(missing_ok=True)
    trace = tmp_path / "executed.txt"
    monkeypatch.setenv(TRACE_ENV, str(trace))
    result = _invoke("--full", "--only", "C07", "--out", str(out), "--resume")
    assert result.exit_code == 0, result.output
    records = load_log(log).records
    claim = select_claims("C07")[0]
    full = {t.key: t.fingerprint() for t in claim.trials(claim.FULL)}
    quick = {t.key: t.fingerprint() for t in claim.trials(claim.QUICK)}
    assert {f"{r['claim']}/{r['trial']}": r["fingerprint"] for r in records} == full
    assert quick_keys <= set(full) and any(quick[k] != full[k] for k in quick)  # the test mixes configurations
    assert _metrics(out) == _metrics(reference)


def test_python_resume_checks_the_manifest(tmp_path):
    claims = select_claims("C03")
    log = tmp_path / "trials.jsonl"
    run_sweep(claims, "quick", 0, log_path=log)
    (tmp_path / "manifest.json").write_text(json.dumps({"scale": "quick", "seed": 0}))
    with pytest.raises(InvalidArgumentError, match="scale=quick"):
        run_sweep(claims, "full", 0, log_path=log, resume=True)
    with pytest.raises(InvalidArgumentError, match="earlier run"):
        run_sweep(claims, "quick", 0, log_path=log)  # neither resume nor overwrite
    (tmp_path / "manifest.json").write_text(json.dumps({"scale": "quick", "seed": 0,
                                                        "claim_configs": {"C03": {"config": "something else"}}}))
    with pytest.raises(InvalidArgumentError, match="configuration of C03"):
        run_sweep(claims, "quick", 0, log_path=log, resume=True)


def test_a_second_run_into_a_locked_directory_is_refused(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c",
                               "import time; from deepcheap.rundir import acquire_lock; "
                               f"acquire_lock({str(out)!r}); print('locked', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = _invoke("--only", "C03", "--out", str(out))
        assert result.exit_code == 2
        assert f"pid {holder.pid}" in result.stderr and "in use" in result.stderr
        assert result.stderr.count("\n") == 1
        with pytest.raises(RunLockedError):
            acquire_lock(out)
        assert not (out / "trials.jsonl").exists()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert _invoke("--only", "C03", "--out", str(out)).exit_code == 0  # a dead holder leaves no stale lock
    assert (out / LOCK_NAME).exists()


def test_two_concurrent_reproduce_runs(tmp_path):
    out = tmp_path / "run"
    first = subprocess.Popen([sys.executable, "-m", "deepcheap", *SERIAL, "--only", "C02,C03,C11", "--out", str(out)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (out / "manifest.json").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        result = _invoke("--only", "C03", "--out", str(out), "--resume")
        assert result.exit_code == 2 and f"pid {first.pid}" in result.stderr
    finally:
        first.kill()
        first.wait()


def test_no_silent_overwrite(tmp_path):
    out = tmp_path / "run"
    assert _invoke("--only", "C03", "--out", str(out)).exit_code == 0
    log_before = (out / "trials.jsonl").read_bytes()
    result = _invoke("--only", "C03", "--out", str(out))
    assert result.exit_code == 2 and "--overwrite" in result.stderr and "--resume" in result.stderr
    assert (out / "trials.jsonl").read_bytes() == log_before
    (out / "notes.txt").write_text("mine")
    assert _invoke("--only", "C03", "--out", str(out), "--overwrite").exit_code == 0
    assert (out / "notes.txt").read_text() == "mine"  # only deepcheap's own files are replaced
    assert _invoke("--only", "C03", "--out", str(out), "--overwrite", "--resume").exit_code == 2


def test_binary_junk_in_the_log_is_skipped_counted_and_redone(tmp_path, monkeypatch):
    out = tmp_path / "run"
    assert _invoke("--only", "C03", "--out", str(out)).exit_code == 0
    reference = _metrics(out)
    log = out / "trials.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    lines[2] = b"\xff\xfe\x00garbage\x80\n"
    lines[5] = b'{"not": "a record"}\n'
    log.write_bytes(b"".join(lines))
    trace = tmp_path / "executed.txt"
    monkeypatch.setenv(TRACE_ENV, str(trace))
    result = _invoke("--only", "C03", "--out", str(out), "--resume")
    assert result.exit_code == 0, result.output
    assert "skipped 2 unreadable line(s)" in result.stderr
    assert len(trace.read_text().splitlines()) == 2
    assert _metrics(out) == reference
    assert json.loads((out / "manifest.json").read_text())["trials"]["skipped_lines"] == 2
    assert load_log(log).damaged == 0  # the log was rewritten without them


def test_resume_state_counts_stale_records(tmp_path):
    claims = select_claims("C03")
    log = tmp_path / "trials.jsonl"
    run_sweep(claims, "quick", 0, log_path=log)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    records[0]["fingerprint"] = "0" * 16  # as if written by another configuration
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    state = ResumeState()
    run_sweep(claims, "quick", 0, log_path=log, resume=True, resume_state=state)
    assert (state.stale, state.damaged, len(state.done)) == (1, 0, len(records) - 1)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads worker processes from /proc (Linux)")
def test_workers_die_with_a_killed_parent(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "deepcheap", "reproduce", "--executor", "process:2", "--only",
                             "C12", "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []

    def busy() -> bool:
        nonlocal workers
        workers = [p for p in _children(proc.pid) if "deepcheap" in Path(f"/proc/{p}/cmdline").read_text()
                   or "multiprocessing" in Path(f"/proc/{p}/cmdline").read_text()]
        return len(workers) >= 2 and (out / "manifest.json").exists()

    _kill_when(proc, busy, timeout=90)
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = [p for p in workers if _alive(p)]
    for p in alive:
        os.kill(p, signal.SIGKILL)
    assert not alive, f"workers {alive} outlived their killed parent by 5 s"


def test_only_empty_is_an_error(tmp_path):
    for only in ("", ",,,", " "):
        result = _invoke("--only", only, "--out", str(tmp_path / "x"))
        assert result.exit_code == 2 and "claim ids" in result.stderr
    assert not (tmp_path / "x").exists()


@pytest.fixture
def silent_server():
    """A local TCP server that accepts connections and never answers (like a stuck or foreign service)."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def accept():
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    server.close()
    for conn in accepted:
        conn.close()


def test_a_fake_scheduler_fails_within_the_deadline(silent_server, tmp_path):
    pytest.importorskip("distributed", reason='needs the dist extra: pip install "deepcheap[dist]"')
    start = time.monotonic()
    result = _invoke_executor(f"dask:{silent_server}", tmp_path, "--connect-timeout", "3")
    elapsed = time.monotonic() - start
    assert result.exit_code == 2 and "no answer as a Dask scheduler within 3 s" in result.stderr
    assert elapsed < 10
    assert not (tmp_path / "x").exists()


def test_a_refused_port_fails_at_once(tmp_path):
    pytest.importorskip("distributed", reason='needs the dist extra: pip install "deepcheap[dist]"')
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    start = time.monotonic()
    result = _invoke_executor(f"dask:tcp://127.0.0.1:{port}", tmp_path)
    assert result.exit_code == 2 and "cannot reach a Dask scheduler" in result.stderr
    assert time.monotonic() - start < 5


def _invoke_executor(executor: str, tmp_path: Path, *extra):
    return runner.invoke(app, ["reproduce", "--only", "C03", "--executor", executor, "--out", str(tmp_path / "x"),
                               *extra])


def test_run_directory_refuses_a_file(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(InvalidArgumentError, match="is a file"):
        RunDirectory(target, scale="quick", seed=0).check()
