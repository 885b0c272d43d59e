"""The one scheduler process: APScheduler 3 with its job store in the app's database.

`flask scheduler run` starts it. The web process never does, except for the demo when
`SCHEDULER_IN_WEB` is set (`make run` sets it). The job store keeps each job's next run time, so
a restarted scheduler knows what it missed: it runs a missed job once (coalesced) if it is
still within the job's grace time, and otherwise waits for the next one.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.util import ref_to_obj
from flask import Flask

from app.db import utcnow
from app.extensions import db
from app.jobs import LONDON, Job

logger = logging.getLogger(__name__)

# The app whose jobs this process runs (APScheduler stores only a reference to `run_job`).
_app: Flask | None = None


def run_job(job_id: str) -> Any:
    """What APScheduler calls: run job `job_id`'s body in an app context, at the current time."""
    if _app is None:
        raise RuntimeError("no app: start the scheduler with app.scheduler.build_scheduler")
    with _app.app_context():
        job = {j.id: j for j in _app.extensions["jobs"]}[job_id]
        try:
            return ref_to_obj(job.func)(now=utcnow())
        finally:
            db.session.remove()


def build_scheduler(app: Flask) -> BackgroundScheduler:
    """A scheduler on `app`'s database, not started."""
    global _app
    _app = app
    with app.app_context():
        engine = db.engine
    # APScheduler logs every firing ("Running job", "executed successfully") at INFO: with the
    # solver-runs job every 5 seconds that is 24 lines a minute saying nothing. Failures are
    # still logged (ERROR), and what a run did is in `job_runs` and on /ics/jobs.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename="apscheduler_jobs")},
        # Jobs are short and claim their runs in the database; a few threads are plenty.
        executors={"default": ThreadPoolExecutor(4)},
        timezone=LONDON,
    )


def _same_schedule(stored: Any, job: Job) -> bool:
    return str(stored.trigger) == str(job.make_trigger()) and stored.args == (job.id,)


def sync_jobs(scheduler: BackgroundScheduler, jobs: list[Job]) -> None:
    """Make the job store hold exactly `jobs` (call with the scheduler started, paused).

    `replace_existing=True` overwrites each stored job with the listed settings, but keeps its
    stored next run time when the schedule is unchanged: that is how a missed run is noticed
    (APScheduler would otherwise compute the next run from now and silently skip it). Jobs no
    longer listed are removed.
    """
    listed = {job.id for job in jobs}
    for stored in scheduler.get_jobs():
        if stored.id not in listed:
            logger.info("Removing job %s: no longer listed", stored.id)
            stored.remove()
    for job in jobs:
        stored = scheduler.get_job(job.id)
        keep: dict[str, Any] = {}
        if stored is not None and _same_schedule(stored, job) and stored.next_run_time:
            keep["next_run_time"] = stored.next_run_time
        scheduler.add_job(
            "app.scheduler:run_job",
            trigger=job.make_trigger(),
            args=[job.id],
            id=job.id,
            name=job.description or job.id,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(job.misfire_grace_time.total_seconds()),
            **keep,
        )


def start(app: Flask) -> BackgroundScheduler:
    """Start a scheduler running `app`'s jobs in background threads."""
    scheduler = build_scheduler(app)
    scheduler.start(paused=True)
    sync_jobs(scheduler, app.extensions["jobs"])
    scheduler.resume()
    for job in scheduler.get_jobs():
        logger.info("Job %s: next run %s", job.id, _when(job.next_run_time))
    return scheduler


def run_forever(app: Flask) -> None:
    """Run the scheduler until SIGINT or SIGTERM (the `flask scheduler run` process)."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    scheduler = start(app)
    logger.info("Scheduler running %s job(s); Ctrl-C to stop", len(scheduler.get_jobs()))
    stop.wait()
    scheduler.shutdown(wait=True)
    logger.info("Scheduler stopped")


def _when(moment: datetime | None) -> str:
    return moment.astimezone(LONDON).strftime("%a %d %b %Y %H:%M %Z") if moment else "paused"
