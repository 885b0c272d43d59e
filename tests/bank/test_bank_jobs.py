"""The bank's scheduled jobs, called directly with a frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.db import transaction
from app.extensions import db
from app.models import Notification, NotificationPreference, Role, ShiftNudgeFrequency
from bank.jobs import (
    alert_undecided_memberships,
    nudge_new_shifts,
    remind_tomorrows_shifts,
    send_shift_digests,
)
from bank.models import MembershipStatus
from tests.factories import (
    BankFactory,
    BookingFactory,
    MembershipFactory,
    ShiftFactory,
    TrustFactory,
    WorkerFactory,
    member_of_own_bank,
    staff_user,
)

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def messages(user, kind=None) -> list[Notification]:
    stmt = sa.select(Notification).where(Notification.user_id == user.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return list(db.session.scalars(stmt.order_by(Notification.id)))


def test_new_shift_nudges_reach_only_workers_who_can_take_it_and_only_once(app):
    trust = TrustFactory()
    fits, wrong_grade, other_group = (
        WorkerFactory(primary_trust=trust, grade=g) for g in ("ST3", "FY1", "ST3")
    )
    other_group.staff_group = "nursing"
    db.session.commit()
    for worker in (fits, wrong_grade, other_group):
        member_of_own_bank(worker)
    shift = ShiftFactory(department__site__trust=trust, posted_at=NOW - timedelta(minutes=5))
    assert nudge_new_shifts(NOW) is not None
    assert [m.title for m in messages(fits.user, "shift.new")] == [
        f"New shift you can take: {shift.department.name}, Tue 03 Nov 09:00"
    ]
    assert messages(wrong_grade.user) == messages(other_group.user) == []
    # The next run still looks back over the same shift: nothing is sent twice.
    nudge_new_shifts(NOW + timedelta(minutes=15))
    assert len(messages(fits.user, "shift.new")) == 1


def test_a_second_scheduler_running_the_same_nudge_run_does_nothing(app):
    assert nudge_new_shifts(NOW) is not None
    assert nudge_new_shifts(NOW + timedelta(seconds=30)) is None  # same scheduled time


def test_digest_readers_get_one_daily_message_instead_of_instant_ones(app):
    trust = TrustFactory()
    worker = WorkerFactory(primary_trust=trust)
    member_of_own_bank(worker)
    with transaction():
        db.session.add(
            NotificationPreference(
                user_id=worker.user_id, new_shifts=ShiftNudgeFrequency.DAILY_DIGEST
            )
        )
    for hours in (3, 5):
        ShiftFactory(
            department__site__trust=trust,
            start_at=NOW + timedelta(days=hours),
            posted_at=NOW - timedelta(minutes=hours * 5),
        )
    nudge_new_shifts(NOW)
    assert messages(worker.user) == []
    seven_tomorrow = datetime(2026, 11, 3, 7, 0, tzinfo=UTC)
    send_shift_digests(seven_tomorrow)
    digest = messages(worker.user, "shift.new")
    assert [m.title for m in digest] == ["2 new shifts you can take"]


def test_reminders_go_the_evening_before_across_the_october_clock_change(app):
    # Clocks go back at 02:00 BST on Sunday 25 October 2026.
    saturday_evening = datetime(2026, 10, 24, 17, 0, tzinfo=UTC)  # 18:00 BST
    sunday_early = BookingFactory(
        shift__start_at=datetime(2026, 10, 24, 23, 30, tzinfo=UTC),
        shift__end_at=datetime(2026, 10, 25, 8, 0, tzinfo=UTC),
    )
    saturday_late = BookingFactory(
        shift__start_at=datetime(2026, 10, 24, 22, 30, tzinfo=UTC),
        shift__end_at=datetime(2026, 10, 25, 8, 0, tzinfo=UTC),
    )
    remind_tomorrows_shifts(saturday_evening)
    # 00:30 BST on Sunday is tomorrow; 23:30 BST on Saturday is today.
    assert [m.kind for m in messages(sunday_early.worker.user)] == ["shift.reminder"]
    assert messages(saturday_late.worker.user) == []
    remind_tomorrows_shifts(saturday_evening + timedelta(days=1))
    assert len(messages(sunday_early.worker.user)) == 1


def test_requests_close_to_48_hours_undecided_alert_the_team_once(app):
    trust = TrustFactory()
    bank = BankFactory(trust=trust)
    team = staff_user(Role.WORKFORCE, trust)
    MembershipFactory(
        bank=bank, status=MembershipStatus.REQUESTED, requested_at=NOW - timedelta(hours=41)
    )
    MembershipFactory(
        bank=bank, status=MembershipStatus.REQUESTED, requested_at=NOW - timedelta(hours=10)
    )
    alert_undecided_memberships(NOW)
    alert_undecided_memberships(NOW + timedelta(hours=1))
    alerts = messages(team, "bank_membership.waiting")
    assert len(alerts) == 1 and "41 hours" in alerts[0].title


def test_unsigned_timesheets_are_reminded_before_the_cutoff_then_escalated_once(app):
    from bank.jobs import next_payroll_cutoff, remind_unsigned_timesheets
    from tests.factories import TimesheetFactory

    timesheet = TimesheetFactory()
    trust = db.session.get(type(timesheet.trust), timesheet.trust_id)
    team, finance = staff_user(Role.WORKFORCE, trust), staff_user(Role.FINANCE, trust)
    monday = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # cut-off: Wednesday 4 Nov, 12:00 GMT
    assert next_payroll_cutoff(monday) == datetime(2026, 11, 4, 12, 0, tzinfo=UTC)
    remind_unsigned_timesheets(monday)  # more than two days before: nothing yet
    assert messages(team) == []
    tuesday = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
    remind_unsigned_timesheets(tuesday)
    remind_unsigned_timesheets(tuesday + timedelta(hours=1))
    assert [m.title for m in messages(team)] == [
        "1 timesheet to sign off before Wednesday 04 November 12:00"
    ]
    assert messages(finance) == []
    remind_unsigned_timesheets(datetime(2026, 11, 4, 8, 0, tzinfo=UTC))
    escalations = messages(finance, "timesheet.escalation")
    assert len(escalations) == 1 and "4 h before payroll closes" in escalations[0].title
    assert len(messages(team)) == 1  # the team's reminder is not repeated


def test_the_payroll_cutoff_is_wednesday_noon_uk_time_in_summer_too():
    from bank.jobs import next_payroll_cutoff

    thursday = datetime(2026, 7, 2, 12, 0, tzinfo=UTC)
    assert next_payroll_cutoff(thursday) == datetime(2026, 7, 8, 11, 0, tzinfo=UTC)  # 12:00 BST
