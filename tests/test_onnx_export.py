"""ONNX export: onnxruntime against the torch module it was exported from (skipped without the onnx extra)."""

import json

import numpy as np
import pytest
import sympy as sp
import torch

import deepcheap
from deepcheap import library
from deepcheap.errors import InvalidArgumentError

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

TOLERANCE = {torch.float64: 1e-12, torch.float32: 1e-5}
BOOLEAN = sp.Xor(*sp.symbols("a b c d")) | sp.Symbol("e")
POLY = "x**2*y - 3*z + x*y*z*w"

# eps per dtype chosen so read-out weights stay moderate: see test_at_the_rounding_floor for the defaults
NETWORKS = {
    "deep": lambda d: deepcheap.compile(POLY, eps=1e-6 if d == torch.float64 else 1e-2, dtype=d),
    "shallow": lambda d: deepcheap.compile(POLY, strategy="shallow", eps=1e-3 if d == torch.float64 else 1e-1,
                                           dtype=d),
    "relu": lambda d: deepcheap.compile(POLY, strategy="relu", eps=1e-6 if d == torch.float64 else 1e-3, dtype=d),
    "boolean": lambda d: deepcheap.compile_boolean(BOOLEAN, error=1e-6 if d == torch.float64 else 1e-3, dtype=d),
    "ising2d:16": lambda d: deepcheap.compile(library.ising_2d(16), eps=1e-5 if d == torch.float64 else 1e-1,
                                              dtype=d),
}


def _inputs(net, rows=3000, seed=0):
    generator = torch.Generator().manual_seed(seed)
    n = len(net.variables)
    if net.binary:
        return torch.randint(0, 2, (rows, n), generator=generator).to(net.dtype)
    return (torch.rand(rows, n, generator=generator, dtype=torch.float64) * 2 - 1).to(net.dtype)


def _run(path_or_model, x):
    payload = path_or_model.SerializeToString() if hasattr(path_or_model, "SerializeToString") else str(path_or_model)
    session = ort.InferenceSession(payload, providers=["CPUExecutionProvider"])
    return session.run(["y"], {"x": x.numpy()})[0]


CASES = [(name, dtype, form) for name in NETWORKS for dtype in (torch.float64, torch.float32) for form in ("dag", "mlp")
         if (name, dtype, form) != ("ising2d:16", torch.float32, "mlp")]  # at the rounding floor: see below


@pytest.mark.parametrize(("name", "dtype", "form"), CASES, ids=[f"{n}-{str(d)[6:]}-{f}" for n, d, f in CASES])
def test_onnxruntime_equals_the_torch_module(tmp_path, name, dtype, form):
    net = NETWORKS[name](dtype)
    path = deepcheap.export_onnx(net, tmp_path / f"{name}.onnx", form=form)
    x = _inputs(net)
    y = _run(path, x)
    with torch.no_grad():
        reference = (net.module if form == "dag" else net.mlp)(x).numpy()
    assert y.shape == reference.shape and y.dtype == reference.dtype
    # relative to the output's size: ising2d:16 reaches |H| = 512, where one float32 ulp is 3e-5
    scale = max(1.0, float(np.abs(reference).max()))
    assert np.abs(y - reference).max() <= TOLERANCE[dtype] * scale


FLOOR = [(POLY, "deep", "dag"), (POLY, "shallow", "dag"), (POLY, "deep", "mlp"), (library.ising_2d(16), "deep", "dag"),
         (library.ising_2d(16), "deep", "mlp")]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize(("expr", "strategy", "form"), FLOOR,
                         ids=["deep", "shallow", "deep-mlp", "ising2d:16", "ising2d:16-mlp"])
def test_at_the_rounding_floor(expr, strategy, form, dtype):
    """At the default eps (the best the dtype allows) rounding is the error: the two runtimes round exp, log and
    long sums differently by an ulp, times read-out weights up to 1e7. The export keeps the network's guarantee
    (DAG form) and is as accurate as torch (within 2x of the torch module's measured error on the same inputs).
    (The strict float32 MLP of ising2d:16, 2048 units summed at once, is itself 0.02 from H in torch.)"""
    net = deepcheap.compile(expr, strategy=strategy, dtype=dtype)
    x = _inputs(net, rows=1000)
    y = _run(deepcheap.compiler.onnx_export.to_onnx_model(net, form=form), x).reshape(-1)
    with torch.no_grad():
        reference = (net.module if form == "dag" else net.mlp)(x).numpy().reshape(-1)
    exact = net.target(x).numpy()
    onnx_error, torch_error = np.abs(y - exact).max(), np.abs(reference - exact).max()
    print(f"|onnx - torch| {np.abs(y - reference).max():.3g}; errors: onnx {onnx_error:.3g}, torch {torch_error:.3g}")
    if form == "dag":
        assert onnx_error <= net.predicted_error
    assert onnx_error <= 2 * torch_error


