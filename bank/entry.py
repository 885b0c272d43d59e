"""Entry-point helpers: operations that need more than one transaction, for views and API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from app.db import transaction
from app.models import User
from bank.models import Booking
from bank.services.booking import TooLateToCancel, cancel_booking, record_late_cancellation
from bank.services.offers import OfferClosed, close_refused_offer

T = TypeVar("T")


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


def answer_offer(answer: Callable[[], T], offer_id: int, *, now: datetime) -> T:
    """Run a worker's answer to an offer (accept or decline) in one transaction; when it is
    refused because the offer has ended (expired, or the shift taken or cancelled), record
    that ending in its own transaction (so it survives the refusal) and pass the refusal on."""
    try:
        with transaction():
            return answer()
    except OfferClosed as error:
        if error.close_as is not None:
            with transaction():
                close_refused_offer(offer_id, error.close_as, error.detail, now=now)
        raise
