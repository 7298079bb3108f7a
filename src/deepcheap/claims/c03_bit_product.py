"""C03 - Eq. 13, Fig. 2 (right): one neuron multiplies k bits; any function of n bits needs at most 2^n units.

Measured: the bit-product neuron sigma(-beta (k - 1/2 - sum x)) on all 2^k inputs, its max error
against beta (expected sigma(-beta/2) ~ e^(-beta/2)), and exactness after rounding when beta is
chosen for a requested error; the decimals actually obtained at beta = D ln 10 (the criterion quoted
by one reading note) against beta = 2 D ln 10. Then Boolean functions: random tables and parity,
AND and majority of n bits compiled by the Moebius transform into one bit-product neuron per
nonzero multilinear coefficient (:func:`deepcheap.compile_boolean`), checked on all 2^n inputs.

Roles: the e^(-beta/2) rate is an identity (the neuron's error is sigma(-beta/2) by its formula); exactness
after rounding and the unit counts hold by construction (beta is chosen for the error budget, the compiler
emits one unit per nonzero coefficient, at most 2^n - 1). Nothing here could come out against the paper's
upper bound, so the verdict is ``untested`` until a measurement is added (see ``UNTESTED``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from deepcheap.boolean import all_bits, compile_boolean
from deepcheap.claims.base import Claim, Summary, Trial
from deepcheap.claims.checks import Check
from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.gates import bit_product_gate
from deepcheap.seeds import numpy_generator

ID = "C03"
SLOPE_FIT = (4.0, 50.0)  # beta window of the exponential fit
EXPECTED_RATE = -0.5  # d ln(error) / d beta for sigma(-beta/2)
RATE_TOLERANCE = 0.02
UNTESTED = ("every check here is an identity or holds by construction. A measurement that could fail: the "
            "smallest one-hidden-layer network a trainer finds for random Boolean functions of n bits, against "
            "2^n (an upper bound that, if the statement is right, no function should need to exceed).")


@dataclass(frozen=True)
class Config:
    ks: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8)  # bit products of k bits
    betas: tuple[float, ...] = tuple(float(b) for b in range(1, 61))  # the scan of beta
    requested_error: float = 1e-6  # beta chosen for this error
    boolean_ns: tuple[int, ...] = tuple(range(1, 9))  # Boolean functions of n bits
    random_functions: int = 12  # random truth tables per n (plus parity, AND, majority)


QUICK = Config()
FULL = Config(ks=tuple(range(1, 13)), boolean_ns=tuple(range(1, 11)), random_functions=60)


def trials(config: Config) -> list[Trial]:
    bits = [Trial(ID, f"bits-k{k:02d}", {"kind": "bits", "k": k, "betas": list(config.betas),
                                         "requested_error": config.requested_error}) for k in config.ks]
    boolean = [Trial(ID, f"boolean-n{n:02d}", {"kind": "boolean", "n": n, "functions": config.random_functions})
               for n in config.boolean_ns]
    return bits + boolean


def run_trial(params: dict, seed: int) -> dict:
    if params["kind"] == "boolean":
        return _boolean_trial(params, seed)
    k, betas = params["k"], params["betas"]
    x = all_bits(k)
    target = x.prod(dim=1)
    errors = []
    for beta in betas:
        gate = bit_product_gate(k, beta=beta)
        with torch.no_grad():
            errors.append(float((gate(x) - target).abs().max()))
    gate = bit_product_gate(k, error=params["requested_error"])
    with torch.no_grad():
        out = gate(x)
    return {
        "k": k,
        "betas": betas,
        "errors": errors,
        "auto_beta": gate.scale,
        "auto_error": float((out - target).abs().max()),
        "wrong_after_rounding": int((out.round() != target).sum()),
        "inputs": len(x),
    }


def _boolean_trial(params: dict, seed: int) -> dict:
    """Random tables plus parity, AND and majority of n bits; every output checked on all 2^n inputs."""
    n = params["n"]
    rng = numpy_generator(seed)
    x = all_bits(n)
    tables = {f"random {i}": rng.integers(0, 2, 2**n).astype(float) for i in range(params["functions"])}
    tables["parity"] = (x.sum(1) % 2).numpy()
    tables["and"] = x.prod(1).numpy()
    tables["majority"] = (x.sum(1) > n / 2).double().numpy()
    out = {}
    for name, table in tables.items():
        net = compile_boolean(list(table))
        with torch.no_grad():
            values = net(x)
        out[name] = {"units": net.neurons, "nonzero": sum(1 for m, c in net.polynomial.terms.items() if m and c != 0),
                     "wrong": int((values.round() != torch.as_tensor(table)).sum()),
                     "max_error": float((values - torch.as_tensor(table)).abs().max())}
    return {"n": n, "functions": out}


def summarize(records: list[dict], config: Config) -> Summary:
    boolean = {r["result"]["n"]: r["result"]["functions"] for r in records if r["params"]["kind"] == "boolean"}
    res = {r["result"]["k"]: r["result"] for r in records if r["params"]["kind"] == "bits"}
    ks = sorted(res)
    rates = {}
    for k in ks:
        b, e = np.array(res[k]["betas"]), np.array(res[k]["errors"])
        keep = (b >= SLOPE_FIT[0]) & (b <= SLOPE_FIT[1]) & (e > 0)
        rates[k] = float(np.polyfit(b[keep], np.log(e[keep]), 1)[0])
    wrong = sum(res[k]["wrong_after_rounding"] for k in ks)
    inputs = sum(res[k]["inputs"] for k in ks)
    worst_rate = max(rates.values(), key=lambda r: abs(r - EXPECTED_RATE))
    requested = config.requested_error
    checks = [
        Check.identity("d ln(max error) / d beta (worst k)", worst_rate, low=EXPECTED_RATE - RATE_TOLERANCE,
                       high=EXPECTED_RATE + RATE_TOLERANCE,
                       detail="the neuron's error is sigma(-beta/2) by its formula: it falls like e^(-beta/2)"),
        Check.construction(f"wrong outputs after rounding (beta for error {requested:g}, k <= {max(ks)})", wrong,
                           high=0),
        Check.construction(f"max error at beta chosen for {requested:g}", max(res[k]["auto_error"] for k in ks),
                           high=requested * (1 + 1e-6)),
    ]
    ns = sorted(boolean)
    functions = [(n, f) for n in ns for f in boolean[n].values()]
    checks += [
        Check.construction(
            f"Boolean functions: wrong outputs after rounding ({len(functions)} functions, n <= {max(ns)})",
            sum(f["wrong"] for _, f in functions), high=0),
        Check.construction("Boolean functions: max hidden units / 2^n", max(f["units"] / 2**n for n, f in functions),
                           high=1.0, detail="one unit per nonzero multilinear coefficient: at most 2^n - 1"),
        Check.construction("Boolean functions: networks whose units differ from the nonzero coefficients",
                           sum(f["units"] != f["nonzero"] for _, f in functions), high=0),
    ]
    decimals = []
    for digits in range(1, 7):
        at_d = _decimals(res[ks[-1]], digits * math.log(10))
        at_2d = _decimals(res[ks[-1]], 2 * digits * math.log(10))
        decimals.append([digits, digits * math.log(10), at_d, at_2d])
    units_table = []
    for n in ns:
        random_units = [f["units"] for name, f in boolean[n].items() if name.startswith("random")]
        units_table.append([n, float(np.mean(random_units)), max(random_units), boolean[n]["parity"]["units"],
                            boolean[n]["and"]["units"], boolean[n]["majority"]["units"], 2**n - 1])
    metrics = {
        "boolean_units": {str(row[0]): {"random_mean": row[1], "random_max": row[2], "parity": row[3], "and": row[4],
                                        "majority": row[5]} for row in units_table},
        "boolean_functions_checked": len(functions),
        "rates": {str(k): rates[k] for k in ks},
        "auto_beta": res[ks[-1]]["auto_beta"],
        "wrong_after_rounding": wrong,
        "inputs_checked": inputs,
        "decimals_at_D_ln10_over_D": float(np.mean([row[2] / row[0] for row in decimals])),
    }
    headline = (f"error ~ e^({np.mean(list(rates.values())):.3f} beta); {len(functions)} Boolean functions of "
                f"n <= {max(ns)} bits exact, units <= 2^n (parity: all {2 ** max(ns) - 1})")
    figure = FigureSpec(
        "error_vs_beta",
        "The bit-product neuron: error falls like e^(-beta/2) for every k; D ln 10 gives only ~D/2 decimals.",
        [
            Panel("Bit product: max error over all 2^k inputs", "beta", "max |error|", yscale="log",
                  series=[Series(f"k = {k}", res[k]["betas"], res[k]["errors"]) for k in ks if k in (1, 2, 4, 8, 12)]
                  + [Series("e^(-beta/2)", list(config.betas), [math.exp(-b / 2) for b in config.betas],
                            style={"color": "k", "linestyle": ":"})]),
            Panel("Correct decimals against beta / ln 10", "beta / ln 10", "decimals = -log10(max error)",
                  series=[Series(f"measured (k = {ks[-1]})",
                                 [b / math.log(10) for b in res[ks[-1]]["betas"]],
                                 [-math.log10(e) for e in res[ks[-1]]["errors"]], kind="scatter"),
                          Series("D = beta / ln 10 (reading note)", [0, 26], [0, 26], style={"linestyle": "--"}),
                          Series("D = beta / (2 ln 10)", [0, 26], [0, 13], style={"linestyle": ":"})]),
        ],
    )
    units_figure = FigureSpec(
        "boolean_units", "Hidden units of compiled Boolean functions: one per nonzero multilinear coefficient, never "
        "more than 2^n - 1; parity needs them all, AND needs one (Eq. 13 itself).",
        [Panel("Hidden units against number of bits", "n (bits)", "hidden units", yscale="log",
               series=[Series("random functions (mean)", ns, [row[1] for row in units_table], style={"marker": "o"}),
                       Series("parity", ns, [row[3] for row in units_table], style={"marker": "s"}),
                       Series("majority", ns, [row[5] for row in units_table], style={"marker": "^"}),
                       Series("AND", ns, [row[4] for row in units_table], style={"marker": "v"}),
                       Series("2^n - 1", ns, [2**n - 1 for n in ns], style={"color": "k", "linestyle": ":"})])],
        columns=1)
    return Summary(
        checks=checks, metrics=metrics, headline=headline, figures=[figure, units_figure], untested=UNTESTED,
        tables=[Table("Decimals obtained at beta = D ln 10 (reading note) and at beta = 2 D ln 10",
                      ["D", "D ln 10", "decimals at D ln 10", "decimals at 2 D ln 10"], decimals,
                      formats=["d", ".2f", ".2f", ".2f"]),
                Table("Hidden units of compiled Boolean functions",
                      ["n", "random (mean)", "random (max)", "parity", "AND", "majority", "2^n - 1"], units_table,
                      formats=["d", ".1f", "d", "d", "d", "d", "d"])],
        notes=[f"beta chosen for error {requested:g} is {res[ks[-1]]['auto_beta']:.2f} = 2 ln((1-e)/e). "
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
    quick=QUICK,
    full=FULL,
    trials=trials,
    run_trial=run_trial,
    summarize=summarize,
)
run = CLAIM.run
