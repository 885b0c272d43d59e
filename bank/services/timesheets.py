"""Timesheets: the worker submits hours after a shift, the workforce team signs them off or
queries them, and the paying Trust approves payment (the export is in `payroll.py`).

Pay states (shared/rules.md, "How the leaders behave"): Submitted -> Signed off -> Payment
approved -> With payroll, or Queried back to the worker with a reason, who corrects and submits
again. Who pays: the Trust where the shift was worked, except for a collaborative bank shift in
the lead-employer model, which the lead Trust pays and recharges to the Trust where it was
worked.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.models import Role, User, Worker
from app.services import notify, record_audit
from app.templating import short_time
from bank.models import (
    Bank,
    BankKind,
    Booking,
    BookingStatus,
    EmploymentModel,
    Shift,
    Tier,
    Timesheet,
    TimesheetStatus,
    bank_trusts,
)
from bank.services.memberships import workforce_users

# How far actual times may stray from the booked ones before we ask for a correction: a
# worker kept late by a sick patient is paid for it; a typo of a day or of AM/PM is not.
WITHIN_REASON = timedelta(hours=4)


def _when(moment: datetime) -> str:
    return short_time(moment)


def paying_trust_id(shift: Shift) -> int:
    """The Trust that pays for a shift: its own, or the lead employer of the collaborative bank
    for the collaborative bank's shifts in the lead-employer model."""
    if shift.tier == Tier.COLLABORATIVE:
        lead = db.session.scalar(
            sa.select(Bank.lead_trust_id)
            .join(bank_trusts, bank_trusts.c.bank_id == Bank.id)
            .where(
                bank_trusts.c.trust_id == shift.trust_id,
                Bank.kind == BankKind.COLLABORATIVE,
                Bank.employment_model == EmploymentModel.LEAD_EMPLOYER,
                Bank.lead_trust_id.is_not(None),
            )
            .limit(1)
        )
        if lead is not None:
            return lead
    return shift.trust_id


