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
"""

from deepcheap import activations, claims, flattening, gates, library, training
from deepcheap._version import __version__
from deepcheap.boolean import compile_boolean
from deepcheap.compiler import CompiledNetwork, compile
from deepcheap.compiler.decompile import decompile
from deepcheap.compiler.io import load, save
from deepcheap.compiler.onnx_export import export_onnx  # imports onnx only when called
from deepcheap.errors import DeepCheapError

__all__ = [
    "CompiledNetwork",
    "DeepCheapError",
    "__version__",
    "activations",
    "claims",
    "compile",
    "compile_boolean",
    "decompile",
    "export_onnx",
    "flattening",
    "gates",
    "library",
    "load",
    "save",
    "training",
]
