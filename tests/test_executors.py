"""Executors: serial, process:2 and dask:local give identical results; names parse; a missing extra says what to do."""

import json
import sys

import pytest
from typer.testing import CliRunner

from deepcheap.cli import app
from deepcheap.errors import InvalidArgumentError, MissingExtraError
from deepcheap.executors import ExecutorSpec, open_executor, parse_executor

runner = CliRunner()
CLAIMS = "C02,C03,C11"  # fast, and between them torch gates, exact bit networks and numpy Monte Carlo


def _reproduce(out, executor):
    result = runner.invoke(app, ["reproduce", "--quick", "--only", CLAIMS, "--executor", executor, "--out", str(out)])
    assert result.exit_code == 0, result.output
    claims = json.loads((out / "results.json").read_text())["claims"]
    # JSON text, so that NaN compares equal to NaN and float bits are compared exactly
    return {c["claim"]: json.dumps({k: c[k] for k in ("metrics", "checks", "verdict", "headline")}, sort_keys=True)
            for c in claims}


@pytest.fixture(scope="module")
def serial_results(tmp_path_factory):
    return _reproduce(tmp_path_factory.mktemp("serial"), "serial")


def test_process_pool_gives_identical_results(serial_results, tmp_path):
    assert _reproduce(tmp_path, "process:2") == serial_results


def test_dask_local_cluster_gives_identical_results(serial_results, tmp_path):
    pytest.importorskip("distributed", reason='needs the dist extra: pip install "deepcheap[dist]"')
    assert sorted(serial_results) == ["C02", "C03", "C11"]
    assert _reproduce(tmp_path, "dask:local") == serial_results
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["executor"] == "dask:local:2"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("serial", ExecutorSpec("serial")),
        ("process:3", ExecutorSpec("process", 3)),
        ("dask:local", ExecutorSpec("dask-local", 2)),
        ("dask:local:4", ExecutorSpec("dask-local", 4)),
        ("dask:tcp://10.0.0.5:8786", ExecutorSpec("dask-address", address="tcp://10.0.0.5:8786")),
    ],
)
def test_executor_names(spec, expected):
    assert parse_executor(spec) == expected
    assert parse_executor(str(expected)) == expected  # the manifest's normalised name parses back


def test_auto_uses_every_core_or_serial(monkeypatch):
    import os

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert parse_executor("auto") == ExecutorSpec("process", 3)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert parse_executor("auto") == ExecutorSpec("process", 8)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert parse_executor("auto") == ExecutorSpec("serial")


@pytest.mark.parametrize("spec", ["mpi", "process", "process:0", "process:two", "dask", "dask:", "dask:local:0",
                                  "serial:2"])
def test_bad_executor_names_list_every_form(spec):
    with pytest.raises(InvalidArgumentError) as err:
        parse_executor(spec)
    assert "process:N" in str(err.value) or "integer" in str(err.value)


def test_cli_bad_executor_is_one_line_listing_the_forms(tmp_path):
    result = runner.invoke(app, ["reproduce", "--only", "C03", "--executor", "threads:4", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert all(form in result.stderr for form in ("serial", "process:N", "dask:local", "dask:ADDRESS"))
    assert not (tmp_path / "x").exists()


def test_missing_dask_gives_the_pip_hint(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now raises ImportError
    with pytest.raises(MissingExtraError, match=r'pip install "deepcheap\[dist\]"'), open_executor("dask:local"):
        pass
    out = tmp_path / "x"
    result = runner.invoke(app, ["reproduce", "--only", "C03", "--executor", "dask:local", "--out", str(out)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and 'pip install "deepcheap[dist]"' in lines[0]
    assert not (tmp_path / "x").exists()  # nothing written before the executor is up
