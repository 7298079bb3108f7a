"""C03: bit products and Boolean functions."""

from dataclasses import replace

from deepcheap.claims import get_claim


def test_c03_is_untested_with_its_identities_and_constructions_passing():
    claim = get_claim("C03")
    result = claim.run(config=replace(claim.QUICK, ks=(1, 2, 4, 8), boolean_ns=(1, 3, 6), random_functions=4))
    assert result.verdict == "untested" and "measurement" in result.untested
    assert all(c.passed for c in result.checks)
    assert {c.role for c in result.checks} == {"identity", "construction"}
    assert result.metrics["wrong_after_rounding"] == 0
    assert abs(result.metrics["decimals_at_D_ln10_over_D"] - 0.5) < 0.05
