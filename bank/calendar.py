"""A worker's shifts as a private iCalendar feed (RFC 5545) their phone subscribes to.

The feed's address carries a random token (a capability URL, as calendar apps expect: they
cannot sign in). The worker can reset it, which ends the old address at once. Events have
stable UIDs so calendars update rather than duplicate, times are in UTC, and a cancelled
booking stays in the feed as a cancelled event so the phone removes it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from icalendar import Calendar, Event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import IdMixin, utcnow
from app.extensions import db
from app.models import User, Worker
from app.services import record_audit
from bank.models import Booking, BookingStatus, Shift

PRODUCT_ID = "-//ICS collaborative staff bank//shifts//EN"
HISTORY = timedelta(weeks=8)  # how far back the feed keeps past and cancelled shifts


class CalendarFeed(IdMixin, db.Model):
    """A worker's private calendar address."""

    __tablename__ = "calendar_feeds"

    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), unique=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    worker: Mapped[Worker] = relationship()


def feed_for(worker: Worker, *, now: datetime) -> CalendarFeed:
    """The worker's feed, made on first use."""
    feed = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.worker_id == worker.id))
    if feed is None:
        feed = CalendarFeed(worker_id=worker.id, token=secrets.token_urlsafe(32), created_at=now)
        db.session.add(feed)
        db.session.flush()
    return feed


def reset_feed(worker: Worker, actor: User, *, now: datetime) -> CalendarFeed:
    """Give the feed a new address; the old one stops working at once."""
    feed = feed_for(worker, now=now)
    feed.token, feed.created_at = secrets.token_urlsafe(32), now
    record_audit(
        "calendar_feed.reset", feed, actor=actor, now=now, trust_id=worker.primary_trust_id
    )
    return feed


def worker_for_token(token: str) -> Worker | None:
    feed = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.token == token))
    return feed.worker if feed else None


def render_feed(worker: Worker, *, now: datetime) -> bytes:
    """The worker's bookings from eight weeks ago onwards, as an iCalendar document."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Bank shifts")
    bookings = db.session.scalars(
        sa.select(Booking)
        .join(Shift)
        .where(Booking.worker_id == worker.id, Shift.end_at > now - HISTORY)
        .order_by(Shift.start_at, Booking.id)
    )
    for booking in bookings:
        shift = booking.shift
        cancelled = booking.status == BookingStatus.CANCELLED
        event = Event()
        event.add("uid", f"booking-{booking.id}@staffbank")
        event.add("dtstamp", now)
        event.add("dtstart", shift.start_at)
        event.add("dtend", shift.end_at)
        event.add(
            "summary",
            f"{'Cancelled: ' if cancelled else ''}{shift.department.name} ({shift.grade})",
        )
        event.add("location", f"{shift.department.site.name}, {shift.trust.name}")
        event.add(
            "description",
            f"Bank shift at £{shift.pence_per_hour / 100:.2f} an hour. "
            f"Booked {booking.source.value}.",
        )
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        # A later version of the same event: calendars replace, never duplicate.
        event.add("sequence", 1 if cancelled else 0)
        event.add("last-modified", booking.cancelled_at or booking.booked_at)
        calendar.add_component(event)
    return calendar.to_ical()
