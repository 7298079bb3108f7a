"""The exact read-out on small tori: KL against brute-force sums, planted Hamiltonians, calibration functions."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepcheap.compiler import walsh
from deepcheap.errors import InvalidArgumentError
from deepcheap.exact_readout import calibration_functions, exact_kl, exact_task, readout
from deepcheap.physics.lattice import neighbour_pairs
from deepcheap.seeds import numpy_generator


@pytest.fixture(scope="module")
def task4():
    return exact_task(4, (2.1, 2.5))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31), t0=st.floats(1.0, 4.0), t1=st.floats(1.0, 4.0))
def test_exact_kl_against_a_brute_force_sum_at_L3(seed, t0, t1):
    """Every state of the 3 x 3 torus in plain Python: Boltzmann weights, partition functions, posteriors, KL."""
    if abs(t0 - t1) < 1e-3:
        return
    task = exact_task(3, (t0, t1))
    model = numpy_generator(seed).normal(scale=2.0, size=2**9)
    bonds = []
    for spins in itertools.product((-1, 1), repeat=9):  # x_1 most significant: the order of walsh.all_states
        g = np.array(spins).reshape(3, 3)
        bonds.append(sum(int(g[r, c] * (g[(r + 1) % 3, c] + g[r, (c + 1) % 3])) for r in range(3) for c in range(3)))
    z = [sum(math.exp(b / t) for b in bonds) for t in (t0, t1)]
    total = 0.0
    for k, b in enumerate(bonds):
        p0, p1 = math.exp(b / t0) / z[0], math.exp(b / t1) / z[1]
        posterior, q = p1 / (p0 + p1), 1 / (1 + math.exp(-model[k]))
        total += (p0 + p1) / 2 * sum(a * math.log(a / c) for a, c in ((posterior, q), (1 - posterior, 1 - q)))
    assert exact_kl(task, model) == pytest.approx(total, rel=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_planted_hamiltonian_with_1_2_3_spin_terms_is_recovered(seed):
    """Random fields, pairs and triples on the 4 x 4 torus: the Walsh spectrum returns every coefficient to 1e-10,
    the Parseval shares follow from them, and with no triples the weighted pair fit is exact."""
    task = exact_task(4, (2.0, 3.0))
    rng, n = numpy_generator(seed), 16
    terms = {(i,): rng.normal() for i in range(n)}
    terms |= {p: rng.normal() for p in itertools.combinations(range(n), 2) if rng.random() < 0.3}
    triples = {t: rng.normal() for t in itertools.combinations(range(n), 3) if rng.random() < 0.02}
    s = task.states.reshape(-1, n)

    def values(planted):
        return sum(c * np.prod(s[:, list(v)], axis=1) for v, c in planted.items())

    f = values(terms | triples)
    coefficients = walsh.walsh_hadamard(f)
    for v, c in (terms | triples).items():
        assert coefficients[walsh.variables_to_index(v, n)] == pytest.approx(c, abs=1e-10)
    bonds = set(neighbour_pairs(4))
    power = {"fields": sum(c**2 for v, c in terms.items() if len(v) == 1),
             "nn pairs": sum(c**2 for v, c in terms.items() if v in bonds),
             "other pairs": sum(c**2 for v, c in terms.items() if len(v) == 2 and v not in bonds),
             ">=3 spins": sum(c**2 for c in triples.values())}
    result = readout(task, f)
    for group, energy in power.items():
        assert result.spectrum[group] == pytest.approx(energy / sum(power.values()), abs=1e-10)
    pairs_only = readout(task, values(terms))
    nn = [terms.get(p, 0.0) for p in sorted(bonds)]
    assert pairs_only.coupling == pytest.approx(np.mean(nn), abs=1e-10)


def test_calibration_functions_are_told_apart(task4):
    found = {name: readout(task4, f) for name, f in calibration_functions(task4).items()}
    bayes, cube, m2 = found["Bayes log-odds"], found["(Bayes log-odds)^3"], found["m^2"]
    assert bayes.coupling_ratio == pytest.approx(1.0, abs=1e-9) and abs(bayes.outside_nn) < 1e-9
    assert bayes.spectrum["nn pairs"] == pytest.approx(1.0, abs=1e-12)
    assert cube.outside_nn > 0.3 and cube.spectrum[">=3 spins"] > 0.05  # same decisions, not quadratic
    assert m2.coupling_ratio < 0.5 and m2.spectrum["other pairs"] > 0.5  # not local
    fb = task4.bayes_log_odds
    assert np.array_equal(np.sign(calibration_functions(task4)["(Bayes log-odds)^3"]), np.sign(fb))
    assert exact_kl(task4, fb) == 0.0


def test_bad_input(task4):
    for bad in [(5, (2.0, 3.0)), (4, (2.0, 2.0)), (4, (2.0,)), (4, (-1.0, 2.0))]:
        with pytest.raises(InvalidArgumentError):
            exact_task(*bad)
    with pytest.raises(InvalidArgumentError, match="one value per state"):
        readout(task4, np.zeros(10))
    with pytest.raises(InvalidArgumentError, match="finite"):
        exact_kl(task4, np.full(2**16, np.nan))


def test_bayes_accuracy_is_the_accuracy_of_the_sign_of_the_bayes_log_odds(task4):
    p0, p1 = task4.class_probabilities
    says_one = task4.bayes_log_odds > 0
    assert task4.bayes_accuracy == pytest.approx(float((p1[says_one].sum() + p0[~says_one].sum()) / 2), rel=1e-12)
