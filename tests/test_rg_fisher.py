"""Exact Fisher information under coarse-graining (deepcheap.renormalization.fisher) and the unsupervised filters
(deepcheap.renormalization.unsupervised), against independent oracles: dense covariance matrices built here, the
expected log-likelihood's Hessian by finite differences, eigenvectors of explicitly built block covariances, and a
brute-force search over 2x2 filters."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepcheap.errors import InvalidArgumentError, ResourceLimitError
from deepcheap.renormalization.fisher import (
    RULES,
    block_filter,
    decimation_filter,
    dense_filter_fisher,
    dense_fisher,
    filter_matrix,
    filter_spectrum,
    filters_fisher,
    fine_fisher,
    fisher_flow,
    low_pass_fisher,
    near_massless_point,
    random_sites_fisher,
    spectrum_derivatives,
)
from deepcheap.renormalization.flow import GaussianField, coarse_spectrum, lattice_k2
from deepcheap.renormalization.unsupervised import (
    block_sites,
    environment_sites,
    filter_cosine,
    gaussian_information,
    pca_filter,
    rsmi_filter,
    rsmi_quotient,
)

RTOL = 1e-10


def field(L=8, couplings=None):
    return GaussianField(L, couplings or near_massless_point(L))


def dense_covariances(f):
    """C and d_i C as explicit L^2 x L^2 matrices, entry by entry from C(r) = L^-2 sum_k P_k cos(k r)."""
    L = f.L
    k = 2 * np.pi * np.arange(L) / L
    spectra = [f.spectrum(), *spectrum_derivatives(f)]
    r = np.arange(L)
    cos, sin = np.cos(k[:, None] * r), np.sin(k[:, None] * r)  # Re e^(i(k_a x + k_b y)); the spectra are even
    mats = []
    for s in spectra:
        c = (np.einsum("ab,ax,by->xy", s, cos, cos) - np.einsum("ab,ax,by->xy", s, sin, sin)) / L**2
        idx = np.arange(L * L)
        dx = (idx[:, None] // L - idx[None, :] // L) % L
        dy = (idx[:, None] % L - idx[None, :] % L) % L
        mats.append(c[dx, dy])
    return mats[0], mats[1:]


def coarse_matrix(L, w):
    """The coarse-graining matrix built with loops (independent of filter_matrix's indexing)."""
    b = w.shape[0]
    M = L // b
    R = np.zeros((M * M, L * L))
    for X in range(M):
        for Y in range(M):
            for u in range(b):
                for v in range(b):
                    R[X * M + Y, (b * X + u) * L + (b * Y + v)] = w[u, v]
    return R


def trace_fisher(C, dC):
    Ci = np.linalg.inv(C)
    return 0.5 * np.array([[np.trace(Ci @ a @ Ci @ c) for c in dC] for a in dC])


def relerr(a, b):
    return float(np.max(np.abs(np.asarray(a) / np.asarray(b) - 1)))


# --- the fine field -------------------------------------------------------------------------------------------


def test_fine_fisher_is_the_closed_form_sum():
    f = field(16)
    k2, h = lattice_k2(16), f.kernel()
    expected = np.array([[0.5 * np.sum(k2 ** (i + j) / h**2) for j in range(3)] for i in range(3)])
    assert relerr(fine_fisher(f), expected) < 1e-13


def test_fine_fisher_is_the_expected_hessian_of_the_log_likelihood():
    """E[-ln p(phi; y)] = 1/2 sum_k (P*_k / P_k(y) + ln P_k(y)) + const; its Hessian at y* is the Fisher matrix."""
    y_star = np.array(near_massless_point(8))
    p_star = GaussianField(8, tuple(y_star)).spectrum()

    def expected_nll(y):
        p = GaussianField(8, tuple(y)).spectrum()
        return 0.5 * np.sum(p_star / p + np.log(p))

    step = 1e-3 * y_star
    hess = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            ei, ej = np.eye(3)[i] * step[i], np.eye(3)[j] * step[j]
            hess[i, j] = (expected_nll(y_star + ei + ej) - expected_nll(y_star + ei - ej)
                          - expected_nll(y_star - ei + ej) + expected_nll(y_star - ei - ej)) / (4 * step[i] * step[j])
    assert relerr(hess, fine_fisher(field(8))) < 1e-5


def test_fine_fisher_against_the_dense_trace_formula():
    f = field(8)
    C, dC = dense_covariances(f)
    assert relerr(trace_fisher(C, dC), fine_fisher(f)) < RTOL
    assert relerr(dense_fisher(C.copy(), dC), fine_fisher(f)) < RTOL


# --- alias sums against dense matrices ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["block", "decimation", "generic"])
def test_alias_sum_fisher_matches_dense_covariance(name):
    f = field(8)
    w = {"block": block_filter(2), "decimation": decimation_filter(2),
         "generic": np.array([[0.9, -0.3], [0.4, 0.15]])}[name]
    C, dC = dense_covariances(f)
    R1 = coarse_matrix(8, w)
    R2 = coarse_matrix(4, w) @ R1
    alias = filters_fisher(f, [w, w])
    for level, R in ((1, R1), (2, R2)):
        dense = trace_fisher(R @ C @ R.T, [R @ d @ R.T for d in dC])
        assert relerr(alias[level], dense) < RTOL, (name, level)


@settings(max_examples=12)
@given(w=st.lists(st.floats(-1, 1), min_size=4, max_size=4).filter(lambda v: max(map(abs, v)) > 0.2),
       y=st.tuples(st.floats(0.05, 2), st.floats(0, 2), st.floats(0, 2)))
def test_alias_sum_matches_dense_for_random_filters_and_couplings(w, y):
    f = GaussianField(8, y)
    w = np.array(w).reshape(2, 2)
    dense = dense_filter_fisher(f, [w, w])
    alias = filters_fisher(f, [w, w])
    C1 = filter_matrix(8, w)
    assert np.array_equal(C1, coarse_matrix(8, w))
    for a, d in zip(alias, dense, strict=True):
        assert np.allclose(a, d, rtol=1e-8, atol=1e-10 * np.max(np.abs(d)))


def test_block_filter_reproduces_coarse_spectrum_and_is_normalisation_free():
    f = field(32)
    for level in (1, 2, 3):
        s = f.spectrum()
        for _ in range(level):
            s = filter_spectrum(s, block_filter(2))
        assert np.allclose(s, coarse_spectrum(f, 2**level), rtol=1e-12, atol=0)
    flow = fisher_flow(f, "block", levels=2)
    scaled = filters_fisher(f, [7.0 * block_filter(2)] * 2)  # the Fisher matrix ignores the filter's scale
    assert all(relerr(a, b) < 1e-12 for a, b in zip(flow.matrices, scaled, strict=True))


def test_all_sites_random_equals_the_fine_field_and_draws_are_seeded():
    f = field(8)
    assert relerr(random_sites_fisher(f, 64, seed=3), fine_fisher(f)) < RTOL
    a, b = random_sites_fisher(f, 16, seed=1), random_sites_fisher(f, 16, seed=1)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, random_sites_fisher(f, 16, seed=2))
    flow = fisher_flow(f, "random", levels=2, seed=5, draws=(2, 3))
    assert flow.draws == (2, 3) and flow.spread[2].shape == (2, 3)
    assert np.all(flow.spread[1][0] <= flow.diagonal()[1]) and np.all(flow.diagonal()[1] <= flow.spread[1][1])


