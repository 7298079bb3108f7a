"""Benchmark: `deepcheap reproduce --quick` wall time per claim, serial against process:2.

Runs the command twice, in fresh temporary directories, exactly as a user would (a new Python
process each time): once with ``--executor serial`` and once with ``--executor process:2`` (or
``--parallel``). Per-claim seconds are the claim's trial compute time from results.json; the totals
are the run's wall time from manifest.json (the sweep and the report, without interpreter start-up)
and the command's wall time. Target (CLAIMS.md): the quick run of every claim under 5 minutes on 2
CPU cores. It also checks that both runs give identical metrics (all but those a claim declares
clock-measured in ``Claim.timed_metrics``, such as C08's cost exponents).

    python benchmarks/reproduce.py [--only C03,C13] [--parallel process:2] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from deepcheap.claims import get_claim

QUICK_BUDGET_S = 300.0


def run(executor: str, only: str | None, seed: int, out: Path) -> dict:
    command = [sys.executable, "-m", "deepcheap", "reproduce", "--quick", "--executor", executor, "--seed", str(seed),
               "--out", str(out)]
    if only:
        command += ["--only", only]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    command_seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"deepcheap reproduce --executor {executor} failed:\n{done.stderr or done.stdout}")
    results = json.loads((out / "results.json").read_text())["claims"]
    manifest = json.loads((out / "manifest.json").read_text())
    return {"claims": {c["claim"]: c for c in results}, "wall": manifest["wall_seconds"], "command": command_seconds}


def _untimed(metrics: dict, timed: tuple[str, ...]) -> str:
    """The metrics as JSON text without the clock-measured keys (NaN == NaN, float bits exact)."""
    return json.dumps({k: v for k, v in metrics.items() if k not in timed}, sort_keys=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated claim ids (default: every registered claim)")
    parser.add_argument("--parallel", default="process:2", help="the executor to compare with serial")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="deepcheap-bench-") as tmp:
        serial = run("serial", args.only, args.seed, Path(tmp) / "serial")
        parallel = run(args.parallel, args.only, args.seed, Path(tmp) / "parallel")

    name = args.parallel
    print(f"deepcheap reproduce --quick{' --only ' + args.only if args.only else ''}")
    print(f"{'claim':<7}{'trials':>8}{'serial s':>11}{name + ' s':>{max(13, len(name) + 4)}}  verdict")
    identical = True
    for cid, claim in serial["claims"].items():
        other = parallel["claims"][cid]
        timed = get_claim(cid).timed_metrics
        same = _untimed(claim["metrics"], timed) == _untimed(other["metrics"], timed)
        identical &= same
        note = f"  (clock-measured, not compared: {', '.join(timed)})" if timed else ""
        print(f"{cid:<7}{claim['trials']:>8}{claim['seconds']:>11.2f}{other['seconds']:>{max(13, len(name) + 4)}.2f}  "
              f"{claim['verdict']}{'' if same else '  (METRICS DIFFER)'}{note}")
    rows = [
        ("run wall time, serial", f"{serial['wall']:.1f} s"),
        (f"run wall time, {name}", f"{parallel['wall']:.1f} s"),
        (f"speed-up {name} / serial", f"{serial['wall'] / parallel['wall']:.2f}x"),
        ("command wall time, serial", f"{serial['command']:.1f} s (with interpreter start-up and imports)"),
        (f"command wall time, {name}", f"{parallel['command']:.1f} s"),
        ("metrics identical", "yes" if identical else "NO"),
    ]
    width = max(len(k) for k, _ in rows)
    print()
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    best = min(serial["wall"], parallel["wall"])
    if not args.only:
        print(f"\nquick run {'within' if best <= QUICK_BUDGET_S else 'OVER'} the {QUICK_BUDGET_S:.0f} s budget")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
