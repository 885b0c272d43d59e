"""Solve one SSB instance: ``python -m rota.ssb INSTANCE.txt [--time-limit S] [--out FILE]``.

Progress goes to stderr; the last line of stdout is one JSON object with the instance, the
roster's recomputed objective, the proven bound, the status and the wall seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from rota.solver import solve
from rota.ssb.instance import format_roster, instance_path, load_instance, to_problem


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, solve, print the JSON summary and optionally write the roster."""
    parser = argparse.ArgumentParser(prog="python -m rota.ssb", description=__doc__)
    parser.add_argument("instance", help="instance file, or its number (looked up in SSB_DIR)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT threads (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, help="write the roster here")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)

    started = time.monotonic()
    instance = load_instance(instance_path(args.instance))
    problem = to_problem(instance)

    def log(line: str) -> None:
        print(f"[{time.monotonic() - started:7.2f}s] {line}", file=sys.stderr, flush=True)

    # Parsing counts against the budget: the limit is for the whole command.
    budget = args.time_limit - (time.monotonic() - started)
    result = solve(
        problem,
        time_limit=budget,
        workers=args.workers,
        seed=args.seed,
        log=None if args.quiet else log,
    )
    if args.out is not None and result.roster is not None:
        args.out.write_text(format_roster(result.roster), encoding="utf-8")
    summary = {
        "instance": instance.name,
        "objective": result.objective,
        "bound": result.bound,
        "status": str(result.status),
        "seconds": round(time.monotonic() - started, 3),
    }
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
