"""``train``: full-batch Adam (or variable projection) on many MLPs at once; checks, chunks, the step loop.

See :mod:`deepcheap.training` for examples. One step: draw or take the batch, forward every model
(:class:`~deepcheap.training.network.StackedNetwork`), per-model loss and its gradient, flag models whose
loss is not finite, hand-derived backward, one :class:`~deepcheap.training.adam.FlatAdam` step with each
model's scheduled rate (0 once it has stopped or diverged). Pure: tensors in, a result out.
"""

from __future__ import annotations

import math
import time

import torch

from deepcheap.errors import InvalidArgumentError, check_choice, check_int_range, check_positive
from deepcheap.precision import resolve_dtype
from deepcheap.training import losses
from deepcheap.training.adam import FlatAdam
from deepcheap.training.data import FreshSamples, to_engine
from deepcheap.training.layout import GROUPINGS, plan
from deepcheap.training.memory import Footprint, chunks, default_budget
from deepcheap.training.network import StackedNetwork
from deepcheap.training.results import Chunk, TrainingResult
from deepcheap.training.spec import ModelSpec

OUTPUTS = ("adam", "least_squares")
SCHEDULES = ("cosine", "constant")


def train(models, x=None, y=None, *, steps: int, samples: FreshSamples | None = None, loss: str = "mse",
          output: str = "adam", schedule: str = "cosine", betas=(0.9, 0.999), eps: float = 1e-8,
          ridge: float = 1e-10, x_test=None, y_test=None, dtype="float32", device="cpu",
          memory_budget: int | None = None, grouping: str = "packed", record_every: int = 0) -> TrainingResult:
    """Train every model of ``models`` (a list of :class:`ModelSpec`) on (x, y) or on fresh ``samples``.

    x: (N, n) shared by every model, or (M, N, n) one set per model (zero-padded where a model reads fewer
    inputs). y: (N,) / (N, K) / (M, N) / (M, N, K) targets for ``loss="mse"``, integer labels (N,) / (M, N) for
    ``loss="cross_entropy"``. ``steps``: the steps of every model without its own. ``output="least_squares"``
    (mse only) is variable projection: before every step the linear read-out is the least-squares fit to the
    current features (float64) and Adam moves the hidden layers only. ``schedule="cosine"`` decays each
    model's rate to 1% of its start over its own steps. The run is split into chunks when its estimated
    memory exceeds ``memory_budget`` bytes (default: half of the free memory on ``device``).
    """
    steps = check_int_range("steps", steps, 1)
    check_choice("loss", loss, losses.LOSSES)
    check_choice("output", output, OUTPUTS)
    check_choice("schedule", schedule, SCHEDULES)
    check_choice("grouping", grouping, GROUPINGS)
    record_every = check_int_range("record_every", record_every, 0)
    classify, project = loss == "cross_entropy", output == "least_squares"
    if project and classify:
        raise InvalidArgumentError("output='least_squares' needs loss='mse' (a least-squares read-out fits "
                                   "regression targets); use output='adam' for classification.")
    betas = tuple(check_positive("betas", b) for b in betas)
    if len(betas) != 2 or not all(b < 1 for b in betas):
        raise InvalidArgumentError(f"betas must be two numbers in (0, 1); got {betas}.")
    options = {"eps": check_positive("eps", eps), "ridge": check_positive("ridge", ridge), "betas": betas,
               "schedule": schedule, "classify": classify, "project": project, "record_every": record_every}
    dtype, device = resolve_dtype(dtype), resolve_device(device)
    specs = _checked_specs(models)
    data = _checked_data(specs, x, y, samples, x_test, y_test, classify, device)
    specs = [s if s.n_inputs else s.with_(n_inputs=data["n"]) for s in specs]
    footprint = Footprint(data["n"], specs[0].n_outputs, data["points"], torch.finfo(dtype).bits // 8,
                          per_model_data=data["per_model"], least_squares=project)
    budget = default_budget(device) if memory_budget is None else check_int_range("memory_budget", memory_budget, 1)
    parts = chunks(specs, footprint, budget)
    estimate = sum(footprint.model(s) for s in specs) + footprint.shared() * len(parts)
    step_counts = [s.steps or steps for s in specs]
    start = time.perf_counter()
    trained = [_train_chunk([specs[m] for m in part], [step_counts[m] for m in part], _select(data, part), dtype,
                            device, grouping, options) for part in parts]
    seconds = time.perf_counter() - start
    result = TrainingResult(torch.tensor(step_counts), seconds, sum(part[-1] for part in trained), str(device),
                            torch.get_num_threads() if device.type == "cpu" else None, estimate, budget)
    _assemble(result, parts, trained, specs, data, options)
    return result


