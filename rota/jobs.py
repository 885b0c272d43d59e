"""Scheduled jobs of the rota: solver runs out of the web process.

Where `SOLVES_IN_WEB` is off (production), the page and the API only queue a run (a rota solve
or a gap-filling run); `run_queued_solves`, every 5 seconds in `flask scheduler run`, runs it.

This job does not claim its firing with a `JobRun` first: what must not run twice is each
solver run, which `rota.services.runs.claim` claims by itself with a conditional update, so a
second scheduler started by mistake takes other runs, never the same one. A firing that ran or
interrupted something is recorded as a `JobRun` afterwards, for the ICS administrator's jobs
page; the idle ones (17,000 a day) are not.
"""

from __future__ import annotations

import logging
from datetime import datetime

from app.db import transaction
from app.jobs import FREQUENT_GRACE, Job, claim_run
from rota.gapfill_service import solve_run
from rota.models import RotaSolveRun
from rota.models_gapfill import GapFillRun
from rota.services import run_solve, runs

log = logging.getLogger(__name__)

BODIES = {RotaSolveRun: run_solve, GapFillRun: solve_run}


def run_queued_solves(now: datetime) -> str:
    """Every 5 seconds: mark runs whose process died failed, then run the queued runs, oldest
    first, one at a time, until none is left."""
    with transaction():
        interrupted = runs.interrupt_dead_runs(now)
    ran = 0
    while (queued := runs.oldest_queued()) is not None:
        model, run_id = queued
        ran += runs.run_claimed(model, BODIES[model], run_id) is not None
    summary = f"{ran} run(s) solved, {interrupted} interrupted"
    if ran or interrupted:
        log.info("Solver runs: %s", summary)
        with transaction():
            if record := claim_run("rota.run_queued_solves", now):
                record.summary = summary
    return summary


JOBS = [
    Job(
        id="rota.run_queued_solves",
        func="rota.jobs:run_queued_solves",
        trigger="interval",
        trigger_args={"seconds": 5},
        misfire_grace_time=FREQUENT_GRACE,
        description="Run queued rota solves and gap-filling runs; fail those whose process died",
    ),
]
