"""The gap filler's adapter: start a run, solve it, write the result back, apply it.

Loading (`rota.gapfill_loading`) judges eligibility with the booking service's own pieces, and
takes each worker's commitments at every Trust from the query booking checks the rules
against. The pure solver
(`rota.solver.gapfill`) then checks the safe-working rules on whole schedules. Applying a run
books workers who accept assignments through `book_shift(..., source=SOLVER)` (so the claim,
the partial unique index, the audit and the notifications are the booking service's) and
offers the shift to the others.

A run is a row (`gap_fill_runs`): the entry point commits it queued, then
`rota.services.runs.start` hands it on, as for rota solves (a thread of the web process with
`SOLVES_IN_WEB`, otherwise the scheduler's `rota.run_queued_solves` job), and the page polls
the row.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from app.db import transaction, utcnow
from app.errors import Conflict, DomainError, NotFound, ValidationFailed
from app.extensions import db
from app.models import Role, User
from app.services import record_audit
from app.tenancy import Scope, scope_for
from bank.models import (
    BookingSource,
    Shift,
)
from bank.models_offers import OfferSource
from bank.services.booking import book_shift
from bank.services.offers import expire_due_offers, make_offer
from rota.gapfill_loading import load_problem
from rota.models_gapfill import GapFillItem, GapFillKind, GapFillOutcome, GapFillRun, GapFillStatus
from rota.services import runs
from rota.solver.gapfill import GapParams, GapProblem, GapResult, solve_gaps

log = logging.getLogger(__name__)
MAX_TIME_LIMIT = 120
MAX_DAYS = 28
# A run's time limit is the whole run as its user waits for it (the target: 2,000 open
# shifts proposed within 30 seconds), not the solver's alone: loading the problem and writing
# the proposals count against it, and the solver has what is left. It never has less than
# SOLVER_FLOOR (or the limit, if smaller): it starts from a greedy answer, at hand however
# short its time, and a few seconds let CP-SAT improve on it when loading ran long.
SOLVER_FLOOR = 5.0
# Kept back for writing the proposals and ending the run: 2,000 items at ICS scale take
# about half a second on PostgreSQL (`make bench`).
WRITE_RESERVE = 1.0


def gapfill_scope(user: User) -> Scope:
    """The Trusts whose gap filling the user may run: workforce teams' own, ICS admins all."""
    return scope_for(user, [Role.WORKFORCE, Role.ICS_ADMIN])


def run_for(user: User, run_id: int) -> GapFillRun:
    """A run the user may see, or NotFound."""
    run = db.session.get(GapFillRun, run_id)
    scope = gapfill_scope(user)
    if run is None or not (scope.everything or (run.trust_id and scope.allows(run.trust_id))):
        raise NotFound(f"No gap-filling run with id {run_id}.")
    return run


def run_with_offers(user: User, run_id: int, *, now: datetime) -> GapFillRun:
    """A run the user may see, the offers it made whose time has passed ended as expired first
    (writes: the entry point runs it in a transaction), so the run says what became of each."""
    run = run_for(user, run_id)
    if run.status == GapFillStatus.APPLIED:
        offered = [i.shift_id for i in run.items if i.outcome == GapFillOutcome.OFFERED]
        expire_due_offers(now, shift_ids=offered)
    return run


def runs_for(user: User, limit: int = 20) -> list[GapFillRun]:
    """The user's visible runs, newest first."""
    scope = gapfill_scope(user)
    stmt = sa.select(GapFillRun).order_by(GapFillRun.id.desc()).limit(limit)
    if not scope.everything:
        stmt = stmt.where(GapFillRun.trust_id.in_(sorted(scope.trust_ids or ())))
    return list(db.session.scalars(stmt))


