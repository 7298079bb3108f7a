"""Yarotsky's ReLU square and product (arXiv:1610.01145), as strict ReLU MLPs.

>>> from deepcheap.gates import max_error, yarotsky_square
>>> sq = yarotsky_square(5)                       # depth 5 on [0, 1], 14 neurons
>>> abs(max_error(sq) - 2.0 ** (-2 * 5 - 2)) < 1e-8
True

The hat g(t) = 2 relu(t) - 4 relu(t - 1/2) (+ 2 relu(t - 1), always 0 on [0, 1]) composed s times is
a sawtooth g_s with 2^(s-1) teeth, and f_m(t) = t - sum_{s=1..m} g_s(t) / 4^s is the piecewise-linear
interpolant of t^2 at the 2^m + 1 points j / 2^m, so max |f_m - t^2| = 2^(-2m-2) exactly.
Layer s holds relu(g_{s-1}), relu(g_{s-1} - 1/2) and an accumulator relu(f_{s-1}) (f >= t^2 >= 0,
so the ReLU passes it unchanged): 3 units per level, depth m. ReLU networks gain accuracy by
depth (error 4^-m), smooth gates by weight size: compare the two in claim C02/C13.

Other domains: x in [0, R] uses t = x / R; x in [-R, R] first forms |x| / R = relu(x/R) + relu(-x/R).
The product uses polarisation, xy = R^2 (t1^2 - t2^2) with t1 = |x + y| / 2R, t2 = |x - y| / 2R.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from deepcheap.activations import get_activation
from deepcheap.errors import InvalidArgumentError, PrecisionError, check_domain, check_int_range, check_positive
from deepcheap.gates.base import Gate, dense, radius, sample_box
from deepcheap.precision import machine_epsilon, resolve_dtype

MAX_DEPTH = 40


def _chain_layers(inputs: np.ndarray, coefficients: list[float], m: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Weights of C parallel Yarotsky chains; chain c squares t_c = inputs[c] . z.

    Returns [(W, b) per hidden layer] + [(output row, None)]; the output is sum_c coef_c f_m(t_c).
    """
    C, width_in = inputs.shape
    layers = []
    # layer 1: relu(t), relu(t - 1/2) for each chain
    W = np.zeros((2 * C, width_in))
    b = np.zeros(2 * C)
    for c in range(C):
        W[2 * c] = W[2 * c + 1] = inputs[c]
        b[2 * c + 1] = -0.5
    layers.append((W, b))
    block = 2  # units per chain in the previous layer: (h1, h2) then (h1, h2, acc)
    for s in range(2, m + 1):
        g = np.array([2.0, -4.0] + [0.0] * (block - 2))  # g_{s-1} = 2 h1 - 4 h2
        acc = np.array([1.0, 0.0]) if block == 2 else np.array([0.0, 0.0, 1.0])  # f_{s-2} (h1 = t at s = 2)
        W = np.zeros((3 * C, block * C))
        b = np.zeros(3 * C)
        for c in range(C):
            cols = slice(block * c, block * (c + 1))
            W[3 * c, cols] = g
            W[3 * c + 1, cols] = g
            b[3 * c + 1] = -0.5
            W[3 * c + 2, cols] = acc - g / 4 ** (s - 1)
        layers.append((W, b))
        block = 3
    g = np.array([2.0, -4.0] + [0.0] * (block - 2))
    acc = np.array([1.0, 0.0]) if block == 2 else np.array([0.0, 0.0, 1.0])
    out = np.concatenate([coef * (acc - g / 4**m) for coef in coefficients])
    layers.append((out[None, :], None))
    return layers


def _network(specs: list[tuple[np.ndarray, np.ndarray | None]], dtype, device) -> list[nn.Module]:
    """Linear layers (a bias only where nonzero) with a ReLU after every one but the last."""
    modules: list[nn.Module] = []
    for i, (W, b) in enumerate(specs):
        modules.append(dense(W, b if b is not None and np.any(b) else None, dtype=dtype, device=device))
        if i < len(specs) - 1:
            modules.append(nn.ReLU())
    return modules


def depth_for_error(eps: float, scale: float = 1.0) -> int:
    """Smallest m >= 1 with scale * 2^(-2m-2) <= eps."""
    eps = check_positive("eps", eps)
    return max(1, math.ceil((math.log2(scale / eps) - 2) / 2))


def _square_range(domain) -> float:
    """R^2, the range of the output; refused when float64 cannot hold it with room for the network's sums."""
    R = radius(domain)
    if R > 1e150:
        raise InvalidArgumentError(f"inputs up to |x| = {R:.3g} give outputs up to {R:.3g}^2, beyond float64 "
                                   "(1.8e308); use |x| <= 1e150, or rescale the inputs.")
    return R * R


def _resolve_depth(m, eps, scale: float, dtype: torch.dtype) -> int:
    if m is None:
        m = depth_for_error(1e-6 if eps is None else eps, scale)
    m = check_int_range("m", m, 1, MAX_DEPTH, hint="(the depth of the ReLU square)")
    floor = 8 * machine_epsilon(dtype) * scale
    if eps is not None and eps < floor:
        raise PrecisionError(
            f"eps = {eps:g} is below what {dtype} can hold for values of size {scale:g} "
            f"(about {floor:.1g}); use float64 or a larger eps."
        )
    return m


