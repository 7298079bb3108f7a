"""Does coarse-graining forget an irrelevant perturbation faster than a relevant one? (C09, issue 20, part C)

>>> cfg = PerturbationConfig(L=8, n=128, chains=8, max_epochs=10)   # tiny: a smoke test, not a measurement
>>> r = perturbation_trial(cfg.to_params(), seed=0)
>>> sorted(r["scores"]), [row["side"] for row in r["scores"]["relevant"]["majority"]]
(['irrelevant', 'irrelevant_binder', 'relevant'], [8, 4])

Physics. Near the critical point K_c = 1/T_c of the 2D Ising model a small change of a coupling is a sum of scaling
fields; under b x b block spins a field with RG eigenvalue y is multiplied by b^y. The thermal field (y = 1) is
relevant: a change K -> K (1 + eps) keeps its scaling variable t L invariant under the block step (t -> b t, L -> L
/ b), so the coarse lattices of the two ensembles stay distinguishable, losing only the short-distance (analytic)
part of the difference and what a 3 x 3 CNN on a small lattice cannot see. A diagonal coupling k2 is, to linear
order, a mixture of the thermal field and irrelevant operators (y = -2 for the leading ones on the square
lattice): its irrelevant part shrinks like b^-2 per step while the coarse lattice has b^2 fewer sites, so its share
of the divergence falls like b^-6 per step. Here the ensembles are

* base: (K1, K2) = (K_c, 0);
* relevant: (K_c (1 + eps), 0);
* irrelevant: (K_c + dK1, k2), dK1 from :func:`~deepcheap.physics.nnn_matching.matched_classes`, so that
  <sum_nn s s> equals the base's. This removes the thermal component as far as the energy sees it; but in 2D the
  energy's singular part is only logarithmic (C ~ ln L), so most of d<sum_nn>/dk2 is short-distance (analytic) and
  the matched ensemble keeps a thermal residual, its scaling variable of order k2 L / ln L, which the sizes below
  keep O(1 / ln L): it sits visibly on the ordered side (recorded per trial; C09 full, seed 0, L = 32: <|m|> 0.74 and
  U4 0.647 against the base's 0.65 and 0.610, the relevant ensemble's 0.82 and 0.657; L = 64: 0.62 and 0.622
  against 0.60 and 0.611), so part of it is a relevant perturbation that no block step removes;
* irrelevant_binder: the same k2, with dK1 chosen instead so that the Binder cumulant U4 = 1 - <m^4> / (3 <m^2>^2)
  (a function of t L alone, up to corrections to scaling) equals the base's, by Wolff samples and reweighting
  in K1 from the energy-matched point. This puts both at the same t L, leaving short-distance differences and the
  non-universal normalisation of the spin field (which block spins re-normalise and random spins do not).

Sizes, from level-0 numbers only: the Jeffreys divergence J = sum_a dtheta_a (<phi_a>_1 - <phi_a>_0) (no
partition function needed) is set to TARGET_JEFFREYS by linear response on the base samples:
eps = sqrt(J / Var(sum_nn)) / K_c and k2 = sqrt(J / (Var(sum_nnn) - Cov^2 / Var(sum_nn))) (the Fisher information
of k2 with the energy matched). The measured J of each sampled ensemble is recorded.

Measurement: coarse-grain (b = 2) by majority rule, decimation and random spins (:func:`block_spins`) down to
side ``min_side``; at each level train ``make_classifier("cnn", side, channels)`` on base vs perturbed with early
stopping (train / validation / test = chains 1/2, 1/4, 1/4 of each ensemble, so no chain is in two parts) and score
the test set: accuracy and the information lower bound max(0, 1 - CE / ln 2) bits. The CNN's logit is
sum_sites f(3 x 3 patch) / side^2, a linear function of the histogram of the 512 patch patterns, so it is
trained on those histograms (the same function and parameters; an epoch at L = 32 took ~3 ms instead of ~1.3 s,
on one torch thread, :func:`~deepcheap.threads.torch_threads`); test scores use the CNN's own forward pass. Sampling:
:mod:`deepcheap.physics.nnn_wolff` for every ensemble (Metropolis needs ~L^2.17 sweeps per independent sample).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, fields

import numpy as np
import torch
import torch.nn.functional as F
from scipy import optimize

from deepcheap.errors import InvalidArgumentError, check_int_range, check_positive
from deepcheap.physics.lattice import T_CRITICAL
from deepcheap.physics.nnn_matching import matched_classes
from deepcheap.physics.nnn_wolff import sample_wolff
from deepcheap.renormalization.blockspins import COARSE_GRAININGS, block_spins
from deepcheap.seeds import derive_seed
from deepcheap.spin_classifiers import fit_logits, make_classifier, predict_log_odds
from deepcheap.threads import torch_threads

PERTURBATIONS = ("relevant", "irrelevant", "irrelevant_binder")
IRRELEVANT = ("irrelevant", "irrelevant_binder")
TARGET_JEFFREYS = 4.0  # level-0 Jeffreys divergence of each perturbation (Gaussian log-odds: Bayes accuracy 0.84)

# Predictions, written before any level > 0 was measured (not to be moved after seeing numbers).
# D(l) = median over seeds of the test information bits at level l; ratio(l) = D(l) / D(0).
COMPARISON_LEVEL = 1  # the first block step (exists at every L >= 8 with min_side 4)
MARGIN = 0.1  # a ratio must be lower by at least this to count as "faster"
MIN_LEVEL0_BITS = 0.1  # below this at level 0 a perturbation is not distinguishable enough to compare
# Check 1: ratio_irrelevant(majority) + MARGIN <= ratio_relevant(majority) at COMPARISON_LEVEL (expected to hold).
# Check 2: ratio_irrelevant(majority) + MARGIN <= ratio_irrelevant(random) at COMPARISON_LEVEL (expected: open;
# random spins at shuffled positions lose short-range correlations too, so both may drop to the same floor).
CHECKED_IRRELEVANT = "irrelevant"  # the construction; irrelevant_binder is reported with the same checks

_PATTERNS = torch.tensor([[2 * ((p >> k) & 1) - 1 for k in range(9)] for p in range(512)], dtype=torch.float32)


@dataclass(frozen=True)
class PerturbationConfig:
    """One trial's sizes: lattice L, n samples per ensemble (``chains`` Wolff chains, ``spacing`` / ``burn_in`` in
    flipped spins per site), block size b, coarse levels down to side ``min_side``, CNN channels and training."""

    L: int = 32
    n: int = 4000
    chains: int = 16
    spacing: float = 2.0
    burn_in: float = 50.0
    b: int = 2
    min_side: int = 4
    target_jeffreys: float = TARGET_JEFFREYS
    binder_rounds: int = 2
    channels: int = 8
    lr: float = 0.05
    batch: int = 0  # 0: full batch
    patience: int = 100
    max_epochs: int = 5000

    def __post_init__(self):
        check_int_range("chains", self.chains, 4, hint="(a multiple of 4: chains are split 2:1:1 into train, "
                        "validation and test)")
        check_int_range("n", self.n, self.chains, hint="(samples per ensemble, at least one per chain)")
        if self.chains % 4 or self.n % self.chains:
            raise InvalidArgumentError(f"chains must be a multiple of 4 and divide n; got chains = {self.chains}, "
                                       f"n = {self.n} (e.g. chains = 16, n = 4000).")
        check_int_range("b", self.b, 2)
        check_int_range("min_side", self.min_side, 3, hint="(the 3 x 3 CNN needs side >= 3)")
        if self.min_side * self.b > self.L or self.L % self.min_side or not _is_power(self.L // self.min_side, self.b):
            raise InvalidArgumentError(f"L = {self.L} must be min_side * b^k with k >= 1 (min_side = {self.min_side}, "
                                       f"b = {self.b}), e.g. L = 32 with min_side = 4.")
        for name in ("spacing", "target_jeffreys", "lr"):
            check_positive(name, getattr(self, name))
        check_positive("burn_in", self.burn_in, allow_zero=True)
        for name in ("binder_rounds", "channels", "patience", "max_epochs"):
            check_int_range(name, getattr(self, name), 1)
        check_int_range("batch", self.batch, 0, hint="(0: full batch)")

    @property
    def levels(self) -> int:
        """The last level: side L / b^levels = min_side."""
        return round(math.log(self.L // self.min_side, self.b))

    def to_params(self) -> dict:
        return asdict(self)


def _is_power(x: int, b: int) -> bool:
    while x > 1 and x % b == 0:
        x //= b
    return x == 1


def size_perturbations(nn, nnn, K: float, target: float = TARGET_JEFFREYS) -> tuple[float, float]:
    """(eps, k2) with Jeffreys divergence ``target`` to linear response, from base samples of sum_nn, sum_nnn."""
    x, y = np.asarray(nn, dtype=np.float64), np.asarray(nnn, dtype=np.float64)
    if x.shape != y.shape or x.size < 2:
        raise InvalidArgumentError("nn and nnn must be equal-length samples (at least 2) of the base ensemble.")
    var, cov = x.var(), np.mean((x - x.mean()) * (y - y.mean()))
    cond = y.var() - cov * cov / var if var > 0 else 0.0
    if not (var > 0 and cond > 0):
        raise InvalidArgumentError("the base samples do not fluctuate (Var = 0): sample a larger or hotter lattice.")
    return float(math.sqrt(target / var) / K), float(math.sqrt(target / cond))


def binder_cumulant(configs) -> float:
    """U4 = 1 - <m^4> / (3 <m^2>^2) of (n, L, L) configurations, m the mean spin."""
    m = np.asarray(configs, dtype=np.float64).mean(axis=(-2, -1))
    return float(1.0 - np.mean(m**4) / (3.0 * np.mean(m**2) ** 2))


def _reweighted_u4(m2, m4, x, delta) -> float:
    w = np.exp(delta * x - np.max(delta * x))
    return float(1.0 - (w @ m4) * w.sum() / (3.0 * (w @ m2) ** 2))


def binder_match(L: int, K1: float, k2: float, start: float, target: float, *, seed: int, n: int, chains: int,
                 rounds: int = 2, spacing: float = 2.0, burn_in: float = 50.0) -> tuple[float, list]:
    """dK1 with U4 at (K1 + dK1, k2) equal to ``target``: ``rounds`` Wolff runs, each reweighted in K1 (weights
    e^(delta sum_nn), |delta| <= 1.5 / std(sum_nn)) to the root, or to the edge of that range nearer the root."""
    d, history = float(start), []
    for r in range(rounds):
        s = sample_wolff(L, K1 + d, k2, n, seed=derive_seed(seed, "binder", r), chains=chains, spacing=spacing,
                         burn_in=burn_in)
        m = s.configs.astype(np.float64).mean(axis=(-2, -1))
        x = s.nn - s.nn.mean()
        lim = 1.5 / max(float(x.std()), 1e-12)
        f = lambda t, m2=m**2, m4=m**4, x=x: _reweighted_u4(m2, m4, x, t) - target  # noqa: E731
        lo, hi = f(-lim), f(lim)
        step = optimize.brentq(f, -lim, lim, xtol=1e-9) if lo * hi < 0 else (lim if hi < 0 else -lim)
        history.append((d, f(0.0), step))
        d += step
    return d, history


def patch_histograms(configs) -> torch.Tensor:
    """(M, 512) fractions of sites whose circular 3 x 3 patch has each pattern; bit 3u + v of the pattern is
    spin (i + u - 1, j + v - 1) == +1, the layout of conv2d's kernel in :class:`SpinCNN`."""
    s = np.asarray(configs)
    M, side = s.shape[0], s.shape[-1]
    code = np.zeros(s.shape, dtype=np.int64)
    for u in range(3):
        for v in range(3):
            code += (np.roll(s, (1 - u, 1 - v), axis=(-2, -1)) > 0).astype(np.int64) << (3 * u + v)
    flat = code.reshape(M, -1) + 512 * np.arange(M)[:, None]
    counts = np.bincount(flat.ravel(), minlength=512 * M).reshape(M, 512)
    return torch.as_tensor(counts / side**2, dtype=torch.float32)


