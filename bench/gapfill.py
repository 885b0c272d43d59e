"""The ICS gap-filling benchmark: the reference ICS, a week with about 2,000 open shifts.

The problem is built in memory with the demo generator's distributions (``app.demo``,
``bank.demo``, ``passport.demo``: 24 Trusts of 1-3 sites and 4-7 departments, 6,000 workers
in the demo's staff mix and grades, 94% approved in the collaborative bank, each credential
verified with probability 0.92, the last Trust inducting everyone itself, shifts in the demo's
three patterns at the demo's rate cards), rather than loaded from a database: loading 6,000
workers' passports through the adapter is the adapter's cost, not the solver's, and this way
the benchmark needs no server. What the demo does not have, it adds: a week of about 2,000
open shifts, the substantive rota most bank workers also work (so the rules bite across
Trusts), existing bank bookings, and preferences, weekly limits and opt-ins.

Each algorithm runs in its own process, one after the other, so that peak memory is its own;
every proposal is then checked independently with ``bank.rules.check_schedule``.

    .venv/bin/python -m bench.gapfill [--time-limit 30] [--workers 2] [--seed 0] [--top-k 12]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from bank.rules import Commitment, check_schedule
from bank.rules.ruleset import DOCTORS_IN_TRAINING, WORKING_TIME_REGULATIONS
from rota.solver.gapfill import (
    GapParams,
    GapProblem,
    GapResult,
    GapWorker,
    OpenShift,
    first_come_gaps,
    solve_gaps,
)

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2026, 11, 2, tzinfo=LONDON)
STAFF_MIX = (("medical", 0.55), ("nursing", 0.35), ("ahp", 0.05), ("support", 0.05))
GRADES = {
    "medical": (
        "FY1", "FY2", "CT1", "CT2", "ST3", "ST4", "ST5", "ST6", "ST7", "ST8", "SAS", "Consultant",
    ),
    "nursing": ("Band 5", "Band 6", "Band 7", "Band 8a"),
    "ahp": ("Band 5", "Band 6", "Band 7", "Band 8a"),
    "support": ("Band 2", "Band 3", "Band 4"),
}  # fmt: skip
CORE_PENCE = {
    "FY1": 6200, "FY2": 7200, "CT1": 8200, "CT2": 8200, "ST3": 9300, "ST4": 9300, "ST5": 9300,
    "ST6": 10300, "ST7": 10300, "ST8": 10300, "SAS": 9800, "Consultant": 13500,
    "Band 2": 1250, "Band 3": 1350, "Band 4": 1500, "Band 5": 1900, "Band 6": 2400,
    "Band 7": 2900, "Band 8a": 3400,
}  # fmt: skip
PATTERNS = ((clock(8, 0), 8.5), (clock(8, 0), 12.5), (clock(20, 0), 12.5))
REQUIRED = ("Identity", "Right to work", "References", "Enhanced DBS", "Work health")
REGISTRATION = {"medical": "GMC registration", "nursing": "NMC registration", "ahp": "HCPC"}
NOT_IN_TRAINING = {"SAS", "Consultant"}


def gapfill_title(people: int = 6000) -> str:
    """The `make bench` heading of one gap-filling table."""
    what = "reference ICS" if people == 6000 else "tight market"
    return (
        f"== ICS gap filler, {what}: 24 Trusts, {people:,} workers, a week of ~2,000 open "
        "shifts (built in memory); 30 s, 2 workers, seed 0; bound = matching ignoring the rules; "
        "breaches = check_schedule on every worker's whole schedule"
    )


GAPFILL_TITLE = gapfill_title()


def _at(day: datetime, begin: clock, hours: float) -> tuple[datetime, datetime]:
    start = datetime.combine(day.date(), begin, LONDON)
    end = (start.astimezone(ZoneInfo("UTC")) + timedelta(hours=hours)).astimezone(LONDON)
    return start, end


def reference_ics(
    *, trusts: int = 24, workers: int = 6000, open_shifts: int = 2000, seed: int = 0
) -> GapProblem:
    """The reference ICS's gap-filling problem for the week from Monday 2 November 2026."""
    rng = random.Random(seed)
    sites = {t: [t * 10 + k for k in range(rng.randint(1, 3))] for t in range(1, trusts + 1)}
    uplift = {t: 1 + rng.choice([-0.05, 0, 0, 0.05, 0.1]) for t in sites}

    # Workers: the demo's mix, passports, memberships; a substantive rota; preferences.
    groups, weights = zip(*STAFF_MIX, strict=True)
    people: list[GapWorker] = []
    profile: dict[int, tuple[str, str, bool, frozenset[str]]] = {}
    for wid in range(1, workers + 1):
        group = rng.choices(groups, weights)[0]
        grade = rng.choice(GRADES[group])
        home = rng.randint(1, trusts)
        member = rng.random() > 0.06
        needed = (*REQUIRED, REGISTRATION[group]) if group in REGISTRATION else REQUIRED
        missing = frozenset(code for code in needed if rng.random() < 0.08)
        profile[wid] = (group, grade, member, missing)
        rule_set = (
            DOCTORS_IN_TRAINING
            if group == "medical" and grade not in NOT_IN_TRAINING
            else WORKING_TIME_REGULATIONS
        )
        commitments = []
        # Most bank workers also hold a substantive post: the week before, this week and the
        # next, at their home Trust (doctors: four 8.5 h days; others: three long days).
        if rng.random() < 0.7:
            for week in (-1, 0, 1):
                days = rng.sample(range(7), 4 if group == "medical" else 3)
                for d in sorted(days):
                    hours = 8.5 if group == "medical" else 12.5
                    start, end = _at(MONDAY + timedelta(days=7 * week + d), clock(8), hours)
                    commitments.append(
                        Commitment(f"rota:{wid}:{week}:{d}", start, end, home, "rota")
                    )
        preferred = frozenset()
        if rng.random() < 0.5:
            preferred = frozenset({home, *rng.sample(range(1, trusts + 1), rng.randint(0, 2))})
        people.append(
            GapWorker(
                wid,
                tuple(commitments),
                rule_set,
                opted_out=rng.random() < 0.1,
                max_shifts_per_week=rng.choice([None, None, 1, 2, 2, 3, 4]),
                preferred_trust_ids=preferred,
                preferred_site_ids=frozenset(
                    rng.sample(sites[home], 1) if rng.random() < 0.2 else ()
                ),
                accepts_assignments=rng.random() < 0.3,
                willing=rng.random() > 0.03,
            )
        )
    by_grade: dict[tuple[str, str], list[int]] = defaultdict(list)
    for wid, (group, grade, _, _) in profile.items():
        by_grade[group, grade].append(wid)

    # Open shifts: the demo's patterns, groups and grades, spread over the week.
    shifts: list[OpenShift] = []
    eligible: dict[int, tuple[int, ...]] = {}
    excluded: dict[int, dict[str, int]] = {}
    per_day = open_shifts / (trusts * 7)
    sid = 0
    for trust in sites:
        inducts = trust == trusts  # the last Trust inducts everyone itself (passport demo)
        for day in range(7):
            count = int(per_day) + (rng.random() < per_day - int(per_day))
            for _ in range(count):
                sid += 1
                group = rng.choices(["medical", "nursing"], [0.6, 0.4])[0]
                grade = rng.choice(GRADES[group][:-1])
                begin, hours = rng.choice(PATTERNS)
                start, end = _at(MONDAY + timedelta(days=day), begin, hours)
                unsocial = begin.hour >= 20 or start.weekday() >= 5
                rate = round(CORE_PENCE[grade] * uplift[trust] * (1.3 if unsocial else 1))
                shifts.append(
                    OpenShift(
                        sid,
                        start,
                        end,
                        trust,
                        rng.choice(sites[trust]),
                        urgent=day <= 1,
                        cost_pence=round(rate * hours),
                        label=f"{grade} {start:%a %H:%M}",
                    )
                )
                position = GRADES[group].index(grade)
                ok, why = [], Counter()
                for g in GRADES[group][max(0, position - 1) : position + 2]:
                    for wid in by_grade[group, g]:
                        _, _, member, missing = profile[wid]
                        needs = (*REQUIRED, REGISTRATION[group])
                        if not member:
                            why["not in the collaborative bank"] += 1
                        elif inducts:
                            why["missing Local induction"] += 1
                        elif lacking := [c for c in needs if c in missing]:
                            why[f"missing {lacking[0]}"] += 1
                        else:
                            ok.append(wid)
                eligible[sid] = tuple(ok)
                excluded[sid] = dict(why)
    return GapProblem(tuple(shifts), tuple(people), eligible, excluded)


