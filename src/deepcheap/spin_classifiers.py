"""Binary classifiers of periodic L x L spin configurations, one log-odds each, and how far they are from Bayes.

>>> model = make_classifier("cnn", 8, seed=0)                   # 3x3 circular conv, 4 channels, ReLU, mean, head
>>> parameter_count(model)                                      # 9C + C + C + 1
45
>>> oracle = cnn_bayes_weights(-1.5, 0.25)                      # a sum_nn s_i s_j / L^2 + b, exactly
>>> [round(v, 4) for v in oracle(torch.ones(2, 8, 8)).tolist()] # all up: sum_nn = 2 L^2, so -3 + 0.25
[-2.75, -2.75]
>>> mean_kl([0.0, 3.0], [0.0, 3.0]), accuracy([2.0, -1.0], [1, 0])
(0.0, 1.0)

Every model maps spins x (M, L, L) with values +-1 to a logit u(x) with p(class 1 | x) = sigmoid(u). For two
Ising temperature classes p(s | y) = e^(-beta_y E(s)) / Z_y with E = -sum_nn s_i s_j, the Bayes log-odds are
u*(s) = (beta_1 - beta_0) sum_nn s_i s_j + ln Z_0 - ln Z_1 + ln(pi_1 / pi_0), i.e. the "cheap" model with
a = L^2 (beta_1 - beta_0) (see :func:`bayes_cheap_parameters`). The families, from most to least built in:

* ``cheap``: u = a sum_nn s_i s_j / L^2 + b (2 parameters: locality, symmetry and the quadratic order wired in);
* ``cnn``: one 3x3 circular convolution (C channels, bias), ReLU, mean over sites, linear head: 11 C + 1;
* ``local``: the same 3x3 stencil, but a separate kernel and bias at every site (no weight sharing), ReLU and a
  per-(site, channel) head, u = (1/L^2) sum_{c,p} v_cp h_cp + b: 11 C L^2 + 1 parameters;
* ``mlp``: one hidden layer of width W over the L^2 spins: (L^2 + 1) W + W + 1 parameters; with ``depth`` = 2,
  a second hidden layer of width W adds (W + 1) W.

The cnn and local families contain u* exactly (:func:`cnn_bayes_weights`, :func:`local_from_cnn`). Initial
weights and mini-batches come from explicit generators (:mod:`deepcheap.seeds`), never the global ones.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from deepcheap.errors import InvalidArgumentError, check_choice, check_int_range, check_positive
from deepcheap.seeds import derive_seed, torch_generator

KINDS = ("cheap", "cnn", "local", "mlp")
_DTYPE = torch.float32


def _uniform(shape, bound: float, g: torch.Generator) -> torch.nn.Parameter:
    """U(-bound, bound) from the generator ``g`` (float32)."""
    return torch.nn.Parameter((torch.rand(shape, generator=g, dtype=_DTYPE) * 2 - 1) * bound)


def _bond_sum(x: torch.Tensor) -> torch.Tensor:
    """sum_nn s_i s_j over the 2 L^2 bonds (right and down neighbours) of each periodic configuration."""
    return (x * (torch.roll(x, -1, dims=-1) + torch.roll(x, -1, dims=-2))).sum(dim=(-2, -1))


def _patches(x: torch.Tensor) -> torch.Tensor:
    """(M, L, L) -> (M, 9, L^2): the circular 3x3 neighbourhood of every site (rows u*3+v, sites row-major)."""
    return F.unfold(F.pad(x[:, None], (1, 1, 1, 1), mode="circular"), kernel_size=3)


class SpinClassifier(torch.nn.Module):
    """Base class: ``forward`` checks the spins (shape (M, L, L), values +-1) and returns the logits (M,)."""

    kind = ""
    L: int | None = None  # the lattice side the model is built for; None: any L >= 3 (translation-invariant)

    def forward(self, x) -> torch.Tensor:
        return self.logit(_spins(x, self.L).to(next(self.parameters()).device))

    def logit(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError


class CheapClassifier(SpinClassifier):
    """u = a sum_nn s_i s_j / L^2 + b: 2 parameters."""

    kind = "cheap"

    def __init__(self, g: torch.Generator):
        super().__init__()
        self.a = _uniform((), 1.0, g)
        self.b = torch.nn.Parameter(torch.zeros((), dtype=_DTYPE))

    def logit(self, x):
        return self.a * _bond_sum(x) / (x.shape[-1] * x.shape[-2]) + self.b


class SpinCNN(SpinClassifier):
    """h_c = mean_sites relu(w_c * s + beta_c) (3x3 circular correlation), u = sum_c v_c h_c + b: 11 C + 1."""

    kind = "cnn"

    def __init__(self, channels: int, g: torch.Generator):
        super().__init__()
        self.weight = _uniform((channels, 1, 3, 3), 1 / 3, g)  # PyTorch's default bound 1/sqrt(fan_in)
        self.bias = _uniform((channels,), 1 / 3, g)
        self.head = _uniform((channels,), 1 / math.sqrt(channels), g)
        self.head_bias = _uniform((), 1 / math.sqrt(channels), g)

    def logit(self, x):
        h = F.relu(F.conv2d(F.pad(x[:, None], (1, 1, 1, 1), mode="circular"), self.weight, self.bias))
        return h.mean(dim=(-2, -1)) @ self.head + self.head_bias


class SpinLocal(SpinClassifier):
    """h_cp = relu(sum_k W_ckp patch_kp + beta_cp) at every site p, u = (1/L^2) sum_cp v_cp h_cp + b: 11 C L^2 + 1."""

    kind = "local"

    def __init__(self, L: int, channels: int, g: torch.Generator):
        super().__init__()
        self.L = L
        n = L * L
        self.weight = _uniform((channels, 9, n), 1 / 3, g)
        self.bias = _uniform((channels, n), 1 / 3, g)
        self.head = _uniform((channels, n), 1 / math.sqrt(channels), g)
        self.head_bias = _uniform((), 1 / math.sqrt(channels), g)

    def logit(self, x):
        h = F.relu(torch.einsum("mkp,ckp->mcp", _patches(x), self.weight) + self.bias)
        return torch.einsum("mcp,cp->m", h, self.head) / self.weight.shape[-1] + self.head_bias


class SpinMLP(SpinClassifier):
    """u = v . act(W_d ... act(W_1 vec(s) + beta_1) ... + beta_d) + b, ``depth`` hidden layers of width W:
    (L^2 + 1) W + (depth - 1)(W + 1) W + W + 1 parameters."""

    kind = "mlp"

    def __init__(self, L: int, width: int, activation: str, g: torch.Generator, depth: int = 1):
        super().__init__()
        self.L, self.activation = L, activation
        self.weight = _uniform((width, L * L), 1 / L, g)  # 1/sqrt(fan_in)
        self.bias = _uniform((width,), 1 / L, g)
        self.head = _uniform((width,), 1 / math.sqrt(width), g)
        self.head_bias = _uniform((), 1 / math.sqrt(width), g)
        bound = 1 / math.sqrt(width)  # drawn after the first layer's, so depth 1 keeps its weights
        self.hidden = torch.nn.ParameterList(
            [p for _ in range(depth - 1) for p in (_uniform((width, width), bound, g), _uniform((width,), bound, g))])

    def _act(self, pre: torch.Tensor) -> torch.Tensor:
        return torch.relu(pre) if self.activation == "relu" else torch.tanh(pre)

    def logit(self, x):
        h = self._act(x.reshape(x.shape[0], -1) @ self.weight.T + self.bias)
        for w, b in zip(self.hidden[::2], self.hidden[1::2], strict=True):
            h = self._act(h @ w.T + b)
        return h @ self.head + self.head_bias


def make_classifier(kind: str, L: int, *, channels: int = 4, width: int = 32, activation: str = "relu",
                    depth: int = 1, seed: int) -> SpinClassifier:
    """A freshly initialised classifier of family ``kind`` (one of :data:`KINDS`) for L x L lattices.

    Weights are drawn from ``torch_generator(derive_seed(seed, "init", kind))``; the global RNG is untouched.
    ``cheap`` and ``cnn`` accept any L >= 3 afterwards (they average over sites); ``local`` and ``mlp`` only L.
    """
    kind = check_choice("kind", kind, KINDS)
    L = check_int_range("L", L, 3, hint="(the 3x3 periodic stencil needs L >= 3 so the neighbours are distinct)")
    g = torch_generator(derive_seed(seed, "init", kind))
    if kind == "cheap":
        return CheapClassifier(g)
    if kind == "mlp":
        width = check_int_range("width", width, 1, hint="(the hidden layer's width)")
        depth = check_int_range("depth", depth, 1, 4, hint="(the MLP's hidden layers)")
        return SpinMLP(L, width, check_choice("activation", activation, ("relu", "tanh")), g, depth)
    channels = check_int_range("channels", channels, 1, 16, hint="(use 4 for the exact Bayes construction)")
    return SpinCNN(channels, g) if kind == "cnn" else SpinLocal(L, channels, g)


def parameter_count(model: torch.nn.Module) -> int:
    """The number of trainable numbers in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def cnn_bayes_weights(a: float, b: float, model: SpinCNN | None = None) -> SpinCNN:
    """A 4-channel CNN with u(s) = a sum_nn s_i s_j / L^2 + b exactly for spins +-1 (any L >= 3).

    For s = +-1, s_i s_j = |s_i + s_j| - 1 and |t| = relu(t) + relu(-t); the channels are +-(s + s_right) and
    +-(s + s_down) (no bias), so the four site means sum to sum_nn s_i s_j / L^2 + 2: head a, bias b - 2a.
    Sets ``model``'s weights in place if given (it must have 4 channels), else builds a new one.
    """
    if model is None:
        model = SpinCNN(4, torch_generator(0))
    if not isinstance(model, SpinCNN) or model.weight.shape[0] != 4:
        raise InvalidArgumentError("cnn_bayes_weights needs a 4-channel CNN: make_classifier('cnn', L, channels=4).")
    kernel = torch.zeros(4, 1, 3, 3, dtype=_DTYPE)
    for c, (sign, row, col) in enumerate([(1, 1, 2), (-1, 1, 2), (1, 2, 1), (-1, 2, 1)]):
        kernel[c, 0, 1, 1], kernel[c, 0, row, col] = sign, sign  # centre and right (row 1, col 2) or down (2, 1)
    with torch.no_grad():
        model.weight.copy_(kernel)
        model.bias.zero_()
        model.head.fill_(float(a))
        model.head_bias.fill_(float(b) - 2 * float(a))
    return model