def histogram_logits(model, hist: torch.Tensor) -> torch.Tensor:
    """The CNN's logits from patch histograms: hist @ (relu(patterns W^T + beta) v) + b."""
    per_pattern = F.relu(_PATTERNS @ model.weight.reshape(model.weight.shape[0], 9).T + model.bias) @ model.head
    return hist @ per_pattern + model.head_bias


def train_cnn(h_train, y_train, h_val, y_val, side: int, cfg: PerturbationConfig, *, seed: int):
    """A ``make_classifier("cnn", side)`` trained on patch histograms with Adam and early stopping on the
    validation loss (patience, best state): :func:`~deepcheap.spin_classifiers.fit_logits`. Returns
    (model, best validation loss, best epoch, epochs run). Runs on one torch thread
    (:func:`~deepcheap.threads.torch_threads`)."""
    model = make_classifier("cnn", side, channels=cfg.channels, seed=seed)
    with torch_threads(1):
        fit = fit_logits(model, histogram_logits, h_train, y_train, h_val, y_val, seed=seed, lr=cfg.lr,
                         max_epochs=cfg.max_epochs, batch=cfg.batch or len(y_train), patience=cfg.patience)
    return fit.model, fit.best_val_loss, fit.best_epoch, fit.epochs


def score_test_set(model, configs, labels) -> dict:
    """Test accuracy, cross-entropy (nats) and information lower bound max(0, 1 - CE / ln 2) from the CNN's forward."""
    with torch_threads(1):
        u = predict_log_odds(model, configs)
    y = np.asarray(labels, dtype=np.float64)
    ce = float(np.mean(np.logaddexp(0.0, u) - y * u))
    return {"accuracy": float(np.mean((u > 0) == (y > 0.5))), "cross_entropy": ce,
            "bits": max(0.0, 1.0 - ce / math.log(2.0))}


