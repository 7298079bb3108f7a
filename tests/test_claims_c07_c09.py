"""Claims C07-C09 on small configurations: roles, computed verdicts that follow the measured numbers, determinism.

Each claim with a measurement gets a verdict-flip test: the same records, with the measured quantity moved
across its written prediction, give the other verdict (the verdict is computed, never typed in).
"""

import copy
import json
from dataclasses import replace

import pytest

from deepcheap.claims import VERDICTS, get
from deepcheap.claims.base import trial_seed
from deepcheap.claims.c08_distillation import MIN_INFORMATION_KEPT
from deepcheap.claims.c09_renormalization import MIN_RATIO_TO_RANDOM
from deepcheap.claims.checks import measurements
from deepcheap.errors import InvalidArgumentError

C07, C08, C09 = get("C07"), get("C08"), get("C09")
SMALL = {
    "C07": {"chains": (((3, 5), ()), ((2, 3, 4), ((2, 2),)), ((3, 3, 3, 4), ((1, 2),))), "seeds_per_chain": 1},
    "C08": {"dpi_channels": 40, "info_n": 128, "simulations": 300, "dense_n": (64, 128, 256), "fft_n": (256, 512, 1024),
            "fit_from_dense": 64, "fit_from_fft": 256, "timing_repeats": 1, "per_octave_sweep": (1, 4)},
    "C09": {"flow_L": 64, "flow_samples": 60, "flow_levels": 1, "ising_L": 8, "ising_samples": 100,
            "counter_L": 2},
}


def small(claim):
    return replace(claim.QUICK, **SMALL[claim.id])


def _records(claim, config, root=0):
    return [{"trial": t.trial_id, "params": t.params, "seed": trial_seed(root, t.key),
             "result": claim.run_trial(t.params, trial_seed(root, t.key))} for t in claim.trials(config)]


@pytest.fixture(scope="module")
def records():
    return {claim.id: _records(claim, small(claim)) for claim in (C07, C08, C09)}


def _common(result, claim):
    assert result.verdict in VERDICTS
    assert result.claim_id == claim.id
    assert result.headline
    assert result.figures and result.tables
    json.dumps(result.to_dict(), allow_nan=False)  # JSON-ready, numbers as numbers, no NaN
    for config in (claim.QUICK, claim.FULL):
        trials = claim.trials(config)
        for trial in trials:
            assert json.loads(json.dumps(trial.params)) == trial.params
        assert len({t.key for t in trials}) == len(trials)


def test_c07_verdict_comes_from_the_flattening_measurements(records):
    r = C07.result(records["C07"], small(C07))
    _common(r, C07)
    measured = measurements(r.checks)
    assert r.verdict == "holds with caveats"
    assert sum(c.headline for c in measured) == 1 and all(c.predicted is not None for c in measured)
    assert all(c.passed for c in measured if not c.caveat)
    assert {c.name.split(":")[0] for c in measured if not c.passed} == {"AND trees at n = 16",
                                                                        "balanced MAJ3 tree at n = 9"}
    assert all(c.caveat for c in measured if not c.passed)
    assert all(c.passed for c in r.checks if c.role != "measurement")
    assert "sufficient-statistics half" in r.untested  # Theorem 2's half is still only identities
    m = r.metrics
    assert m["max_composition_error"] <= 1e-12
    assert m["max_information_error"] <= 1e-12
    assert m["chains_compressed"] >= 1
    xor = {row["n"]: row for row in m["tree_families"]["xor"]}
    assert xor[16]["flat"] == 2**16 - 1 and xor[16]["deep"] == 45
    assert all(row["flat"] == 1 for row in m["tree_families"]["and"])
    assert m["random_trees"]["16"]["trees"] == 20
    assert C07.result(_records(C07, small(C07)), small(C07)).metrics == m  # deterministic given the seed


def test_c07_verdict_follows_the_random_trees(records):
    config = small(C07)

    def cheap(count):  # the first `count` random 16-leaf trees made cheap to flatten (flat = deep)
        out = copy.deepcopy(records["C07"])
        trees = [t for rec in out if rec["trial"].startswith("tree-random-16") for t in rec["result"]["trees"]]
        for t in trees[:count]:
            t["flat"] = t["deep"]
        return out

    assert C07.result(cheap(10), config).verdict == "holds with caveats"  # 10 of 20 still >= 10x: fraction 0.5
    failed = C07.result(cheap(11), config)
    assert failed.verdict == "fails"
    assert any("random trees" in f for f in failed.failures)


def test_c07_quick_and_full_share_trial_keys_but_not_chain_parameters():
    quick = {t.key: t.fingerprint() for t in C07.trials(C07.QUICK)}
    full = {t.key: t.fingerprint() for t in C07.trials(C07.FULL)}
    assert set(quick) <= set(full)
    assert all(quick[k] != full[k] for k in quick if "/chain-" in k)  # full also tests minimality on every level
    assert all(quick[k] == full[k] for k in quick if "/tree-" in k)  # full adds random trees, reuses quick's
    assert sum("/tree-random-16" in k for k in full) > sum("/tree-random-16" in k for k in quick)


def test_c07_minimality_on_every_level():
    config = replace(small(C07), minimality_all_levels=True)
    r = C07.result(_records(C07, config), config)
    assert r.metrics["merges_tested"] > C07.result(_records(C07, small(C07)), small(C07)).metrics["merges_tested"]
    assert r.metrics["lossless_merges"] == 0