def test_metadata_names_the_inputs_and_the_network(tmp_path):
    net = deepcheap.compile("x**2*y - 3*z", eps=1e-6)
    model = onnx.load(str(deepcheap.export_onnx(net, tmp_path / "h.onnx")))
    props = {p.key: p.value for p in model.metadata_props}
    assert json.loads(props["deepcheap.variables"]) == ["x", "y", "z"]
    assert props["deepcheap.version"] == deepcheap.__version__
    assert props["deepcheap.strategy"] == "deep" and props["deepcheap.form"] == "dag"
    assert sp.sympify(props["deepcheap.expression"]) == net.expression  # test-side only: we wrote it
    assert [i.name for i in model.graph.input] == ["x"] and [o.name for o in model.graph.output] == ["y"]
    assert model.opset_import[0].version == deepcheap.compiler.onnx_export.OPSET


def test_a_float64_network_exported_as_float32():
    net = deepcheap.compile("x*y - z", strategy="relu", eps=1e-4)
    model = deepcheap.compiler.onnx_export.to_onnx_model(net, dtype="float32")
    x = _inputs(net).float()
    with torch.no_grad():
        reference = net.module(x.double()).numpy()
    y = _run(model, x)
    assert y.dtype == np.float32 and np.abs(y - reference).max() < 1e-5


def test_every_smooth_activation_exports(tmp_path):
    for activation in ("softplus", "sigmoid", "tanh", "exp", "silu", "quadratic"):
        net = deepcheap.compile("x*y + z**2", activation=activation, eps=1e-4, order=2 if activation == "exp" else 4)
        x = _inputs(net, rows=500)
        with torch.no_grad():
            reference = net.module(x).numpy()
        assert np.abs(_run(deepcheap.compiler.onnx_export.to_onnx_model(net), x) - reference).max() < 1e-11
    gelu = deepcheap.compile("x*y", activation="gelu", eps=1e-3, dtype=torch.float32)
    x = _inputs(gelu, rows=500)
    with torch.no_grad():
        assert np.abs(_run(deepcheap.compiler.onnx_export.to_onnx_model(gelu), x) - gelu.module(x).numpy()).max() < 1e-5
    with pytest.raises(InvalidArgumentError, match="float32"):
        deepcheap.export_onnx(deepcheap.compile("x*y", activation="gelu", eps=1e-6), tmp_path / "g.onnx")


def test_bad_arguments_are_refused(tmp_path):
    net = deepcheap.compile("x*y")
    with pytest.raises(InvalidArgumentError, match="form"):
        deepcheap.export_onnx(net, tmp_path / "a.onnx", form="graph")
    with pytest.raises(InvalidArgumentError, match="CompiledNetwork"):
        deepcheap.export_onnx("x*y", tmp_path / "a.onnx")


@pytest.mark.parametrize("form", ["dag", "mlp"])
def test_a_fine_tuned_warm_start_exports_as_it_is(form):
    from deepcheap.compiler.trainable import fine_tune

    net = deepcheap.compile("x*y*z", eps=0.3)
    model = net.trainable(form=form)
    fine_tune(model, net.target, net.domain, steps=20, lr=1e-2, points=256, evaluate_every=5,
              generator=torch.Generator().manual_seed(0))
    x = _inputs(net, rows=500)
    with torch.no_grad():
        reference = model(x).numpy()
    exported = deepcheap.compiler.onnx_export.to_onnx_model(model, form=form)
    assert np.abs(_run(exported, x) - reference).max() < 1e-12
    props = {p.key: p.value for p in exported.metadata_props}
    assert json.loads(props["deepcheap.variables"]) == ["x1", "x2", "x3"]
