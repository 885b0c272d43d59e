"""Finding and booking shifts: who may take which shift, and why not.

Every way onto a shift (instant booking, an approved application, an assignment by the
workforce team or the gap filler) goes through `book_shift`, so the same checks and the same
claim apply: the worker's banks, staff group and grade, their passport at the shift's start,
and the safe-working rules against all their work at every Trust. The claim is a conditional
`UPDATE shifts ... WHERE status = 'open'` checked by row count, backed by a partial unique
index on active bookings; the worker's row is locked first, so one worker's concurrent
bookings are checked one after another and can never overlap.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.models import Role, User, Worker
from app.services import notify, record_audit
from app.templating import short_time
from bank.models import (
    Application,
    ApplicationStatus,
    Bank,
    Booking,
    BookingSource,
    BookingStatus,
    LateCancellation,
    Shift,
    ShiftStatus,
)
from bank.services.eligibility import NotEligible, Refusal, judge_shift, worker_context
from bank.services.memberships import workforce_users


class TooLateToCancel(DomainError):
    status = 409
    title = "Too late to cancel here"
    type = "/problems/too-late-to-cancel"


def _lock_worker(worker: Worker) -> None:
    # PostgreSQL: one booking at a time per worker (the row lock lasts until commit). SQLite
    # serialises every write transaction already (BEGIN IMMEDIATE), and ignores FOR UPDATE.
    db.session.execute(sa.select(Worker.id).where(Worker.id == worker.id).with_for_update())


def book_shift(
    worker: Worker, shift_id: int, *, actor: User, now: datetime, source: BookingSource
) -> Booking:
    """Book the shift for the worker, if they may take it and nobody has yet."""
    _lock_worker(worker)
    shift = db.session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(f"No shift with id {shift_id}.")
    if shift.status == ShiftStatus.OPEN:
        verdict = judge_shift(worker_context(worker, now), shift)
        if source == BookingSource.INSTANT and verdict.eligible and not verdict.instant:
            verdict.refusals.append(
                Refusal(
                    "not_instant",
                    "This department asks you to apply for its shifts rather than book instantly",
                )
            )
        if not verdict.eligible:
            raise NotEligible(
                "; ".join(r.message for r in verdict.refusals),
                errors={"shift_id": [r.message for r in verdict.refusals]},
            )
    claimed = db.session.execute(
        sa.update(Shift)
        .where(Shift.id == shift_id, Shift.status == ShiftStatus.OPEN)
        .values(status=ShiftStatus.BOOKED)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise Conflict(
            "Someone else has just booked this shift.",
            errors={"shift_id": ["This shift is no longer open"]},
        )
    booking = Booking(
        shift_id=shift_id,
        worker_id=worker.id,
        status=BookingStatus.ACTIVE,
        source=source,
        booked_at=now,
        booked_by_user_id=actor.id,
    )
    db.session.add(booking)
    try:
        db.session.flush()
    except IntegrityError as error:  # the partial unique index: never two active bookings
        raise Conflict("Someone else has just booked this shift.") from error
    db.session.refresh(shift)
    _close_applications(shift, worker, actor, now)
    record_audit(
        "booking.created",
        booking,
        actor=actor,
        now=now,
        trust_id=shift.trust_id,
        after={"shift_id": shift_id, "worker_id": worker.id, "source": source.value},
    )
    from bank.services.offers import settle_offers  # (offers accept through book_shift)

    settle_offers(shift, booking, actor=actor, now=now)
    when = short_time(shift.start_at)
    notify(
        worker.user,
        "booking.created",
        f"Booked: {shift.department.name}, {when}",
        now=now,
        body=f"{shift.trust.name}, {shift.hours:g} hours at "
        f"£{shift.pence_per_hour / 100:.2f} an hour.",
        link="/shifts/mine",
    )
    if source != BookingSource.INSTANT:
        return booking
    for staff in workforce_users(shift.trust_id):
        notify(
            staff,
            "booking.created",
            f"{worker.name} booked {shift.department.name}, {when}",
            now=now,
            link=f"/workforce/shifts/{shift.id}",
        )
    return booking


def _close_applications(shift: Shift, booked: Worker, actor: User, now: datetime) -> None:
    pending = db.session.scalars(
        sa.select(Application).where(
            Application.shift_id == shift.id, Application.status == ApplicationStatus.PENDING
        )
    )
    for application in pending:
        mine = application.worker_id == booked.id
        application.status = ApplicationStatus.APPROVED if mine else ApplicationStatus.DECLINED
        application.decided_at, application.decided_by_user_id = now, actor.id
        if not mine:
            notify(
                application.worker.user,
                "application.declined",
                f"{shift.department.name} has been filled",
                now=now,
                body="Someone else took this shift. Look for others on Find shifts.",
                link="/shifts",
            )


def cancel_booking(booking: Booking, actor: User, *, reason: str | None, now: datetime) -> Booking:
    """Cancel a booking: by the worker inside the Trust's window, or by the workforce team.

    A worker cancelling later than the window gets `TooLateToCancel` and nothing changes;
    the entry point then records the late request (`record_late_cancellation`) in its own
    transaction. The booking stands until the department cancels it.
    """
    shift = booking.shift
    by_worker = actor.worker is not None and actor.worker.id == booking.worker_id
    if not by_worker and not actor.has_role(Role.WORKFORCE, shift.trust_id):
        raise NotFound(f"No booking with id {booking.id} that you can cancel.")
    if booking.status != BookingStatus.ACTIVE:
        raise Conflict("This booking is already cancelled.")
    own_bank = db.session.scalar(sa.select(Bank).where(Bank.trust_id == shift.trust_id))
    window = timedelta(hours=own_bank.cancellation_window_hours if own_bank else 48)
    late = shift.start_at - now < window
    if by_worker and late:
        raise TooLateToCancel(
            f"It is less than {window.total_seconds() / 3600:g} hours before the shift: please "
            f"call {shift.department.name} at {shift.trust.name} to cancel. We have told them."
        )
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at, booking.cancelled_by_user_id = now, actor.id
    booking.cancel_reason = (reason or "").strip() or None
    booking.late_cancellation = late
    db.session.flush()
    reopened = shift.start_at > now
    db.session.execute(
        sa.update(Shift)
        .where(Shift.id == shift.id)
        .values(status=ShiftStatus.OPEN if reopened else ShiftStatus.CANCELLED)
    )
    db.session.refresh(shift)
    record_audit(
        "booking.cancelled",
        booking,
        actor=actor,
        now=now,
        trust_id=shift.trust_id,
        after={
            "by": "worker" if by_worker else "workforce",
            "late": late,
            "reason": booking.cancel_reason,
        },
    )
    if not by_worker:
        notify(
            booking.worker.user,
            "booking.cancelled",
            f"Cancelled: {shift.department.name}",
            now=now,
            body=booking.cancel_reason or "The department cancelled your booking.",
            link="/shifts/mine",
        )
    return booking


def record_late_cancellation(booking: Booking, actor: User, *, now: datetime) -> LateCancellation:
    """Record a worker's request to cancel inside the window, and tell the department."""
    shift = booking.shift
    late = LateCancellation(
        booking_id=booking.id,
        worker_id=booking.worker_id,
        requested_at=now,
        hours_before_start=round((shift.start_at - now).total_seconds() / 3600, 1),
    )
    db.session.add(late)
    db.session.flush()
    record_audit(
        "booking.late_cancellation_requested",
        booking,
        actor=actor,
        now=now,
        trust_id=shift.trust_id,
    )
    for staff in workforce_users(shift.trust_id):
        notify(
            staff,
            "booking.late_cancellation",
            f"{booking.worker.name} asks to cancel {shift.department.name} late",
            now=now,
            link=f"/workforce/shifts/{shift.id}",
        )
    return late
