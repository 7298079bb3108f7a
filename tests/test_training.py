"""The batched training engine against independent oracles.

Gradients against torch autograd on plain per-model networks; a batch against each model trained alone;
padded against packed groups; chunked against unchunked; one model against torch.optim.Adam / AdamW;
the least-squares read-out against numpy.linalg.lstsq; fresh samples and divergence kept per model.
"""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from deepcheap.activations import get_activation
from deepcheap.errors import DeepCheapError, InvalidArgumentError, ResourceLimitError
from deepcheap.training import FreshSamples, ModelSpec, losses, split_evenly, train, uniform_box
from deepcheap.training.data import to_engine
from deepcheap.training.kernels import kernel
from deepcheap.training.layout import plan
from deepcheap.training.memory import Footprint
from deepcheap.training.network import StackedNetwork
from deepcheap.training.spec import default_init
from tests.conftest import requires_cuda

FAMILY = ("tanh", "softplus", "sigmoid", "relu")


def data(n=3, points=96, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(points, n, generator=g, dtype=torch.float64) * 2 - 1
    return x.to(dtype), x.prod(dim=1, keepdim=True).to(dtype)


def relative(a, b) -> float:
    """Norm-wise relative difference of two lists of (W, b) layers."""
    num = sum(float(((p - q) ** 2).sum()) for (W1, b1), (W2, b2) in zip(a, b, strict=True)
              for p, q in ((W1, W2), (b1, b2)))
    den = sum(float((q**2).sum()) for W, b in b for q in (W, b))
    return (num / den) ** 0.5


def engine_gradients(specs, x, y, dtype, grouping="packed", classify=False):
    """One hand-derived backward pass: per model, the gradient and the weights, as (W, b) layers."""
    layout = plan(specs, x.shape[-1], specs[0].n_outputs, grouping)
    net = StackedNetwork(layout, layout.initial().to(dtype))
    batch = to_engine(x, y, classify, dtype, "cpu", layout.order)
    net.train_step(batch, losses.cross_entropy if classify else losses.mse, torch.zeros(len(specs), dtype=dtype),
                   net.buffers(batch.points, backward=True))
    return ([layout.layers(net.grad.double(), m) for m in range(len(specs))],
            [layout.layers(net.params.double(), m) for m in range(len(specs))])


def autograd_gradient(layers, activation, x, y, classify=False):
    params = [(W.clone().requires_grad_(), b.clone().requires_grad_()) for W, b in layers]
    h = x.double()
    for W, b in params[:-1]:
        h = get_activation(activation).torch_fn(h @ W + b)
    out = h @ params[-1][0] + params[-1][1]
    loss = torch.nn.functional.cross_entropy(out, y) if classify else ((out - y.double()) ** 2).mean()
    grads = torch.autograd.grad(loss, [t for pair in params for t in pair])
    return list(zip(grads[::2], grads[1::2], strict=True))


specs_strategy = st.lists(
    st.builds(lambda widths, act, seed: ModelSpec(tuple(widths), act, seed=seed),
              st.lists(st.integers(1, 6), min_size=1, max_size=3), st.sampled_from(FAMILY), st.integers(0, 10**6)),
    min_size=1, max_size=6)


@given(specs=specs_strategy, grouping=st.sampled_from(["packed", "padded"]), seed=st.integers(0, 1000))
def test_hand_backward_matches_autograd_float64(specs, grouping, seed):
    x, y = data(points=40, seed=seed)
    grads, weights = engine_gradients(specs, x, y, torch.float64, grouping)
    for m, spec in enumerate(specs):
        assert relative(grads[m], autograd_gradient(weights[m], spec.activation, x, y)) < 1e-12


@pytest.mark.parametrize("activation", [*FAMILY, "exp", "silu", "gelu", "quadratic"])
def test_hand_backward_matches_autograd_float32(activation):
    specs = [ModelSpec((5,), activation, seed=1), ModelSpec((4, 6), activation, seed=2),
             ModelSpec((3, 2, 4), activation, seed=3)]
    x, y = data(points=200)
    grads, weights = engine_gradients(specs, x, y, torch.float32)
    for m, spec in enumerate(specs):
        assert relative(grads[m], autograd_gradient(weights[m], spec.activation, x, y)) < 1e-5


def test_cross_entropy_gradient_and_per_model_data():
    g = torch.Generator().manual_seed(3)
    x = torch.rand(3, 50, 4, generator=g, dtype=torch.float64)
    labels = torch.randint(0, 3, (3, 50), generator=g)
    specs = [ModelSpec((4,), "tanh", seed=s, n_outputs=3) for s in range(2)]
    specs.append(ModelSpec((2, 3), "relu", seed=2, n_outputs=3))
    grads, weights = engine_gradients(specs, x, labels, torch.float64, classify=True)
    for m, spec in enumerate(specs):
        assert relative(grads[m], autograd_gradient(weights[m], spec.activation, x[m], labels[m], True)) < 1e-12


MIXED = [ModelSpec((6,), "tanh", seed=1, lr=2e-2), ModelSpec((4, 4), "softplus", seed=2, lr=1e-2, weight_decay=0.1),
         ModelSpec((6,), "tanh", seed=3, lr=5e-3, steps=20), ModelSpec((3, 5, 2), "relu", seed=4),
         ModelSpec((5, 3), "sigmoid", seed=5, lr=3e-2, steps=35)]


@pytest.mark.parametrize(("output", "dtype", "tolerance"),
                         [("adam", "float32", 1e-6), ("least_squares", "float64", 1e-9)])
def test_a_batch_trains_every_model_exactly_as_alone(output, dtype, tolerance):
    """Heterogeneous shapes, rates, decays and step counts in one run = each model in a run of its own."""
    x, y = data(dtype=getattr(torch, dtype))
    together = train(MIXED, x, y, steps=40, output=output, dtype=dtype)
    for m, spec in enumerate(MIXED):
        alone = train([spec], x, y, steps=40, output=output, dtype=dtype)
        assert relative(together.layers(m), alone.layers(0)) < tolerance
        assert int(together.steps[m]) == (spec.steps or 40)


def test_on_one_thread_a_batch_is_bitwise_independent_of_its_companions():
    """With one torch thread (how sweep.py runs trials) every product is the same call per model, whatever the batch.

    With more threads MKL partitions a batched product differently for different batch sizes, so results
    agree to rounding only; float32 variable projection can grow that (see the padding test).
    """
    x, y = data(dtype=torch.float32)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        together = train(MIXED, x, y, steps=30, output="least_squares")
        alone = train([MIXED[1]], x, y, steps=30, output="least_squares")
    finally:
        torch.set_num_threads(threads)
    assert relative(together.layers(1), alone.layers(0)) == 0


@pytest.mark.parametrize(("output", "dtype", "tolerance"),
                         [("adam", "float32", 1e-6), ("adam", "float64", 1e-12), ("least_squares", "float64", 1e-8)])
def test_padded_groups_train_like_packed_ones(output, dtype, tolerance):
    """Zero padding is exact arithmetic; only the GEMMs' summation order changes with the shapes.

    (Not float32 with variable projection: there a rounding difference can grow through the ill-conditioned
    least-squares read-outs of small relu and sigmoid nets, to ~1e-2 in 30 steps.)
    """
    x, y = data(dtype=getattr(torch, dtype))
    specs = [*MIXED, ModelSpec((3,), "softplus", seed=9), ModelSpec((4,), "softplus", seed=8)]
    packed = train(specs, x, y, steps=30, output=output, dtype=dtype)
    padded = train(specs, x, y, steps=30, output=output, dtype=dtype, grouping="padded")
    assert len(padded.chunks[0].layout.groups) < len(packed.chunks[0].layout.groups)
    for m in range(len(specs)):
        assert relative(padded.layers(m), packed.layers(m)) < tolerance


def test_zero_padded_inputs_are_inert():
    """Per-model data: a model reading n_inputs=2 of 4 zero-padded columns trains as a 2-input model."""
    x, y = data(n=2)
    wide = train([ModelSpec((6,), "softplus", seed=3, n_inputs=2)], torch.nn.functional.pad(x, (0, 2)).unsqueeze(0),
                 y.unsqueeze(0), steps=40, dtype="float64")
    narrow = train([ModelSpec((6,), "softplus", seed=3)], x, y, steps=40, dtype="float64")
    assert relative(wide.layers(0), narrow.layers(0)) < 1e-12


def test_chunks_under_a_tiny_memory_budget_give_the_same_results():
    x, y = data(dtype=torch.float32)
    footprint = Footprint(3, 1, len(x), 4)
    budget = footprint.shared() + 2 * max(footprint.model(s) for s in MIXED)
    whole = train(MIXED, x, y, steps=25, x_test=x, y_test=y)
    split = train(MIXED, x, y, steps=25, x_test=x, y_test=y, memory_budget=budget)
    assert len(split.chunks) >= 3 and len(whole.chunks) == 1
    for m in range(len(MIXED)):
        assert relative(split.layers(m), whole.layers(m)) < 1e-6
    torch.testing.assert_close(split.test_mse, whole.test_mse, rtol=1e-5, atol=0)
    with pytest.raises(ResourceLimitError, match="memory_budget"):
        train(MIXED, x, y, steps=2, memory_budget=1000)


@pytest.mark.parametrize(("output", "dtype", "tolerance"),
                         [("adam", "float32", 1e-6), ("least_squares", "float64", 1e-9)])
def test_fresh_samples_are_deterministic_and_independent_of_companions(output, dtype, tolerance):
    samples = FreshSamples(uniform_box(3, 0.0, 2.0), lambda x: x.prod(dim=1), points=128, seed=5)
    grid = [ModelSpec(split_evenly(12, k), "tanh", seed=s, lr=lr)
            for k in (1, 2) for s in (0, 1) for lr in (1e-2, 3e-2)]
    together = train(grid, samples=samples, steps=30, output=output, dtype=dtype)
    alone = train([grid[5]], samples=samples, steps=30, output=output, dtype=dtype)
    assert relative(together.layers(5), alone.layers(0)) < tolerance
    assert float(together.train_mse[5]) == pytest.approx(float(alone.train_mse[0]), rel=1e-5)
    other_seed = train([grid[5]], samples=FreshSamples(samples.draw, samples.target, 128, seed=6), steps=30,
                       output=output, dtype=dtype)
    assert relative(other_seed.layers(0), alone.layers(0)) > 1e-4  # the data did change


def test_a_diverging_model_is_flagged_and_does_not_poison_the_batch():
    x, y = data(dtype=torch.float32)
    specs = [ModelSpec((8,), "relu", seed=1, lr=1e-2), ModelSpec((8,), "relu", seed=2, lr=1e25),
             ModelSpec((8,), "relu", seed=3, lr=1e-2)]
    result = train(specs, x, y, steps=40, x_test=x, y_test=y, record_every=10)
    assert result.diverged.tolist() == [False, True, False]
    assert 1 <= int(result.diverged_at[1]) <= 40 and int(result.diverged_at[0]) == 0
    assert torch.isnan(result.test_mse[1]) and bool(torch.isfinite(result.test_mse[[0, 2]]).all())
    for m in (0, 2):
        assert relative(result.layers(m), train([specs[m]], x, y, steps=40).layers(0)) < 1e-6
    assert result.history.shape == (4, 3)


def test_one_model_matches_torch_adam():
    """Plain autograd + torch.optim.Adam on one network: the same trajectory."""
    x, y = data(points=64)
    spec = ModelSpec((4,), "tanh", seed=7, lr=3e-2)
    result = train([spec], x, y, steps=25, schedule="constant", dtype="float64")
    params = [t.clone().requires_grad_() for pair in default_init(spec, 3) for t in pair]
    opt = torch.optim.Adam(params, lr=3e-2)
    for _ in range(25):
        opt.zero_grad()
        ((torch.tanh(x @ params[0] + params[1]) @ params[2] + params[3] - y) ** 2).mean().backward()
        opt.step()
    (V1, _), (_, c2) = result.layers(0)
    torch.testing.assert_close(V1, params[0].detach(), rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(c2, params[3].detach(), rtol=1e-9, atol=1e-12)


def test_cross_entropy_with_weight_decay_matches_torch_adamw():
    x, _ = data(points=64)
    labels = (x[:, 0] > x[:, 1]).long() + (x[:, 2] > 0.5).long()
    spec = ModelSpec((5,), "tanh", seed=4, lr=2e-2, weight_decay=0.1, n_outputs=3)
    result = train([spec], x, labels, steps=20, schedule="constant", loss="cross_entropy", x_test=x, y_test=labels,
                   dtype="float64")
    params = [t.clone().requires_grad_() for pair in default_init(spec, 3) for t in pair]
    opt = torch.optim.AdamW(params, lr=2e-2, weight_decay=0.1)
    for _ in range(20):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(torch.tanh(x @ params[0] + params[1]) @ params[2] + params[3],
                                          labels).backward()
        opt.step()
    torch.testing.assert_close(result.layers(0)[0][0], params[0].detach(), rtol=1e-9, atol=1e-12)
    with torch.no_grad():
        logits = torch.tanh(x @ params[0] + params[1]) @ params[2] + params[3]
    assert float(result.train_cross_entropy[0]) == pytest.approx(
        float(torch.nn.functional.cross_entropy(logits, labels)), rel=1e-6)
    assert float(result.test_accuracy[0]) == pytest.approx(float((logits.argmax(1) == labels).double().mean()))


def test_least_squares_read_out_is_the_ridge_solution():
    """After variable projection the read-out solves (F^T F + delta I) w = F^T y on the final features (numpy),
    delta = 1e-10 trace(F^T F); its residual is within 1% of numpy.linalg.lstsq's unregularised one."""
    x, y = data(points=96)
    activations = ["softplus", "tanh"]
    result = train([ModelSpec((7, 7), "softplus", seed=5), ModelSpec((4, 7), "tanh", seed=6)], x, y, steps=20,
                   output="least_squares", dtype="float64")
    for m in range(2):
        layers = result.layers(m)
        h = x
        for W, b in layers[:-1]:
            h = get_activation(activations[m]).torch_fn(h @ W + b)
        F = np.hstack([h.numpy(), np.ones((len(x), 1))])
        gram = F.T @ F
        ridge = np.linalg.solve(gram + 1e-10 * np.trace(gram) * np.eye(len(gram)), F.T @ y.numpy())
        fitted = np.vstack([layers[-1][0].numpy(), layers[-1][1].numpy()[None]])
        residual = np.linalg.norm(F @ fitted - y.numpy())
        assert residual == pytest.approx(np.linalg.norm(F @ ridge - y.numpy()), rel=1e-8)
        unregularised, *_ = np.linalg.lstsq(F, y.numpy(), rcond=None)
        assert residual <= np.linalg.norm(F @ unregularised - y.numpy()) * 1.01


def test_variable_projection_beats_plain_adam():
    x, y = data(n=2, points=128)
    spec = ModelSpec((4,), "tanh", seed=11, lr=3e-2)
    projected = train([spec], x, y, steps=300, output="least_squares")
    plain = train([spec], x, y, steps=300)
    assert float(projected.train_mse[0]) < float(plain.train_mse[0]) / 4


def test_warm_start_sets_the_given_weights():
    g = torch.Generator().manual_seed(1)
    layers = [(torch.randn(3, 4, generator=g), torch.randn(4, generator=g)),
              (torch.randn(4, 2, generator=g), torch.randn(2, generator=g)),
              (torch.randn(2, 1, generator=g), torch.randn(1, generator=g))]
    spec = ModelSpec.from_layers(layers, "softplus", seed=3, lr=1e-9)
    assert (spec.hidden, spec.n_inputs, spec.n_outputs) == ((4, 2), 3, 1)
    layout = plan([ModelSpec((5,), seed=0, n_inputs=3), spec], 3, 1)
    assert relative(layout.layers(layout.initial(), 1), [(W.double(), b.double()) for W, b in layers]) == 0
    x, y = data(points=32)
    result = train([ModelSpec((5,), seed=0), spec], x, y, steps=1, dtype="float64")
    h = x
    for W, b in layers[:-1]:
        h = torch.nn.functional.softplus(h @ W.double() + b.double())
    expected = h @ layers[-1][0].double() + layers[-1][1].double()
    torch.testing.assert_close(result.predict(x)[1], expected, rtol=0, atol=1e-7)  # one step of lr 1e-9


def test_training_reduces_the_error_and_reports_its_device():
    x, y = data()
    result = train([ModelSpec((16,), "tanh", seed=s) for s in range(4)], x, y, steps=200, x_test=x, y_test=y)
    assert bool((result.test_relative_rms < 0.5).all())
    assert result.device == "cpu" and result.threads == torch.get_num_threads()
    assert result.memory_bytes > 0 and result.model_steps_per_second > 0


def test_numpy_tanh_agrees_with_torch():
    z = torch.linspace(-20, 20, 600_000, dtype=torch.float32).view(3, 100_000, 2)
    h = torch.empty(3, 100_001, 2)[:, 1:]  # a strided view, as the engine passes them
    kernel("tanh").forward(z, h)
    torch.testing.assert_close(h, torch.tanh(z), rtol=0, atol=2.5e-7)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ModelSpec((0,)), "width"),
        (lambda: ModelSpec(()), "hidden"),
        (lambda: ModelSpec((3,), "nope"), "activation"),
        (lambda: ModelSpec((3,), lr=0.0), "lr"),
        (lambda: ModelSpec((3,), lr=-1.0), "lr"),
        (lambda: ModelSpec((3,)), "seed="),
        (lambda: ModelSpec((3,), seed=-1), "seed"),
        (lambda: train([], *data(), steps=1), "at least one model"),
        (lambda: train([ModelSpec((3,), seed=0)], *data(), steps=0), "steps"),
        (lambda: train([ModelSpec((3,), seed=0)], data()[0], data()[1][:10], steps=1), "shape"),
        (lambda: train([ModelSpec((3,), seed=0, n_inputs=2)], *data(), steps=1), "n_inputs"),
        (lambda: train([ModelSpec((3,), seed=0)], data()[0].masked_fill(torch.eye(96, 3).bool(), float("nan")),
                       data()[1], steps=1), "NaN"),
        (lambda: train([ModelSpec((3,), seed=0)], data()[0], data()[1] * float("nan"), steps=1), "NaN"),
        (lambda: train([ModelSpec((3,), seed=0)], *data(), steps=1, device="cuda:7"), "cuda|GPU"),
        (lambda: train([ModelSpec((3,), seed=0)], *data(), steps=1, device="tpu"), "device"),
        (lambda: train([ModelSpec((3,), seed=0)], *data(), steps=1, loss="l1"), "loss"),
        (lambda: train([ModelSpec((3,), seed=0)], *data(), steps=1, output="newton"), "output"),
        (lambda: train([ModelSpec((3,), seed=0, n_outputs=2)], data()[0], torch.zeros(96).long(), steps=1,
                       loss="cross_entropy", output="least_squares"), "least_squares"),
        (lambda: train([ModelSpec((3,), seed=0, n_outputs=2)], data()[0], torch.full((96,), 2), steps=1,
                       loss="cross_entropy"), "n_outputs"),
        (lambda: ModelSpec.from_layers([(torch.ones(2, 3), torch.ones(3))]), "read-out"),
        (lambda: ModelSpec.from_layers([(torch.ones(2, 3), torch.ones(3)), (torch.ones(4, 1), torch.ones(1))]),
         "layer 1"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(DeepCheapError, match=match):
        call()
    assert issubclass(InvalidArgumentError, DeepCheapError)


@requires_cuda
def test_cuda_end_to_end_matches_cpu():
    samples = FreshSamples(uniform_box(3), lambda x: x.prod(dim=1), points=256, seed=2)
    specs = [ModelSpec(split_evenly(12, k), act, seed=1) for k in (1, 2) for act in ("tanh", "softplus")]
    x_test, y_test = data(points=500)
    gpu = train(specs, samples=samples, steps=50, device="cuda", output="least_squares", x_test=x_test, y_test=y_test)
    cpu = train(specs, samples=samples, steps=50, device="cpu", output="least_squares", x_test=x_test, y_test=y_test)
    assert gpu.device.startswith("cuda") and gpu.threads is None
    torch.testing.assert_close(gpu.test_mse, cpu.test_mse, rtol=1e-3, atol=1e-6)
    assert gpu.chunks[0].network.params.device.type == "cuda"


@requires_cuda
def test_cuda_memory_chunks():
    x, y = data(dtype=torch.float32)
    whole = train(MIXED, x, y, steps=10, device="cuda")
    split = train(MIXED, x, y, steps=10, device="cuda", memory_budget=60_000)
    assert len(split.chunks) > 1
    for m in range(len(MIXED)):
        assert relative(split.layers(m), whole.layers(m)) < 1e-5
