"""Shift offers: the Trust offers an open shift to one worker, who accepts or declines it.

Accepting books through `book_shift(..., source=OFFER)`, so the worker's banks, grade,
passport and the safe-working rules are judged again at that moment; only the department's
instant-book permission does not apply, since the Trust itself offered the shift. Any booking
of a shift settles its pending offers (`settle_offers`, called by `book_shift`): the booked
worker's offer is accepted, everyone else's withdrawn. Every change of an offer is a
conditional `UPDATE ... WHERE status = 'pending'` checked by row count, so an offer accepted
and expired at the same moment ends one way only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.models import User, Worker
from app.services import notify, record_audit
from app.templating import london_time, short_time
from bank.models import Booking, BookingSource, Shift, ShiftStatus
from bank.models_offers import OfferSource, OfferStatus, ShiftOffer
from bank.services.booking import book_shift
from bank.services.eligibility import NotEligible, judge_shift, worker_context
from bank.services.memberships import workforce_users

# A worker has a day to answer: long enough to see the message after a night shift, short
# enough that the Trust can still offer the shift to someone else or release it to the
# collaborative bank. An offer never outlives the shift's start, whichever comes first.
OFFER_LIFETIME = timedelta(hours=24)
# How far back a worker's answered and ended offers are listed below the pending ones.
RECENT_OFFERS = timedelta(days=14)
BOOKED_BY_SOMEONE_ELSE = "Someone else booked this shift."


class OfferClosed(Conflict):
    """The offer can no longer be accepted or declined; `close_as` says how it should end,
    when the refusal found it still pending (the entry point records that separately)."""

    title = "This offer is closed"
    type = "/problems/offer-closed"

    def __init__(self, detail: str, *, close_as: OfferStatus | None = None) -> None:
        super().__init__(detail, errors={"offer_id": [detail]})
        self.close_as = close_as


def _audit(action: str, offer: ShiftOffer, actor: User | None, now: datetime, **after) -> None:
    record_audit(action, offer, actor=actor, now=now, trust_id=offer.trust_id, after=after or None)


def _when(shift: Shift) -> str:
    return short_time(shift.start_at)


def expiry_for(shift: Shift, now: datetime) -> datetime:
    """When an offer of `shift` made at `now` lapses (`OFFER_LIFETIME`, or the shift's start)."""
    return min(now + OFFER_LIFETIME, shift.start_at)


def make_offer(
    shift: Shift,
    worker: Worker,
    *,
    actor: User | None,
    now: datetime,
    source: OfferSource = OfferSource.WORKFORCE,
    gap_fill_item_id: int | None = None,
) -> ShiftOffer:
    """Offer an open future shift to the worker, and tell them."""
    if shift.status != ShiftStatus.OPEN:
        raise Conflict("This shift is no longer open.", errors={"shift_id": ["Not open"]})
    if shift.start_at <= now:
        raise Conflict("This shift has already started.", errors={"shift_id": ["Started"]})
    offer = ShiftOffer(
        shift_id=shift.id,
        worker_id=worker.id,
        trust_id=shift.trust_id,
        offered_by_user_id=actor.id if actor else None,
        source=source,
        gap_fill_item_id=gap_fill_item_id,
        status=OfferStatus.PENDING,
        created_at=now,
        expires_at=expiry_for(shift, now),
    )
    try:
        with db.session.begin_nested():  # the partial unique index: one pending offer a pair
            db.session.add(offer)
            db.session.flush()
    except IntegrityError as error:
        raise Conflict(
            f"{worker.name} already has this shift on offer.",
            errors={"worker_id": ["Already offered this shift"]},
        ) from error
    _audit("offer.made", offer, actor, now, shift_id=shift.id, worker_id=worker.id, source=source)
    expires = short_time(offer.expires_at)
    notify(
        worker.user,
        "offer.made",
        f"Offered: {shift.department.name}, {_when(shift)}",
        now=now,
        body=f"{shift.trust.name}, {shift.hours:g} hours at £{shift.pence_per_hour / 100:.2f} "
        f"an hour. Accept or decline it by {expires} on Offers.",
        link="/offers",
    )
    return offer


def _close(
    offer: ShiftOffer,
    status: OfferStatus,
    *,
    now: datetime,
    answered: bool = False,
    **values: object,
) -> bool:
    """End a pending offer; False if it had already ended (another answer or the expiry)."""
    changed = db.session.execute(
        sa.update(ShiftOffer)
        .where(ShiftOffer.id == offer.id, ShiftOffer.status == OfferStatus.PENDING)
        .values(status=status, closed_at=now, responded_at=now if answered else None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(offer)
    return changed.rowcount == 1


def own_offer(offer_id: int, worker: Worker) -> ShiftOffer:
    """The worker's own offer; anyone else's is not found."""
    offer = db.session.get(ShiftOffer, offer_id)
    if offer is None or offer.worker_id != worker.id:
        raise NotFound(f"No offer with id {offer_id} for you.")
    return offer


def _still_open(offer: ShiftOffer, now: datetime) -> None:
    """Refuse an answer to an offer that has ended, or should have."""
    if offer.status != OfferStatus.PENDING:
        reason = f" {offer.closed_reason}" if offer.closed_reason else ""
        raise OfferClosed(f"This offer was {offer.status.value}.{reason}")
    if offer.expires_at <= now:
        expired = london_time(offer.expires_at, "%H:%M on %a %d %b")
        raise OfferClosed(f"This offer expired at {expired}.", close_as=OfferStatus.EXPIRED)
    shift = offer.shift
    if shift.status == ShiftStatus.CANCELLED:
        raise OfferClosed("The shift was cancelled.", close_as=OfferStatus.WITHDRAWN)
    if shift.status != ShiftStatus.OPEN:
        raise OfferClosed(BOOKED_BY_SOMEONE_ELSE, close_as=OfferStatus.WITHDRAWN)


def accept_offer(offer_id: int, worker: Worker, *, actor: User, now: datetime) -> Booking:
    """Accept an offer: the worker is booked, through the same checks as any booking.

    A rule that now blocks the worker refuses with every reason (`NotEligible`) and the offer
    stays pending; a shift booked or cancelled meanwhile is an `OfferClosed` (409).
    """
    offer = own_offer(offer_id, worker)
    _still_open(offer, now)
    try:
        booking = book_shift(
            worker, offer.shift_id, actor=actor, now=now, source=BookingSource.OFFER
        )
    except OfferClosed:
        raise
    except Conflict as error:  # lost the race for the shift to another booking
        raise OfferClosed(BOOKED_BY_SOMEONE_ELSE, close_as=OfferStatus.WITHDRAWN) from error
    if offer.status != OfferStatus.ACCEPTED:  # settle_offers found it ended meanwhile
        raise OfferClosed(f"This offer was {offer.status.value}.")
    return booking


def settle_offers(shift: Shift, booking: Booking, *, actor: User, now: datetime) -> None:
    """A shift was just booked: the booked worker's pending offer of it is accepted, the other
    workers' are withdrawn and they are told."""
    pending = db.session.scalars(
        sa.select(ShiftOffer).where(
            ShiftOffer.shift_id == shift.id, ShiftOffer.status == OfferStatus.PENDING
        )
    ).all()
    for offer in pending:
        if offer.worker_id == booking.worker_id:
            if _close(offer, OfferStatus.ACCEPTED, now=now, answered=True, booking_id=booking.id):
                _audit("offer.accepted", offer, actor, now, booking_id=booking.id)
                _tell_team(offer, f"{offer.worker.name} accepted {shift.department.name}", now)
        else:
            _withdraw(offer, BOOKED_BY_SOMEONE_ELSE, actor=actor, now=now)


def withdraw_offers(shift: Shift, reason: str, *, actor: User | None, now: datetime) -> int:
    """Withdraw every pending offer of the shift (it was cancelled), telling each worker."""
    pending = db.session.scalars(
        sa.select(ShiftOffer).where(
            ShiftOffer.shift_id == shift.id, ShiftOffer.status == OfferStatus.PENDING
        )
    ).all()
    return sum(_withdraw(offer, reason, actor=actor, now=now) for offer in pending)


def _withdraw(offer: ShiftOffer, reason: str, *, actor: User | None, now: datetime) -> bool:
    if not _close(offer, OfferStatus.WITHDRAWN, now=now, closed_reason=reason):
        return False
    _audit("offer.withdrawn", offer, actor, now, reason=reason)
    notify(
        offer.worker.user,
        "offer.withdrawn",
        f"Offer withdrawn: {offer.shift.department.name}, {_when(offer.shift)}",
        now=now,
        body=reason,
        link="/offers",
    )
    return True


def close_refused_offer(
    offer_id: int, status: OfferStatus, reason: str, *, now: datetime
) -> ShiftOffer:
    """Record how an offer ended when an answer to it was refused (`OfferClosed.close_as`)."""
    offer = db.session.get(ShiftOffer, offer_id)
    if status == OfferStatus.EXPIRED:
        _expire(offer, now)
    else:
        _withdraw(offer, reason, actor=None, now=now)
    return offer


def decline_offer(
    offer_id: int, worker: Worker, *, actor: User, now: datetime, reason: str | None = None
) -> ShiftOffer:
    """Decline an offer (the reason is optional), and tell the team who offered it."""
    offer = own_offer(offer_id, worker)
    _still_open(offer, now)
    reason = (reason or "").strip() or None
    if not _close(offer, OfferStatus.DECLINED, now=now, answered=True, decline_reason=reason):
        raise OfferClosed(f"This offer was {offer.status.value}.")
    _audit("offer.declined", offer, actor, now, reason=reason)
    title = f"{worker.name} declined {offer.shift.department.name}, {_when(offer.shift)}"
    _tell_team(offer, title + (f": {reason}" if reason else ""), now)
    return offer


def _tell_team(offer: ShiftOffer, title: str, now: datetime) -> None:
    """The shift's workforce team, and whoever made the offer (an ICS administrator's run)."""
    team = {user.id: user for user in workforce_users(offer.trust_id)}
    if offer.offered_by is not None:
        team.setdefault(offer.offered_by.id, offer.offered_by)
    for user in team.values():
        notify(user, "offer.answered", title, now=now, link=f"/workforce/shifts/{offer.shift_id}")


def expire_due_offers(
    now: datetime, *, worker_id: int | None = None, shift_ids: Iterable[int] | None = None
) -> int:
    """End the pending offers whose time is up (only the worker's, or only those of the
    shifts, when given), each audited and its team told; the number ended.

    The `bank.expire_offers` job ends them all every 15 minutes; the lists of offers end
    their own first (`offers_for_worker`, `offers_of_shift`), so an offer whose time has
    passed shows as expired everywhere at once, not only after the job's next run.
    """
    due = (
        sa.select(ShiftOffer)
        .where(ShiftOffer.status == OfferStatus.PENDING, ShiftOffer.expires_at <= now)
        .order_by(ShiftOffer.id)
    )
    if worker_id is not None:
        due = due.where(ShiftOffer.worker_id == worker_id)
    if shift_ids is not None:
        due = due.where(ShiftOffer.shift_id.in_(sorted(set(shift_ids))))
    return sum(_expire(offer, now) for offer in db.session.scalars(due).all())


def _expire(offer: ShiftOffer, now: datetime) -> bool:
    if not _close(offer, OfferStatus.EXPIRED, now=now, closed_reason="Not answered in time."):
        return False
    _audit("offer.expired", offer, None, now)
    # The team can offer the shift to someone else while it is still open.
    if offer.shift.status == ShiftStatus.OPEN and offer.shift.start_at > now:
        title = f"{offer.worker.name} did not answer: {offer.shift.department.name}, "
        _tell_team(offer, title + _when(offer.shift), now)
    return True


def offer_shift(shift: Shift, worker_id: int, actor: User, *, now: datetime) -> ShiftOffer:
    """The workforce team offers one of its open shifts to a worker who could take it now.

    The worker is judged as a booking would judge them (banks, grade, passport, rules), so no
    one is offered a shift they would be refused on accepting; the refusals name them.
    """
    worker = db.session.get(Worker, worker_id)
    if worker is None:
        raise ValidationFailed.on("worker_id", f"No worker with id {worker_id}.")
    verdict = judge_shift(worker_context(worker, now), shift)
    if not verdict.eligible:
        reasons = [r.message for r in verdict.refusals]
        raise NotEligible(
            f"{worker.name} cannot take this shift: {'; '.join(reasons)}",
            errors={"worker_id": reasons},
        )
    return make_offer(shift, worker, actor=actor, now=now, source=OfferSource.WORKFORCE)


def offers_of_shift(shift: Shift, *, now: datetime) -> list[ShiftOffer]:
    """Every offer of the shift, newest first, those whose time has passed ended as expired
    first (writes: the entry point runs it in a transaction)."""
    expire_due_offers(now, shift_ids=[shift.id])
    return list(
        db.session.scalars(
            sa.select(ShiftOffer)
            .where(ShiftOffer.shift_id == shift.id)
            .order_by(ShiftOffer.created_at.desc(), ShiftOffer.id.desc())
        )
    )


@dataclass(frozen=True)
class WorkerOffers:
    pending: list[ShiftOffer]  # soonest to expire first
    recent: list[ShiftOffer]  # ended within RECENT_OFFERS, latest first


def offers_for_worker(worker: Worker, *, now: datetime) -> WorkerOffers:
    """The worker's offers still open to answer, and those that ended lately, those whose
    time has passed ended as expired first (writes: the entry point runs it in a
    transaction)."""
    expire_due_offers(now, worker_id=worker.id)
    pending = db.session.scalars(
        sa.select(ShiftOffer)
        .where(ShiftOffer.worker_id == worker.id, ShiftOffer.status == OfferStatus.PENDING)
        .order_by(ShiftOffer.expires_at, ShiftOffer.id)
    ).all()
    recent = db.session.scalars(
        sa.select(ShiftOffer)
        .where(
            ShiftOffer.worker_id == worker.id,
            ShiftOffer.status != OfferStatus.PENDING,
            ShiftOffer.closed_at > now - RECENT_OFFERS,
        )
        .order_by(ShiftOffer.closed_at.desc(), ShiftOffer.id.desc())
    ).all()
    return WorkerOffers(list(pending), list(recent))
