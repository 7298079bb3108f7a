"""Is prod(r_i + 1) the least width? The lower bound searched for in the theorem's own setting.

>>> from deepcheap.flattening.necessity import NecessityProblem, search
>>> problem = NecessityProblem((1, 1), "exp", width=4, sense="uniform", grid=5)
>>> result = search(problem, restarts=4, effort=300, seed=0)
>>> result.best_error < 1e-5          # 2^2 = 4 units multiply two inputs
True

Setting (Lin-Tegmark-Rolnick, App. A; Rolnick-Tegmark 2018 for monomials): one hidden layer of m units
sigma(b0 + w_j . x) with a fixed shift b0 and no learned biases ("bias-free"), read out as
f(x) = sum_j a_j sigma(b0 + w_j . x), no output constant (a constant costs a unit with w_j = 0). With
c_k = sigma^(k)(b0) / k! != 0 for every k <= d = sum r_i, matching the Taylor expansion of the monomial
x^r = prod x_i^r_i exactly needs m >= prod(r_i + 1) units: 2^n for the product of n inputs. The
central-stencil construction (:func:`deepcheap.gates.monomial_gate` with ``bias_free=True``) attains it.

Two senses of "f approximates x^r", each a nonlinear least-squares problem over (a, W):

* ``uniform``: residuals f(x_p) - x_p^r on a grid of [-1, 1]^n (its corners included); the error is the
  largest |residual| on the grid (the target's sup is 1, so it is also relative);
* ``taylor``: residuals c_|alpha| (|alpha|! / alpha!) sum_j a_j w_j^alpha - [alpha = r] for every multi-index
  |alpha| <= d, the mismatch of the Taylor coefficients at 0 up to degree d (exact c_k from
  :mod:`deepcheap.activations`); the error is the largest |residual|.

Search: scipy's trust-region least squares with the analytic Jacobian, in float64, from restarts: the
construction with units deleted (m below the bound) or random units added (m above), and random starts at
several weight scales. Each restart reports its error, the size of its weights and the effort used, so
"the error keeps falling while the weights diverge" (a bound that holds only for bounded weights) can be
told apart from "the error stalls at a floor".
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.optimize

from deepcheap.activations import get_activation
from deepcheap.errors import InvalidArgumentError, check_choice, check_int_range
from deepcheap.seeds import derive_seed, numpy_generator

SENSES = ("uniform", "taylor")
SHIFTS = {"exp": 0.0, "softplus": 1.0, "tanh": 0.0}  # b0: softplus(x + 1); exp and tanh unshifted
RANDOM_SCALES = (0.3, 1.0, 3.0)  # random starts: W ~ N(0, s^2), a ~ N(0, 1)
MAX_PARAMETERS = 4096


@dataclass(frozen=True)
class NecessityProblem:
    """Width ``width`` of bias-free ``activation`` units (shifted by SHIFTS) against x^exponents."""

    exponents: tuple[int, ...]
    activation: str
    width: int
    sense: str = "uniform"
    grid: int = 9  # grid points per axis for the uniform sense

    def __post_init__(self):
        exps = tuple(int(r) for r in self.exponents)
        if not exps or min(exps) < 1 or sum(exps) > 12:
            raise InvalidArgumentError(f"exponents must be positive integers of total degree <= 12; got {exps}.")
        check_choice("activation", self.activation, tuple(SHIFTS))
        check_choice("sense", self.sense, SENSES)
        check_int_range("width", self.width, 1, 4096)
        check_int_range("grid", self.grid, 2, 64)
        if self.width * (len(exps) + 1) > MAX_PARAMETERS:
            raise InvalidArgumentError(f"{self.width} units of {len(exps)} inputs exceed {MAX_PARAMETERS} parameters.")
        object.__setattr__(self, "exponents", exps)

    @property
    def n(self) -> int:
        return len(self.exponents)

    @property
    def degree(self) -> int:
        return sum(self.exponents)

    @property
    def bound(self) -> int:
        """prod(r_i + 1): the theorem's least width (2^n for the product of n inputs)."""
        return math.prod(r + 1 for r in self.exponents)

    @property
    def odd(self) -> bool:
        """An odd activation without shift (tanh): its even Taylor coefficients vanish."""
        return self.activation == "tanh"

    @property
    def construction_width(self) -> int:
        """Units of the construction used as a start: the bound, or 2^(n-1) for an odd activation and a product
        of odd n (the sign-sum's units s and -s coincide up to sign, so half of them suffice)."""
        if self.odd:
            if set(self.exponents) != {1} or self.n % 2 == 0:
                raise InvalidArgumentError("an odd activation (tanh) without shift can only build products of an odd "
                                           f"number of inputs; got exponents {self.exponents}.")
            return 2 ** (self.n - 1)
        return self.bound

    @property
    def shift(self) -> float:
        return SHIFTS[self.activation]

    def taylor_coefficients(self) -> np.ndarray:
        """c_k = sigma^(k)(b0) / k!, k = 0..d (exact, rounded to float64)."""
        return np.array(get_activation(self.activation).taylor(self.shift, self.degree), dtype=np.float64)

    def hypotheses(self) -> dict:
        """Whether the theorem applies: c_k != 0 for every k <= d (tanh at 0 has c_k = 0 for even k)."""
        c = self.taylor_coefficients()
        zero = [k for k in range(self.degree + 1) if abs(c[k]) < 1e-300]
        return {"applies": not zero, "vanishing_orders": zero}


