"""`deepcheap compile --onnx` and `deepcheap decompile FILE`: the artefact commands."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from deepcheap.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(args))


def test_decompile_prints_the_polynomial_and_its_residual(tmp_path):
    path = tmp_path / "h.dcnet"
    assert invoke("compile", "x**2*y - 3*z + 0.5", "--eps", "1e-9", "--save", str(path)).exit_code == 0
    result = invoke("decompile", str(path))
    assert result.exit_code == 0, result.output
    assert "x**2*y - 3.0*z + 0.5" in result.stdout and "residual max" in result.stdout
    payload = json.loads(invoke("decompile", str(path), "--json").stdout)
    assert payload["method"] == "least-squares" and payload["degree"] == 3
    assert payload["residual"]["max"] < 1e-8 and payload["residual"]["points"] == 4096
    terms = {json.dumps(t["monomial"], sort_keys=True): t["coefficient"] for t in payload["coefficients"]}
    assert terms.keys() == {'{"x": 2, "y": 1}', '{"z": 1}', "{}"}
    assert abs(terms['{"z": 1}'] + 3) < 1e-8
    spins = json.loads(invoke("decompile", str(path), "--inputs", "spins", "--json").stdout)
    assert spins["method"] == "walsh-hadamard" and spins["residual"]["on"] == "all 2^3 spin states"
    assert [t["monomial"] for t in spins["coefficients"]] == [{}, {"y": 1}, {"z": 1}]  # x^2 = 1 on spins


def test_decompile_of_a_boolean_network_is_its_multilinear_polynomial(tmp_path):
    import sympy as sp

    import deepcheap

    path = tmp_path / "parity.dcnet"
    deepcheap.save(deepcheap.compile_boolean(sp.Xor(*sp.symbols("a b c"))), path)
    payload = json.loads(invoke("decompile", str(path), "--json").stdout)
    assert payload["method"] == "moebius" and len(payload["coefficients"]) == 7
    assert sorted(round(t["coefficient"]) for t in payload["coefficients"]) == [-2, -2, -2, 1, 1, 1, 4]


def test_decompile_errors_are_one_line(tmp_path):
    (tmp_path / "junk.dcnet").write_text("junk")
    result = invoke("decompile", str(tmp_path / "junk.dcnet"))
    assert result.exit_code == 2 and "not a deepcheap network" in result.output
    deepcheap_file = tmp_path / "h.dcnet"
    invoke("compile", "x*y", "--save", str(deepcheap_file))
    result = invoke("decompile", str(deepcheap_file), "--tol", "small")
    assert result.exit_code == 2 and "--tol" in result.output


def test_compile_writes_onnx(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    path = tmp_path / "h.onnx"
    result = invoke("compile", "x*y - z", "--eps", "1e-6", "--onnx", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["onnx"] == str(path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    y = session.run(["y"], {"x": np.array([[0.5, 0.4, 0.1]])})[0]
    assert abs(y[0] - 0.1) < 1e-6
