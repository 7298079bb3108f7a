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
from deepcheap.claims.c09_fisher import FISHER_LEVEL, UNSUPERVISED, Y2_SEPARATION
from deepcheap.claims.c09_renormalization import MIN_RATIO_TO_RANDOM
from deepcheap.claims.checks import measurements
from deepcheap.errors import InvalidArgumentError

C07, C08, C09 = get("C07"), get("C08"), get("C09")
SMALL = {
    "C07": {"chains": (((3, 5), ()), ((2, 3, 4), ((2, 2),)), ((3, 3, 3, 4), ((1, 2),))), "seeds_per_chain": 1},
    "C08": {"dpi_channels": 40, "info_n": 128, "simulations": 300, "dense_n": (64, 128, 256), "fft_n": (256, 512, 1024),
            "fit_from_dense": 64, "fit_from_fft": 256, "timing_repeats": 1, "per_octave_sweep": (1, 4)},
    "C09": {"flow_L": 64, "flow_samples": 60, "flow_levels": 1, "ising_L": 8, "ising_samples": 100,
            "counter_L": 2, "fisher_L": 32, "fisher_levels": 3, "fisher_draws": (2, 8), "perturbation_L": (8,),
            "perturbation_n": 512},
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
    fisher = [c for c in measured if "Fisher" in c.name]
    assert len(measured) == 2 + 9 + 2 and len(fisher) == 9  # 2 exact Ising, 4 rules x (y0, y2), block's ordering,
    # 2 Ising perturbation checks (L = 8)
    assert [c.headline for c in measured] == [True] + [False] * 12
    assert {c.caveat for c in fisher} == {False, True}
    assert all(c.caveat == any(f"({u})" in c.name for u in UNSUPERVISED) for c in fisher)
    assert all(c.passed for c in r.checks if c.role == "identity" and ("Fisher" in c.name or "RSMI" in c.name))
    m = r.metrics["fisher"]
    assert set(m) == {"block", "decimation", "random", "pca", "rsmi"}
    assert max(r.metrics["fisher_dense_deviation"].values()) < 1e-10
    ratios = r.metrics["fisher_ratios"]
    assert ratios["decimation"]["y2"] == pytest.approx(m["decimation"]["diagonal"][FISHER_LEVEL][2]
                                                       / m["block"]["diagonal"][FISHER_LEVEL][2])
    assert ratios["pca"]["y2"] == pytest.approx(1.0) and ratios["rsmi"]["y0"] == pytest.approx(1.0)  # = block
    assert any("do not support 'RG is not unsupervised learning'" in n for n in r.notes)
    assert any(f.name == "fisher_retention" for f in r.figures)
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


def _c09_moved(records, ising=None, y2_factor=None, rules=None, ising_levels=None):
    """C09 records with the exact Ising ratios set to ``ising`` x the prediction and, for ``rules``, F_22(rule) /
    F_22(block) at the Fisher level set to ``y2_factor`` x the prediction and F_00(rule) to F_00(block) (None:
    unchanged; on the small lattice decimation and random lose more than 2x of y0's information by level 3). The
    Ising perturbation records are dropped unless ``ising_levels`` = (relevant majority, irrelevant majority,
    irrelevant random) fractions of level 0's 0.5 bits kept at level 1."""
    out = copy.deepcopy(records)
    if ising_levels is None:
        out = [rec for rec in out if rec["params"]["kind"] != "perturbations"]
    for rec in (r for r in out if r["params"]["kind"] == "perturbations"):
        scores = rec["result"]["scores"]
        for rules_ in scores.values():
            for rows in rules_.values():
                rows[0]["bits"] = 0.5
        for (p, rule), kept in zip([("relevant", "majority"), ("irrelevant", "majority"), ("irrelevant", "random")],
                                   ising_levels, strict=True):
            scores[p][rule][1]["bits"] = 0.5 * kept
    fisher = {rec["trial"][len("fisher-"):]: rec["result"] for rec in out if rec["params"]["kind"] == "fisher"}
    for rec in out:
        if rec["trial"] == "ising-exact" and ising is not None:
            bits = rec["result"]["bits"]
            bits["majority"][1] = bits["decimation"][1] = ising * MIN_RATIO_TO_RANDOM * bits["random"][1]
    if y2_factor is not None:
        block = fisher["block"]["diagonal"][FISHER_LEVEL]
        for rule in [r for r in fisher if r != "block"]:
            fisher[rule]["diagonal"][FISHER_LEVEL][0] = block[0]
        for rule in rules or [r for r in fisher if r != "block"]:
            fisher[rule]["diagonal"][FISHER_LEVEL][2] = y2_factor * Y2_SEPARATION * block[2]
    return out


def test_c09_verdict_follows_the_exact_information(records):
    config = small(C09)
    base = C09.result(records["C09"], config)
    assert C09.result(_c09_moved(records["C09"], 1.01, 1.01), config).verdict == "holds"
    assert C09.result(_c09_moved(records["C09"], 0.99, 1.01), config).verdict == "fails"
    fisher_ok = all(r["y2"] >= Y2_SEPARATION and 0.5 <= r["y0"] <= 2 for r in base.metrics["fisher_ratios"].values())
    expected = "holds" if min(base.metrics["ratio_to_random"].values()) >= MIN_RATIO_TO_RANDOM and fisher_ok \
        else "fails"
    assert base.verdict == expected


def test_c09_verdict_follows_the_fisher_separation(records):
    config = small(C09)
    geometric = ["decimation", "random"]
    assert C09.result(_c09_moved(records["C09"], 1.01, 1.01), config).verdict == "holds"
    caveated = C09.result(_c09_moved(records["C09"], 1.01, 1.01, geometric), config)  # pca, rsmi stay = block
    assert caveated.verdict == "holds with caveats"
    assert all("(pca)" in c or "(rsmi)" in c for c in caveated.caveats)
    failed = C09.result(_c09_moved(records["C09"], 1.01, 0.99, ["decimation"]), config)
    assert failed.verdict == "fails"
    assert any("F_22(decimation)" in f for f in failed.failures)
    unordered = _c09_moved(records["C09"], 1.01, 1.01)
    for rec in unordered:
        if rec["trial"] == "fisher-block":
            rec["result"]["exponents"][0] = [0.0, -3.0, -2.0]  # y1 below y2 at level 1
    assert C09.result(unordered, config).verdict == "fails"


def test_c09_verdict_follows_the_ising_perturbations(records):
    config = small(C09)
    held = C09.result(_c09_moved(records["C09"], 1.01, 1.01, ising_levels=(0.9, 0.0, 0.5)), config)
    assert held.verdict == "holds"
    names = [c.name for c in measurements(held.checks) if c.name.startswith("Ising L = 8")]
    assert len(names) == 2 and "ising_perturbations" in held.metrics
    assert any(f.name == "ising_perturbations" for f in held.figures)
    slow = C09.result(_c09_moved(records["C09"], 1.01, 1.01, ising_levels=(0.5, 0.5, 0.5)), config)
    assert slow.verdict == "fails" and len(slow.failures) == 2  # neither faster than relevant nor than random
    random_first = C09.result(_c09_moved(records["C09"], 1.01, 1.01, ising_levels=(0.9, 0.2, 0.1)), config)
    assert random_first.verdict == "fails" and len(random_first.failures) == 1
    assert not next(c for c in random_first.checks if "random spins minus majority" in c.name).passed


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
