"""Figures and tables as data: claims fill these with numbers; only :mod:`deepcheap.report` draws and formats.

>>> t = Table("Costs", ["n", "C_s"], [[8, 2.6666666], [16, None]], formats=["d", ".3g"])
>>> t.formatted_rows()
[['8', '2.67'], ['16', '-']]
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Literal

from deepcheap.claims.checks import fmt


@dataclass
class Series:
    """One line/scatter/bar/step series; ``style`` is passed to matplotlib (color, linestyle, marker)."""

    label: str
    x: list[float]
    y: list[float]
    kind: Literal["line", "scatter", "bar", "step"] = "line"
    yerr: list[float] | None = None
    style: dict[str, Any] = field(default_factory=dict)


@dataclass
class Panel:
    title: str
    xlabel: str
    ylabel: str
    series: list[Series] = field(default_factory=list)
    xscale: Literal["linear", "log", "symlog"] = "linear"
    yscale: Literal["linear", "log", "symlog"] = "linear"
    hlines: list[tuple[float, str]] = field(default_factory=list)
    vlines: list[tuple[float, str]] = field(default_factory=list)
    image: list[list[float]] | None = None  # a heat map drawn under the series
    image_extent: tuple[float, float, float, float] | None = None
    legend: bool = True


@dataclass
class FigureSpec:
    name: str  # file stem, unique within the claim
    caption: str
    panels: list[Panel]
    columns: int = 2


@dataclass
class Table:
    """Rows of numbers (int, float, None for "no value") and text labels, with a format spec per column.

    ``formats[j]`` is a Python format spec applied to the numbers of column j (``".3g"``, ``".2%"``,
    ``"d"``); ``""`` (the default) uses :func:`deepcheap.claims.checks.fmt`. A cell that is text holding a
    number is refused: results.json keeps numbers as numbers.
    """

    title: str
    columns: list[str]
    rows: list[list[Any]]
    formats: list[str] | None = None

    def __post_init__(self):
        self.rows = [[_cell(self.title, v) for v in row] for row in self.rows]
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.title!r}: a row has {len(row)} cells for {len(self.columns)} columns")
        if self.formats is None:
            self.formats = [""] * len(self.columns)
        if len(self.formats) != len(self.columns):
            raise ValueError(f"table {self.title!r}: {len(self.formats)} formats for {len(self.columns)} columns")

    def formatted_rows(self) -> list[list[str]]:
        return [[format_cell(v, spec) for v, spec in zip(row, self.formats, strict=True)] for row in self.rows]

    def to_dict(self) -> dict:
        return {"title": self.title, "columns": list(self.columns), "rows": [list(r) for r in self.rows],
                "formats": list(self.formats)}


def format_cell(value: Any, spec: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if not spec:
        return fmt(value)
    if spec == "d":
        return str(int(value))
    return format(value, spec)


def _cell(title: str, value: Any):
    if value is None or isinstance(value, (bool, str)):
        if isinstance(value, str) and is_numeric_text(value):
            raise ValueError(f"table {title!r}: the cell {value!r} is a number written as text; store the number "
                             "and give the column a format spec.")
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise ValueError(f"table {title!r}: a cell must be a number, text or None; got {type(value).__name__}")


def is_numeric_text(text: str) -> bool:
    """Text a reader would take for a number ('3.2', '1e-6', '12%', '1,024'); not '-', 'nan', '4x4', 'float64'."""
    cleaned = text.strip().replace(",", "").rstrip("%")
    if cleaned.lower().lstrip("+-") in {"", "nan", "inf", "infinity"}:
        return False
    try:
        float(cleaned)
    except ValueError:
        return False
    return True
