"""Hostile and extreme inputs: no input runs code, and every bad one ends in one clear error.

Each CLI case must give exactly one ``error:`` line on stderr, exit status 2, nothing on stdout, no
traceback, no file written, within a time bound; each API case must raise the project's own error
(DeepCheapError) with the message naming the problem. The sentinel tests feed code payloads to the
expression reader and check that nothing ran.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from typer.testing import CliRunner

import deepcheap
from deepcheap import flattening, gates, library
from deepcheap.boolean import compile_boolean
from deepcheap.claims import get_claim
from deepcheap.cli import app
from deepcheap.compiler import parse
from deepcheap.errors import DeepCheapError, InvalidArgumentError, NotAPolynomialError, ResourceLimitError
from deepcheap.physics import exact, ising, samplers

runner = CliRunner()
SECONDS = 10.0  # per in-process case; generous: the 2-core test machine is shared


@pytest.fixture
def empty_dir(tmp_path, monkeypatch):
    """Run in an empty directory and check that it stays empty."""
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    assert list(tmp_path.iterdir()) == [], "a refused command wrote a file"


def refuse(args, match):
    start = time.perf_counter()
    result = runner.invoke(app, args)
    seconds = time.perf_counter() - start
    assert result.exit_code == 2, (args, result.exit_code, result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), (args, result.stderr)
    assert match in lines[0], (args, lines[0])
    assert "Traceback" not in result.output and result.stdout == ""
    assert seconds < SECONDS, (args, seconds)


CLI_CASES = [
    # compile: the reader
    (["compile", "__import__('os').system('touch SENTINEL')"], "a function call"),
    (["compile", "x.__class__"], "attribute access"),
    (["compile", "exec('import os')"], "a function call"),
    (["compile", "S('x')"], "a function call"),
    (["compile", "lambda: 1"], "a lambda"),
    (["compile", "[x for x in y]"], "a comprehension"),
    (["compile", "f'{x}'"], "an f-string"),
    (["compile", "x if y else z"], "an if-expression"),
    (["compile", "x == y"], "a comparison"),
    (["compile", "_x*y"], "starts with '_'"),
    (["compile", "True*x"], "a Boolean"),
    (["compile", "1j*x"], "a complex number"),
    (["compile", "pi*x"], "reserved"),
    (["compile", "x/y"], "divides by a variable"),
    (["compile", "x/0"], "divides by zero"),
    (["compile", "x**-1"], "not a non-negative integer"),
    (["compile", "2**x"], "depends on a variable"),
    (["compile", "1e400*x"], "beyond the float64 range"),
    (["compile", "2**2**2**2**2*x"], "limit on constants"),
    (["compile", ""], "is empty"),
    (["compile", "x +* y"], "SyntaxError"),
    (["compile", "x" * 10**6], "characters, above the limit"),
    (["compile", "(" * 10**4 + "x" + ")" * 10**4], "brackets deep"),
    (["compile", "--", "-" * 20_000 + "x"], "too deeply nested"),
    # compile: sizes and magnitudes
    (["compile", "x**(10**9)"], "has degree 1,000,000,000"),
    (["compile", "(x + y + z)**400"], "about 80,601 monomials"),
    (["compile", "product:100000"], "between 1 and 4096"),
    (["compile", "ising2d:100000"], "between 2 and 724"),
    (["compile", "product:abc"], "takes an integer"),
    (["compile", "x*y", "--domain=0,1e200"], "about 1e400"),
    (["compile", "x*y", "--domain=-1e200,1e200"], "about 1e400"),
    (["compile", "1e308*x*y"], "about 1e308"),
    (["compile", "x*y", "--domain=1,1"], "lo < hi"),
    (["compile", "x*y", "--eps", "nan"], "eps must be finite"),
    (["compile", "x*y", "--save", "/nonexistent-deepcheap-dir/net.dcnet"], "does not exist"),
    (["compile", "x*y", "--save", "/proc/deepcheap-test.dcnet"], "cannot be written"),
    (["compile", "x*y", "--save", "."], "is a directory"),
    # gate
    (["gate", "product", "--scale", "1e300"], "outside the range this gate can represent"),
    (["gate", "product", "--scale", "1e-300"], "outside the range this gate can represent"),
    (["gate", "product", "--domain=-1e200,1e200"], "beyond what a degree-2 gate can represent"),
    (["gate", "product", "--domain=-1e-300,1e-300"], "below what a degree-2 gate can represent"),
    (["gate", "relu-square", "--domain=0,1e300"], "use |x| <= 1e150"),
    (["gate", "bit", "-k", "3", "--scale", "1e300"], "beta * k <= 1e+06"),
    (["gate", "product", "--points", "-1"], "--points must be between"),
    (["gate", "shallow", "--n", "100"], "between 1 and 12"),
    # ising exact
    (["ising", "exact", "--T", "0"], "T must be > 0"),
    (["ising", "exact", "--T", "1e-320"], "below 1e-300"),
    (["ising", "exact", "--T", "nan"], "T must be finite"),
    (["ising", "exact", "--L", "100000000"], "35.8 GiB"),
    (["ising", "exact", "--L", "4", "--T", "1e300", "--method", "kaufman"], "method='enumeration'"),
    (["ising", "exact", "--L", "11", "--method", "transfer"], "L <= 10"),
    (["ising", "exact", "--L", "6", "--T", "1e300", "--method", "transfer"], "no digits left"),
    # ising sample
    (["ising", "sample", "--L", "100000"], "above the limit of 4.0 GiB"),
    (["ising", "sample", "--seed", "-1"], "non-negative integer"),
    (["ising", "sample", "--chains", "100000"], "above the limit of 4.0 GiB"),
    (["ising", "sample", "--sweeps", "0"], "sweeps must be >= 1"),
    (["ising", "sample", "--T", "1e-4", "--L", "4"], "ising exact"),
    (["ising", "sample", "--L", "2048", "--T", "2.269", "--sweeps", "10"], "--algorithm metropolis"),
    (["ising", "sample", "--max-seconds", "-1"], "--max-seconds must be >= 0"),
    # flatten
    (["flatten", "product", "--n", "2..100000000"], "selects 99,999,999 values"),
    (["flatten", "product", "--n", "99999999999999999999"], "between 2 and 1024"),
    (["flatten", "product", "--n", "abc"], "--n takes N, A..B"),
    (["flatten", "product", "--n", "2", "--train", "--totals", "100000000"], "--totals must be between"),
    (["flatten", "product", "--n", "2", "--train", "--test-points", "100000000000"], "--test-points must be between"),
    (["flatten", "product", "--n", "2", "--train", "--seed", "-1"], "non-negative integer"),
    (["flatten", "linear", "fft", "--n", "3"], "power of two"),
    (["flatten", "linear", "lowrank", "--n", "100000000"], "use n <= 8192"),
    (["flatten", "linear", "fft", "--seed", "-1"], "non-negative integer"),
    # reproduce
    (["reproduce", "--only", ""], "--only needs claim ids"),
    (["reproduce", "--only", "C99"], "unknown claim"),
    (["reproduce", "--only", "C03", "--seed", "-1"], "non-negative integer"),
    (["reproduce", "--only", "C03", "--out", "/proc/deepcheap-test-out"], "cannot be created"),
    (["reproduce", "--executor", "nope", "--only", "C03"], "unknown executor"),
]


@pytest.mark.parametrize(("args", "match"), CLI_CASES, ids=[" ".join(a)[:60] for a, _ in CLI_CASES])
def test_cli_refuses_with_one_line(args, match, empty_dir):
    refuse(args, match)


def test_save_into_a_file_path_writes_nothing(empty_dir):
    (empty_dir / "file").mkdir()
    try:
        refuse(["compile", "x*y", "--save", str(empty_dir / "file")], "is a directory")
        refuse(["reproduce", "--only", "C03", "--out", str(Path(__file__))], "is a file")
    finally:
        (empty_dir / "file").rmdir()


x, y = sp.symbols("x y")
API_CASES = [
    (lambda: deepcheap.compile(None), NotAPolynomialError, "not an expression"),
    (lambda: deepcheap.compile(object()), NotAPolynomialError, "not an expression"),
    (lambda: deepcheap.compile(float("nan")), InvalidArgumentError, "not a finite number"),
    (lambda: deepcheap.compile(sp.sin(x)), NotAPolynomialError, "sin(x)"),
    (lambda: deepcheap.compile(x ** (10**9)), ResourceLimitError, "degree"),
    (lambda: deepcheap.compile((x + y + sp.Symbol("z")) ** 400), ResourceLimitError, "80,601 monomials"),
    (lambda: deepcheap.compile("x*y", domain=(0, 1e200)), InvalidArgumentError, "1e400"),
    (lambda: deepcheap.compile("x*y", variables=5), InvalidArgumentError, "variables"),
    (lambda: deepcheap.compile("x*y", device="nonsense"), InvalidArgumentError, "unknown device"),
    (lambda: deepcheap.compile("x*y", dtype="float128"), InvalidArgumentError, "dtype"),
    (lambda: compile_boolean("not boolean"), InvalidArgumentError, "does not read strings"),
    (lambda: compile_boolean(["a", "b"]), InvalidArgumentError, "not numbers"),
    (lambda: compile_boolean({(0,) * 30: 1}), InvalidArgumentError, "n <= 20"),
    (lambda: compile_boolean(x + y), NotAPolynomialError, "not a Boolean expression"),
    (lambda: deepcheap.load("/nonexistent-deepcheap-dir/net.dcnet"), DeepCheapError, "does not exist"),
    (lambda: gates.max_error(gates.product_gate(), points=-1), InvalidArgumentError, "points must be >= 1"),
    (lambda: gates.max_error(gates.product_gate(), points=0), InvalidArgumentError, "points must be >= 1"),
    (lambda: gates.max_error(gates.product_gate(), points=10**12), ResourceLimitError, "TiB"),
    (lambda: gates.max_error(gates.product_gate(), (0, 1e300)), InvalidArgumentError, "overflows float64"),
    (lambda: gates.max_error("gate"), InvalidArgumentError, "measures a deepcheap gate"),
    (lambda: gates.product_gate(scale=1e300), InvalidArgumentError, "outside the range"),
    (lambda: gates.square_gate(domain=(-1e200, 1e200)), InvalidArgumentError, "beyond what a degree-2 gate"),
    (lambda: gates.bit_product_gate(3, beta=1e300), InvalidArgumentError, "beta * k"),
    (lambda: flattening.depth_k_bound(10**9, 2), InvalidArgumentError, "between 2 and 100000"),
    (lambda: flattening.product_networks(10**9), ResourceLimitError, "10^301,029,996"),
    (lambda: flattening.grouped_product(10**6, (10**6,)), InvalidArgumentError, "b <= 12"),
    (lambda: flattening.linear_summary("fft", 8, seed=-1), InvalidArgumentError, "non-negative integer"),
    (lambda: exact.log_partition(10**8, 2.0), ResourceLimitError, "GiB"),
    (lambda: exact.sample_exact(3, 2.0, 10**12, 0), ResourceLimitError, "TiB"),
    (lambda: exact.exact_thermodynamics(4, "hot"), InvalidArgumentError, "T must be a number"),
    (lambda: ising.sample_summary(4, 1e-4, seed=0), InvalidArgumentError, "below the samplers' range"),
    (lambda: ising.sample_summary(4, 2.0, seed=-1), InvalidArgumentError, "non-negative integer"),
    (lambda: ising.sample_summary(2048, 2.269, sweeps=10, max_seconds=60, seed=0), ResourceLimitError, "metropolis"),
    (lambda: samplers.IsingChains(8, 2.0, chains=10**9, seed=0), ResourceLimitError, "GiB"),
    (lambda: samplers.sample_configurations(8, 2.0, 10**9, 0), ResourceLimitError, "GiB"),
    (lambda: library.ising_2d(10**6), InvalidArgumentError, "between 2 and 724"),
    (lambda: library.random_sparse_polynomial(3, 3, 3, seed=-1), InvalidArgumentError, "non-negative integer"),
    (lambda: get_claim("C02").run(scale="huge"), InvalidArgumentError, "scale must be one of quick, full"),
    (lambda: get_claim("C02").run(seed=-1), InvalidArgumentError, "non-negative integer"),
    (lambda: get_claim("C02").run(config=get_claim("C03").QUICK), InvalidArgumentError, "takes a"),
    (lambda: get_claim(5), InvalidArgumentError, "a claim id is a string"),
]


@pytest.mark.parametrize(("call", "error", "match"), API_CASES, ids=[m for _, _, m in API_CASES])
def test_api_raises_the_projects_errors(call, error, match):
    start = time.perf_counter()
    with pytest.raises(error) as info:
        call()
    assert match in str(info.value)
    assert time.perf_counter() - start < SECONDS


# --- no payload runs: a sentinel file that any executed payload would create ------------------------

PAYLOADS = [
    "__import__('os').system('touch {s}')",
    "__import__('pathlib').Path('{s}').touch()",
    "x.__class__.__base__.__subclasses__()",
    "exec(\"open('{s}', 'w')\")",
    "eval(\"open('{s}', 'w')\")",
    "S(\"__import__('os').system('touch {s}')\")",
    "(lambda: open('{s}', 'w'))()",
    "[open('{s}', 'w') for _ in 'a']",
    "f\"{{open('{s}', 'w')}}\"",
    "x + (y := open('{s}', 'w'))",
    "x*y + __builtins__",
    "Symbol('x') ** open('{s}', 'w')",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_executes_in_the_api(payload, tmp_path):
    sentinel = tmp_path / "SENTINEL"
    text = payload.format(s=sentinel)
    with pytest.raises(DeepCheapError):
        deepcheap.compile(text)
    with pytest.raises(DeepCheapError):
        parse(text)
    assert not sentinel.exists()


@pytest.mark.parametrize("text", ["x" * 10**6, "(" * 10**4 + "x" + ")" * 10**4, "(" + "x+" * 10**4 + "x)",
                                  "x*" * 10**4 + "x", "x**" * 3000 + "x"])
def test_huge_and_deep_strings_are_refused_quickly(text):
    start = time.perf_counter()
    with pytest.raises(DeepCheapError):
        deepcheap.compile(text)
    assert time.perf_counter() - start < 3.0


def test_long_sums_still_read():
    """The reader splits top-level sums before parsing, so a 10,000-term sum is not a nesting problem."""
    text = " + ".join(f"x_{i}*x_{i + 1}" for i in range(10_000))
    assert len(parse(text)) == 10_000


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_executes_through_the_cli(payload, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sentinel = tmp_path / "SENTINEL"
    result = runner.invoke(app, ["compile", payload.format(s=sentinel)])
    assert result.exit_code == 2 and result.stderr.startswith("error: ") and result.stdout == ""
    assert not sentinel.exists() and list(tmp_path.iterdir()) == []


def test_no_payload_executes_in_a_real_process(tmp_path):
    """The real `deepcheap` process (one start, the imports are slow): status 2, one error line, no traceback."""
    sentinel = tmp_path / "SENTINEL"
    out = subprocess.run([sys.executable, "-m", "deepcheap", "compile", PAYLOADS[0].format(s=sentinel)],
                         capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "COLUMNS": "200"},
                         timeout=120)
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith("error: ") and len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr and out.stdout == ""
    assert not sentinel.exists() and list(tmp_path.iterdir()) == []


def test_extreme_temperatures_on_the_command_line():
    """T = 1e-4 is the ground state (E/N = -2, C/N = 0); T = 1e300 the high-temperature limit (E/N = -2 tanh K)."""
    import json

    cold = json.loads(runner.invoke(app, ["ising", "exact", "--L", "64", "--T", "1e-4", "--json"]).stdout)
    assert cold["energy_per_site"] == -2.0 and cold["specific_heat_per_site"] == 0.0
    hot = json.loads(runner.invoke(app, ["ising", "exact", "--L", "64", "--T", "1e300", "--json"]).stdout)
    assert hot["energy_per_site"] == pytest.approx(-2e-300, rel=1e-12)
    assert hot["free_energy_per_site"] == pytest.approx(-1e300 * np.log(2), rel=1e-12)
    small = json.loads(runner.invoke(app, ["ising", "exact", "--L", "4", "--T", "1e-4", "--json"]).stdout)
    assert small["method"] == "enumeration" and small["energy_per_site"] == -2.0
