"""Payroll exports: a batch of the payment-approved timesheets a Trust pays for a period,
moved to With payroll, as CSV; and what the paying Trust recharges to the Trusts where the
shifts were worked (the lead employer of a collaborative bank in the lead-employer model; in
the distributed model each Trust pays its own shifts, so nothing is recharged)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import Role, Trust, User
from app.services import record_audit
from app.templating import LONDON
from bank.models import Booking, PayrollBatch, Shift, Timesheet, TimesheetStatus
from bank.services.timesheets import change_state

MAX_PERIOD = timedelta(days=93)
# A cell starting with one of these is a formula to a spreadsheet: quote it (OWASP, "CSV
# injection"), since names and departments are typed by people.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(start, time(0), LONDON),
        datetime.combine(end + timedelta(days=1), time(0), LONDON),
    )


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise ValidationFailed.on("period_end", "The period must end on or after its start")
    if end - start > MAX_PERIOD:
        raise ValidationFailed.on("period_end", "Export at most three months at a time")


def payable(trust: Trust, period_start: date, period_end: date) -> list[Timesheet]:
    """Timesheets the Trust pays, payment approved, for shifts starting in the period."""
    _check_period(period_start, period_end)
    since, until = _period_bounds(period_start, period_end)
    return list(
        db.session.scalars(
            sa.select(Timesheet)
            .join(Booking, Timesheet.booking_id == Booking.id)
            .join(Shift, Booking.shift_id == Shift.id)
            .where(
                Timesheet.paying_trust_id == trust.id,
                Timesheet.status == TimesheetStatus.PAYMENT_APPROVED,
                Shift.start_at >= since,
                Shift.start_at < until,
            )
            .order_by(Shift.start_at, Timesheet.id)
        ).unique()
    )


def export_payroll(
    trust: Trust, actor: User, *, period_start: date, period_end: date, now: datetime
) -> PayrollBatch:
    """Make a payroll batch of the Trust's payment-approved timesheets in the period and move
    them to With payroll."""
    if not (actor.has_role(Role.WORKFORCE, trust.id) or actor.has_role(Role.FINANCE, trust.id)):
        raise NotFound(f"No Trust with id {trust.id} that you can see.")
    timesheets = payable(trust, period_start, period_end)
    if not timesheets:
        raise ValidationFailed.on(
            "period_start", "No payment-approved timesheets to export in this period"
        )
    batch = PayrollBatch(
        trust_id=trust.id,
        period_start=period_start,
        period_end=period_end,
        created_at=now,
        created_by_user_id=actor.id,
        timesheet_count=len(timesheets),
        total_pence=sum(t.amount_pence for t in timesheets),
    )
    db.session.add(batch)
    db.session.flush()
    record_audit(
        "payroll_batch.created",
        batch,
        actor=actor,
        now=now,
        after={
            "period": f"{period_start}..{period_end}",
            "timesheets": batch.timesheet_count,
            "total_pence": batch.total_pence,
        },
    )
    for timesheet in timesheets:
        timesheet.payroll_batch_id = batch.id
        change_state(
            timesheet,
            actor,
            to=TimesheetStatus.WITH_PAYROLL,
            allowed=(TimesheetStatus.PAYMENT_APPROVED,),
            now=now,
        )
    return batch


def batch_timesheets(batch: PayrollBatch) -> list[Timesheet]:
    return list(
        db.session.scalars(
            sa.select(Timesheet)
            .join(Booking, Timesheet.booking_id == Booking.id)
            .join(Shift, Booking.shift_id == Shift.id)
            .where(Timesheet.payroll_batch_id == batch.id)
            .order_by(Shift.start_at, Timesheet.id)
        ).unique()
    )


@dataclass(frozen=True)
class Recharge:
    """What the paying Trust recharges to the Trust where the shifts were worked."""

    from_trust_id: int  # the Trust that paid
    to_trust_id: int  # the Trust that is recharged
    to_trust_name: str
    timesheet_count: int
    total_pence: int


def recharges(batch: PayrollBatch) -> list[Recharge]:
    """Amounts the batch's Trust paid for shifts worked at other Trusts, per Trust."""
    totals: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for timesheet in batch_timesheets(batch):
        if timesheet.trust_id != batch.trust_id:
            entry = totals.setdefault(timesheet.trust_id, [0, 0])
            entry[0] += 1
            entry[1] += timesheet.amount_pence
            names[timesheet.trust_id] = timesheet.trust.name
    return [
        Recharge(batch.trust_id, trust_id, names[trust_id], count, pence)
        for trust_id, (count, pence) in sorted(totals.items(), key=lambda kv: names[kv[0]])
    ]


CSV_COLUMNS = [
    "batch",
    "timesheet",
    "worker",
    "registration",
    "employing_trust",
    "worked_at_trust",
    "department",
    "cost_centre",
    "grade",
    "shift_date",
    "actual_start",
    "actual_end",
    "break_minutes",
    "worked_hours",
    "rate_gbp",
    "amount_gbp",
    "paid_by_trust",
    "recharge_to",
]


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def payroll_csv(batch: PayrollBatch) -> str:
    """The batch as CSV for payroll: one line per timesheet, UK local times, pounds."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for t in batch_timesheets(batch):
        shift, worker = t.booking.shift, t.worker
        registration = (
            f"{worker.registration_body.value} {worker.registration_number}"
            if worker.registration_body and worker.registration_number
            else ""
        )
        writer.writerow(
            _cell(value)
            for value in [
                batch.id,
                t.id,
                worker.name,
                registration,
                worker.primary_trust.name,
                shift.trust.name,
                shift.department.name,
                shift.department.cost_centre,
                shift.grade,
                shift.start_at.astimezone(LONDON).date().isoformat(),
                t.actual_start.astimezone(LONDON).strftime("%Y-%m-%d %H:%M"),
                t.actual_end.astimezone(LONDON).strftime("%Y-%m-%d %H:%M"),
                t.break_minutes,
                f"{t.worked_minutes / 60:.2f}",
                f"{shift.pence_per_hour / 100:.2f}",
                f"{t.amount_pence / 100:.2f}",
                batch.trust.name,
                shift.trust.name if t.trust_id != batch.trust_id else "",
            ]
        )
    return out.getvalue()
