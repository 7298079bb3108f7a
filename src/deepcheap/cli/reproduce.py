"""`deepcheap reproduce` and `deepcheap claims`: run the paper's claims and write the report."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from deepcheap.claims import ALL_CLAIMS, select_claims
from deepcheap.cli._common import check_output_dir, console, err_console, handle_errors, print_json
from deepcheap.cli.executors import EXECUTOR_HELP, make_executor, parse_executor
from deepcheap.errors import check_positive, check_seed
from deepcheap.executors import DEFAULT_CONNECT_TIMEOUT
from deepcheap.report import build_manifest, now, write_manifest, write_report
from deepcheap.rundir import LOG_NAME, RunDirectory
from deepcheap.sweep import ResumeState, claim_configs, plan_trials, resolve_configs, run_sweep

VERDICT_STYLE = {"holds": "green", "holds with caveats": "yellow", "fails": "red", "untested": "blue"}


@handle_errors
def reproduce(
    quick: bool = typer.Option(True, "--quick/--full", help="--quick (default, minutes) or --full (paper scale)."),
    only: str = typer.Option(None, help="Comma-separated claim ids, e.g. C02,C03 (default: all)."),
    out: Path = typer.Option(Path("deepcheap-report"), help="Output directory (created if missing)."),
    seed: int = typer.Option(0, help="Root seed; every trial's seed derives from it and the trial's id."),
    executor: str = typer.Option("auto", help=EXECUTOR_HELP),
    resume: bool = typer.Option(False, "--resume", help="Keep finished trials from OUT/trials.jsonl; run the rest."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the results of an earlier run in OUT."),
    connect_timeout: float = typer.Option(DEFAULT_CONNECT_TIMEOUT, "--connect-timeout",
                                          help="Seconds to wait for a dask:ADDRESS scheduler to answer."),
) -> None:
    """Reproduce the paper's claims: numbers, figures and verdicts in OUT/report.html and report.md."""
    scale = "quick" if quick else "full"
    claims = select_claims(only)
    check_seed(seed)
    check_output_dir(out, "--out")
    spec = parse_executor(executor)  # a bad --executor fails before anything is written
    check_positive("--connect-timeout", connect_timeout)
    configs = resolve_configs(claims, scale)
    plan = plan_trials(claims, configs)
    recorded = claim_configs(plan, configs)
    run_dir = RunDirectory(out, scale=scale, seed=seed, resume=resume, overwrite=overwrite, configs=recorded)
    run_dir.check()  # fail before workers start; checked again under the lock
    manifest = build_manifest(scale=scale, seed=seed, claims=[c.id for c in claims],
                              arguments={"only": only, "out": str(out), "executor": executor, "resume": resume,
                                         "overwrite": overwrite},
                              executor=str(spec))
    manifest["claim_configs"] = recorded
    manifest["finished"] = None  # written before any trial runs: a killed run leaves its manifest with its trials
    trials = {claim.id: len(planned) for claim, planned in plan}
    reused_count = 0
    state = ResumeState()
    start = time.perf_counter()
    with make_executor(executor, connect_timeout=connect_timeout) as pool, \
            run_dir, Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                              TimeElapsedColumn(), console=console, transient=True) as progress:
        if run_dir.previous is not None:
            previous = run_dir.previous
            manifest["resumed_from"] = {"started": previous.get("started"), "executor": previous.get("executor"),
                                        "finished": previous.get("finished")}
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
                            on_trial=on_trial, on_claim=on_claim, resume_state=state)
        if state.damaged or state.stale:
            err_console.print(f"note: {out / LOG_NAME}: skipped {state.damaged} unreadable line(s) and "
                              f"{state.stale} record(s) of another configuration; those trials were redone.")
        manifest["finished"] = now()
        manifest["wall_seconds"] = round(time.perf_counter() - start, 2)
        manifest["timings"] = {cid: round(r.seconds, 3) for cid, r in results.items()}
        manifest["trials"] = {"total": sum(trials.values()), "reused": reused_count,
                              "skipped_lines": state.damaged, "stale_records": state.stale}
        manifest["trial_seeds"] = ("seed(root, claim/trial) via numpy SeedSequence; each record in trials.jsonl has "
                                   "its seed")
        ordered = [results[c.id] for c in claims]
        paths = write_report(out, ordered, manifest)
    claims_run = f"{len(ordered)} claim" + ("" if len(ordered) == 1 else "s")
    table = Table(title=f"deepcheap reproduce --{scale}: {claims_run} in {manifest['wall_seconds']:.0f} s")
    for column in ("claim", "verdict", "measurements", "headline"):
        table.add_column(column)
    for r in ordered:
        counts = r.counts()["measurement"]
        table.add_row(r.claim_id, f"[{VERDICT_STYLE[r.verdict]}]{r.verdict}", f"{counts['passed']}/{counts['total']}",
                      r.headline)
    console.print(table)
    console.print(f"report: {paths['report.html']}  (also report.md, results.json, manifest.json, {LOG_NAME})")


@handle_errors
def claims(json: bool = typer.Option(False, "--json", help="Print one JSON object and nothing else.")) -> None:
    """List the claims that `deepcheap reproduce` checks."""
    rows = [{"id": c.id, "title": c.title, "section": c.section, "statement": c.statement,
             "trials_quick": len(c.trials(c.QUICK)), "trials_full": len(c.trials(c.FULL))} for c in ALL_CLAIMS]
    if json:
        print_json({"claims": rows})
        return
    table = Table(title="Claims checked by deepcheap reproduce")
    for column in ("id", "section", "title"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["id"], row["section"], row["title"])
    console.print(table)
