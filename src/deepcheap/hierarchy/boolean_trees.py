"""Tree-structured Boolean hierarchies and what it costs to flatten them (Section III; claim C07).

>>> from deepcheap.hierarchy.boolean_trees import balanced_tree, flattening
>>> c = flattening(balanced_tree("XOR", 8))   # parity of 8 bits: a binary tree of 7 XOR gates
>>> c.deep, c.flat, c.predicted                # 7 gates x 3 neurons, against all 2^8 - 1 monomials
(21, 255, 255)
>>> flattening(balanced_tree("AND", 8)).flat   # x_1 x_2 ... x_8 is one monomial: flattening is free
1
>>> flattening(balanced_tree("MAJ", 9)).ratio  # MAJ(MAJ, MAJ, MAJ): 112 monomials against 4 gates x 4
7.0

A tree over n bits x_1..x_n has a gate at every inner node (XOR, AND, OR of fan-in >= 2; MAJ, the majority,
of odd fan-in >= 3) and every variable at exactly one leaf (a read-once formula): the children of a node
read disjoint sets of variables. Costs are counted in the bit-product neurons of Eqs. 12-13 (one neuron
per nonzero non-constant multilinear coefficient, :mod:`deepcheap.boolean`):

* deep: one small network per gate, composed along the tree: the sum over gates of |g|, the number of
  nonzero non-constant coefficients of the gate's own polynomial (Moebius transform of its truth table):
  XOR2 = x + y - 2xy: 3; AND2 = xy: 1; OR2 = x + y - xy: 3; MAJ3 = xy + xz + yz - 2xyz: 4; MAJ5: 16.
* flat: one hidden layer for the composed function: the nonzero non-constant coefficients of the Moebius
  transform (:func:`deepcheap.boolean.moebius`) of its 2^n truth table, which comes from evaluating the
  tree on all 2^n inputs (numpy, gate by gate, no formula). The coefficients are sums and differences of
  0/1 values, so integers, exact in float64 for n <= 20; they are checked to be integral before counting.

Closed form. Let p_v be the multilinear polynomial of the subtree at v and c_v = flat(v) its number of
nonzero non-constant coefficients (a leaf: p = x_i, c = 1). A gate g(y_1..y_k) = sum_S h_S prod_{j in S} y_j
without constant term (g(0..0) = 0: true of XOR, AND, OR and MAJ) gives p_v = sum_S h_S prod_{j in S} p_{u_j}
over its children u_j. By induction no p_u has a constant term, and the children's variables are disjoint,
so (i) the product over S of polynomials in disjoint variables has exactly prod_{j in S} c_{u_j} monomials,
all distinct, with nonzero coefficients (products of nonzero ones, times h_S); (ii) every monomial made
under S touches exactly the children in S, so different S make disjoint sets of monomials. Nothing cancels:

    flat(v) = sum over {S nonempty : h_S != 0} of prod_{j in S} flat(u_j)        (:func:`predicted_flat_cost`)

XOR2 and OR2: c_x + c_y + c_x c_y = (c_x + 1)(c_y + 1) - 1; AND2: c_x c_y; MAJ3: c_a c_b + c_a c_c + c_b c_c +
c_a c_b c_c. Hence, for every shape: an XOR (parity) or OR tree has flat + 1 = 2^n, flat = 2^n - 1 (every
monomial), against deep 3(n - 1); an AND tree has flat = 1 (x_1 ... x_n) against deep n - 1, so flattening
is free; majority trees depend on the shape: balanced MAJ3 trees over 3^d leaves follow c' = 3c^2 + c^3
(4, 112, 1442560 at n = 3, 9, 27, against deep 4, 16, 52), the caterpillar MAJ(MAJ(...), x, y) follows
c' = 3c + 1 (4, 13, 40, ..., 3280 at n = 15, deep 2(n - 1)). n = 27 needs a table of 2^27 entries, beyond
:data:`MAX_TREE_BITS`: there the closed form (which needs no table) is the only number.

The premises matter: a gate with a constant term (NAND, XNOR) makes the sets of S overlap and coefficients
can cancel; shared variables (a DAG, not a tree) merge monomials through x^2 = x. Neither is modelled. The
counts are those of the 0/1 basis of Eq. 12: negating inputs changes them (AND is one monomial, OR = NOT
AND NOT is every monomial).

Random trees (:func:`random_tree`): a gate drawn uniformly among those whose fan-in k fits the leaves left,
the leaves split into k nonempty parts at k - 1 distinct cut points drawn uniformly, recursively; then a
random permutation of the variables over the leaves. Randomness only from the explicit seed.
"""

