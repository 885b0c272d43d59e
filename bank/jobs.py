"""Scheduled jobs of the bank: new-shift nudges (instant or a daily digest), reminders the
day before a shift, and alerts on membership requests close to 48 hours undecided.

Each body claims its run (`app.jobs.claim_run`) in one transaction, and every message carries
a `once_key`, so a run repeated by a second scheduler, or a late run overlapping the previous
one, never tells anyone twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.db import transaction
from app.extensions import db
from app.jobs import FREQUENT_GRACE, Job, claim_run
from app.models import JobRun, ShiftNudgeFrequency, Worker
from app.notifications import notify, preferences_of
from app.templating import short_time
from bank.models import (
    Bank,
    BankKind,
    BankMembership,
    Booking,
    BookingStatus,
    MembershipStatus,
    Shift,
    ShiftStatus,
    Tier,
)
from bank.services import offers, release
from bank.services.eligibility import judge_shift, worker_context
from bank.services.memberships import workforce_of

LONDON = ZoneInfo("Europe/London")
NUDGE_EVERY = timedelta(minutes=15)
# Each instant run looks back over two intervals, so a run missed or late loses nothing; the
# once_key keeps a shift from being announced to the same worker twice.
NUDGE_LOOKBACK = 2 * NUDGE_EVERY
# Requests still undecided this long after they were made are flagged to the team, leaving
# time to act before the 48-hour goal.
MEMBERSHIP_ALERT_AFTER = timedelta(hours=40)
MAX_SHIFTS_IN_A_MESSAGE = 10


def _when(shift: Shift) -> str:
    return short_time(shift.start_at)


def _newly_visible(since: datetime, until: datetime) -> list[Shift]:
    """Open future shifts posted, or released to the collaborative bank, in (since, until]."""
    return list(
        db.session.scalars(
            sa.select(Shift)
            .where(
                Shift.status == ShiftStatus.OPEN,
                Shift.start_at > until,
                sa.or_(
                    sa.and_(Shift.posted_at > since, Shift.posted_at <= until),
                    sa.and_(Shift.released_at > since, Shift.released_at <= until),
                ),
            )
            .order_by(Shift.start_at)
        )
    )


def _interested_workers(shifts: list[Shift]) -> list[Worker]:
    """Approved members of a bank showing any of the shifts, in a staff group they need."""
    trust_ids = {s.trust_id for s in shifts}
    groups = {s.staff_group for s in shifts}
    collaborative = any(s.tier == Tier.COLLABORATIVE for s in shifts)
    banks = db.session.scalars(sa.select(Bank)).all()
    bank_ids = [
        b.id
        for b in banks
        if (b.kind == BankKind.TRUST and b.trust_id in trust_ids)
        or (
            b.kind == BankKind.COLLABORATIVE
            and collaborative
            and any(t.id in trust_ids for t in b.member_trusts)
        )
    ]
    return list(
        db.session.scalars(
            sa.select(Worker)
            .join(BankMembership, BankMembership.worker_id == Worker.id)
            .where(
                BankMembership.bank_id.in_(bank_ids),
                BankMembership.status == MembershipStatus.APPROVED,
                Worker.staff_group.in_(groups),
            )
            .distinct()
            .order_by(Worker.id)
        )
    )


def _matches(
    shifts: list[Shift], now: datetime, frequency: ShiftNudgeFrequency
) -> dict[Worker, list[Shift]]:
    """For each worker wanting `frequency`, the shifts they can actually take (grade, staff
    group, passport and rules all fit): never a flood of unsuitable ones."""
    found: dict[Worker, list[Shift]] = defaultdict(list)
    if not shifts:
        return found
    for worker in _interested_workers(shifts):
        if not worker.user.active or preferences_of(worker.user).new_shifts != frequency:
            continue
        possible = [
            s
            for s in shifts
            if s.staff_group == worker.staff_group
            and worker.grade in (s.acceptable_grades or [s.grade])
        ]
        if not possible:
            continue
        context = worker_context(worker, now)
        found[worker] = [s for s in possible if judge_shift(context, s).eligible]
    return {w: s for w, s in found.items() if s}


def _tell(worker: Worker, shifts: list[Shift], now: datetime, once_key: str) -> bool:
    shown = shifts[:MAX_SHIFTS_IN_A_MESSAGE]
    lines = [
        f"{s.department.name}, {s.trust.name}: {_when(s)}, £{s.pence_per_hour / 100:.2f}/h"
        for s in shown
    ]
    more = len(shifts) - len(shown)
    if more:
        lines.append(f"and {more} more")
    title = (
        f"New shift you can take: {shown[0].department.name}, {_when(shown[0])}"
        if len(shifts) == 1
        else f"{len(shifts)} new shifts you can take"
    )
    return (
        notify(
            worker.user,
            "shift.new",
            title,
            now=now,
            body="\n".join(lines),
            link="/shifts?eligible_only=1",
            once_key=once_key,
        )
        is not None
    )


def nudge_new_shifts(now: datetime) -> JobRun | None:
    """Every 15 minutes: tell workers who want it instantly about new shifts they can take."""
    with transaction():
        run = claim_run("bank.new_shift_nudges", now)
        if run is None:
            return None
        shifts = _newly_visible(now - NUDGE_LOOKBACK, now)
        told = 0
        for worker, fitting in _matches(shifts, now, ShiftNudgeFrequency.INSTANT).items():
            fresh = [s for s in fitting if not _already_told(worker, s)]
            for shift in fresh:
                told += _tell(worker, [shift], now, f"shift:{shift.id}:new")
        run.summary = f"{len(shifts)} new shift(s), {told} message(s)"
        return run


def _already_told(worker: Worker, shift: Shift) -> bool:
    from app.models import Notification

    return (
        db.session.scalar(
            sa.select(Notification.id).where(
                Notification.user_id == worker.user_id,
                Notification.once_key == f"shift:{shift.id}:new",
            )
        )
        is not None
    )


def send_shift_digests(now: datetime) -> JobRun | None:
    """Daily at 07:00: one message to each digest reader with yesterday's new shifts for them."""
    with transaction():
        run = claim_run("bank.new_shift_digest", now)
        if run is None:
            return None
        day = now.astimezone(LONDON).date()
        since = datetime.combine(day - timedelta(days=1), time(7), LONDON)
        shifts = _newly_visible(since, datetime.combine(day, time(7), LONDON))
        told = sum(
            _tell(worker, fitting, now, f"shift-digest:{day.isoformat()}")
            for worker, fitting in _matches(shifts, now, ShiftNudgeFrequency.DAILY_DIGEST).items()
        )
        run.summary = f"{len(shifts)} new shift(s), {told} digest(s)"
        return run


