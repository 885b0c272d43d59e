"""The gap filler through the database: a run over a demo ICS, topped up to ~2,000 open shifts.

    FLASK_APP=wsgi DATABASE_URL=... flask demo load --trusts 24 --workers 6000
    DATABASE_URL=... .venv/bin/python -m bench.gapfill_db [--open 2000] [--time-limit 30]

Adds open collaborative shifts for the coming week with one bulk insert (the demo's patterns,
grades and rate cards) until the week holds ``--open`` of them, then runs the whole bank as the
ICS administrator exactly as the page does (`start_run`, then `solve_run` inline) and prints
how long the whole run took against its time limit (loading and writing, then solving) and
the share of the matching bound it filled, against the issue's target.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

LONDON = ZoneInfo("Europe/London")


def top_up(open_shifts: int, now: datetime, seed: int = 0) -> int:
    """Add open collaborative shifts over the next 7 days until there are ``open_shifts``."""
    from app.extensions import db
    from app.models import Department
    from app.reference import GRADES, StaffGroup
    from bank.demo import PATTERNS
    from bank.models import RateCard, Shift, ShiftStatus, Tier
    from bank.services.shifts import band_for

    until = now + timedelta(days=7)
    have = db.session.scalar(
        sa.select(sa.func.count(Shift.id)).where(
            Shift.status == ShiftStatus.OPEN, Shift.start_at > now, Shift.start_at < until
        )
    )
    rng = random.Random(seed)
    departments = db.session.execute(sa.select(Department.id, Department.trust_id)).all()
    rates = {
        (r.trust_id, r.grade, r.band): r.pence_per_hour
        for r in db.session.scalars(sa.select(RateCard))
    }
    today = now.astimezone(LONDON).date()
    rows = []
    for _ in range(max(0, open_shifts - have)):
        department_id, trust_id = rng.choice(departments)
        group = rng.choices([StaffGroup.MEDICAL, StaffGroup.NURSING], [0.6, 0.4])[0]
        grade = rng.choice(GRADES[group][:-1])
        begin, hours = rng.choice(PATTERNS)
        day = today + timedelta(days=rng.randint(1, 6))
        start = datetime.combine(day, begin, LONDON)
        end = start + timedelta(hours=hours)
        band = band_for(start, end)
        position = GRADES[group].index(grade)
        rows.append(
            {
                "trust_id": trust_id,
                "department_id": department_id,
                "staff_group": group,
                "grade": grade,
                "acceptable_grades": list(GRADES[group][max(0, position - 1) : position + 2]),
                "required_credentials": [],
                "start_at": start,
                "end_at": end,
                "band": band,
                "pence_per_hour": rates[(trust_id, grade, band)],
                "status": ShiftStatus.OPEN,
                "tier": Tier.COLLABORATIVE,
                "released_at": now,
                "urgent": day <= today + timedelta(days=1),
                "posted_at": now,
            }
        )
    if rows:
        db.session.execute(sa.insert(Shift), rows)
        db.session.commit()
    return have + len(rows)


# The target: a proposal keeping every hard rule within the run's 30 seconds, end to
# end as the user waits for it, filling at least 99.5% of the matching bound.
TARGET_SHARE = 0.995

GAPFILL_DB_TITLE = (
    "== Gap filler end to end: the demo ICS (24 Trusts, 6,000 workers) in the database, a week "
    "topped up to 2,000 open shifts, run by the ICS administrator as the page runs it; the "
    "30 s time limit holds the whole run (loading and writing count), the target is to fill "
    "99.5% of the bound within it"
)


def run_whole_bank(now: datetime, time_limit: int) -> dict:
    """One run over every Trust of the collaborative bank, inline; its figures."""
    from app.db import transaction
    from app.extensions import db
    from app.models import User
    from rota import gapfill_service as service

    admin = db.session.scalar(sa.select(User).where(User.email == "ics.admin@demo.nhs.uk"))
    with transaction():
        run = service.start_run(
            admin,
            trust_id=None,
            date_from=now,
            date_to=now + timedelta(days=7),
            time_limit=time_limit,
            now=now,
        )
    started = time.perf_counter()
    run = service.solve_run(run.id, now=now)  # as the page's background run does
    total = time.perf_counter() - started
    share = run.filled / max(1, run.upper_bound)
    return {
        "open_shifts": run.open_shifts,
        "filled": run.filled,
        "bound": run.upper_bound,
        "filled_of_bound": f"{100 * share:.1f}% (target {100 * TARGET_SHARE:.1f}%)",
        "loading_writing_s": f"{total - (run.seconds or 0):.1f}",
        "solver_s": f"{run.seconds or 0:.1f}",
        "total_s": f"{total:.1f} s (target {time_limit} s)",
        "on_target": "yes" if total <= time_limit and share >= TARGET_SHARE else "NO",
        "status": f"{run.status.value}, {run.solver_status}",
    }


def run_gapfill_db(open_shifts: int = 2000, time_limit: int = 30) -> dict:
    """Build the demo ICS in a fresh database, top it up, run the gap filler; one table row."""
    import os

    from app.db import utcnow
    from bench.harness import app_on, database
    from bench.marketplace import build_reference_ics

    with database() as (url, kind):
        build_seconds = build_reference_ics(url)
        with app_on(url):
            now = utcnow()
            top_up(open_shifts, now)
            row = run_whole_bank(now, time_limit)
    return {
        "benchmark": f"Gap filler, whole bank, {kind}",
        **row,
        "build_s": f"{build_seconds:.0f}",
        "load": f"{os.getloadavg()[0]:.1f}",
    }


def main(argv: list[str] | None = None) -> int:
    from app import create_app
    from app.db import utcnow

    parser = argparse.ArgumentParser(prog="python -m bench.gapfill_db", description=__doc__)
    parser.add_argument("--open", type=int, default=2000)
    parser.add_argument("--time-limit", type=int, default=30)
    args = parser.parse_args(argv)
    app = create_app()
    with app.app_context():
        now = utcnow()
        count = top_up(args.open, now)
        row = run_whole_bank(now, args.time_limit)
        print(
            f"open shifts {count}: run {row['total_s']} = loading and writing "
            f"{row['loading_writing_s']} s + solver {row['solver_s']} s; filled {row['filled']} "
            f"of {row['open_shifts']}, bound {row['bound']}: {row['filled_of_bound']}; "
            f"on target: {row['on_target']}; {row['status']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
