"""The paper's Table I, "physics <-> machine learning", in one place (the report and claim C10 read it).

>>> [row.physics for row in TABLE_I if row.check == "kl"]
['free energy difference']
>>> all(("C10" in row.claims) == bool(row.check) for row in TABLE_I)
True

Rows in the paper's order (reference/paper-notes.md, section 14), each tied to the claims whose numbers
bear on it; ``check`` names the executable check of claim C10 for the rows C10 computes itself ("" where
another claim carries the row).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DictionaryRow:
    """One row of Table I, the claims that check it, and C10's check of it (if any)."""

    physics: str
    ml: str
    claims: tuple[str, ...]
    check: str = ""


TABLE_I: tuple[DictionaryRow, ...] = (
    DictionaryRow("Hamiltonian H", "surprisal -log p", ("C01", "C10"), "surprisal"),
    DictionaryRow("simple H", "cheap learning", ("C04", "C05")),
    DictionaryRow("quadratic H", "Gaussian p", ("C01", "C10"), "gaussian"),
    DictionaryRow("locality", "sparsity", ("C05", "C06", "C10"), "locality"),
    DictionaryRow("translationally symmetric H", "convolutional neural net", ("C05", "C10"), "convolution"),
    DictionaryRow("computing p from H", "softmaxing", ("C01",)),
    DictionaryRow("spin", "bit", ("C03", "C10"), "bits"),
    DictionaryRow("free energy difference", "KL-divergence", ("C10",), "kl"),
    DictionaryRow("effective theory", "nearly lossless data distillation", ("C08", "C09")),
    DictionaryRow("irrelevant operator", "noise", ("C09",)),
    DictionaryRow("relevant operator", "feature", ("C09",)),
)