# --- the flow and its invariants ------------------------------------------------------------------------------


def test_flow_results_data_processing_and_ordering():
    f = field(32)
    flows = {rule: fisher_flow(f, rule, levels=3, seed=0, draws=2) for rule in RULES}
    for rule, flow in flows.items():
        d = flow.diagonal()
        assert flow.sides == (32, 16, 8, 4)
        assert np.allclose(d[0], np.diag(fine_fisher(f)))
        ref = d[:1] if rule == "random" else d[:-1]
        assert np.all(d[1:] <= ref * (1 + 1e-12)), rule  # coarse-graining never adds information
        assert np.all(flow.marginal() <= d * (1 + 1e-12))
        json.dumps(flow.to_dict(), allow_nan=False)
    F = flows["block"].matrices[2]
    assert np.allclose(flows["block"].marginal()[2], 1 / np.diag(np.linalg.inv(F)), rtol=1e-8)
    ex = flows["block"].exponents()
    assert np.all(ex[:, 0] > ex[:, 1]) and np.all(ex[:, 1] > ex[:, 2])
    assert flows["block"].cosines()[1:] == [pytest.approx(1.0)] * 3
    assert flows["decimation"].cosines()[1:] == [pytest.approx(0.5)] * 3
    assert flows["random"].cosines() == [None] * 4


