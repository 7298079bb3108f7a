"""Spin classifiers: the exact KL, the exact Bayes CNN, the unfold implementation, training and explicit seeds."""

import itertools
import math
from types import SimpleNamespace

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from deepcheap.errors import InvalidArgumentError
from deepcheap.physics.lattice import neighbour_products
from deepcheap.seeds import numpy_generator
from deepcheap.spin_classifiers import (
    KINDS,
    accuracy,
    bayes_cheap_parameters,
    binary_kl,
    cnn_bayes_weights,
    local_from_cnn,
    make_classifier,
    mean_kl,
    parameter_count,
    predict_log_odds,
    train_classifier,
)


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny models: threads fighting for shared cores slow training down tenfold (restored afterwards)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


log_odds = st.lists(st.floats(-20, 20), min_size=1, max_size=20)


def _brute_kl(u, v) -> float:
    """mean over x of sum over the two classes of p log(p / q), float64, p_1 = 1/(1+e^-u), p_0 = 1/(1+e^u)."""
    u, v = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
    total = np.zeros_like(u)
    for sign in (1.0, -1.0):  # class 1, then class 0
        p, q = 1 / (1 + np.exp(-sign * u)), 1 / (1 + np.exp(-sign * v))
        total += p * np.log(p / q)
    return float(total.mean())


@given(st.data())
def test_exact_kl_matches_the_brute_force_sum_and_is_zero_only_when_equal(data):
    u = data.draw(log_odds)
    v = data.draw(st.lists(st.floats(-20, 20), min_size=len(u), max_size=len(u)))
    assert mean_kl(u, v) == pytest.approx(_brute_kl(u, v), rel=1e-6, abs=1e-12)
    assert mean_kl(u, u) == 0.0
    kl = binary_kl(u, v).numpy()
    assert (kl >= 0).all()
    apart = np.abs(np.subtract(u, v)) > 1e-6
    assert (kl[apart] > 0).all()


@pytest.mark.parametrize(("u", "v"), [(0.0, 1e-7), (3.0, 3.5), (60.0, 59.0), (-60.0, -58.5), (40.0, -40.0),
                                      (-700.0, 700.0), (25.0, 25.0 + 1e-9)])
def test_exact_kl_is_accurate_where_the_naive_sum_cancels_or_overflows(u, v):
    with mpmath.workdps(120):  # not mp.dps: that would leak into other tests
        p1, q1, p0, q0 = (1 / (1 + mpmath.exp(-s * mpmath.mpf(t))) for s in (1, -1) for t in (u, v))
        reference = p1 * mpmath.log(p1 / q1) + p0 * mpmath.log(p0 / q0)
    assert mean_kl([u], [v]) == pytest.approx(float(reference), rel=1e-6)


def test_accuracy_counts_the_sign_of_the_log_odds():
    assert accuracy([2.0, -1.0, 0.0, 0.5], [1, 0, 0, 0]) == 0.75
    assert accuracy(torch.tensor([3.0]), np.array([1])) == 1.0


def _bond_sum(spins: np.ndarray) -> np.ndarray:
    return neighbour_products(spins.astype(np.int64)).sum(axis=(-3, -2, -1)).astype(np.float64)


@pytest.mark.parametrize("L", [3, 5, 8])
def test_the_bayes_cnn_is_exact_on_every_state_at_l3_and_random_states_beyond(L):
    if L == 3:
        spins = np.array(list(itertools.product([-1.0, 1.0], repeat=9)), dtype=np.float32).reshape(-1, 3, 3)
    else:
        spins = numpy_generator(L).choice([-1.0, 1.0], size=(200, L, L)).astype(np.float32)
    a, b = -1.7, 0.3
    model = cnn_bayes_weights(a, b)
    expected = a * _bond_sum(spins) / L**2 + b
    np.testing.assert_allclose(predict_log_odds(model, spins), expected, atol=1e-5)
    rebuilt = cnn_bayes_weights(a, b, model=make_classifier("cnn", L, seed=4))  # in place, same function
    np.testing.assert_allclose(predict_log_odds(rebuilt, spins), expected, atol=1e-5)


