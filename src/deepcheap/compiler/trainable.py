"""Warm starts: a compiled network as a trainable torch module, and a fine-tuning loop that cannot make it worse.

>>> import torch, deepcheap
>>> from deepcheap.compiler.trainable import fine_tune, mlp_layers
>>> net = deepcheap.compile("x*y*z", eps=1e-2)
>>> model = net.trainable(form="mlp")                      # nn.Sequential; weights are nn.Parameters
>>> x = torch.rand(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
>>> bool(torch.equal(model(x), net.mlp(x)))              # the same function at the start
True
>>> layers, activation = mlp_layers(model)                 # [(W (in, out), b (out,)), ...], "softplus"
>>> [tuple(W.shape) for W, _ in layers], activation
([(3, 6), (6, 4), (4, 1)], 'softplus')
>>> result = fine_tune(model, net.target, net.domain, steps=20, lr=1e-4, points=256,
...                    generator=torch.Generator().manual_seed(0))
>>> result.error_after <= result.error_before              # on a fixed evaluation set; best state kept
True

``trainable(net, "mlp")`` is the strict MLP (:func:`~deepcheap.compiler.build.build_mlp`) with
``requires_grad=True``; ``trainable(net, "dag")`` is a copy of the sparse DAG module whose float
tensors (gate weights, biases, read-outs, output coefficients where the output reads them) are
parameters, so a 64 x 64 Ising energy can be fine-tuned too. Both compute exactly what the compiled
network computes, bit for bit, until an optimiser moves them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from deepcheap.errors import InvalidArgumentError, check_choice, check_domain, check_int_range, check_positive
from deepcheap.gates.base import sample_box

FORMS = ("mlp", "dag")
INTEGER_BUFFERS = ("index", "keep_cols", "keep_slots")  # gather indices of the DAG module: structure, not weights


def trainable(net, form: str = "mlp", *, memory_limit: int | None = None) -> nn.Module:
    """A new module computing ``net``'s function whose compiled weights are ``nn.Parameter``s."""
    from deepcheap.compiler.build import MLP_MEMORY_LIMIT, build_mlp

    form = check_choice("form", form, FORMS)
    if form == "mlp":
        limit = MLP_MEMORY_LIMIT if memory_limit is None else memory_limit
        return build_mlp(net.layout, dtype=net.dtype, device=net.device, memory_limit=limit).requires_grad_(True)
    module = copy.deepcopy(net.module)
    for owner in module.modules():
        for name, tensor in list(owner.named_buffers(recurse=False)):
            if name in INTEGER_BUFFERS or not tensor.is_floating_point():
                continue
            if name == "out_coef" and not owner.has_output:  # a bank feeding only later gates: never read
                continue
            del owner._buffers[name]
            owner.register_parameter(name, nn.Parameter(tensor.detach().clone()))
    return module


class MLPWeights(NamedTuple):
    """A strict MLP's layers as (W of shape (in, out), b of shape (out,)), and its hidden activation."""

    layers: list[tuple[torch.Tensor, torch.Tensor]]
    activation: str


def mlp_layers(mlp, *, pad_to: int | None = None) -> MLPWeights:
    """The layers of a strict MLP (``net.mlp``, ``trainable(net, "mlp")`` or a CompiledNetwork), detached copies.

    ``pad_to``: widen every hidden layer to this many units with zero weights in and out (the same
    function exactly: a padded unit's output weight is 0), for engines that stack equal widths.
    """
    from deepcheap.compiler.network import CompiledNetwork

    if isinstance(mlp, CompiledNetwork):
        mlp = mlp.mlp
    if not isinstance(mlp, nn.Sequential):
        raise InvalidArgumentError(f"mlp_layers takes a strict nn.Sequential (net.mlp) or a CompiledNetwork; got "
                                   f"{type(mlp).__name__}.")
    linears = [m for m in mlp if isinstance(m, nn.Linear)]
    names = {getattr(m, "name", type(m).__name__) for m in mlp if not isinstance(m, nn.Linear)}
    if len(names) != 1 or len(linears) != len(mlp) // 2 + 1:
        raise InvalidArgumentError("mlp_layers needs Linear, activation, ..., Linear with one activation.")
    layers = [(m.weight.detach().T.clone(), m.bias.detach().clone()) for m in linears]
    if pad_to is not None:
        layers = _padded(layers, check_int_range("pad_to", pad_to, max(W.shape[1] for W, _ in layers[:-1])))
    return MLPWeights(layers, names.pop())


