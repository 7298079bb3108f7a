"""The command line: JSON contracts, one-line errors with exit status 2, the reproduce outputs."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from deepcheap import __version__
from deepcheap.claims import verdict
from deepcheap.claims.base import Check
from deepcheap.cli import app

runner = CliRunner()
GATE_KEYS = {"neurons", "synapses", "scale", "bias", "predicted_error", "max_error"}


def invoke(*args):
    return runner.invoke(app, list(args))


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and __version__ in result.stdout


def test_python_dash_m_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "deepcheap", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"deepcheap {__version__}"


@pytest.mark.parametrize(
    ("args", "neurons", "bound"),
    [
        (["gate", "product"], 4, 3e-8),
        (["gate", "product", "--order", "4"], 4, 1e-10),
        (["gate", "product", "--dtype", "float32"], 4, 1e-3),
        (["gate", "product", "--activation", "tanh"], 4, 1e-7),
        (["gate", "square", "--domain=-2,2"], 2, 1e-6),
        (["gate", "bit", "-k", "5"], 1, 1e-6),
        (["gate", "shallow", "--n", "4"], 16, 1e-3),
        (["gate", "identity"], 2, 1e-14),
        (["gate", "relu-square", "--depth", "6"], 17, 2.0**-14),
        (["gate", "relu-product", "--eps", "1e-4"], 4 + 6 * 6 - 2, 1e-4),
    ],
)
def test_gate_json(args, neurons, bound):
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload.keys() >= GATE_KEYS
    assert payload["neurons"] == neurons
    assert payload["max_error"] <= bound * (1 + 1e-6)  # the bit gate meets its requested error up to rounding


def test_gate_table_output():
    result = invoke("gate", "product")
    assert result.exit_code == 0 and "max_error" in result.stdout


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["gate", "product", "--activation", "relu"], "Yarotsky"),
        (["gate", "product", "--activation", "nope"], "unknown activation"),
        (["gate", "product", "--order", "3"], "order"),
        (["gate", "product", "--dtype", "float8"], "dtype"),
        (["gate", "product", "--scale", "0"], "scale"),
        (["gate", "product", "--scale", "-1"], "scale"),
        (["gate", "product", "--domain", "1,-1"], "lo < hi"),
        (["gate", "wedge"], "gate kind"),
        (["gate", "product", "--points", "10"], "10,000"),
        (["gate", "shallow", "--n", "13"], "n must be between 1 and 12"),
        (["gate", "relu-square", "--depth", "0"], "m must be"),
        (["reproduce", "--only", "C99"], "unknown claim"),
        (["reproduce", "--executor", "mpi"], "executor"),
    ],
)
def test_bad_input_is_one_line_exit_2(args, match):
    result = invoke(*args, "--json") if args[0] == "gate" else invoke(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and match in lines[0]
    assert "Traceback" not in result.stderr


def test_claims_listing():
    result = invoke("claims", "--json")
    ids = [c["id"] for c in json.loads(result.stdout)["claims"]]
    assert {"C02", "C03", "C04"} <= set(ids)


def test_reproduce_writes_all_outputs(tmp_path):
    out = tmp_path / "run"
    result = invoke("reproduce", "--executor", "serial", "--quick", "--only", "C02,C03", "--out", str(out))
    assert result.exit_code == 0, result.output
    for name in ("report.md", "report.html", "results.json", "manifest.json", "trials.jsonl"):
        assert (out / name).stat().st_size > 0, name
    pngs = sorted(p.name for p in (out / "figures").glob("*.png"))
    results = json.loads((out / "results.json").read_text())
    assert pngs == sorted(f"{c['claim']}_{name}.png" for c in results["claims"] for name in c["figures"])
    assert {p[:3] for p in pngs} == {"C02", "C03"}
    for claim in results["claims"]:
        fields = ("name", "value", "role", "low", "high", "predicted", "caveat", "headline", "detail", "timed")
        checks = [Check(**{k: c[k] for k in fields}) for c in claim["checks"]]
        assert claim["verdict"] == verdict(checks)  # the stored verdict follows the stored numbers
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scale"] == "quick" and manifest["versions"]["torch"]
    assert set(manifest["timings"]) == {"C02", "C03"}
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == len(pngs)
    assert "](figures/C02_error_vs_lambda.png)" in (out / "report.md").read_text()


def test_reproduce_resume_refuses_a_different_scale(tmp_path):
    out = tmp_path / "run"
    assert invoke("reproduce", "--executor", "serial", "--only", "C03", "--out", str(out)).exit_code == 0
    result = invoke("reproduce", "--executor", "serial", "--full", "--only", "C03", "--out", str(out), "--resume")
    assert result.exit_code == 2 and "same --quick/--full" in result.stderr


COMPILE_KEYS = {"neurons", "synapses", "depth", "multiplications", "max_error", "predicted_error", "variables"}


@pytest.mark.parametrize(
    ("args", "neurons"),
    [
        (["x**2*y - 3*z"], 6),
        (["x^2*y - 3*z", "--eps", "1e-6"], 6),
        (["product:5", "--strategy", "shallow"], 32),
        (["ising2d:4"], 128),
        (["7"], 0),
    ],
)
def test_compile_json(args, neurons):
    result = invoke("compile", *args, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload.keys() >= COMPILE_KEYS
    assert payload["neurons"] == neurons
    assert payload["max_error"] <= max(payload["predicted_error"], 1e-15)


def test_compile_save_then_load(tmp_path):
    import deepcheap

    path = tmp_path / "h.dcnet"
    result = invoke("compile", "x*y + y*z", "--save", str(path))
    assert result.exit_code == 0, result.output
    assert deepcheap.load(path).variables == ("x", "y", "z")


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["sin(x) + y"], "sin(x)"),
        (["1/x"], "1/x"),
        (["sqrt(x)*y"], "sqrt(x)"),
        (["x*y", "--domain", "1,1"], "lo < hi"),
        (["x*y", "--dtype", "float32", "--eps", "1e-9"], "float64"),
        (["x*y", "--strategy", "wide"], "strategy"),
        (["ising2d:big"], "integer"),
    ],
)
def test_compile_bad_input(args, match):
    result = invoke("compile", *args, "--json")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert match in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_flatten_product_counts():
    result = invoke("flatten", "product", "--n", "2..6", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert [r["shallow_neurons"] for r in rows] == [4, 8, 16, 32, 64]
    assert [r["deep_neurons"] for r in rows] == [4, 8, 12, 16, 20]
    assert rows[-1]["C_n"] == pytest.approx(3.2)
    assert all(r["certificate_rank"] == r["shallow_neurons"] for r in rows)
    # the sign-sum gate sits at b = 0 for even n, where softplus has c_3 = 0: the certificate's hypotheses fail
    assert [r["certificate_applies"] for r in rows] == [True, True, False, True, False]


def test_flatten_product_train_runs_the_depth_size_grid_in_total_neurons():
    result = invoke("flatten", "product", "--n", "3", "--train", "--domain", "signed", "--depths", "1,2", "--totals",
                    "4..8", "--seeds", "2", "--steps", "40", "--lrs", "0.03", "--batch", "64", "--test-points", "1000",
                    "--json")
    assert result.exit_code == 0, result.output
    grid = json.loads(result.stdout)["grid"]
    assert (grid["steps"], grid["seeds"], grid["totals"], grid["depths"]) == (40, 2, [4, 8], [1, 2])
    [task] = grid["tasks"]
    assert (task["n"], task["domain"], task["activation"]) == (3, "signed", "tanh")
    even = [c for c in task["cells"] if c["shape"] == "even"]
    assert sorted((c["depth"], c["neurons"]) for c in even) == [(1, 4), (1, 8), (2, 4), (2, 8)]
    assert all(sum(c["widths"]) == c["neurons"] and len(c["errors"]) == 2 for c in task["cells"])
    assert [c["widths"] for c in task["cells"] if c["shape"] == "tapered"] == [[6, 3]]
    assert task["bounds"] == {"1": 8, "2": 8} and set(task["n_star"]) == {"1", "2"}
    assert task["doubled"] and {"ratio", "ratio_is_lower_bound"} <= task["equal_error"].keys()


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["product", "--n", "1"], "n must be between 2 and 1024"),
        (["product", "--n", "two"], "--n takes"),
        (["product", "--n", "20"], "1,048,576 neurons"),
        (["product", "--n", "2", "--train", "--depths", "0"], "--depths"),
        (["product", "--n", "2", "--train", "--totals", "3..3"], "no power of two"),
        (["product", "--n", "2", "--train", "--lrs", "fast"], "--lrs takes"),
        (["product", "--n", "2", "--train", "--domain", "sphere"], "--domain must be one of"),
        (["linear", "wavelet"], "kind"),
    ],
)
def test_flatten_bad_input(args, match):
    result = invoke("flatten", *args, "--json")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert match in result.stderr


@pytest.mark.parametrize(("kind", "n"), [("fft", 1024), ("lowrank", 256), ("sparse", 200), ("matmul", 64)])
def test_flatten_linear_json(kind, n):
    result = invoke("flatten", "linear", kind, "--n", str(n), "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert {"deep_synapses", "flat_synapses", "C_s", "max_error"} <= payload.keys()
    assert payload["C_s"] == pytest.approx(payload["flat_synapses"] / payload["deep_synapses"])
    if kind == "fft":
        assert payload["C_s"] == pytest.approx(1024 / 20)
        assert payload["max_error"] <= 1e-10
