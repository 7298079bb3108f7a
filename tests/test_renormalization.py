"""Renormalization: Gaussian coupling flow (alias sum vs dense covariance vs samples), block spins, exact
temperature information (against brute force over every subset and explicit loops), and the v1 counterexample."""

import itertools
import math

import numpy as np
import pytest
from scipy.stats import norm

from deepcheap.errors import InvalidArgumentError, ResourceLimitError
from deepcheap.physics.exact import enumerate_states
from deepcheap.renormalization import (
    GaussianField,
    block_average,
    block_spins,
    block_window,
    coarse_features,
    coarse_grained_scores,
    coarse_spectrum,
    counterexample,
    exact_temperature_information,
    fit_couplings,
    flow_exponents,
    lattice_k2,
    sample_spectrum,
    sampled_coarse_spectra,
    temperature_information,
    temperature_joint,
)
from deepcheap.renormalization.counterexample import MAX_PAIRS
from deepcheap.renormalization.exact_information import lattice_symmetries, subset_information


def _energy_by_loops(s: np.ndarray) -> float:
    """E = -sum_<ij> s_i s_j, each site's right and down neighbour on the periodic lattice (explicit loops)."""
    L = s.shape[0]
    return -float(sum(s[x, y] * (s[(x + 1) % L, y] + s[x, (y + 1) % L]) for x, y in itertools.product(range(L),
                                                                                                    repeat=2)))


def _bits(joint: np.ndarray) -> float:
    """I(T; c) in bits by the formula, written out (an oracle independent of deepcheap.hierarchy)."""
    px, py = joint.sum(1, keepdims=True), joint.sum(0, keepdims=True)
    nz = joint > 0
    return float(np.sum(joint[nz] * np.log2(joint[nz] / (px @ py)[nz])))


def _dense_covariance(field: GaussianField) -> np.ndarray:
    """C_xy = (1/N) sum_k P_k e^{ik(x-y)}, built entry by entry from the spectrum."""
    L = field.L
    c = np.fft.ifft2(field.spectrum()).real  # c(r) = (1/N) sum_k P_k e^{ikr}
    idx = list(itertools.product(range(L), range(L)))
    return np.array([[c[(x[0] - y[0]) % L, (x[1] - y[1]) % L] for y in idx] for x in idx])


def _block_matrix(L: int, b: int) -> np.ndarray:
    m = L // b
    A = np.zeros((m * m, L * L))
    for X, Y in itertools.product(range(m), range(m)):
        for u, v in itertools.product(range(b), range(b)):
            A[X * m + Y, (b * X + u) * L + (b * Y + v)] = 1 / b**2
    return A


@pytest.mark.parametrize(("L", "b", "y"), [(8, 2, (0.3, 1.0, 0.5)), (12, 3, (0.0, 1.0, 0.2)), (8, 4, (1.0, 0, 0))])
def test_alias_sum_matches_dense_block_covariance(L, b, y):
    field = GaussianField(L, y)
    A = _block_matrix(L, b)
    coarse_cov = A @ _dense_covariance(field) @ A.T
    m = L // b
    first_row = coarse_cov[0].reshape(m, m)
    dense_spectrum = np.fft.fft2(first_row).real  # P'(K) = sum_R c'(R) e^{-iKR}
    np.testing.assert_allclose(coarse_spectrum(field, b), dense_spectrum, atol=1e-12)


def test_dense_covariance_is_the_inverse_of_twice_the_hamiltonian():
    # H = sum_x [y0 phi^2 + y1 sum_mu (phi_{x+mu} - phi_x)^2 + y2 (lap phi)_x^2] = phi^T K phi; C = (2K)^-1
    L, (y0, y1, y2) = 6, (0.4, 1.0, 0.3)
    N = L * L
    lap = np.zeros((N, N))
    for x, y in itertools.product(range(L), range(L)):
        i = x * L + y
        lap[i, i] = -4
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            lap[i, ((x + dx) % L) * L + (y + dy) % L] += 1
    K = y0 * np.eye(N) - y1 * lap + y2 * lap @ lap
    np.testing.assert_allclose(_dense_covariance(GaussianField(L, (y0, y1, y2))), np.linalg.inv(2 * K), atol=1e-12)


