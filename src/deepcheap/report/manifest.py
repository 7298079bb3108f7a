"""manifest.json: everything needed to know how a run was made (versions, platform, seeds, timings)."""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path

_PACKAGES = ("deepcheap", "torch", "numpy", "scipy", "sympy", "mpmath", "matplotlib", "typer", "rich", "numba", "dask")


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_revision() -> str | None:
    """The commit of the deepcheap source tree, if it is a git checkout (else None)."""
    source = Path(__file__).resolve().parents[3]
    try:
        out = subprocess.run(["git", "-C", str(source), "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    dirty = subprocess.run(["git", "-C", str(source), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, timeout=5, check=False).stdout.strip()
    return out.stdout.strip() + ("-dirty" if dirty else "")


def now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def build_manifest(*, scale: str, seed: int, claims: list[str], arguments: dict, executor: str) -> dict:
    import torch

    return {
        "scale": scale,
        "seed": seed,
        "claims": claims,
        "executor": executor,
        "arguments": arguments,
        "versions": package_versions(),
        "git": git_revision(),
        "platform": {
            "system": platform.system(),
            "release": platform.release(),
            "machine": platform.machine(),
            "processor": platform.processor(),
            "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "python": sys.version.split()[0],
        },
        "started": now(),
    }