def local_from_cnn(cnn: SpinCNN, L: int) -> SpinLocal:
    """The locally connected model with the CNN's kernel, bias and head copied to every site: the same function."""
    L = check_int_range("L", L, 3, hint="(the 3x3 periodic stencil needs L >= 3)")
    channels = cnn.weight.shape[0]
    local = SpinLocal(L, channels, torch_generator(0))
    with torch.no_grad():
        local.weight.copy_(cnn.weight.reshape(channels, 9, 1).expand(-1, -1, L * L))
        local.bias.copy_(cnn.bias[:, None].expand(-1, L * L))
        local.head.copy_(cnn.head[:, None].expand(-1, L * L))
        local.head_bias.copy_(cnn.head_bias)
    return local


def bayes_cheap_parameters(data) -> tuple[float, float]:
    """(a, b) with a sum_nn s_i s_j / L^2 + b = ln p(1 | s) / p(0 | s) for two-class Ising temperature data.

    ``data`` has ``L``, ``betas``, ``log_z`` and ``prior`` (an :class:`~deepcheap.physics.datasets.IsingTemperatures`):
    a = L^2 (beta_1 - beta_0), b = ln Z_0 - ln Z_1 + ln(pi_1 / pi_0).
    """
    betas, log_z, prior = (np.asarray(v, dtype=np.float64) for v in (data.betas, data.log_z, data.prior))
    if len(betas) != 2:
        raise InvalidArgumentError(f"binary log-odds need exactly two temperature classes; got {len(betas)}.")
    a = data.L**2 * (betas[1] - betas[0])
    return float(a), float(log_z[0] - log_z[1] + np.log(prior[1] / prior[0]))


