"""Solver runs out of the web process: the scheduler's job claims queued runs once, runs them,
and fails the runs whose process died. Time is frozen at tests.factories.NOW."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.db import transaction, utcnow
from app.extensions import db
from app.models import AuditEvent, JobRun, Role
from rota import gapfill_service
from rota.jobs import run_queued_solves
from rota.models import RotaSolveRun, SolveRunStatus
from rota.models_gapfill import GapFillItem, GapFillRun
from rota.services import runs
from tests.factories import (
    NOW,
    RotaCoverFactory,
    RotaMemberFactory,
    RotaSolveRunFactory,
    ShiftFactory,
    TrustFactory,
    staff_user,
)


@pytest.fixture(autouse=True)
def frozen(app):
    app.config["ROTA_SOLVER_WORKERS"] = 1
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def tiny_rota():
    """One registrar and a night to cover every day of one week."""
    cover = RotaCoverFactory()
    member = RotaMemberFactory(grade_group=cover.grade_group)
    return cover.rota, member


def gap_fill_run(trust, time_limit: int = 2) -> GapFillRun:
    with transaction():
        return gapfill_service.start_run(
            staff_user(Role.WORKFORCE, trust),
            trust_id=trust.id,
            date_from=NOW,
            date_to=NOW + timedelta(days=7),
            time_limit=time_limit,
            now=utcnow(),
        )


def status(model, run_id: int) -> str:
    db.session.commit()  # see what the job committed
    return db.session.get(model, run_id).status.value


def test_a_queued_run_is_claimed_once(app):
    run = RotaSolveRunFactory()
    with transaction():
        assert runs.claim(RotaSolveRun, run.id, NOW) is True
    with transaction():
        assert runs.claim(RotaSolveRun, run.id, NOW) is False  # a second scheduler
    claimed = db.session.get(RotaSolveRun, run.id)
    assert claimed.status == SolveRunStatus.RUNNING and claimed.started_at == NOW


def test_a_run_another_process_has_claimed_is_not_run_again(app):
    run = RotaSolveRunFactory(status=SolveRunStatus.RUNNING, started_at=NOW)
    ran = []
    assert runs.run_claimed(RotaSolveRun, ran.append, run.id) is None
    assert ran == []
    assert run_queued_solves(NOW) == "0 run(s) solved, 0 interrupted"
    assert status(RotaSolveRun, run.id) == "running"


def test_the_job_runs_queued_rota_and_gap_filling_runs_to_the_end(app):
    rota, member = tiny_rota()
    with transaction():
        solve = RotaSolveRun(
            rota_id=rota.id, trust_id=rota.trust_id, time_limit=2, created_at=NOW, progress=[]
        )
        db.session.add(solve)
    gaps = gap_fill_run(rota.department.trust)

    assert run_queued_solves(NOW) == "2 run(s) solved, 0 interrupted"
    assert status(RotaSolveRun, solve.id) == "done"
    assert solve.error is None and solve.solver_status in ("OPTIMAL", "FEASIBLE")
    assert {a.member_id for a in rota.assignments} == {member.id}
    assert status(GapFillRun, gaps.id) == "solved"
    assert run_queued_solves(NOW + timedelta(seconds=5)) == "0 run(s) solved, 0 interrupted"
    # The ICS administrator's jobs page shows the firing that did something, not idle ones.
    assert [(r.scheduled_for, r.summary) for r in db.session.scalars(sa.select(JobRun))] == [
        (NOW, "2 run(s) solved, 0 interrupted")
    ]


def test_without_solves_in_web_the_page_queues_and_the_scheduler_solves(app, api_client):
    app.config["SOLVES_IN_WEB"] = False  # production
    rota, _member = tiny_rota()
    api = api_client(staff_user(Role.WORKFORCE, rota.department.trust))
    answer = api.post(f"/api/v1/rotas/{rota.id}/solve", json={"time_limit": 2})
    assert answer.status_code == 202 and answer.get_json()["status"] == "queued"
    run_queued_solves(utcnow())
    assert api.get(f"/api/v1/rota-solve-runs/{answer.get_json()['id']}").get_json()["status"] == (
        "done"
    )


def test_runs_whose_process_died_are_failed_with_the_reason_and_audited(app, frozen, client, auth):
    trust = TrustFactory()
    running = RotaSolveRunFactory(
        rota__department__site__trust=trust, status=SolveRunStatus.RUNNING, started_at=NOW
    )
    finished = RotaSolveRunFactory(rota=running.rota, status=SolveRunStatus.DONE)
    lost = gap_fill_run(trust, time_limit=10)  # queued, and no process ever took it

    frozen.shift(10 + runs.STALE_AFTER.total_seconds() - 1)
    with transaction():
        assert runs.interrupt_dead_runs(utcnow()) == 0
    assert status(RotaSolveRun, running.id) == "running"

    frozen.shift(1)
    assert run_queued_solves(utcnow()) == "0 run(s) solved, 2 interrupted"
    dead = db.session.get(RotaSolveRun, running.id)
    assert dead.status == SolveRunStatus.FAILED and dead.finished_at == utcnow()
    assert dead.error == runs.INTERRUPTED and "solver process stopped" in dead.error
    assert status(RotaSolveRun, finished.id) == "done"
    assert status(GapFillRun, lost.id) == "failed"
    audits = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    stopped = [(a.action, a.object_id, a.after["was"]) for a in audits if "interrupt" in a.action]
    assert stopped == [
        ("rota.solve_interrupted", str(running.rota_id), "running"),
        ("gapfill.interrupted", str(lost.id), "queued"),
    ]
    assert run_queued_solves(utcnow()) == "0 run(s) solved, 0 interrupted"

    auth.login(staff_user(Role.WORKFORCE, trust).email)
    page = client.get(f"/workforce/rota-runs/{running.id}/progress").get_data(as_text=True)
    assert "Stopped with an error" in page and "the solver process stopped" in page
    assert "hx-trigger" not in page  # no more polling


def test_progress_reported_from_the_solvers_own_threads_is_recorded(app, monkeypatch):
    """The solver's LNS reports from worker threads of its own, outside any app context."""
    from rota.services import solving

    real = solving.solve_verified

    def in_another_thread(spec, **kwargs):
        found = []
        thread = threading.Thread(target=lambda: found.append(real(spec, **kwargs)))
        thread.start()
        thread.join()
        return found[0]

    monkeypatch.setattr(solving, "solve_verified", in_another_thread)
    rota, _member = tiny_rota()
    with transaction():
        run = RotaSolveRun(
            rota_id=rota.id, trust_id=rota.trust_id, time_limit=2, created_at=NOW, progress=[]
        )
        db.session.add(run)
    assert run_queued_solves(NOW) == "1 run(s) solved, 0 interrupted"
    db.session.commit()
    run = db.session.get(RotaSolveRun, run.id)
    assert run.status == SolveRunStatus.DONE and run.error is None
    assert run.progress and run.roster and run.best_objective is not None