def resolve_device(device) -> torch.device:
    """'cpu', 'cuda', 'cuda:1', a torch.device -> a checked torch.device."""
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise InvalidArgumentError(f"unknown device {device!r}; use 'cpu' or 'cuda' (or 'cuda:N').") from None
    if resolved.type == "cpu":
        return resolved
    if resolved.type != "cuda":
        raise InvalidArgumentError(f"the training engine runs on 'cpu' or 'cuda'; got device {device!r}.")
    if not torch.cuda.is_available():
        raise InvalidArgumentError(f"device {device!r} asked for, but torch sees no CUDA GPU here; use "
                                   "device='cpu' (or install a CUDA build of torch on a machine with a GPU).")
    index = torch.cuda.current_device() if resolved.index is None else resolved.index
    if index >= torch.cuda.device_count():
        raise InvalidArgumentError(f"device {device!r} does not exist: torch sees {torch.cuda.device_count()} "
                                   f"GPU(s), cuda:0 .. cuda:{torch.cuda.device_count() - 1}.")
    return torch.device("cuda", index)


def _checked_specs(models) -> list[ModelSpec]:
    specs = [models] if isinstance(models, ModelSpec) else list(models)
    if not specs:
        raise InvalidArgumentError("train needs at least one model: a list of ModelSpec(hidden=(width, ...), ...).")
    for spec in specs:
        if not isinstance(spec, ModelSpec):
            raise InvalidArgumentError(f"models must be ModelSpec objects; got {type(spec).__name__}.")
    if len({s.n_outputs for s in specs}) > 1:
        raise InvalidArgumentError("every model of one run needs the same n_outputs (they share the targets); "
                                   "train the others in a separate run.")
    return specs


def _checked_data(specs, x, y, samples, x_test, y_test, classify, device) -> dict:
    """Validated data: shapes, NaN, labels; returns a dict the chunks slice from."""
    M, K = len(specs), specs[0].n_outputs
    if samples is not None:
        if x is not None or y is not None:
            raise InvalidArgumentError("give either (x, y) or samples=FreshSamples(...), not both.")
        if not isinstance(samples, FreshSamples):
            raise InvalidArgumentError("samples must be a FreshSamples(draw, target, points, seed).")
        x0, y0 = samples.batch(1, device)
        _check_pair(torch.as_tensor(x0), torch.as_tensor(y0), classify, K, M, "the first fresh batch", shared_only=True)
        n, points, per_model = x0.shape[-1], samples.points, False
        if x0.shape[0] != samples.points:
            raise InvalidArgumentError(f"samples.draw returned {x0.shape[0]} points; it must return points="
                                       f"{samples.points} rows.")
    else:
        if x is None or y is None:
            raise InvalidArgumentError("train needs data: x and y, or samples=FreshSamples(...).")
        x, y = torch.as_tensor(x), torch.as_tensor(y)
        _check_pair(x, y, classify, K, M, "x, y")
        n, points, per_model = x.shape[-1], x.shape[-2], x.dim() == 3
    if (x_test is None) != (y_test is None):
        raise InvalidArgumentError("give x_test and y_test together (or neither).")
    if x_test is not None:
        x_test, y_test = torch.as_tensor(x_test), torch.as_tensor(y_test)
        _check_pair(x_test, y_test, classify, K, M, "x_test, y_test", shared_only=not per_model)
        if per_model and x_test.dim() != 3:
            raise InvalidArgumentError("with per-model x (M, N, n), x_test must be per-model too: (M, N_test, n).")
        if x_test.shape[-1] != n:
            raise InvalidArgumentError(f"x_test has {x_test.shape[-1]} inputs but the training data have {n}.")
    for m, spec in enumerate(specs):
        if spec.n_inputs is not None and (spec.n_inputs > n or (spec.n_inputs < n and not per_model)):
            raise InvalidArgumentError(
                f"model {m} reads n_inputs={spec.n_inputs} but the data have {n} columns; shared data must have "
                "exactly the model's inputs (per-model data (M, N, n) may be zero-padded to more).")
    return {"x": x, "y": y, "samples": samples, "x_test": x_test, "y_test": y_test, "n": n, "points": points,
            "per_model": per_model}


