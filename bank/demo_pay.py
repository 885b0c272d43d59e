"""Demo timesheets: most of last week's worked shifts have a timesheet somewhere between
submitted and payment approved, and the demo worker has a shift of their own to claim."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from bank.models import (
    Booking,
    BookingSource,
    BookingStatus,
    Shift,
    ShiftStatus,
    Timesheet,
    TimesheetStatus,
)
from bank.services.timesheets import amount_pence, paying_trust_id, worked_minutes

# Last week's timesheets, by pay state (the rest are not submitted yet).
STATES = [
    (TimesheetStatus.SUBMITTED, 0.35),
    (TimesheetStatus.SIGNED_OFF, 0.2),
    (TimesheetStatus.PAYMENT_APPROVED, 0.2),
    (TimesheetStatus.QUERIED, 0.05),
    (None, 0.2),
]


def load_pay_demo(made, *, rng: random.Random, now: datetime) -> None:
    """Add timesheets to the demo's worked shifts (called after the bank's demo)."""
    rng = random.Random(rng.random())  # the bank demo's own draws stay as they were
    worked = (
        db.session.scalars(
            sa.select(Booking)
            .join(Shift)
            .where(Booking.status == BookingStatus.ACTIVE, Shift.end_at < now)
            .order_by(Shift.start_at, Booking.id)
        )
        .unique()
        .all()
    )
    for booking in worked:
        state = rng.choices([s for s, _ in STATES], [w for _, w in STATES])[0]
        if state is None:
            continue
        shift = booking.shift
        breaks = 30 if shift.hours > 6 else 0
        late = timedelta(minutes=rng.choice([0, 0, 0, 15, 30]))
        minutes = worked_minutes(shift.start_at, shift.end_at + late, breaks)
        submitted = shift.end_at + timedelta(hours=rng.randint(1, 30))
        sheet = Timesheet(
            booking_id=booking.id,
            worker_id=booking.worker_id,
            trust_id=shift.trust_id,
            paying_trust_id=paying_trust_id(shift),
            actual_start=shift.start_at,
            actual_end=shift.end_at + late,
            break_minutes=breaks,
            worked_minutes=minutes,
            amount_pence=amount_pence(minutes, shift.pence_per_hour),
            status=state,
            submitted_at=min(submitted, now),
        )
        if state in (TimesheetStatus.SIGNED_OFF, TimesheetStatus.PAYMENT_APPROVED):
            sheet.signed_off_at = min(submitted + timedelta(hours=20), now)
        if state == TimesheetStatus.PAYMENT_APPROVED:
            sheet.payment_approved_at = sheet.signed_off_at
        if state == TimesheetStatus.QUERIED:
            sheet.query_reason = "The ward says you left at the booked end: please check the time"
            sheet.queried_at = min(submitted + timedelta(hours=20), now)
        db.session.add(sheet)
    _demo_workers_shift(made, now)
    db.session.flush()


def _demo_workers_shift(made, now: datetime) -> None:
    """Book the demo worker onto yesterday's open shift at their Trust, so that they can
    submit its timesheet."""
    worker = made.workers[0] if made.workers else None
    if worker is None:
        return
    shift = db.session.scalar(
        sa.select(Shift)
        .where(
            Shift.trust_id == worker.primary_trust_id,
            Shift.status == ShiftStatus.OPEN,
            Shift.staff_group == worker.staff_group,
            Shift.end_at < now - timedelta(hours=12),
            Shift.start_at > now - timedelta(days=3),
        )
        .order_by(Shift.start_at.desc())
        .limit(1)
    )
    if shift is None:
        return
    shift.status = ShiftStatus.BOOKED
    if worker.grade not in shift.acceptable_grades:
        shift.acceptable_grades = [*shift.acceptable_grades, worker.grade]
    db.session.add(
        Booking(
            shift_id=shift.id,
            worker_id=worker.id,
            status=BookingStatus.ACTIVE,
            source=BookingSource.APPLICATION,
            booked_at=shift.start_at - timedelta(days=4),
        )
    )
