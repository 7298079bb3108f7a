"""The batched training engine: padded models train exactly like unpadded ones; the loop agrees."""

import numpy as np
import pytest
import torch

from deepcheap.errors import InvalidArgumentError
from deepcheap.training import MLPSpec, StackedMLP, train


def data(n=3, points=128, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(points, n, generator=g, dtype=torch.float64) * 2 - 1
    return x, x.prod(dim=1, keepdim=True)


def test_padded_models_train_exactly_like_unpadded_ones():
    x, y = data()
    padded = StackedMLP(MLPSpec(3, (8, 8), "tanh"), seeds=[11, 12], widths=[5, 8])
    alone = StackedMLP(MLPSpec(3, (5, 5), "tanh"), seeds=[11])
    r1 = train(padded, x, y, steps=60, lr=1e-2, x_test=x, y_test=y)
    r2 = train(alone, x, y, steps=60, lr=1e-2, x_test=x, y_test=y)
    # equal up to rounding: padding changes the order of BLAS sums, not the arithmetic
    assert float(r1.test_mse[0]) == pytest.approx(float(r2.test_mse[0]), rel=1e-12)


def test_zero_padded_inputs_are_inert():
    x, y = data(n=2)
    wide = StackedMLP(MLPSpec(4, (6,), "softplus"), seeds=[3], inputs=[2])
    narrow = StackedMLP(MLPSpec(2, (6,), "softplus"), seeds=[3])
    xp = torch.nn.functional.pad(x, (0, 2)).unsqueeze(0)
    r1 = train(wide, xp, y.unsqueeze(0), steps=40, lr=1e-2)
    r2 = train(narrow, x, y, steps=40, lr=1e-2)
    assert float(r1.train_mse[0]) == pytest.approx(float(r2.train_mse[0]), rel=1e-12)


def test_stacked_training_matches_a_plain_torch_reference():
    """One model, plain autograd + the same Adam arithmetic written out: identical trajectories."""
    x, y = data(points=64)
    model = StackedMLP(MLPSpec(3, (4,), "tanh"), seeds=[7])
    W1, b1 = model.weights[0][0].detach().clone(), model.biases[0][0].detach().clone()
    W2, b2 = model.weights[1][0].detach().clone(), model.biases[1][0].detach().clone()
    train(model, x, y, steps=25, lr=3e-2, schedule="constant")
    params = [t.requires_grad_() for t in (W1, b1, W2, b2)]
    opt = torch.optim.Adam(params, lr=3e-2)
    for _ in range(25):
        opt.zero_grad()
        ((torch.tanh(x @ params[0] + params[1]) @ params[2] + params[3] - y) ** 2).mean().backward()
        opt.step()
    torch.testing.assert_close(model.weights[0][0], params[0].detach(), rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(model.weights[1][0], params[2].detach(), rtol=1e-9, atol=1e-12)


def test_results_do_not_depend_on_batch_companions():
    x, y = data()
    a = StackedMLP(MLPSpec(3, (6,), "relu"), seeds=[1, 2, 3])
    b = StackedMLP(MLPSpec(3, (6,), "relu"), seeds=[2])
    ra = train(a, x, y, steps=30, lr=torch.tensor([1e-2, 2e-2, 3e-2]))
    rb = train(b, x, y, steps=30, lr=2e-2)
    assert float(ra.train_mse[1]) == pytest.approx(float(rb.train_mse[0]), rel=1e-8)


def test_training_reduces_the_error():
    x, y = data()
    model = StackedMLP(MLPSpec(3, (16,), "tanh"), seeds=range(4))
    before = ((model(x) - y) ** 2).mean(dim=(1, 2))
    after = train(model, x, y, steps=200, lr=1e-2).train_mse
    assert bool((after < before / 5).all())


def test_cross_entropy_with_weight_decay_matches_torch_adamw():
    """Classification: the engine's loss and AdamW steps equal torch's cross_entropy + AdamW."""
    x, _ = data(points=64)
    labels = (x[:, 0] > x[:, 1]).long() + (x[:, 2] > 0.5).long()
    model = StackedMLP(MLPSpec(3, (5,), "tanh", 3), seeds=[4])
    params = [t.detach().clone().requires_grad_() for t in (model.weights[0][0], model.biases[0][0],
                                                             model.weights[1][0], model.biases[1][0])]
    result = train(model, x, labels, steps=20, lr=2e-2, schedule="constant", loss="cross_entropy",
                   weight_decay=0.1, x_test=x, y_test=labels)
    opt = torch.optim.AdamW(params, lr=2e-2, weight_decay=0.1)
    for _ in range(20):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(torch.tanh(x @ params[0] + params[1]) @ params[2] + params[3],
                                          labels).backward()
        opt.step()
    torch.testing.assert_close(model.weights[0][0], params[0].detach(), rtol=1e-6, atol=1e-9)
    with torch.no_grad():
        logits = torch.tanh(x @ params[0] + params[1]) @ params[2] + params[3]
    expected = torch.nn.functional.cross_entropy(logits, labels)
    assert float(result.train_cross_entropy[0]) == pytest.approx(float(expected), rel=1e-6)
    assert float(result.test_accuracy[0]) == pytest.approx(float((logits.argmax(1) == labels).double().mean()))


def test_fitted_output_layer_is_the_least_squares_solution():
    """Oracle: numpy.linalg.lstsq on each model's own features (padded units get zero weight)."""
    x, y = data(points=96)
    model = StackedMLP(MLPSpec(3, (7, 7), "softplus"), seeds=[5, 6], widths=[4, 7])
    model.fit_output_layer(x, y)
    with torch.no_grad():
        features = model.features(x).numpy()
    for m, width in enumerate(model.widths):
        design = np.hstack([features[m][:, :width], np.ones((len(x), 1))])
        expected, *_ = np.linalg.lstsq(design, y.numpy(), rcond=None)
        fitted = np.vstack([model.weights[-1][m, :width].detach().numpy(), model.biases[-1][m].detach().numpy()])
        best = np.linalg.norm(design @ expected - y.numpy())
        # the features are nearly collinear, so compare residuals (what the fit is for), not weights
        assert np.linalg.norm(design @ fitted - y.numpy()) <= best * (1 + 1e-6)
        assert not model.weights[-1][m, width:].detach().abs().any()


def test_least_squares_read_out_keeps_padding_exact_and_beats_plain_adam():
    x, y = data(n=2)
    padded = StackedMLP(MLPSpec(2, (8,), "tanh"), seeds=[11, 12], widths=[4, 8])
    alone = StackedMLP(MLPSpec(2, (4,), "tanh"), seeds=[11])
    plain = StackedMLP(MLPSpec(2, (4,), "tanh"), seeds=[11])
    r1 = train(padded, x, y, steps=300, lr=3e-2, output="least_squares")
    r2 = train(alone, x, y, steps=300, lr=3e-2, output="least_squares")
    r3 = train(plain, x, y, steps=300, lr=3e-2)
    assert float(r1.train_mse[0]) == pytest.approx(float(r2.train_mse[0]), rel=1e-6)
    assert float(r2.train_mse[0]) < float(r3.train_mse[0]) / 4  # variable projection: far better conditioned
    gradient = torch.autograd.grad(((alone(x) - y) ** 2).mean(), [alone.weights[-1], alone.biases[-1]])
    assert max(float(g.abs().max()) for g in gradient) < 1e-7  # the final read-out is optimal (up to the ridge)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: MLPSpec(2, (0,)), "width"),
        (lambda: MLPSpec(2, ()), "hidden"),
        (lambda: MLPSpec(0, (3,)), "n_inputs"),
        (lambda: MLPSpec(2, (3,), "nope"), "activation"),
        (lambda: StackedMLP(MLPSpec(2, (3,)), seeds=[]), "seed"),
        (lambda: StackedMLP(MLPSpec(2, (3,)), seeds=[1], widths=[5]), "widths"),
        (lambda: train(StackedMLP(MLPSpec(3, (3,)), seeds=[1]), *data(), steps=0, lr=1e-2), "steps"),
        (lambda: train(StackedMLP(MLPSpec(3, (3,)), seeds=[1]), *data(), steps=1, lr=-1.0), "lr"),
        (lambda: train(StackedMLP(MLPSpec(3, (3,)), seeds=[1]), *data(), steps=1, lr=1e-2, loss="l1"), "loss"),
        (lambda: train(StackedMLP(MLPSpec(3, (3,)), seeds=[1]), *data(), steps=1, lr=1e-2, output="newton"),
         "output"),
        (lambda: train(StackedMLP(MLPSpec(3, (3,), n_outputs=2), seeds=[1]), data()[0], torch.zeros(128).long(),
                       steps=1, lr=1e-2, loss="cross_entropy", output="least_squares"), "least_squares"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(InvalidArgumentError, match=match):
        call()
