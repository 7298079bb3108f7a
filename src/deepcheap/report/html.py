"""report.html: one self-contained file (figures inlined as base64 PNG), readable on a phone."""

from __future__ import annotations

import base64
import html

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

_CSS = """
:root { --holds: #1a7f37; --caveats: #9a6700; --fails: #cf222e; --untested: #0550ae; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; }
main { max-width: 1100px; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.25rem; border-top: 1px solid var(--line); padding-top: 1rem; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .9rem; }
th, td { border: 1px solid var(--line); padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
.verdict { font-weight: 600; white-space: nowrap; }
.holds { color: var(--holds); } .holds-with-caveats { color: var(--caveats); } .fails { color: var(--fails); }
.untested { color: var(--untested); }
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { font-size: .9rem; color: #57606a; }
.meta { color: #57606a; font-size: .9rem; }
.not-run { color: #57606a; font-style: italic; }
a { color: #0969da; }
@media (max-width: 600px) {
  body { font-size: 15px; } main { padding: .6rem; } h1 { font-size: 1.25rem; }
  th, td { padding: .2rem .35rem; } table { font-size: .85rem; }
}
"""

# On load, record on <body> how many images decoded (naturalWidth > 0) and whether the page is wider
# than the window (data-images-decoded="N/M", data-page-overflow="no"): a headless browser's DOM dump
# then shows whether every inlined figure is a valid image and whether a phone must scroll sideways.
_DECODE_CHECK = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var ok = images.filter(function (img) { return img.complete && img.naturalWidth > 0; }).length;
  document.body.setAttribute("data-images-decoded", ok + "/" + images.length);
  var wide = document.documentElement.scrollWidth > document.documentElement.clientWidth;
  document.body.setAttribute("data-page-overflow", wide ? "yes" : "no");
});
"""


def _esc(value) -> str:
    return html.escape(str(value))


def _verdict_span(verdict: str) -> str:
    return f'<span class="verdict {verdict.replace(" ", "-")}">{_esc(verdict)}</span>'


class _Raw(str):
    """A cell that is already HTML."""


def _cell(value, verdict: bool) -> str:
    if isinstance(value, _Raw):
        return str(value)
    return _verdict_span(value) if verdict else _esc(value)


def _claim_link(claim_id: str) -> str:
    return f'<a href="#{_esc(claim_id)}">{_esc(claim_id)}</a>'


def _checked_by(checks: list[tuple[str, str]]) -> _Raw:
    parts = []
    for claim_id, verdict in checks:
        if verdict == NOT_RUN:
            parts.append(f'<span class="not-run">{_esc(claim_id)} ({_esc(NOT_RUN)})</span>')
        else:
            parts.append(f"{_claim_link(claim_id)} {_verdict_span(verdict)}")
    return _Raw("<br>".join(parts))


def _table(columns: list[str], rows: list[list], *, verdict_column: int | None = None, table_id: str = "") -> str:
    head = "".join(f"<th>{_esc(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = [_cell(v, i == verdict_column) for i, v in enumerate(row)]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    ident = f' id="{table_id}"' if table_id else ""
    rows = "".join(body)
    return f'<div class="scroll"><table{ident}><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>'


def render_html(results: list[ClaimResult], manifest: dict, pngs: dict[str, bytes]) -> str:
    """``pngs`` maps a figure's file name (see FigureRef.filename) to its PNG bytes."""
    counts = verdict_counts(results)
    parts = [f"<h1>{_esc(TITLE)}</h1>", f"<p>Paper: {_esc(PAPER)}.</p>",
             '<ul class="meta">' + "".join(f"<li>{_esc(line)}</li>" for line in run_lines(manifest)) + "</ul>",
             "<h2>Summary</h2>",
             "<p>" + ", ".join(f"{n} {_verdict_span(v)}" for v, n in counts.items()) + f" ({len(results)} claims).</p>",
             f'<p class="meta" id="roles">{_esc(ROLES_PREAMBLE)}</p>',
             _table(SUMMARY_COLUMNS,
                    [[_Raw(_claim_link(row[0])), *row[1:]] for row in summary_rows(results)], verdict_column=2,
                    table_id="summary"),
             '<h2 id="table-i">Table I: physics and machine learning</h2>',
             "<p>The paper's dictionary, each row with the claims whose numbers check it.</p>",
             _table(["physics", "machine learning", "checked by"],
                    [[row.physics, row.ml, _checked_by(checks)] for row, checks in table_i_rows(results)],
                    table_id="table-i-rows")]
    for r in results:
        parts.append(f'<section id="{_esc(r.claim_id)}"><h2>{_esc(r.claim_id)}: {_esc(r.title)}</h2>')
        parts.append(f"<p><em>Paper: {_esc(r.section)}.</em> {_esc(r.statement)}</p>")
        parts.append(f"<p>Verdict: {_verdict_span(r.verdict)}. {_esc(r.headline)}</p>")
        items = ([f"<li>Fails: {_esc(t)}</li>" for t in r.failures] + [f"<li>Caveat: {_esc(t)}</li>" for t in r.caveats]
                 + ([f"<li>Untested: {_esc(r.untested)}</li>"] if r.untested else []))
        if items:
            parts.append("<ul>" + "".join(items) + "</ul>")
        for title, columns, rows in check_groups(r):
            parts.append(f"<p><strong>{_esc(title)}</strong></p>" + _table(columns, rows))
        for table in r.tables:
            parts.append(f"<p><strong>{_esc(table.title)}</strong></p>" + _table(table.columns, table.formatted_rows()))
        for ref in figure_refs(r):
            data = base64.b64encode(pngs[ref.filename]).decode("ascii")
            parts.append(f'<figure><img alt="{_esc(ref.caption)}" src="data:image/png;base64,{data}">'
                         f"<figcaption>{_esc(ref.caption)}</figcaption></figure>")
        parts += [f"<p>{_esc(note)}</p>" for note in r.notes]
        parts.append(f'<p class="meta">{r.trials} trials, {r.seconds:.1f} s of compute.</p></section>')
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_esc(TITLE)}</title><style>{_CSS}</style></head><body><main>"
            + "\n".join(parts) + f"</main><script>{_DECODE_CHECK}</script></body></html>\n")
