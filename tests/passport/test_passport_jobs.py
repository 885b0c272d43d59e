"""The passport's daily jobs: expiry warnings 30, 14, 7 and 1 days ahead (once each, in UK
dates, across a clock change) and the expiry run, called directly with a frozen clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.jobs import deliver_outbox
from app.models import JobRun, Notification, Role
from passport.jobs import credential_expiry_warnings, expire_credentials
from tests.factories import (
    CredentialFactory,
    NotificationPreferenceFactory,
    WorkerFactory,
    staff_user,
)

LONDON = ZoneInfo("Europe/London")


def uk(day: date, at: time = time(8, 0)) -> datetime:
    """A UK wall-clock time as an aware UTC instant."""
    return datetime.combine(day, at, tzinfo=LONDON).astimezone(UTC)


def verified_credential(expires_on: date, worker=None, type_code="gmc_registration"):
    worker = worker or WorkerFactory()
    officer = staff_user(Role.COMPLIANCE, worker.primary_trust)
    return CredentialFactory(
        worker=worker,
        type_code=type_code,
        expires_on=expires_on,
        verified_by=(officer, worker.primary_trust),
    )


def warnings() -> list[Notification]:
    db.session.commit()
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.kind == "credential.expiring")
            .order_by(Notification.created_at, Notification.id)
        )
    )


def test_a_worker_is_warned_30_14_7_and_1_days_before_expiry_once_each(app):
    # Expires on 20 April 2026; the run days span the spring clock change of 29 March.
    credential = verified_credential(date(2026, 4, 20))
    day = date(2026, 3, 15)
    while day <= date(2026, 4, 22):
        credential_expiry_warnings(uk(day))
        credential_expiry_warnings(uk(day, time(9, 30)))  # a second scheduler, late
        day += timedelta(days=1)

    given = warnings()
    assert [n.once_key for n in given] == [
        f"credential:{credential.id}:expiring:{days}" for days in (30, 14, 7, 1)
    ]
    assert [n.created_at.astimezone(LONDON).date() for n in given] == [
        date(2026, 3, 21),
        date(2026, 4, 6),
        date(2026, 4, 13),
        date(2026, 4, 19),
    ]
    assert given[0].title == "Your GMC registration and licence to practise expires in 30 days"
    assert given[-1].title.endswith("expires tomorrow")
    assert "Monday 20 April 2026" in given[-1].body
    # Each day's run is claimed once: the second firing each day did nothing.
    assert db.session.scalar(sa.select(sa.func.count(JobRun.id))) == 39


def test_days_left_count_in_uk_dates_not_utc_dates(app):
    verified_credential(date(2026, 3, 31))
    # 23:30 UTC on 29 March is already 00:30 on 30 March in British Summer Time: one day left.
    credential_expiry_warnings(datetime(2026, 3, 29, 23, 30, tzinfo=UTC))
    [warning] = warnings()
    assert warning.once_key.endswith(":expiring:1") and warning.title.endswith("tomorrow")


def test_a_run_a_day_late_still_warns_and_a_late_added_credential_gets_one_warning(app):
    late = verified_credential(date(2026, 2, 13))
    fresh = verified_credential(date(2026, 1, 24))
    credential_expiry_warnings(uk(date(2026, 1, 15)))  # 29 and 9 days ahead
    by_credential = {n.once_key.split(":")[1]: n for n in warnings()}
    assert by_credential[str(late.id)].once_key.endswith(":30")
    assert by_credential[str(late.id)].title.endswith("in 29 days")
    assert by_credential[str(fresh.id)].once_key.endswith(":14")  # not 30 as well
    credential_expiry_warnings(uk(date(2026, 1, 16)))
    assert len(warnings()) == 2


def test_a_renewed_or_unverified_credential_is_not_warned_about(app):
    worker = WorkerFactory()
    verified_credential(date(2026, 2, 1), worker=worker)
    verified_credential(date(2031, 2, 1), worker=worker)  # the renewal, verified
    CredentialFactory(type_code="gmc_registration", expires_on=date(2026, 2, 1))  # awaiting
    credential_expiry_warnings(uk(date(2026, 1, 25)))
    assert warnings() == []


def test_a_warning_reaches_a_worker_who_chose_email(app, smtp):
    smtp.start()
    worker = WorkerFactory()
    NotificationPreferenceFactory(user=worker.user, email=True)
    verified_credential(date(2026, 1, 21), worker=worker)
    with time_machine.travel(uk(date(2026, 1, 14)), tick=False):
        morning = datetime.now(UTC)
        credential_expiry_warnings(morning)
        deliver_outbox(morning + timedelta(minutes=1))
    [email] = smtp.to(worker.user.email)
    assert email["Subject"] == "Your GMC registration and licence to practise expires in 7 days"
    assert "/passport" in email.get_content()


def test_the_daily_expiry_run_announces_each_expired_credential_once(app):
    credential = verified_credential(date(2026, 3, 28))
    assert expire_credentials(uk(date(2026, 3, 28), time(0, 5))).summary == (
        "0 credential(s) expired"
    )
    # Just after midnight on the day of the clock change: 00:05 GMT.
    run = expire_credentials(uk(date(2026, 3, 29), time(0, 5)))
    assert run.summary == "1 credential(s) expired"
    assert expire_credentials(uk(date(2026, 3, 29), time(3, 0))) is None  # same day: claimed
    assert expire_credentials(uk(date(2026, 3, 30), time(0, 5))).summary == (
        "0 credential(s) expired"
    )
    db.session.commit()
    expired = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "credential.expired")
    ).all()
    assert [n.user_id for n in expired] == [credential.worker.user_id]
