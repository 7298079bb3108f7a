"""What the report says, independent of its format (Markdown and HTML both render this)."""

from __future__ import annotations

from dataclasses import dataclass

from deepcheap.claims import ClaimResult
from deepcheap.claims.checks import ROLES, Check, fmt
from deepcheap.dictionary import TABLE_I, DictionaryRow  # the paper's Table I (one definition; C10 reads it too)

TITLE = "deepcheap: Why does deep and cheap learning work so well? - reproduction report"
PAPER = ("H. W. Lin, M. Tegmark, D. Rolnick, \"Why does deep and cheap learning work so well?\", "
         "J. Stat. Phys. 168, 1223-1247 (2017), arXiv:1608.08225")


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


ROLES_PREAMBLE = (
    "How to read a verdict. Every check has one role. A measurement is a quantity that could have come out "
    "against the paper's statement, with the value the statement predicts and a tolerance written in the claim "
    "module before the run; only measurements decide a verdict. An identity is a mathematical identity checked "
    "numerically: evidence that the code is right, not that the paper is. A construction check holds by the "
    "design of the builder (a count equal to the formula the builder used): a regression test, shown, never "
    "evidence. Verdicts: holds (every measurement passed), holds with caveats (a measurement of a limitation "
    "failed: the caveat says which), fails (a measurement of the claim itself failed: the numbers say why), "
    "untested (no measurement yet: the section says what would test the claim).")
SUMMARY_COLUMNS = ["claim", "title", "verdict", "measurements passed", "headline measurement (measured vs predicted)",
                   "identity checks", "construction checks"]
CHECK_COLUMNS = {"measurement": ["check", "measured", "predicted", "tolerance", "bears on", "status"],
                 "identity": ["check", "computed", "tolerance", "status"],
                 "construction": ["check", "computed", "tolerance", "status"]}
ROLE_TITLES = {"measurement": "Measurements (these decide the verdict)",
               "identity": "Identities (evidence that the code is right)",
               "construction": "Construction checks (hold by design: regression tests, not evidence)"}


def _passed(counts: dict) -> str:
    return f"{counts['passed']}/{counts['total']}"


def headline_measurement(result: ClaimResult) -> str:
    check = result.headline_check
    if check is None:
        return "none (untested)"
    predicted = "" if check.predicted is None else f" vs {fmt(check.predicted)} predicted"
    return f"{check.name}: {fmt(check.value)}{predicted} ({'ok' if check.passed else 'FAILED'})"


def summary_rows(results: list[ClaimResult]) -> list[list[str]]:
    rows = []
    for r in results:
        counts = r.counts()
        rows.append([r.claim_id, r.title, r.verdict, _passed(counts["measurement"]), headline_measurement(r),
                     _passed(counts["identity"]), _passed(counts["construction"])])
    return rows


def _status(check: Check) -> str:
    return "ok" if check.passed else "FAILED"


def check_groups(result: ClaimResult) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, columns, rows) per role present, measurements first."""
    groups = []
    for role in ROLES:
        checks = [c for c in result.checks if c.role == role]
        if not checks:
            continue
        if role == "measurement":
            rows = [[c.name, fmt(c.value), fmt(c.predicted), c.bounds, "caveat" if c.caveat else "claim", _status(c)]
                    for c in checks]
        else:
            rows = [[c.name, fmt(c.value), c.bounds, _status(c)] for c in checks]
        groups.append((ROLE_TITLES[role], CHECK_COLUMNS[role], rows))
    return groups


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
