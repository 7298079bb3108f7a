"""ONNX export of compiled networks: the DAG form or the strict MLP, built node by node with ``onnx.helper``.

>>> import deepcheap, tempfile, os
>>> net = deepcheap.compile("x*y - z")
>>> path = deepcheap.export_onnx(net, os.path.join(tempfile.mkdtemp(), "net.onnx"))  # doctest: +SKIP
>>> import onnxruntime, numpy                                                         # doctest: +SKIP
>>> session = onnxruntime.InferenceSession(path)                                      # doctest: +SKIP
>>> session.run(["y"], {"x": numpy.array([[0.5, 0.4, 0.1]])})[0]                     # doctest: +SKIP
array([0.1])

The graph (opset :data:`OPSET`): one input ``x`` of shape (N, n) with columns in the order of
``metadata_props["deepcheap.variables"]`` (a JSON list), one output ``y``: shape (N,) for
``form="dag"`` (like ``net.module``), (N, 1) for ``form="mlp"`` (like ``net.mlp``). The model's
``metadata_props`` also hold ``deepcheap.version``, ``deepcheap.expression``, ``deepcheap.strategy``,
``deepcheap.activation``, ``deepcheap.form``, ``deepcheap.dtype``, ``deepcheap.domain`` (JSON) and
``deepcheap.predicted_error``.

* ``form="dag"``: each gate bank becomes Gather (its inputs from a value table), one Mul+Add per gate
  input (the same order of operations as :class:`~deepcheap.compiler.build.GateBank`), the
  activation, and a read-out; values needed later are appended to the table by Concat (ONNX values
  are immutable), with the bank's slot indices renumbered accordingly.
* ``form="mlp"``: MatMul + Add and the activation per layer.

Why not ``torch.onnx.export``: measured with torch 2.13, its default (dynamo) exporter needs the
``onnxscript`` package; the legacy TorchScript exporter warns that it is deprecated, traces the DAG
module's chunk loop with TracerWarnings, and emits ``Softplus``, which onnxruntime does not
implement in float64. Here softplus is written as torch computes it (x above 20, else
log1p(exp(x)), log1p in Goldberg's accurate form), and float64 works throughout.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

from deepcheap._version import __version__
from deepcheap.errors import InvalidArgumentError, MissingExtraError, ResourceLimitError, check_choice
from deepcheap.precision import dtype_name, resolve_dtype

OPSET = 17
INPUT_NAME = "x"
OUTPUT_NAME = "y"
FORMS = ("dag", "mlp")
MAX_MODEL_BYTES = 1_800_000_000  # protobuf's hard limit is 2 GiB for one file
SOFTPLUS_THRESHOLD = 20.0  # torch.nn.functional.softplus's default: x itself above it


def require_onnx():
    """Import onnx or raise :class:`MissingExtraError` with the pip command."""
    try:
        import onnx
    except ImportError:
        raise MissingExtraError('ONNX export needs the onnx extra: pip install "deepcheap[onnx]" '
                                "(onnx and onnxruntime).") from None
    return onnx


def export_onnx(net, path: str | Path, *, form: str = "dag", dtype=None) -> Path:
    """Write ``net`` as an ONNX file; returns the path.

    ``net``: a CompiledNetwork, or a DAG module / strict ``nn.Sequential`` of one, e.g. a fine-tuned
    ``net.trainable(form)`` (its inputs are then named x1..xn in the metadata). ``dtype``: the graph's
    float type (default: the network's); weights are cast to it.
    """
    onnx = require_onnx()
    model = to_onnx_model(net, form=form, dtype=dtype)
    path = Path(path)
    onnx.save_model(model, str(path))
    return path


def to_onnx_model(net, *, form: str = "dag", dtype=None):
    """The ``onnx.ModelProto`` that :func:`export_onnx` writes (checked with ``onnx.checker``)."""
    onnx = require_onnx()
    from onnx import helper

    from deepcheap.compiler.build import DagModule
    from deepcheap.compiler.network import CompiledNetwork

    form = check_choice("form", form, FORMS)
    metadata: dict[str, str] = {"deepcheap.version": __version__, "deepcheap.form": form}
    if isinstance(net, CompiledNetwork):
        metadata.update(_network_metadata(net))
        module = net.module if form == "dag" else net.mlp
        n_inputs = len(net.variables)
    elif isinstance(net, DagModule | nn.Sequential):
        module, n_inputs = net, _inputs_of(net)
        if (form == "dag") != isinstance(net, DagModule):
            raise InvalidArgumentError(f"form={form!r} does not match a {type(net).__name__}; pass the "
                                       "CompiledNetwork to choose the form.")
        metadata["deepcheap.variables"] = json.dumps([f"x{i}" for i in range(1, n_inputs + 1)])
    else:
        raise InvalidArgumentError(f"export_onnx takes a CompiledNetwork (or its DagModule / strict nn.Sequential); "
                                   f"got {type(net).__name__}.")
    dtype = resolve_dtype(dtype if dtype is not None else _dtype_of(module))
    metadata["deepcheap.dtype"] = dtype_name(dtype)
    graph = _Graph(dtype)
    if form == "dag":
        out, out_shape = _dag(graph, module, n_inputs), ["N"]
    else:
        out, out_shape = _mlp(graph, module), ["N", 1]
    elem = graph.elem
    proto = helper.make_graph(
        graph.nodes, "deepcheap",
        [helper.make_tensor_value_info(INPUT_NAME, elem, ["N", n_inputs])],
        [helper.make_tensor_value_info(OUTPUT_NAME, elem, out_shape)],
        graph.initializers,
    )
    proto.node.append(helper.make_node("Identity", [out], [OUTPUT_NAME]))
    model = helper.make_model(proto, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="deepcheap",
                              producer_version=__version__)
    model.ir_version = min(model.ir_version, 8)  # opset 17's IR version, readable by older runtimes
    helper.set_model_props(model, metadata)
    if model.ByteSize() > MAX_MODEL_BYTES:
        raise ResourceLimitError(f"the ONNX model would be {model.ByteSize() / 2**30:.2f} GiB, above protobuf's "
                                 "2 GiB limit for one file; export form='dag' (sparse).")
    onnx.checker.check_model(model)
    return model


def _network_metadata(net) -> dict[str, str]:
    return {
        "deepcheap.variables": json.dumps(list(net.variables)),
        "deepcheap.expression": str(net.expression),
        "deepcheap.strategy": net.strategy,
        "deepcheap.activation": net.activation,
        "deepcheap.domain": json.dumps(list(net.domain)),
        "deepcheap.predicted_error": repr(float(net.predicted_error)),
    }


def _inputs_of(module) -> int:
    if isinstance(module, nn.Sequential):
        return next(m for m in module if isinstance(m, nn.Linear)).in_features
    return module.n_inputs


def _dtype_of(module) -> torch.dtype:
    return next(t.dtype for t in [*module.parameters(), *module.buffers()] if t.is_floating_point())


class _Graph:
    """Nodes and initialisers under construction; every value gets a fresh name."""

    def __init__(self, dtype: torch.dtype):
        from onnx import TensorProto

        self.np_dtype = np.float64 if dtype == torch.float64 else np.float32
        self.elem = TensorProto.DOUBLE if dtype == torch.float64 else TensorProto.FLOAT
        if dtype not in (torch.float64, torch.float32):
            raise InvalidArgumentError(f"ONNX export supports float64 and float32; got {dtype}.")
        self.dtype = dtype
        self.nodes: list = []
        self.initializers: list = []
        self._count = 0

    def name(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"

    def const(self, value, stem: str = "c", *, integer: bool = False) -> str:
        from onnx import numpy_helper

        array = np.asarray(value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value)
        array = array.astype(np.int64 if integer else self.np_dtype)
        name = self.name(stem)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def op(self, op_type: str, *inputs: str, stem: str | None = None, **attrs) -> str:
        from onnx import helper

        out = self.name(stem or op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], **attrs))
        return out


# --- activations: each computed as torch computes it ----------------------------------------------


def _activation(g: _Graph, name: str, z: str) -> str:
    if name == "softplus":
        big = g.op("Greater", z, g.const(SOFTPLUS_THRESHOLD))
        return g.op("Where", big, z, _log1p(g, g.op("Exp", z)))
    if name == "sigmoid":
        return _sigmoid(g, z)
    if name == "tanh":
        return g.op("Tanh", z)
    if name == "exp":
        return g.op("Exp", z)
    if name == "relu":
        return g.op("Relu", z)
    if name == "quadratic":
        return g.op("Mul", z, z)
    if name == "silu":
        return g.op("Div", z, g.op("Add", g.const(1.0), g.op("Exp", g.op("Neg", z))))
    if name == "gelu":
        if g.dtype == torch.float64:
            raise InvalidArgumentError("onnxruntime has no float64 Erf, so a gelu network cannot be exported in "
                                       "float64; pass dtype='float32' or compile with another activation.")
        erf = g.op("Erf", g.op("Mul", z, g.const(1.0 / math.sqrt(2.0))))
        return g.op("Mul", g.op("Mul", z, g.const(0.5)), g.op("Add", erf, g.const(1.0)))
    raise InvalidArgumentError(f"no ONNX form for activation {name!r}.")  # pragma: no cover - registry is closed


def _sigmoid(g: _Graph, z: str) -> str:
    """1 / (1 + exp(-z)) as torch computes it (onnxruntime's float32 Sigmoid is an approximation, ~2e-6)."""
    return g.op("Reciprocal", g.op("Add", g.const(1.0), g.op("Exp", g.op("Neg", z))))


def _log1p(g: _Graph, u: str) -> str:
    """log(1 + u) to within a few ulp (Goldberg): w = 1 + u; u if w == 1 else log(w) * u / (w - 1)."""
    one = g.const(1.0)
    w = g.op("Add", one, u)
    ratio = g.op("Div", u, g.op("Sub", w, one))
    return g.op("Where", g.op("Equal", w, one), u, g.op("Mul", g.op("Log", w), ratio))


# --- the two forms -------------------------------------------------------------------------------


def _mlp(g: _Graph, module: nn.Sequential) -> str:
    h = INPUT_NAME
    for layer in module:
        if isinstance(layer, nn.Linear):
            W = g.const(layer.weight.detach().T, "W")
            h = g.op("Add", g.op("MatMul", h, W), g.const(layer.bias.detach(), "b"))
        elif hasattr(layer, "name"):  # ActivationModule
            h = _activation(g, layer.name, h)
        else:
            raise InvalidArgumentError(f"a strict MLP has Linear and activation layers only; found "
                                       f"{type(layer).__name__}.")
    return h


def _dag(g: _Graph, module, n_inputs: int) -> str:
    """The DAG module's banks in order; slot s of the module lives in column column_of[s] of ``table``."""
    table = INPUT_NAME
    column_of = {i: i for i in range(n_inputs)}
    acc = g.op("Add", g.op("MatMul", INPUT_NAME, g.const(module.linear, "linear")), g.const(module.bias, "bias"))
    for bank in module.banks:
        G, k = bank.index.shape
        index = [[column_of[int(s)] for s in row] for row in bank.index.tolist()]
        h = g.op("Gather", table, g.const(np.array(index).reshape(-1), "index", integer=True), axis=1)
        h = g.op("Reshape", h, g.const([0, G, k], "shape", integer=True))
        for layer in range(bank.depth):
            W, b = getattr(bank, f"W{layer}"), getattr(bank, f"b{layer}")
            z = g.const(b, "b")
            for p in range(W.shape[2]):
                column = g.op("Slice", h, *(g.const([v], integer=True) for v in (p, p + 1, 2)))
                z = g.op("Add", z, g.op("Mul", column, g.const(W[:, :, p], "W")))
            h = _activation(g, bank.activation, z)
        values = g.op("ReduceSum", g.op("Mul", h, g.const(bank.readout, "readout")),
                      g.const([2], integer=True), keepdims=0)
        values = g.op("Add", values, g.const(bank.constant, "constant"))
        if bank.has_output:
            acc = g.op("Add", acc, g.op("MatMul", values, g.const(bank.out_coef, "out_coef")))
        if bank.keep_cols.numel():
            kept = g.op("Gather", values, g.const(bank.keep_cols, "keep", integer=True), axis=1)
            width = len(column_of)
            for j, slot in enumerate(bank.keep_slots.tolist()):
                column_of[int(slot)] = width + j
            table = g.op("Concat", table, kept, axis=1)
    return acc
