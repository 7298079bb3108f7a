"""Turn claim results into report.md (+ figures/*.png), report.html, results.json and manifest.json.

This package and the CLI are the only places that draw or write files.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from deepcheap.claims import ClaimResult
from deepcheap.report.content import figure_refs
from deepcheap.report.figures import draw_panel, figure_png, render_figure
from deepcheap.report.html import render_html
from deepcheap.report.manifest import build_manifest, now
from deepcheap.report.markdown import render_markdown

REPORT_FILES = ("report.md", "report.html", "results.json", "manifest.json")


def results_document(results: list[ClaimResult], manifest: dict) -> dict:
    """results.json: numbers stay numbers; NaN and infinities (not JSON) become null."""
    return json_ready({
        "deepcheap_version": manifest.get("versions", {}).get("deepcheap"),
        "scale": manifest.get("scale"),
        "seed": manifest.get("seed"),
        "claims": [r.to_dict() for r in results],
    })


def json_ready(value):
    """numpy scalars/arrays -> Python numbers/lists, tuples -> lists, non-finite floats -> None (recursively)."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_report(out_dir: str | Path, results: list[ClaimResult], manifest: dict) -> dict[str, Path]:
    """Write all report files into ``out_dir``; returns their paths by name."""
    out = Path(out_dir)
    figures_dir = out / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    pngs: dict[str, bytes] = {}
    for result in results:
        for spec, ref in zip(result.figures, figure_refs(result), strict=True):
            pngs[ref.filename] = figure_png(render_figure(spec))
            (figures_dir / ref.filename).write_bytes(pngs[ref.filename])
    paths = {name: out / name for name in REPORT_FILES}
    paths["report.md"].write_text(render_markdown(results, manifest), encoding="utf-8")
    paths["report.html"].write_text(render_html(results, manifest, pngs), encoding="utf-8")
    paths["results.json"].write_text(json.dumps(results_document(results, manifest), indent=2, allow_nan=False),
                                     encoding="utf-8")
    write_manifest(out, manifest)
    paths["figures"] = figures_dir
    return paths


def write_manifest(out_dir: str | Path, manifest: dict) -> Path:
    """Write ``out_dir/manifest.json`` atomically (a killed run never leaves half a manifest)."""
    path = Path(out_dir) / "manifest.json"
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(manifest, indent=2, default=_json_default), encoding="utf-8")
    partial.replace(path)
    return path


def _json_default(value):
    """numpy scalars and arrays -> Python numbers and lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


__all__ = [
    "REPORT_FILES",
    "build_manifest",
    "draw_panel",
    "figure_png",
    "now",
    "render_figure",
    "render_html",
    "render_markdown",
    "results_document",
    "write_manifest",
    "write_report",
]
