"""Markov hierarchies: Theorem 2 / Corollary 2 against path enumeration; exact mutual information; the DPI."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deepcheap.errors import InvalidArgumentError, ResourceLimitError
from deepcheap.hierarchy import (
    MarkovHierarchy,
    brute_force_posterior,
    data_processing_trials,
    distill,
    entropy,
    group_rows,
    merge_information_loss,
    minimal_sufficient_statistic,
    mutual_information,
    path_joint,
    random_hierarchy,
    statistic_joint,
)


def _posterior_by_loops(h: MarkovHierarchy) -> np.ndarray:
    """p(y_0 | y_n) by explicit loops over every path (a second, independent oracle for tiny chains)."""
    sizes = h.sizes
    joint = np.zeros((sizes[0], sizes[-1]))
    for path in itertools.product(*(range(k) for k in sizes)):
        p = h.prior[path[0]]
        for i, M in enumerate(h.transitions, start=1):
            p *= M[path[i], path[i - 1]]
        joint[path[0], path[-1]] += p
    return (joint / joint.sum(axis=0)).T


chains = st.tuples(
    st.lists(st.integers(1, 4), min_size=2, max_size=5),
    st.integers(0, 2**31 - 1),
    st.booleans(),
)


@given(chains)
def test_composition_matches_enumeration(chain):
    sizes, seed, with_nuisance = chain
    n = len(sizes) - 1
    nuisance = {n: 2} if with_nuisance else None
    h = random_hierarchy(sizes, seed, nuisance=nuisance)
    d = distill(h)
    brute = brute_force_posterior(h)
    assert np.max(np.abs(d.compose() - brute)) <= 1e-12
    assert np.max(np.abs(h.posterior(0) - brute)) <= 1e-12
    assert d.theorem2_violations() == 0
    assert list(d.sizes) == sorted(d.sizes)  # |T_i| non-decreasing (T_i is a function of T_{i+1})
    for i, stat in enumerate(d.statistics):
        joint = h.joint(i)
        assert abs(mutual_information(joint) - mutual_information(statistic_joint(joint, stat.labels))) <= 1e-12


def test_loops_oracle_agrees_with_path_tensor():
    h = random_hierarchy([2, 3, 2, 3], seed=5, nuisance={3: 2})
    assert np.max(np.abs(_posterior_by_loops(h) - brute_force_posterior(h))) <= 1e-14
    assert path_joint(h).sum() == pytest.approx(1.0, abs=1e-14)


def test_nuisance_compresses_statistics():
    # sizes: signal (3, 4, 4, 5); a 2-valued nuisance enters at level 2 -> k = (3, 4, 8, 10)
    h = random_hierarchy([3, 4, 4, 5], seed=0, nuisance={2: 2})
    d = distill(h)
    assert h.sizes == (3, 4, 8, 10)
    assert d.sizes == (5, 5, 10)  # below level 2 the nuisance half of y_3 is irrelevant
    # the classes of T_0 are exactly the signal part of y_3 = (s, t) -> s
    labels = d.statistics[0].labels
    assert all(labels[2 * s] == labels[2 * s + 1] for s in range(5))
    assert len(set(labels)) == 5


def test_generic_chain_does_not_compress():
    h = random_hierarchy([3, 4, 6], seed=1)
    assert distill(h).sizes == (6, 6)


def test_statistic_is_minimal_merging_loses_information():
    h = random_hierarchy([3, 3, 4], seed=2, nuisance={2: 2})
    stat = minimal_sufficient_statistic(h, 0)
    joint = statistic_joint(h.joint(0), stat.labels)
    base = mutual_information(joint)
    for a, b in itertools.combinations(range(stat.size), 2):
        merged = np.delete(joint, b, axis=1)
        merged[:, a] += joint[:, b]
        loss = merge_information_loss(joint, a, b)
        assert loss == pytest.approx(base - mutual_information(merged), abs=1e-14)
        assert loss > 0
    # merging two values of y_3 with the same posterior (a nuisance pair) loses nothing
    assert merge_information_loss(h.joint(0), 0, 1) == pytest.approx(0.0, abs=1e-15)


def test_hand_made_chain_with_duplicates():
    # y_1 copies y_0 through a noisy channel; y_2 = (y_1, coin) -> T_0 ignores the coin
    prior = np.array([0.3, 0.7])
    M1 = np.array([[0.9, 0.2], [0.1, 0.8]])
    M2 = np.kron(np.eye(2), np.array([[0.5], [0.5]]))  # (y_1, coin)
    h = MarkovHierarchy(prior, (M1, M2))
    d = distill(h)
    assert d.sizes == (2, 2)
    np.testing.assert_array_equal(d.statistics[0].labels, [0, 0, 1, 1])
    # p(y_0 = 0 | y_1 = 0) = 0.3*0.9 / (0.3*0.9 + 0.7*0.2)
    assert d.compose()[0, 0] == pytest.approx(0.27 / 0.41, abs=1e-15)


def test_unreachable_values_are_labelled_minus_one():
    prior = np.array([1.0, 0.0])
    M1 = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    h = MarkovHierarchy(prior, (M1,))
    stat = minimal_sufficient_statistic(h, 0)
    assert stat.labels.tolist() == [0, -1, -1]
    assert np.isnan(distill(h).compose()[1]).all()


def test_mutual_information_known_values():
    assert mutual_information(np.eye(4) / 4, base=2) == pytest.approx(2.0, abs=1e-14)
    assert mutual_information(np.full((3, 5), 1 / 15)) == pytest.approx(0.0, abs=1e-15)
    p = 0.11  # binary symmetric channel with uniform input: 1 - h(p) bits
    joint = 0.5 * np.array([[1 - p, p], [p, 1 - p]])
    h2 = -(p * math.log2(p) + (1 - p) * math.log2(1 - p))
    assert mutual_information(joint, base=2) == pytest.approx(1 - h2, abs=1e-14)


@given(st.integers(2, 6), st.integers(2, 6), st.integers(0, 2**31 - 1))
def test_mutual_information_equals_entropy_identity(kx, ky, seed):
    joint = np.random.default_rng(seed).dirichlet(np.ones(kx * ky)).reshape(kx, ky)
    via_entropies = entropy(joint.sum(1)) + entropy(joint.sum(0)) - entropy(joint)
    assert mutual_information(joint) == pytest.approx(via_entropies, abs=1e-12)


def test_data_processing_inequality_on_random_channels():
    recs = data_processing_trials(300, seed=0)
    assert len(recs) == 300
    assert min(r.min_gap for r in recs) >= -1e-12
    assert any(r.I_xy - r.I_x_fy > 1e-3 for r in recs)  # lossy functions really lose something
    assert data_processing_trials(5, seed=3) == data_processing_trials(5, seed=3)
    record = recs[0].to_dict()
    assert record["min_gap"] == pytest.approx(min(record["I_xy"] - record["I_x_fy"], record["I_xy"] - record["I_x_zy"]))


def test_group_rows_tolerance_and_order():
    rows = np.array([[0.1, 0.9], [0.1 + 1e-12, 0.9 - 1e-12], [0.5, 0.5], [np.nan, np.nan]])
    assert group_rows(rows).tolist() == [0, 0, 1, -1]
    assert group_rows(rows, tol=0.0).tolist() == [0, 1, 2, -1]


def test_random_hierarchy_is_deterministic():
    a, b = random_hierarchy([3, 4, 5], 7, nuisance={1: 2}), random_hierarchy([3, 4, 5], 7, nuisance={1: 2})
    assert all(np.array_equal(x, y) for x, y in zip(a.transitions, b.transitions, strict=True))
    assert not np.array_equal(a.prior, random_hierarchy([3, 4, 5], 8).prior)


@pytest.mark.parametrize(
    ("prior", "mats", "match"),
    [
        ([0.5, 0.6], [np.eye(2)], "sum to 1"),
        ([-0.5, 1.5], [np.eye(2)], "negative"),
        ([0.5, 0.5], [np.ones((3, 3)) / 3], "shape"),
        ([0.5, 0.5], [np.array([[0.5, 0.2], [0.4, 0.8]])], "columns"),
        ([0.5, 0.5], [], "at least one"),
    ],
)
def test_bad_hierarchies_are_refused(prior, mats, match):
    with pytest.raises(InvalidArgumentError, match=match):
        MarkovHierarchy(np.array(prior), tuple(mats))


def test_bad_arguments():
    with pytest.raises(InvalidArgumentError, match="at least two"):
        random_hierarchy([3], 0)
    with pytest.raises(InvalidArgumentError, match="nuisance"):
        random_hierarchy([3, 3], 0, nuisance={2: 2})
    with pytest.raises(ResourceLimitError, match="matrix route"):
        path_joint(random_hierarchy([40, 40, 40, 40, 40], 0))
    with pytest.raises(InvalidArgumentError, match="level"):
        random_hierarchy([3, 3], 0).posterior(5)
    with pytest.raises(InvalidArgumentError, match="seed"):  # randomness only from an explicit seed
        random_hierarchy([3, 3], None)
    with pytest.raises(InvalidArgumentError, match="seed"):
        data_processing_trials(3, seed=None)


def test_docs_examples_run(capsys):
    """docs/hierarchy.md's Python blocks run as written (documentation that cannot drift)."""
    import re
    from pathlib import Path

    doc = Path(__file__).resolve().parents[1] / "docs" / "hierarchy.md"
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 5
    for block in blocks:
        exec(compile(block, str(doc), "exec"), {})
