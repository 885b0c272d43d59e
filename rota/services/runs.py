"""Where solver runs run (rota solves and gap-filling runs alike), how each is claimed, and
what becomes of one whose process died.

The entry point commits a run queued, then `start` hands it on:

- `ROTA_SOLVE_INLINE` (some tests): the run's body runs before the answer;
- `SOLVES_IN_WEB` (development, the test suite, `make run`): a thread of the web process runs
  it at once;
- otherwise (production): nothing here. The scheduler's `rota.run_queued_solves` job
  (`rota/jobs.py`, every 5 seconds in `flask scheduler run`) takes it, so web workers never
  hold a solver and a web restart cannot lose one.

Whoever runs a run first claims it with a conditional update (queued to running, checked by its
row count), so two schedulers, or a web thread and a scheduler, never run the same run. A run
still queued or running well past its time limit died with its process: `interrupt_dead_runs`
marks it failed with the reason, so its page stops showing progress, and audits it. A process
that was only slow, not dead, may still come back with a result: `finish` ends a run only
while it is running, so a run marked interrupted stays so and its late result is discarded
(audited, nothing of it written), never laid over the failure the page has already shown.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from app.db import transaction, utcnow
from app.extensions import db
from app.services import record_audit
from rota.models import RotaSolveRun
from rota.models_gapfill import GapFillRun

log = logging.getLogger(__name__)

# How long past its time limit an unfinished run is given before it counts as dead: loading
# (a minute for a whole ICS's gap filling), verifying and writing the result all come after
# the limit, and a scheduler busy with another run takes a queued one late.
STALE_AFTER = timedelta(minutes=5)
INTERRUPTED = "Interrupted: the solver process stopped before this run finished. Start it again."
# The status values both kinds of run share (rota.models.SolveRunStatus, GapFillStatus).
QUEUED, RUNNING, FAILED = "queued", "running", "failed"
RUN_MODELS: tuple[type[RotaSolveRun] | type[GapFillRun], ...] = (RotaSolveRun, GapFillRun)

Run = RotaSolveRun | GapFillRun


def deadline(run: Run) -> datetime:
    """When an unfinished run counts as dead: its time limit and STALE_AFTER from its start
    (from when it was asked for, while it waits)."""
    return (run.started_at or run.created_at) + timedelta(seconds=run.time_limit) + STALE_AFTER


def is_dead(run: Run, now: datetime) -> bool:
    return run.status.value in (QUEUED, RUNNING) and deadline(run) <= now


def claim(model: type[Run], run_id: int, now: datetime) -> bool:
    """Take a queued run for this process (in the open transaction); False if another has it."""
    taken = db.session.execute(
        sa.update(model)
        .where(model.id == run_id, model.status == QUEUED)
        .values(status=RUNNING, started_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    return taken == 1


def oldest_queued() -> tuple[type[Run], int] | None:
    """The run, of either kind, waiting longest to be taken."""
    waiting = [
        (created_at, run_id, model)
        for model in RUN_MODELS
        for run_id, created_at in db.session.execute(
            sa.select(model.id, model.created_at)
            .where(model.status == QUEUED)
            .order_by(model.created_at, model.id)
            .limit(1)
        )
    ]
    if not waiting:
        return None
    _, run_id, model = min(waiting, key=lambda w: (w[0], w[1]))
    return model, run_id


def interrupt(run: Run, now: datetime) -> bool:
    """Mark a dead run failed, audited (in the open transaction); False if it ended meanwhile."""
    stopped = db.session.execute(
        sa.update(type(run))
        .where(type(run).id == run.id, type(run).status == run.status.value)
        .values(status=FAILED, error=INTERRUPTED, finished_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not stopped:
        return False
    was = {"run_id": run.id, "was": run.status.value, "time_limit": run.time_limit}
    _audit(run, "interrupted", now, was)
    db.session.expire(run)
    return True


def begin(run: Run, now: datetime) -> bool:
    """Whether the run's body may run (in the open transaction): a run claimed by
    `run_claimed` is running; a queued one run directly (the bench, some tests) is claimed
    here; one that ended meanwhile (interrupted) may not."""
    if run.status.value == QUEUED:
        claim(type(run), run.id, now)
        db.session.refresh(run)
    return run.status.value == RUNNING


def finish(run: Run, status: str, now: datetime) -> bool:
    """End a running run as `status` before its result is written (in the open transaction);
    False if it is no longer running (marked interrupted meanwhile), when nothing of the
    result may be written.

    A conditional update checked by its row count, as `claim` and `interrupt` are: on
    PostgreSQL an `interrupt` racing it waits for its row lock and then finds the run no
    longer running; SQLite's `BEGIN IMMEDIATE` serialises the two.
    """
    ended = db.session.execute(
        sa.update(type(run))
        .where(type(run).id == run.id, type(run).status == RUNNING)
        .values(status=status, finished_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(run)
    return ended == 1


def discard_late_result(run: Run, now: datetime, **result: object) -> None:
    """Audit a result that came after its run had ended (`finish` refused it): what it was and
    how the run had ended; nothing of it is written (in the open transaction)."""
    log.warning(
        "%s %s: late result discarded, the run is %s", type(run).__name__, run.id, run.status.value
    )
    after = {"run_id": run.id, "status": run.status.value, "error": run.error, **result}
    _audit(run, "late_result_discarded", now, after)


def _audit(run: Run, action: str, now: datetime, after: dict[str, object]) -> None:
    """Audit an event of a run, by the system: a rota solve's on its rota
    (`rota.solve_<action>`), a gap-filling run's on the run (`gapfill.<action>`)."""
    if isinstance(run, RotaSolveRun):
        record_audit(f"rota.solve_{action}", run.rota, actor=None, now=now, after=after)
    else:
        record_audit(
            f"gapfill.{action}", run, actor=None, now=now, trust_id=run.trust_id, after=after
        )


