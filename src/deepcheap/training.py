"""Train many small MLPs of one shape at once: stacked weights, batched matmuls, a per-model Adam.

Models may also differ in their number of inputs (``inputs=``): feed them zero-padded inputs of
shape (M, N, n_max); the padded inputs' weights start at zero and receive zero gradient.

>>> import torch
>>> from deepcheap.training import MLPSpec, StackedMLP, train
>>> x = torch.rand(256, 2, dtype=torch.float64) * 2 - 1
>>> y = x[:, :1] * x[:, 1:]
>>> model = StackedMLP(MLPSpec(2, (16,), "tanh"), seeds=[0, 1, 2], widths=[4, 8, 16])
>>> result = train(model, x, y, steps=300, lr=torch.tensor([1e-2, 1e-2, 1e-2]), x_test=x, y_test=y)
>>> result.test_relative_rms.shape
torch.Size([3])

Model m has weights W_l[m] of shape (in, out) and biases b_l[m] of shape (1, out); a forward pass
is a chain of batched matmuls (M, N, in) @ (M, in, out). Models narrower than the stack's width
are padded and their extra units masked to zero, which also zeroes every gradient into or out of
them, so a padded model trains exactly like an unpadded one. Every model is initialised from its
own seed (PyTorch's default U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with its real fan-in), so results
do not depend on which models share a batch. The loss is the sum over models of each model's mean
squared error: gradients never mix models. Pure: tensors in, metrics out; nothing printed or saved.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import torch

from deepcheap.activations import get_activation
from deepcheap.errors import InvalidArgumentError, check_choice, check_int_range, check_positive
from deepcheap.precision import resolve_dtype


@dataclass(frozen=True)
class MLPSpec:
    """n_inputs -> hidden[0] -> ... -> hidden[-1] -> n_outputs, one activation on every hidden layer."""

    n_inputs: int
    hidden: tuple[int, ...]
    activation: str = "tanh"
    n_outputs: int = 1

    def __post_init__(self):
        check_int_range("n_inputs", self.n_inputs, 1)
        check_int_range("n_outputs", self.n_outputs, 1)
        if not self.hidden:
            raise InvalidArgumentError("an MLP needs at least one hidden layer (hidden=(width, ...)).")
        for w in self.hidden:
            check_int_range("hidden width", w, 1, hint="(a layer needs at least one neuron)")
        get_activation(self.activation)

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.n_inputs, *self.hidden, self.n_outputs)

    def parameters_for(self, width: int | None = None) -> int:
        """Trainable numbers of one model whose hidden layers all have ``width`` (default: the spec's)."""
        hidden = self.hidden if width is None else (width,) * len(self.hidden)
        sizes = (self.n_inputs, *hidden, self.n_outputs)
        return sum(a * b + b for a, b in itertools.pairwise(sizes))


class StackedMLP(torch.nn.Module):
    """M MLPs of one shape; model m uses the first ``widths[m]`` units of every hidden layer."""

    def __init__(self, spec: MLPSpec, seeds, widths=None, *, inputs=None, dtype=torch.float64, device=None):
        super().__init__()
        self.spec = spec
        seeds = [int(s) for s in seeds]
        if not seeds:
            raise InvalidArgumentError("StackedMLP needs at least one seed (one model per seed).")
        width = max(spec.hidden)
        widths = [width] * len(seeds) if widths is None else [int(w) for w in widths]
        if len(widths) != len(seeds) or any(not 1 <= w <= width for w in widths):
            raise InvalidArgumentError(f"widths must give one width in 1..{width} per seed; got {widths}.")
        if any(h != width for h in spec.hidden):
            raise InvalidArgumentError("stacked models need equal hidden widths (pad with widths=...).")
        inputs = [spec.n_inputs] * len(seeds) if inputs is None else [int(n) for n in inputs]
        if len(inputs) != len(seeds) or any(not 1 <= n <= spec.n_inputs for n in inputs):
            raise InvalidArgumentError(f"inputs must give one input count in 1..{spec.n_inputs} per seed.")
        self.inputs = inputs
        dtype = resolve_dtype(dtype)
        self.activation = get_activation(spec.activation).torch_fn
        self.widths = widths
        sizes = spec.sizes
        self.weights = torch.nn.ParameterList()
        self.biases = torch.nn.ParameterList()
        for layer in range(len(sizes) - 1):
            W = torch.zeros(len(seeds), sizes[layer], sizes[layer + 1], dtype=dtype)
            b = torch.zeros(len(seeds), 1, sizes[layer + 1], dtype=dtype)
            self.weights.append(torch.nn.Parameter(W.to(device)))
            self.biases.append(torch.nn.Parameter(b.to(device)))
        mask = torch.zeros(len(seeds), 1, width, dtype=dtype)
        for m, w in enumerate(widths):
            mask[m, :, :w] = 1.0
        self.register_buffer("mask", mask.to(device))
        self.padded = any(w < width for w in widths)  # no masking work when every model is full width
        self._initialise(seeds)

    @torch.no_grad()
    def _initialise(self, seeds: list[int]) -> None:
        sizes = self.spec.sizes
        for m, (seed, w, n) in enumerate(zip(seeds, self.widths, self.inputs, strict=True)):
            generator = torch.Generator().manual_seed(seed)
            real = (n, *(w for _ in self.spec.hidden), sizes[-1])
            for layer, (fan_in, fan_out) in enumerate(itertools.pairwise(real)):
                bound = 1.0 / math.sqrt(fan_in)
                W = (torch.rand(fan_in, fan_out, generator=generator, dtype=torch.float64) * 2 - 1) * bound
                b = (torch.rand(fan_out, generator=generator, dtype=torch.float64) * 2 - 1) * bound
                self.weights[layer][m, :fan_in, :fan_out] = W.to(self.weights[layer].dtype)
                self.biases[layer][m, 0, :fan_out] = b.to(self.biases[layer].dtype)

    @property
    def models(self) -> int:
        return len(self.widths)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's activations: (N, n_inputs) or (M, N, n_inputs) -> (M, N, width)."""
        h = x if x.dim() == 3 else x.unsqueeze(0).expand(self.models, *x.shape)
        for W, b in zip(self.weights[:-1], self.biases[:-1], strict=True):
            h = self.activation(torch.baddbmm(b, h, W))
            if self.padded:
                h = h * self.mask
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, n_inputs) shared by all models, or (M, N, n_inputs) -> (M, N, n_outputs)."""
        return torch.baddbmm(self.biases[-1], self.features(x), self.weights[-1])

    @torch.no_grad()
    def fit_output_layer(self, x: torch.Tensor, y: torch.Tensor, ridge: float = 1e-10, *, features=None) -> None:
        """Set every model's read-out to the least-squares fit of y on its current features.

        With F = [features, 1] (N x (w + 1)) the read-out solves (F^T F + delta I) w = F^T y in float64,
        delta = ridge * trace(F^T F): a scale-free regulariser that leaves the read-out weights of padded
        (all-zero) units at zero and, since the trace ignores them, does not depend on padding. float64
        matters: a product needs large read-out weights on nearly collinear features (the small
        eigenvalues of F^T F), which a float32 Gram matrix, or a ridge at float32's eps, wipes out.
        ``features``: ``self.features(x)`` if the caller has it already.
        """
        F = (self.features(x) if features is None else features).double()
        y = y.unsqueeze(-1) if y.dim() == 1 else y
        F = torch.cat([F, torch.ones_like(F[..., :1])], dim=-1)
        targets = (y if y.dim() == 3 else y.unsqueeze(0).expand(self.models, *y.shape)).double()
        gram = F.transpose(1, 2) @ F
        delta = ridge * gram.diagonal(dim1=1, dim2=2).sum(dim=-1)
        gram = gram + delta.view(-1, 1, 1) * torch.eye(gram.shape[-1], dtype=gram.dtype, device=gram.device)
        solution = torch.linalg.solve(gram, F.transpose(1, 2) @ targets)
        self.weights[-1].copy_(solution[:, :-1].to(self.weights[-1].dtype))
        self.biases[-1].copy_(solution[:, -1:].to(self.biases[-1].dtype))


@dataclass
class TrainingResult:
    train_mse: torch.Tensor | None  # (M,); for loss="mse"
    test_mse: torch.Tensor | None
    test_relative_rms: torch.Tensor | None  # sqrt(test mse) / rms(y_test)
    steps: int
    seconds: float
    train_cross_entropy: torch.Tensor | None = None  # (M,); for loss="cross_entropy"
    test_cross_entropy: torch.Tensor | None = None
    test_accuracy: torch.Tensor | None = None


def _cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy per model: logits (M, N, K), labels (N,) or (M, N) -> (M,)."""
    labels = labels.expand(logits.shape[0], -1) if labels.dim() == 1 else labels
    logp = torch.log_softmax(logits, dim=-1)
    return -logp.gather(-1, labels.unsqueeze(-1)).squeeze(-1).mean(dim=1)


