"""Save and load compiled networks as safetensors files, without ever executing anything from a file.

>>> import deepcheap, tempfile, os
>>> net = deepcheap.compile("x*y - z")
>>> path = os.path.join(tempfile.mkdtemp(), "net.dcnet")
>>> deepcheap.save(net, path)
>>> deepcheap.load(path).neurons == net.neurons
True

Format version 2 (this one) is a `safetensors <https://huggingface.co/docs/safetensors>`_ file: the
tensors are the DAG module's ``state_dict``; the header's ``__metadata__`` (a str -> str dict) holds
``format`` ("deepcheap.network"), ``version`` ("2"), ``deepcheap`` (the writer's version), ``kind``
("polynomial" or "boolean") and, as JSON strings, ``variables``, ``terms`` ([[[var, power], ...],
coefficient] per monomial), ``construction`` (strategy, activation, order, eps, domain, dtype) and
``sizes`` (variables, terms, degree, neurons, tensor_elements). Any safetensors reader can open it.

Loading reads the header only, checks the declared sizes against the lists and the tensors the file
holds, estimates what the recompile costs from the metadata (:func:`rebuild_cost`) and refuses above
``memory_limit`` before building anything; then it recompiles the network from the metadata
(deterministic) and installs the saved tensors, so weights survive exactly even if they were edited.
Version 1 files (a ``torch.save`` dict read with ``weights_only=True``: tensors and plain containers
only) still load, through the same checks.
"""

from __future__ import annotations

import json
import math
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from deepcheap._version import __version__
from deepcheap.compiler.network import CompiledNetwork
from deepcheap.compiler.polynomial import Polynomial
from deepcheap.errors import NetworkFileError, ResourceLimitError
from deepcheap.precision import dtype_name

FORMAT = "deepcheap.network"
VERSION = 2
READABLE_VERSIONS = (1, 2)
LOAD_MEMORY_LIMIT = 2 * 2**30  # default cap on the estimated memory of a recompile
BYTES_PER_GATE = 1200  # loading ising2d:128 (32768 terms and gates) measured 100 MB of peak RSS; estimate 96 MB


def save(net: CompiledNetwork, path: str | Path) -> None:
    """Write ``net`` to ``path`` as a safetensors file (conventionally ``*.dcnet``)."""
    from safetensors.torch import save_file

    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in net.module.state_dict().items()}
    construction = {"strategy": net.strategy, "activation": net.activation, "order": net.order, "eps": net.eps,
                    "domain": list(net.domain), "dtype": dtype_name(net.dtype)}
    if net.strategy == "grouped":
        construction["groups"] = list(net.construction.details["groups"])
    sizes = {"variables": len(net.variables), "terms": len(net.polynomial), "degree": net.polynomial.degree,
             "neurons": net.neurons, "tensor_elements": sum(t.numel() for t in tensors.values())}
    metadata = {
        "format": FORMAT,
        "version": str(VERSION),
        "deepcheap": __version__,
        "kind": "boolean" if net.binary else "polynomial",
        "variables": json.dumps(list(net.variables)),
        "terms": json.dumps([[[list(f) for f in m], c] for m, c in sorted(net.polynomial.terms.items())]),
        "construction": json.dumps(construction),
        "sizes": json.dumps(sizes),
    }
    save_file(tensors, str(Path(path)), metadata=metadata)


def load(path: str | Path, *, device=None, memory_limit: int = LOAD_MEMORY_LIMIT) -> CompiledNetwork:
    """Read a network written by :func:`save`; anything else raises :class:`NetworkFileError`.

    A file whose metadata asks for a recompile above ``memory_limit`` bytes (estimated before
    anything is built) raises :class:`ResourceLimitError` with the size.
    """
    path = Path(path)
    if not path.is_file():
        raise NetworkFileError(f"{path} does not exist or is not a file.")
    if _looks_like_safetensors(path):
        meta, shapes, read_tensors = _open_v2(path)
    else:
        meta, shapes, read_tensors = _open_v1(path)
    try:
        polynomial = _checked_polynomial(path, meta, shapes)
        cost = rebuild_cost(polynomial, meta)
    except (NetworkFileError, ResourceLimitError):
        raise
    except Exception as err:
        raise NetworkFileError(f"{path} is a damaged deepcheap network ({type(err).__name__}: {err}).") from None
    if cost.bytes > memory_limit:
        raise ResourceLimitError(
            f"{path} declares a network whose recompile needs about {cost.bytes / 2**20:,.0f} MiB ({cost.describe()}), "
            f"above the {memory_limit / 2**20:,.0f} MiB limit; nothing was built. If you trust the file, pass "
            "memory_limit=... to deepcheap.load.")
    try:
        net = _rebuild(meta, polynomial, device)
        net.module.load_state_dict(read_tensors())
    except (NetworkFileError, ResourceLimitError):
        raise
    except Exception as err:
        raise NetworkFileError(f"{path} is a damaged deepcheap network ({type(err).__name__}: {err}).") from None
    return net


