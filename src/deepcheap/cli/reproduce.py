"""`deepcheap reproduce` and `deepcheap claims`: run the paper's claims and write the report."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from deepcheap.claims import ALL_CLAIMS, select_claims
from deepcheap.cli._common import check_output_dir, console, handle_errors, print_json
from deepcheap.cli.executors import EXECUTOR_HELP, make_executor, parse_executor
from deepcheap.errors import InvalidArgumentError, check_seed
from deepcheap.report import build_manifest, now, write_manifest, write_report
from deepcheap.sweep import run_sweep

VERDICT_STYLE = {"holds": "green", "holds with caveats": "yellow", "fails": "red"}
LOG_NAME = "trials.jsonl"


@handle_errors
def reproduce(
    quick: bool = typer.Option(True, "--quick/--full", help="--quick (default, minutes) or --full (paper scale)."),
    only: str = typer.Option(None, help="Comma-separated claim ids, e.g. C02,C03 (default: all)."),
    out: Path = typer.Option(Path("deepcheap-report"), help="Output directory."),
    seed: int = typer.Option(0, help="Root seed; every trial's seed derives from it and the trial's id."),
    executor: str = typer.Option("auto", help=EXECUTOR_HELP),
    resume: bool = typer.Option(False, "--resume", help="Keep finished trials from OUT/trials.jsonl; run the rest."),
) -> None:
    """Reproduce the paper's claims: numbers, figures and verdicts in OUT/report.html and report.md."""
    scale = "quick" if quick else "full"
    claims = select_claims(only)
    check_seed(seed)
    check_output_dir(out, "--out")
    spec = parse_executor(executor)  # a bad --executor fails before anything is written
    previous = _check_out_dir(out, scale, seed, resume)
    manifest = build_manifest(scale=scale, seed=seed, claims=[c.id for c in claims],
                              arguments={"only": only, "out": str(out), "executor": executor, "resume": resume},
                              executor=str(spec))
    if previous is not None:
        manifest["resumed_from"] = {"started": previous.get("started"), "executor": previous.get("executor"),
                                    "finished": previous.get("finished")}
    manifest["finished"] = None  # written before any trial runs: a killed run leaves its manifest with its trials
    trials = {c.id: len(c.trials(scale)) for c in claims}
    reused_count = 0
    start = time.perf_counter()
    with make_executor(executor) as pool, Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True,
    ) as progress:
        out.mkdir(parents=True, exist_ok=True)  # only once the executor is up (a missing extra writes nothing)
        write_manifest(out, manifest)
        task = progress.add_task(f"{scale} run", total=sum(trials.values()))

        def on_trial(trial, record, reused):
            nonlocal reused_count
            reused_count += reused
            progress.update(task, advance=1, description=f"{trial.claim_id} {trial.trial_id}")

        def on_claim(result):
            style = VERDICT_STYLE[result.verdict]
            progress.console.print(f"{result.claim_id} [{style}]{result.verdict}[/{style}]  {result.headline}")

        results = run_sweep(claims, scale, seed, executor=pool, log_path=out / LOG_NAME, resume=resume,
                            on_trial=on_trial, on_claim=on_claim)
    manifest["finished"] = now()
    manifest["wall_seconds"] = round(time.perf_counter() - start, 2)
    manifest["timings"] = {cid: round(r.seconds, 3) for cid, r in results.items()}
    manifest["trials"] = {"total": sum(trials.values()), "reused": reused_count}
    manifest["trial_seeds"] = "seed(root, claim/trial) via numpy SeedSequence; each record in trials.jsonl has its seed"
    ordered = [results[c.id] for c in claims]
    paths = write_report(out, ordered, manifest)
    claims_run = f"{len(ordered)} claim" + ("" if len(ordered) == 1 else "s")
    table = Table(title=f"deepcheap reproduce --{scale}: {claims_run} in {manifest['wall_seconds']:.0f} s")
    for column in ("claim", "verdict", "headline"):
        table.add_column(column)
    for r in ordered:
        table.add_row(r.claim_id, f"[{VERDICT_STYLE[r.verdict]}]{r.verdict}", r.headline)
    console.print(table)
    console.print(f"report: {paths['report.html']}  (also report.md, results.json, manifest.json, {LOG_NAME})")


def _check_out_dir(out: Path, scale: str, seed: int, resume: bool) -> dict | None:
    """The manifest of the run being resumed (None if there is none); refuses a mismatched resume."""
    import json

    manifest = out / "manifest.json"
    if out.exists() and not out.is_dir():
        raise InvalidArgumentError(f"--out {out} is a file; give a directory.")
    if not (resume and manifest.exists()):
        return None
    try:
        previous = json.loads(manifest.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidArgumentError(f"{manifest} is not a deepcheap manifest; choose a new --out.") from None
    if not isinstance(previous, dict):
        raise InvalidArgumentError(f"{manifest} is not a deepcheap manifest; choose a new --out.")
    if previous.get("scale") != scale or previous.get("seed") != seed:
        raise InvalidArgumentError(
            f"{out} holds a run with scale={previous.get('scale')} seed={previous.get('seed')}; resume it with the "
            "same --quick/--full and --seed, or choose a new --out."
        )
    return previous


@handle_errors
def claims(json: bool = typer.Option(False, "--json", help="Print one JSON object and nothing else.")) -> None:
    """List the claims that `deepcheap reproduce` checks."""
    rows = [{"id": c.id, "title": c.title, "section": c.section, "statement": c.statement,
             "trials_quick": len(c.trials("quick")), "trials_full": len(c.trials("full"))} for c in ALL_CLAIMS]
    if json:
        print_json({"claims": rows})
        return
    table = Table(title="Claims checked by deepcheap reproduce")
    for column in ("id", "section", "title"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["id"], row["section"], row["title"])
    console.print(table)
