"""The demo rota: `flask demo load` gives the first Trust a draft rota a new user can build."""

from __future__ import annotations

import random
from datetime import date

import sqlalchemy as sa
import time_machine

from app.db import transaction
from app.demo import generate
from app.extensions import db
from app.models import AuditEvent, Trust
from rota import demo, services
from rota.models import Rota, RotaSolveRun, RotaStatus
from rota.services import runs
from tests.factories import NOW


def test_demo_load_gives_the_first_trust_a_draft_rota_for_the_next_four_weeks(runner):
    with time_machine.travel(NOW, tick=False):  # Monday 2 November 2026
        result = runner.invoke(args=["demo", "load", "--trusts", "2", "--workers", "20"])
    assert result.exit_code == 0, result.output
    rota = db.session.scalar(sa.select(Rota))
    assert rota.trust_id == db.session.scalar(sa.select(sa.func.min(Trust.id)))
    assert rota.status == RotaStatus.DRAFT
    assert (rota.starts_on, rota.weeks) == (date(2026, 11, 9), 4)
    assert {(st.code, st.starts_at.hour, st.minutes) for st in rota.shift_types} == {
        ("D", 8, 510),
        ("LD", 8, 750),
        ("N", 20, 750),
    }
    assert [g.name for g in rota.grade_groups] == ["Registrar", "SHO", "FY1"]
    assert len(rota.covers) == len(demo.COVER)
    assert 10 <= len(rota.members) <= 16
    assert all(m.worker.primary_trust_id == rota.trust_id for m in rota.members)
    assert {m.contracted_minutes_per_week for m in rota.members} == {32 * 60, 40 * 60}
    assert sum(1 for m in rota.members if m.leave) == 3
    assert sum(len(m.requests) for m in rota.members) == 6
    # Defined as a workforce team would: by the Trust's workforce lead, audited.
    assert rota.created_by.email == f"workforce.r01@{demo.DEMO_DOMAIN}"
    assert db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "rota.member_added")
    ) == len(rota.members)


def test_the_demo_rota_is_the_same_for_the_same_seed():
    monday = date(2026, 11, 9)
    same = [demo.plan(random.Random(2026), monday) for _ in range(2)]
    assert same[0] == same[1]
    assert demo.plan(random.Random(7), monday)["doctors"] != same[0]["doctors"]


def test_the_demo_rota_solves_feasibly(app):
    # Two workers, as in production: the solver then reports progress from its own threads.
    app.config["ROTA_SOLVER_WORKERS"] = 2
    with transaction():
        generate(trusts=1, workers=0, seed=2026, now=NOW)
    rota = db.session.scalar(sa.select(Rota))
    with transaction():
        run = services.start_solve(rota, rota.created_by, time_limit=5, now=NOW)
    runs.run_claimed(RotaSolveRun, services.run_solve, run.id)
    db.session.commit()
    run = db.session.get(RotaSolveRun, run.id)
    assert run.status.value == "done" and run.error is None, run.error
    assert run.solver_status in ("OPTIMAL", "FEASIBLE")
    assert rota.assignments