def test_a_gap_filling_result_after_the_run_was_interrupted_is_discarded_and_audited(
    app, monkeypatch, api_client
):
    """A run only slow, not dead: marked interrupted while it solves, its late result is
    discarded (no proposals written), the run stays failed, and the discarding is audited."""
    trust = TrustFactory()
    ShiftFactory(department__site__trust=trust)  # nobody can take it: an open-shift proposal
    run = gap_fill_run(trust, time_limit=10)
    with transaction():
        assert runs.claim(GapFillRun, run.id, NOW)
    real = gapfill_service.solve_gaps

    def interrupted_while_solving(problem, params):
        with transaction():  # the scheduler's job, finding the run past its deadline
            assert runs.interrupt_dead_runs(NOW + timedelta(hours=1)) == 1
        return real(problem, params)

    monkeypatch.setattr(gapfill_service, "solve_gaps", interrupted_while_solving)
    gapfill_service.solve_run(run.id, now=NOW)

    db.session.commit()
    run = db.session.get(GapFillRun, run.id)
    assert run.status.value == "failed" and run.error == runs.INTERRUPTED
    assert db.session.scalar(sa.select(sa.func.count(GapFillItem.id))) == 0
    audits = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [a.action for a in audits] == [
        "gapfill.started",
        "gapfill.interrupted",
        "gapfill.late_result_discarded",
    ]
    assert audits[-1].after["open"] == 1 and audits[-1].after["status"] == "failed"
    body = api_client(staff_user(Role.WORKFORCE, trust)).get(f"/api/v1/gap-fill-runs/{run.id}")
    assert body.get_json()["status"] == "failed" and body.get_json()["proposals"] == []


def test_a_rota_solve_after_the_run_was_interrupted_writes_nothing_of_its_result(
    app, monkeypatch, client, auth
):
    """Marked interrupted while it solves, a rota solve writes no progress, roster or rota
    assignments afterwards (the rota may have been solved again since); the run stays failed
    and the discarded result is audited."""
    from rota.services import solving

    rota, _member = tiny_rota()
    run = RotaSolveRunFactory(rota=rota, time_limit=2)
    with transaction():
        assert runs.claim(RotaSolveRun, run.id, NOW)
    real = solving.solve_verified

    def interrupted_first(spec, **kwargs):
        with transaction():
            assert runs.interrupt_dead_runs(NOW + timedelta(hours=1)) == 1
        return real(spec, **kwargs)

    monkeypatch.setattr(solving, "solve_verified", interrupted_first)
    solving.run_solve(run.id)

    db.session.commit()
    run = db.session.get(RotaSolveRun, run.id)
    assert run.status == SolveRunStatus.FAILED and run.error == runs.INTERRUPTED
    assert run.progress == [] and run.roster is None and run.best_objective is None
    assert db.session.get(type(rota), rota.id).assignments == []
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert [a for a in actions if a.startswith("rota.solve")] == [
        "rota.solve_interrupted",
        "rota.solve_late_result_discarded",
    ]
    assert "rota.solved" not in actions
    auth.login(staff_user(Role.WORKFORCE, rota.department.trust).email)
    page = client.get(f"/workforce/rota-runs/{run.id}/progress").get_data(as_text=True)
    assert "Stopped with an error" in page and "the solver process stopped" in page
