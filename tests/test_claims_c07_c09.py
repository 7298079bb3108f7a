"""Claims C07-C09 at quick scale: verdicts are computed, key metrics are sane, runs are reproducible."""

import json

import pytest

from deepcheap.claims.base import VERDICTS
from deepcheap.claims.c07_sufficient_statistics import CLAIM as C07
from deepcheap.claims.c08_distillation import CLAIM as C08
from deepcheap.claims.c09_renormalization import CLAIM as C09


def _common(result, claim):
    assert result.verdict in VERDICTS
    assert result.claim_id == claim.id
    assert result.headline
    assert result.figures and result.tables
    json.dumps(result.to_dict())  # JSON-ready
    for trial in claim.trials("full"):
        json.dumps(trial.params)
    assert len({t.key for t in claim.trials("full")}) == len(claim.trials("full"))


def test_c07_quick():
    r = C07.run("quick")
    _common(r, C07)
    assert r.verdict == "holds"
    m = r.metrics
    assert m["max_composition_error"] <= 1e-12
    assert m["max_information_error"] <= 1e-12
    assert m["chains_compressed"] >= 1
    assert C07.run("quick").metrics == m  # deterministic given the seed


@pytest.fixture(scope="module")
def c08_result():
    return C08.run("quick")


def test_c08_quick(c08_result):
    r = c08_result
    _common(r, C08)
    assert r.verdict in ("holds", "holds with caveats")
    assert r.metrics["dpi"]["violations"] == 0
    for info in r.metrics["information"].values():
        assert info["map_fraction"] == pytest.approx(1.0, abs=1e-6)
        assert 0.9 <= info["bandpower_fraction"] <= 1.0
        assert abs(info["F"] / info["F_dense"] - 1) < 1e-8
    assert set(r.metrics["cost_exponents"]) >= {"map-making (dense)", "map-making (fft)", "spectrum (dense)"}


def test_c08_information_is_deterministic():
    params = {"kind": "info", "parameter": "tilt", "n": 128, "simulations": 200}
    first, again = C08.run_trial(params, 11), C08.run_trial(params, 11)
    assert first == again
    assert C08.run_trial(params, 12)["variance"] != first["variance"]


def test_c09_quick():
    r = C09.run("quick")
    _common(r, C09)
    flow = r.metrics["flow"]
    for i in range(3):
        assert abs(flow[f"y{i}"]["sampled_exponents"][0] - (2 - 2 * i)) <= 0.15
    rows = r.metrics["counterexample"]
    assert all(abs(x["log_Z_joint"] - x["log_Z"]) < 1e-12 for x in rows)
    assert all(x["tv_marginal"] > 0.01 for x in rows)
    ising = r.metrics["ising"]
    assert set(ising) == {"majority", "decimation", "random"}
    assert all(0 <= row["accuracy"] <= 1 for rows_ in ising.values() for row in rows_)


def test_c09_parts_without_sampling():
    trials = {t.trial_id: t for t in C09.trials("quick")}
    counter = C09.run_trial(trials["counterexample"].params, 0)
    assert all(abs(x["log_Z_joint"] - x["log_Z"]) < 1e-12 for x in counter["rows"])
    exact = C09.run_trial(trials["ising-exact"].params, 0)
    assert exact["bits"]["majority"][0] > exact["bits"]["majority"][1] >= 0
