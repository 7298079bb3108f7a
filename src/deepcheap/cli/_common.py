"""Shared CLI plumbing: consoles, one-line errors (exit 2), JSON output, option parsing."""

from __future__ import annotations

import functools
import json
import math
import sys
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console

from deepcheap.errors import DeepCheapError, InvalidArgumentError
from deepcheap.paths import check_output_dir, check_output_file  # noqa: F401 - re-exported for the commands

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


def print_record(payload: dict, title: str, as_json: bool) -> None:
    """A flat record: one JSON object (``--json``) or a two-column table of key and value."""
    if as_json:
        print_json(payload)
        return
    from rich.table import Table

    table = Table(title=title, show_header=False)
    for key, value in payload.items():
        table.add_row(key, fmt(value))
    console.print(table)


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
