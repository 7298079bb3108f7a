"""The paper's claims, one module each, in CLAIMS.md order.

>>> from dataclasses import replace
>>> from deepcheap.claims import get
>>> c03 = get("C03")
>>> c03.QUICK.boolean_ns
(1, 2, 3, 4, 5, 6, 7, 8)
>>> result = c03.run(config=replace(c03.QUICK, ks=(2, 3), boolean_ns=(2,), random_functions=2))
>>> result.verdict, result.scale
('untested', 'custom')

Each claim: its ``Config`` (``QUICK``, ``FULL``), ``trials(config)``, ``run_trial(params, seed)``,
``summarize(records, config)``; checks with roles and verdicts in :mod:`deepcheap.claims.checks`.
"""

from __future__ import annotations

from deepcheap.claims import (
    c01_boltzmann_posterior,
    c02_product_gate,
    c03_bit_product,
    c04_polynomials,
    c05_cheap_learning,
    c06_readout,
    c07_sufficient_statistics,
    c08_distillation,
    c09_renormalization,
    c10_dictionary,
    c11_linear,
    c12_product_flattening,
    c13_monomials,
)
from deepcheap.claims.base import SCALES, Claim, ClaimResult, Summary, Trial, config_dict, trial_seed
from deepcheap.claims.checks import ROLES, VERDICTS, Check, verdict
from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table
from deepcheap.errors import InvalidArgumentError

_MODULES = (
    c01_boltzmann_posterior, c02_product_gate, c03_bit_product, c04_polynomials, c05_cheap_learning, c06_readout,
    c07_sufficient_statistics, c08_distillation, c09_renormalization, c10_dictionary, c11_linear,
    c12_product_flattening, c13_monomials,
)
ALL_CLAIMS: tuple[Claim, ...] = tuple(sorted((m.CLAIM for m in _MODULES), key=lambda c: c.id))
_BY_ID = {c.id: c for c in ALL_CLAIMS}


def get_claim(claim_id: str) -> Claim:
    if not isinstance(claim_id, str):
        raise InvalidArgumentError(f"a claim id is a string such as 'C02'; got {claim_id!r}.")
    key = claim_id.strip().upper()
    if key not in _BY_ID:
        raise InvalidArgumentError(f"unknown claim {claim_id!r}; available: {', '.join(_BY_ID)}.")
    return _BY_ID[key]


get = get_claim


def select_claims(only: str | None) -> list[Claim]:
    """``None`` -> all claims; ``"C02,C03"`` -> those, in id order; an empty selection is an error."""
    if only is None:
        return list(ALL_CLAIMS)
    ids = {part.strip().upper() for part in str(only).split(",") if part.strip()}
    if not ids:
        raise InvalidArgumentError("--only needs claim ids such as C02,C03 (see `deepcheap claims`).")
    return sorted((get_claim(i) for i in ids), key=lambda c: c.id)


__all__ = [
    "ALL_CLAIMS",
    "ROLES",
    "SCALES",
    "VERDICTS",
    "Check",
    "Claim",
    "ClaimResult",
    "FigureSpec",
    "Panel",
    "Series",
    "Summary",
    "Table",
    "Trial",
    "config_dict",
    "get",
    "get_claim",
    "select_claims",
    "trial_seed",
    "verdict",
]