def test_sampled_coarse_spectra_are_the_chunked_block_spectra():
    field = GaussianField(16, (0.3, 1.0, 0.0))
    spectra = sampled_coarse_spectra(field, 2, 2, 30, seed=7, chunk=30)
    assert [s.shape for s in spectra] == [(16, 16), (8, 8), (4, 4)]
    from deepcheap.seeds import derive_seed

    fine = field.sample(30, derive_seed(7, 0))  # one chunk: chunk 0's seed
    np.testing.assert_allclose(spectra[1], sample_spectrum(block_average(fine, 2)), rtol=1e-12)
    chunked = sampled_coarse_spectra(field, 2, 1, 30, seed=7, chunk=7)
    assert abs(chunked[1].mean() / coarse_spectrum(field, 2).mean() - 1) < 0.3
    assert not np.allclose(chunked[1], spectra[1])  # other chunks, other draws


def test_samples_have_the_exact_spectra():
    field = GaussianField(32, (0.2, 1.0, 0.5))
    samples = field.sample(400, seed=0)
    rel = sample_spectrum(samples) / field.spectrum()
    assert abs(rel.mean() - 1) < 0.01
    assert np.abs(rel - 1).max() < 0.35  # 400 samples: each mode ~5% relative error
    coarse = sample_spectrum(block_average(samples, 2)) / coarse_spectrum(field, 2)
    assert abs(coarse.mean() - 1) < 0.02


def test_block_window_sums_to_one_over_aliases():
    L, b = 24, 3
    w = block_window(L, b)
    m = L // b
    np.testing.assert_allclose(w.reshape(b, m, b, m).sum(axis=(0, 2)), 1.0, atol=1e-12)


def test_fit_recovers_polynomial_couplings_exactly():
    y = (0.3, 1.2, 0.7)
    assert np.allclose(fit_couplings(GaussianField(64, y).spectrum(), window=2.0), y, rtol=1e-10, atol=1e-12)


def test_white_noise_flows_exactly_as_b_squared():
    for b in (2, 3, 4):
        y = fit_couplings(coarse_spectrum(GaussianField(96, (0.5, 0, 0)), b), window=2.0)
        np.testing.assert_allclose(y, [0.5 * b**2, 0, 0], atol=1e-10)


@pytest.mark.parametrize("i", [0, 1, 2])
def test_exact_flow_exponents(i):
    y = np.eye(3)[i]
    for level in (1, 2, 3):
        fitted = fit_couplings(coarse_spectrum(GaussianField(512, tuple(y)), 2**level), window=1.0)
        x = flow_exponents(y, fitted, 2**level)[i]
        assert abs(x - (2 - 2 * i)) < 0.02


@pytest.mark.parametrize("i", [0, 1, 2])
def test_sampled_flow_matches_exact_flow(i):
    y = tuple(np.eye(3)[i])
    field = GaussianField(128, y)
    fitted = fit_couplings(sample_spectrum(block_average(field.sample(150, seed=10 + i), 2)), window=1.0)
    x = flow_exponents(y, fitted, 2)[i]
    assert abs(x - (2 - 2 * i)) < 0.15


def test_block_spins_rules():
    s = np.array([[1, 1, -1, -1], [1, -1, -1, 1], [1, -1, 1, 1], [-1, -1, 1, 1]], dtype=np.int8)
    # blocks: TL sum 2 -> +1; TR sum -2 -> -1; BL sum -2 -> -1; BR sum 4 -> +1
    np.testing.assert_array_equal(block_spins(s, 2, "majority"), [[1, -1], [-1, 1]])
    tie = np.array([[-1, 1], [1, -1]], dtype=np.int8)  # sum 0: the top-left spin decides
    assert block_spins(tie, 2, "majority")[0, 0] == -1
    np.testing.assert_array_equal(block_spins(s, 2, "decimation"), [[1, -1], [1, 1]])
    r1, r2 = block_spins(s[None], 2, "random", seed=3), block_spins(s[None], 2, "random", seed=3)
    np.testing.assert_array_equal(r1, r2)
    assert r1.shape == (1, 2, 2)
    with pytest.raises(InvalidArgumentError, match="seed"):
        block_spins(s, 2, "random")
    # majority with odd b has no ties
    odd = np.random.default_rng(0).choice(np.array([-1, 1], dtype=np.int8), size=(5, 9, 9))
    sums = odd.reshape(5, 3, 3, 3, 3).sum(axis=(2, 4))
    np.testing.assert_array_equal(block_spins(odd, 3), np.sign(sums))