@dataclass(frozen=True)
class Restart:
    start: str  # "construction", "construction-minus-k", "construction-plus-k", "random-s"
    error: float  # largest |residual| after the search
    weight_norm: float  # largest |a_j| or |w_ji|
    evaluations: int
    theta: np.ndarray | None = field(default=None, repr=False, compare=False)  # where it stopped (not serialised)

    def to_dict(self) -> dict:
        return {"start": self.start, "error": self.error, "weight_norm": self.weight_norm,
                "evaluations": self.evaluations}


@dataclass(frozen=True)
class NecessityResult:
    problem: NecessityProblem
    effort: int
    restarts: list[Restart] = field(default_factory=list)

    @property
    def best(self) -> Restart:
        return min(self.restarts, key=lambda r: (not math.isfinite(r.error), r.error))

    @property
    def best_error(self) -> float:
        return self.best.error

    def to_dict(self) -> dict:
        return {"problem": asdict(self.problem), "bound": self.problem.bound, "effort": self.effort,
                "best_error": self.best_error, "best_weight_norm": self.best.weight_norm,
                "best_start": self.best.start, "restarts": [r.to_dict() for r in self.restarts]}


def multi_indices(n: int, degree: int) -> np.ndarray:
    """Every alpha in N^n with |alpha| <= degree, (count, n)."""
    rows = [a for a in itertools.product(range(degree + 1), repeat=n) if sum(a) <= degree]
    return np.array(rows, dtype=np.int64).reshape(-1, n)


def grid_points(n: int, per_axis: int) -> np.ndarray:
    """The per_axis^n grid of [-1, 1]^n (corners included)."""
    axis = np.linspace(-1.0, 1.0, per_axis)
    return np.array(list(itertools.product(axis, repeat=n)), dtype=np.float64).reshape(-1, n)