from __future__ import annotations

import functools
import itertools
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from deepcheap.boolean import moebius
from deepcheap.errors import (
    InvalidArgumentError,
    PrecisionError,
    ResourceLimitError,
    check_choice,
    check_int_range,
    check_memory,
    format_bytes,
)
from deepcheap.seeds import numpy_generator

GATES: tuple[str, ...] = ("XOR", "AND", "OR", "MAJ")
RANDOM_GATES: tuple[tuple[str, int], ...] = (("XOR", 2), ("AND", 2), ("OR", 2), ("MAJ", 3))
MAX_TREE_BITS = 20  # truth tables of at most 2^20 entries (about 56 MiB with the transform)
MAX_COMPILED_BITS = 12  # compile_tree's flat network has up to 2^n - 1 neurons
MAX_LEAVES = 512  # trees built here (the closed form needs no table; recursion stays shallow)


@dataclass(frozen=True)
class Node:
    """A gate over children: sub-trees or variable indices (0-based: 0 is x_1)."""

    gate: str
    children: tuple[Node | int, ...]

    def __post_init__(self):
        check_choice("gate", self.gate, GATES)
        if not isinstance(self.children, tuple):
            if not isinstance(self.children, Sequence) or isinstance(self.children, str | bytes):
                raise InvalidArgumentError(f"a gate's children are a sequence of Nodes and variable indices; got "
                                           f"{self.children!r:.80}.")
            object.__setattr__(self, "children", tuple(self.children))
        k = len(self.children)
        if self.gate == "MAJ" and (k < 3 or k % 2 == 0):
            raise InvalidArgumentError(f"a MAJ gate needs an odd fan-in >= 3 (a majority has no ties); got {k}.")
        if k < 2:
            raise InvalidArgumentError(f"a {self.gate} gate needs at least 2 children; got {k}.")
        for c in self.children:
            if not isinstance(c, Node) and (isinstance(c, bool) or not isinstance(c, numbers.Integral) or c < 0):
                raise InvalidArgumentError(f"a child is a Node or a variable index >= 0 (0 is x_1); got {c!r}.")

    def spec(self) -> list:
        """JSON-ready nested lists, e.g. ``["XOR", ["AND", 0, 1], 2]`` (:func:`as_tree` reads them back)."""
        return [self.gate, *(c.spec() if isinstance(c, Node) else int(c) for c in self.children)]

    def __str__(self) -> str:
        return f"{self.gate}({', '.join(str(c) if isinstance(c, Node) else f'x{c + 1}' for c in self.children)})"


@dataclass(frozen=True)
class TreeCost:
    """Deep and flat costs of one tree, in bit-product neurons."""

    n: int  # variables (leaves)
    gates: int
    depth: int  # gates on the longest root-to-leaf path
    deep: int  # sum over gates of the gate's nonzero non-constant coefficients
    flat: int  # nonzero non-constant Moebius coefficients of the composed 2^n truth table
    predicted: int  # the closed form sum_S prod flat(children)
    non_integral: float  # max |h - round(h)| over the composed table's coefficients (0: exact integers)

    @property
    def ratio(self) -> float:
        return self.flat / self.deep


@dataclass(frozen=True)
class TreeNetworks:
    """The tree compiled twice with :func:`deepcheap.boolean.compile_boolean`, checked on all 2^n inputs."""

    n: int
    deep_neurons: int  # hidden units of the gate networks, summed over the tree's gates
    flat_neurons: int  # hidden units of one network compiled from the composed truth table
    deep_error: float  # max |output - tree| over all inputs, before rounding
    flat_error: float
    deep_wrong: int  # inputs where the rounded output differs from the tree
    flat_wrong: int