def _check_pair(x, y, classify, K, M, what, shared_only=False) -> None:
    if not x.is_floating_point():
        raise InvalidArgumentError(f"{what}: x must hold floats; got {x.dtype}.")
    if x.dim() not in (2, 3) or (shared_only and x.dim() != 2):
        shapes = "(N, n)" if shared_only else "(N, n) shared by all models, or (M, N, n) one per model"
        raise InvalidArgumentError(f"{what}: x must have shape {shapes}; got {tuple(x.shape)}.")
    if x.dim() == 3 and x.shape[0] != M:
        raise InvalidArgumentError(f"{what}: per-model x has {x.shape[0]} sets for {M} models.")
    if x.shape[-1] < 1 or x.shape[-2] < 1:
        raise InvalidArgumentError(f"{what}: x needs at least one point and one input; got {tuple(x.shape)}.")
    points = x.shape[-2]
    if classify:
        if y.is_floating_point() and not bool((y == y.round()).all()):
            raise InvalidArgumentError(f"{what}: cross-entropy targets must be integer class labels.")
        expected = (points,) if y.dim() == 1 else (x.shape[0], points) if x.dim() == 3 else (points,)
        if tuple(y.shape) != expected:
            raise InvalidArgumentError(f"{what}: labels must have shape {expected}; got {tuple(y.shape)}.")
        if bool((y < 0).any()) or bool((y >= K).any()):
            raise InvalidArgumentError(f"{what}: labels must lie in 0..{K - 1} (n_outputs={K}); got "
                                       f"{int(y.min())}..{int(y.max())}. Set n_outputs to the number of classes.")
    else:
        if not y.is_floating_point():
            raise InvalidArgumentError(f"{what}: regression targets must be floats; got {y.dtype}.")
        lead = x.shape[:-1]
        if tuple(y.shape) not in (tuple(lead), (*lead, K)):
            raise InvalidArgumentError(f"{what}: y must have shape {tuple(lead)} or {(*lead, K)} for x of shape "
                                       f"{tuple(x.shape)} and n_outputs={K}; got {tuple(y.shape)}.")
        if not bool(torch.isfinite(y).all()):
            raise InvalidArgumentError(f"{what}: y contains NaN or infinite values; remove or impute them.")
    if not bool(torch.isfinite(x).all()):
        raise InvalidArgumentError(f"{what}: x contains NaN or infinite values; remove or impute them.")


def _select(data: dict, part: list[int]) -> dict:
    """The chunk's slice of per-model data (shared data pass through)."""
    if not data["per_model"]:
        return data
    index = torch.as_tensor(part)
    out = dict(data)
    for key in ("x", "y", "x_test", "y_test"):  # per-model inputs and targets lead with the model axis
        if out[key] is not None and out[key].dim() >= 2:
            out[key] = out[key][index]
    return out


