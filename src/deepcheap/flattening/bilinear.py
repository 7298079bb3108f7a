"""Bilinear matrix multiplication: Strassen (2 x 2 blocks, 7 products) and Laderman (3 x 3, 23 products).

>>> C, counts = multiply(STRASSEN, [[1, 2], [3, 4]], [[5, 6], [7, 8]])
>>> C.tolist(), counts.multiplications, counts.additions
([[19, 22], [43, 50]], 7, 18)
>>> LADERMAN.rank, round(LADERMAN.omega, 4), LADERMAN.tensor_residual()
(23, 2.854, 0)

A bilinear scheme on m x m blocks is three integer matrices U, V (R x m^2) and W (m^2 x R):

    M_r = (sum_q U[r, q] A_q) (sum_q V[r, q] B_q),   C_q = sum_r W[q, r] M_r,

with A_q, B_q, C_q the blocks in row-major order (q = i m + j). It is exact for every A, B iff the
Brent equations hold: sum_r U[r, ij] V[r, j'k] W[i'k', r] = [j = j'] [i = i'] [k = k'].
Applied recursively to n = m^k it uses R^k products instead of n^3: omega = log_m R (Strassen log2 7 =
2.807, Laderman log3 23 = 2.854). Coefficients are 0 or +-1, so each product and each output costs
(its number of terms - 1) additions of blocks, a = nnz(U) + nnz(V) + nnz(W) - 2R - m^2 per level:

    M(n) = R M(n/m),   A(n) = R A(n/m) + a (n/m)^2,

with the schoolbook product (n^3 products, n^2 (n - 1) additions) once n <= leaf. Strassen: a = 18;
Laderman: a = 98 (his published count).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from deepcheap.errors import InvalidArgumentError, ResourceLimitError, check_int_range
from deepcheap.flattening.sizes import exponent_of, power_of

MAX_MULTIPLY_ENTRIES = 2**25  # peak entries held by the batched recursion
_TERM = re.compile(r"\s*([+-]?)\s*([abm])(\d+)\s*")


@dataclass(frozen=True)
class OperationCounts:
    """Scalar operations of a matrix product: multiplications and additions (subtractions included)."""

    multiplications: int
    additions: int

    @property
    def total(self) -> int:
        return self.multiplications + self.additions

    def to_dict(self) -> dict:
        return {"multiplications": self.multiplications, "additions": self.additions, "total": self.total}


@dataclass(frozen=True, eq=False)
class BilinearScheme:
    """U, V (rank x m^2) and W (m^2 x rank) of a bilinear algorithm for m x m blocks (see the module docstring)."""

    name: str
    m: int
    U: np.ndarray
    V: np.ndarray
    W: np.ndarray

    def __post_init__(self):
        r = self.U.shape[0]
        if self.U.shape != (r, self.m**2) or self.V.shape != (r, self.m**2) or self.W.shape != (self.m**2, r):
            raise InvalidArgumentError(
                f"scheme {self.name}: U, V must be (R, m^2) and W (m^2, R); got "
                f"{self.U.shape}, {self.V.shape}, {self.W.shape}."
            )
        if any(not np.isin(x, (-1, 0, 1)).all() for x in (self.U, self.V, self.W)):
            raise InvalidArgumentError(f"scheme {self.name}: coefficients must be 0 or +-1.")

    @classmethod
    def from_text(cls, name: str, m: int, text: str) -> BilinearScheme:
        """From lines ``m1 = (a11 + a22)(b11 + b22)`` (products, numbered from 1) and ``c11 = m1 + m4 - m5 + m7``."""
        products, outputs = {}, {}
        for line in filter(None, (line.strip() for line in text.splitlines())):
            key, _, value = (part.strip() for part in line.partition("="))
            factors = re.fullmatch(r"\((.*)\)\s*\((.*)\)", value)
            if re.fullmatch(r"m\d+", key) and factors:
                products[int(key[1:])] = (_parse(factors[1], "a", m), _parse(factors[2], "b", m))
            elif re.fullmatch(r"c\d\d", key):
                outputs[key] = value
            else:
                raise InvalidArgumentError(
                    f"scheme {name}: cannot read {line!r}; write 'm1 = (a11 + a22)(b11 + b22)' or 'c11 = m1 + m4'."
                )
        rank = len(products)
        want = [f"c{i}{j}" for i in range(1, m + 1) for j in range(1, m + 1)]
        if sorted(products) != list(range(1, rank + 1)) or sorted(outputs) != want:
            raise InvalidArgumentError(
                f"scheme {name}: number the products m1..m{rank} and give every output {want[0]}..{want[-1]} once."
            )
        U = np.array([products[r][0] for r in range(1, rank + 1)])
        V = np.array([products[r][1] for r in range(1, rank + 1)])
        W = np.array([_parse(outputs[key], "m", m, size=rank) for key in want])
        return cls(name, m, U, V, W)

    @property
    def rank(self) -> int:
        return self.U.shape[0]

    @property
    def omega(self) -> float:
        """log_m R: the exponent of the recursion's product count."""
        return float(np.log(self.rank) / np.log(self.m))

    @property
    def additions_per_level(self) -> int:
        """a = nnz(U) + nnz(V) + nnz(W) - 2R - m^2: block additions at each level of the recursion."""
        nnz = sum(int(np.count_nonzero(x)) for x in (self.U, self.V, self.W))
        return nnz - 2 * self.rank - self.m**2

    def tensor_residual(self) -> int:
        """max |sum_r U V W - matrix multiplication tensor| over all index triples (0 iff the scheme is exact)."""
        m = self.m
        got = np.einsum("ra,rb,cr->abc", self.U, self.V, self.W)
        eye = np.eye(m, dtype=int)
        # T[(i, j), (j', k), (i', k')] = [i = i'] [j = j'] [k = k']
        want = np.einsum("ip,jq,kr->ijqkpr", eye, eye, eye).reshape(m * m, m * m, m * m)
        return int(np.abs(got - want).max())


