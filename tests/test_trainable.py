"""Warm starts: trainable modules equal the compiled network; fine-tuning never ends worse than it started."""

import pytest
import torch
from torch import nn

import deepcheap
from deepcheap.compiler.trainable import fine_tune, mlp_layers
from deepcheap.errors import InvalidArgumentError


def _x(net, rows=400, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(rows, len(net.variables), generator=generator, dtype=torch.float64) * 2 - 1


def test_the_mlp_warm_start_is_the_strict_mlp_with_parameters():
    net = deepcheap.compile("x**2*y - 3*z + x*y*z*w", eps=1e-6)
    model = net.trainable(form="mlp")
    assert isinstance(model, nn.Sequential) and all(isinstance(m, nn.Linear) for m in model[::2])
    assert all(p.requires_grad for p in model.parameters())
    x = _x(net)
    with torch.no_grad():
        assert torch.equal(model(x), net.mlp(x))
    model(x).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_the_dag_warm_start_trains_every_weight_and_leaves_the_network_alone():
    net = deepcheap.compile("x**2*y - 3*z + x*y*z*w", eps=1e-6)
    model = net.trainable(form="dag")
    names = dict(model.named_parameters())
    assert {"linear", "bias", "banks.0.W0", "banks.0.b0", "banks.0.readout", "banks.1.out_coef"} <= names.keys()
    assert "banks.0.out_coef" not in names  # bank 0 feeds only bank 1: its output coefficients are never read
    assert "banks.0.index" in dict(model.named_buffers())  # gather indices are structure, not weights
    x = _x(net)
    with torch.no_grad():
        assert torch.equal(model(x), net.module(x))
    before = net(x).clone()
    optimiser = torch.optim.SGD(model.parameters(), lr=1e-3)
    model(x).pow(2).mean().backward()
    assert all(p.grad is not None for p in model.parameters())
    optimiser.step()
    assert torch.equal(net(x), before)
    assert not torch.equal(model(x), before)


def test_mlp_layers_are_in_out_matrices_and_padding_keeps_the_function():
    net = deepcheap.compile("x*y*z + w", eps=1e-6)
    x = _x(net)
    for pad_to in (None, 16):
        layers, activation = mlp_layers(net, pad_to=pad_to)
        assert activation == "softplus"
        h = x
        for k, (W, b) in enumerate(layers):
            assert W.shape[1] == b.shape[0] and (pad_to is None or k == len(layers) - 1 or W.shape[1] == pad_to)
            h = h @ W + b
            if k < len(layers) - 1:
                h = torch.nn.functional.softplus(h)
        with torch.no_grad():
            assert torch.allclose(h, net.mlp(x), rtol=0, atol=1e-12)
    with pytest.raises(InvalidArgumentError, match="pad_to"):
        mlp_layers(net, pad_to=2)


def test_fine_tuning_a_coarse_construction_improves_it():
    net = deepcheap.compile("x*y*z", eps=0.3)
    model = net.trainable(form="mlp")
    result = fine_tune(model, net.target, net.domain, steps=150, lr=3e-3, points=512, evaluate_every=10,
                       generator=torch.Generator().manual_seed(0))
    assert result.error_after < 0.8 * result.error_before
    assert result.best_step > 0


@pytest.mark.parametrize("form", ["mlp", "dag"])
def test_fine_tuning_never_ends_worse_than_it_started(form):
    """At the best accuracy float64 allows, any Adam step makes it worse: the compiled weights come back."""
    net = deepcheap.compile("x**2*y - 3*z", order=4)
    model = net.trainable(form=form)
    start = [p.detach().clone() for p in model.parameters()]
    result = fine_tune(model, net.target, net.domain, steps=30, lr=1e-2, points=256, metric="max",
                       generator=torch.Generator().manual_seed(1))
    assert result.final_step_error > result.error_before  # training did make it worse ...
    assert result.error_after == result.error_before and result.best_step == 0  # ... and that was undone
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), start, strict=True))


@pytest.mark.parametrize("seed", range(3))
def test_fine_tuning_is_never_worse_for_any_learning_rate(seed):
    net = deepcheap.compile(deepcheap.library.ising_2d(3), eps=0.05)
    model = net.trainable(form="dag")
    lr = (1e-4, 1e-2, 1.0)[seed]
    result = fine_tune(model, net.target, net.domain, steps=20, lr=lr, points=128, evaluate_every=5,
                       generator=torch.Generator().manual_seed(seed))
    assert result.error_after <= result.error_before
    x = _x(net, seed=seed + 10)  # and the module holds the parameters that error was measured with
    again = fine_tune(model, net.target, net.domain, steps=0, lr=lr, points=1,
                      generator=torch.Generator().manual_seed(seed))
    assert again.error_before == result.error_after
    assert model(x).shape == (x.shape[0],)


def test_fine_tuning_is_reproducible_from_its_generator():
    net = deepcheap.compile("x*y + z", eps=0.1)
    results = []
    for _ in range(2):
        model = net.trainable(form="mlp")
        results.append(fine_tune(model, net.target, net.domain, steps=10, lr=1e-2, points=64,
                                 generator=torch.Generator().manual_seed(5)))
    assert results[0] == results[1]


def test_fine_tune_refuses_what_it_cannot_train():
    net = deepcheap.compile("x*y")
    with pytest.raises(InvalidArgumentError, match="Generator"):
        fine_tune(net.trainable(), net.target, net.domain, steps=1, lr=1e-3, points=8, generator=0)
    with pytest.raises(InvalidArgumentError, match="trainable"):
        fine_tune(net.mlp, net.target, net.domain, steps=1, lr=1e-3, points=8, generator=torch.Generator())
    with pytest.raises(InvalidArgumentError, match="form"):
        net.trainable(form="cnn")