def test_the_cheap_model_with_bayes_parameters_is_the_exact_ising_posterior():
    from deepcheap.physics.datasets import ising_temperatures

    data = ising_temperatures(L=4, temperatures=(2.0, 3.0), per_class=30, seed=0)
    a, b = bayes_cheap_parameters(data)
    assert a == pytest.approx(16 * (1 / 3 - 1 / 2))
    model = make_classifier("cheap", 4, seed=0)
    with torch.no_grad():
        model.a.fill_(a)
        model.b.fill_(b)
    posterior = data.bayes_posterior()
    np.testing.assert_allclose(predict_log_odds(model, data.spins), np.log(posterior[:, 1] / posterior[:, 0]),
                               atol=1e-5)
    bayes = np.log(posterior[:, 1] / posterior[:, 0])
    assert mean_kl(bayes, predict_log_odds(model, data.spins)) < 1e-9
    three = SimpleNamespace(L=4, betas=[1, 2, 3], log_z=[0, 0, 0], prior=[1 / 3] * 3)
    with pytest.raises(InvalidArgumentError, match="exactly two"):
        bayes_cheap_parameters(three)


def _explicit_local(model, spins: np.ndarray) -> np.ndarray:
    """The locally connected model site by site: patch k = 3u + v is s[(i + u - 1) % L, (j + v - 1) % L]."""
    L = spins.shape[-1]
    w, beta, head = (t.detach().double().numpy() for t in (model.weight, model.bias, model.head))
    out = np.full(len(spins), float(model.head_bias.detach()))
    for i, j in itertools.product(range(L), repeat=2):
        p = i * L + j
        patch = np.stack([spins[:, (i + u - 1) % L, (j + v - 1) % L] for u in range(3) for v in range(3)], axis=1)
        out += np.maximum(patch @ w[:, :, p].T + beta[:, p], 0) @ head[:, p] / L**2
    return out


@pytest.mark.parametrize("L", [3, 5])
def test_the_locally_connected_model_is_the_cnn_when_every_site_shares_its_weights(L):
    spins = numpy_generator(10 + L).choice([-1.0, 1.0], size=(64, L, L)).astype(np.float32)
    for cnn in (make_classifier("cnn", L, channels=3, seed=1), cnn_bayes_weights(0.8, -0.2)):
        local = local_from_cnn(cnn, L)
        np.testing.assert_allclose(predict_log_odds(local, spins), predict_log_odds(cnn, spins), atol=1e-5)
    free = make_classifier("local", L, channels=2, seed=2)  # every site its own kernel: checks the site order
    np.testing.assert_allclose(predict_log_odds(free, spins), _explicit_local(free, spins), atol=1e-5)


def test_parameter_counts_follow_the_formulas():
    for c in (1, 2, 4):
        assert parameter_count(make_classifier("cnn", 6, channels=c, seed=0)) == 9 * c + c + c + 1
        for L in (3, 6, 10):
            assert parameter_count(make_classifier("local", L, channels=c, seed=0)) == 11 * c * L**2 + 1
    for L, w in ((4, 8), (7, 32)):
        assert parameter_count(make_classifier("mlp", L, width=w, seed=0)) == (L**2 + 1) * w + w + 1
    assert parameter_count(make_classifier("cheap", 9, seed=0)) == 2


def _task(n: int = 400, L: int = 4, seed: int = 3):
    """Labels from the sign of sum_nn s s / L^2 + noise on uniformly random spins."""
    rng = numpy_generator(seed)
    x = rng.choice([-1.0, 1.0], size=(n, L, L)).astype(np.float32)
    y = (_bond_sum(x) / L**2 + 0.1 * rng.standard_normal(n) > 0).astype(np.float32)
    return x[:300], y[:300], x[300:], y[300:]


@pytest.mark.parametrize(("kind", "bound"), [("cheap", 0.75), ("cnn", 0.7)])
def test_cheap_and_cnn_models_learn_the_bond_sum(kind, bound):
    xs, ys, xv, yv = _task()
    result = train_classifier(make_classifier(kind, 4, seed=0), xs, ys, xv, yv, seed=0, lr=0.05, max_epochs=80,
                              batch=32, patience=15)
    measured = accuracy(predict_log_odds(result.model, xv), yv)  # measured 0.83-0.87 (chance 0.5)
    assert measured > bound
    assert result.best_val_loss < math.log(2) - 0.15
    assert result.to_dict()["parameters"] == parameter_count(result.model)