def fairness(problem: GapProblem, result: GapResult) -> dict[str, float]:
    """How evenly shifts are spread among willing workers who could take any."""
    willing = {w.id for w in problem.workers if w.willing}
    could = {w for ws in problem.eligible.values() for w in ws if w in willing}
    counts = Counter(a.worker_id for a in result.assignments)
    loads = sorted(counts.get(w, 0) for w in could)
    n, total = len(loads), sum(loads)
    gini = (
        sum((2 * i - n - 1) * x for i, x in enumerate(loads, start=1)) / (n * total)
        if n and total
        else 0.0
    )
    return {
        "workers_used": len(counts),
        "max_per_worker": max(counts.values(), default=0),
        "with_2_or_more": sum(1 for c in counts.values() if c >= 2),
        "gini": gini,
    }


def independent_check(problem: GapProblem, result: GapResult) -> int:
    """Breaches in every worker's whole schedule with the proposals, by ``check_schedule``."""
    shifts = {s.id: s for s in problem.shifts}
    workers = {w.id: w for w in problem.workers}
    mine: dict[int, list] = defaultdict(list)
    for a in result.assignments:
        mine[a.worker_id].append(shifts[a.shift_id].commitment())
    breaches = 0
    for wid, extra in mine.items():
        w = workers[wid]
        before = len(check_schedule(w.commitments, w.rule_set, opted_out=w.opted_out))
        after = len(check_schedule([*w.commitments, *extra], w.rule_set, opted_out=w.opted_out))
        breaches += after - before
    return breaches