def predict_log_odds(model: SpinClassifier, x) -> np.ndarray:
    """The model's logits ln p(1 | x) / p(0 | x) as float64 numpy (no gradient)."""
    with torch.no_grad():
        return model(x).double().cpu().numpy()


def binary_kl(bayes_log_odds, model_log_odds) -> torch.Tensor:
    """KL(Bern(sigmoid(u)) || Bern(sigmoid(v))) in nats per configuration, float64, stable for any finite u, v.

    With p = sigmoid(u), d = u - v: KL = p ln(p/q) + (1-p) ln((1-p)/(1-q)), where ln(p/q) = logsig(u) - logsig(v)
    = log1p((1-p) expm1(d)) and ln((1-p)/(1-q)) = log1p(p expm1(-d)); the log1p form (|d| <= 1) avoids the
    cancellation of the two terms near u = v, the log-sigmoid form (|d| > 1) cannot overflow.
    """
    u, v = (_finite(n, t) for n, t in (("bayes_log_odds", bayes_log_odds), ("model_log_odds", model_log_odds)))
    if u.shape != v.shape:
        raise InvalidArgumentError(f"the two log-odds must have the same shape; got {tuple(u.shape)} and "
                                   f"{tuple(v.shape)} (evaluate both on the same configurations).")
    d = u - v
    p, r = torch.sigmoid(u), torch.sigmoid(-u)
    small = d.abs() <= 1
    ds = torch.where(small, d, torch.zeros_like(d))
    near = p * torch.log1p(r * torch.expm1(ds)) + r * torch.log1p(p * torch.expm1(-ds))
    far = p * (F.logsigmoid(u) - F.logsigmoid(v)) + r * (F.logsigmoid(-u) - F.logsigmoid(-v))
    return torch.where(small, near, far).clamp_min(0.0)


