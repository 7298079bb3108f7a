"""`python -m deepcheap` runs the command line."""

from deepcheap.cli import app

app(prog_name="deepcheap")
