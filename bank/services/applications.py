"""Applying for shifts a department does not let the worker book instantly, and the workforce
team's decision (approving books through `book_shift`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.errors import Conflict, NotFound
from app.extensions import db
from app.models import Role, User, Worker
from app.services import notify, record_audit
from bank.models import (
    Application,
    ApplicationStatus,
    Booking,
    BookingSource,
    Shift,
)
from bank.services.booking import book_shift
from bank.services.eligibility import NotEligible, judge_shift, worker_context
from bank.services.memberships import workforce_users


def apply_for_shift(worker: Worker, shift_id: int, *, actor: User, now: datetime) -> Application:
    """Apply for a shift the department fills by approval."""
    if actor.worker is None or actor.worker.id != worker.id:
        raise NotFound("You can apply only for yourself.")
    shift = db.session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(f"No shift with id {shift_id}.")
    verdict = judge_shift(worker_context(worker, now), shift)
    if not verdict.eligible:
        raise NotEligible(
            "; ".join(r.message for r in verdict.refusals),
            errors={"shift_id": [r.message for r in verdict.refusals]},
        )
    existing = db.session.scalar(
        sa.select(Application).where(
            Application.shift_id == shift_id, Application.worker_id == worker.id
        )
    )
    if existing is not None and existing.status == ApplicationStatus.PENDING:
        raise Conflict("You have already applied for this shift.")
    application = existing or Application(
        shift_id=shift_id, worker_id=worker.id, status=ApplicationStatus.PENDING
    )
    application.status, application.applied_at = ApplicationStatus.PENDING, now
    application.decided_at = application.decided_by_user_id = None
    db.session.add(application)
    db.session.flush()
    record_audit(
        "application.created",
        application,
        actor=actor,
        now=now,
        trust_id=shift.trust_id,
        after={"shift_id": shift_id},
    )
    for staff in workforce_users(shift.trust_id):
        notify(
            staff,
            "application.created",
            f"{worker.name} applied for {shift.department.name}",
            now=now,
            link=f"/workforce/shifts/{shift.id}",
        )
    return application


def _application_for_staff(application_id: int, actor: User) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or not actor.has_role(Role.WORKFORCE, application.shift.trust_id):
        raise NotFound(f"No application with id {application_id} at your Trust.")
    if application.status != ApplicationStatus.PENDING:
        raise Conflict(f"This application was already {application.status.value}.")
    return application


def approve_application(application_id: int, actor: User, *, now: datetime) -> Booking:
    """Approve an application: the worker is booked, through the same checks as anyone."""
    application = _application_for_staff(application_id, actor)
    return book_shift(
        application.worker,
        application.shift_id,
        actor=actor,
        now=now,
        source=BookingSource.APPLICATION,
    )


def decline_application(application_id: int, actor: User, *, now: datetime) -> Application:
    application = _application_for_staff(application_id, actor)
    application.status = ApplicationStatus.DECLINED
    application.decided_at, application.decided_by_user_id = now, actor.id
    record_audit(
        "application.declined",
        application,
        actor=actor,
        now=now,
        trust_id=application.shift.trust_id,
    )
    notify(
        application.worker.user,
        "application.declined",
        f"Not this time: {application.shift.department.name}",
        now=now,
        link="/shifts",
    )
    return application