def mean_kl(bayes_log_odds, model_log_odds) -> float:
    """Mean over configurations of KL(p_Bayes(. | x) || p_model(. | x)) in nats, from both log-odds."""
    kl = binary_kl(bayes_log_odds, model_log_odds)
    if kl.numel() == 0:
        raise InvalidArgumentError("mean_kl needs at least one configuration; got empty log-odds.")
    return float(kl.mean())


def accuracy(log_odds, labels) -> float:
    """Fraction of configurations with (log_odds > 0) == label (labels 0 or 1; a tie predicts class 0)."""
    u = _finite("log_odds", log_odds)
    return float(((u > 0).double() == _labels(labels, u.shape[0]).double()).double().mean())


@dataclass(frozen=True, eq=False)
class TrainResult:
    """The model in its best state (lowest validation loss), that loss, and how long training ran."""

    model: SpinClassifier
    best_val_loss: float
    best_epoch: int  # 0: the initial weights were never beaten
    epochs: int
    steps: int
    stopped_early: bool

    def to_dict(self) -> dict:
        """The numbers (the model is left out), with its parameter count."""
        return {"kind": self.model.kind, "parameters": parameter_count(self.model), "best_val_loss":
                self.best_val_loss, "best_epoch": self.best_epoch, "epochs": self.epochs, "steps": self.steps,
                "stopped_early": self.stopped_early}


def train_classifier(model: SpinClassifier, x_train, y_train, x_val, y_val, *, seed: int, lr: float = 1e-2,
                     max_epochs: int = 500, batch: int = 64, patience: int = 20, device="cpu") -> TrainResult:
    """Adam on the mean binary cross-entropy of the logits, mini-batches from a generator seeded by ``seed``.

    After every epoch the validation loss is measured; training stops after ``patience`` epochs without a
    strict improvement (or at ``max_epochs``) and the model is returned in its best state (trained in place).
    Float32; deterministic for a given seed on a given device; no global state is read or changed.
    """
    xs = _spins(x_train, model.L, "x_train")
    xv = _spins(x_val, model.L, "x_val")
    ys, yv = _labels(y_train, xs.shape[0], "y_train"), _labels(y_val, xv.shape[0], "y_val")
    if xs.shape[0] == 0 or xv.shape[0] == 0:
        raise InvalidArgumentError(f"training needs at least one training and one validation configuration; got "
                                   f"{xs.shape[0]} and {xv.shape[0]} (generate more samples or change the split).")
    return fit_logits(model, _own_logit, xs, ys, xv, yv, seed=seed, lr=lr, max_epochs=max_epochs, batch=batch,
                      patience=patience, device=device)


