"""Draw claims' figure specs with matplotlib's object API (no pyplot state, no display needed)."""

from __future__ import annotations

import io
import math
from numbers import Real

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from deepcheap.claims import FigureSpec, Panel


def draw_panel(panel: Panel, ax: Axes | None = None) -> Axes:
    """Draw one panel on ``ax`` (a new figure's axes if None) and return the axes."""
    if ax is None:
        ax = Figure(figsize=(5.2, 3.8), layout="constrained").subplots()
    if panel.image is not None:
        mesh = ax.imshow(panel.image, origin="lower", aspect="auto", extent=panel.image_extent, cmap="viridis")
        ax.figure.colorbar(mesh, ax=ax)
    for s in panel.series:
        style = dict(s.style)
        if s.kind == "scatter":
            ax.scatter(s.x, s.y, label=s.label, s=style.pop("s", 14), **style)
        elif s.kind == "bar":
            ax.bar(s.x, s.y, label=s.label, yerr=s.yerr, **style)
        elif s.kind == "step":
            ax.step(s.x, s.y, where="mid", label=s.label, **style)
        elif s.yerr is not None:
            ax.errorbar(s.x, s.y, yerr=s.yerr, label=s.label, capsize=2, **style)
        else:
            ax.plot(s.x, s.y, label=s.label, **style)
    for y, label in panel.hlines:
        ax.axhline(y, color="0.4", linestyle="--", linewidth=0.8, label=label or None)
    for x, label in panel.vlines:
        ax.axvline(x, color="0.4", linestyle=":", linewidth=0.8, label=label or None)
    ax.set_xscale(panel.xscale)
    ax.set_yscale(panel.yscale)
    xs = [x for s in panel.series for x in s.x]
    if panel.xscale == "linear" and xs and all(isinstance(x, Real) and float(x).is_integer() for x in xs):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # n = 2, 3, 4: no ticks at 2.5
    ax.set_title(panel.title, fontsize=10)
    ax.set_xlabel(panel.xlabel)
    ax.set_ylabel(panel.ylabel)
    ax.grid(True, which="major", alpha=0.3)
    if panel.legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="best")
    return ax


def render_figure(spec: FigureSpec) -> Figure:
    """A matplotlib Figure with one axes per panel, ``spec.columns`` per row."""
    n = max(1, len(spec.panels))
    cols = max(1, min(spec.columns, n))
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(5.4 * cols, 4.0 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, panel in zip(axes, spec.panels, strict=False):
        draw_panel(panel, ax)
    for ax in axes[len(spec.panels):]:
        ax.set_visible(False)
    return fig


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