def remind_tomorrows_shifts(now: datetime) -> JobRun | None:
    """Daily at 18:00: remind each worker of the shifts they start tomorrow (UK dates)."""
    with transaction():
        run = claim_run("bank.shift_reminders", now)
        if run is None:
            return None
        tomorrow = now.astimezone(LONDON).date() + timedelta(days=1)
        start = datetime.combine(tomorrow, time(0), LONDON)
        end = datetime.combine(tomorrow + timedelta(days=1), time(0), LONDON)
        bookings = db.session.scalars(
            sa.select(Booking)
            .join(Shift)
            .where(
                Booking.status == BookingStatus.ACTIVE,
                Shift.start_at >= start,
                Shift.start_at < end,
            )
            .order_by(Shift.start_at)
        )
        told = 0
        for booking in bookings:
            shift = booking.shift
            told += (
                notify(
                    booking.worker.user,
                    "shift.reminder",
                    f"Tomorrow: {shift.department.name} at {_when(shift)[-5:]}",
                    now=now,
                    body=f"{shift.trust.name}, {shift.department.site.name}. "
                    f"{_when(shift)} to {shift.end_at.astimezone(LONDON):%H:%M}.",
                    link="/shifts/mine",
                    once_key=f"booking:{booking.id}:reminder",
                )
                is not None
            )
        run.summary = f"{told} reminder(s)"
        return run


