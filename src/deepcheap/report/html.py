"""report.html: one self-contained file (figures inlined as base64 PNG), readable on a phone."""

from __future__ import annotations

import base64
import html

from deepcheap.claims import ClaimResult
from deepcheap.report.content import PAPER, TITLE, check_rows, figure_refs, run_lines, summary_rows, verdict_counts

_CSS = """
:root { --holds: #1a7f37; --caveats: #9a6700; --fails: #cf222e; --line: #d0d7de; }
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
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { font-size: .9rem; color: #57606a; }
.meta { color: #57606a; font-size: .9rem; }
"""


def _esc(value) -> str:
    return html.escape(str(value))


def _verdict_span(verdict: str) -> str:
    return f'<span class="verdict {verdict.replace(" ", "-")}">{_esc(verdict)}</span>'


def _table(columns: list[str], rows: list[list], *, verdict_column: int | None = None, table_id: str = "") -> str:
    head = "".join(f"<th>{_esc(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = [_verdict_span(v) if i == verdict_column else _esc(v) for i, v in enumerate(row)]
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
             _table(["claim", "title", "verdict", "headline"], summary_rows(results), verdict_column=2,
                    table_id="summary")]
    for r in results:
        parts.append(f'<section id="{_esc(r.claim_id)}"><h2>{_esc(r.claim_id)}: {_esc(r.title)}</h2>')
        parts.append(f"<p><em>Paper: {_esc(r.section)}.</em> {_esc(r.statement)}</p>")
        parts.append(f"<p>Verdict: {_verdict_span(r.verdict)}. {_esc(r.headline)}</p>")
        items = [f"<li>Fails: {_esc(t)}</li>" for t in r.failures] + [f"<li>Caveat: {_esc(t)}</li>" for t in r.caveats]
        if items:
            parts.append("<ul>" + "".join(items) + "</ul>")
        parts.append(_table(["check", "measured", "threshold", "role", "status"], check_rows(r)))
        for table in r.tables:
            parts.append(f"<p><strong>{_esc(table.title)}</strong></p>" + _table(table.columns, table.rows))
        for ref in figure_refs(r):
            data = base64.b64encode(pngs[ref.filename]).decode("ascii")
            parts.append(f'<figure><img alt="{_esc(ref.caption)}" src="data:image/png;base64,{data}">'
                         f"<figcaption>{_esc(ref.caption)}</figcaption></figure>")
        parts += [f"<p>{_esc(note)}</p>" for note in r.notes]
        parts.append(f'<p class="meta">{r.trials} trials, {r.seconds:.1f} s of compute.</p></section>')
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_esc(TITLE)}</title><style>{_CSS}</style></head><body><main>"
            + "\n".join(parts) + "</main></body></html>\n")