def _train_chunk(specs, step_counts, data, dtype, device, grouping, options) -> tuple:
    layout = plan(specs, data["n"], specs[0].n_outputs, grouping)
    order = layout.order
    net = StackedNetwork(layout, layout.initial().to(device, dtype), train_readout=not options["project"])

    def internal(values, kind):  # per-model values in the network's order
        return torch.tensor([values[m] for m in order], dtype=kind, device=device)

    lr = internal([s.lr for s in specs], dtype)
    adam = FlatAdam(net.params, layout.owners(train_readout=not options["project"]),
                    internal([s.weight_decay for s in specs], dtype), options["betas"], options["eps"])
    model_steps = internal(step_counts, dtype)
    last_step = [max(step_counts[m] for m in g.models) for g in layout.groups]
    objective = losses.cross_entropy if options["classify"] else losses.mse
    samples = data["samples"]
    generator = torch.Generator(device=device) if samples is not None else None
    batch = None if samples is not None else to_engine(data["x"], data["y"], options["classify"], dtype, device, order)
    buffers = net.buffers(data["points"], backward=True)
    M, total = layout.models, max(step_counts)
    alive = torch.ones(M, dtype=torch.bool, device=device)
    diverged_at = torch.zeros(M, dtype=torch.int64, device=device)
    final_loss = torch.full((M,), math.nan, dtype=dtype, device=device)
    value = torch.zeros(M, dtype=dtype, device=device)
    history = []
    refit_until = model_steps + 1  # variable projection re-solves a model's read-out until one step after its last
    start = time.perf_counter()
    for t in range(1, total + 1 + options["project"]):
        if samples is not None:
            batch = to_engine(*samples.batch(t, device, generator), options["classify"], dtype, device)
        readout = None
        if options["project"]:
            def readout(g, features, batch=batch, t=t):
                group = layout.groups[g]
                net.solve_readout(g, features, batch.targets, options["ridge"],
                                  refit=refit_until[group.start:group.start + group.size] >= t)
        if t > total:  # variable projection: the final read-outs, fitted to the last state
            net.forward(batch.xa, buffers, readout, [g for g, last in enumerate(last_step) if last == total])
            break
        net.train_step(batch, objective, value, buffers, readout=readout,
                       forward=[g for g, last in enumerate(last_step) if t <= last + options["project"]],
                       backward=[g for g, last in enumerate(last_step) if t <= last])
        running = model_steps >= t
        finite = torch.isfinite(value)
        diverged_at = torch.where(alive & ~finite & running, t, diverged_at)
        alive = alive & (finite | ~running)
        final_loss = torch.where(model_steps == t, value, final_loss)
        if options["record_every"] and t % options["record_every"] == 0:
            history.append(torch.where(running, value, math.nan))
        adam.step(net.grad, t, lr * _factor(options["schedule"], t, model_steps) * (alive & running))
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    inverse = torch.empty(M, dtype=torch.int64)
    inverse[torch.as_tensor(order)] = torch.arange(M)
    inverse = inverse.to(device)
    return (Chunk(list(range(M)), layout, net), alive[inverse].cpu(), diverged_at[inverse].cpu(),
            final_loss[inverse].cpu(), torch.stack(history)[:, inverse].cpu() if history else None, seconds)


def _factor(schedule: str, t: int, model_steps: torch.Tensor) -> torch.Tensor | float:
    """Each model's learning-rate factor at step t: cosine from 1 down to 0.01 over its own steps, or 1."""
    if schedule == "constant":
        return 1.0
    return 0.01 + 0.99 * 0.5 * (1 + torch.cos(math.pi * (t - 1) / model_steps))


def _assemble(result: TrainingResult, parts, trained, specs, data, options) -> None:
    M = len(specs)
    alive = torch.ones(M, dtype=torch.bool)
    diverged_at = torch.zeros(M, dtype=torch.int64)
    last = torch.full((M,), math.nan)
    history = None
    for part, (chunk, ok, at, final, hist, _) in zip(parts, trained, strict=True):
        chunk.models = list(part)
        result.chunks.append(chunk)
        index = torch.as_tensor(part)
        alive[index], diverged_at[index], last[index] = ok, at, final.float()
        if hist is not None:
            history = torch.full((hist.shape[0], M), math.nan) if history is None else history
            history[:, index] = hist.float()
    result.diverged, result.diverged_at, result.history = ~alive, diverged_at, history
    train = last if data["samples"] is not None else _evaluate(result, data["x"], data["y"], options)[0]
    test = _evaluate(result, data["x_test"], data["y_test"], options) if data["x_test"] is not None else None
    nan = torch.where(alive, 0.0, math.nan)
    if options["classify"]:
        result.train_cross_entropy = train + nan
        if test is not None:
            result.test_cross_entropy, result.test_accuracy = test[0] + nan, test[1] + nan
    else:
        result.train_mse = train + nan
        if test is not None:
            result.test_mse, result.test_relative_rms = test[0] + nan, test[1] + nan


def _evaluate(result: TrainingResult, x, y, options) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(loss, accuracy or relative RMS) per model on (x, y), computed in chunks of points."""
    out = result.predict(x).transpose(1, 2).cpu()  # (M, K, N)
    if options["classify"]:
        labels = torch.as_tensor(y).long()
        return losses.cross_entropy(out.double(), labels).float(), losses.accuracy(out, labels).float()
    y = torch.as_tensor(y)
    y = y.unsqueeze(-1) if y.dim() == torch.as_tensor(x).dim() - 1 else y
    targets = y.transpose(-1, -2).to(out.dtype)
    mse = losses.mse(out.double(), targets.double())
    scale = targets.double().pow(2).mean(dim=(-2, -1)).sqrt()
    return mse.float(), (mse.sqrt() / scale).float()