def interrupt_dead_runs(now: datetime) -> int:
    """Mark every dead run of either kind failed (in the open transaction); how many."""
    count = 0
    for model in RUN_MODELS:
        unfinished = db.session.scalars(
            sa.select(model).where(model.status.in_([QUEUED, RUNNING])).order_by(model.id)
        ).all()
        count += sum(interrupt(run, now) for run in unfinished if is_dead(run, now))
    if count:
        log.warning("%s solver run(s) interrupted: their process stopped", count)
    return count


def run_claimed(model: type[Run], body: Callable[[int], Any], run_id: int) -> Any:
    """Claim the run, then run its body; None when another process has claimed it."""
    with transaction():
        if not claim(model, run_id, utcnow()):
            log.info("%s %s already taken by another process", model.__name__, run_id)
            return None
    return body(run_id)


def start(model: type[Run], body: Callable[[int], Any], run_id: int, name: str) -> None:
    """Hand a committed queued run on: run it now, in a thread, or leave it to the scheduler
    (see the module's docstring)."""
    if current_app.config.get("ROTA_SOLVE_INLINE"):
        run_claimed(model, body, run_id)
    elif current_app.config.get("SOLVES_IN_WEB"):
        launch(current_app._get_current_object(), model, body, run_id, name)


def launch(
    app: Flask, model: type[Run], body: Callable[[int], Any], run_id: int, name: str
) -> threading.Thread:
    """Claim and run a run in a background thread of this process, with its own app context.

    A thread will do where solves run in the web process: CP-SAT releases the GIL while it
    searches, the run is bounded by its time limit, and all it produces is in the run's rows,
    which the page polls.
    """
    thread = threading.Thread(
        target=_in_context,
        args=(app, model, body, run_id),
        name=f"{name}-{run_id}",
        daemon=True,
    )
    thread.start()
    return thread


def _in_context(app: Flask, model: type[Run], body: Callable[[int], Any], run_id: int) -> None:
    with app.app_context():
        run_claimed(model, body, run_id)