def not_preferred(problem: GapProblem, result: GapResult) -> int:
    """Proposals at a Trust outside the worker's preferred Trusts."""
    shifts = {s.id: s for s in problem.shifts}
    workers = {w.id: w for w in problem.workers}
    return sum(
        1
        for a in result.assignments
        if workers[a.worker_id].preferred_trust_ids
        and shifts[a.shift_id].trust_id not in workers[a.worker_id].preferred_trust_ids
    )


def _rss_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return 0.0


def _run(
    name: str, params: GapParams, seed: int, people: int, queue: multiprocessing.Queue
) -> None:
    problem = reference_ics(seed=seed, workers=people)
    base = _rss_mb("VmRSS")
    started = time.perf_counter()
    solve = first_come_gaps if name == "greedy" else solve_gaps
    result = solve(problem, params)
    seconds = time.perf_counter() - started
    peak = _rss_mb("VmHWM")
    reasons = Counter(o.reason.value for o in result.left_open)
    queue.put(
        {
            "name": name,
            "open_shifts": len(problem.shifts),
            "filled": len(result.assignments),
            "upper_bound": result.upper_bound,
            "cost_pence": result.cost_pence,
            "seconds": seconds,
            "peak_mb": peak,
            "problem_mb": base,
            "breaches": independent_check(problem, result),
            "status": result.status,
            "rounds": result.rounds,
            "cuts": result.cuts,
            "dropped": result.dropped,
            "not_preferred": not_preferred(problem, result),
            "reasons": dict(reasons),
            "stats": dict(result.stats),
            **fairness(problem, result),
        }
    )


def run_gapfill(
    *, time_limit: float = 30, workers: int = 2, seed: int = 0, top_k: int = 12, people: int = 6000
) -> list[dict]:
    """Greedy baseline, then the gap filler, each in its own process; one row each.

    ``people`` other than 6,000 makes a tighter market (the same shifts, fewer workers), where
    the rules and weekly limits bind and the matching bound is far above what can be filled.
    """
    params = GapParams(time_limit=time_limit, workers=workers, seed=seed, top_k=top_k)
    rows = []
    context = multiprocessing.get_context("fork")
    for name in ("greedy", "cp-sat"):
        queue = context.Queue()
        proc = context.Process(target=_run, args=(name, params, seed, people, queue))
        proc.start()
        rows.append(queue.get())
        proc.join()
    return rows


def table_rows(rows: list[dict]) -> list[dict]:
    """The rows as `make bench` prints them."""
    out = []
    for r in rows:
        out.append(
            {
                "method": "first-come greedy" if r["name"] == "greedy" else "gap filler (CP-SAT)",
                "filled": f"{r['filled']}/{r['open_shifts']}",
                "of_bound": f"{100 * r['filled'] / max(1, r['upper_bound']):.2f}%",
                "bound": r["upper_bound"],
                "breaches": r["breaches"],
                "cost_£": f"{r['cost_pence'] / 100:,.0f}",
                "not_pref": r["not_preferred"],
                "workers": r["workers_used"],
                "max/wkr": r["max_per_worker"],
                "gini": f"{r['gini']:.3f}",
                "seconds": f"{r['seconds']:.1f}",
                "peak_MB": f"{r['peak_mb']:.0f}",
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    from bench.ssb import format_table

    parser = argparse.ArgumentParser(prog="python -m bench.gapfill", description=__doc__)
    parser.add_argument("--time-limit", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--top-k", type=int, default=12)
    parser.add_argument("--people", type=int, default=6000, help="bank workers (6,000: the ICS)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    rows = run_gapfill(
        time_limit=args.time_limit,
        workers=args.workers,
        seed=args.seed,
        top_k=args.top_k,
        people=args.people,
    )
    print(gapfill_title(args.people))
    print(format_table(table_rows(rows)))
    if args.verbose:
        for r in rows:
            extra = {k: r[k] for k in ("status", "reasons", "rounds", "cuts", "dropped")}
            print(r["name"], extra, {k: round(v, 2) for k, v in r["stats"].items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
