"""C03 - Eq. 13, Fig. 2 (right): one neuron multiplies k bits; any function of n bits needs at most 2^n units.

Measured here: the bit-product neuron sigma(-beta (k - 1/2 - sum x)) on all 2^k inputs, its max
error against beta (expected sigma(-beta/2) ~ e^(-beta/2)), and exactness after rounding when beta
is chosen for a requested error. Also the decimals actually obtained at beta = D ln 10 (the
criterion quoted by one reading note) against beta = 2 D ln 10.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch

from deepcheap.claims.base import Check, Claim, FigureSpec, Panel, Series, Summary, Table, Trial
from deepcheap.gates import bit_product_gate

ID = "C03"
BETAS = [float(b) for b in np.arange(1.0, 61.0, 1.0)]
SLOPE_FIT = (4.0, 50.0)  # beta window of the exponential fit
EXPECTED_RATE = -0.5  # d ln(error) / d beta for sigma(-beta/2)
RATE_TOLERANCE = 0.02
REQUESTED_ERROR = 1e-6
_KS = {"quick": (1, 2, 3, 4, 5, 6, 7, 8), "full": tuple(range(1, 13))}


def all_bits(k: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product((0.0, 1.0), repeat=k)), dtype=torch.float64)


def trials(scale: str) -> list[Trial]:
    return [Trial(ID, f"bits-k{k:02d}", {"kind": "bits", "k": k}) for k in _KS[scale]]


def run_trial(params: dict, seed: int) -> dict:
    k = params["k"]
    x = all_bits(k)
    target = x.prod(dim=1)
    errors = []
    for beta in BETAS:
        gate = bit_product_gate(k, beta=beta)
        with torch.no_grad():
            errors.append(float((gate(x) - target).abs().max()))
    gate = bit_product_gate(k, error=REQUESTED_ERROR)
    with torch.no_grad():
        out = gate(x)
    return {
        "k": k,
        "betas": BETAS,
        "errors": errors,
        "auto_beta": gate.scale,
        "auto_error": float((out - target).abs().max()),
        "wrong_after_rounding": int((out.round() != target).sum()),
        "inputs": len(x),
    }


def summarize(records: list[dict], scale: str) -> Summary:
    res = {r["result"]["k"]: r["result"] for r in records}
    ks = sorted(res)
    rates = {}
    for k in ks:
        b, e = np.array(res[k]["betas"]), np.array(res[k]["errors"])
        keep = (b >= SLOPE_FIT[0]) & (b <= SLOPE_FIT[1]) & (e > 0)
        rates[k] = float(np.polyfit(b[keep], np.log(e[keep]), 1)[0])
    wrong = sum(res[k]["wrong_after_rounding"] for k in ks)
    inputs = sum(res[k]["inputs"] for k in ks)
    worst_rate = max(rates.values(), key=lambda r: abs(r - EXPECTED_RATE))
    checks = [
        Check("d ln(max error) / d beta (worst k)", worst_rate, EXPECTED_RATE - RATE_TOLERANCE,
              EXPECTED_RATE + RATE_TOLERANCE, detail="the error should fall like e^(-beta/2)"),
        Check(f"wrong outputs after rounding (beta for error {REQUESTED_ERROR:g}, k <= {max(ks)})", wrong, high=0),
        Check(f"max error at beta chosen for {REQUESTED_ERROR:g}", max(res[k]["auto_error"] for k in ks),
              high=REQUESTED_ERROR * (1 + 1e-6)),
    ]
    decimals = []
    for digits in range(1, 7):
        at_d = _decimals(res[ks[-1]], digits * math.log(10))
        at_2d = _decimals(res[ks[-1]], 2 * digits * math.log(10))
        decimals.append([digits, round(digits * math.log(10), 2), round(at_d, 2), round(at_2d, 2)])
    metrics = {
        "rates": {str(k): rates[k] for k in ks},
        "auto_beta": res[ks[-1]]["auto_beta"],
        "wrong_after_rounding": wrong,
        "inputs_checked": inputs,
        "decimals_at_D_ln10_over_D": float(np.mean([row[2] / row[0] for row in decimals])),
    }
    headline = (f"error ~ e^({np.mean(list(rates.values())):.3f} beta); {inputs} bit inputs exact after rounding "
                f"(k <= {max(ks)})")
    figure = FigureSpec(
        "error_vs_beta",
        "The bit-product neuron: error falls like e^(-beta/2) for every k; D ln 10 gives only ~D/2 decimals.",
        [
            Panel("Bit product: max error over all 2^k inputs", "beta", "max |error|", yscale="log",
                  series=[Series(f"k = {k}", res[k]["betas"], res[k]["errors"]) for k in ks if k in (1, 2, 4, 8, 12)]
                  + [Series("e^(-beta/2)", BETAS, [math.exp(-b / 2) for b in BETAS],
                            style={"color": "k", "linestyle": ":"})]),
            Panel("Correct decimals against beta / ln 10", "beta / ln 10", "decimals = -log10(max error)",
                  series=[Series(f"measured (k = {ks[-1]})",
                                 [b / math.log(10) for b in res[ks[-1]]["betas"]],
                                 [-math.log10(e) for e in res[ks[-1]]["errors"]], kind="scatter"),
                          Series("D = beta / ln 10 (reading note)", [0, 26], [0, 26], style={"linestyle": "--"}),
                          Series("D = beta / (2 ln 10)", [0, 26], [0, 13], style={"linestyle": ":"})]),
        ],
    )
    return Summary(
        checks=checks, metrics=metrics, headline=headline, figures=[figure],
        tables=[Table("Decimals obtained at beta = D ln 10 (reading note) and at beta = 2 D ln 10",
                      ["D", "D ln 10", "decimals at D ln 10", "decimals at 2 D ln 10"], decimals)],
        notes=[f"beta chosen for error {REQUESTED_ERROR:g} is {res[ks[-1]]['auto_beta']:.2f} = 2 ln((1-e)/e). "
               "One reading note says beta > D ln 10 gives D correct decimals; measured, it gives about D/2."],
    )


def _decimals(res: dict, beta: float) -> float:
    error = float(np.interp(beta, res["betas"], np.log(res["errors"])))
    return -error / math.log(10)


CLAIM = Claim(
    id=ID,
    title="One neuron multiplies bits",
    section="II B, Eq. 13, Fig. 2 right",
    statement=(
        "For bits x_i in {0,1}, prod_{i in K} x_i = lim_{beta -> inf} sigma(-beta (k - 1/2 - sum_{i in K} x_i)); "
        "so any function of n bits is a network with one hidden unit per monomial of its multilinear "
        "Hamiltonian, at most 2^n."
    ),
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
