"""The CMB-like Gaussian hierarchy: Fisher information (Fourier vs dense vs Monte Carlo), distillers, costs."""

import numpy as np
import pytest
import scipy.linalg

from deepcheap.distillation import (
    STAGE_METHODS,
    GaussianHierarchy,
    band_model,
    bandpower_fisher,
    bands,
    circulant_matrix,
    cost_scaling,
    dft_matrix,
    estimate_spectrum,
    fisher_information,
    fisher_information_dense,
    fit_data,
    fit_parameter,
    make_map,
    simulate_distillers,
    stage_job,
    time_stage,
    wiener_filter,
)
from deepcheap.errors import InvalidArgumentError


@pytest.mark.parametrize("parameter", ["amplitude", "tilt"])
def test_fisher_fourier_matches_dense_trace(parameter):
    h = GaussianHierarchy(96, parameter=parameter)
    F = fisher_information(h)
    assert fisher_information_dense(h) == pytest.approx(F, rel=1e-10)
    assert fisher_information_dense(h, through_map=True) == pytest.approx(F, rel=1e-8)  # W is invertible


@pytest.mark.parametrize("parameter", ["amplitude", "tilt"])
def test_fisher_matches_numerical_second_derivative_of_loglikelihood(parameter):
    # F = -E[d^2 ln L / d theta^2]; for a Gaussian, E ln L(theta') is available in closed form (dense):
    # E_theta ln L(theta') = -1/2 [ln det C(theta') + tr(C(theta')^-1 C(theta))] + const.
    h = GaussianHierarchy(64, parameter=parameter)
    C0 = circulant_matrix(h.data_spectrum())

    def expected_loglik(t):
        C = circulant_matrix(h.with_theta(t).data_spectrum())
        return -0.5 * (np.linalg.slogdet(C)[1] + np.trace(scipy.linalg.solve(C, C0, assume_a="pos")))

    eps = 1e-3
    t0 = h.theta
    curvature = (expected_loglik(t0 + eps) - 2 * expected_loglik(t0) + expected_loglik(t0 - eps)) / eps**2
    assert -curvature == pytest.approx(fisher_information(h), rel=1e-5)


def test_simulation_has_the_model_covariance():
    h = GaussianHierarchy(16, noise=0.3)
    sky, data = h.simulate(40000, seed=1)
    S = circulant_matrix(h.signal_spectrum())
    C = circulant_matrix(h.data_spectrum())
    assert np.abs(np.cov(sky.T) - S).max() < 0.03 * np.abs(S).max()
    assert np.abs(np.cov(data.T) - C).max() < 0.03 * np.abs(C).max()


def test_dense_and_fft_distillers_agree():
    h = GaussianHierarchy(128)
    _, data = h.simulate(3, seed=2)
    m = make_map(data, h)
    np.testing.assert_allclose(make_map(data, h, "dense"), m, atol=1e-12)
    # the Wiener map is S B (B S B + N)^-1 d, written out with dense matrices
    S, B, N = (circulant_matrix(x) for x in (h.signal_spectrum(), h.beam_spectrum(), h.noise_spectrum()))
    direct = (S @ B @ np.linalg.solve(B @ S @ B + N, data.T)).T
    np.testing.assert_allclose(m, direct, atol=1e-10)
    q = estimate_spectrum(m, h)
    np.testing.assert_allclose(estimate_spectrum(m, h, method="dense"), q, rtol=1e-10)
    np.testing.assert_allclose(dft_matrix(8) @ np.arange(8.0), np.fft.rfft(np.arange(8.0)), atol=1e-12)


def test_wiener_filter_is_invertible_and_map_fit_equals_data_fit():
    h = GaussianHierarchy(128)
    assert wiener_filter(h).min() > 0
    _, data = h.simulate(50, seed=3)
    np.testing.assert_allclose(fit_data(make_map(data, h), h, spectrum_filter=wiener_filter(h)), fit_data(data, h),
                               rtol=1e-9)


@pytest.mark.parametrize("parameter", ["amplitude", "tilt"])
def test_monte_carlo_variance_matches_fisher(parameter):
    h = GaussianHierarchy(512, parameter=parameter)
    _, data = h.simulate(1500, seed=4)
    F = fisher_information(h)
    theta_data = fit_data(data, h)
    q = estimate_spectrum(make_map(data, h), h)
    theta_bp = fit_parameter(q, h)
    # Cramer-Rao: var >= 1/F; ML on 512 pixels gets close (tilt is more nonlinear, hence the wider band)
    assert 0.8 < 1 / (F * theta_data.var()) < 1.1
    assert abs(theta_data.mean() - h.theta) < 5 / np.sqrt(F * 1500) + 0.02
    # band powers keep F_bp: the variance ratio matches the exact fraction
    exact = bandpower_fisher(h) / F
    assert theta_data.var() / theta_bp.var() == pytest.approx(exact, abs=0.03)


