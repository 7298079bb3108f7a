"""Periodic Ising lattices in 1D and 2D: energy, magnetisation, neighbours, checks; the critical temperature.

>>> import numpy as np
>>> spins = np.ones((4, 4), dtype=np.int8)
>>> float(energy(spins)), float(magnetization(spins))
(-32.0, 1.0)
>>> neighbour_pairs(3)[:3]                          # bonds of the 3 x 3 torus, sites in row-major order
[(0, 1), (0, 2), (0, 3)]

Convention (J = 1 unless given): E(s) = -J sum_<ij> s_i s_j over the d*N bonds of the periodic
lattice (each site's right and down neighbour in 2D, right neighbour in 1D), so the fully aligned
state has E = -d N J. On L = 2 the periodic lattice counts each pair twice, as Kaufman's torus does.
"""

from __future__ import annotations

import math

import numpy as np

from deepcheap.errors import InvalidArgumentError, check_choice, check_finite, check_int_range

T_CRITICAL = 2.0 / math.log(1.0 + math.sqrt(2.0))  # Onsager: sinh(2 J / T_c) = 1
BETA_CRITICAL = 1.0 / T_CRITICAL


def check_dims(dims) -> int:
    return check_choice("dims", dims, (1, 2))


def check_size(L, dims: int = 2) -> int:
    """The side length L >= 2 (a periodic lattice needs two sites per direction)."""
    return check_int_range("L", L, 2, hint="(a periodic lattice needs at least 2 sites per side)")


MIN_T = 1e-300  # 1/T must be a finite float64


def check_temperature(T) -> float:
    """A finite T > 0 (in units of J / k_B) whose inverse is a finite float (T >= 1e-300)."""
    value = check_finite("T", T)
    if value <= 0:
        raise InvalidArgumentError(f"T must be > 0 (temperature in units of J/k_B); got {T!r}. "
                                   f"The critical temperature is T_c = {T_CRITICAL:.6f}.")
    if value < MIN_T:
        raise InvalidArgumentError(f"T = {value:g} is below {MIN_T:g}, where beta = 1/T is no longer a finite "
                                   "float64; the model is in its ground state long before (use T = 1e-4: E/N = -2).")
    return value


def check_lattice(spins, dims: int = 2) -> np.ndarray:
    """Spins as an integer array of shape (..., L) (1D) or (..., L, L) (2D) with values in {-1, +1}."""
    dims = check_dims(dims)
    array = np.asarray(spins)
    if array.ndim < dims:
        raise InvalidArgumentError(f"a {dims}D lattice needs an array with at least {dims} axes; "
                                   f"got shape {array.shape}.")
    if dims == 2 and array.shape[-1] != array.shape[-2]:
        raise InvalidArgumentError(f"2D lattices are square (..., L, L); got shape {array.shape}.")
    if array.shape[-1] < 2:
        raise InvalidArgumentError(f"L must be >= 2; got shape {array.shape}.")
    if not np.isin(array, (-1, 1)).all():
        raise InvalidArgumentError("spins must be -1 or +1 (use 2*bits - 1 to convert 0/1 bits).")
    return array.astype(np.int64, copy=False)


def neighbour_products(spins, dims: int = 2) -> np.ndarray:
    """s_i s_j for every bond: shape (..., dims, L[, L]); axis -dims-1 is the bond direction."""
    array = check_lattice(spins, dims)
    axes = range(array.ndim - dims, array.ndim)
    return np.stack([array * np.roll(array, -1, axis=a) for a in axes], axis=array.ndim - dims)


def energy(spins, dims: int = 2, J: float = 1.0) -> np.ndarray | float:
    """Total energy -J sum_<ij> s_i s_j per configuration (float array over the leading axes)."""
    products = neighbour_products(spins, dims)
    return -J * products.sum(axis=tuple(range(products.ndim - dims - 1, products.ndim))).astype(np.float64)


def magnetization(spins, dims: int = 2) -> np.ndarray | float:
    """Magnetisation per site m = (1/N) sum_i s_i per configuration."""
    array = check_lattice(spins, dims)
    return array.mean(axis=tuple(range(array.ndim - dims, array.ndim)))


def sites(L: int, dims: int = 2) -> int:
    return L**dims


def neighbour_table(L: int, dims: int = 2) -> np.ndarray:
    """(N, 2*dims) int64: columns (+x, -x[, +y, -y]) of the periodic lattice, sites in C (row-major) order."""
    index = np.arange(L**dims).reshape((L,) * dims)
    columns = []
    for axis in range(dims):
        columns += [np.roll(index, -1, axis=axis).ravel(), np.roll(index, 1, axis=axis).ravel()]
    return np.stack(columns, axis=1).astype(np.int64)


def neighbour_pairs(L: int, dims: int = 2) -> list[tuple[int, int]]:
    """The nearest-neighbour bonds (i, j), i < j, of the periodic lattice (flattened row-major sites), sorted.

    From :func:`neighbour_table`'s forward columns; on L = 2 a pair bonded twice is listed once.
    """
    dims = check_dims(dims)
    table = neighbour_table(check_size(L, dims), dims)
    return sorted({(min(i, j), max(i, j)) for i, row in enumerate(table.tolist()) for j in row[0::2]})
