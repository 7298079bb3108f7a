"""C12 and C13: flattening products and monomials (tiny configurations through dataclasses.replace)."""

import json
from dataclasses import replace

import pytest

from deepcheap.claims import get_claim, verdict
from deepcheap.claims.c12_product_flattening import FAIL_RATIO, HOLD_RATIO, _grid_checks
from deepcheap.flattening.trained import Budget

TINY_GRID = {"grid_ns": (3, 4), "grid_domains": ("signed", "rt"), "grid_depths": (1, 2), "grid_totals": (4, 8, 16),
             "grid_seeds": 2, "grid_lrs": (3e-2,), "grid_steps": 60, "grid_batch": 64, "grid_test_points": 2000,
             "necessity_ns": (2,), "necessity_restarts": 4, "necessity_effort": 30}


def _tiny_c12():
    claim = get_claim("C12")
    return claim, replace(claim.QUICK, construction_ns=(2, 3, 4, 5, 12), certificate_ns=(2, 3, 4),
                          shallow_error_ns=(2, 3), deep_error_ns=(2, 4), **TINY_GRID)


def _tiny_c13():
    claim = get_claim("C13")
    return claim, replace(claim.QUICK, monomials=((1,), (2,), (2, 1), (3, 1), (1, 1, 1)), powers=(2, 5, 16, 64),
                          depth_ns=(4, 8, 64), built_groupings=((8, (2, 4)), (8, (3, 3))), built_depths=((16, 2),),
                          trained_monomials=((2,), (2, 1)), seeds=1, widths=((2, 4),),
                          budget=Budget(steps=60, train_points=64, test_points=128), necessity_restarts=4,
                          necessity_effort=30)


@pytest.fixture(scope="module")
def c12():
    claim, config = _tiny_c12()
    return claim.run(config=config, seed=0)


@pytest.fixture(scope="module")
def c13():
    claim, config = _tiny_c13()
    return claim.run(config=config, seed=0)


def test_c12_is_decided_by_measurements_of_the_grid_and_the_necessity_search(c12):
    measured = [c for c in c12.checks if c.role == "measurement"]
    names = " | ".join(c.name for c in measured)
    for domain in ("signed", "rt"):
        assert f"n = 4, {domain}, tanh: shallow over best deep neurons" in names
        assert f"n = 4, {domain}, tanh: the same ratio with twice the steps" in names
        assert f"{domain}, tanh: ratio at n = 4 over ratio at n = 3" in names
    assert "necessity (n inputs): smallest uniform error" in names
    assert c12.verdict in ("holds", "holds with caveats", "fails")
    assert c12.verdict == verdict(c12.checks)
    constructions = [c for c in c12.checks if c.role != "measurement"]
    assert all(c.passed for c in constructions), [c.describe() for c in constructions if not c.passed]
    assert c12.metrics["C_n"]["12"] == pytest.approx(4096 / 44)
    assert c12.scale == "custom"


def test_c12_records_the_grid_as_data_in_total_neurons(c12):
    grid = c12.metrics["grid"]
    assert set(grid) == {f"n{n}|{d}|tanh" for n in (3, 4) for d in ("signed", "rt")}
    cells = grid["n4|signed|tanh"]["cells"]
    even = [c for c in cells if c["shape"] == "even"]
    assert sorted((c["depth"], c["neurons"]) for c in even) == [(k, N) for k in (1, 2) for N in (4, 8, 16)]
    assert all(sum(c["widths"]) == c["neurons"] and len(c["widths"]) == c["depth"] for c in cells)
    assert all(len(c["errors"]) == len(c["train_errors"]) == 2 for c in even)
    tapered = [c for c in cells if c["shape"] == "tapered"]
    assert [tuple(c["widths"]) for c in tapered] == [(8, 4)]  # n = 4: the tree's widths 2n, n
    assert set(grid["n4|signed|tanh"]["separation"]) == {"0.1", "0.03", "0.01"}
    assert grid["n4|signed|tanh"]["doubled"], "boundary cells are retrained with twice the steps"
    decision = {d["domain"]: d for d in c12.metrics["decisions"]}
    assert decision["signed"]["n"] == 4 and decision["signed"]["form"] in ("n_star", "equal_error")
    assert decision["signed"]["predicted"] == pytest.approx(16 / 12)  # 2^n over depth_k_bound(4, 2)


def test_c12_existence_oracles_multiply_on_the_grids_test_sets(c12):
    oracles = {(o["n"], o["domain"], o["name"]): o for o in c12.metrics["oracles"]}
    assert {(4, "signed", "tree"), (4, "signed", "sign-sum"), (3, "rt", "tree")} <= set(oracles)
    assert all(o["error_float64"] < 1e-3 and o["error_float32"] < 1e-2 for o in oracles.values())
    assert oracles[(4, "signed", "sign-sum")]["neurons"] == 16


def test_c12_figures_and_tables_read_like_rolnick_and_tegmark(c12):
    ids = [f.name for f in c12.figures]
    assert {"depth_size_grid", "n_star", "construction"} <= set(ids)
    heat = next(f for f in c12.figures if f.name == "depth_size_grid")
    assert all(p.xlabel.startswith("log2 N") and p.image for p in heat.panels)
    titles = " ".join(t.title for t in c12.tables)
    for words in ("Median test error", "N*(k; eps)", "Budget control", "Existence oracles", "Equal error",
                  "Necessity", "hypotheses", "folded sign-sum"):
        assert words in titles, words


