"""Notifications: the inbox always, email when chosen, through an outbox sent by a job over a
real SMTP server; retries with backoff, a final failed state, quiet hours in UK time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from app.db import transaction
from app.extensions import db
from app.jobs import deliver_outbox
from app.models import EmailStatus, Notification, OutboxEmail
from app.notifications import MAX_ATTEMPTS, RETRY_BACKOFF, Preferences, notify, quiet_until
from tests.factories import NotificationPreferenceFactory, UserFactory

NOON = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)


def outbox() -> list[OutboxEmail]:
    db.session.commit()
    return list(db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)))


def tell(user, title="Your shift tomorrow", *, now=NOON, **kwargs):
    with transaction():
        return notify(user, "test", title, now=now, body="At Ward 4, 08:00.", **kwargs)


def test_a_message_goes_to_the_inbox_only_when_the_user_never_chose_email(app):
    user = UserFactory()
    tell(user)
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 1
    assert outbox() == []


def test_a_user_who_chose_email_gets_it_through_the_outbox_over_smtp(app, smtp):
    smtp.start()
    user = NotificationPreferenceFactory(email=True).user
    tell(user, link="/passport")
    [queued] = outbox()
    assert queued.status == EmailStatus.PENDING and queued.to_address == user.email

    run = deliver_outbox(NOON + timedelta(seconds=30))

    assert run.summary == "1 sent, 0 to retry, 0 failed"
    [email] = smtp.to(user.email)
    assert email["Subject"] == "Your shift tomorrow"
    text = email.get_content()
    assert "At Ward 4, 08:00." in text
    assert "http://127.0.0.1:5000/passport" in text
    assert outbox()[0].status == EmailStatus.SENT


def test_a_failed_email_is_retried_with_backoff_and_sent_once_the_server_is_up(app, smtp):
    user = NotificationPreferenceFactory(email=True).user
    tell(user)  # the transaction that caused it commits although the server is down

    deliver_outbox(NOON)  # SMTP down
    [email] = outbox()
    assert email.status == EmailStatus.PENDING and email.attempts == 1
    assert email.not_before == NOON + RETRY_BACKOFF[0]
    assert "ConnectionRefusedError" in email.last_error

    smtp.start()
    deliver_outbox(NOON + timedelta(seconds=30))  # not due yet: nothing tried
    assert smtp.messages == [] and outbox()[0].attempts == 1

    deliver_outbox(NOON + timedelta(minutes=1))
    deliver_outbox(NOON + timedelta(minutes=2))
    assert len(smtp.to(user.email)) == 1
    assert outbox()[0].status == EmailStatus.SENT and outbox()[0].attempts == 2


def test_an_address_the_server_refuses_does_not_hold_up_the_others(app, smtp):
    smtp.start()
    refused, fine = (NotificationPreferenceFactory(email=True).user for _ in range(2))
    smtp.refuse.add(refused.email)
    tell(refused)
    tell(fine)
    assert deliver_outbox(NOON).summary == "1 sent, 1 to retry, 0 failed"
    assert len(smtp.to(fine.email)) == 1 and smtp.to(refused.email) == []
    assert "550" in next(e for e in outbox() if e.to_address == refused.email).last_error


def test_an_email_that_keeps_failing_ends_failed_and_is_not_tried_again(app, smtp):
    user = NotificationPreferenceFactory(email=True).user
    tell(user)
    now = NOON
    for _attempt in range(MAX_ATTEMPTS):
        deliver_outbox(now)
        now = max(now, outbox()[0].not_before) + timedelta(minutes=1)
    [email] = outbox()
    assert email.status == EmailStatus.FAILED and email.attempts == MAX_ATTEMPTS
    smtp.start()
    deliver_outbox(now + timedelta(days=2))
    assert smtp.messages == [] and outbox()[0].attempts == MAX_ATTEMPTS


def test_email_in_quiet_hours_waits_until_they_end(app, smtp):
    smtp.start()
    user = NotificationPreferenceFactory(
        email=True, quiet_hours_start=time(22, 0), quiet_hours_end=time(7, 0)
    ).user
    late_evening = datetime(2026, 7, 1, 21, 30, tzinfo=UTC)  # 22:30 in UK summer time
    tell(user, now=late_evening)
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 1  # inbox at once

    deliver_outbox(late_evening + timedelta(minutes=1))
    deliver_outbox(datetime(2026, 7, 2, 5, 59, tzinfo=UTC))
    assert smtp.messages == []
    deliver_outbox(datetime(2026, 7, 2, 6, 0, tzinfo=UTC))  # 07:00 BST
    assert len(smtp.to(user.email)) == 1


def at(hour: int, minute: int = 0) -> time:
    return time(hour, minute)


@pytest.mark.parametrize(
    ("now", "window", "until"),
    [
        # Winter: UK time is UTC.
        ("2026-01-14T23:30Z", (at(22), at(7)), "2026-01-15T07:00Z"),
        ("2026-01-14T05:00Z", (at(22), at(7)), "2026-01-14T07:00Z"),
        ("2026-01-14T07:00Z", (at(22), at(7)), None),
        ("2026-01-14T12:00Z", (at(22), at(7)), None),
        # Summer: 22:30 BST is 21:30 UTC; the window ends at 07:00 BST, 06:00 UTC.
        ("2026-07-01T21:30Z", (at(22), at(7)), "2026-07-02T06:00Z"),
        ("2026-07-01T20:30Z", (at(22), at(7)), None),
        # Across the spring clock change (01:00 GMT on 29 March 2026 becomes 02:00 BST).
        ("2026-03-28T23:30Z", (at(22), at(7)), "2026-03-29T06:00Z"),
        # ...and the autumn one (02:00 BST on 25 October 2026 becomes 01:00 GMT).
        ("2026-10-24T21:30Z", (at(22), at(7)), "2026-10-25T07:00Z"),
        # A daytime window, and none at all.
        ("2026-01-14T13:30Z", (at(13), at(15)), "2026-01-14T15:00Z"),
        ("2026-01-14T15:00Z", (at(13), at(15)), None),
        ("2026-01-14T23:30Z", (None, None), None),
    ],
)
def test_quiet_hours_end_at_uk_local_time(now, window, until):
    prefs = Preferences(quiet_hours_start=window[0], quiet_hours_end=window[1])
    expected = datetime.fromisoformat(until) if until else None
    assert quiet_until(prefs, datetime.fromisoformat(now)) == expected


def test_a_message_with_a_once_key_is_given_once(app):
    user = UserFactory()
    assert tell(user, once_key="shift:1:reminder") is not None
    assert tell(user, once_key="shift:1:reminder") is None
    assert tell(UserFactory(), once_key="shift:1:reminder") is not None  # per user
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 2


def test_the_inbox_unique_key_holds_in_the_database_too(app):
    user = UserFactory()
    for _ in range(2):
        db.session.add(
            Notification(user_id=user.id, kind="k", title="t", once_key="same", created_at=NOON)
        )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_no_email_goes_to_a_disabled_account(app):
    user = NotificationPreferenceFactory(email=True, user__active=False).user
    tell(user)
    assert outbox() == []
