"""The necessity test's checks and table, shared by C12 (products) and C13 (monomials).

Rows come from :func:`deepcheap.flattening.necessity.width_scan`. Predictions (issue 18, written before the
searches ran): below the bound a width's best uniform error stalls at >= ``FLOOR`` relative, and twice the effort
lowers it by less than 2x (``FLOOR_KEPT``); at the bound the construction reaches ``CONSTRUCTED``.
"""

from __future__ import annotations

import math

from deepcheap.claims.checks import Check
from deepcheap.claims.presentation import Table

FLOOR = 1e-2  # necessity: a width below the bound stalls at a uniform error >= this ...
FLOOR_KEPT = 0.5  # ... which twice the effort lowers by less than 2x
CONSTRUCTED = 1e-6  # the construction's width reaches this (uniform)


def below_bound(rows: list[dict], sense: str = "uniform") -> list[dict]:
    """Rows of widths below the bound, where the certificate's hypotheses hold."""
    return [r for r in rows if r["sense"] == sense and r["applies"] and r["width"] < r["bound"]]


def necessity_checks(rows: list[dict], what: str, *, headline: bool = False) -> list[Check]:
    """Floor below the bound (measurement), the effort control (measurement), the construction at the bound."""
    below = below_bound(rows)
    if not below:
        return []
    at = [r for r in rows if r["sense"] == "uniform" and r["applies"] and r["width"] == r["bound"]]
    floor = min(below, key=lambda r: r["error"])
    kept = min(below, key=lambda r: r["error_doubled"] / r["error"] if r["error"] > 0 else math.inf)
    checks = [
        Check.measurement(f"necessity ({what}): smallest uniform error of any width below the bound (bias-free units)",
                          floor["error"], predicted=None, low=FLOOR, headline=headline,
                          detail=f"{monomial(floor['exponents'])}, {floor['activation']}, {floor['width']} < "
                                 f"{floor['bound']} units reaches {floor['error']:.2g} (weights "
                                 f"{floor['weight_norm']:.2g}): below the bound the error should stall at >= "
                                 f"{FLOOR:g}"),
        Check.measurement(f"necessity ({what}): that floor with twice the effort, over without (smallest)",
                          kept["error_doubled"] / kept["error"] if kept["error"] > 0 else None, predicted=1.0,
                          low=FLOOR_KEPT,
                          detail=f"{monomial(kept['exponents'])}, {kept['activation']}, {kept['width']} units: "
                                 f"{kept['error']:.2g} -> {kept['error_doubled']:.2g} with twice the effort (weights "
                                 f"{kept['weight_norm_doubled']:.2g}): an error that keeps falling while the weights "
                                 "grow is evidence against a uniform lower bound"),
    ]
    if at:
        checks.append(Check.construction(f"necessity ({what}): largest uniform error at the bound (the construction "
                                         "is a start)", max(r["error"] for r in at), high=CONSTRUCTED))
    return checks


def taylor_note(rows: list[dict]) -> str | None:
    """What the Taylor-sense rows below the bound show (a border-rank effect), or None."""
    taylor = below_bound(rows, "taylor")
    if not taylor:
        return None
    worst = min(taylor, key=lambda r: r["error_doubled"])
    return (f"Taylor sense: below the bound the mismatch of the Taylor coefficients keeps falling while the weights "
            f"grow ({monomial(worst['exponents'])}, {worst['activation']}, {worst['width']} units: "
            f"{worst['error']:.2g} -> {worst['error_doubled']:.2g}, weights {worst['weight_norm_doubled']:.2g}): the "
            "bound holds for exact matching, not for its closure (a border-rank effect); in the uniform sense the "
            "same widths stall.")


def necessity_table(rows: list[dict]) -> Table:
    return Table("Necessity in the theorem's setting (bias-free units, L-BFGS-type least squares in float64, restarts "
                 "from the construction minus units and at random): best error at width m, and with twice the effort",
                 ["target", "activation", "sense", "m", "bound", "hypotheses hold", "best error", "its weights",
                  "2x effort: error", "2x effort: weights"],
                 [[monomial(r["exponents"]), r["activation"], r["sense"], r["width"], r["bound"],
                   "yes" if r["applies"] else "no", r["error"], r["weight_norm"], r["error_doubled"],
                   r["weight_norm_doubled"]] for r in rows],
                 formats=["", "", "", "d", "d", "", ".2g", ".2g", ".2g", ".2g"])


def monomial(exponents) -> str:
    return "*".join(f"x{i + 1}" + (f"^{r}" if r > 1 else "") for i, r in enumerate(exponents))
