"""deepcheap: "Why does deep and cheap learning work so well?" (Lin, Tegmark, Rolnick 2017) made executable.

>>> import deepcheap
>>> gate = deepcheap.gates.product_gate("softplus", order=4)
>>> gate.neurons
4

Public surface: :mod:`deepcheap.gates` (exact gates), :mod:`deepcheap.activations`,
:mod:`deepcheap.claims` (the paper's claims), :class:`DeepCheapError`.
"""

from deepcheap import activations, claims, gates
from deepcheap._version import __version__
from deepcheap.errors import DeepCheapError

__all__ = ["DeepCheapError", "__version__", "activations", "claims", "gates"]
