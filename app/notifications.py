"""Notifications: one message, rendered once, delivered through each of the user's channels.

Every message goes to the in-app inbox. If the user chose email, the rendered email is put in
the outbox in the same transaction, never sent there: the `core.deliver_outbox` job sends it
later, waits for the end of the user's quiet hours, and retries a failure with backoff. A
broken mail server therefore never fails, nor slows, the booking or check that caused it.

Services flush and never commit: the caller wraps them in `app.db.transaction()`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, render_template

from app import mail
from app.errors import ValidationFailed
from app.extensions import db
from app.mail import MailError
from app.models import (
    EmailStatus,
    Notification,
    NotificationPreference,
    OutboxEmail,
    ShiftNudgeFrequency,
    User,
)

logger = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")

# Waits after the 1st, 2nd, ... failed attempt. A relay that is down for a restart is back
# within minutes; one down for longer gets spaced retries for about a day, then the email is
# marked failed (the message is still in the inbox) instead of being retried forever.
RETRY_BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_BACKOFF) + 1
# Emails sent per delivery run: the run holds its transaction while it talks to the relay.
DELIVERY_BATCH = 50


# Preferences ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preferences:
    """A user's notification preferences (the defaults when they never set any)."""

    email: bool = False
    new_shifts: ShiftNudgeFrequency = ShiftNudgeFrequency.INSTANT
    quiet_hours_start: time | None = None
    quiet_hours_end: time | None = None

    @property
    def in_app(self) -> bool:
        """The inbox always gets every message."""
        return True


def preferences_of(user: User) -> Preferences:
    """`user`'s notification preferences."""
    row = db.session.scalar(
        sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id)
    )
    if row is None:
        return Preferences()
    return Preferences(row.email, row.new_shifts, row.quiet_hours_start, row.quiet_hours_end)


def set_preferences(
    user: User,
    *,
    email: bool,
    new_shifts: ShiftNudgeFrequency | str,
    quiet_hours_start: time | None,
    quiet_hours_end: time | None,
    now: datetime,
) -> Preferences:
    """Replace `user`'s notification preferences."""
    errors: dict[str, list[str]] = {}
    if (quiet_hours_start is None) != (quiet_hours_end is None):
        missing = "quiet_hours_end" if quiet_hours_end is None else "quiet_hours_start"
        errors[missing] = ["Enter both times of your quiet hours, or neither"]
    elif quiet_hours_start is not None and quiet_hours_start == quiet_hours_end:
        errors["quiet_hours_end"] = ["Quiet hours must end at a different time from the start"]
    try:
        new_shifts = ShiftNudgeFrequency(new_shifts)
    except ValueError:
        errors["new_shifts"] = ["Choose instant or daily_digest"]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    row = db.session.scalar(
        sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id)
    )
    if row is None:
        row = NotificationPreference(user_id=user.id, created_at=now)
        db.session.add(row)
    row.email = email
    row.new_shifts = new_shifts
    row.quiet_hours_start = quiet_hours_start
    row.quiet_hours_end = quiet_hours_end
    row.updated_at = now
    db.session.flush()
    return preferences_of(user)


def _at_local(day: date, at: time) -> datetime:
    """UK local `day` at `at`, in UTC. A time the clocks skip (01:30 on the spring change)
    reads as the same clock time before the change, i.e. one hour later in summer time."""
    return datetime.combine(day, at, tzinfo=LONDON).astimezone(UTC)


def quiet_until(prefs: Preferences, now: datetime) -> datetime | None:
    """When `now` falls in the user's quiet hours (UK local time), the instant they end."""
    start, end = prefs.quiet_hours_start, prefs.quiet_hours_end
    if start is None or end is None:
        return None
    local = now.astimezone(LONDON)
    clock = local.time().replace(tzinfo=None)
    if start < end:  # a daytime window, say 13:00 to 15:00
        return _at_local(local.date(), end) if start <= clock < end else None
    if clock >= start:  # the evening part of a window across midnight
        return _at_local(local.date() + timedelta(days=1), end)
    if clock < end:  # its morning part
        return _at_local(local.date(), end)
    return None


# Sending ----------------------------------------------------------------------------------


def absolute_url(link: str | None) -> str | None:
    """A link in the app as a full URL for an email."""
    if not link:
        return None
    if link.startswith(("http://", "https://")):
        return link
    return current_app.config["BASE_URL"].rstrip("/") + "/" + link.lstrip("/")


