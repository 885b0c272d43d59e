"""Benchmark the roster solver on the Curtois & Qu shift scheduling instances.

Each instance runs in its own ``python -m rota.ssb`` subprocess (so memory and solver state do
not leak from one to the next), one at a time, and every roster is judged by the independent
checker. Run from the repository root::

    .venv/bin/python -m bench.ssb [--time-limit 60] [--workers 2] [--seed 0] [--seeds 1]
                                  [INSTANCE ...]

Results vary from seed to seed at two workers, so the benchmark's README asks for the median of
a few seeds: ``--seeds N`` runs seeds ``seed`` to ``seed + N - 1`` on every instance, prints every
run, then one line per instance with the median, the best and the worst.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from rota.ssb.checker import check_files
from rota.ssb.instance import instance_path, load_instance

#: Best known objective values, from the benchmark README (shared/benchmarks/README.md), which
#: cites the maintainers' site and Rahimian, Akartunali and Levine (EJOR 2017).
BEST_KNOWN = {
    1: 607,
    3: 1001,
    5: 1143,
    7: 1056,
    9: 439,
    11: 3443,
    13: 1348,
    15: 3829,
    17: 5746,
    19: 3149,
    21: 21133,
    23: 17428,
}

REPO_ROOT = Path(__file__).resolve().parents[1]


def run_instance(number: int, time_limit: float, workers: int, seed: int) -> dict:
    """Solve one instance in a subprocess and check its roster.

    Args:
        number: Instance number (1, 3, ..., 23).
        time_limit: Seconds given to the solver.
        workers: CP-SAT threads.
        seed: Random seed.

    Returns:
        One result row (see :func:`run_ssb`).
    """
    path = instance_path(number)
    instance = load_instance(path)
    size = f"{instance.horizon}x{len(instance.staff)}x{len(instance.shifts)}"
    with tempfile.TemporaryDirectory() as tmp:
        roster_file = Path(tmp) / "roster.txt"
        command = [
            sys.executable,
            "-m",
            "rota.ssb",
            str(path),
            "--time-limit",
            str(time_limit),
            "--workers",
            str(workers),
            "--seed",
            str(seed),
            "--out",
            str(roster_file),
            "--quiet",
        ]
        # The machine is shared: the load when the run starts says how far a figure is to be
        # trusted (two workers on a two-core machine with load 6 get about a third of a core).
        load = os.getloadavg()[0]
        done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        lines = done.stdout.strip().splitlines()
        summary = json.loads(lines[-1]) if lines else {}
        report = check_files(path, roster_file) if roster_file.exists() else None
    bks = BEST_KNOWN.get(number)
    objective = report.objective if report is not None else None
    return {
        "instance": instance.name,
        "seed": seed,
        "days_staff_types": size,
        "bks": bks,
        "objective": objective,
        "bound": summary.get("bound"),
        "gap_to_bks_pct": (
            round(100 * (objective - bks) / bks, 2) if objective is not None and bks else None
        ),
        "status": summary.get("status", "ERROR"),
        "seconds": summary.get("seconds"),
        # The solver's own claim must match the checker's recomputation too.
        "checker_ok": bool(
            report is not None and report.feasible and report.objective == summary.get("objective")
        ),
        "load_1min": round(load, 2),
    }


def run_ssb(
    instances: list[int] | None = None,
    time_limit: float = 60,
    workers: int = 2,
    seeds: Sequence[int] = (0,),
    on_run: Callable[[dict], None] | None = None,
) -> list[dict]:
    """Run the benchmark, one run at a time: every seed of one instance, then the next.

    Args:
        instances: Instance numbers; all twelve when None.
        time_limit: Seconds per run.
        workers: CP-SAT threads.
        seeds: Random seeds, one run each.
        on_run: Called with each run's row as soon as it is done.

    Returns:
        One row per run: instance, seed, days_staff_types, bks, objective, bound,
        gap_to_bks_pct, status, seconds, checker_ok, load_1min (at the start of the run).
    """
    numbers = instances if instances is not None else sorted(BEST_KNOWN)
    rows = []
    for number in numbers:
        for seed in seeds:
            rows.append(run_instance(number, time_limit, workers, seed))
            if on_run is not None:
                on_run(rows[-1])
    return rows


def median_rows(rows: list[dict]) -> list[dict]:
    """One row per instance over its runs (rows of :func:`run_ssb`): the seeds, the median
    objective and its gap to the best known, the best and the worst, and whether the checker
    passed every roster. A run without a roster is worse than any: it leaves the median and the
    worst empty, rather than a figure made of the other runs alone."""
    by_instance: dict[str, list[dict]] = {}
    for row in rows:
        by_instance.setdefault(row["instance"], []).append(row)
    summary = []
    for name, runs in by_instance.items():
        found = [run["objective"] for run in runs if run["objective"] is not None]
        complete = len(found) == len(runs)
        median = statistics.median(found) if complete else None
        if median is not None and float(median).is_integer():
            median = int(median)  # printed as the objectives are
        bks = runs[0]["bks"]
        summary.append(
            {
                "instance": name,
                "seeds": ",".join(str(run["seed"]) for run in runs),
                "bks": bks,
                "median": median,
                "median_gap_pct": (
                    round(100 * (median - bks) / bks, 2) if median is not None and bks else None
                ),
                "best": min(found, default=None),
                "worst": max(found) if complete else None,
                "checker_ok": all(run["checker_ok"] for run in runs),
            }
        )
    return summary


def format_table(rows: list[dict]) -> str:
    """The rows as a plain-text table."""
    columns = list(rows[0]) if rows else []
    cells = [[str(row[c]) if row[c] is not None else "-" for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: run and print the table (rows also printed as JSON lines on request)."""
    parser = argparse.ArgumentParser(prog="python -m bench.ssb", description=__doc__)
    parser.add_argument("instances", nargs="*", type=int, help="instance numbers (default: all)")
    parser.add_argument("--time-limit", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="the first seed")
    parser.add_argument("--seeds", type=int, default=1, help="runs per instance, one per seed")
    parser.add_argument("--json", action="store_true", help="also print each row as JSON")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds: at least 1")
    rows = run_ssb(
        args.instances or None,
        args.time_limit,
        args.workers,
        seeds=range(args.seed, args.seed + args.seeds),
        on_run=(lambda row: print(json.dumps(row), flush=True)) if args.json else None,
    )
    print(format_table(rows))
    if args.seeds > 1:
        print()
        print(format_table(median_rows(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