def as_tree(tree) -> Node:
    """A :class:`Node` from a Node or nested sequences ``("MAJ", 0, ("XOR", 1, 2), 3)``, checked to be read-once:
    the leaves hold each of 0..n-1 exactly once."""
    node = tree if isinstance(tree, Node) else _parse(tree, 0)
    leaves = sorted(item for item in _postorder(node) if not isinstance(item, Node))
    if leaves != list(range(len(leaves))):
        repeated = sorted({a for a, b in itertools.pairwise(leaves) if a == b})
        missing = sorted(set(range(len(leaves))) - set(leaves))
        raise InvalidArgumentError(
            f"a tree's leaves hold each variable 0..n-1 exactly once (here n = {len(leaves)}: children over disjoint "
            "variables); " + (f"repeated: {repeated[:5]}" if repeated else f"missing: {missing[:5]}")
            + ". Renumber the leaves.")
    return node


def _parse(spec, depth: int) -> Node:
    if depth > MAX_LEAVES:
        raise InvalidArgumentError(f"a tree nested deeper than {MAX_LEAVES} levels is refused.")
    if isinstance(spec, str | bytes) or not isinstance(spec, Sequence) or len(spec) < 1 or not isinstance(spec[0], str):
        raise InvalidArgumentError(f"a tree is a Node or a sequence (gate, child, ...) with gate one of {GATES} and "
                                   f"children sub-trees or variable indices; got {spec!r:.80}.")
    return Node(spec[0], tuple(c if isinstance(c, numbers.Integral) and not isinstance(c, bool) else
                               _parse(c, depth + 1) for c in spec[1:]))


def _postorder(root: Node) -> list:
    """Nodes and leaves, children before parents, children in order (one list, no recursion)."""
    out, stack = [], [(root, False)]
    while stack:
        item, ready = stack.pop()
        if ready or not isinstance(item, Node):
            out.append(item)
        else:
            stack.append((item, True))
            stack.extend((c, False) for c in reversed(item.children))
    return out


def _fold(tree: Node, leaf, gate) -> object:
    """Evaluate bottom-up: ``leaf(index)`` at leaves, ``gate(node, child values)`` at gates."""
    stack: list = []
    for item in _postorder(tree):
        if isinstance(item, Node):
            k = len(item.children)
            args = stack[-k:]
            del stack[-k:]
            stack.append(gate(item, args))
        else:
            stack.append(leaf(item))
    return stack[0]


def gate_nodes(tree) -> list[Node]:
    """The tree's gates, children before parents."""
    return [item for item in _postorder(as_tree(tree)) if isinstance(item, Node)]


def n_variables(tree) -> int:
    return sum(1 for item in _postorder(as_tree(tree)) if not isinstance(item, Node))


def _apply(gate: str, args: list[np.ndarray]) -> np.ndarray:
    if gate == "XOR":
        return np.logical_xor.reduce(args)
    if gate == "AND":
        return np.logical_and.reduce(args)
    if gate == "OR":
        return np.logical_or.reduce(args)
    return np.sum(args, axis=0, dtype=np.int16) > len(args) // 2  # MAJ, odd fan-in


def _columns(n: int) -> list[np.ndarray]:
    codes = np.arange(2**n, dtype=np.int64)
    return [((codes >> (n - 1 - i)) & 1).astype(bool) for i in range(n)]  # x_1 most significant


def table_bytes(n: int) -> int:
    """Peak bytes of :func:`truth_table` plus :func:`flattening` at n bits (indices, columns, transform)."""
    return 2**n * (8 + n + 2 + 3 * 8)


def _check_table(n: int) -> None:
    if n > MAX_TREE_BITS:
        raise ResourceLimitError(
            f"a tree over {n} bits needs a truth table of 2^{n} entries (about {format_bytes(table_bytes(n))}); "
            f"tables stop at {MAX_TREE_BITS} bits. For larger trees use predicted_flat_cost(tree) and "
            "deep_cost(tree): the closed form needs no table.")
    check_memory(f"the truth table of a {n}-bit tree", table_bytes(n), "use predicted_flat_cost(tree) instead.")


def truth_table(tree) -> np.ndarray:
    """The tree's values (bool) on all 2^n inputs, index bits x_1..x_n (x_1 most significant), as in
    :func:`deepcheap.boolean.truth_table`; computed gate by gate with numpy, no formula involved."""
    node = as_tree(tree)
    n = n_variables(node)
    _check_table(n)
    columns = _columns(n)
    return _fold(node, lambda i: columns[i], lambda g, args: _apply(g.gate, args))