def square_layers(m: int, domain) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Layers of x^2 on ``domain`` (inputs: x); the last entry is the read-out row."""
    lo, _hi = domain
    R = radius(domain)
    if lo >= 0:  # t = x / R directly
        pre, inputs = [], np.array([[1.0 / R]])
    else:  # |x| / R from two units
        pre = [(np.array([[1.0 / R], [-1.0 / R]]), np.zeros(2))]
        inputs = np.array([[1.0, 1.0]])
    return [*pre, *_chain_layers(inputs, [R * R], m)]


def product_layers(m: int, R: float) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Layers of x y for |x|, |y| <= R by polarisation (inputs: x, y); the last entry is the read-out row."""
    k = 1.0 / (2 * R)
    pre = [(np.array([[k, k], [-k, -k], [k, -k], [-k, k]]), np.zeros(4))]
    inputs = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    return [*pre, *_chain_layers(inputs, [R * R, -R * R], m)]


class YarotskySquare(Gate):
    """x^2 on ``domain`` by a depth-m ReLU network: (N, 1) -> (N,); error R^2 2^(-2m-2)."""

    def __init__(self, m: int, domain, *, dtype, device=None):
        lo, hi = domain
        R = radius(domain)
        super().__init__(*_network(square_layers(m, domain), dtype, device))
        self.m, self.n_inputs, self.domain = m, 1, (lo, hi)
        self.activation = get_activation("relu")
        self.scale, self.bias = 1.0 / R, -0.5

    def target(self, x: torch.Tensor) -> torch.Tensor:
        return x[..., 0] ** 2

    def predicted_error(self, domain=None, dtype=None) -> float:
        R = radius(check_domain(domain or self.domain))
        return R * R * (2.0 ** (-2 * self.m - 2) + 4 * machine_epsilon(dtype or self.dtype))


class YarotskyProduct(Gate):
    """x y on ``domain``^2 by polarisation with two depth-m ReLU squares; error <= R^2 2^(-2m-2)."""

    def __init__(self, m: int, domain, *, dtype, device=None):
        R = radius(domain)
        k = 1.0 / (2 * R)
        super().__init__(*_network(product_layers(m, R), dtype, device))
        self.m, self.n_inputs, self.domain = m, 2, tuple(domain)
        self.activation = get_activation("relu")
        self.scale, self.bias = k, -0.5

    def target(self, x: torch.Tensor) -> torch.Tensor:
        return x[..., 0] * x[..., 1]

    def predicted_error(self, domain=None, dtype=None) -> float:
        R = radius(check_domain(domain or self.domain))
        return R * R * (2.0 ** (-2 * self.m - 2) + 8 * machine_epsilon(dtype or self.dtype))


def yarotsky_square(m: int | None = None, *, eps: float | None = None, domain=(0.0, 1.0),
                    dtype=torch.float64, device=None) -> YarotskySquare:
    """Yarotsky's x^2 of depth ``m`` (or the smallest depth reaching ``eps``; default eps 1e-6)."""
    domain = check_domain(domain)
    dtype = resolve_dtype(dtype)
    return YarotskySquare(_resolve_depth(m, eps, _square_range(domain), dtype), domain, dtype=dtype, device=device)


def yarotsky_product(m: int | None = None, *, eps: float | None = None, domain=(-1.0, 1.0),
                     dtype=torch.float64, device=None) -> YarotskyProduct:
    """x y by polarisation of two Yarotsky squares of depth ``m`` (or the depth reaching ``eps``)."""
    domain = check_domain(domain)
    dtype = resolve_dtype(dtype)
    return YarotskyProduct(_resolve_depth(m, eps, _square_range(domain), dtype), domain, dtype=dtype, device=device)


def best_relu_product_errors(scales, points: int = 4096, dtype=torch.float64) -> list[float]:
    """Max |error| on a grid of [-1, 1]^2 of the best 2-4-1 ReLU network for x y at each scale lambda:
    hidden units relu(lambda (s1 x + s2 y)) for the four sign pairs of Theorem 1's gate, read out by least
    squares (weights and an output bias, fitted in float64).

    It does not improve as lambda -> 0: relu(lambda z) = lambda relu(z) (positive homogeneity), so shrinking
    lambda only rescales the hidden layer, and the best read-out undoes it. Smooth gates need sigma''(b) != 0.
    """
    dtype = resolve_dtype(dtype)
    x = sample_box((-1.0, 1.0), 2, points, dtype=torch.float64)
    target = (x[:, 0] * x[:, 1]).numpy()
    signs = torch.tensor([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]], dtype=torch.float64)
    errors = []
    for scale in scales:
        hidden = torch.relu((x @ (check_positive("scale", scale) * signs).T).to(dtype)).to(torch.float64).numpy()
        design = np.hstack([hidden, np.ones((len(x), 1))])
        coef, *_ = np.linalg.lstsq(design, target, rcond=None)
        errors.append(float(np.abs(design @ coef - target).max()))
    return errors