def test_coarse_features_by_loops():
    s = np.random.default_rng(1).choice(np.array([-1, 1], dtype=np.int8), size=(5, 5))
    e, am, m2 = coarse_features(s[None])[0]
    assert e == pytest.approx(-_energy_by_loops(s) / 50)
    assert am == pytest.approx(abs(s.mean()))
    assert m2 == pytest.approx(s.mean() ** 2)
    one = coarse_features(np.array([[[-1]]], dtype=np.int8))[0]
    np.testing.assert_array_equal(one, [0.0, 1.0, 1.0])


def test_exact_information_level0_equals_energy_information():
    temps = (2.0, 2.6)
    res = exact_temperature_information(3, temps, rules=("majority",), b=3)
    # oracle: I(T; s) = I(T; E(s)) because E is sufficient for T; energies by explicit loops
    states, _ = enumerate_states(3)
    E = np.array([_energy_by_loops(s) for s in states])
    levels, counts = np.unique(E, return_counts=True)
    joint = np.zeros((2, len(levels)))
    for t, T in enumerate(temps):
        logw = -levels / T + np.log(counts)
        joint[t] = 0.5 * np.exp(logw - np.logaddexp.reduce(logw))
    assert res.bits["majority"][0] == pytest.approx(_bits(joint), abs=1e-12)
    assert res.spins == (9, 1)  # 3x3 -> 1x1
    assert res.bits["majority"][1] == pytest.approx(0.0, abs=1e-12)  # one spin: symmetric under flips
    assert res.to_dict()["bits"]["majority"] == list(res.bits["majority"])


def test_exact_block_spin_information_by_brute_force():
    temps = (1.9, 2.7)
    res = exact_temperature_information(4, temps, rules=("majority", "decimation"))
    states, joint = temperature_joint(4, temps)
    for rule in ("majority", "decimation"):
        # oracle: group the states by their coarse 2x2 lattice with a dictionary, one state at a time
        coarse = block_spins(states, 2, rule)
        table: dict[bytes, np.ndarray] = {}
        for i, c in enumerate(coarse):
            table[c.tobytes()] = table.get(c.tobytes(), np.zeros(2)) + joint[:, i]
        grouped = np.array(list(table.values())).T
        assert res.bits[rule][1] == pytest.approx(_bits(grouped), abs=1e-12)
        assert res.bayes_accuracy[rule][1] == pytest.approx(grouped.max(axis=0).sum(), abs=1e-12)


@pytest.mark.parametrize("k", [2, 4])
def test_random_positions_average_every_subset(k):
    temps = (2.0, 2.6)
    states, joint = temperature_joint(4, temps)
    site_bits = np.ascontiguousarray((states.reshape(len(states), -1) > 0).T.astype(np.int32))  # (16, states)
    brute = []
    for subset in itertools.combinations(range(16), k):
        codes = sum(site_bits[j] << t for t, j in enumerate(subset))
        brute.append(_bits(np.stack([np.bincount(codes, weights=row, minlength=2**k) for row in joint])))
    values, counts = subset_information(states, joint, k)
    assert counts.sum() == math.comb(16, k)
    assert counts @ values[:, 0] / counts.sum() == pytest.approx(np.mean(brute), abs=1e-12)
    assert values[:, 0].min() == pytest.approx(min(brute), abs=1e-12)
    assert values[:, 0].max() == pytest.approx(max(brute), abs=1e-12)
    if k == 4:
        res = exact_temperature_information(4, temps, rules=("random",))
        assert res.bits["random"][1] == pytest.approx(np.mean(brute), abs=1e-12)
        assert res.random_range[0] == pytest.approx((min(brute), max(brute)), abs=1e-12)


def test_lattice_symmetries_keep_every_energy():
    states, energies = enumerate_states(3)
    flat = states.reshape(len(states), -1)
    perms = lattice_symmetries(3)
    assert perms.shape == (8 * 9, 9)
    for perm in perms[::7]:
        moved = np.empty_like(flat)
        moved[:, perm] = flat  # site j goes to perm[j]
        np.testing.assert_array_equal(np.array([_energy_by_loops(s) for s in moved.reshape(-1, 3, 3)]), energies)


