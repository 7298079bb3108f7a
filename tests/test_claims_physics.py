"""Claims C01 and C10 on small configurations: roles, numbers, and verdicts that flip with the numbers."""

import json
from contextlib import contextmanager
from dataclasses import replace

import numpy as np
import torch

from deepcheap.claims import get_claim
from deepcheap.claims.checks import verdict
from deepcheap.dictionary import TABLE_I


def _roles(result) -> set[str]:
    return {c.role for c in result.checks}


def _claim_measurements(result) -> list:
    return [c for c in result.checks if c.role == "measurement" and not c.caveat]


@contextmanager
def global_rngs_untouched():
    """Trials draw only from generators built from their seed: torch's and numpy's global states stay as they were."""
    torch_state, numpy_state = torch.random.get_rng_state(), np.random.get_state()  # noqa: NPY002 (the legacy global)
    yield
    assert torch.equal(torch_state, torch.random.get_rng_state())
    after = np.random.get_state()  # noqa: NPY002
    assert np.array_equal(numpy_state[1], after[1]) and numpy_state[2:] == after[2:]


def test_c01_eq8_is_an_identity_and_the_verdict_is_untested():
    claim = get_claim("C01")
    with global_rngs_untouched():
        result = claim.run(config=replace(claim.QUICK, gaussian=((2, 2), (3, 3)), points=500, lattices=(3,)))
    assert result.verdict == "untested" and "trained" in result.untested
    assert _roles(result) == {"identity", "construction"} and all(c.passed for c in result.checks)
    assert result.metrics["gaussian_formula"] < 1e-12 and result.metrics["ising_formula"] < 1e-12
    assert result.metrics["network"] < 1e-6
    # no tolerance of an identity or a construction can move the verdict
    assert verdict([c.with_bounds(None, 1e-300) for c in result.checks]) == "untested"
    json.dumps(result.to_dict(), allow_nan=False)


def test_c10_reads_table_i_and_is_untested():
    claim = get_claim("C10")
    with global_rngs_untouched():
        result = claim.run(config=replace(claim.QUICK, kl_sizes=(8,), sweeps=3000, locality_sizes=(4, 8)))
    assert result.verdict == "untested" and "trained" in result.untested
    assert _roles(result) == {"identity", "construction"} and all(c.passed for c in result.checks)
    assert result.metrics["kl_exact_relative_error"] < 1e-10
    assert result.metrics["bit_neurons"] == 27  # 9 fields + 18 bonds of the 3x3 lattice in bits
    table = result.tables[0]
    assert [row[0] for row in table.rows] == [row.physics for row in TABLE_I]
    computed = [row for row in table.rows if row[5] is not None]
    assert len(computed) == sum(1 for row in TABLE_I if row.check) == 6
    assert verdict([c.with_bounds(None, 1e-300) for c in result.checks]) == "untested"
    json.dumps(result.to_dict(), allow_nan=False)