def start_run(
    actor: User,
    *,
    trust_id: int | None,
    date_from: datetime,
    date_to: datetime,
    time_limit: int = 20,
    seed: int = 0,
    now: datetime,
) -> GapFillRun:
    """A queued run; the entry point commits it, then hands it to `runs.start`.

    A workforce team runs its own Trust; an ICS administrator may leave `trust_id` out to run
    the whole collaborative bank.
    """
    scope = gapfill_scope(actor)
    if trust_id is None and not scope.everything:
        raise ValidationFailed.on("trust_id", "Choose your Trust")
    if trust_id is not None and not scope.allows(trust_id):
        raise NotFound(f"No Trust with id {trust_id} that you run.")
    errors: dict[str, list[str]] = {}
    if not 1 <= time_limit <= MAX_TIME_LIMIT:
        errors["time_limit"] = [f"Give the solver from 1 to {MAX_TIME_LIMIT} seconds"]
    if date_to <= date_from:
        errors["date_to"] = ["End after the start"]
    elif date_to - date_from > timedelta(days=MAX_DAYS):
        errors["date_to"] = [f"Fill at most {MAX_DAYS} days at a time"]
    if errors:
        raise ValidationFailed("Check the run's settings.", errors=errors)
    unfinished = db.session.scalars(
        sa.select(GapFillRun).where(
            GapFillRun.trust_id.is_(None) if trust_id is None else GapFillRun.trust_id == trust_id,
            GapFillRun.status.in_([GapFillStatus.QUEUED, GapFillStatus.RUNNING]),
        )
    ).all()
    if any(not runs.is_dead(r, now) for r in unfinished):
        raise Conflict("The gap filler is already running for these shifts.")
    run = GapFillRun(
        trust_id=trust_id,
        date_from=date_from,
        date_to=date_to,
        time_limit=time_limit,
        seed=seed,
        created_at=now,
        created_by_user_id=actor.id,
        penalties={},
    )
    db.session.add(run)
    db.session.flush()
    record_audit(
        "gapfill.started",
        run,
        actor=actor,
        now=now,
        trust_id=trust_id,
        after={"from": date_from.isoformat(), "to": date_to.isoformat(), "time_limit": time_limit},
    )
    return run


# Solving ------------------------------------------------------------------------------------


def launch(app: Flask, run_id: int) -> threading.Thread:
    """Solve a run in a thread of this process (see `rota.services.runs` for where runs run)."""
    return runs.launch(app, GapFillRun, solve_run, run_id, "gapfill")


def solver_budget(time_limit: float, elapsed: float) -> float:
    """The solver's seconds of a run's time limit once `elapsed` seconds of the run have gone
    (see SOLVER_FLOOR)."""
    return min(time_limit, max(SOLVER_FLOOR, time_limit - elapsed - WRITE_RESERVE))


def solve_run(
    run_id: int, *, now: datetime | None = None, clock: Callable[[], float] = time.monotonic
) -> GapFillRun:
    """The body of a run: load, solve, and write the proposals in one transaction.

    The run's time limit counts from here (`clock`, seconds): the solver has what loading
    left of it (`solver_budget`).
    """
    began = clock()
    with transaction():
        run = db.session.get(GapFillRun, run_id)
        if not runs.begin(run, utcnow()):
            return run
    now = now or utcnow()
    try:
        problem, shifts = load_problem(run, now)
        db.session.commit()  # end the read transaction before the long solve
        params = GapParams(
            time_limit=solver_budget(run.time_limit, clock() - began),
            workers=current_app.config.get("ROTA_SOLVER_WORKERS", 2),
            seed=run.seed,
        )
        result = solve_gaps(problem, params)
        with transaction():
            run = db.session.get(GapFillRun, run_id)
            _write(run, problem, result)
    except Exception as error:  # a run must end in the row, whatever went wrong
        log.exception("gap-filling run %s failed", run_id)
        db.session.rollback()
        with transaction():
            run = db.session.get(GapFillRun, run_id)
            if runs.finish(run, runs.FAILED, utcnow()):
                run.error = f"The gap filler stopped: {type(error).__name__}"
    return run