@functools.lru_cache(maxsize=64)
def gate_table(gate: str, fan_in: int) -> tuple[int, ...]:
    """A gate's truth table over its fan_in inputs (0/1, index bits y_1..y_k, y_1 most significant)."""
    Node(gate, tuple(range(fan_in)))  # validates gate and fan-in
    check_int_range("fan_in", fan_in, 2, MAX_TREE_BITS)
    return tuple(int(v) for v in _apply(gate, _columns(fan_in)))


@functools.lru_cache(maxsize=64)
def gate_monomials(gate: str, fan_in: int) -> tuple[tuple[int, ...], ...]:
    """The sets S of children (0-based) with h_S != 0 in the gate's multilinear polynomial (S nonempty; the
    gates here have h_empty = 0)."""
    h = np.rint(moebius(np.array(gate_table(gate, fan_in), dtype=np.float64))).astype(np.int64)
    return tuple(tuple(j for j in range(fan_in) if (index >> (fan_in - 1 - j)) & 1)
                 for index in range(1, 2**fan_in) if h[index] != 0)


def gate_cost(gate: str, fan_in: int) -> int:
    """Bit-product neurons of one gate: XOR2 3, AND2 1, OR2 3, MAJ3 4 (MAJ5 16)."""
    return len(gate_monomials(gate, fan_in))


def deep_cost(tree) -> int:
    """The sum over the tree's gates of :func:`gate_cost` (the tree computed gate by gate)."""
    return sum(gate_cost(g.gate, len(g.children)) for g in gate_nodes(tree))


def predicted_flat_cost(tree) -> int:
    """The closed form: flat(v) = sum over the gate's monomials S of prod_{j in S} flat(child j); leaves 1.
    Exact (Python integers), no table: valid for any n."""
    return _fold(as_tree(tree), lambda i: 1, lambda g, c: sum(
        math.prod(c[j] for j in S) for S in gate_monomials(g.gate, len(g.children))))


def depth(tree) -> int:
    return _fold(as_tree(tree), lambda i: 0, lambda g, d: 1 + max(d))


def flat_cost(table: np.ndarray) -> tuple[int, float]:
    """(nonzero non-constant multilinear coefficients of a 0/1 table, max |h - round(h)|); refuses (PrecisionError)
    coefficients that are not integers (impossible for integer tables of n <= 20: float64 sums are exact)."""
    h = moebius(np.asarray(table, dtype=np.float64))
    rounded = np.rint(h)
    off = float(np.abs(h - rounded).max())
    if off != 0.0:
        raise PrecisionError(f"Moebius coefficients of an integer table came out non-integral (off by {off:g}); "
                             f"tables of up to {MAX_TREE_BITS} bits are exact in float64, pass a 0/1 table.")
    return int(np.count_nonzero(rounded[1:])), off


def flattening(tree) -> TreeCost:
    """Deep cost, flat cost from the 2^n truth table, and the closed form, for one tree (n <= 20)."""
    node = as_tree(tree)
    flat, off = flat_cost(truth_table(node))
    return TreeCost(n=n_variables(node), gates=len(gate_nodes(node)), depth=depth(node), deep=deep_cost(node),
                    flat=flat, predicted=predicted_flat_cost(node), non_integral=off)


def _arity(gate: str, fan_in: int | None) -> int:
    check_choice("gate", gate, GATES)
    k = (3 if gate == "MAJ" else 2) if fan_in is None else check_int_range("fan_in", fan_in, 2, MAX_TREE_BITS)
    Node(gate, tuple(range(k)))  # MAJ: odd fan-in
    return k


def _check_leaves(gate: str, n: int, k: int) -> int:
    n = check_int_range("n", n, k, MAX_LEAVES, hint=f"(a {gate}{k} tree has {k} to {MAX_LEAVES} leaves)")
    if (n - 1) % (k - 1):
        raise InvalidArgumentError(f"a tree of {gate}{k} gates has 1 + {k - 1}g leaves for g gates; n = {n} is not "
                                   f"of that form. Use n = {n - (n - 1) % (k - 1)} or {n - (n - 1) % (k - 1) + k - 1}.")
    return (n - 1) // (k - 1)