def test_c08_roles_and_numbers(records):
    r = C08.result(records["C08"], small(C08))
    _common(r, C08)
    measured = measurements(r.checks)
    assert {c.caveat for c in measured} == {False, True}
    assert sum(c.headline for c in measured) == 1
    assert all(c.predicted is not None for c in measured)
    assert all(c.timed for c in r.checks if c.caveat)
    assert r.metrics["dpi"]["violations"] == 0
    for info in r.metrics["information"].values():
        assert info["map_fraction"] == pytest.approx(1.0, abs=1e-6)
        assert 0.9 <= info["bandpower_fraction"] <= 1.0
        assert abs(info["F"] / info["F_dense"] - 1) < 1e-8
    assert set(r.metrics["cost_exponents"]) >= {"map-making (dense)", "map-making (fft)", "spectrum (dense)"}
    table = r.tables[0]
    assert all(isinstance(v, (int, float)) for row in table.rows for v in row[2:])


def test_c08_verdict_follows_the_information_kept(records):
    config = small(C08)
    base = C08.result(records["C08"], config)
    lossy = copy.deepcopy(records["C08"])
    for rec in lossy:
        if rec["trial"] == "info-tilt":
            rec["result"]["F_bandpowers"] = 0.5 * MIN_INFORMATION_KEPT * rec["result"]["F"]
    flipped = C08.result(lossy, config)
    assert flipped.verdict == "fails"
    assert any("tilt" in f for f in flipped.failures)
    assert base.verdict in ("holds", "holds with caveats")


def test_c08_verdict_follows_the_cost_exponents(records):
    config = small(C08)
    fast = copy.deepcopy(records["C08"])
    for rec in fast:
        if rec["trial"] == "costs":
            for row in rec["result"]["rows"]:
                row["exponent"] = {"dense": 3.0, "bands": 1.0, "fft": 1.0}[row["method"]]
                if row["stage"] == "spectrum" and row["method"] == "dense":
                    row["exponent"] = 2.0
    assert C08.result(fast, config).verdict == "holds"
    slow = copy.deepcopy(fast)
    for rec in slow:
        if rec["trial"] == "costs":
            rec["result"]["rows"][0]["exponent"] = 4.2  # map-making (dense) against the paper's 3
    result = C08.result(slow, config)
    assert result.verdict == "holds with caveats"
    assert any("map-making" in c for c in result.caveats)


def test_c08_information_is_deterministic():
    params = next(t.params for t in C08.trials(small(C08)) if t.trial_id == "info-tilt")
    first, again = C08.run_trial(params, 11), C08.run_trial(params, 11)
    assert first == again
    assert C08.run_trial(params, 12)["variance"] != first["variance"]


def test_c09_roles_and_numbers(records):
    r = C09.result(records["C09"], small(C09))
    _common(r, C09)
    measured = measurements(r.checks)
    assert len(measured) == 2 and not any(c.caveat for c in measured)
    assert [c.headline for c in measured] == [True, False]
    flow = r.metrics["flow"]
    assert abs(flow["y2"]["exact_exponents"][0] + 2) <= 0.05
    rows = r.metrics["counterexample"]
    assert all(abs(x["log_Z_joint"] - x["log_Z"]) < 1e-12 for x in rows)
    assert all(x["tv_marginal"] > 0.01 for x in rows)
    assert set(r.metrics["ising"]) == {"majority", "decimation", "random"}
    bits = r.metrics["ising_exact"]["bits"]
    assert r.metrics["ratio_to_random"]["majority"] == pytest.approx(bits["majority"][1] / bits["random"][1])
    lo, hi = r.metrics["ising_exact"]["random_range"][0]
    assert lo <= bits["random"][1] <= hi


def test_c09_verdict_follows_the_exact_information(records):
    config = small(C09)
    base = C09.result(records["C09"], config)

    def moved(factor):
        out = copy.deepcopy(records["C09"])
        for rec in out:
            if rec["trial"] == "ising-exact":
                bits = rec["result"]["bits"]
                bits["majority"][1] = bits["decimation"][1] = factor * MIN_RATIO_TO_RANDOM * bits["random"][1]
        return out

    assert C09.result(moved(1.01), config).verdict == "holds"
    assert C09.result(moved(0.99), config).verdict == "fails"
    expected = "holds" if min(base.metrics["ratio_to_random"].values()) >= MIN_RATIO_TO_RANDOM else "fails"
    assert base.verdict == expected


def test_c09_refuses_an_exact_lattice_without_coarse_levels():
    with pytest.raises(InvalidArgumentError, match="exact_L"):
        C09.trials(replace(C09.QUICK, exact_L=3))


def test_c09_exact_trial_needs_no_sampling():
    trials = {t.trial_id: t for t in C09.trials(C09.QUICK)}
    exact = C09.run_trial(trials["ising-exact"].params, 0)
    assert exact == C09.run_trial(trials["ising-exact"].params, 1)  # exact: no seed enters
    assert exact["bits"]["majority"][0] > exact["bits"]["majority"][1] >= 0
    counter = C09.run_trial(trials["counterexample"].params, 0)
    assert all(abs(x["log_Z_joint"] - x["log_Z"]) < 1e-12 for x in counter["rows"])