def _parse(text: str, letter: str, m: int, size: int | None = None) -> np.ndarray:
    """'a11 + a22 - a21' -> coefficients over the m^2 row-major entries; 'm1 - m2' -> over the ``size`` products."""
    row = np.zeros(m * m if size is None else size, dtype=np.int64)
    end = 0
    for match in _TERM.finditer(text):
        sign, got, digits = match.groups()
        if match.start() != end or got != letter:
            break
        if size is None:
            i, j = (int(digits[0]), int(digits[-1])) if len(digits) == 2 else (0, 0)
            index = (i - 1) * m + j - 1 if 1 <= i <= m and 1 <= j <= m else -1
        else:
            index = int(digits) - 1 if 1 <= int(digits) <= size else -1
        if index < 0:
            break
        row[index] += -1 if sign == "-" else 1
        end = match.end()
    if end != len(text) or not text.strip():
        example = f"{letter}11 + {letter}22 - {letter}12" if size is None else "m1 + m4 - m5"
        raise InvalidArgumentError(f"cannot read {text!r}: write a sum of terms like {example}.")
    return row


_STRASSEN = """
    m1 = (a11 + a22)(b11 + b22)
    m2 = (a21 + a22)(b11)
    m3 = (a11)(b12 - b22)
    m4 = (a22)(b21 - b11)
    m5 = (a11 + a12)(b22)
    m6 = (a21 - a11)(b11 + b12)
    m7 = (a12 - a22)(b21 + b22)
    c11 = m1 + m4 - m5 + m7
    c12 = m3 + m5
    c21 = m2 + m4
    c22 = m1 - m2 + m3 + m6
"""