def _accuracy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    labels = labels.expand(logits.shape[0], -1) if labels.dim() == 1 else labels
    return (logits.argmax(dim=-1) == labels).to(logits.dtype).mean(dim=1)


def train(model: StackedMLP, x: torch.Tensor, y: torch.Tensor, *, steps: int, lr, betas=(0.9, 0.999),
          eps: float = 1e-8, schedule: str = "cosine", x_test=None, y_test=None, loss: str = "mse",
          weight_decay: float = 0.0, output: str = "adam") -> TrainingResult:
    """Full-batch Adam on every model at once; ``lr`` is a float or a (M,) tensor (one per model).

    ``loss="mse"`` (regression, y float) or ``"cross_entropy"`` (classification: y integer class labels
    of shape (N,) or (M, N), model outputs are logits). ``schedule="cosine"`` decays each learning
    rate to 1% of its start over ``steps``. ``weight_decay`` adds decoupled (AdamW) decay.
    ``output="least_squares"`` (mse only) is variable projection: before every step and once at the
    end the linear read-out is the least-squares fit to the current features
    (:meth:`StackedMLP.fit_output_layer`) and Adam moves the hidden layers only. For an optimal
    read-out the gradient of the loss with the read-out held fixed is the gradient of the reduced loss,
    so each step descends min over read-outs; on small regression problems it reaches errors several
    times smaller than plain Adam in the same number of steps.
    """
    steps = check_int_range("steps", steps, 1)
    check_choice("loss", loss, ("mse", "cross_entropy"))
    check_choice("output", output, ("adam", "least_squares"))
    classify = loss == "cross_entropy"
    project = output == "least_squares"
    if project and classify:
        raise InvalidArgumentError("output='least_squares' needs loss='mse' (a least-squares read-out fits "
                                   "regression targets); use output='adam' for classification.")
    if classify:
        y = y.long()
    elif y.dim() == 1:
        y = y.unsqueeze(-1)
    if x.shape[-2] != y.shape[-1 if classify else -2]:
        raise InvalidArgumentError(f"x has {x.shape[-2]} rows but y has {y.shape[-1 if classify else -2]}.")
    lr0 = _per_model(lr, model)
    params = list(model.parameters())
    if project:  # the read-out is solved, not stepped
        readout = {id(model.weights[-1]), id(model.biases[-1])}
        params = [p for p in params if id(p) not in readout]
    first = [torch.zeros_like(p) for p in params]
    second = [torch.zeros_like(p) for p in params]
    b1, b2 = betas
    start = time.perf_counter()
    objective = (lambda out: _cross_entropy(out, y)) if classify else (lambda out: ((out - y) ** 2).mean(dim=(1, 2)))
    def outputs() -> torch.Tensor:
        if not project:
            return model(x)
        features = model.features(x)
        model.fit_output_layer(x, y, features=features.detach())
        return torch.baddbmm(model.biases[-1], features, model.weights[-1])

    for step in range(1, steps + 1):
        grads = torch.autograd.grad(objective(outputs()).sum(), params)
        factor = 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * (step - 1) / steps)) if schedule == "cosine" else 1.0
        rate = lr0 * factor / (1 - b1**step)  # Adam as torch.optim.Adam writes it
        root_correction = math.sqrt(1 - b2**step)
        with torch.no_grad():
            for p, g, m1, m2 in zip(params, grads, first, second, strict=True):
                m1.mul_(b1).add_(g, alpha=1 - b1)
                m2.mul_(b2).addcmul_(g, g, value=1 - b2)
                denominator = (m2.sqrt() / root_correction).add_(eps)
                shaped = rate.view(-1, *([1] * (p.dim() - 1)))
                if weight_decay:
                    p.mul_(1 - shaped * weight_decay * (1 - b1**step))
                p.sub_(shaped * m1 / denominator)
    if project:
        model.fit_output_layer(x, y)
    seconds = time.perf_counter() - start
    with torch.no_grad():
        if classify:
            result = TrainingResult(None, None, None, steps, seconds, train_cross_entropy=objective(model(x)))
            if x_test is not None:
                logits = model(x_test)
                result.test_cross_entropy = _cross_entropy(logits, y_test.long())
                result.test_accuracy = _accuracy(logits, y_test.long())
            return result
        train_mse = ((model(x) - y) ** 2).mean(dim=(1, 2))
        test_mse = relative = None
        if x_test is not None:
            yt = y_test.unsqueeze(-1) if y_test.dim() == 1 else y_test
            test_mse = ((model(x_test) - yt) ** 2).mean(dim=(1, 2))
            scale = yt.pow(2).mean(dim=(1, 2)).sqrt() if yt.dim() == 3 else yt.pow(2).mean().sqrt()
            relative = test_mse.sqrt() / scale
    return TrainingResult(train_mse, test_mse, relative, steps, seconds)


def _per_model(lr, model: StackedMLP) -> torch.Tensor:
    dtype, device = model.weights[0].dtype, model.weights[0].device
    if isinstance(lr, int | float):
        check_positive("lr", lr)
        return torch.full((model.models,), float(lr), dtype=dtype, device=device)
    rates = torch.as_tensor(lr, dtype=dtype, device=device).reshape(-1)
    if rates.numel() != model.models or not bool((rates > 0).all()) or not bool(torch.isfinite(rates).all()):
        raise InvalidArgumentError(f"lr must be a positive number or one positive rate per model ({model.models}).")
    return rates
