"""The depth x size grid (issue 18): cells independent of their companions, the scores, the reading
(N*, separation, equal error, boundaries), the budget control, and the existence oracles against sympy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from deepcheap.errors import InvalidArgumentError
from deepcheap.flattening.depth_analysis import boundary_cells, equal_error, n_star, separation
from deepcheap.flattening.depth_grid import (
    DOMAINS,
    CellResult,
    GridTask,
    grid_cells,
    score,
    second_moment_noise,
    tapered_widths,
    train_grid,
    train_with_control,
)
from deepcheap.flattening.oracles import existence_oracles
from deepcheap.flattening.polynomial import depth_k_bound, product_networks

TINY = {"seeds": 2, "lrs": (3e-2,), "steps": 60, "batch": 64, "test_points": 2000, "seed": 0}


def test_a_cells_results_do_not_depend_on_the_cells_sharing_its_run():
    task = GridTask(4, "signed", "tanh")
    cells = grid_cells(4, (1, 2), (8, 16))
    together = train_grid(task, cells, **TINY)
    alone = train_grid(task, cells[:1], **TINY)
    reordered = train_grid(task, [cells[3], cells[0]], **TINY)
    for other in (alone.cells[0], reordered.cells[1]):
        assert other.errors == together.cells[0].errors
        assert other.train_errors == together.cells[0].train_errors
    assert together.cells[3].errors == reordered.cells[0].errors


def test_grid_shapes_and_the_tapered_tree():
    assert tapered_widths(8) == (16, 8, 4) and tapered_widths(20) == (40, 20, 10, 5, 3)
    cells = grid_cells(8, (1, 3), (2, 16), tapered=True)
    assert [(c.depth, c.neurons, c.widths) for c in cells] == [(1, 2, (2,)), (1, 16, (16,)), (3, 16, (6, 5, 5)),
                                                               (3, 28, (16, 8, 4))]
    assert cells[-1].shape == "tapered"  # k > N cells (depth 3 with 2 neurons) are left out


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 6), domain=st.sampled_from(sorted(DOMAINS)), seed=st.integers(0, 2**31))
def test_second_moment_noise_matches_the_moments_of_samples(n, domain, seed):
    """sqrt((E y^4 / (E y^2)^2 - 1) / N) from the closed form against a sample of 200k products."""
    x = DOMAINS[domain].sample(n, 200_000, seed).numpy()
    y2 = np.prod(x, axis=1) ** 2
    sampled = math.sqrt((np.mean(y2**2) / np.mean(y2) ** 2 - 1) / 1000)
    assert second_moment_noise(domain, n, 1000) == pytest.approx(sampled, rel=0.1)


def test_second_moment_noise_makes_rms_unmeasurable_on_rt():
    """At n = 20 and 10^6 test points E[y^2] is known to 36% on [0, 2]^n, to 1.3% on the signed domain."""
    assert second_moment_noise("rt", 20, 10**6) > 0.35 > 0.013 > second_moment_noise("signed", 20, 10**6)


def test_scores_are_one_for_the_best_constant_and_zero_for_the_product():
    for name, d in DOMAINS.items():
        x = d.sample(5, 10_000, 1)
        y = x.prod(dim=1)
        best = y.median() if d.metric == "mae" else y.mean()
        got = score(torch.stack([torch.full_like(y, float(best)), y]), y, d.metric)
        assert got[0] == pytest.approx(1.0) and got[1] == 0, name


def _cells(table: dict) -> list[CellResult]:
    """{(depth, N): [errors per seed]} -> cells."""
    return [CellResult(k, N, "even", (N,), tuple(e), tuple(e)) for (k, N), e in table.items()]


def test_n_star_separation_and_the_lower_bound_when_shallow_never_reaches_eps():
    cells = _cells({(1, 16): [0.5, 0.5], (1, 32): [0.2, 0.09], (1, 64): [0.05, 0.2], (2, 16): [0.3, 0.3],
                    (2, 32): [0.08, 0.02], (3, 16): [0.09, 0.5]})
    assert n_star(cells, 1, 0.1) == 32  # half the seeds suffice
    s = separation(cells, 0.1)
    assert (s.shallow, s.deep, s.deep_depth, s.ratio) == (32, 16, 3, 2.0)
    s = separation(cells, 0.06)
    assert s.shallow == 64 and s.deep == 32 and s.ratio == 2.0
    s = separation(cells, 0.01)
    assert s.deep is None and s.ratio is None
    never = separation(_cells({(1, 16): [0.5], (1, 64): [0.4], (2, 16): [0.05]}), 0.1)
    assert never.shallow_exceeds and never.ratio == 4.0  # 64 / 16: a lower bound


def test_equal_error_in_both_directions():
    deep_cheaper = equal_error(_cells({(1, 16): [0.6], (1, 32): [0.5], (1, 64): [0.4], (2, 16): [0.7],
                                       (2, 32): [0.39], (2, 64): [0.1]}))
    assert (deep_cheaper.deep_match, deep_cheaper.deep_depth, deep_cheaper.ratio) == (32, 2, 2.0)
    shallow_cheaper = equal_error(_cells({(1, 16): [0.3], (1, 32): [0.2], (1, 64): [0.1], (2, 16): [0.7],
                                          (2, 32): [0.5], (2, 64): [0.25]}))
    assert shallow_cheaper.deep_match is None and shallow_cheaper.shallow_match == 32
    assert shallow_cheaper.ratio == 0.5


def test_boundary_cells_are_each_depths_n_star_and_the_next_smaller():
    cells = _cells({(1, 16): [0.5], (1, 32): [0.2], (1, 64): [0.3], (2, 16): [0.3], (2, 32): [0.05],
                    (2, 64): [0.01], (3, 16): [0.05]})
    assert boundary_cells(cells, 0.1) == [(1, 64), (2, 16), (2, 32), (3, 16)]


def test_the_budget_control_retrains_the_boundary_cells_with_twice_the_steps():
    task = GridTask(3, "signed", "tanh")
    cells = grid_cells(3, (1, 2), (4, 8, 16))
    first, doubled = train_with_control(task, cells, control_eps=0.1, **TINY)
    expected = boundary_cells(first.cells, 0.1)
    assert doubled.steps == 2 * first.steps == 120
    assert sorted((c.depth, c.neurons) for c in doubled.cells) == sorted(expected)


def test_bad_grid_input_is_refused_with_the_fix():
    with pytest.raises(InvalidArgumentError, match="domain"):
        GridTask(4, "sphere", "tanh")
    with pytest.raises(InvalidArgumentError, match="n"):
        GridTask(1, "rt", "tanh")
    with pytest.raises(InvalidArgumentError, match="at least one cell"):
        train_grid(GridTask(3, "rt", "tanh"), [], **TINY)


@pytest.mark.parametrize("domain", sorted(DOMAINS))
def test_existence_oracles_against_sympy_lambdify_on_the_test_set(domain):
    """Each constructed network evaluated in float64 against the product from sympy.lambdify; its score
    recomputed from those values; sizes are the theorems' counts."""
    n = 6
    xs = sympy.symbols(f"x1:{n + 1}")
    target = sympy.lambdify(xs, sympy.Mul(*xs), "numpy")
    x = DOMAINS[domain].sample(n, 20_000, 3)
    y = torch.from_numpy(np.asarray(target(*x.numpy().T), dtype=np.float64))
    oracles = existence_oracles(n, domain, depths=(2,), dtype="float64")
    sizes = {o.name: (o.depth, o.neurons) for o in oracles}
    assert sizes == {"tree": (3, product_networks(n).deep_mlp_neurons), "grouped-k2": (2, depth_k_bound(n, 2)[0]),
                     "sign-sum": (1, 2**n)}
    spread = float((y - y.mean()).abs().max())
    for o in oracles:
        predicted = o.predict(x)
        assert float((predicted - y).abs().max()) < 1e-3 * spread, o.name
        independent = float(score(predicted[None], y, DOMAINS[domain].metric)[0])
        assert o.error(x, DOMAINS[domain].metric) == pytest.approx(independent, rel=1e-9, abs=1e-15)
        assert independent < 1e-3


def test_an_oracle_is_a_warm_start_at_its_own_size():
    [tree] = existence_oracles(4, "signed", dtype="float32")[:1]
    task = GridTask(4, "signed", tree.activation)
    x = DOMAINS["signed"].sample(4, 2000, 0)
    result = train_grid(task, [tree.cell], warm_starts={tree.cell.key: tree.layers}, **{**TINY, "steps": 1,
                                                                                         "lrs": (1e-9,)})
    [cell] = result.cells
    assert (cell.depth, cell.neurons, cell.widths) == (tree.depth, tree.neurons, tree.widths)
    assert len(cell.errors) == 1 and cell.errors[0] < 1e-2  # untouched, it still multiplies
    assert tree.error(x, "rms") < 1e-3
