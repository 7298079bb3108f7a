"""Benchmark: compiled networks as artefacts. ONNX agreement, the cost of refusing a crafted file, load times.

1. onnxruntime against the torch module it was exported from, per network, dtype and form: max |difference|
   on 3000 random inputs, relative to max(1, max |y|), next to the torch module's own error against the
   exact polynomial (both at the eps the acceptance tests use and at the default, best-accuracy eps).
2. Memory and time to refuse a 1.3 KB .dcnet declaring a 10^12-unit rebuild (measured in a fresh process),
   against loading a real small network.
3. save/load of ising2d:L: file size, load time against compiling from scratch.

    python benchmarks/artefacts.py [--L 64]     (needs pip install "deepcheap[onnx]" for part 1)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import sympy as sp
import torch

import deepcheap
from deepcheap import library

POLY = "x**2*y - 3*z + x*y*z*w"
F64, F32 = torch.float64, torch.float32


def _eps(tested: bool, dtype, f64: float, f32: float) -> float | None:
    """The acceptance tests' eps, or None: the default (the best accuracy the dtype allows)."""
    return (f64 if dtype == F64 else f32) if tested else None


NETWORKS = {  # name -> (dtype, tested) -> network
    "deep": lambda d, e: deepcheap.compile(POLY, eps=_eps(e, d, 1e-6, 1e-2), dtype=d),
    "shallow": lambda d, e: deepcheap.compile(POLY, strategy="shallow", eps=_eps(e, d, 1e-3, 1e-1), dtype=d),
    "relu": lambda d, e: deepcheap.compile(POLY, strategy="relu", eps=1e-6 if d == F64 else 1e-3, dtype=d),
    "boolean": lambda d, e: deepcheap.compile_boolean(sp.Xor(*sp.symbols("a b c d")) | sp.Symbol("e"),
                                                      error=1e-6 if d == F64 else 1e-3, dtype=d),
    "ising2d:16": lambda d, e: deepcheap.compile(library.ising_2d(16), eps=_eps(e, d, 1e-5, 1e-1), dtype=d),
}


def onnx_table() -> None:
    import onnxruntime as ort

    from deepcheap.compiler.onnx_export import to_onnx_model

    print("onnxruntime vs torch (max |y_onnx - y_torch| / max(1, |y|); torch's own max error vs the polynomial)")
    print(f"{'network':12s} {'dtype':8s} {'eps':8s} {'form':4s} {'|diff|':>10s} {'rel':>10s} {'torch err':>10s}")
    for name, make in NETWORKS.items():
        for dtype in (F64, F32):
            for tested in (True, False):
                if not tested and name in ("relu", "boolean"):
                    continue  # their eps is the tested one either way
                net = make(dtype, tested)
                generator = torch.Generator().manual_seed(0)
                n = len(net.variables)
                x = (torch.randint(0, 2, (3000, n), generator=generator).to(dtype) if net.binary else
                     (torch.rand(3000, n, generator=generator, dtype=torch.float64) * 2 - 1).to(dtype))
                for form in ("dag", "mlp"):
                    session = ort.InferenceSession(to_onnx_model(net, form=form).SerializeToString(),
                                                   providers=["CPUExecutionProvider"])
                    y = session.run(["y"], {"x": x.numpy()})[0].reshape(-1)
                    with torch.no_grad():
                        t = (net.module if form == "dag" else net.mlp)(x).numpy().reshape(-1)
                    diff = float(np.abs(y - t).max())
                    err = float(np.abs(t - net.target(x).numpy()).max())
                    label = "tested" if tested else "default"
                    print(f"{name:12s} {str(dtype)[6:]:8s} {label:8s} {form:4s} {diff:10.2e} "
                          f"{diff / max(1.0, float(np.abs(t).max())):10.2e} {err:10.2e}")


def refusal(tmp: Path) -> None:
    from safetensors import safe_open
    from safetensors.torch import save_file

    deepcheap.save(deepcheap.compile("x*y"), tmp / "base.dcnet")
    with safe_open(str(tmp / "base.dcnet"), framework="pt") as handle:
        meta, tensors = handle.metadata(), {k: handle.get_tensor(k) for k in handle.keys()}  # noqa: SIM118
    meta["terms"] = json.dumps([[[[0, 10**6], [1, 10**6]], 1.0]])
    meta["construction"] = json.dumps({**json.loads(meta["construction"]), "strategy": "shallow"})
    save_file(tensors, str(tmp / "crafted.dcnet"), metadata=meta)
    script = textwrap.dedent(f"""
        import resource, time, tracemalloc, deepcheap
        deepcheap.load({str(tmp / "base.dcnet")!r})
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start(); start = time.perf_counter()
        try:
            deepcheap.load({str(tmp / "crafted.dcnet")!r})
        except deepcheap.errors.ResourceLimitError as err:
            message = str(err)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) / 1024, peak / 2**20, elapsed * 1e3, message)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    rss, peak, ms, message = out.split(" ", 3)
    size = (tmp / "crafted.dcnet").stat().st_size
    print(f"\ncrafted {size}-byte .dcnet: refused in {float(ms):.1f} ms; peak RSS +{float(rss):.1f} MB, "
          f"Python allocations peak {float(peak):.2f} MB")
    print(f"  {message.strip()}")


def load_times(tmp: Path, L: int) -> None:
    start = time.perf_counter()
    net = deepcheap.compile(library.ising_2d(L))
    compile_s = time.perf_counter() - start
    deepcheap.save(net, tmp / "ising.dcnet")
    start = time.perf_counter()
    deepcheap.load(tmp / "ising.dcnet")
    load_s = time.perf_counter() - start
    size = (tmp / "ising.dcnet").stat().st_size
    print(f"\nising2d:{L}: file {size / 2**20:.1f} MiB; compile from the expression {compile_s:.2f} s, "
          f"load {load_s:.2f} s ({load_s / compile_s:.2f}x)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--L", type=int, default=64)
    args = parser.parse_args()
    try:
        onnx_table()
    except ImportError:
        print('(part 1 skipped: pip install "deepcheap[onnx]")')
    with tempfile.TemporaryDirectory() as tmp:
        refusal(Path(tmp))
        load_times(Path(tmp), args.L)
    return 0


if __name__ == "__main__":
    sys.exit(main())
