"""Reading the depth x size grid: N*(k; eps), the shallow-over-deep ratio, equal-N comparisons, boundaries.

>>> from deepcheap.flattening.depth_grid import CellResult
>>> cells = [CellResult(1, N, "even", (N,), (e, e), (e, e)) for N, e in ((16, 0.5), (32, 0.2), (64, 0.05))]
>>> cells += [CellResult(2, N, "even", (N // 2, N // 2), (e, e), (e, e)) for N, e in ((16, 0.08), (32, 0.02))]
>>> n_star(cells, 1, 0.1), n_star(cells, 2, 0.1)
(64, 16)
>>> s = separation(cells, 0.1); (s.shallow, s.deep, s.deep_depth, s.ratio)
(64, 16, 2, 4.0)

Definitions (written before any grid ran):

* a cell *reaches* eps when at least half of its seeds' test errors are <= eps (``SUCCESS``);
* N*(k; eps): the fewest total hidden neurons at which an evenly split depth-k cell reaches eps (None: not
  within the grid);
* the separation at eps: N*(1) against the best deep min_{k >= 2} N*(k); when shallow never reaches eps its
  N* is only known to exceed the largest N tried (``shallow_exceeds``);
* the equal-error form, for when no deep cell reaches eps: shallow's median error at the largest N tried, and
  the fewest total neurons at which a deep network matches it (their ratio: how much cheaper depth is at equal
  accuracy);
* boundary cells: for each depth, N*(k) and the next smaller N (rerun with twice the steps: the budget control).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

SUCCESS = 0.5  # fraction of seeds that must reach eps


def _even(cells, depth: int) -> list:
    return sorted((c for c in cells if c.depth == depth and c.shape == "even"), key=lambda c: c.neurons)


def depths(cells) -> list[int]:
    return sorted({c.depth for c in cells if c.shape == "even"})


def n_star(cells, depth: int, eps: float) -> int | None:
    for cell in _even(cells, depth):
        if cell.success(eps) >= SUCCESS:
            return cell.neurons
    return None


@dataclass(frozen=True)
class Separation:
    eps: float
    shallow: int | None  # N*(1), None: above every N tried
    deep: int | None  # min over k >= 2 of N*(k)
    deep_depth: int | None
    largest: int  # the largest N tried at depth 1

    @property
    def shallow_exceeds(self) -> bool:
        return self.shallow is None

    @property
    def ratio(self) -> float | None:
        """N*(1) / best deep N*; a lower bound (largest / deep) when shallow never reached eps; None without deep."""
        if self.deep is None:
            return None
        return (self.largest if self.shallow is None else self.shallow) / self.deep

    def to_dict(self) -> dict:
        return {**asdict(self), "ratio": self.ratio, "shallow_exceeds": self.shallow_exceeds}


def separation(cells, eps: float) -> Separation:
    deep = [(n_star(cells, k, eps), k) for k in depths(cells) if k >= 2]
    deep = [(N, k) for N, k in deep if N is not None]
    best = min(deep) if deep else (None, None)
    shallow_cells = _even(cells, 1)
    largest = shallow_cells[-1].neurons if shallow_cells else 0
    return Separation(eps, n_star(cells, 1, eps), best[0], best[1], largest)


@dataclass(frozen=True)
class EqualError:
    """Shallow's median error at the largest N tried, and the fewest total neurons at which the best deep depth
    matches it: ratio = largest N / that N (> 1: deep is cheaper for the same accuracy). When no deep cell matches,
    the roles swap: the fewest N at which shallow matches the best deep error at the largest N, and ratio =
    that N / largest N (< 1: shallow is cheaper)."""

    largest: int
    shallow_error: float
    deep_match: int | None
    deep_depth: int | None
    shallow_match: int | None  # only when no deep cell matched
    smallest: int = 0  # the smallest N tried
    shallow_first: int | None = None  # fewest shallow N already at shallow_error (< largest: shallow's curve is flat)

    @property
    def ratio_is_lower_bound(self) -> bool:
        """Deep matched already at the smallest N tried (or shallow never matched): the true ratio may be larger."""
        return self.deep_match == self.smallest or (self.deep_match is None and self.shallow_match is None)

    @property
    def ratio(self) -> float:
        if self.deep_match is not None:
            return self.largest / self.deep_match
        return (self.shallow_match or self.largest) / self.largest

    def to_dict(self) -> dict:
        return {**asdict(self), "ratio": self.ratio, "ratio_is_lower_bound": self.ratio_is_lower_bound}


def equal_error(cells) -> EqualError:
    shallow = _even(cells, 1)
    largest, target = shallow[-1].neurons, shallow[-1].median
    deep = sorted((c.neurons, c.depth) for k in depths(cells) if k >= 2 for c in _even(cells, k)
                  if c.neurons <= largest and c.median <= target)
    first = next(c.neurons for c in shallow if c.median <= target)
    if deep:
        return EqualError(largest, target, deep[0][0], deep[0][1], None, shallow[0].neurons, first)
    best_deep = min((c.median for k in depths(cells) if k >= 2 for c in _even(cells, k) if c.neurons == largest),
                    default=float("inf"))
    match = next((c.neurons for c in shallow if c.median <= best_deep), None)
    return EqualError(largest, target, None, None, match, shallow[0].neurons, first)


def boundary_cells(cells, eps: float) -> list[tuple[int, int]]:
    """(depth, N) to rerun with twice the steps: each depth's N* and the next smaller N (or its largest N)."""
    out = []
    for k in depths(cells):
        sizes = [c.neurons for c in _even(cells, k)]
        found = n_star(cells, k, eps)
        if found is None:
            out.append((k, sizes[-1]))
            continue
        i = sizes.index(found)
        out += [(k, N) for N in sizes[max(0, i - 1):i + 1]]
    return out
