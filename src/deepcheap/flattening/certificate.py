"""The rank certificate of Appendix A, its hypotheses, and the odd-activation case where they fail.

A network with one hidden layer, f(x) = sum_j a_j sigma(b + w_j . x), matches the Taylor expansion of
x^r = prod_i x_i^r_i at 0 through degree d = |r| ("Taylor sense") only if the prod(r_i + 1) x m matrix

    A[q, j] = prod_i W[i, j]^q_i        (0 <= q <= r; for r = (1, ..., 1): A[S, j] = prod_{i in S} W[i, j])

has full row rank, so m >= prod(r_i + 1): 2^n for the product of n inputs (Lin-Tegmark-Rolnick, App. A;
Rolnick-Tegmark 2018 for monomials). The proof needs three hypotheses, which :class:`Hypotheses` checks
with the activation's exact Taylor coefficients c_k = sigma^(k)(b) / k! (:mod:`deepcheap.activations`):

1. every unit has the same bias b (b = 0 is "bias-free"; a shared b is a bias-free network of sigma(b + .));
2. no output bias (a constant costs a unit with w_j = 0);
3. c_k(b) != 0 for every k <= d.

Then matching means sum_j a_j w_j^alpha = [alpha = r] / (c_d d!/r!) for every |alpha| <= d. If c^T A = 0
for some c != 0, take q* of largest degree with c_q* != 0: P(w) w^(r - q*), P(w) = sum_q c_q w^q, vanishes
at every w_j and has degree <= d, so 0 = sum_j a_j P(w_j) w_j^(r - q*) = c_q* / (c_d d!/r!): a contradiction.

When a hypothesis fails the rank test says nothing. Bias-free tanh is odd (c_k(0) = 0 for even k): the
unit of -s repeats the unit of s, so for odd n the sign-sum's 2^n units fold into 2^(n-1)
(:func:`folded_sign_sum`), and 4 units multiply 3 inputs in the Taylor sense (:func:`taylor_system` solves
the matching equations) although their matrix A has rank 4 < 8. Bias-free softplus (c_3 = c_5 = ... = 0)
folds the same way for even n >= 4: 8 units multiply 4 inputs.

>>> from deepcheap.gates import shallow_product_gate
>>> certify(shallow_product_gate(3)).full, certify(shallow_product_gate(3)).applies
(True, True)
>>> W, _ = folded_sign_sum(3, "tanh", bias=0.0, scale=1.0)
>>> cert = taylor_rank(W, activation="tanh", bias=0.0)
>>> cert.rank, cert.required, cert.applies, cert.hypotheses.vanishing
(4, 8, False, (0, 2))
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass

import mpmath
import numpy as np
import torch

from deepcheap.activations import get_activation
from deepcheap.errors import InvalidArgumentError, ResourceLimitError, check_int_range
from deepcheap.seeds import torch_generator

MAX_CERTIFICATE_ROWS = 2**14  # prod(r_i + 1) rows x m columns
ZERO_COEFFICIENT = 1e-30  # |c_k| below this (relative to the largest c_j, j <= d; 50-digit values) is a zero
_DPS = 50


@dataclass(frozen=True)
class Hypotheses:
    """Appendix A's hypotheses for one network (see the module docstring); ``hold`` when all three do."""

    activation: str
    bias: float | None  # the bias shared by every unit (None: the units' biases differ)
    output_bias: bool
    degree: int
    taylor: tuple[float, ...]  # c_k(bias), k = 0..degree (empty when the biases differ)

    @property
    def vanishing(self) -> tuple[int, ...]:
        """The k <= degree with c_k(bias) = 0."""
        scale = max((abs(c) for c in self.taylor), default=0.0)
        return tuple(k for k, c in enumerate(self.taylor) if abs(c) <= ZERO_COEFFICIENT * scale)

    @property
    def violations(self) -> tuple[str, ...]:
        out = []
        if self.bias is None:
            out.append("the units' biases differ")
        if self.output_bias:
            out.append("the output has a bias")
        if self.vanishing:
            out.append(f"c_k = sigma^(k)(b)/k! = 0 at b = {self.bias:g} for k = {list(self.vanishing)} <= "
                       f"{self.degree} ({self.activation})")
        return tuple(out)

    @property
    def hold(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict:
        return {**asdict(self), "taylor": list(self.taylor), "vanishing": list(self.vanishing),
                "violations": list(self.violations), "hold": self.hold}


def hypotheses(activation, bias, degree: int, *, output_bias: bool = False) -> Hypotheses:
    """The hypotheses for units of ``activation`` with biases ``bias`` (a number, or one per unit)."""
    act = get_activation(activation)
    degree = check_int_range("degree", degree, 1)
    biases = np.atleast_1d(np.asarray(bias, dtype=np.float64))
    if not np.isfinite(biases).all():
        raise InvalidArgumentError("the biases must be finite numbers.")
    shared = float(biases[0]) + 0.0 if biases.size and (biases == biases[0]).all() else None
    taylor = () if shared is None else tuple(float(c) for c in act.taylor(shared, degree, exact=True))
    return Hypotheses(act.name, shared, bool(output_bias), degree, taylor)


@dataclass(frozen=True)
class RankCertificate:
    """rank of A (module docstring) against prod(r_i + 1), with the hypotheses that give it meaning.

    ``full``: a fact about W. ``applies``: the hypotheses hold, so a layer that is not ``full`` cannot match
    x^r in the Taylor sense (``rules_out``). Without an activation the hypotheses are unchecked: it never applies.
    """

    n: int
    units: int
    rank: int
    required: int
    singular_values: tuple[float, ...]
    hypotheses: Hypotheses | None

    @property
    def full(self) -> bool:
        return self.rank == self.required

    @property
    def applies(self) -> bool:
        return self.hypotheses is not None and self.hypotheses.hold

    @property
    def rules_out(self) -> bool:
        return self.applies and not self.full

    def to_dict(self) -> dict:
        return {"n": self.n, "units": self.units, "rank": self.rank, "required": self.required, "full": self.full,
                "applies": self.applies, "rules_out": self.rules_out,
                "hypotheses": None if self.hypotheses is None else self.hypotheses.to_dict()}


def subset_matrix(W: np.ndarray, exponents=None) -> np.ndarray:
    """A[q, j] = prod_i W[i, j]^q_i over every q with 0 <= q_i <= r_i (itertools.product order).

    With r = (1, ..., 1) the rows are the 2^n subsets S and A[S, j] = prod_{i in S} W[i, j].
    """
    W = np.asarray(W, dtype=np.float64)
    powers = np.array(list(itertools.product(*[range(r + 1) for r in (exponents or (1,) * W.shape[0])])),
                      dtype=np.float64)
    return np.prod(W[None, :, :] ** powers[:, :, None], axis=1)


def taylor_rank(W, exponents=None, *, activation=None, bias=0.0, output_bias: bool = False,
                rtol: float = 1e-10) -> RankCertificate:
    """Rank certificate of a first layer W (n inputs x m units) for x^exponents (default: the product of n).

    ``activation``, ``bias`` (shared, or one per unit) and ``output_bias`` describe the network, so the
    certificate can check its hypotheses; without ``activation`` they are unchecked and it never applies.
    The numerical rank counts singular values above ``rtol`` times the largest, after rescaling rows and
    columns of A (which changes no rank).
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] < 1 or W.shape[1] < 1:
        raise InvalidArgumentError(f"W must be a matrix (inputs x hidden units); got shape {W.shape}.")
    n, m = W.shape
    exponents = tuple(int(r) for r in exponents) if exponents is not None else (1,) * n
    if len(exponents) != n or any(r < 0 for r in exponents):
        raise InvalidArgumentError(f"exponents must be {n} non-negative integers; got {exponents}.")
    required = math.prod(r + 1 for r in exponents)
    if required > MAX_CERTIFICATE_ROWS:
        raise ResourceLimitError(f"the certificate has {required} rows; at most {MAX_CERTIFICATE_ROWS}.")
    if not np.isfinite(W).all():
        raise InvalidArgumentError("W has non-finite entries; a certificate needs finite weights.")
    checked = None if activation is None else hypotheses(activation, bias, max(sum(exponents), 1),
                                                         output_bias=output_bias)
    row_scale = np.abs(W).max(axis=1, keepdims=True)
    A = subset_matrix(W / np.where(row_scale > 0, row_scale, 1.0), exponents)
    column = np.abs(A).max(axis=0, keepdims=True)
    s = np.linalg.svd(A / np.where(column > 0, column, 1.0), compute_uv=False)
    rank = int((s > rtol * s[0]).sum()) if s.size and s[0] > 0 else 0
    return RankCertificate(n, m, rank, required, tuple(float(v) for v in s), checked)


def shallow_layers(network) -> tuple[np.ndarray, np.ndarray, bool, str]:
    """(W: inputs x units, the units' biases, whether the output has a bias, activation) of a one-hidden-layer
    network: a deepcheap gate, an nn.Sequential(Linear, activation, Linear) or a shallow CompiledNetwork."""
    from deepcheap.activations import ActivationModule
    from deepcheap.compiler.network import CompiledNetwork

    if isinstance(network, CompiledNetwork):
        if network.depth != 1:
            raise InvalidArgumentError("the certificate is about one hidden layer; this network has depth "
                                       f"{network.depth}. Compile with strategy='shallow'.")
        network = network.mlp
    layers = list(network) if isinstance(network, torch.nn.Sequential) else []
    if len(layers) != 3 or not isinstance(layers[0], torch.nn.Linear) or not isinstance(layers[2], torch.nn.Linear):
        raise InvalidArgumentError("pass a gate, an nn.Sequential(Linear, activation, Linear) or a shallow "
                                   "CompiledNetwork (strategy='shallow').")
    first, out = layers[0], layers[2]
    name = layers[1].name if isinstance(layers[1], ActivationModule) else type(layers[1]).__name__.lower()
    biases = np.zeros(first.out_features) if first.bias is None else first.bias.detach().double().cpu().numpy()
    has_output_bias = out.bias is not None and bool(out.bias.detach().abs().max() > 0)
    return first.weight.detach().double().cpu().numpy().T, biases, has_output_bias, name


def first_layer(network) -> np.ndarray:
    """The first-layer weight matrix (inputs x units) of a one-hidden-layer network (see :func:`shallow_layers`)."""
    return shallow_layers(network)[0]


def certify(network, exponents=None) -> RankCertificate:
    """:func:`taylor_rank` of a one-hidden-layer network, its hypotheses read from the network itself."""
    W, biases, output_bias, name = shallow_layers(network)
    return taylor_rank(W, exponents, activation=name, bias=biases, output_bias=output_bias)


# --- when a hypothesis fails: the folded sign-sum ------------------------------------------------------


def folded_sign_sum(n: int, activation="tanh", bias: float = 0.0, scale: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """(W, a) of f(x) = sum_s a_s sigma(b + lambda s . x) over the 2^(n-1) sign vectors s with s_1 = +1 and
    a_s = prod(s) / (2^(n-1) n! c_n lambda^n): x_1 ... x_n in the Taylor sense when c_(n-1)(b) = 0.

    Write sigma(b + z) = K(z) + D(z), K the part of the parity of n, D the other. The sign-sum's units of s
    and -s carry weights of ratio (-1)^n, so its 2^n units add up to sum_(s_1 = 1) 2 a_s K(lambda s . x); f adds
    sum_(s_1 = 1) 2 a_s D(lambda s . x), whose degree-k part (k <= n, k = n - 1 mod 2) is a sum of a character
    of the half cube, zero unless k = n - 1, where c_(n-1) = 0 removes it. Bias-free tanh (odd) folds every odd
    n, bias-free softplus (ln 2 + z/2 + even) every even n >= 4. With D a polynomial of degree < n (both
    examples) the error is O(lambda^2), as for the full sign-sum.
    """
    act = get_activation(activation)
    n = check_int_range("n", n, 2, 12, hint="(2^(n-1) units)")
    c = act.taylor(bias, n, exact=True)
    scale_c = max(abs(v) for v in c)
    if abs(c[n - 1]) > ZERO_COEFFICIENT * scale_c or abs(c[n]) <= ZERO_COEFFICIENT * scale_c:
        raise InvalidArgumentError(
            f"the folded sign-sum needs c_(n-1)(b) = 0 and c_n(b) != 0; {act.name} at b = {bias:g} has "
            f"c_{n - 1} = {float(c[n - 1]):.3g}, c_{n} = {float(c[n]):.3g}. Use the full sign-sum "
            "(gates.shallow_product_gate), or e.g. tanh at b = 0 for odd n, softplus at b = 0 for even n >= 4.")
    signs = np.array([(1, *rest) for rest in itertools.product((1, -1), repeat=n - 1)], dtype=np.float64).T
    prefactor = float(2 ** (n - 1) * math.factorial(n) * c[n]) * scale**n
    return scale * signs, signs.prod(axis=0) / prefactor


def folded_sign_sum_error(n: int, activation, bias: float, scales, *, seed: int, points: int = 4096
                          ) -> tuple[float, ...]:
    """max |f(x) - x_1 ... x_n| of :func:`folded_sign_sum` per scale (float64), on a grid of [-1, 1]^n (n <= 3)
    or its corners and ``points`` uniform points drawn from ``seed``."""
    from deepcheap.gates import sample_box

    act = get_activation(activation)
    x = sample_box((-1.0, 1.0), n, points, generator=torch_generator(seed))
    errors = []
    for scale in scales:
        W, a = folded_sign_sum(n, act.name, bias, float(scale))
        out = act(bias + x @ torch.as_tensor(W)) @ torch.as_tensor(a)
        errors.append(float((out - x.prod(dim=1)).abs().max()))
    return tuple(errors)


@dataclass(frozen=True)
class TaylorSystem:
    """The matching equations c_|alpha| (|alpha|!/alpha!) sum_j a_j w_j^alpha = [alpha = r], |alpha| <= |r|,
    solved for the read-out a by least squares at 50 digits; ``residual`` ~ 1e-40 means a exists."""

    equations: int
    units: int
    readout: tuple[float, ...]
    residual: float

    def to_dict(self) -> dict:
        return {**asdict(self), "readout": list(self.readout)}


def taylor_system(W, exponents=None, *, activation, bias: float = 0.0) -> TaylorSystem:
    """Solve the Taylor-sense matching of x^exponents by units sigma(b + w_j . x) (the columns of W), one shared
    bias and no output bias: an independent check of the certificate (full rank necessary) and of
    :func:`folded_sign_sum` (a read-out exists where the certificate's hypotheses fail)."""
    W = np.asarray(W, dtype=np.float64)
    n, m = W.shape
    r = tuple(exponents) if exponents is not None else (1,) * n
    d = sum(r)
    if (d + 1) ** n * m > 10**6:
        raise ResourceLimitError(f"x^{r} with {m} units is too large for a 50-digit solve; take n, |r| <= 5.")
    alphas = sorted((a for a in itertools.product(range(d + 1), repeat=n) if sum(a) <= d), key=sum)
    act = get_activation(activation)
    with mpmath.workdps(_DPS):
        c = act.taylor(bias, d, exact=True)
        weights = [[mpmath.mpf(float(v)) for v in row] for row in W]
        A = mpmath.matrix(len(alphas), m)
        rhs = mpmath.matrix(len(alphas), 1)
        for i, alpha in enumerate(alphas):
            k = sum(alpha)
            factor = c[k] * mpmath.factorial(k) / math.prod(math.factorial(p) for p in alpha)
            for j in range(m):
                A[i, j] = factor * mpmath.fprod(weights[v][j] ** p for v, p in enumerate(alpha))
            rhs[i] = 1 if tuple(alpha) == r else 0
        U, S, V = mpmath.svd_r(A)  # A = U diag(S) V; the least-squares a through the pseudo-inverse
        cut = max(S) * mpmath.mpf(10) ** (-_DPS + 10)
        a = V.T * mpmath.diag([1 / s if s > cut else 0 for s in S]) * (U.T * rhs)
        residual = mpmath.norm(A * a - rhs)
        return TaylorSystem(len(alphas), m, tuple(float(v) for v in a), float(residual))