def worked_minutes(start: datetime, end: datetime, break_minutes: int) -> int:
    """Minutes worked: the real elapsed time (clock changes included) less breaks."""
    return int((end - start).total_seconds() // 60) - break_minutes


def amount_pence(minutes: int, pence_per_hour: int) -> int:
    """Pay for `minutes` at an hourly rate, rounded to the nearest penny."""
    return round(minutes * pence_per_hour / 60)


def _validate(
    booking: Booking, actual_start: datetime, actual_end: datetime, breaks: int, now: datetime
) -> None:
    shift, errors = booking.shift, {}
    if actual_start.tzinfo is None or actual_end.tzinfo is None:
        raise ValidationFailed.on("actual_start", "Give times with their UTC offset")
    if abs(actual_start - shift.start_at) > WITHIN_REASON:
        errors["actual_start"] = [
            f"The start is more than 4 hours from the booked start ({_when(shift.start_at)})"
        ]
    if actual_end <= actual_start:
        errors["actual_end"] = ["The end must be after the start"]
    elif abs(actual_end - shift.end_at) > WITHIN_REASON:
        errors["actual_end"] = [
            f"The end is more than 4 hours from the booked end ({_when(shift.end_at)})"
        ]
    elif actual_end > now:
        errors["actual_end"] = ["Submit the timesheet once the shift has ended"]
    if breaks < 0:
        errors["break_minutes"] = ["Breaks cannot be negative"]
    elif actual_end > actual_start and breaks >= (actual_end - actual_start).total_seconds() / 60:
        errors["break_minutes"] = ["Breaks must be shorter than the time worked"]
    if errors:
        raise ValidationFailed("Some times on the timesheet are not valid.", errors=errors)


def submit_timesheet(
    worker: Worker,
    booking_id: int,
    *,
    actor: User,
    actual_start: datetime,
    actual_end: datetime,
    break_minutes: int,
    now: datetime,
) -> Timesheet:
    """Submit (or, once queried, correct and resubmit) the timesheet of a worked shift."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.worker_id != worker.id or actor.id != worker.user_id:
        raise NotFound(f"No booking with id {booking_id} of yours.")
    if booking.status != BookingStatus.ACTIVE:
        raise Conflict("This booking was cancelled: there is nothing to claim.")
    shift = booking.shift
    if shift.start_at > now:
        raise ValidationFailed.on("actual_end", "Submit the timesheet once the shift has ended")
    _validate(booking, actual_start, actual_end, break_minutes, now)
    timesheet = db.session.scalar(sa.select(Timesheet).where(Timesheet.booking_id == booking.id))
    if timesheet is not None and timesheet.status != TimesheetStatus.QUERIED:
        raise Conflict(
            f"You have already submitted this timesheet (it is {label(timesheet.status)})."
        )
    minutes = worked_minutes(actual_start, actual_end, break_minutes)
    before = None
    if timesheet is None:
        timesheet = Timesheet(booking_id=booking.id, worker_id=worker.id, trust_id=shift.trust_id)
        db.session.add(timesheet)
    else:
        before = {"status": timesheet.status.value, "worked_minutes": timesheet.worked_minutes}
    timesheet.actual_start, timesheet.actual_end = actual_start, actual_end
    timesheet.break_minutes, timesheet.worked_minutes = break_minutes, minutes
    timesheet.amount_pence = amount_pence(minutes, shift.pence_per_hour)
    timesheet.status, timesheet.submitted_at = TimesheetStatus.SUBMITTED, now
    timesheet.paying_trust_id = paying_trust_id(shift)
    db.session.flush()
    record_audit(
        "timesheet.submitted",
        timesheet,
        actor=actor,
        now=now,
        before=before,
        after={
            "status": "submitted",
            "worked_minutes": minutes,
            "amount_pence": timesheet.amount_pence,
        },
    )
    for staff in workforce_users(shift.trust_id):
        notify(
            staff,
            "timesheet.submitted",
            f"Timesheet to sign off: {worker.name}, {shift.department.name}",
            now=now,
            body=f"{_when(actual_start)} to {_when(actual_end)}, {break_minutes} min breaks.",
            link="/workforce/timesheets",
        )
    return timesheet


LABELS = {
    TimesheetStatus.SUBMITTED: "submitted",
    TimesheetStatus.SIGNED_OFF: "signed off",
    TimesheetStatus.PAYMENT_APPROVED: "payment approved",
    TimesheetStatus.WITH_PAYROLL: "with payroll",
    TimesheetStatus.QUERIED: "queried",
}


def label(status: TimesheetStatus) -> str:
    return LABELS[status]


def timesheet_for_staff(
    timesheet_id: int, actor: User, *, paying: bool = False, roles=(Role.WORKFORCE,)
) -> Timesheet:
    """A timesheet of a shift at the actor's Trust (or, `paying`, one their Trust pays)."""
    timesheet = db.session.get(Timesheet, timesheet_id)
    trust_id = None
    if timesheet is not None:
        trust_id = timesheet.paying_trust_id if paying else timesheet.trust_id
    if timesheet is None or not any(actor.has_role(role, trust_id) for role in roles):
        raise NotFound(f"No timesheet with id {timesheet_id} at your Trust.")
    return timesheet


def change_state(
    timesheet: Timesheet,
    actor: User,
    *,
    to: TimesheetStatus,
    allowed: tuple[TimesheetStatus, ...],
    now: datetime,
    reason: str | None = None,
) -> Timesheet:
    if timesheet.status not in allowed:
        raise Conflict(f"This timesheet is {label(timesheet.status)}: it cannot be {label(to)}.")
    before = timesheet.status
    timesheet.status = to
    db.session.flush()
    record_audit(
        f"timesheet.{to.value}",
        timesheet,
        actor=actor,
        now=now,
        before={"status": before.value},
        after={"status": to.value, **({"reason": reason} if reason else {})},
    )
    shift = timesheet.booking.shift
    title = {
        TimesheetStatus.SIGNED_OFF: "Timesheet signed off",
        TimesheetStatus.PAYMENT_APPROVED: "Payment approved",
        TimesheetStatus.WITH_PAYROLL: "Timesheet sent to payroll",
        TimesheetStatus.QUERIED: "Timesheet queried: please correct it",
    }[to]
    notify(
        timesheet.worker.user,
        f"timesheet.{to.value}",
        f"{title}: {shift.department.name}, {_when(shift.start_at)}",
        now=now,
        body=reason or f"£{timesheet.amount_pence / 100:.2f} for {timesheet.worked_minutes} min.",
        link="/timesheets",
    )
    return timesheet


def sign_off(timesheet: Timesheet, actor: User, *, now: datetime) -> Timesheet:
    """The Trust's workforce team confirms the hours were worked."""
    timesheet.signed_off_at, timesheet.signed_off_by_user_id = now, actor.id
    return change_state(
        timesheet,
        actor,
        to=TimesheetStatus.SIGNED_OFF,
        allowed=(TimesheetStatus.SUBMITTED,),
        now=now,
    )


def query_timesheet(
    timesheet: Timesheet, actor: User, *, reason: str | None, now: datetime
) -> Timesheet:
    """Send a timesheet back to the worker with the reason; they correct and resubmit."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.on("reason", "Say what is wrong, so the worker can correct it")
    timesheet.query_reason, timesheet.queried_at = reason, now
    return change_state(
        timesheet,
        actor,
        to=TimesheetStatus.QUERIED,
        allowed=(TimesheetStatus.SUBMITTED, TimesheetStatus.SIGNED_OFF),
        now=now,
        reason=reason,
    )


def approve_payment(timesheet: Timesheet, actor: User, *, now: datetime) -> Timesheet:
    """The paying Trust approves payment of a signed-off timesheet."""
    timesheet.payment_approved_at, timesheet.payment_approved_by_user_id = now, actor.id
    return change_state(
        timesheet,
        actor,
        to=TimesheetStatus.PAYMENT_APPROVED,
        allowed=(TimesheetStatus.SIGNED_OFF,),
        now=now,
    )