def test_coarse_grained_scores_share_the_split_and_see_fewer_spins():
    rng = np.random.default_rng(4)
    hot = rng.choice(np.array([-1, 1], dtype=np.int8), size=(200, 8, 8))
    cold = np.where(rng.random((200, 8, 8)) < 0.9, 1, -1).astype(np.int8)
    labels = np.repeat([0, 1], 200)
    scores = coarse_grained_scores(np.concatenate([hot, cold]), labels, b=2, levels=2, seed=5)
    assert set(scores) == {"majority", "decimation", "random"}
    assert all(len(rows) == 3 for rows in scores.values())
    assert {rows[0].accuracy for rows in scores.values()} == {scores["majority"][0].accuracy}  # same level 0
    assert scores["majority"][0].accuracy > 0.95
    again = coarse_grained_scores(np.concatenate([hot, cold]), labels, b=2, levels=2, seed=5)
    assert again == scores


def test_classifier_reaches_bayes_accuracy_on_gaussians():
    rng = np.random.default_rng(0)
    mu, n = 0.8, 20000
    labels = np.repeat([0, 1], n // 2)
    x = rng.standard_normal((n, 1)) + np.where(labels == 1, mu, -mu)[:, None]
    score = temperature_information(x, labels, seed=1)
    bayes = norm.cdf(mu)
    assert abs(score.accuracy - bayes) < 3 * math.sqrt(bayes * (1 - bayes) / (n // 2)) + 1e-3
    assert score.information_bits > 0.2
    noise = temperature_information(rng.standard_normal((4000, 2)), np.repeat([0, 1], 2000), seed=2)
    assert abs(noise.accuracy - 0.5) < 0.05
    assert noise.information_bits < 0.01


def test_counterexample_keeps_z_changes_marginal():
    states, energies = enumerate_states(2)
    K = 0.7 * states.reshape(16, -1).sum(1)
    for T in (1.0, 2.5):
        c = counterexample(energies, K, T)
        assert abs(math.expm1(c.log_Z_joint - c.log_Z)) < 1e-13
        assert c.tv_marginal > 0.05
        assert c.tv_other_marginal < 1e-13
        assert c.trace_spread == pytest.approx(np.ptp(K), abs=1e-12)
    # the marginal is e^(-H-K) / Z~ (checked by hand)
    H = np.array([_energy_by_loops(s) for s in states])
    q = np.exp(-H - K)
    q /= q.sum()
    p = np.exp(-H)
    p /= p.sum()
    assert counterexample(energies, K, 1.0).tv_marginal == pytest.approx(0.5 * np.abs(q - p).sum())
    # Z_joint by an explicit double sum over (y, y') (a second oracle)
    Zt = np.exp(-H - K).sum()
    Z_joint = sum(np.exp(-H[a] - H[c] - K[a]) / Zt for a in range(16) for c in range(16))
    assert counterexample(energies, K, 1.0).log_Z_joint == pytest.approx(math.log(Z_joint), abs=1e-12)


def test_bad_arguments():
    with pytest.raises(InvalidArgumentError, match="divide"):
        block_average(np.zeros((1, 10, 10)), 3)
    with pytest.raises(InvalidArgumentError, match="rule"):
        block_spins(np.ones((4, 4)), 2, "median")
    with pytest.raises(InvalidArgumentError, match="at least one coupling"):
        GaussianField(8, (0, 0, 0))
    with pytest.raises(InvalidArgumentError, match="y1"):
        GaussianField(8, (1, -1, 0))
    with pytest.raises(InvalidArgumentError, match="widen"):
        fit_couplings(GaussianField(8, (1, 1, 1)).spectrum(), window=0.1)
    with pytest.raises(InvalidArgumentError, match="non-constant"):
        counterexample(np.arange(16.0), np.ones(16))
    with pytest.raises(InvalidArgumentError, match="one number per state"):
        counterexample(np.arange(16.0), np.arange(8.0))
    with pytest.raises(ResourceLimitError, match="too many"):
        counterexample(np.zeros(int(MAX_PAIRS**0.5) + 1), np.arange(int(MAX_PAIRS**0.5) + 1.0))
    with pytest.raises(InvalidArgumentError, match="two temperatures"):
        exact_temperature_information(2, (1.0, 2.0, 3.0))
    with pytest.raises(InvalidArgumentError, match="rule"):
        exact_temperature_information(2, (1.0, 2.0), rules=("median",))
    with pytest.raises(InvalidArgumentError, match="levels"):
        sampled_coarse_spectra(GaussianField(8, (1, 0, 0)), 2, -1, 10, seed=0)
    assert lattice_k2(4)[0, 0] == 0