def balanced_tree(gate: str, n: int, fan_in: int | None = None) -> Node:
    """The most balanced tree of one gate over n leaves: the gates below the root are shared among the k
    children as evenly as possible (MAJ3 at n = 3, 9, 27, binary gates at n = 2^d: perfectly balanced;
    otherwise leaves at two depths). fan_in: 2 by default, 3 for MAJ."""
    k = _arity(gate, fan_in)
    counter = itertools.count()

    def build(g: int):
        if g == 0:
            return next(counter)
        base, extra = divmod(g - 1, k)
        return Node(gate, tuple(build(base + (j < extra)) for j in range(k)))

    return build(_check_leaves(gate, n, k))


def chain_tree(gate: str, n: int, fan_in: int | None = None) -> Node:
    """The caterpillar g(g(...g(x_1..x_k)...), ...): each gate takes the previous one and k - 1 new leaves."""
    k = _arity(gate, fan_in)
    gates = _check_leaves(gate, n, k)
    node = Node(gate, tuple(range(k)))
    for g in range(1, gates):
        node = Node(gate, (node, *range(k + (g - 1) * (k - 1), k + g * (k - 1))))
    return node


def random_tree(leaves: int, seed: int, gates: Sequence[tuple[str, int]] = RANDOM_GATES) -> Node:
    """A random read-once tree over ``leaves`` variables (shape and gates as in the module docstring)."""
    leaves = check_int_range("leaves", leaves, 2, MAX_LEAVES)
    options = tuple((g, _arity(g, k)) for g, k in gates)
    if not any(k == 2 for _, k in options):
        raise InvalidArgumentError("random_tree needs a gate of fan-in 2 among gates (else some leaf counts have no "
                                   "tree); add ('XOR', 2), ('AND', 2) or ('OR', 2).")
    rng = numpy_generator(seed)
    counter = itertools.count()

    def build(m: int):
        if m == 1:
            return next(counter)
        fits = [o for o in options if o[1] <= m]
        gate, k = fits[int(rng.integers(len(fits)))]
        cuts = [0, *sorted(int(c) + 1 for c in rng.choice(m - 1, size=k - 1, replace=False)), m]
        return Node(gate, tuple(build(b - a) for a, b in itertools.pairwise(cuts)))

    shape = build(leaves)
    order = [int(v) for v in rng.permutation(leaves)]
    return _fold(shape, lambda i: order[i], lambda g, c: Node(g.gate, tuple(c)))


def compile_tree(tree, *, error: float = 1e-6) -> TreeNetworks:
    """Compile the tree deep (one :func:`~deepcheap.boolean.compile_boolean` network per gate, evaluated layer by
    layer on the previous outputs, unrounded) and flat (one network from the composed table); evaluate both on
    all 2^n inputs against :func:`truth_table`. n <= :data:`MAX_COMPILED_BITS`."""
    import torch

    from deepcheap.boolean import all_bits, compile_boolean

    node = as_tree(tree)
    n = n_variables(node)
    if n > MAX_COMPILED_BITS:
        raise ResourceLimitError(f"compile_tree builds a flat network of up to 2^{n} - 1 neurons; use n <= "
                                 f"{MAX_COMPILED_BITS}, or flattening(tree) for the counts alone.")
    target = torch.from_numpy(truth_table(node).astype(np.float64))
    bits = all_bits(n)
    nets: dict[tuple[str, int], object] = {}
    neurons = 0

    def gate(g: Node, args: list) -> torch.Tensor:
        nonlocal neurons
        key = (g.gate, len(args))
        if key not in nets:
            nets[key] = compile_boolean(list(gate_table(*key)), error=error)
        neurons += nets[key].neurons
        return nets[key](torch.stack(args, dim=1)).reshape(-1)

    deep = _fold(node, lambda i: bits[:, i], gate)
    flat_net = compile_boolean(target.numpy(), error=error)
    flat = flat_net(bits).reshape(-1)
    return TreeNetworks(n=n, deep_neurons=neurons, flat_neurons=flat_net.neurons,
                        deep_error=float((deep - target).abs().max()), flat_error=float((flat - target).abs().max()),
                        deep_wrong=int(((deep > 0.5).double() != target).sum()),
                        flat_wrong=int(((flat > 0.5).double() != target).sum()))