def test_c12_reports_the_hypotheses_and_the_odd_activation_case(c12):
    folded = {(f["activation"], f["n"]): f for f in c12.metrics["folded"]}
    tanh = folded[("tanh", 3)]
    assert (tanh["units"], tanh["rank"], tanh["required"], tanh["applies"]) == (4, 4, 8, False)
    assert tanh["residual"] < 1e-30 < tanh["same_layer_exp_residual"]
    rows = {r["n"]: r for r in c12.metrics["certificate"]}
    assert rows[3]["applies"] and not rows[4]["applies"] and rows[4]["vanishing"] == [3]  # softplus at b = 0
    cases = {(c["activation"], c["bias"]): c for c in c12.metrics["hypotheses"]}
    assert cases[("tanh", 0.0)]["vanishing"][:2] == [0, 2] and cases[("exp", 0.0)]["hold"]
    assert any("bias-free" in note for note in c12.notes)
    odd = [r for r in c12.metrics["necessity"] if r["activation"] == "tanh"]
    assert odd and not any(r["applies"] for r in odd)  # shown, never counted


def _decision(ratio, doubled, ratios=None, lower=False):
    return {"domain": "signed", "activation": "tanh", "ns": [4, 8], "n": 8, "form": "equal_error",
            "ratios": ratios or {"4": 2.0, "8": ratio}, "lower_bounds": {"4": False, "8": lower}, "ratio": ratio,
            "ratio_doubled": doubled, "predicted": 9.1, "lower_bound": lower, "deep_n_star": None, "deep_depth": None,
            "bound_at_k_star": None}


@pytest.mark.parametrize(("ratio", "doubled", "ratios", "expected"), [
    (1.5, 1.5, None, "fails"),  # shallow within 2x of the best deep total
    (8.0, 1.0, None, "fails"),  # the advantage disappears under the doubled budget
    (3.0, 3.0, None, "holds with caveats"),  # between 2x and 4x
    (8.0, 8.0, {"4": 16.0, "8": 8.0}, "holds with caveats"),  # does not grow with n
    (8.0, 8.0, None, "holds"),
])
def test_c12_grid_verdicts_follow_the_pre_registered_rules(ratio, doubled, ratios, expected):
    assert FAIL_RATIO == 2 and HOLD_RATIO == 4
    assert verdict(_grid_checks(_decision(ratio, doubled, ratios))) == expected


def test_c12_a_failing_identity_is_evidence_about_the_code_not_the_paper(c12):
    identities = [c for c in c12.checks if c.role != "measurement"]
    broken = [c.with_bounds(3.0, 4.0) if "slope" in c.name else c for c in identities]
    assert not all(c.passed for c in broken) and verdict(broken) == "untested"


def test_c13_is_decided_by_the_necessity_search_and_compares_like_with_like(c13):
    measured = [c for c in c13.checks if c.role == "measurement"]
    assert [c.name.split(":")[0] for c in measured] == ["necessity (x^2 y, x^3)"] * 2
    assert c13.verdict == verdict(c13.checks) != "untested"
    others = [c for c in c13.checks if c.role != "measurement"]
    assert all(c.passed for c in others), [c.describe() for c in others if not c.passed]
    bounds = {tuple(r["exponents"]): r["bound"] for r in c13.metrics["necessity"]}
    assert bounds == {(2, 1): 6, (3,): 4}
    x64 = c13.metrics["power_neurons"]["64"]
    assert (x64["shallow_bias_free"], x64["deep_bias_free"]) == (65, 18)  # both bias-free
    assert (x64["shallow_with_biases"], x64["deep_with_biases"]) == (64, 12)  # both with biases
    assert "65 shallow vs 18 deep bias-free" in c13.headline and "64 vs 12 with biases" in c13.headline
    assert c13.metrics["power_neurons"]["16"]["deep_with_biases"] == 8  # four 2-neuron squares
    assert c13.metrics["monomial_certificate_applies"] == {"x1": True, "x1^2": True, "x1^2 x2": True,
                                                          "x1^3 x2": False, "x1 x2 x3": True}
    assert any("depth-k conjecture" in note and "not tested" in note for note in c13.notes)


def test_claims_results_hold_numbers_as_numbers(c12, c13):
    for result in (c12, c13):
        payload = json.loads(json.dumps(result.to_dict()))
        for table in payload["tables"]:
            for row in table["rows"]:
                assert all(cell is None or isinstance(cell, (int, float, str)) for cell in row)


def test_configs_are_typed_and_the_full_grid_splits_into_one_trial_per_task_and_depth():
    for claim_id in ("C12", "C13"):
        claim = get_claim(claim_id)
        for config in (claim.QUICK, claim.FULL):
            trials = claim.trials(config)
            assert all(json.loads(json.dumps(t.params)) == t.params for t in trials)
            assert not any("scale" in t.params for t in trials)
            assert len({t.key for t in trials}) == len(trials)
    c12 = get_claim("C12")
    full = [t for t in c12.trials(c12.FULL) if t.params["kind"] == "grid"]
    assert len(full) == 4 * 2 * 2 * 6  # n in {8, 12, 16, 20} x 2 domains x {tanh, softplus} x depths 1..6
    assert {t.params["n"] for t in full} == {8, 12, 16, 20} and all(len(t.params["totals"]) == 8 for t in full)
    assert sum(t.params["tapered"] for t in full) == 4 * 2 * 2  # one tree shape per task, at k = ceil(log2 n)
    quick = [t for t in c12.trials(c12.QUICK) if t.params["kind"] == "grid"]
    assert {t.params["n"] for t in quick} == {4, 8} and max(t.params["totals"][-1] for t in quick) <= 256