def _write(run: GapFillRun, problem: GapProblem, result: GapResult) -> None:
    """The run's proposals and figures, if it is still running; a run marked interrupted
    meanwhile stays so, and the result is discarded (`runs.finish`)."""
    if not runs.finish(run, GapFillStatus.SOLVED, utcnow()):
        runs.discard_late_result(
            run, utcnow(), filled=len(result.assignments), open=len(problem.shifts)
        )
        return
    trust_of = {s.id: s.trust_id for s in problem.shifts}
    for a in result.assignments:
        db.session.add(
            GapFillItem(
                run_id=run.id,
                shift_id=a.shift_id,
                trust_id=trust_of[a.shift_id],
                worker_id=a.worker_id,
                kind=GapFillKind.BOOK if a.book else GapFillKind.OFFER,
                cost_pence=a.cost_pence,
            )
        )
    for left in result.left_open:
        db.session.add(
            GapFillItem(
                run_id=run.id,
                shift_id=left.shift_id,
                trust_id=trust_of[left.shift_id],
                kind=GapFillKind.OPEN,
                reason_code=left.reason.value,
                reason=left.detail,
            )
        )
    db.session.flush()
    run.finished_at = utcnow()  # after the proposals: the run's time counts their writing
    run.solver_status = result.status
    run.open_shifts = len(problem.shifts)
    run.filled = len(result.assignments)
    run.upper_bound = result.upper_bound
    run.objective = result.objective
    run.best_bound = result.best_bound
    run.seconds = round(result.seconds, 2)
    run.penalties = dict(result.penalties)
    record_audit(
        "gapfill.solved",
        run,
        actor=None,
        now=run.finished_at,
        trust_id=run.trust_id,
        after={"filled": run.filled, "open": run.open_shifts, "upper_bound": run.upper_bound},
    )


# Applying -----------------------------------------------------------------------------------


def apply_run(run: GapFillRun, actor: User, *, now: datetime) -> GapFillRun:
    """Book opted-in workers and offer the rest, in the entry point's one transaction.

    Each booking goes through `book_shift`, and each offer through `make_offer` (the worker
    accepts or declines it on their Offers page), in a savepoint: a shift booked by someone
    else since the run, or a worker no longer eligible, fails that proposal alone (recorded
    on the item) and the rest still apply.
    """
    if run.status != GapFillStatus.SOLVED:
        raise Conflict(f"This run is {run.status.value}: only a solved run can be applied.")
    booked = offered = failed = 0
    for item in run.items:
        if item.kind == GapFillKind.OPEN:
            continue
        worker = item.worker
        if item.kind == GapFillKind.BOOK:
            try:
                with db.session.begin_nested():
                    book_shift(
                        worker, item.shift_id, actor=actor, now=now, source=BookingSource.SOLVER
                    )
                item.outcome = GapFillOutcome.BOOKED
                booked += 1
            except DomainError as error:
                item.outcome, item.outcome_detail = GapFillOutcome.FAILED, str(error)
                failed += 1
            continue
        try:
            with db.session.begin_nested():
                make_offer(
                    db.session.get(Shift, item.shift_id),
                    worker,
                    actor=actor,
                    now=now,
                    source=OfferSource.GAP_FILL,
                    gap_fill_item_id=item.id,
                )
            item.outcome = GapFillOutcome.OFFERED
            offered += 1
        except DomainError as error:
            item.outcome, item.outcome_detail = GapFillOutcome.FAILED, str(error)
            failed += 1
    run.status = GapFillStatus.APPLIED
    run.applied_at, run.applied_by_user_id = now, actor.id
    db.session.flush()
    record_audit(
        "gapfill.applied",
        run,
        actor=actor,
        now=now,
        trust_id=run.trust_id,
        after={"booked": booked, "offered": offered, "failed": failed},
    )
    return run
