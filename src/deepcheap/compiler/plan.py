"""Pass 2, plan: a polynomial -> a product DAG whose nodes are monomials.

>>> from deepcheap.compiler.parse import parse
>>> p = plan(parse("x*y*z*w + x*y*u"))
>>> p.multiplications, p.depth             # x*y shared; (x*y)*(z*w) and (x*y)*u
(4, 2)

Every node is a monomial, so identical sub-products are shared automatically (hash-consing).
A monomial M of degree d is split into two halves: M = A^2 when every power is even (repeated
squaring), else A * B with deg A, deg B in {floor(d/2), ceil(d/2)}. A is, in order of preference:
an existing node of degree >= 2 dividing M (sharing); a half grown greedily from the pair of
factors that occurs in the most monomials of the polynomial (common sub-expressions), when some
pair occurs more than once; otherwise the first ceil(d/2) factors in variable order (so x^2 y
becomes (x^2) * y: a 2-neuron square and one product). The depth of a product
of n factors is therefore ceil(log2 n). Constants and linear terms need no gate: they are folded
into the output layer.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from deepcheap.compiler.polynomial import Monomial, Polynomial, monomial_degree, monomial_divide

MAX_SPLIT_CANDIDATES = 4096  # sub-monomials examined when looking for a shared half
MAX_PAIR_DEGREE = 16  # monomials above this degree are split without pair statistics


@dataclass(frozen=True)
class Node:
    """A value of the network: an input variable, or the product/square of earlier nodes."""

    monomial: Monomial
    kind: Literal["input", "product", "square"]
    inputs: tuple[int, ...]
    level: int


@dataclass
class ProductPlan:
    polynomial: Polynomial
    nodes: list[Node]
    output: dict[int, float]  # node id -> coefficient (inputs' ids are the variable indices)
    index: dict[Monomial, int] = field(repr=False)

    @property
    def n_inputs(self) -> int:
        return len(self.polynomial.variables)

    @property
    def constant(self) -> float:
        return self.polynomial.constant

    @property
    def gates(self) -> list[int]:
        return [i for i, node in enumerate(self.nodes) if node.kind != "input"]

    @property
    def multiplications(self) -> int:
        return len(self.gates)

    @property
    def depth(self) -> int:
        return max((node.level for node in self.nodes), default=0)

    def levels(self) -> list[list[int]]:
        """Gate node ids grouped by level 1..depth (earliest schedule)."""
        grouped: list[list[int]] = [[] for _ in range(self.depth)]
        for i in self.gates:
            grouped[self.nodes[i].level - 1].append(i)
        return grouped


def plan(polynomial: Polynomial) -> ProductPlan:
    """Build the product DAG of ``polynomial`` (see the module docstring)."""
    n = len(polynomial.variables)
    nodes = [Node(((i, 1),), "input", (), 0) for i in range(n)]
    index: dict[Monomial, int] = {node.monomial: i for i, node in enumerate(nodes)}

    def build(monomial: Monomial) -> int:
        if monomial in index:
            return index[monomial]
        if all(power % 2 == 0 for _, power in monomial):
            half = build(tuple((v, p // 2) for v, p in monomial))
            return _add(Node(monomial, "square", (half,), nodes[half].level + 1))
        first = _choose_half(monomial, index, pairs)
        a, b = build(first), build(monomial_divide(monomial, first))
        kind = "square" if a == b else "product"
        inputs = (a,) if a == b else (a, b)
        return _add(Node(monomial, kind, inputs, 1 + max(nodes[a].level, nodes[b].level)))

    def _add(node: Node) -> int:
        nodes.append(node)
        index[node.monomial] = len(nodes) - 1
        return len(nodes) - 1

    pairs = _pair_counts(m for m in polynomial.terms if monomial_degree(m) >= 3)
    output: dict[int, float] = {}
    for monomial in sorted((m for m in polynomial.terms if m), key=lambda m: (monomial_degree(m), m)):
        node = build(monomial)
        output[node] = output.get(node, 0.0) + polynomial.terms[monomial]
    return ProductPlan(polynomial, nodes, output, index)


def _choose_half(monomial: Monomial, index: dict[Monomial, int], pairs: Counter) -> Monomial:
    """A divisor of degree floor(d/2) or ceil(d/2) (see the module docstring for the preference order)."""
    d = monomial_degree(monomial)
    if d == 2:  # x * y: the only split (x^2 was handled as a square); the common case of lattice energies
        return (monomial[0][0], 1),
    sizes = {d // 2, d - d // 2}
    if math.prod(p + 1 for _, p in monomial) <= MAX_SPLIT_CANDIDATES:
        for candidate in _sub_monomials(monomial):
            degree = monomial_degree(candidate)  # inputs always exist: sharing means a product of >= 2
            if degree >= 2 and degree in sizes and candidate in index and candidate != monomial:
                return candidate
    factors = [v for v, p in monomial for _ in range(p)]
    head = factors[: d - d // 2]
    if d >= 3 and d <= MAX_PAIR_DEGREE:
        best = max(_factor_pairs(factors), key=lambda pair: (pairs[pair], -pair[0], -pair[1]))
        if pairs[best] > 1:
            head = list(best)
            rest = list(factors)
            for v in best:
                rest.remove(v)
            while len(head) < d - d // 2:
                nxt = max(range(len(rest)), key=lambda i: (sum(pairs[_pair(rest[i], h)] for h in head), -i))
                head.append(rest.pop(nxt))
    return tuple((v, head.count(v)) for v in sorted(set(head)))


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a <= b else (b, a)


def _factor_pairs(factors: list[int]) -> set[tuple[int, int]]:
    return {_pair(factors[i], factors[j]) for i in range(len(factors)) for j in range(i + 1, len(factors))}


def _pair_counts(monomials) -> Counter:
    """How many monomials (of degree <= MAX_PAIR_DEGREE) contain each pair of factors."""
    counts: Counter = Counter()
    for m in monomials:
        factors = [v for v, p in m for _ in range(p)]
        if len(factors) <= MAX_PAIR_DEGREE:
            counts.update(_factor_pairs(factors))
    return counts


def _sub_monomials(monomial: Monomial):
    """Every divisor of ``monomial`` (largest exponents first, deterministic)."""
    variables = [v for v, _ in monomial]
    ranges = [range(p, -1, -1) for _, p in monomial]
    for powers in itertools.product(*ranges):
        yield tuple((v, p) for v, p in zip(variables, powers, strict=True) if p)
