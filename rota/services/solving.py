"""Solving a rota out of the request: the solve run, its progress and best rota so far."""

from __future__ import annotations

import logging
import re
import threading
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from app.db import transaction, utcnow
from app.errors import Conflict
from app.extensions import db
from app.models import User
from rota.builder import Proposal, solve_verified
from rota.models import Rota, RotaSolveRun, RotaStatus, SolveRunStatus
from rota.services import runs
from rota.services.common import MAX_TIME_LIMIT, _audit, _draft, _fail
from rota.services.review import Review, _write_cells, review_cells, spec_from_rota

log = logging.getLogger(__name__)


def start_solve(
    rota: Rota, actor: User, *, time_limit: int, seed: int = 0, now: datetime
) -> RotaSolveRun:
    """A queued solve run; the entry point commits it, then hands it to `runs.start`."""
    _draft(rota)
    errors: dict[str, list[str]] = {}
    if not 1 <= time_limit <= MAX_TIME_LIMIT:
        errors["time_limit"] = [f"Give the solver from 1 to {MAX_TIME_LIMIT} seconds"]
    if not rota.members:
        errors["time_limit"] = ["Add staff to the rota before building it"]
    if not rota.shift_types:
        errors["time_limit"] = ["Add shift types to the rota before building it"]
    _fail(errors)
    if live_run(rota, now) is not None:
        raise Conflict("The solver is already building this rota.")
    run = RotaSolveRun(
        rota_id=rota.id,
        trust_id=rota.trust_id,
        time_limit=time_limit,
        seed=seed,
        created_at=now,
        created_by_user_id=actor.id,
        progress=[],
    )
    db.session.add(run)
    db.session.flush()
    _audit("rota.solve_started", rota, actor, now, run_id=run.id, time_limit=time_limit)
    return run


def live_run(rota: Rota, now: datetime) -> RotaSolveRun | None:
    """The rota's run the solver is on (queued or running), if any; its dead runs (their
    process stopped) are marked so on the way (in the open transaction)."""
    unfinished = db.session.scalars(
        sa.select(RotaSolveRun).where(
            RotaSolveRun.rota_id == rota.id,
            RotaSolveRun.status.in_([SolveRunStatus.QUEUED, SolveRunStatus.RUNNING]),
        )
    ).all()
    live = None
    for run in unfinished:
        if runs.is_dead(run, now):
            runs.interrupt(run, now)
        else:
            live = run
    return live


def solve_runs(rota: Rota) -> list[RotaSolveRun]:
    """The rota's solve runs, newest first."""
    return list(
        db.session.scalars(
            sa.select(RotaSolveRun)
            .where(RotaSolveRun.rota_id == rota.id)
            .order_by(RotaSolveRun.created_at.desc(), RotaSolveRun.id.desc())
        )
    )


def launch(app: Flask, run_id: int) -> threading.Thread:
    """Solve a run in a thread of this process (see `rota.services.runs` for where runs run)."""
    return runs.launch(app, RotaSolveRun, run_solve, run_id, "rota-solve")


def run_solve(run_id: int) -> RotaSolveRun:
    """The body of a solve run (claimed by `runs.run_claimed`): solve, verify and repair,
    recording progress and the best roster so far as it goes; write the final roster to the
    rota in one transaction."""
    with transaction():
        run = db.session.get(RotaSolveRun, run_id)
        if not runs.begin(run, utcnow()):
            return run
        rota = run.rota
        spec = spec_from_rota(rota)
    workers = current_app.config.get("ROTA_SOLVER_WORKERS", 2)
    recorder = _Recorder(db.engine, run_id)

    try:
        proposal = solve_verified(
            spec,
            time_limit=run.time_limit,
            seed=run.seed,
            workers=workers,
            log=recorder.line,
            on_roster=recorder.roster,
        )
        with transaction():
            # Nothing of a result that comes after the run was marked interrupted is written:
            # the rota may have been solved again since.
            if not runs.finish(run, SolveRunStatus.DONE, utcnow()):
                runs.discard_late_result(
                    run,
                    utcnow(),
                    objective=proposal.result.objective,
                    breaches=len(proposal.findings),
                )
                return run
            run.solver_status = proposal.result.status.value
            run.bound = proposal.result.bound
            if proposal.cells is None:
                run.error = (
                    "The solver found no rota keeping every hard rule: check contracted hours, "
                    "leave and shift times."
                    if proposal.result.status.value == "INFEASIBLE"
                    else "The solver found no rota in the time given: give it longer."
                )
            elif rota.status == RotaStatus.DRAFT:
                _write_cells(rota, spec, proposal.cells)
                run.best_objective = proposal.result.objective
                _audit(
                    "rota.solved",
                    rota,
                    db.session.get(User, run.created_by_user_id)
                    if run.created_by_user_id
                    else None,
                    run.finished_at,
                    run_id=run.id,
                    objective=proposal.result.objective,
                    breaches=len(proposal.findings),
                )
    except Exception as error:  # a run must end in the row, whatever went wrong
        log.exception("rota solve run %s failed", run_id)
        db.session.rollback()
        with transaction():
            run = db.session.get(RotaSolveRun, run_id)
            if runs.finish(run, SolveRunStatus.FAILED, utcnow()):
                run.error = f"The solver stopped: {type(error).__name__}"
    return run


class _Recorder:
    """A run's progress lines and best roster so far, written as the solver reports them.

    The solver calls back from whichever thread found something (its LNS searches in worker
    threads of its own, outside any app context), so each report is one short transaction on
    the engine, under a lock, touching no ORM object of the run's own session.
    """

    def __init__(self, engine: sa.Engine, run_id: int) -> None:
        self.engine, self.run_id = engine, run_id
        self.lock = threading.Lock()
        self.lines: list[str] = []
        self.best: int | None = None

    def line(self, text: str) -> None:
        with self.lock:
            self.lines = [*self.lines, text][-200:]
            values: dict[str, Any] = {"progress": self.lines}
            if (match := re.search(r"cost (\d+)", text)) and (
                self.best is None or int(match.group(1)) < self.best
            ):
                self.best = values["best_objective"] = int(match.group(1))
            self._write(values)

    def roster(self, proposal: Proposal) -> None:
        with self.lock:
            self.best = proposal.result.objective
            self._write(
                {
                    "roster": _roster_json(proposal),
                    "best_objective": proposal.result.objective,
                    "bound": proposal.result.bound,
                    "solver_status": proposal.result.status.value,
                }
            )

    def _write(self, values: dict[str, Any]) -> None:
        # Only while the run is running: a run marked interrupted keeps its last report.
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(RotaSolveRun)
                .where(RotaSolveRun.id == self.run_id, RotaSolveRun.status == runs.RUNNING)
                .values(**values)
            )


def _roster_json(proposal: Proposal) -> dict[str, Any]:
    days = proposal.reduction.problem.days
    cells = proposal.cells or {}
    return {
        str(member): [cells.get((member, day)) for day in range(days)]
        for member in proposal.reduction.members.values()
    }


def run_review(run: RotaSolveRun) -> Review | None:
    """The review of a run's best roster so far (None before it has one)."""
    if not run.roster:
        return None
    rota = run.rota
    spec = spec_from_rota(rota)
    cells = {
        (int(member), day): st_id
        for member, row in run.roster.items()
        for day, st_id in enumerate(row)
        if st_id is not None and any(m.id == int(member) for m in rota.members)
    }
    return review_cells(rota, spec, cells)
