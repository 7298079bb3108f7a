"""C12's constructions: the rank certificate and its hypotheses, the folded sign-sum, and their checks
(constructions and identities: shown in the report, never evidence)."""

from __future__ import annotations

from deepcheap.claims.checks import Check, farthest_from
from deepcheap.fits import loglog_slope
from deepcheap.flattening.certificate import (
    certify,
    folded_sign_sum,
    folded_sign_sum_error,
    hypotheses,
    taylor_rank,
    taylor_system,
)
from deepcheap.gates import shallow_product_gate
from deepcheap.seeds import numpy_generator

LAMBDA_SLOPE = (1.8, 2.2)  # sign-sum and folded sign-sum errors fall like lambda^2 (Taylor)
TAYLOR_RESIDUAL = 1e-30  # a 50-digit solve of a consistent system leaves ~1e-50


def certificate_trial(params: dict, seed: int) -> dict:
    """The construction's certificate (with its hypotheses), random layers of 2^n - 1 and 2^n units, and the
    hypotheses of a few (activation, bias) pairs."""
    rng = numpy_generator(seed)
    rows = []
    for n in params["ns"]:
        gate = shallow_product_gate(n)
        cert = certify(gate)
        rows.append({"n": n, "required": 2**n, "construction": cert.rank, "bias": gate.bias,
                     "applies": cert.applies, "vanishing": list(cert.hypotheses.vanishing),
                     "one_short": taylor_rank(rng.normal(size=(n, 2**n - 1))).rank,
                     "random_full_width": taylor_rank(rng.normal(size=(n, 2**n))).rank})
    cases = [hypotheses(act, bias, params["degree"]).to_dict() for act, bias in params["cases"]]
    return {"rows": rows, "cases": cases}


def folded_trial(activation: str, bias: float, n: int, scales, seed: int) -> dict:
    """The folded sign-sum of 2^(n-1) units: its certificate, its exact Taylor system and its error curve."""
    W, _ = folded_sign_sum(n, activation, bias, scale=1.0)
    cert = taylor_rank(W, activation=activation, bias=bias)
    errors = folded_sign_sum_error(n, activation, bias, scales, seed=seed)
    return {"activation": activation, "bias": bias, "n": n, "units": W.shape[1], "rank": cert.rank,
            "required": cert.required, "applies": cert.applies, "violations": list(cert.hypotheses.violations),
            "residual": taylor_system(W, activation=activation, bias=bias).residual,
            "same_layer_exp_residual": taylor_system(W, activation="exp").residual,
            "scales": list(scales), "errors": list(errors), "slope": loglog_slope(scales, errors)}


def construction_checks(construction, rows, errors, folded) -> list[Check]:
    shallow_slopes = [loglog_slope(c["values"], c["errors"]) for c in errors["shallow"]]
    deep_ratio = max(e / eps for c in errors["deep"] for e, eps in zip(c["errors"], c["values"], strict=True))
    ns = f"n = {min(r['n'] for r in construction)}..{max(r['n'] for r in construction)}"
    return [
        Check.construction(f"constructed shallow networks with neurons != 2^n ({ns})",
                           sum(r["shallow_neurons"] != 2 ** r["n"] for r in construction), high=0),
        Check.construction(f"constructed deep networks with neurons != 4(n - 1) ({ns})",
                           sum(r["deep_neurons"] != 4 * (r["n"] - 1) for r in construction), high=0),
        Check.construction("certificate: sign-sum constructions without full rank 2^n",
                           sum(r["construction"] != r["required"] for r in rows), high=0,
                           detail="the sign-sum's matrix is the 2^n x 2^n Walsh-Hadamard matrix by construction"),
        Check.construction("certificate: random layers of 2^n - 1 units reaching rank 2^n",
                           sum(r["one_short"] >= r["required"] for r in rows), high=0,
                           detail="cannot happen: a 2^n x (2^n - 1) matrix has rank at most 2^n - 1"),
        Check.identity("sign-sum error against lambda: log-log slope farthest from 2",
                       farthest_from(shallow_slopes, 2.0), low=LAMBDA_SLOPE[0], high=LAMBDA_SLOPE[1],
                       detail="Taylor's theorem: the first term the sign-sum leaves is O(lambda^2)"),
        Check.identity("deep tree: measured error / requested eps (largest)", deep_ratio, high=1.0,
                       detail="the accuracy pass's error model against the network it built"),
        Check.identity("folded sign-sum: largest residual of the exact Taylor system",
                       max(f["residual"] for f in folded), high=TAYLOR_RESIDUAL,
                       detail="2^(n-1) units match x_1...x_n in the Taylor sense where c_(n-1)(b) = 0"),
        Check.identity("folded sign-sum: error against lambda, log-log slope farthest from 2",
                       farthest_from([f["slope"] for f in folded], 2.0), low=LAMBDA_SLOPE[0], high=LAMBDA_SLOPE[1]),
        Check.identity("folded sign-sum: cases whose certificate hypotheses hold",
                       sum(f["applies"] for f in folded), high=0,
                       detail="c_(n-1)(b) = 0 violates sigma_k != 0 for k <= n: the rank test (rank 2^(n-1) < 2^n) "
                              "does not apply"),
    ]
