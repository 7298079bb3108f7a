"""Boolean tree hierarchies: flat cost from the 2^n truth table (Moebius) against the closed form, the families'
formulas, compiled deep and flat networks against the tree on every input, and refusals."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deepcheap.errors import DeepCheapError, InvalidArgumentError, ResourceLimitError
from deepcheap.hierarchy.boolean_trees import (
    MAX_TREE_BITS,
    Node,
    as_tree,
    balanced_tree,
    chain_tree,
    compile_tree,
    deep_cost,
    flattening,
    gate_cost,
    n_variables,
    predicted_flat_cost,
    random_tree,
    truth_table,
)

MIXED_GATES = (("XOR", 2), ("AND", 2), ("OR", 2), ("MAJ", 3), ("XOR", 3), ("AND", 3), ("MAJ", 5))


def _oracle(tree, bits) -> bool:
    """The tree on one input, by plain recursion (shares no code with truth_table)."""
    if not isinstance(tree, Node):
        return bool(bits[tree])
    values = [_oracle(c, bits) for c in tree.children]
    return {"XOR": sum(values) % 2 == 1, "AND": all(values), "OR": any(values),
            "MAJ": sum(values) > len(values) // 2}[tree.gate]


def _oracle_table(tree) -> list[bool]:
    return [_oracle(tree, bits) for bits in itertools.product((0, 1), repeat=n_variables(tree))]


def test_gate_costs_are_the_moebius_counts():
    assert [gate_cost(g, k) for g, k in (("XOR", 2), ("AND", 2), ("OR", 2), ("MAJ", 3))] == [3, 1, 3, 4]


@pytest.mark.parametrize("n", [2, 4, 8, 16])
@pytest.mark.parametrize("gate", ["XOR", "OR"])
def test_parity_and_or_trees_use_every_monomial(gate, n):
    c = flattening(balanced_tree(gate, n))
    assert c.flat == c.predicted == 2**n - 1
    assert c.deep == 3 * (n - 1) and c.non_integral == 0.0
    assert flattening(chain_tree(gate, n)).flat == 2**n - 1  # any shape


@pytest.mark.parametrize("n", [2, 3, 8, 16])
def test_and_trees_flatten_for_free(n):
    for tree in (balanced_tree("AND", n), chain_tree("AND", n)):
        c = flattening(tree)
        assert (c.flat, c.predicted, c.deep) == (1, 1, n - 1)


def test_majority_trees_follow_the_closed_form():
    assert flattening(balanced_tree("MAJ", 3)).flat == 4
    nine = flattening(balanced_tree("MAJ", 9))
    assert (nine.flat, nine.deep, nine.ratio) == (3 * 4**2 + 4**3, 16, 7.0)
    c = 4
    for n in range(5, 16, 2):  # caterpillar: c' = 3c + 1
        c = 3 * c + 1
        assert flattening(chain_tree("MAJ", n)).flat == c
    big = balanced_tree("MAJ", 27)  # beyond a truth table: closed form only
    assert (predicted_flat_cost(big), deep_cost(big)) == (3 * 112**2 + 112**3, 52)
    with pytest.raises(ResourceLimitError, match="predicted_flat_cost"):
        flattening(big)


@given(st.integers(2, 13), st.integers(0, 2**32))
def test_random_trees_table_equals_closed_form(leaves, seed):
    tree = random_tree(leaves, seed, MIXED_GATES)
    c = flattening(tree)
    assert c.n == leaves and c.flat == c.predicted and c.non_integral == 0.0
    if leaves <= 8:
        assert truth_table(tree).tolist() == _oracle_table(tree)


def test_truth_table_against_plain_recursion():
    for tree in (random_tree(10, 1), balanced_tree("MAJ", 9), chain_tree("XOR", 7), as_tree(("MAJ", 2, ("XOR", 0, 3),
                                                                                                  ("AND", 1, 4)))):
        assert truth_table(tree).tolist() == _oracle_table(tree)


def test_random_trees_are_seeded_and_round_trip():
    a, b = random_tree(16, 5), random_tree(16, 5)
    assert a == b and a != random_tree(16, 6)
    assert as_tree(a.spec()) == a and str(a).count("x") == 16


@pytest.mark.parametrize("tree", [balanced_tree("XOR", 4), balanced_tree("XOR", 8), balanced_tree("AND", 8),
                                  balanced_tree("MAJ", 9), random_tree(8, 3)], ids=str)
def test_compiled_networks_compute_the_tree_with_the_counted_neurons(tree):
    nets = compile_tree(tree)
    c = flattening(tree)
    assert (nets.deep_neurons, nets.flat_neurons) == (c.deep, c.flat)
    assert nets.deep_wrong == nets.flat_wrong == 0
    assert max(nets.deep_error, nets.flat_error) < 1e-4


@pytest.mark.parametrize(("make", "error", "match"), [
    (lambda: truth_table(balanced_tree("XOR", MAX_TREE_BITS + 1)), ResourceLimitError, "2\\^21"),
    (lambda: compile_tree(balanced_tree("XOR", 13)), ResourceLimitError, "n <= 12"),
    (lambda: Node("NAND", (0, 1)), InvalidArgumentError, "gate must be one of"),
    (lambda: as_tree(("FOO", 0, 1)), InvalidArgumentError, "gate must be one of"),
    (lambda: as_tree(("XOR", 0, 0)), InvalidArgumentError, "repeated"),
    (lambda: as_tree(("XOR", 0, 2)), InvalidArgumentError, "missing"),
    (lambda: as_tree(("MAJ", 0, 1, 2, 3)), InvalidArgumentError, "odd fan-in"),
    (lambda: as_tree(("AND", 0)), InvalidArgumentError, "at least 2"),
    (lambda: as_tree(("XOR", 0, "x")), InvalidArgumentError, "sequence"),
    (lambda: as_tree(("XOR", 0, -1)), InvalidArgumentError, "index >= 0"),
    (lambda: as_tree("XOR(x1, x2)"), InvalidArgumentError, "sequence"),
    (lambda: as_tree(42), InvalidArgumentError, "sequence"),
    (lambda: Node("XOR", 5), InvalidArgumentError, "sequence"),
    (lambda: balanced_tree("MAJ", 4), InvalidArgumentError, "1 \\+ 2g"),
    (lambda: random_tree(8, 0, (("MAJ", 3),)), InvalidArgumentError, "fan-in 2"),
    (lambda: random_tree(1, 0), InvalidArgumentError, "leaves"),
])
def test_bad_input_is_refused_with_the_projects_errors(make, error, match):
    with pytest.raises(error, match=match) as caught:
        make()
    assert isinstance(caught.value, DeepCheapError)
