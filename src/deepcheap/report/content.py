"""What the report says, independent of its format (Markdown and HTML both render this)."""

from __future__ import annotations

from dataclasses import dataclass

from deepcheap.claims import ClaimResult
from deepcheap.claims.base import _fmt

TITLE = "deepcheap: Why does deep and cheap learning work so well? - reproduction report"
PAPER = ("H. W. Lin, M. Tegmark, D. Rolnick, \"Why does deep and cheap learning work so well?\", "
         "J. Stat. Phys. 168, 1223-1247 (2017), arXiv:1608.08225")


@dataclass(frozen=True)
class DictionaryRow:
    """One row of the paper's Table I and the claims whose numbers check it."""

    physics: str
    ml: str
    claims: tuple[str, ...]


# The paper's Table I ("physics <-> machine learning"), in the paper's order (reference/paper-notes.md
# section 14), each row tied to the claims that test it. C10 checks the rows numerically one by one.
TABLE_I: tuple[DictionaryRow, ...] = (
    DictionaryRow("Hamiltonian H", "surprisal -log p", ("C01", "C10")),
    DictionaryRow("simple H", "cheap learning", ("C04", "C05")),
    DictionaryRow("quadratic H", "Gaussian p", ("C01", "C10")),
    DictionaryRow("locality", "sparsity", ("C05", "C06", "C10")),
    DictionaryRow("translationally symmetric H", "convolutional neural net", ("C05", "C10")),
    DictionaryRow("computing p from H", "softmaxing", ("C01",)),
    DictionaryRow("spin", "bit", ("C03", "C10")),
    DictionaryRow("free energy difference", "KL-divergence", ("C10",)),
    DictionaryRow("effective theory", "nearly lossless data distillation", ("C08", "C09")),
    DictionaryRow("irrelevant operator", "noise", ("C09",)),
    DictionaryRow("relevant operator", "feature", ("C09",)),
)
NOT_RUN = "not in this run"


def table_i_rows(results: list[ClaimResult]) -> list[tuple[DictionaryRow, list[tuple[str, str]]]]:
    """Each Table I row with ``(claim id, verdict or NOT_RUN)`` for the claims that check it."""
    verdicts = {r.claim_id: r.verdict for r in results}
    return [(row, [(cid, verdicts.get(cid, NOT_RUN)) for cid in row.claims]) for row in TABLE_I]


@dataclass(frozen=True)
class FigureRef:
    claim_id: str
    name: str
    caption: str

    @property
    def filename(self) -> str:
        return f"{self.claim_id}_{self.name}.png"


def verdict_counts(results: list[ClaimResult]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    return counts


def summary_rows(results: list[ClaimResult]) -> list[list[str]]:
    return [[r.claim_id, r.title, r.verdict, r.headline] for r in results]


def check_rows(result: ClaimResult) -> list[list[str]]:
    rows = []
    for c in result.checks:
        bounds = " and ".join(b for b in [f">= {_fmt(c.low)}" if c.low is not None else "",
                                          f"<= {_fmt(c.high)}" if c.high is not None else ""] if b)
        rows.append([c.name, _fmt(c.value), bounds, c.role, "ok" if c.passed else "FAILED"])
    return rows


def run_lines(manifest: dict) -> list[str]:
    versions = manifest.get("versions", {})
    platform = manifest.get("platform", {})
    return [
        f"scale: {manifest.get('scale')}, root seed: {manifest.get('seed')}, executor: {manifest.get('executor')}",
        f"deepcheap {versions.get('deepcheap')} (git {manifest.get('git', 'unknown')}), "
        f"python {versions.get('python')}, torch {versions.get('torch')}, numpy {versions.get('numpy')}",
        f"{platform.get('system')} {platform.get('machine')}, {platform.get('cpus')} CPUs; "
        f"started {manifest.get('started')}, wall time {manifest.get('wall_seconds', 0):.1f} s",
    ]


def figure_refs(result: ClaimResult) -> list[FigureRef]:
    return [FigureRef(result.claim_id, f.name, f.caption) for f in result.figures]