def alert_undecided_memberships(now: datetime) -> JobRun | None:
    """Hourly: tell the team about requests to join close to 48 hours undecided (once each)."""
    with transaction():
        run = claim_run("bank.membership_alerts", now)
        if run is None:
            return None
        waiting = db.session.scalars(
            sa.select(BankMembership)
            .where(
                BankMembership.status == MembershipStatus.REQUESTED,
                BankMembership.requested_at <= now - MEMBERSHIP_ALERT_AFTER,
            )
            .order_by(BankMembership.requested_at)
        )
        told = 0
        for membership in waiting:
            hours = int((now - membership.requested_at).total_seconds() // 3600)
            for staff in workforce_of(membership.bank):
                told += (
                    notify(
                        staff,
                        "bank_membership.waiting",
                        f"{membership.worker.name} has waited {hours} hours to join "
                        f"{membership.bank.name}",
                        now=now,
                        body="The goal is a decision within 48 hours.",
                        link="/workforce/memberships",
                        once_key=f"membership:{membership.id}:waiting",
                    )
                    is not None
                )
        run.summary = f"{told} alert(s)"
        return run


def release_due_shifts(now: datetime) -> JobRun | None:
    """Every 5 minutes: release to the collaborative bank the own-bank shifts still open
    within their Trust's release time (`Bank.release_hours_before`)."""
    with transaction():
        run = claim_run("bank.release_due_shifts", now)
        if run is None:
            return None
        run.summary = f"{len(release.release_due_shifts(now))} shift(s) released"
        return run


def expire_offers(now: datetime) -> JobRun | None:
    """Every 15 minutes: end the shift offers nobody answered in time (`OFFER_LIFETIME`, or
    the shift's start)."""
    with transaction():
        run = claim_run("bank.expire_offers", now)
        if run is None:
            return None
        run.summary = f"{offers.expire_due_offers(now)} offer(s) expired"
        return run


# Payroll closes weekly: timesheets signed off by Wednesday 12:00 (UK time) are paid in that
# week's run. Authorisers are reminded from two days before; timesheets still unsigned on the
# morning of the cut-off are escalated to the Trust's finance leads, since late sign-off is the
# bank workers' first complaint (late pay; shared/rules.md).
PAYROLL_CUTOFF_WEEKDAY, PAYROLL_CUTOFF_TIME = 2, time(12, 0)
REMIND_BEFORE_CUTOFF = timedelta(days=2)
ESCALATE_BEFORE_CUTOFF = timedelta(hours=6)


def next_payroll_cutoff(now: datetime) -> datetime:
    """The next weekly payroll cut-off at or after `now`."""
    local = now.astimezone(LONDON)
    days = (PAYROLL_CUTOFF_WEEKDAY - local.weekday()) % 7
    cutoff = datetime.combine(local.date() + timedelta(days=days), PAYROLL_CUTOFF_TIME, LONDON)
    return cutoff if cutoff >= now else cutoff + timedelta(days=7)


def remind_unsigned_timesheets(now: datetime) -> JobRun | None:
    """Hourly in the two days before the payroll cut-off: remind the shift's workforce team of
    each timesheet still waiting for sign-off, and escalate to finance on the cut-off morning."""
    from app.models import Role
    from bank.models import Timesheet, TimesheetStatus
    from bank.services.memberships import workforce_users

    with transaction():
        run = claim_run("bank.timesheet_reminders", now)
        if run is None:
            return None
        cutoff = next_payroll_cutoff(now)
        if cutoff - now > REMIND_BEFORE_CUTOFF:
            run.summary = "no cut-off within two days"
            return run
        waiting = db.session.scalars(
            sa.select(Timesheet)
            .where(Timesheet.status == TimesheetStatus.SUBMITTED)
            .order_by(Timesheet.submitted_at)
        )
        by_trust: dict[int, list] = defaultdict(list)
        for timesheet in waiting:
            by_trust[timesheet.trust_id].append(timesheet)
        key = cutoff.astimezone(LONDON).date().isoformat()
        when = f"{cutoff.astimezone(LONDON):%A %d %B %H:%M}"
        told = 0
        for trust_id, timesheets in by_trust.items():
            count = len(timesheets)
            for staff in workforce_users(trust_id):
                told += (
                    notify(
                        staff,
                        "timesheet.reminder",
                        f"{count} timesheet{'s' if count != 1 else ''} to sign off before {when}",
                        now=now,
                        body="Sign them off so the bank workers are paid on time.",
                        link="/workforce/timesheets",
                        once_key=f"timesheets:{trust_id}:cutoff:{key}:reminder",
                    )
                    is not None
                )
            if cutoff - now <= ESCALATE_BEFORE_CUTOFF:
                for lead in workforce_users(trust_id, (Role.FINANCE,)):
                    told += (
                        notify(
                            lead,
                            "timesheet.escalation",
                            f"Escalation: {count} timesheet{'s' if count != 1 else ''} unsigned "
                            f"{(cutoff - now) // timedelta(hours=1)} h before payroll closes",
                            now=now,
                            body="The workforce team has been reminded; the workers will "
                            "be paid late unless they are signed off.",
                            link="/workforce/timesheets",
                            once_key=f"timesheets:{trust_id}:cutoff:{key}:escalation",
                        )
                        is not None
                    )
        run.summary = f"{told} reminder(s) and escalation(s)"
        return run


JOBS = [
    Job(
        id="bank.new_shift_nudges",
        func="bank.jobs:nudge_new_shifts",
        trigger="interval",
        trigger_args={"minutes": 15},
        misfire_grace_time=FREQUENT_GRACE,
        description="Tell workers who want it at once about new shifts they can take",
    ),
    Job(
        id="bank.new_shift_digest",
        func="bank.jobs:send_shift_digests",
        trigger="cron",
        trigger_args={"hour": 7, "minute": 0},
        description="A daily digest of new shifts each worker can take",
    ),
    Job(
        id="bank.shift_reminders",
        func="bank.jobs:remind_tomorrows_shifts",
        trigger="cron",
        trigger_args={"hour": 18, "minute": 0},
        description="Remind workers of tomorrow's shifts",
    ),
    Job(
        id="bank.membership_alerts",
        func="bank.jobs:alert_undecided_memberships",
        trigger="interval",
        trigger_args={"hours": 1},
        misfire_grace_time=FREQUENT_GRACE,
        description="Flag requests to join that are close to 48 hours undecided",
    ),
    Job(
        id="bank.release_due_shifts",
        func="bank.jobs:release_due_shifts",
        trigger="interval",
        trigger_args={"minutes": 5},
        misfire_grace_time=FREQUENT_GRACE,
        description="Release own-bank shifts still open at their Trust's release time",
    ),
    Job(
        id="bank.expire_offers",
        func="bank.jobs:expire_offers",
        trigger="interval",
        trigger_args={"minutes": 15},
        misfire_grace_time=FREQUENT_GRACE,
        description="End shift offers not answered in time",
    ),
    Job(
        id="bank.timesheet_reminders",
        func="bank.jobs:remind_unsigned_timesheets",
        trigger="interval",
        trigger_args={"hours": 1},
        misfire_grace_time=FREQUENT_GRACE,
        description="Remind authorisers of unsigned timesheets before the payroll cut-off, "
        "escalating to finance on its morning",
    ),
]