def test_low_pass_model_counts_modes():
    f = field(32)
    assert relerr(low_pass_fisher(f, 2, 0), fine_fisher(f)) < 1e-14
    model = [np.diag(low_pass_fisher(f, 2, lv)) for lv in range(4)]
    block = fisher_flow(f, "block", levels=3).diagonal()
    # the model keeps exactly the coarse zone's modes undistorted: close to block averaging, not equal
    assert all(0.5 < m[0] / b[0] < 2 for m, b in zip(model, block, strict=True))


# --- PCA and RSMI ---------------------------------------------------------------------------------------------


def anisotropic_spectrum(M, seed, bump):
    """A positive spectrum, even in K (a real stationary field), without the square's symmetry: a smooth field
    times random factors, plus a bump of height ``bump`` near (+-pi, 0.8)."""
    rng = np.random.default_rng(seed)
    k = 2 * np.pi * np.fft.fftfreq(M)
    kx, ky = np.meshgrid(k, k, indexing="ij")
    base = GaussianField(M, (0.2, 1.0, 0.3)).spectrum() * np.exp(0.5 * rng.standard_normal((M, M)))
    base = base + bump * np.exp(-((np.abs(kx) - np.pi) ** 2 + (ky - 0.8) ** 2) / 0.5)
    return base + np.roll(base[::-1, ::-1], 1, axis=(0, 1))  # S(K) + S(-K)


def test_pca_filter_is_the_top_eigenvector_of_the_dense_block_covariance():
    P = anisotropic_spectrum(16, 0, bump=3.0)  # the short-wavelength bump makes a dipole the top component
    C = np.fft.ifft2(P).real
    sites = [(u, v) for u in range(2) for v in range(2)]
    cvv = np.array([[C[(a[0] - c[0]) % 16, (a[1] - c[1]) % 16] for c in sites] for a in sites])
    vals, vecs = np.linalg.eigh(cvv)
    fit = pca_filter(P, 2)
    assert abs(abs(vecs[:, -1] @ fit.weights.ravel()) - 1) < 1e-12
    assert fit.objective == pytest.approx(vals[-1] / vals.sum())
    assert filter_cosine(fit.weights) < 0.1


def test_rsmi_filter_beats_a_brute_force_search_over_2x2_filters():
    P = anisotropic_spectrum(16, 0, bump=0.5)
    fit = rsmi_filter(P, 2, buffer=1, ring=2)
    assert filter_cosine(fit.weights) < 0.995 and fit.second_ratio < 0.8  # not the average; a clear optimum
    rng = np.random.default_rng(7)
    w = rng.standard_normal((200_000, 4))
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    rho2 = rsmi_quotient(P, w.reshape(-1, 2, 2), buffer=1, ring=2)
    best = int(np.argmax(rho2))
    assert rho2[best] <= fit.objective + 1e-12
    assert rho2[best] >= fit.objective - 1e-3 * fit.objective  # a 200k-point sample of the 3-sphere
    assert abs(w[best] @ fit.weights.ravel()) > 0.99
    assert rsmi_quotient(P, fit.weights, buffer=1, ring=2) == pytest.approx(fit.objective, rel=1e-10)
    assert fit.objective >= fit.uniform_objective - 1e-12


