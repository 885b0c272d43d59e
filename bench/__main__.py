"""`make bench`: every benchmark, printed as tables.

    python -m bench [--only api,flash,search,rules,gapfill,ssb] [--ssb-time-limit 60]
                    [--ssb-instances 1,3,5] [--ssb-seeds 1]

`api` the API-read baseline, `flash` the flash crowd of bookings (its ratio to the baseline
needs `api` in the same run), `search` the marketplace search in the reference ICS (building it
takes about a minute), `rules` the safe-working rules, `gapfill` the ICS gap filler and its
first-come greedy baseline (in memory), then the gap filler end to end on the demo ICS in a
database, `ssb` the rota solver (with `--ssb-seeds N`, seeds 0 to N-1 on every instance, and a
second table of each instance's median, best and worst).

The first table's first row, an authenticated API read served by gunicorn, is the baseline
that later rows are compared to, measured in the same run. Figures are for this machine
(`nproc` cores), printed with it; the server benchmarks also print the 1-minute load average
as they finish, since on a shared machine other processes slow them down.
"""

from __future__ import annotations

import argparse
import os
import platform

from bench.ssb import format_table

CHOICES = ("api", "flash", "search", "rules", "gapfill", "ssb")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ",".join(CHOICES)))
    parser.add_argument(
        "--ssb-time-limit", type=float, default=float(os.environ.get("BENCH_SSB_TIME_LIMIT", 60))
    )
    parser.add_argument("--ssb-instances", default=os.environ.get("BENCH_SSB_INSTANCES", ""))
    parser.add_argument("--ssb-seeds", type=int, default=int(os.environ.get("BENCH_SSB_SEEDS", 1)))
    args = parser.parse_args(argv)
    if args.ssb_seeds < 1:
        parser.error("--ssb-seeds: at least 1")
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    if unknown := only - set(CHOICES):
        parser.error(f"--only: unknown {', '.join(sorted(unknown))}; choose from {CHOICES}")
    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}\n"
    )

    baseline = None
    if "api" in only:
        from bench.api_read import run_api_read

        row = baseline = run_api_read()
        print("== Web and API (baseline)")
        print(
            format_table(
                [
                    {
                        "benchmark": row["benchmark"],
                        "requests": row["requests"],
                        "failed": row["failures"],
                        "per_second": f"{row['per_second']:.0f}",
                        "p50_ms": f"{row['p50_ms']:.1f}",
                        "p99_ms": f"{row['p99_ms']:.1f}",
                        "load": f"{os.getloadavg()[0]:.1f}",
                    }
                ]
            )
        )
        print()

    if "flash" in only:
        from bench.flash_crowd import FLASH_TITLE, run_flash_crowd

        print(FLASH_TITLE)
        print(format_table([run_flash_crowd(baseline)]))
        print()

    if "search" in only:
        from bench.marketplace import SEARCH_TITLE, run_marketplace

        print(SEARCH_TITLE)
        print(format_table(run_marketplace()))
        print()

    if "rules" in only:
        from bench.rules import run_rules_bench

        print("== Safe-working rules: one worker's 26 weeks against 2,000 open shifts")
        print(format_table([run_rules_bench()]))
        print()

    if "gapfill" in only:
        from bench.gapfill import gapfill_title, run_gapfill, table_rows

        for people in (6000, 1000):  # the reference ICS, then a market where the rules bind
            print(gapfill_title(people))
            print(format_table(table_rows(run_gapfill(people=people))))
            print()
        from bench.gapfill_db import GAPFILL_DB_TITLE, run_gapfill_db

        print(GAPFILL_DB_TITLE)  # loading through the database included
        print(format_table([run_gapfill_db()]))
        print()

    if "ssb" in only:
        from bench.ssb import median_rows, run_ssb

        instances = [int(n) for n in args.ssb_instances.split(",") if n] or None
        seeds = range(args.ssb_seeds)
        named = "seed 0" if args.ssb_seeds == 1 else f"seeds 0-{args.ssb_seeds - 1}"
        print(
            f"== Shift scheduling benchmark (Curtois & Qu), {args.ssb_time_limit:g} s each, "
            f"2 workers, {named}"
        )
        rows = run_ssb(instances, time_limit=args.ssb_time_limit, workers=2, seeds=seeds)
        print(format_table(rows))
        if args.ssb_seeds > 1:
            print()
            print("== Per instance over the seeds (the benchmark's README: judge on the median)")
            print(format_table(median_rows(rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