# Laderman, "A noncommutative algorithm for multiplying 3 x 3 matrices using 23 multiplications" (1976).
_LADERMAN = """
    m1 = (a11 + a12 + a13 - a21 - a22 - a32 - a33)(b22)
    m2 = (a11 - a21)(-b12 + b22)
    m3 = (a22)(-b11 + b12 + b21 - b22 - b23 - b31 + b33)
    m4 = (-a11 + a21 + a22)(b11 - b12 + b22)
    m5 = (a21 + a22)(-b11 + b12)
    m6 = (a11)(b11)
    m7 = (-a11 + a31 + a32)(b11 - b13 + b23)
    m8 = (-a11 + a31)(b13 - b23)
    m9 = (a31 + a32)(-b11 + b13)
    m10 = (a11 + a12 + a13 - a22 - a23 - a31 - a32)(b23)
    m11 = (a32)(-b11 + b13 + b21 - b22 - b23 - b31 + b32)
    m12 = (-a13 + a32 + a33)(b22 + b31 - b32)
    m13 = (a13 - a33)(b22 - b32)
    m14 = (a13)(b31)
    m15 = (a32 + a33)(-b31 + b32)
    m16 = (-a13 + a22 + a23)(b23 + b31 - b33)
    m17 = (a13 - a23)(b23 - b33)
    m18 = (a22 + a23)(-b31 + b33)
    m19 = (a12)(b21)
    m20 = (a23)(b32)
    m21 = (a21)(b13)
    m22 = (a31)(b12)
    m23 = (a33)(b33)
    c11 = m6 + m14 + m19
    c12 = m1 + m4 + m5 + m6 + m12 + m14 + m15
    c13 = m6 + m7 + m9 + m10 + m14 + m16 + m18
    c21 = m2 + m3 + m4 + m6 + m14 + m16 + m17
    c22 = m2 + m4 + m5 + m6 + m20
    c23 = m14 + m16 + m17 + m18 + m21
    c31 = m6 + m7 + m8 + m11 + m12 + m13 + m14
    c32 = m12 + m13 + m14 + m15 + m22
    c33 = m6 + m7 + m8 + m9 + m23
"""
STRASSEN = BilinearScheme.from_text("Strassen", 2, _STRASSEN)
LADERMAN = BilinearScheme.from_text("Laderman", 3, _LADERMAN)
SCHEMES = {"strassen": STRASSEN, "laderman": LADERMAN}


def naive_counts(n: int) -> OperationCounts:
    """The schoolbook product of two n x n matrices: n^3 products, n^2 (n - 1) sums.

    >>> naive_counts(4).to_dict()
    {'multiplications': 64, 'additions': 48, 'total': 112}
    """
    n = check_int_range("n", n, 1)
    return OperationCounts(n**3, n * n * (n - 1))


