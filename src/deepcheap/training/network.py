"""The stacked network: forward, hand-derived backward and least-squares read-out of every model at once.

>>> import torch
>>> from deepcheap.training import ModelSpec
>>> from deepcheap.training.layout import plan
>>> from deepcheap.training.network import StackedNetwork
>>> layout = plan([ModelSpec((4,), seed=0), ModelSpec((3, 5), "relu", seed=1)], n_inputs=2, n_outputs=1)
>>> net = StackedNetwork(layout, layout.initial().float())
>>> x = torch.rand(10, 2, generator=torch.Generator().manual_seed(0))
>>> net.predict(x).shape                           # (models, points, outputs)
torch.Size([2, 10, 1])

Shapes (see :mod:`deepcheap.training.layout`): activations are (G, width + 1, N), units x points, with the
constant-1 row last. Forward, for a group: Z_0 = W_0 xa (one GEMM over all groups when the inputs are
shared), A_j = sigma(Z_j), Z_j = W_j A_(j-1), y = W_k A_(k-1). Backward, with D = dL/dy (G, K, N):
dW_k = D A_(k-1)^T, dZ_(k-1) = (W_k^T D) * sigma'(Z_(k-1)), then dW_j = dZ_j A_(j-1)^T and
dZ_(j-1) = (W_j^T dZ_j) * sigma'(Z_(j-1)) down to dW_0 = dZ_0 xa^T (again one GEMM when shared). Every
product writes into a preallocated buffer; the ones rows of dZ stay 0, so the fixed rows get zero gradient.
"""

from __future__ import annotations

import torch

from deepcheap.training.kernels import kernel
from deepcheap.training.layout import Layout