def _coarse(configs, rule: str, cfg: PerturbationConfig, seed: int) -> list[np.ndarray]:
    """Levels 0..cfg.levels of one rule; random spins are drawn afresh from the fine lattice at each level."""
    out = [configs]
    for lv in range(1, cfg.levels + 1):
        out.append(block_spins(configs, cfg.b**lv, "random", seed=derive_seed(seed, "positions", lv))
                   if rule == "random" else block_spins(out[-1], cfg.b, rule))
    return out


def perturbation_trial(params: dict, seed: int) -> dict:
    """One (L, seed) trial: sample the four ensembles, size and match, coarse-grain, train and score (JSON-able)."""
    known = {f.name for f in fields(PerturbationConfig)}
    if not isinstance(params, dict) or set(params) - known:
        raise InvalidArgumentError(f"params must be a dict with keys from {sorted(known)}; got {params!r}.")
    cfg = PerturbationConfig(**params)
    K, clock = 1.0 / T_CRITICAL, time.perf_counter()
    run = dict(chains=cfg.chains, spacing=cfg.spacing, burn_in=cfg.burn_in)
    base = sample_wolff(cfg.L, K, 0.0, cfg.n, seed=derive_seed(seed, "base"), **run)
    eps, k2 = size_perturbations(base.nn, base.nnn, K, cfg.target_jeffreys)
    match = matched_classes(cfg.L, K, k2, seed=derive_seed(seed, "match"))
    u4_base = binder_cumulant(base.configs)
    d_binder, binder_history = binder_match(cfg.L, K, k2, match.dK1, u4_base, seed=derive_seed(seed, "binder"),
                                            n=cfg.n // 2, rounds=cfg.binder_rounds, **run)
    couplings = {"base": (K, 0.0), "relevant": (K * (1 + eps), 0.0), "irrelevant": (K + match.dK1, k2),
                 "irrelevant_binder": (K + d_binder, k2)}
    ens = {"base": base} | {p: sample_wolff(cfg.L, *couplings[p], cfg.n, seed=derive_seed(seed, p), **run)
                            for p in PERTURBATIONS}
    sample_seconds = time.perf_counter() - clock
    level0 = {}
    for name, s in ens.items():
        K1, K2 = couplings[name]
        m = np.abs(s.configs.astype(np.float64).mean(axis=(-2, -1)))
        level0[name] = {"K1": K1, "K2": K2, "nn_per_site": float(s.nn.mean()) / cfg.L**2,
                        "nnn_per_site": float(s.nnn.mean()) / cfg.L**2, "abs_m": float(m.mean()),
                        "binder": binder_cumulant(s.configs), "mean_cluster": s.mean_cluster,
                        "clusters_per_sample": s.clusters_per_sample,
                        "jeffreys": float((K1 - K) * (s.nn.mean() - base.nn.mean()) + K2 * (s.nnn.mean() -
                                                                                              base.nnn.mean()))}
    # chain-major rows: chains [0, 1/2) train, [1/2, 3/4) validation, [3/4, 1) test
    cut = [0, cfg.n // 2, 3 * cfg.n // 4, cfg.n]
    parts = [slice(cut[i], cut[i + 1]) for i in range(3)]
    labels = [np.r_[np.zeros(p.stop - p.start), np.ones(p.stop - p.start)] for p in parts]
    clock, scores, trainings = time.perf_counter(), {p: {} for p in PERTURBATIONS}, 0
    level0_scores = {}
    for rule in COARSE_GRAININGS:
        coarse = {name: _coarse(s.configs, rule, cfg, derive_seed(seed, rule)) for name, s in ens.items()}
        for p in PERTURBATIONS:
            rows = []
            for lv in range(cfg.levels + 1):
                if lv == 0 and p in level0_scores:
                    rows.append(dict(level0_scores[p]))
                    continue
                xs = [np.concatenate([coarse["base"][lv][part], coarse[p][lv][part]]) for part in parts]
                side = xs[0].shape[-1]
                hists = [patch_histograms(x) for x in xs[:2]]
                model, best, best_epoch, epochs = train_cnn(hists[0], labels[0], hists[1], labels[1], side, cfg,
                                                            seed=derive_seed(seed, p, rule, lv))
                trainings += 1
                row = {"level": lv, "side": side, "best_val_loss": best, "best_epoch": best_epoch, "epochs": epochs}
                row |= score_test_set(model, xs[2], labels[2])
                rows.append(row)
                if lv == 0:
                    level0_scores[p] = row
            scores[p][rule] = rows
    return {"L": cfg.L, "seed": seed, "params": cfg.to_params(), "eps": eps, "k2": k2,
            "dK1_energy": match.dK1, "dK1_energy_stderr": match.dK1_stderr, "energy_match_z": match.residual_z,
            "dK1_binder": d_binder, "binder_history": [list(h) for h in binder_history], "level0": level0,
            "scores": scores, "sample_seconds": sample_seconds, "train_seconds": time.perf_counter() - clock,
            "trainings": trainings}


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


def summarize_perturbations(results: list[dict]) -> dict:
    """Per L: median bits and accuracy over seeds (perturbation x rule x level), ratios D(l) / D(0), and the two
    checks at COMPARISON_LEVEL for each irrelevant variant (``holds`` None where level 0 is below MIN_LEVEL0_BITS)."""
    if not results:
        raise InvalidArgumentError("summarize_perturbations needs at least one trial result.")
    by_L: dict[int, list[dict]] = {}
    for r in results:
        by_L.setdefault(int(r["L"]), []).append(r)
    out = {"comparison_level": COMPARISON_LEVEL, "margin": MARGIN, "min_level0_bits": MIN_LEVEL0_BITS,
           "checked": CHECKED_IRRELEVANT, "sizes": {}}
    for L, rs in sorted(by_L.items()):
        med = {p: {rule: [{k: float(np.median([r["scores"][p][rule][lv][k] for r in rs]))
                           for k in ("accuracy", "bits")} for lv in range(len(rs[0]["scores"][p][rule]))]
                   for rule in COARSE_GRAININGS} for p in PERTURBATIONS}
        ratio = {p: {rule: [_ratio(row["bits"], med[p][rule][0]["bits"]) for row in med[p][rule]]
                     for rule in COARSE_GRAININGS} for p in PERTURBATIONS}
        lv = COMPARISON_LEVEL
        checks = {}
        for irr in IRRELEVANT:
            ok0 = min(med["relevant"]["majority"][0]["bits"], med[irr]["majority"][0]["bits"]) >= MIN_LEVEL0_BITS
            r_irr, r_rel, r_rand = (ratio[irr]["majority"][lv], ratio["relevant"]["majority"][lv],
                                    ratio[irr]["random"][lv])
            checks[irr] = {"irrelevant_faster": {"irrelevant": r_irr, "relevant": r_rel,
                                                 "holds": bool(r_irr + MARGIN <= r_rel) if ok0 else None},
                           "majority_faster_than_random": {"majority": r_irr, "random": r_rand,
                                                           "holds": bool(r_irr + MARGIN <= r_rand) if ok0 else None}}
        out["sizes"][L] = {"seeds": [r["seed"] for r in rs], "median": med, "ratio": ratio, "checks": checks,
                           "eps": float(np.median([r["eps"] for r in rs])),
                           "k2": float(np.median([r["k2"] for r in rs])),
                           "seconds": float(sum(r["sample_seconds"] + r["train_seconds"] for r in rs))}
    verdicts = [out["sizes"][L]["checks"][CHECKED_IRRELEVANT][c]["holds"] for L in out["sizes"]
                for c in ("irrelevant_faster", "majority_faster_than_random")]
    out["holds"] = {c: [out["sizes"][L]["checks"][CHECKED_IRRELEVANT][c]["holds"] for L in out["sizes"]]
                    for c in ("irrelevant_faster", "majority_faster_than_random")}
    out["all_hold"] = None if None in verdicts else all(verdicts)
    return out