def notify(
    user: User,
    kind: str,
    title: str,
    *,
    now: datetime,
    body: str = "",
    link: str | None = None,
    once_key: str | None = None,
) -> Notification | None:
    """Tell `user`: always in the inbox, by email too if they chose it.

    With `once_key`, a message already given to this user under the same key is not given
    again (returns None): the key is unique per user in the database as well.
    """
    if once_key is not None and db.session.scalar(
        sa.select(Notification.id).where(
            Notification.user_id == user.id, Notification.once_key == once_key
        )
    ):
        return None
    message = Notification(
        user_id=user.id,
        kind=kind,
        title=title,
        body=body,
        link=link,
        created_at=now,
        once_key=once_key,
    )
    db.session.add(message)
    db.session.flush()
    prefs = preferences_of(user)
    if prefs.email and user.active:
        db.session.add(
            OutboxEmail(
                notification_id=message.id,
                user_id=user.id,
                to_address=user.email,
                subject=title,
                body=render_template(
                    "email/notification.txt",
                    user=user,
                    title=title,
                    body=body,
                    url=absolute_url(link),
                    preferences_url=absolute_url("/account/notifications"),
                ),
                status=EmailStatus.PENDING,
                not_before=quiet_until(prefs, now) or now,
                created_at=now,
            )
        )
    return message


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed"


def deliver_due_emails(*, now: datetime, limit: int = DELIVERY_BATCH) -> DeliveryReport:
    """Send the outbox emails that are due; a failure is retried later, then marked failed.

    Each email is taken with a conditional update (pending -> sent) before it is sent, so a
    second delivery run at the same time skips it: on PostgreSQL the second update waits for
    the first transaction and then matches no row. The run keeps its transaction open while it
    talks to the relay (on SQLite, holding the write lock), so it uses one connection for the
    whole batch, and a relay that is down costs one short connection timeout, not one per email.
    """
    due = db.session.scalars(
        sa.select(OutboxEmail.id)
        .where(OutboxEmail.status == EmailStatus.PENDING, OutboxEmail.not_before <= now)
        .order_by(OutboxEmail.not_before, OutboxEmail.id)
        .limit(limit)
    ).all()
    taken = []
    for email_id in due:
        claimed = db.session.execute(
            sa.update(OutboxEmail)
            .where(OutboxEmail.id == email_id, OutboxEmail.status == EmailStatus.PENDING)
            .values(status=EmailStatus.SENT, sent_at=now, attempts=OutboxEmail.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            taken.append(db.session.get(OutboxEmail, email_id, populate_existing=True))
    if not taken:
        return DeliveryReport()
    config = current_app.config
    try:
        with mail.connect(config.get("MAIL_URL", ""), config["MAIL_FROM"]) as mailer:
            for email in taken:
                try:
                    mailer.send(email.to_address, email.subject, email.body)
                except MailError as error:
                    _failed(email, str(error), now=now)
    except MailError as error:  # no connection: none of the batch went
        for email in taken:
            if email.status == EmailStatus.SENT:
                _failed(email, str(error), now=now)
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    for email in taken:
        key = {EmailStatus.SENT: "sent", EmailStatus.PENDING: "retrying"}.get(email.status)
        counts[key or "failed"] += 1
    db.session.flush()
    return DeliveryReport(**counts)


def _failed(email: OutboxEmail, error: str, *, now: datetime) -> None:
    email.sent_at = None
    email.last_error = error[:2000]
    if email.attempts >= MAX_ATTEMPTS:
        email.status = EmailStatus.FAILED
        logger.error("Email %s to %s failed for good: %s", email.id, email.to_address, error)
        return
    email.status = EmailStatus.PENDING
    email.not_before = now + RETRY_BACKOFF[email.attempts - 1]
    logger.warning(
        "Email %s to %s failed (attempt %s), retrying at %s: %s",
        email.id,
        email.to_address,
        email.attempts,
        email.not_before.isoformat(),
        error,
    )


def outbox_summary() -> dict[str, Any]:
    """How many outbox emails are in each state (for `flask scheduler list`)."""
    rows = db.session.execute(
        sa.select(OutboxEmail.status, sa.func.count(OutboxEmail.id)).group_by(OutboxEmail.status)
    ).all()
    return {str(status): n for status, n in rows}


def prune_outbox(*, now: datetime, keep: timedelta) -> int:
    """Delete emails sent or failed more than `keep` ago (the inbox keeps every message)."""
    return db.session.execute(
        sa.delete(OutboxEmail).where(
            OutboxEmail.status != EmailStatus.PENDING, OutboxEmail.created_at < now - keep
        )
    ).rowcount
