"""Benchmark: the batched engine against what a PyTorch user would write, and against the GEMM floor.

Two workloads, each timed in the same run for every method:

(a) 1000 MLPs 3 -> 16 -> 1 (tanh) on 256 shared points, Adam;
(b) issue 18's quick grid: the product of n = 8 inputs, depth 1-4, total hidden neurons 16-256 split evenly over
    the layers, 3 seeds x 2 learning rates (120 models of 20 shapes), a fresh batch of 1024 points every step.

Methods: the engine (``deepcheap.training.train``); a torch.func ensemble written as the PyTorch model-ensembling
tutorial does it (``stack_module_state`` + ``functional_call`` + ``vmap(grad(loss))`` + one ``torch.optim.Adam``
over the stacked tensors; one ensemble per architecture); a Python loop over ``nn.Sequential`` models with
one Adam each; and the floor, the matrix products alone (forward, weight gradients and input gradients of
the same shapes, preallocated, nothing else). Also measured: the engine's hand-derived backward against
autograd on the same grouped layout, packed against padded groups, and variable projection's cost.
Targets (issue 17): (b) engine >= 3x torch.func and within 1.5x of the floor; (a) engine >= 1.5x torch.func.

    python benchmarks/training.py [--workload a|b|both] [--device cpu|cuda] [--steps 20] [--repeats 3] [--threads N]

Every method runs ``--steps`` steps once per round, the methods interleaved, for ``--repeats`` rounds after a
warm-up round; the best round counts, so a busy machine inflates the times less. Ratios are within the run.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import sys
import time
from dataclasses import dataclass

import torch
from torch.func import functional_call, grad, stack_module_state, vmap

from deepcheap.activations import get_activation
from deepcheap.training import FreshSamples, ModelSpec, split_evenly, train, uniform_box
from deepcheap.training.data import to_engine
from deepcheap.training.layout import plan
from deepcheap.training.losses import mse
from deepcheap.training.network import StackedNetwork


@dataclass
class Workload:
    name: str
    specs: list[ModelSpec]
    n: int
    points: int
    fresh: bool

    def batch(self, step: int, device) -> tuple[torch.Tensor, torch.Tensor]:
        """The same (x, y) for every method: fixed, or fresh per step (drawn on the device)."""
        samples = FreshSamples(uniform_box(self.n, 0.5, 1.5, signs=True), lambda x: x.prod(dim=1), self.points, seed=1)
        x, y = samples.batch(step if self.fresh else 1, device)
        return x.float(), y.float().unsqueeze(1)

    def with_activation(self, activation: str) -> Workload:
        return Workload(self.name, [s.with_(activation=activation) for s in self.specs], self.n, self.points,
                        self.fresh)

    def architectures(self) -> dict[tuple[int, ...], list[ModelSpec]]:
        out: dict[tuple[int, ...], list[ModelSpec]] = {}
        for spec in self.specs:
            out.setdefault(spec.hidden, []).append(spec)
        return out


def workload_a() -> Workload:
    return Workload("(a) 1000 x (3 -> 16 -> 1), 256 shared points", [ModelSpec((16,), seed=s) for s in range(1000)],
                    3, 256, fresh=False)


def workload_b() -> Workload:
    specs = [ModelSpec(split_evenly(total, depth), seed=seed, lr=lr)
             for depth in (1, 2, 3, 4) for total in (16, 32, 64, 128, 256) for seed in range(3) for lr in (1e-2, 3e-2)]
    return Workload("(b) product of 8: depth 1-4 x 16-256 neurons x 3 seeds x 2 rates, fresh 1024/step", specs,
                    8, 1024, fresh=True)


def sync(device) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


# --- the engine ----------------------------------------------------------------------------


def engine(work: Workload, steps: int, device, **options) -> float:
    if work.fresh:
        samples = FreshSamples(uniform_box(work.n, 0.5, 1.5, signs=True), lambda x: x.prod(dim=1), work.points, seed=1)
        result = train(work.specs, samples=samples, steps=steps, device=device, **options)
    else:
        x, y = work.batch(1, "cpu")
        result = train(work.specs, x, y, steps=steps, device=device, **options)
    return result.step_seconds / steps


def hand_backward(work: Workload, steps: int, device) -> float:
    """Forward + loss + hand-derived backward of the engine (no optimiser), seconds per step."""
    layout = plan(work.specs, work.n, 1)
    net = StackedNetwork(layout, layout.initial().to(device, torch.float32))
    x, y = work.batch(1, device)
    batch = to_engine(x, y, False, torch.float32, device, layout.order)
    buffers, loss = net.buffers(work.points, backward=True), torch.empty(len(work.specs), device=device)
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        net.train_step(batch, mse, loss, buffers)
    sync(device)
    return (time.perf_counter() - start) / steps


def autograd_backward(work: Workload, steps: int, device) -> float:
    """The same grouped layout (one first-layer GEMM, one bmm per group and layer), differentiated by autograd."""
    layout = plan(work.specs, work.n, 1)
    flat = layout.initial().to(device, torch.float32)
    W0 = layout.first_layer(flat).clone().requires_grad_()
    rest = [[layout.view(flat, g, j).clone().requires_grad_() for j in range(1, group.depth + 1)]
            for g, group in enumerate(layout.groups)]
    params = [W0, *(w for ws in rest for w in ws)]
    x, y = work.batch(1, device)
    xa = torch.cat([x, torch.ones(len(x), 1, device=device)], dim=1).T.contiguous()
    target = y.T

    def step():
        z0, row, total = W0 @ xa, 0, 0
        for g, group in enumerate(layout.groups):
            act = get_activation(group.activation).torch_fn
            rows = group.size * (group.widths[0] + 1)
            h = act(z0[row:row + rows].view(group.size, group.widths[0] + 1, -1)[:, :-1])
            row += rows
            for j, W in enumerate(rest[g]):
                h = torch.cat([h, torch.ones_like(h[:, :1])], dim=1)
                z = torch.bmm(W, h)
                h = act(z[:, :-1]) if j < group.depth - 1 else z
            total = total + ((h - target) ** 2).mean(dim=(1, 2)).sum()
        torch.autograd.grad(total, params)

    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return (time.perf_counter() - start) / steps


# --- what a PyTorch user writes ---------------------------------------------------------------


def sequential(spec: ModelSpec, n: int, generator: torch.Generator, device) -> torch.nn.Sequential:
    """An nn.Sequential of the spec's shape, initialised from ``generator`` (never the global RNG)."""
    sizes = spec.sizes(n)
    layers: list[torch.nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(torch.nn.Linear(a, b, device="meta"))
        if i < len(sizes) - 2:
            layers.append(get_activation(spec.activation).module())
    net = torch.nn.Sequential(*layers).to_empty(device=device)
    with torch.no_grad():
        for layer in net:
            if isinstance(layer, torch.nn.Linear):
                bound = layer.in_features**-0.5
                for p in (layer.weight, layer.bias):
                    p.copy_((torch.rand(p.shape, generator=generator) * 2 - 1) * bound)
    return net


def torch_func(work: Workload, steps: int, device) -> float:
    """The PyTorch ensembling tutorial: one stacked ensemble and one Adam per architecture."""
    generator = torch.Generator().manual_seed(0)
    ensembles = []
    for specs in work.architectures().values():
        models = [sequential(s, work.n, generator, device) for s in specs]
        params, buffers = stack_module_state(models)
        base = copy.deepcopy(models[0]).to("meta")

        def loss(p, b, x, y, base=base):
            return ((functional_call(base, (p, b), (x,)) - y) ** 2).mean()

        ensembles.append((params, buffers, vmap(grad(loss), in_dims=(0, 0, None, None)),
                          torch.optim.Adam(list(params.values()), lr=specs[0].lr)))
    sync(device)
    start = time.perf_counter()
    for step in range(1, steps + 1):
        x, y = work.batch(step, device)
        for params, buffers, gradient, optimiser in ensembles:
            grads = gradient(params, buffers, x, y)
            for key, value in params.items():
                value.grad = grads[key]
            optimiser.step()
    sync(device)
    return (time.perf_counter() - start) / steps


def python_loop(work: Workload, steps: int, device) -> float:
    generator = torch.Generator().manual_seed(0)
    nets = [sequential(s, work.n, generator, device) for s in work.specs]
    optimisers = [torch.optim.Adam(net.parameters(), lr=s.lr) for net, s in zip(nets, work.specs, strict=True)]
    sync(device)
    start = time.perf_counter()
    for step in range(1, steps + 1):
        x, y = work.batch(step, device)
        for net, opt in zip(nets, optimisers, strict=True):
            opt.zero_grad()
            ((net(x) - y) ** 2).mean().backward()
            opt.step()
    sync(device)
    return (time.perf_counter() - start) / steps


# --- the floor ------------------------------------------------------------------------------------


def floor(work: Workload, steps: int, device) -> float:
    """The matrix products alone, per step: forward, weight gradients, input gradients (not of the data)."""
    N, n, opts = work.points, work.n, {"device": device}
    generator = torch.Generator(device=device).manual_seed(0)

    def randn(*shape):
        return torch.randn(*shape, generator=generator, **opts)

    groups = work.architectures()
    rows = sum(len(specs) * hidden[0] for hidden, specs in groups.items())
    x, W0, Z0, G0, dW0 = (randn(n, N), randn(rows, n), torch.empty(rows, N, **opts), randn(rows, N),
                          torch.empty(rows, n, **opts))
    products = [lambda: torch.mm(W0, x, out=Z0), lambda: torch.mm(G0, x.T, out=dW0)]
    for hidden, specs in groups.items():
        G, sizes = len(specs), (*hidden, 1)
        for a, b in itertools.pairwise(sizes):
            W, H, Zo, D = randn(G, b, a), randn(G, a, N), torch.empty(G, b, N, **opts), randn(G, b, N)
            dW, dH = torch.empty(G, b, a, **opts), torch.empty(G, a, N, **opts)
            products += [lambda W=W, H=H, Zo=Zo: torch.bmm(W, H, out=Zo),
                         lambda D=D, H=H, dW=dW: torch.bmm(D, H.transpose(1, 2), out=dW),
                         lambda W=W, D=D, dH=dH: torch.bmm(W.transpose(1, 2), D, out=dH)]
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        for product in products:
            product()
    sync(device)
    return (time.perf_counter() - start) / steps


def flops(work: Workload) -> float:
    """Multiply-adds x 2 of the floor's products per step."""
    total = 0
    for hidden, specs in work.architectures().items():
        sizes = (work.n, *hidden, 1)
        per_model = sum(a * b for a, b in itertools.pairwise(sizes))
        inputs = sum(a * b for a, b in itertools.pairwise(sizes))  # input gradients, not of x
        total += len(specs) * (2 * per_model + inputs) * work.points
    return 2.0 * total


# --- the table -------------------------------------------------------------------------------------


def measure(work: Workload, steps: int, repeats: int, device, loop_steps: int) -> dict[str, float]:
    """Seconds per step of every method: rounds that run each method once, interleaved; the best round counts."""
    methods = {
        "engine": lambda: engine(work, steps, device),
        "torch.func ensemble": lambda: torch_func(work, steps, device),
        "floor (matrix products alone)": lambda: floor(work, steps, device),
        "engine, padded groups": lambda: engine(work, steps, device, grouping="padded"),
        "engine, least-squares read-out": lambda: engine(work, steps, device, output="least_squares"),
        "engine, relu": lambda: engine(work.with_activation("relu"), steps, device),
        "torch.func ensemble, relu": lambda: torch_func(work.with_activation("relu"), steps, device),
        "fwd+bwd, hand-derived": lambda: hand_backward(work, steps, device),
        "fwd+bwd, autograd": lambda: autograd_backward(work, steps, device),
        "fwd+bwd, hand-derived, relu": lambda: hand_backward(work.with_activation("relu"), steps, device),
        "fwd+bwd, autograd, relu": lambda: autograd_backward(work.with_activation("relu"), steps, device),
    }
    best = {key: float("inf") for key in methods}
    for _ in range(repeats + 1):  # the first round warms up
        for key, run in methods.items():
            best[key] = min(best[key], run())
    best["Python loop of nn.Sequential"] = python_loop(work, loop_steps, device)
    return best


def report(work: Workload, times: dict[str, float]) -> tuple[bool, list[str]]:
    models, engine_time, floor_time = len(work.specs), times["engine"], times["floor (matrix products alone)"]
    print(f"\n{work.name}: {models} models")
    width = max(len(k) for k in times)
    for key, seconds in times.items():
        line = f"  {key:<{width}}  {seconds * 1e3:9.2f} ms/step  {models / seconds:>12,.0f} model-steps/s"
        if key == "engine":
            line += f"  {100 * floor_time / seconds:5.1f}% of floor"
        elif key.startswith("floor"):
            line += f"  ({flops(work) / seconds / 1e9:.1f} GFLOP/s)"
        elif key == "torch.func ensemble, relu":
            line += f"  engine, relu, is {seconds / times['engine, relu']:5.2f}x faster"
        elif not key.startswith(("fwd", "engine, relu")):
            line += f"  engine is {seconds / engine_time:5.2f}x faster"
        print(line)
    for suffix, label in (("", work.specs[0].activation), (", relu", "relu")):
        hand, auto = times[f"fwd+bwd, hand-derived{suffix}"], times[f"fwd+bwd, autograd{suffix}"]
        print(f"  hand-derived backward vs autograd on the same layout, {label}: {auto / hand:.2f}x faster")
    speedup = times["torch.func ensemble"] / engine_time
    checks = []
    if work.fresh:
        checks.append((f"(b) engine / torch.func = {speedup:.2f}x (target >= 3)", speedup >= 3))
        checks.append((f"(b) engine / floor = {engine_time / floor_time:.2f}x (target <= 1.5)",
                       engine_time / floor_time <= 1.5))
    else:
        checks.append((f"(a) engine / torch.func = {speedup:.2f}x (target >= 1.5)", speedup >= 1.5))
    return all(ok for _, ok in checks), [f"{'met   ' if ok else 'MISSED'} {text}" for text, ok in checks]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workload", choices=["a", "b", "both"], default="both")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's, all cores)")
    parser.add_argument("--activation", default="tanh", help="the hidden layers' activation (default tanh)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"torch {torch.__version__}, {where}, float32, {args.activation}; best of {args.repeats} rounds of "
          f"{args.steps} steps")
    works = {"a": [workload_a()], "b": [workload_b()], "both": [workload_a(), workload_b()]}[args.workload]
    works = [work.with_activation(args.activation) for work in works]
    ok, lines = True, []
    for work in works:
        met, text = report(work, measure(work, args.steps, args.repeats, device, loop_steps=2 if not work.fresh else 3))
        ok, lines = ok and met, lines + text
    print("\n" + "\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
