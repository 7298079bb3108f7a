"""Shared CLI plumbing: consoles, one-line errors (exit 2), JSON output, option parsing."""

from __future__ import annotations

import functools
import json
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from deepcheap.errors import DeepCheapError, InvalidArgumentError

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

EXIT_BAD_INPUT = 2


def handle_errors(command: Callable) -> Callable:
    """Turn a DeepCheapError into one line on stderr and exit status 2 (no traceback)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DeepCheapError as err:
            message = str(err).replace("\n", " ")
            err_console.print(f"error: {message}", markup=False, soft_wrap=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None

    return wrapper


def print_json(payload: Any) -> None:
    """One JSON object on stdout and nothing else (non-finite floats become null)."""
    sys.stdout.write(json.dumps(_finite(payload), indent=2, default=_default) + "\n")
    sys.stdout.flush()


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def parse_domain(text: str) -> tuple[float, float]:
    """'LO,HI' -> (lo, hi); errors say what to type."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 2:
        raise InvalidArgumentError(f"--domain takes LO,HI (for example --domain=-1,1); got {text!r}.")
    try:
        lo, hi = float(parts[0]), float(parts[1])
    except ValueError:
        raise InvalidArgumentError(f"--domain takes two numbers LO,HI; got {text!r}.") from None
    from deepcheap.errors import check_domain

    return check_domain((lo, hi), "--domain")


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def check_output_file(path: Path, option: str) -> Path:
    """A file we may write: its directory exists and is writable, and it is not a directory itself."""
    path = Path(path)
    if path.is_dir() or str(path).endswith(os.sep) or not path.name:
        raise InvalidArgumentError(f"{option} {path} is a directory; give a file name, e.g. {option} net.dcnet.")
    parent = path.parent
    if not parent.exists():
        raise InvalidArgumentError(f"{option} {path}: the directory {parent} does not exist; create it first or "
                                   "choose another path.")
    if not parent.is_dir():
        raise InvalidArgumentError(f"{option} {path}: {parent} is not a directory; choose another path.")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InvalidArgumentError(f"{option} {path} cannot be written (permission denied); choose another path.")
    return path


def check_output_dir(path: Path, option: str) -> Path:
    """A directory we may create (missing parents included) and write into; nothing is created here."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InvalidArgumentError(f"{option} {path} is a file; give a directory.")
    existing = path
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise InvalidArgumentError(f"{option} {path}: {existing} is a file, so the directory cannot be created; "
                                   "choose another path.")
    if not os.access(existing, os.W_OK | os.X_OK):
        what = "written" if existing == path else f"created (no permission to write in {existing})"
        raise InvalidArgumentError(f"{option} {path} cannot be {what}; choose another directory.")
    return path
