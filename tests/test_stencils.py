"""Stencils: moments, and the exact error series against sympy, using exp (closed-form oracle)."""

import math

import pytest
import sympy as sp
import torch
from hypothesis import given
from hypothesis import strategies as st

from deepcheap.activations import get_activation
from deepcheap.gates import monomial_gate
from deepcheap.precision import best_scale_exponent, floor_exponent, stencil_error_model, weight_exponent
from deepcheap.seeds import torch_generator
from deepcheap.stencils import central_stencil, error_terms, forward_stencil

exponent_lists = st.lists(st.integers(0, 3), min_size=1, max_size=3).filter(lambda r: sum(r) > 0)


@given(exponent_lists)
def test_central_moments_vanish_below_the_exponent(exponents):
    s = central_stencil(tuple(exponents))
    for i, r in enumerate(s.exponents):
        for p in range(r):
            assert s.moment(i, p) == 0
        assert s.moment(i, r) == 2**r * math.factorial(r)
        assert s.moment(i, r + 1) == 0  # central: odd extra orders cancel
    assert s.units == math.prod(r + 1 for r in exponents)


def test_forward_stencil_moments():
    s = forward_stencil((2,))
    assert [s.moment(0, p) for p in range(4)] == [0, 0, 2, 6]


@given(exponent_lists, st.floats(0.05, 0.5))
def test_exp_gate_equals_sinh_closed_form(exponents, lam):
    """With sigma = exp the stencil gate is exactly prod_i (sinh(lam x_i) / lam)^r_i."""
    gate = monomial_gate(tuple(exponents), "exp", scale=lam, bias=0.0, bias_free=True)
    x = torch.rand(64, len(exponents), dtype=torch.float64, generator=torch_generator(len(exponents))) * 2 - 1
    expected = torch.prod((torch.sinh(lam * x) / lam) ** torch.tensor(exponents, dtype=torch.float64), dim=1)
    rounding = stencil_error_model(gate.activation, gate.stencil, 0.0, 1.0, torch.float64).rounding_error(lam)
    torch.testing.assert_close(gate(x), expected, rtol=1e-12, atol=4 * rounding)


@pytest.mark.parametrize("exponents", [(1, 1), (2,), (1, 2), (3,), (1, 1, 1)])
def test_error_terms_match_sympy_series(exponents):
    """For exp, c_{p+e}/c_p = p!/(p+e)!; the series of prod (sinh(l x)/l)^r in l is the oracle."""
    lam = sp.Symbol("lam")
    xs = sp.symbols(f"x0:{len(exponents)}")
    closed = sp.Mul(*[(sp.sinh(lam * xi) / lam) ** r for xi, r in zip(xs, exponents, strict=True)])
    series = sp.expand(sp.series(closed, lam, 0, 5).removeO())
    p = sum(exponents)
    ours = 0
    for term in error_terms(central_stencil(exponents), max_extra=4):
        ratio = sp.Rational(math.factorial(p), math.factorial(p + term.extra))
        monomial = sp.Mul(*[xi ** (r + q) for xi, r, q in zip(xs, exponents, term.q, strict=True)])
        coefficient = sp.Rational(term.coefficient.numerator, term.coefficient.denominator)
        ours += ratio * coefficient * lam**term.extra * monomial
    leading = sp.Mul(*[xi**r for xi, r in zip(xs, exponents, strict=True)])
    assert sp.expand(series - leading - ours) == 0


@pytest.mark.parametrize(("order", "degree"), [(2, 2), (4, 2), (2, 1), (4, 3), (6, 2)])
def test_predicted_exponents_against_sympy_minimisation(order, degree):
    """Minimise c_t l^e + c_r eps / l^p exactly; the floor's and the scale's exponents in eps are the oracles."""
    lam, eps, ct, cr = sp.symbols("lam eps c_t c_r", positive=True)
    total = ct * lam**order + cr * eps / lam**degree
    best = sp.solve(sp.diff(total, lam), lam)
    assert len(best) == 1
    floor = sp.simplify(total.subs(lam, best[0]))
    assert sp.simplify(eps * sp.diff(sp.log(floor), eps)) == sp.Rational(order, order + degree)
    assert sp.simplify(eps * sp.diff(sp.log(best[0]), eps)) == sp.Rational(1, order + degree)
    assert floor_exponent(order, degree) == pytest.approx(order / (order + degree))
    assert best_scale_exponent(order, degree) == pytest.approx(1 / (order + degree))
    # weights ~ lam^-p with lam from c_t lam^e = error: d log w / d log error = -p / e
    error = sp.Symbol("error", positive=True)
    weight = (error / ct) ** sp.Rational(-degree, order)
    assert float(sp.simplify(error * sp.diff(sp.log(weight), error))) == pytest.approx(weight_exponent(order, degree))


def test_error_model_takes_another_arithmetic():
    act, stencil = get_activation("softplus"), central_stencil((1, 1))
    float64 = stencil_error_model(act, stencil, 0.0, 1.0, torch.float64)
    digits50 = stencil_error_model(act, stencil, 0.0, 1.0, None, eps=1e-50)
    assert digits50.truncation == float64.truncation
    ratio = digits50.best_scale() / float64.best_scale()
    assert ratio == pytest.approx((1e-50 / torch.finfo(torch.float64).eps) ** 0.25, rel=0.05)
    assert 1e-27 < digits50.best_error() < 1e-24
