"""deepcheap: "Why does deep and cheap learning work so well?" (Lin, Tegmark, Rolnick 2017) made executable.

>>> import deepcheap
>>> gate = deepcheap.gates.product_gate("softplus", order=4)
>>> gate.neurons
4

>>> net = deepcheap.compile("x**2*y - 3*z")      # Corollary 1: polynomial -> network of fixed size
>>> net.neurons, net.variables
(6, ('x', 'y', 'z'))

Public surface: :func:`compile` and :func:`compile_boolean` (polynomials and Boolean functions to
networks), :func:`save` / :func:`load` (safetensors files), :func:`export_onnx`, :func:`decompile`
(a polynomial read back out of a network), :mod:`deepcheap.gates` (exact gates), :mod:`deepcheap.activations`,
:mod:`deepcheap.library` (canonical expressions), :mod:`deepcheap.claims` (the paper's claims),
:class:`DeepCheapError`.

Imports are lazy: ``import deepcheap`` loads only this file and the error classes; torch, sympy,
numba and the claims load when first used (a worker process or ``deepcheap --help`` starts fast).
"""

from __future__ import annotations

import importlib

from deepcheap._version import __version__
from deepcheap.errors import DeepCheapError

_ATTRIBUTES = {  # public name -> (module, attribute)
    "CompiledNetwork": ("deepcheap.compiler", "CompiledNetwork"),
    "compile": ("deepcheap.compiler", "compile"),
    "compile_boolean": ("deepcheap.boolean", "compile_boolean"),
    "decompile": ("deepcheap.compiler.decompile", "decompile"),
    "export_onnx": ("deepcheap.compiler.onnx_export", "export_onnx"),  # imports onnx only when called
    "load": ("deepcheap.compiler.io", "load"),
    "save": ("deepcheap.compiler.io", "save"),
}
_SUBMODULES = ("activations", "claims", "flattening", "gates", "library", "training")

__all__ = ["DeepCheapError", "__version__", *_ATTRIBUTES, *_SUBMODULES]


def __getattr__(name: str):
    if name in _ATTRIBUTES:
        module, attribute = _ATTRIBUTES[name]
        value = getattr(importlib.import_module(module), attribute)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"deepcheap.{name}")
    else:
        raise AttributeError(f"module 'deepcheap' has no attribute {name!r}")
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