# --- reading the two formats -----------------------------------------------------------------------


def _looks_like_safetensors(path: Path) -> bool:
    """An 8-byte little-endian header length that fits the file, then a JSON object."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(9)
    if len(head) < 9:
        return False
    (length,) = struct.unpack("<Q", head[:8])
    return 2 <= length <= size - 8 and head[8:9] == b"{"


def _open_v2(path: Path):
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:  # reads the header only
            header = handle.metadata() or {}
            shapes = {k: tuple(handle.get_slice(k).get_shape()) for k in handle.keys()}  # noqa: SIM118
    except Exception as err:
        raise NetworkFileError(f"{path} is not a deepcheap network (not a readable safetensors file: "
                               f"{type(err).__name__}).") from None
    if header.get("format") != FORMAT:
        raise NetworkFileError(f"{path} is a safetensors file but not a deepcheap network (no '{FORMAT}' header).")
    _check_version(path, header.get("version"))
    try:
        meta = {"kind": header["kind"], "variables": json.loads(header["variables"]),
                "terms": json.loads(header["terms"]), **json.loads(header["construction"]),
                "sizes": json.loads(header["sizes"])}
    except Exception as err:
        raise NetworkFileError(f"{path} is a damaged deepcheap network (its header: {type(err).__name__}: "
                               f"{err}).") from None

    def read_tensors() -> dict[str, torch.Tensor]:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            return {k: handle.get_tensor(k) for k in handle.keys()}  # noqa: SIM118

    return meta, shapes, read_tensors


def _open_v1(path: Path):
    try:
        with warnings.catch_warnings():  # foreign pickles make torch warn before it refuses them
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for foreign or hostile files
        raise NetworkFileError(f"{path} is not a deepcheap network (it could not be read as one: "
                               f"{type(err).__name__}); nothing in it was executed.") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise NetworkFileError(f"{path} is not a deepcheap network (no '{FORMAT}' header).")
    _check_version(path, payload.get("version"))
    tensors = payload.get("tensors")
    try:
        meta = json.loads(payload["metadata"])
        shapes = {str(k): tuple(v.shape) for k, v in tensors.items()}
    except Exception as err:
        raise NetworkFileError(f"{path} is a damaged deepcheap network ({type(err).__name__}: {err}).") from None
    return meta, shapes, lambda: tensors


def _check_version(path: Path, version) -> None:
    if str(version) not in {str(v) for v in READABLE_VERSIONS}:
        raise NetworkFileError(f"{path} is a deepcheap network of format version {version}; this deepcheap "
                               f"({__version__}) reads versions {', '.join(map(str, READABLE_VERSIONS))}. Recompile "
                               "it with the deepcheap that wrote it, or upgrade.")


# --- checks before building ------------------------------------------------------------------------


def _checked_polynomial(path: Path, meta: dict, shapes: dict[str, tuple[int, ...]]) -> Polynomial:
    """The polynomial of the metadata, after its declared sizes were checked against lists and tensors."""
    variables, terms = meta["variables"], meta["terms"]
    if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
        raise NetworkFileError(f"{path} is damaged: 'variables' must be a list of names.")
    if not isinstance(terms, list):
        raise NetworkFileError(f"{path} is damaged: 'terms' must be a list.")
    elements = sum(math.prod(shape) for shape in shapes.values())
    declared = meta.get("sizes")  # version 2 declares them; version 1 did not
    if declared is not None:
        actual = {"variables": len(variables), "terms": len(terms), "tensor_elements": elements}
        wrong = {k: (declared.get(k), v) for k, v in actual.items() if declared.get(k) != v}
        if wrong:
            listed = "; ".join(f"{k}: declared {d!r}, holds {v}" for k, (d, v) in wrong.items())
            raise NetworkFileError(f"{path} is damaged or crafted: its declared sizes disagree with its contents "
                                   f"({listed}); nothing was built.")
    n = len(variables)
    if "linear" in shapes and shapes["linear"] != (n,):
        raise NetworkFileError(f"{path} is damaged or crafted: {n} variables but an input layer of shape "
                               f"{shapes['linear']}; nothing was built.")
    monomials = {}
    for monomial, coefficient in terms:
        factors = tuple((int(v), int(p)) for v, p in monomial)
        if any(not 0 <= v < n or p < 1 for v, p in factors):
            raise NetworkFileError(f"{path} is damaged: a monomial {monomial} names a variable outside 0..{n - 1} "
                                   "or a power below 1.")
        monomials[tuple(sorted(factors))] = float(coefficient)
    return Polynomial(tuple(variables), monomials)


@dataclass(frozen=True)
class RebuildCost:
    """What recompiling a network from its metadata would allocate, estimated from counts alone."""

    gates: int
    units: int
    parameters: int
    bytes: int
    detail: str

    def describe(self) -> str:
        return f"{self.gates:,} gates, {self.units:,} units, {self.parameters:,} weights; {self.detail}"


def rebuild_cost(polynomial: Polynomial, meta: dict) -> RebuildCost:
    """Estimate the recompile from the number of terms, variables, powers and the strategy (no compiling).

    deep/relu: one gate per multiplication without sharing (x^p costs floor(log2 p) squares and
    popcount(p) - 1 products), 4 units each (relu: ~6 per layer over 2 + log2(S/eps)/2 layers);
    shallow: prod(r_i + 1) units per monomial; boolean (strategy bits): one unit per monomial.
    Memory: :data:`BYTES_PER_GATE` per gate and term (Python objects of the plan and gate specs,
    measured) plus 32 bytes per weight.
    """
    n, terms = len(polynomial.variables), polynomial.terms
    strategy = "boolean" if meta.get("kind") == "boolean" else str(meta.get("strategy"))
    detail = f"{n:,} variables, {len(terms):,} terms, degree {polynomial.degree:,}"
    if strategy in ("boolean", "bits"):
        gates = units = sum(1 for m in terms if m)
        parameters = sum(len(m) + 4 for m in terms)
    elif strategy == "shallow":
        gates = sum(1 for m in terms if m)
        units = sum(math.prod(p + 1 for _, p in m) for m in terms if m)
        parameters = sum(math.prod(p + 1 for _, p in m) * (len(m) + 2) for m in terms if m)
    else:
        gates = sum(len(m) - 1 + sum(p.bit_length() - 1 + p.bit_count() - 1 for _, p in m) for m in terms if m)
        layers = 1
        if strategy == "relu":  # Yarotsky depth m ~ log2(S / eps) / 2 with S = sum |c| R^degree
            eps = float(meta.get("eps") or 1e-6)
            lo, hi = (float(v) for v in meta.get("domain", (-1.0, 1.0)))
            log2_scale = math.log2(max(math.fsum(abs(c) for c in terms.values()), 1e-300))
            log2_scale += polynomial.degree * math.log2(max(abs(lo), abs(hi), 1.0))
            layers = 2 + max(1, math.ceil((log2_scale - math.log2(eps)) / 2)) if eps > 0 else 2**62
        units = gates * (4 if layers == 1 else 6 * layers)
        parameters = gates * (20 if layers == 1 else 48 * layers)
    total = BYTES_PER_GATE * (gates + len(terms)) + 32 * (parameters + n)
    return RebuildCost(gates, units, parameters, total, detail)


def _rebuild(meta: dict, polynomial: Polynomial, device) -> CompiledNetwork:
    """The same compile that made the network (Boolean networks: strategy bits; files before it said "boolean")."""
    from deepcheap.compiler import compile

    if meta["kind"] == "boolean":
        return compile(polynomial, "bits", meta["eps"], dtype=meta["dtype"], device=device)
    groups = tuple(meta["groups"]) if meta.get("groups") is not None else None
    return compile(polynomial, meta["strategy"], meta["eps"], tuple(meta["domain"]), meta["dtype"],
                   meta["activation"], meta["order"] or 4, device=device, groups=groups)
