"""Save and load compiled networks without ever unpickling arbitrary objects.

>>> import deepcheap, tempfile, os
>>> net = deepcheap.compile("x*y - z")
>>> path = os.path.join(tempfile.mkdtemp(), "net.dcnet")
>>> deepcheap.save(net, path)
>>> deepcheap.load(path).neurons == net.neurons
True

A file holds ``{"format", "version", "metadata" (a JSON string), "tensors" (the module's
state_dict)}`` written by ``torch.save`` and read by ``torch.load(weights_only=True)``, which admits
only tensors and plain containers: a file from a stranger cannot run code. Loading recompiles the
network from the metadata (deterministic) and then installs the saved tensors, so weights survive
exactly even if they were edited after compiling.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch

from deepcheap._version import __version__
from deepcheap.compiler.network import CompiledNetwork
from deepcheap.compiler.polynomial import Polynomial
from deepcheap.errors import NetworkFileError
from deepcheap.precision import dtype_name

FORMAT = "deepcheap.network"
VERSION = 1


def save(net: CompiledNetwork, path: str | Path) -> None:
    """Write ``net`` to ``path`` (tensors + JSON metadata; conventionally ``*.dcnet``)."""
    metadata = {
        "deepcheap": __version__,
        "kind": "boolean" if net.binary else "polynomial",
        "variables": list(net.variables),
        "terms": [[[list(f) for f in m], c] for m, c in sorted(net.polynomial.terms.items())],
        "strategy": net.strategy,
        "activation": net.activation,
        "order": net.order,
        "eps": net.eps,
        "domain": list(net.domain),
        "dtype": dtype_name(net.dtype),
    }
    tensors = {k: v.detach().cpu() for k, v in net.module.state_dict().items()}
    torch.save({"format": FORMAT, "version": VERSION, "metadata": json.dumps(metadata), "tensors": tensors},
               Path(path))


def load(path: str | Path, *, device=None) -> CompiledNetwork:
    """Read a network written by :func:`save`; anything else raises :class:`NetworkFileError`."""
    path = Path(path)
    if not path.is_file():
        raise NetworkFileError(f"{path} does not exist or is not a file.")
    try:
        with warnings.catch_warnings():  # foreign pickles make torch warn before it refuses them
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for foreign or hostile files
        raise NetworkFileError(f"{path} is not a deepcheap network (it could not be read as one: "
                               f"{type(err).__name__}); nothing in it was executed.") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise NetworkFileError(f"{path} is not a deepcheap network (no '{FORMAT}' header).")
    if payload.get("version") != VERSION:
        raise NetworkFileError(f"{path} is a deepcheap network of format version {payload.get('version')}; "
                               f"this deepcheap reads version {VERSION}. Recompile it.")
    try:
        meta = json.loads(payload["metadata"])
        polynomial = Polynomial(tuple(meta["variables"]),
                                {tuple(tuple(f) for f in m): float(c) for m, c in meta["terms"]})
        net = _rebuild(meta, polynomial, device)
        net.module.load_state_dict(payload["tensors"])
    except NetworkFileError:
        raise
    except Exception as err:
        raise NetworkFileError(f"{path} is a damaged deepcheap network ({type(err).__name__}: {err}).") from None
    return net


def _rebuild(meta: dict, polynomial: Polynomial, device) -> CompiledNetwork:
    from deepcheap.boolean import compile_boolean
    from deepcheap.compiler import compile

    if meta["kind"] == "boolean":
        n = len(polynomial.variables)
        bits = np.array(list(np.ndindex(*(2,) * n)), dtype=np.float64).reshape(-1, n)
        return compile_boolean(list(polynomial.evaluate(bits)), polynomial.variables, error=meta["eps"],
                               dtype=meta["dtype"], device=device)
    return compile(polynomial, meta["strategy"], meta["eps"], tuple(meta["domain"]), meta["dtype"],
                   meta["activation"], meta["order"] or 4, device=device)
