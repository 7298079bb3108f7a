"""report.md: the same content as the HTML report, figures linked from figures/."""

from __future__ import annotations

from deepcheap.claims import ClaimResult
from deepcheap.report.content import (
    NOT_RUN,
    PAPER,
    ROLES_PREAMBLE,
    SUMMARY_COLUMNS,
    TITLE,
    check_groups,
    figure_refs,
    run_lines,
    summary_rows,
    table_i_rows,
    verdict_counts,
)


def _table(columns: list[str], rows: list[list]) -> list[str]:
    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(map(cell, columns)) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def _checked_by(checks: list[tuple[str, str]]) -> str:
    return "; ".join(f"{cid} ({verdict})" if verdict == NOT_RUN else f"[{cid}](#{cid}) ({verdict})"
                     for cid, verdict in checks)


def render_markdown(results: list[ClaimResult], manifest: dict, figure_dir: str = "figures") -> str:
    counts = verdict_counts(results)
    out = [f"# {TITLE}", "", f"Paper: {PAPER}.", ""]
    out += [f"- {line}" for line in run_lines(manifest)]
    out += ["", "## Summary", "",
            ", ".join(f"{n} {v}" for v, n in counts.items()) + f" ({len(results)} claims).", "", ROLES_PREAMBLE, ""]
    out += _table(SUMMARY_COLUMNS, summary_rows(results))
    out += ["", "## Table I: physics and machine learning", "",
            "The paper's dictionary, each row with the claims whose numbers check it.", ""]
    out += _table(["physics", "machine learning", "checked by"],
                  [[row.physics, row.ml, _checked_by(checks)] for row, checks in table_i_rows(results)])
    for r in results:
        out += ["", f'<a id="{r.claim_id}"></a>', "", f"## {r.claim_id}: {r.title}", "",
                f"*Paper: {r.section}.* {r.statement}", "",
                f"**Verdict: {r.verdict}.** {r.headline}", ""]
        for text in r.failures:
            out.append(f"- Fails: {text}")
        for text in r.caveats:
            out.append(f"- Caveat: {text}")
        if r.untested:
            out.append(f"- Untested: {r.untested}")
        for title, columns, rows in check_groups(r):
            out += ["", f"{title}:", ""]
            out += _table(columns, rows)
        for table in r.tables:
            out += ["", f"**{table.title}**", "", *_table(table.columns, table.formatted_rows())]
        for ref in figure_refs(r):
            out += ["", f"![{ref.caption}]({figure_dir}/{ref.filename})", "", f"*{ref.caption}*"]
        for note in r.notes:
            out += ["", note]
        out += ["", f"<sub>{r.trials} trials, {r.seconds:.1f} s of compute.</sub>"]
    return "\n".join(out) + "\n"
