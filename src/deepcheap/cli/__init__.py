"""The `deepcheap` command line: the only place that prints, shows progress or parses arguments."""

from __future__ import annotations

import typer

from deepcheap._version import __version__
from deepcheap.cli import compile as _compile
from deepcheap.cli import decompile as _decompile
from deepcheap.cli import flatten as _flatten
from deepcheap.cli import gate as _gate
from deepcheap.cli import ising as _ising
from deepcheap.cli import reproduce as _reproduce

app = typer.Typer(
    name="deepcheap",
    help="Why does deep and cheap learning work so well? Executable, measured.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"deepcheap {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """deepcheap: the claims of Lin, Tegmark & Rolnick (2017) as code, numbers and figures."""


app.command("reproduce")(_reproduce.reproduce)
app.command("claims")(_reproduce.claims)
app.command("gate")(_gate.gate)
app.command("compile")(_compile.compile_command)
app.command("decompile")(_decompile.decompile_command)
app.add_typer(_flatten.flatten_app, name="flatten")
app.add_typer(_ising.ising_app, name="ising")