def _padded(layers, width: int):
    out = []
    previous_extra = 0
    for k, (W, b) in enumerate(layers):
        last = k == len(layers) - 1
        extra = 0 if last else width - W.shape[1]
        W = torch.cat([W, W.new_zeros(previous_extra, W.shape[1])], 0)  # rows for the padded inputs
        out.append((torch.cat([W, W.new_zeros(W.shape[0], extra)], 1), torch.cat([b, b.new_zeros(extra)])))
        previous_extra = extra
    return out


@dataclass(frozen=True)
class FineTuneResult:
    """Errors on a fixed evaluation set before and after; the parameters left in the module are the best seen."""

    error_before: float
    error_after: float
    best_step: int  # 0: no step improved on the start, the compiled weights were restored
    steps: int
    metric: str  # "rms" or "max" |module(x) - target(x)| on the evaluation set
    evaluation_points: int
    final_step_error: float  # the error the last step reached, before the best state was restored

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def fine_tune(module: nn.Module, target_fn: Callable[[torch.Tensor], torch.Tensor], domain, *, steps: int,
              lr: float, points: int, generator: torch.Generator, metric: str = "rms",
              evaluation_points: int = 4096, evaluate_every: int = 1, n_inputs: int | None = None) -> FineTuneResult:
    """Adam on the mean squared error with ``points`` fresh uniform samples of ``domain``^n per step.

    The evaluation set (``evaluation_points``, corners included, :func:`~deepcheap.gates.base.sample_box`)
    is drawn once, before training, from ``generator``; training samples come from it too. The module's
    error on it is measured at the start and every ``evaluate_every`` steps; the best parameters seen
    are put back at the end, so ``error_after <= error_before`` always.
    """
    steps = check_int_range("steps", steps, 0)
    points = check_int_range("points", points, 1)
    evaluate_every = check_int_range("evaluate_every", evaluate_every, 1)
    lr = check_positive("lr", lr)
    metric = check_choice("metric", metric, ("rms", "max"))
    lo, hi = check_domain(domain)
    if not isinstance(generator, torch.Generator):
        raise InvalidArgumentError("fine_tune needs an explicit torch.Generator, e.g. "
                                   "torch.Generator().manual_seed(0).")
    n = _inputs_of(module) if n_inputs is None else check_int_range("n_inputs", n_inputs, 1)
    parameters = [p for p in module.parameters() if p.requires_grad]
    if not parameters:
        raise InvalidArgumentError("the module has no trainable parameters; pass net.trainable(...) rather than "
                                   "net.module or net.mlp.")
    dtype, device = parameters[0].dtype, parameters[0].device
    x_eval = sample_box((lo, hi), n, evaluation_points, dtype=dtype, generator=generator).to(device)
    y_eval = _target(target_fn, x_eval)

    def error() -> float:
        with torch.no_grad():
            residual = _flat(module(x_eval)) - y_eval
        value = residual.abs().max() if metric == "max" else residual.pow(2).mean().sqrt()
        return float(value)

    before = best = error()
    best_step, best_state = 0, copy.deepcopy(module.state_dict())
    last = before
    optimiser = torch.optim.Adam(parameters, lr=lr)
    for step in range(1, steps + 1):
        x = (lo + (hi - lo) * torch.rand(points, n, generator=generator, dtype=torch.float64)).to(dtype).to(device)
        loss = (_flat(module(x)) - _target(target_fn, x)).pow(2).mean()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        if step % evaluate_every == 0 or step == steps:
            last = error()
            if last < best:
                best, best_step, best_state = last, step, copy.deepcopy(module.state_dict())
    module.load_state_dict(best_state)
    return FineTuneResult(before, error(), best_step, steps, metric, x_eval.shape[0], last)


def _flat(y: torch.Tensor) -> torch.Tensor:
    return y.reshape(y.shape[0]) if y.dim() == 2 and y.shape[1] == 1 else y


def _target(target_fn, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        y = torch.as_tensor(target_fn(x))
    return _flat(y).to(dtype=x.dtype, device=x.device)


def _inputs_of(module: nn.Module) -> int:
    if hasattr(module, "n_inputs"):
        return int(module.n_inputs)
    first = next((m for m in module.modules() if isinstance(m, nn.Linear)), None)
    if first is None:
        raise InvalidArgumentError("cannot tell how many inputs this module takes; pass n_inputs=...")
    return first.in_features
