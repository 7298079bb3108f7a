"""Claims framework: roles, verdicts from measurements only, typed configs, tables of numbers, seeds."""

import json
from dataclasses import replace

import pytest

from deepcheap.claims import ALL_CLAIMS, Check, Table, get, get_claim, select_claims, trial_seed, verdict
from deepcheap.errors import InvalidArgumentError


def m(value, caveat=False):
    return Check.measurement("m", value, predicted=1.0, low=0, high=2, caveat=caveat)


@pytest.mark.parametrize(
    ("checks", "expected"),
    [
        ([m(1.0)], "holds"),
        ([m(3.0)], "fails"),
        ([m(1.0), m(5.0, caveat=True)], "holds with caveats"),
        ([m(3.0), m(5.0, caveat=True)], "fails"),
        ([m(float("nan"))], "fails"),
        ([m(None)], "fails"),
        ([], "untested"),
        ([m(1.0, caveat=True)], "untested"),
        ([m(5.0, caveat=True)], "untested"),
        ([Check.identity("i", 5.0, high=1), Check.construction("c", 3, high=0)], "untested"),
        ([m(1.0), Check.identity("i", 5.0, high=1), Check.construction("c", 3, high=0)], "holds"),
    ],
)
def test_verdict_comes_from_measurements_only(checks, expected):
    assert verdict(checks) == expected


def test_checks_refuse_missing_roles_and_bounds():
    with pytest.raises(ValueError, match="role"):
        Check("x", 1.0, "claim", high=2)
    with pytest.raises(ValueError, match="bound"):
        Check.measurement("x", 1.0, predicted=1.0)
    with pytest.raises(ValueError, match="only measurements"):
        Check("x", 1.0, "identity", high=2, caveat=True)
    assert Check.construction("n", True, high=1).value == 1.0


def test_tables_hold_numbers_and_format_them():
    table = Table("t", ["n", "x", "label"], [[3, 0.123456, "float64"], [4, None, "4x4"]], formats=["d", ".2g", ""])
    assert table.formatted_rows() == [["3", "0.12", "float64"], ["4", "-", "4x4"]]
    assert json.loads(json.dumps(table.to_dict()))["rows"][0][:2] == [3, 0.123456]
    for text in ("0.5", "1e-6", "12%", "1,024"):
        with pytest.raises(ValueError, match="number written as text"):
            Table("t", ["a"], [[text]])


def test_trial_seed_depends_on_root_and_key_only():
    assert trial_seed(0, "C02/a") == trial_seed(0, "C02/a")
    assert trial_seed(0, "C02/a") != trial_seed(1, "C02/a")
    assert trial_seed(0, "C02/a") != trial_seed(0, "C02/b")


def test_registry_selection_and_configs():
    ids = [c.id for c in ALL_CLAIMS]
    assert ids == sorted(ids)
    assert [c.id for c in select_claims("c03, C02")] == ["C02", "C03"]
    assert get("c03") is get_claim("C03")
    with pytest.raises(InvalidArgumentError, match="available"):
        select_claims("C99")
    claim = get("C03")
    assert claim.config("quick") is claim.QUICK and claim.config("full") is claim.FULL
    custom = replace(claim.QUICK, random_functions=3)
    assert claim.config(custom) is custom and claim.scale_of(custom) == "custom"
    with pytest.raises(InvalidArgumentError, match="Config"):
        claim.config(get("C02").QUICK)


def test_fingerprints_hash_parameters_not_scale_names():
    claim = get("C03")
    quick = {t.key: t.fingerprint() for t in claim.trials(claim.QUICK)}
    more = {t.key: t.fingerprint() for t in claim.trials(replace(claim.QUICK, random_functions=13))}
    changed = {k for k in quick if k in more and quick[k] != more[k]}
    assert changed and all("boolean" in k for k in changed)
    assert all(quick[k] == more[k] for k in quick if "bits" in k)


def test_headline_and_counts_in_the_result():
    claim = get("C03")
    result = claim.run(config=replace(claim.QUICK, ks=(1, 2), boolean_ns=(2,), random_functions=1))
    counts = result.counts()
    assert counts["measurement"]["total"] == 0 and counts["identity"]["total"] >= 1
    assert result.headline_check is None
    document = result.to_dict()
    assert document["config"]["ks"] == [1, 2] and document["verdict"] == "untested"
    assert json.loads(json.dumps(document))["counts"] == counts