def operation_counts(scheme: BilinearScheme, n: int, leaf: int = 1) -> OperationCounts:
    """M(n) = R M(n/m), A(n) = R A(n/m) + a (n/m)^2, schoolbook once n <= leaf (n, leaf powers of m).

    >>> operation_counts(STRASSEN, 2).to_dict()
    {'multiplications': 7, 'additions': 18, 'total': 25}
    """
    n = power_of("n", n, base=scheme.m)
    leaf = power_of("leaf", leaf, base=scheme.m)
    if n <= leaf:
        return naive_counts(n)
    half = operation_counts(scheme, n // scheme.m, leaf)
    return OperationCounts(
        scheme.rank * half.multiplications,
        scheme.rank * half.additions + scheme.additions_per_level * (n // scheme.m) ** 2,
    )


def optimal_leaf(n: int, scheme: BilinearScheme | None = None) -> int:
    """The leaf size (a power of m, at most n) minimising the scheme's total operation count at size n.

    >>> optimal_leaf(1024)                                 # Strassen: schoolbook below 16 x 16
    8
    """
    scheme = STRASSEN if scheme is None else scheme
    n = power_of("n", n, base=scheme.m)
    leaves = [scheme.m**e for e in range(exponent_of(n, scheme.m) + 1)]
    return min(leaves, key=lambda leaf: (operation_counts(scheme, n, leaf).total, leaf))


def _square_pair(A, B, m: int) -> tuple[np.ndarray, np.ndarray]:
    A, B = np.asarray(A), np.asarray(B)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape != B.shape:
        raise InvalidArgumentError(
            f"A and B must be square matrices of the same size; got shapes {A.shape} and "
            f"{B.shape}. Pad them with zeros to a common size that is a power of {m}."
        )
    if not (np.issubdtype(A.dtype, np.number) and np.issubdtype(B.dtype, np.number)):
        raise InvalidArgumentError("A and B must hold numbers (integer, float or complex).")
    power_of("matrix size", A.shape[0], base=m)
    return A, B


def blocks(X: np.ndarray, m: int) -> np.ndarray:
    """(batch, s, s) -> (batch, m^2, s/m, s/m): the m x m blocks in row-major order."""
    b, s = X.shape[0], X.shape[1]
    h = s // m
    return X.reshape(b, m, h, m, h).transpose(0, 1, 3, 2, 4).reshape(b, m * m, h, h)


def unblocks(X: np.ndarray, m: int) -> np.ndarray:
    """The inverse of :func:`blocks`."""
    b, h = X.shape[0], X.shape[2]
    return X.reshape(b, m, m, h, h).transpose(0, 1, 3, 2, 4).reshape(b, m * h, m * h)


def _multiply_batched(scheme: BilinearScheme, A: np.ndarray, B: np.ndarray, leaf: int, counts: list[int]):
    """Products of a batch (b, s, s) by the recursion, all subproblems of a level at once."""
    b, s = A.shape[0], A.shape[1]
    if s <= leaf:
        counts[0] += b * s**3
        counts[1] += b * s * s * (s - 1)
        return np.matmul(A, B)
    m, r, h = scheme.m, scheme.rank, s // scheme.m
    left = np.einsum("rq,bqij->rbij", scheme.U.astype(A.dtype), blocks(A, m))
    right = np.einsum("rq,bqij->rbij", scheme.V.astype(B.dtype), blocks(B, m))
    products = _multiply_batched(scheme, left.reshape(r * b, h, h), right.reshape(r * b, h, h), leaf, counts)
    counts[1] += scheme.additions_per_level * b * h * h
    out = np.einsum("qr,rbij->bqij", scheme.W.astype(products.dtype), products.reshape(r, b, h, h))
    return unblocks(out, m)


def multiply(scheme: BilinearScheme, A, B, leaf: int = 1) -> tuple[np.ndarray, OperationCounts]:
    """A @ B by the scheme's recursion (schoolbook once blocks are at most leaf x leaf), and the scalar
    operations it performed, counted as it runs (integers stay exact)."""
    A, B = _square_pair(A, B, scheme.m)
    leaf = power_of("leaf", leaf, base=scheme.m)
    n = A.shape[0]
    levels = max(0, exponent_of(n, scheme.m) - exponent_of(leaf, scheme.m))
    peak = 3 * n * n * (scheme.rank / scheme.m**2) ** levels
    if peak > MAX_MULTIPLY_ENTRIES:
        raise ResourceLimitError(
            f"{scheme.name} down to {leaf} x {leaf} blocks at n = {n} holds about {peak:.3g} "
            f"entries at once; use a larger leaf (e.g. leaf={max(leaf, n // 64)}) or "
            "operation_counts(scheme, n, leaf) for the counts alone."
        )
    counts = [0, 0]
    product = _multiply_batched(scheme, A[None], B[None], leaf, counts)[0]
    return product, OperationCounts(*counts)


def strassen_counts(n: int, leaf: int = 1) -> OperationCounts:
    """:func:`operation_counts` of Strassen's scheme (M(n) = n^log2(7), A(n) = 6 (n^log2(7) - n^2) at leaf 1)."""
    return operation_counts(STRASSEN, n, leaf)


def strassen_multiply(A, B, leaf: int = 1) -> tuple[np.ndarray, OperationCounts]:
    """:func:`multiply` with Strassen's scheme."""
    return multiply(STRASSEN, A, B, leaf)