def test_band_powers_are_unbiased_with_the_model_variance():
    h = GaussianHierarchy(256)
    _, data = h.simulate(3000, seed=5)
    q = estimate_spectrum(make_map(data, h), h)
    model = band_model(h)
    z = (q.mean(0) - model.mean()) / np.sqrt(model.variance() / len(q))
    assert np.abs(z).max() < 4.5
    ratio = q.var(0) / model.variance()
    assert ratio.min() > 0.85
    assert ratio.max() < 1.15


def test_fewer_bands_keep_less_information():
    h = GaussianHierarchy(512)
    fractions = [bandpower_fisher(h, k) / fisher_information(h) for k in (1, 2, 4, 8, 16)]
    assert fractions == sorted(fractions)
    assert fractions[-1] <= 1 + 1e-12
    assert fractions[2] > 0.9


def test_bands_partition_the_rfft_indices():
    for n in (4, 17, 64, 1000):
        for k in (1, 3, 8):
            idx = np.concatenate(bands(n, k))
            np.testing.assert_array_equal(idx, np.arange(n // 2 + 1))
    assert [b.tolist() for b in bands(16, 1)] == [[0], [1], [2, 3], [4, 5, 6, 7, 8]]


def test_amplitude_fit_from_noise_free_band_powers_is_exact():
    h = GaussianHierarchy(64, parameter="amplitude")
    truth = band_model(h).mean(np.array([[1.7]]))
    assert fit_parameter(truth, h)[0] == pytest.approx(1.7, rel=1e-12)
    h = GaussianHierarchy(64, parameter="tilt")
    truth = band_model(h).mean(np.array([[2.3]]))
    assert fit_parameter(truth, h)[0] == pytest.approx(2.3, rel=1e-10)


def test_simulated_distillers_match_a_direct_computation():
    h = GaussianHierarchy(128, parameter="tilt")
    sim = simulate_distillers(h, 300, seed=6)
    _, data = h.simulate(300, seed=6)
    maps = make_map(data, h)
    direct = {"data": fit_data(data, h), "map": fit_data(maps, h, spectrum_filter=wiener_filter(h)),
              "band powers": fit_parameter(estimate_spectrum(maps, h), h)}
    for stage, theta in direct.items():
        assert sim.variance[stage] == pytest.approx(theta.var(ddof=1), rel=1e-12)
        assert sim.mean[stage] == pytest.approx(theta.mean(), rel=1e-12)
        assert sim.kept[stage] == pytest.approx(direct["data"].var() / theta.var(), rel=1e-12)
        assert sim.efficiency[stage] == pytest.approx(1 / (fisher_information(h) * theta.var(ddof=1)), rel=1e-12)
    assert sim.kept["map"] == pytest.approx(1.0, rel=1e-9)  # the Wiener map is invertible: the same estimates
    assert sim.to_dict()["kept"] == sim.kept
    assert simulate_distillers(h, 300, seed=6) == sim


def test_stage_jobs_run_and_dense_jobs_match_fft():
    n = 64
    for stage, methods in STAGE_METHODS.items():
        outs = [np.asarray(stage_job(stage, m, n, seed=1)(), dtype=float).ravel() for m in methods]
        if len(outs) == 2:
            np.testing.assert_allclose(outs[0], outs[1], rtol=1e-9, atol=1e-12)
    assert time_stage("spectrum", "fft", 256, repeats=1, seed=0) > 0
    noisier = stage_job("map-making", "fft", 64, seed=1, model={"noise": 1.0})()
    assert not np.allclose(noisier, stage_job("map-making", "fft", 64, seed=1)())


def test_cost_scaling_fits_the_log_log_slope():
    cost = cost_scaling("parameter fit", "bands", (64, 128, 256), fit_from=128, seed=0, repeats=1)
    assert cost.n == (64, 128, 256) and len(cost.seconds) == 3 and min(cost.seconds) > 0
    slope = np.polyfit(np.log(cost.n[1:]), np.log(cost.seconds[1:]), 1)[0]
    assert cost.exponent == pytest.approx(slope, rel=1e-9)
    assert cost.to_dict()["n"] == [64, 128, 256]
    assert np.isnan(cost_scaling("map-making", "fft", (64,), fit_from=64, seed=0, repeats=1).exponent)


def test_bad_arguments():
    with pytest.raises(InvalidArgumentError, match="parameter"):
        GaussianHierarchy(64, parameter="mass")
    with pytest.raises(InvalidArgumentError, match="n must be"):
        GaussianHierarchy(2)
    with pytest.raises(InvalidArgumentError, match="method"):
        make_map(np.zeros((1, 64)), GaussianHierarchy(64), method="magic")
    with pytest.raises(InvalidArgumentError, match="pixels"):
        make_map(np.zeros((1, 32)), GaussianHierarchy(64))
    with pytest.raises(InvalidArgumentError, match="method for parameter fit"):
        stage_job("parameter fit", "dense", 64, seed=0)
    with pytest.raises(InvalidArgumentError, match="seed"):
        stage_job("map-making", "fft", 64, seed=-1)