def _own_logit(model: SpinClassifier, x: torch.Tensor) -> torch.Tensor:
    return model.logit(x)


def fit_logits(model: torch.nn.Module, logits, x_train, y_train, x_val, y_val, *, seed: int, lr: float,
               max_epochs: int, batch: int, patience: int, device="cpu") -> TrainResult:
    """The loop of :func:`train_classifier` for any inputs: ``logits(model, x)`` maps a batch of rows of x to logits
    (e.g. a CNN's logits from its patch histograms). Adam, mini-batches of ``batch`` rows in an order drawn from
    ``derive_seed(seed, "batches")``, early stopping after ``patience`` epochs without a lower validation loss, best
    state restored; labels 0/1."""
    lr = check_positive("lr", lr)
    max_epochs = check_int_range("max_epochs", max_epochs, 1)
    batch = check_int_range("batch", batch, 1)
    patience = check_int_range("patience", patience, 1)
    model.to(device=device, dtype=_DTYPE)
    xs, ys, xv, yv = (torch.as_tensor(t).to(device=device, dtype=_DTYPE) for t in (x_train, y_train, x_val, y_val))
    g = torch_generator(derive_seed(seed, "batches"))
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    def val_loss() -> float:
        with torch.no_grad():
            return float(F.binary_cross_entropy_with_logits(logits(model, xv), yv))

    best, best_state, best_epoch, since, steps, epoch = val_loss(), copy.deepcopy(model.state_dict()), 0, 0, 0, 0
    n = xs.shape[0]
    for epoch in range(1, max_epochs + 1):
        order = torch.randperm(n, generator=g).to(device)
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            loss = F.binary_cross_entropy_with_logits(logits(model, xs[idx]), ys[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            steps += 1
        current = val_loss()
        if current < best:
            best, best_state, best_epoch, since = current, copy.deepcopy(model.state_dict()), epoch, 0
        else:
            since += 1
            if since >= patience:
                break
    model.load_state_dict(best_state)
    return TrainResult(model, best, best_epoch, epoch, steps, since >= patience)


def _spins(x, L: int | None, name: str = "spins") -> torch.Tensor:
    """x as float32 (M, L, L) with values +-1; L fixed if given, else any L >= 3."""
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    if t.dim() != 3 or t.shape[1] != t.shape[2]:
        raise InvalidArgumentError(f"{name} must have shape (M, L, L) (a batch of square lattices; use x[None] "
                                   f"for one configuration); got {tuple(t.shape)}.")
    if (L is not None and t.shape[1] != L) or t.shape[1] < 3:
        want = f"L = {L}" if L is not None else "L >= 3"
        raise InvalidArgumentError(f"{name} has L = {t.shape[1]} but this model needs {want} (build a model for "
                                   "this lattice size with make_classifier).")
    t = t.to(_DTYPE) if t.dtype != _DTYPE else t
    if not bool(((t == 1) | (t == -1)).all()):
        raise InvalidArgumentError(f"{name} must be -1 or +1 (use 2*bits - 1 to convert 0/1 bits).")
    return t


def _labels(y, n: int, name: str = "labels") -> torch.Tensor:
    t = y if isinstance(y, torch.Tensor) else torch.as_tensor(np.asarray(y))
    if t.shape != (n,):
        raise InvalidArgumentError(f"{name} must have shape ({n},), one label per configuration; got {tuple(t.shape)}.")
    if not bool(((t == 0) | (t == 1)).all()):
        raise InvalidArgumentError(f"{name} must be 0 or 1 (class 1 is the logit's positive side).")
    return t.to(_DTYPE)


def _finite(name: str, values) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(values.detach().cpu() if isinstance(values, torch.Tensor) else values,
                                   dtype=np.float64))
    t = t.reshape(1) if t.dim() == 0 else t
    if t.dim() != 1:
        raise InvalidArgumentError(f"{name} must be one log-odds per configuration (1D); got {tuple(t.shape)}.")
    if not bool(torch.isfinite(t).all()):
        raise InvalidArgumentError(f"{name} must be finite (clip or drop infinite log-odds first).")
    return t