class StackedNetwork:
    """Views of one flat parameter buffer per (group, layer), and the buffers of one batch size."""

    def __init__(self, layout: Layout, params: torch.Tensor, *, train_readout: bool = True):
        self.layout = layout
        self.params = params
        self.grad = torch.zeros_like(params)
        self.train_readout = train_readout
        self.kernels = [kernel(g.activation) for g in layout.groups]
        self.W = [[layout.view(params, g, j) for j in range(group.depth + 1)] for g, group in enumerate(layout.groups)]
        self.dW = [[layout.view(self.grad, g, j) for j in range(group.depth + 1)]
                   for g, group in enumerate(layout.groups)]
        self.W0, self.dW0 = layout.first_layer(params), layout.first_layer(self.grad)
        self._buffers: dict[tuple[int, bool], dict] = {}
        self.masks = [self._feature_mask(g) for g in range(len(layout.groups))]

    @property
    def dtype(self) -> torch.dtype:
        return self.params.dtype

    @property
    def device(self) -> torch.device:
        return self.params.device

    def buffers(self, points: int, backward: bool) -> dict:
        """Activation (and gradient) buffers for ``points`` points, allocated once per size."""
        key = (points, backward)
        if key not in self._buffers:
            self._buffers[key] = self._allocate(points, backward)
        return self._buffers[key]

    def _allocate(self, points: int, backward: bool) -> dict:
        layout, opts = self.layout, {"dtype": self.dtype, "device": self.device}
        z0 = torch.empty(layout.first_layer_rows, points, **opts)  # the first layers of all groups: one matrix
        dz0 = torch.zeros(layout.first_layer_rows, points, **opts) if backward else None
        Z, A, dZ, row = [], [], [], 0
        for g, group in enumerate(layout.groups):
            needs_input = self.kernels[g].needs_input
            zs, acts, grads = [], [], []
            for j, width in enumerate(group.widths):
                shape = (group.size, width + 1, points)
                first = slice(row, row + group.size * (width + 1))
                z = z0[first].view(shape) if j == 0 else torch.empty(shape, **opts)
                zs.append(z)
                acts.append(torch.ones(shape, **opts) if needs_input else z)
                if backward:
                    grads.append(dz0[first].view(shape) if j == 0 else torch.zeros(shape, **opts))
            row += group.size * (group.widths[0] + 1)
            Z.append(zs)
            A.append(acts)
            dZ.append(grads)
        out = torch.empty(layout.models, layout.n_outputs, points, **opts)
        grad_out = torch.empty_like(out) if backward else None
        return {"z0": z0, "dz0": dz0, "Z": Z, "A": A, "dZ": dZ, "out": out, "grad_out": grad_out}

    def forward(self, xa: torch.Tensor, buffers: dict, readout=None, groups=None) -> torch.Tensor:
        """Outputs (M, K, N) of every model (of ``groups``, default all), without gradients."""
        if xa.dim() == 2:
            torch.mm(self.W0, xa, out=buffers["z0"])
        for g in range(len(self.layout.groups)) if groups is None else groups:
            self._forward_group(g, xa, buffers, readout)
        return buffers["out"]

    def train_step(self, batch, objective, loss: torch.Tensor, buffers: dict, *, readout=None, forward=None,
                   backward=None) -> torch.Tensor:
        """Loss per model into ``loss`` (M,) and the gradient of their sum into the flat grad (returned).

        Group by group: forward, loss, backward, so a group's activations are still in cache for its
        backward; the first layers of all groups run as one GEMM before (forward) and after (weight gradient)
        when the inputs are shared. ``forward`` / ``backward``: the groups to run (default all); a group
        that has stopped is skipped. ``readout(g, features)`` may set a group's read-out before its output.
        """
        xa, shared = batch.xa, batch.xa.dim() == 2
        groups = range(len(self.layout.groups))
        forward = groups if forward is None else forward
        backward = set(groups if backward is None else backward)
        if shared:
            torch.mm(self.W0, xa, out=buffers["z0"])
        for g in forward:
            group = self.layout.groups[g]
            rows = slice(group.start, group.start + group.size)
            out = self._forward_group(g, xa, buffers, readout)
            loss[rows] = objective(out, batch.targets_for(rows), buffers["grad_out"][rows])
            if g in backward:
                self._backward_group(g, xa, buffers)
        if shared:
            torch.mm(buffers["dz0"], xa.T, out=self.dW0)
        return self.grad

    def _forward_group(self, g: int, xa: torch.Tensor, buffers: dict, readout=None) -> torch.Tensor:
        group, k = self.layout.groups[g], self.kernels[g]
        Z, A, W = buffers["Z"][g], buffers["A"][g], self.W[g]
        for j, width in enumerate(group.widths):
            if j > 0:
                torch.bmm(W[j], A[j - 1], out=Z[j])
            elif xa.dim() == 3:
                torch.bmm(W[0], xa[group.start:group.start + group.size], out=Z[0])
            k.forward(Z[j][:, :width], A[j][:, :width])
        if readout is not None:
            readout(g, A[-1])
        return torch.bmm(W[-1], A[-1], out=buffers["out"][group.start:group.start + group.size])

    def _backward_group(self, g: int, xa: torch.Tensor, buffers: dict) -> None:
        """Gradients of group g's summed losses, given dL/dy in ``buffers["grad_out"]``."""
        group, k = self.layout.groups[g], self.kernels[g]
        Z, A, dZ, W, dW = buffers["Z"][g], buffers["A"][g], buffers["dZ"][g], self.W[g], self.dW[g]
        D = buffers["grad_out"][group.start:group.start + group.size]
        widths = group.widths
        if self.train_readout:
            torch.bmm(D, A[-1].transpose(1, 2), out=dW[-1])
        for j in range(group.depth - 1, -1, -1):
            upper = D if j == group.depth - 1 else dZ[j + 1]
            torch.bmm(W[j + 1][:, :, :widths[j]].transpose(1, 2), upper, out=dZ[j][:, :widths[j]])
            k.backward(dZ[j][:, :widths[j]], A[j][:, :widths[j]], Z[j][:, :widths[j]])
            if j > 0:
                torch.bmm(dZ[j], A[j - 1].transpose(1, 2), out=dW[j])
            elif xa.dim() == 3:
                torch.bmm(dZ[0], xa[group.start:group.start + group.size].transpose(1, 2), out=dW[0])

    def solve_readout(self, g: int, features: torch.Tensor, targets: torch.Tensor, ridge: float,
                      refit: torch.Tensor | None = None) -> None:
        """Set group g's read-out to the least-squares fit (in float64) of the targets on its features.

        With F the features and their ones row ((w + 1) x N) the read-out solves
        (F F^T + delta I) w = F y^T, delta = ridge * trace(F F^T): a scale-free regulariser that keeps the read-out
        weights of padded (all-zero) units at zero and, since the trace ignores them, does not depend on padding.
        float64 matters: a product needs large read-out weights on nearly collinear features (the small
        eigenvalues of F F^T), which a float32 Gram matrix, or a ridge at float32's eps, wipes out.
        ``refit`` (G,) bool: only these models take the new read-out (the others keep theirs).
        """
        group = self.layout.groups[g]
        F = features.to(torch.float64)
        if self.masks[g] is not None:
            F = F * self.masks[g]
        y = targets.to(torch.float64)
        if y.dim() == 3:
            y = y[group.start:group.start + group.size]
        gram = torch.bmm(F, F.transpose(1, 2))
        rhs = torch.matmul(F, y.transpose(-1, -2))
        delta = ridge * gram.diagonal(dim1=1, dim2=2).sum(dim=-1)
        gram.diagonal(dim1=1, dim2=2).add_(delta.unsqueeze(-1))
        solution, _ = torch.linalg.solve_ex(gram, rhs)
        readout = self.W[g][-1]
        new = solution.transpose(1, 2).to(self.dtype)
        if refit is None:
            readout.copy_(new)
        else:
            readout.copy_(torch.where(refit.view(-1, 1, 1), new, readout))

    def _feature_mask(self, g: int) -> torch.Tensor | None:
        """(G, w + 1, 1) float64 mask of the real units, for padded groups whose padding is not zero by itself."""
        group = self.layout.groups[g]
        real = [self.layout.specs[m].hidden[-1] for m in group.models]
        if all(r == group.widths[-1] for r in real) or self.kernels[g].zero_at_zero:
            return None
        mask = torch.zeros(group.size, group.widths[-1] + 1, 1, dtype=torch.float64, device=self.device)
        for i, r in enumerate(real):
            mask[i, :r] = 1.0
        mask[:, -1] = 1.0
        return mask

    @torch.no_grad()
    def predict(self, x: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
        """Outputs (M, N, K) in the engine's internal model order, for x (N, n) or (M, N, n), in chunks of points.

        Every layer of every model holds a (width + 1, chunk) buffer: 120 models of up to 2048 units take 1 GiB
        at 4096 points (16 GiB at 65536). The chunk is fixed, not fitted to the models, so that a model's
        outputs do not depend on which other models share the run."""
        x = x.to(self.device, self.dtype)
        outs = []
        for start in range(0, x.shape[-2], chunk):
            part = x[..., start:start + chunk, :]
            ones = torch.ones(*part.shape[:-1], 1, dtype=self.dtype, device=self.device)
            xa = torch.cat([part, ones], dim=-1).transpose(-1, -2).contiguous()
            buffers = self._allocate(xa.shape[-1], backward=False)
            outs.append(self.forward(xa, buffers).transpose(1, 2).clone())
        return torch.cat(outs, dim=1)