def test_early_stopping_keeps_the_best_state_and_same_seed_gives_same_weights():
    xs, ys, xv, yv = _task()

    def run(seed):
        return train_classifier(make_classifier("mlp", 4, width=16, seed=seed), xs, ys, xv, yv, seed=seed, lr=0.05,
                                max_epochs=300, batch=32, patience=2)

    first, second, other = run(1), run(1), run(2)
    assert first.stopped_early and first.epochs < 300 and first.epochs == first.best_epoch + 2
    assert first.steps == first.epochs * math.ceil(300 / 32)
    with torch.no_grad():
        loss = torch.nn.functional.binary_cross_entropy_with_logits(first.model(xv), torch.as_tensor(yv))
    assert float(loss) == pytest.approx(first.best_val_loss, rel=1e-6)  # returned in its best state
    for p, q in zip(first.model.parameters(), second.model.parameters(), strict=True):
        assert torch.equal(p, q)
    assert not all(torch.equal(p, q) for p, q in zip(first.model.parameters(), other.model.parameters(), strict=True))


@pytest.mark.parametrize("kind", KINDS)
def test_no_global_generator_is_read_or_changed(kind):
    xs, ys, xv, yv = _task(n=360)

    def run():
        model = make_classifier(kind, 4, channels=2, width=8, seed=5)
        return train_classifier(model, xs, ys, xv, yv, seed=5, max_epochs=3, batch=50, patience=5)

    torch.manual_seed(0)
    np.random.seed(0)  # noqa: NPY002 - the global generator is perturbed on purpose
    state = torch.random.get_rng_state()
    first = run()
    assert torch.equal(state, torch.random.get_rng_state())
    torch.manual_seed(12345)
    np.random.seed(999)  # noqa: NPY002
    second = run()
    assert first.best_val_loss == second.best_val_loss
    for p, q in zip(first.model.parameters(), second.model.parameters(), strict=True):
        assert torch.equal(p, q)


def test_bad_input_is_refused_with_a_fix():
    good = np.ones((5, 4, 4), dtype=np.float32)
    labels = np.zeros(5)
    cases = [
        (lambda: make_classifier("resnet", 4, seed=0), "kind must be one of cheap, cnn, local, mlp"),
        (lambda: make_classifier("cnn", 2, seed=0), "L >= 3"),
        (lambda: make_classifier("local", 4, channels=0, seed=0), "between 1 and 16"),
        (lambda: make_classifier("cnn", 4, channels=17, seed=0), "between 1 and 16"),
        (lambda: make_classifier("mlp", 4, activation="gelu", seed=0), "relu, tanh"),
        (lambda: make_classifier("cnn", 4, seed=0)(np.zeros((2, 4, 4))), "2\\*bits - 1"),
        (lambda: make_classifier("local", 4, seed=0)(np.ones((2, 5, 5))), "make_classifier"),
        (lambda: make_classifier("cheap", 4, seed=0)(np.ones((4, 4))), "x\\[None\\]"),
        (lambda: make_classifier("cheap", 4, seed=0)(np.ones((1, 4, 5))), "square"),
        (lambda: train_classifier(make_classifier("cnn", 4, seed=0), good, labels[:4], good, labels, seed=0),
         "one label per configuration"),
        (lambda: train_classifier(make_classifier("cnn", 4, seed=0), good, labels + 2, good, labels, seed=0),
         "0 or 1"),
        (lambda: train_classifier(make_classifier("cnn", 4, seed=0), good[:0], labels[:0], good, labels, seed=0),
         "at least one training"),
        (lambda: mean_kl([0.0, 1.0], [0.0]), "same configurations"),
        (lambda: mean_kl([math.inf], [0.0]), "finite"),
        (lambda: mean_kl([], []), "at least one"),
        (lambda: cnn_bayes_weights(1.0, 0.0, model=make_classifier("cnn", 4, channels=3, seed=0)), "channels=4"),
    ]
    for call, message in cases:
        with pytest.raises(InvalidArgumentError, match=message):
            call()
