"""Entry-point helpers: operations that need more than one transaction, for views and API."""

from __future__ import annotations

from datetime import datetime

from app.db import transaction
from app.models import User
from bank.models import Booking
from bank.services.booking import TooLateToCancel, cancel_booking, record_late_cancellation


def cancel_or_record_late(
    booking: Booking, actor: User, *, reason: str | None, now: datetime
) -> Booking:
    """Cancel a booking; if it is too late for the worker to, record their late request in its
    own transaction (so it survives the refusal) and pass the refusal on."""
    try:
        with transaction():
            return cancel_booking(booking, actor, reason=reason, now=now)
    except TooLateToCancel:
        with transaction():
            record_late_cancellation(booking, actor, now=now)
        raise