class _Objective:
    """Residuals and Jacobian of one problem; parameters theta = (a (m), W (m, n) row-major)."""

    def __init__(self, problem: NecessityProblem):
        self.problem, self.m, self.n = problem, problem.width, problem.n
        if problem.sense == "uniform":
            self.x = grid_points(self.n, problem.grid)
            self.y = np.prod(self.x ** np.array(problem.exponents), axis=1)
            self.sigma, self.dsigma = _FUNCTIONS[problem.activation]
        else:
            alphas = multi_indices(self.n, problem.degree)
            c = problem.taylor_coefficients()
            orders = alphas.sum(axis=1)
            multinomial = np.array([math.factorial(k) / math.prod(math.factorial(int(v)) for v in a)
                                    for k, a in zip(orders, alphas, strict=True)])
            self.alphas, self.prefactor = alphas, c[orders] * multinomial
            self.y = np.all(alphas == np.array(problem.exponents), axis=1).astype(np.float64)

    def split(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return theta[:self.m], theta[self.m:].reshape(self.m, self.n)

    def residuals(self, theta: np.ndarray) -> np.ndarray:
        a, W = self.split(theta)
        if self.problem.sense == "uniform":
            return self.sigma(self._preactivation(W)) @ a - self.y
        return self.prefactor * (self._powers(W) @ a) - self.y

    def _preactivation(self, W: np.ndarray) -> np.ndarray:
        return self.problem.shift + self.x @ W.T

    def jacobian(self, theta: np.ndarray) -> np.ndarray:
        a, W = self.split(theta)
        if self.problem.sense == "uniform":
            z = self._preactivation(W)  # (P, m)
            da = self.sigma(z)
            dW = (self.dsigma(z) * a)[:, :, None] * self.x[:, None, :]  # (P, m, n)
            return np.concatenate([da, dW.reshape(len(self.x), -1)], axis=1)
        powers = self._powers(W)  # (A, m): prod_i w_ji^alpha_i
        dW = np.empty((len(self.alphas), self.m, self.n))
        for i in range(self.n):
            lowered = self.alphas.copy()
            lowered[:, i] = np.maximum(lowered[:, i] - 1, 0)
            dW[:, :, i] = self.alphas[:, i:i + 1] * self._powers(W, lowered) * a
        jac = np.concatenate([powers, dW.reshape(len(self.alphas), -1)], axis=1)
        return self.prefactor[:, None] * jac

    def _powers(self, W: np.ndarray, alphas: np.ndarray | None = None) -> np.ndarray:
        alphas = self.alphas if alphas is None else alphas
        return np.prod(W[None, :, :] ** alphas[:, None, :], axis=2)


def _logistic(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # softplus' derivative, without overflow


# (sigma, sigma') in numpy for the activations of this experiment (the same functions as deepcheap.activations)
_FUNCTIONS = {"exp": (np.exp, np.exp), "softplus": (lambda z: np.logaddexp(0.0, z), _logistic),
              "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2)}


def construction(problem: NecessityProblem, scale: float | None) -> np.ndarray:
    """theta of the central-stencil construction (prod(r_i + 1) units) at ``scale`` lambda (None: the scale that
    balances truncation against float64 rounding). For tanh, the half sign-sum: units s in {+-1}^n with s_1 = +1,
    a_s = 2 prod(s) / (2^n n! c_n lambda^n), exact to O(lambda^2) for odd n."""
    from deepcheap.gates import monomial_gate

    if problem.odd:
        n = problem.n
        lam = float(np.finfo(np.float64).eps) ** (1 / (n + 2)) if scale is None else scale  # lambda^2 ~ eps/lambda^n
        signs = np.array([s for s in itertools.product((1.0, -1.0), repeat=n) if s[0] > 0])
        c_n = problem.taylor_coefficients()[n]
        a = 2 * np.prod(signs, axis=1) / (2**n * math.factorial(n) * c_n * lam**n)
        return np.concatenate([a, (lam * signs).reshape(-1)])
    gate = monomial_gate(problem.exponents, problem.activation, bias=problem.shift, scale=scale, bias_free=True)
    W = gate[0].weight.detach().numpy()  # (units, n): lambda * offsets; the shift b0 is the layer's bias
    a = gate[-1].weight.detach().numpy().reshape(-1)
    return np.concatenate([a, W.reshape(-1)])


def starts(problem: NecessityProblem, restarts: int, seed: int, *, constructed: bool = True
           ) -> list[tuple[str, np.ndarray]]:
    """The construction adapted to the width (units deleted or added) first, then random starts."""
    rng = numpy_generator(seed)
    m, n = problem.width, problem.n
    out = []
    for scale in (None, 0.1) if constructed else ():
        bound = problem.construction_width
        base = construction(problem, scale)
        a, W = base[:bound], base[bound:].reshape(bound, n)
        if m <= bound:
            for _ in range(max(1, restarts // 4)):
                keep = np.sort(rng.choice(bound, size=m, replace=False))
                label = "construction" if m == bound else f"construction-minus-{bound - m}"
                out.append((label, np.concatenate([a[keep], W[keep].reshape(-1)])))
                if m == bound:
                    break
        else:
            extra_W = rng.normal(scale=0.1, size=(m - bound, n))
            out.append((f"construction-plus-{m - bound}",
                        np.concatenate([a, np.zeros(m - bound), W.reshape(-1), extra_W.reshape(-1)])))
    while len(out) < restarts:
        s = RANDOM_SCALES[len(out) % len(RANDOM_SCALES)]
        out.append((f"random-{s:g}", np.concatenate([rng.normal(size=m), rng.normal(scale=s, size=m * n)])))
    return out[:restarts]


def search(problem: NecessityProblem, *, restarts: int = 32, effort: int = 400, seed: int,
           constructed: bool = True, resume: NecessityResult | None = None) -> NecessityResult:
    """Best residual over ``restarts`` starts, each searched with at most ``effort`` evaluations
    (``constructed=False``: random starts only). ``resume``: continue every restart of that earlier search
    from where it stopped for ``effort`` more evaluations (its effort control: twice the effort in all)."""
    restarts = check_int_range("restarts", restarts, 1, 4096)
    effort = check_int_range("effort", effort, 10, 10**6)
    objective = _Objective(problem)
    if resume is not None:
        begin = [(r.start, r.theta, r.evaluations) for r in resume.restarts]
    else:
        begin = [(label, theta, 0) for label, theta in
                 starts(problem, restarts, derive_seed(seed, "starts"), constructed=constructed)]
    found = []
    for label, theta, spent in begin:
        # Trust-region reflective: deterministic. scipy 1.17's Levenberg-Marquardt (MINPACK in C) returned results
        # that differed in the 8th digit between identical calls from the ill-conditioned starts here.
        with np.errstate(over="ignore", invalid="ignore"):
            fit = scipy.optimize.least_squares(objective.residuals, theta, jac=objective.jacobian, method="trf",
                                               x_scale="jac", max_nfev=effort, xtol=1e-15, ftol=1e-15, gtol=1e-15)
            residuals = objective.residuals(fit.x)
        error = float(np.max(np.abs(residuals))) if np.all(np.isfinite(residuals)) else math.inf
        found.append(Restart(label, error, float(np.max(np.abs(fit.x))), spent + int(fit.nfev), fit.x))
    return NecessityResult(problem, effort + (resume.effort if resume else 0), found)


def width_scan(exponents, activation: str, widths, *, sense: str, restarts: int, effort: int, seed: int,
               grid: int = 9) -> list[dict]:
    """:func:`search` at each width with ``effort``, then every restart continued for as much again (the effort
    control: twice the effort): one row per width."""
    rows = []
    for m in widths:
        problem = NecessityProblem(tuple(exponents), activation, m, sense, grid)
        once = search(problem, restarts=restarts, effort=effort, seed=seed)
        twice = search(problem, restarts=restarts, effort=effort, seed=seed, resume=once)
        rows.append({"exponents": list(problem.exponents), "activation": activation, "sense": sense, "width": m,
                     "bound": problem.construction_width, "applies": problem.hypotheses()["applies"],
                     "error": once.best_error, "weight_norm": once.best.weight_norm, "start": once.best.start,
                     "error_doubled": twice.best_error, "weight_norm_doubled": twice.best.weight_norm,
                     "evaluations": sum(r.evaluations for r in twice.restarts)})
    return rows
