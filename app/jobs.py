"""Scheduled jobs as data, and how a job body claims its run.

Each domain lists its jobs in its own `jobs.py` (`JOBS = [Job(...), ...]`); the factory
gathers them into `app.extensions["jobs"]` as it does blueprints, and `flask scheduler run`
(`app.scheduler`) puts them in APScheduler's job store.

A job body is a plain function of `now`, called by the scheduler and directly by tests. It runs
one `transaction()` and first claims its run with `claim_run`: a `JobRun` row unique per job
and scheduled time, inserted in that same transaction. Two schedulers started by mistake both
fire; the second insert hits the unique constraint and that run does nothing. A run that fails
rolls its claim back with everything else, so the next firing tries again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app

from app import notifications
from app.db import transaction
from app.extensions import db
from app.models import JobRun

logger = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")
# Interval jobs count from a fixed instant, so every scheduler (and every restart) agrees on
# the scheduled times, and so on the claim of each run.
INTERVAL_ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)

# Missed runs (the scheduler was down, or busy) are coalesced into one run, and only if that
# run can still start within this grace time of when it was due:
# - a daily job missed by a restart or a deploy still runs the same morning when the scheduler
#   comes back within 6 hours, but a run missed overnight is not sent in the evening: the next
#   day's run catches up, since every daily job works from the state of the data ("credentials
#   within 30 days with no warning yet"), not from "what happened since the last run";
# - a frequent job (the outbox) simply waits for its next run a minute later.
DAILY_GRACE = timedelta(hours=6)
FREQUENT_GRACE = timedelta(minutes=2)


@dataclass(frozen=True)
class Job:
    """A scheduled job: a stable id, the function it runs, and when."""

    id: str
    func: str  # "package.jobs:function", a function of `now`
    trigger: str  # "cron" (UK local wall-clock times) or "interval"
    trigger_args: dict[str, Any] = field(default_factory=dict)
    misfire_grace_time: timedelta = DAILY_GRACE
    description: str = ""

    def make_trigger(self) -> BaseTrigger:
        if self.trigger == "cron":
            return CronTrigger(timezone=LONDON, **self.trigger_args)
        if self.trigger == "interval":
            return IntervalTrigger(timezone=LONDON, start_date=INTERVAL_ANCHOR, **self.trigger_args)
        raise ValueError(f"job {self.id}: unknown trigger {self.trigger!r}")

    def scheduled_for(self, now: datetime) -> datetime:
        """The latest time at or before `now` when this job was due: the key of its claim."""
        trigger = self.make_trigger()
        if isinstance(trigger, IntervalTrigger):
            step = trigger.interval
            return INTERVAL_ANCHOR + ((now - INTERVAL_ANCHOR) // step) * step
        # Walk the cron trigger forward from a week back (daily jobs: a few steps).
        latest = None
        fire = trigger.get_next_fire_time(None, now - timedelta(days=8))
        while fire is not None and fire <= now:
            latest = fire
            fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
        if latest is None:
            raise ValueError(f"job {self.id} was not due in the week before {now.isoformat()}")
        return latest.astimezone(UTC)


def registered_jobs() -> dict[str, Job]:
    """The jobs of the running app, by id."""
    return {job.id: job for job in current_app.extensions["jobs"]}


def claim_run(job_id: str, now: datetime) -> JobRun | None:
    """Claim this run of `job_id` in the open transaction; None if it is already claimed.

    The insert runs in a savepoint: when another scheduler holds or has committed the same
    (job, scheduled time), the unique constraint refuses it and only the savepoint is undone.
    """
    scheduled_for = registered_jobs()[job_id].scheduled_for(now)
    run = JobRun(job_id=job_id, scheduled_for=scheduled_for, started_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(run)
    except sa.exc.IntegrityError:
        logger.info("Job %s for %s already claimed; skipping", job_id, scheduled_for.isoformat())
        return None
    return run


@dataclass(frozen=True)
class JobStatus:
    """A job as operators see it: what it does, when it runs next, and its last run."""

    id: str
    description: str
    schedule: str
    next_run_at: datetime | None
    last_run: JobRun | None


def job_statuses() -> list[JobStatus]:
    """Every listed job with its next run (from the scheduler's job store) and its last run."""
    from app.models import scheduler_jobs

    next_runs = dict(
        db.session.execute(sa.select(scheduler_jobs.c.id, scheduler_jobs.c.next_run_time)).all()
    )
    statuses = []
    for job in registered_jobs().values():
        last = db.session.scalar(
            sa.select(JobRun)
            .where(JobRun.job_id == job.id)
            .order_by(JobRun.scheduled_for.desc())
            .limit(1)
        )
        stamp = next_runs.get(job.id)
        statuses.append(
            JobStatus(
                id=job.id,
                description=job.description,
                schedule=describe_schedule(job),
                next_run_at=datetime.fromtimestamp(stamp, UTC) if stamp else None,
                last_run=last,
            )
        )
    return statuses


def describe_schedule(job: Job) -> str:
    """A job's trigger in words: "daily at 08:00 (UK time)", "every 1 minute"."""
    args = job.trigger_args
    if job.trigger == "cron" and set(args) == {"hour", "minute"}:
        return f"daily at {args['hour']:02d}:{args['minute']:02d} (UK time)"
    if job.trigger == "interval" and len(args) == 1:
        [(unit, amount)] = args.items()
        return f"every {amount} {unit.rstrip('s') if amount == 1 else unit}"
    return f"{job.trigger} {args}"


# The core's jobs ---------------------------------------------------------------------------


def deliver_outbox(now: datetime) -> JobRun | None:
    """Every minute: send the emails that are due from the outbox."""
    with transaction():
        run = claim_run("core.deliver_outbox", now)
        if run is None:
            return None
        run.summary = str(notifications.deliver_due_emails(now=now))
        return run


# Claims only matter within a run's grace time; a month of them is plenty to look back on.
KEEP_JOB_RUNS = timedelta(days=30)
KEEP_SENT_EMAILS = timedelta(days=30)


def housekeeping(now: datetime) -> JobRun | None:
    """Daily at night: forget old run claims and old sent emails (the outbox runs each minute)."""
    with transaction():
        run = claim_run("core.housekeeping", now)
        if run is None:
            return None
        runs = db.session.execute(
            sa.delete(JobRun).where(JobRun.scheduled_for < now - KEEP_JOB_RUNS)
        ).rowcount
        emails = notifications.prune_outbox(now=now, keep=KEEP_SENT_EMAILS)
        run.summary = f"{runs} old run(s) and {emails} old email(s) deleted"
        return run


JOBS = [
    Job(
        id="core.deliver_outbox",
        func="app.jobs:deliver_outbox",
        trigger="interval",
        trigger_args={"minutes": 1},
        misfire_grace_time=FREQUENT_GRACE,
        description="Send due emails from the outbox, retrying failures with backoff",
    ),
    Job(
        id="core.housekeeping",
        func="app.jobs:housekeeping",
        trigger="cron",
        trigger_args={"hour": 3, "minute": 30},
        description="Delete run claims and sent emails older than 30 days",
    ),
]