def test_rsmi_information_agrees_with_the_joint_gaussian():
    """I(w.V; E) = 1/2 ln(var(s) det C_EE / det C_(s,E)) computed directly equals -1/2 ln(1 - rho^2)."""
    P = anisotropic_spectrum(16, 2, bump=1.0)
    fit = rsmi_filter(P, 2)
    C = np.fft.ifft2(P).real
    v, e = block_sites(2), environment_sites(2)
    sites = np.concatenate([v, e])
    full = C[(sites[:, None, 0] - sites[None, :, 0]) % 16, (sites[:, None, 1] - sites[None, :, 1]) % 16]
    T = np.zeros((1 + len(e), len(sites)))
    T[0, :4] = fit.weights.ravel()
    T[1:, 4:] = np.eye(len(e))
    joint = T @ full @ T.T
    direct = 0.5 * (math.log(joint[0, 0]) + np.linalg.slogdet(joint[1:, 1:])[1] - np.linalg.slogdet(joint)[1])
    assert direct == pytest.approx(gaussian_information(fit.objective), rel=1e-8)


def test_environment_ring_geometry():
    e = environment_sites(2, buffer=1, ring=2)
    assert len(e) == 8**2 - 4**2
    d = np.maximum(np.maximum(-e, e - 1), 0).max(axis=1)
    assert set(d.tolist()) == {2, 3}
    assert len(environment_sites(2, buffer=0, ring=1)) == 4**2 - 2**2


def test_learned_filters_on_an_isotropic_field_are_the_block_average():
    f = field(64)
    for rule in ("pca", "rsmi"):
        flow = fisher_flow(f, rule, levels=3)
        assert all(abs(c - 1) < 1e-12 for c in flow.cosines()[1:])
        assert relerr(flow.diagonal(), fisher_flow(f, "block", levels=3).diagonal()) < 1e-10


# --- bad inputs -----------------------------------------------------------------------------------------------


def test_bad_inputs_raise_the_projects_errors():
    with pytest.raises(InvalidArgumentError, match="y0 > 0"):
        fisher_flow(GaussianField(16, (0.0, 1.0, 1.0)), "block")
    with pytest.raises(InvalidArgumentError, match="rule must be one of"):
        fisher_flow(field(16), "majority")
    with pytest.raises(InvalidArgumentError, match="pass seed="):
        fisher_flow(field(16), "random", levels=1)
    with pytest.raises(InvalidArgumentError, match="divisible"):
        fisher_flow(field(12), "block", levels=3)
    with pytest.raises(InvalidArgumentError, match="one per level"):
        fisher_flow(field(16), "random", levels=2, seed=0, draws=(1, 2, 3))
    with pytest.raises(InvalidArgumentError, match="smaller buffer/ring"):
        fisher_flow(field(16), "rsmi", levels=3)
    with pytest.raises(InvalidArgumentError, match="not all zero"):
        filter_spectrum(field(8).spectrum(), np.zeros((2, 2)))
    with pytest.raises(InvalidArgumentError, match="must divide"):
        filter_spectrum(field(8).spectrum(), np.ones((3, 3)))
    with pytest.raises(InvalidArgumentError, match="GaussianField"):
        fine_fisher("not a field")
    with pytest.raises(ResourceLimitError, match="random sites"):
        random_sites_fisher(field(64), 4096, seed=0, memory_limit=2**20)
    with pytest.raises(ResourceLimitError, match="use L <= 32"):
        dense_filter_fisher(field(64), [], memory_limit=2**20)
