"""Shift offers against the database: accepting books through book_shift with every check but
the department's instant-book permission, a shift taken meanwhile is a 409 and never a second
booking, declining tells the team, and offers nobody answers expire with the scheduled job."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.db import transaction
from app.errors import Conflict, NotFound
from app.extensions import db
from app.models import AuditEvent, Notification, Role, Worker
from bank.entry import answer_offer
from bank.jobs import expire_offers
from bank.models import Booking, BookingSource, BookingStatus, Shift, ShiftStatus
from bank.models_offers import OfferSource, OfferStatus, ShiftOffer
from bank.services import book_shift, cancel_shift
from bank.services.eligibility import NotEligible
from bank.services.offers import (
    OFFER_LIFETIME,
    OfferClosed,
    accept_offer,
    decline_offer,
    expiry_for,
    make_offer,
    offers_for_worker,
    offers_of_shift,
)
from tests.bank.conftest import titles
from tests.factories import (
    NOW,
    BookingFactory,
    ShiftFactory,
    WorkerFactory,
    clashing_booking,
    member_of_own_bank,
    offer_to_member,
    staff_user,
)

pytestmark = pytest.mark.usefixtures("frozen")


def actions(prefix: str) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.action.startswith(prefix))
            .order_by(AuditEvent.id)
        )
    )


def accept(offer: ShiftOffer, worker=None):
    worker = worker or offer.worker
    return answer_offer(
        lambda: accept_offer(offer.id, worker, actor=worker.user, now=NOW), offer.id, now=NOW
    )


def active_bookings(shift_id: int) -> list[Booking]:
    return list(
        db.session.scalars(
            sa.select(Booking).where(
                Booking.shift_id == shift_id, Booking.status == BookingStatus.ACTIVE
            )
        )
    )


def test_an_offer_lasts_a_day_or_until_the_shift_starts_whichever_is_first(app):
    tomorrow = ShiftFactory(start_at=NOW + timedelta(days=2))
    soon = ShiftFactory(start_at=NOW + timedelta(hours=3))
    assert expiry_for(tomorrow, NOW) == NOW + OFFER_LIFETIME
    assert expiry_for(soon, NOW) == soon.start_at


def test_making_an_offer_tells_the_worker_with_a_link_to_their_offers(app):
    team = staff_user(Role.WORKFORCE, None)
    shift, worker = ShiftFactory(), WorkerFactory()
    with transaction():
        offer = make_offer(shift, worker, actor=team, now=NOW)
    assert (offer.status, offer.expires_at, offer.trust_id) == (
        OfferStatus.PENDING,
        NOW + OFFER_LIFETIME,
        shift.trust_id,
    )
    message = db.session.scalar(
        sa.select(Notification).where(Notification.user_id == worker.user_id)
    )
    assert message.title.startswith("Offered: ") and message.link == "/offers"
    assert actions("offer.") == ["offer.made"]


def test_an_offer_is_only_made_of_an_open_future_shift_and_once_a_worker(app):
    worker = WorkerFactory()
    booked = ShiftFactory(status=ShiftStatus.BOOKED)
    started = ShiftFactory(start_at=NOW - timedelta(hours=1))
    for shift in (booked, started):
        with pytest.raises(Conflict), transaction():
            make_offer(shift, worker, actor=None, now=NOW)
    shift = ShiftFactory()
    with transaction():
        make_offer(shift, worker, actor=None, now=NOW)
    with pytest.raises(Conflict, match="already has this shift on offer"), transaction():
        make_offer(shift, worker, actor=None, now=NOW)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ShiftOffer)) == 1


def test_accepting_books_the_worker_though_the_department_does_not_allow_instant_booking(app):
    offer = offer_to_member()
    booking = accept(offer)
    assert booking.source == BookingSource.OFFER
    assert booking.worker_id == offer.worker_id
    offer = db.session.get(ShiftOffer, offer.id)
    assert (offer.status, offer.booking_id, offer.responded_at) == (
        OfferStatus.ACCEPTED,
        booking.id,
        NOW,
    )
    assert db.session.get(Shift, offer.shift_id).status == ShiftStatus.BOOKED
    assert actions("offer.") == ["offer.accepted"]
    assert titles(offer.worker.user)[0].startswith("Booked: ")


def test_booking_the_shift_otherwise_withdraws_everyone_elses_offer_and_accepting_is_409(app):
    offer = offer_to_member()
    rival = WorkerFactory()
    member_of_own_bank(rival, offer.shift.trust)
    team = staff_user(Role.WORKFORCE, offer.shift.trust)
    with transaction():
        book_shift(rival, offer.shift_id, actor=team, now=NOW, source=BookingSource.ASSIGNED)
    assert db.session.get(ShiftOffer, offer.id).status == OfferStatus.WITHDRAWN
    assert titles(offer.worker.user) == [
        f"Offer withdrawn: {offer.shift.department.name}, Tue 03 Nov 09:00"
    ]
    with pytest.raises(OfferClosed, match="withdrawn. Someone else booked this shift"):
        accept(offer)
    assert [b.worker_id for b in active_bookings(offer.shift_id)] == [rival.id]


def test_a_shift_taken_without_settling_the_offer_still_answers_409_and_ends_the_offer(app):
    offer = offer_to_member()
    # Booked by a path that never saw the offer (or a race lost at the claim).
    BookingFactory(shift=offer.shift, worker=WorkerFactory())
    db.session.execute(
        sa.update(Shift).where(Shift.id == offer.shift_id).values(status=ShiftStatus.BOOKED)
    )
    db.session.commit()
    with pytest.raises(OfferClosed, match="Someone else booked this shift") as refused:
        accept(offer)
    assert refused.value.status == 409
    offer = db.session.get(ShiftOffer, offer.id)
    assert (offer.status, offer.closed_reason) == (
        OfferStatus.WITHDRAWN,
        "Someone else booked this shift.",
    )
    assert len(active_bookings(offer.shift_id)) == 1
    assert actions("offer.") == ["offer.withdrawn"]


def test_a_rule_that_now_blocks_the_worker_refuses_with_the_reason_and_the_offer_stays(app):
    offer = offer_to_member()
    # Since the offer, the worker booked a shift overlapping it at another Trust.
    clashing_booking(offer)
    with pytest.raises(NotEligible) as refused:
        accept(offer)
    assert "overlap" in refused.value.detail.lower()
    assert db.session.get(ShiftOffer, offer.id).status == OfferStatus.PENDING
    assert active_bookings(offer.shift_id) == []


def test_declining_records_the_reason_and_tells_the_team(app):
    offer = offer_to_member()
    team = staff_user(Role.WORKFORCE, offer.shift.trust)
    worker = offer.worker
    answer_offer(
        lambda: decline_offer(
            offer.id, worker, actor=worker.user, now=NOW, reason="  Childcare that day "
        ),
        offer.id,
        now=NOW,
    )
    offer = db.session.get(ShiftOffer, offer.id)
    assert (offer.status, offer.decline_reason, offer.responded_at) == (
        OfferStatus.DECLINED,
        "Childcare that day",
        NOW,
    )
    assert titles(team) == [
        f"{worker.name} declined {offer.shift.department.name}, Tue 03 Nov 09:00: "
        "Childcare that day"
    ]
    assert actions("offer.") == ["offer.declined"]
    with pytest.raises(OfferClosed, match="This offer was declined"):
        accept(offer)


def test_another_workers_offer_is_not_found(app):
    offer = offer_to_member()
    stranger = WorkerFactory()
    with pytest.raises(NotFound):
        accept(offer, stranger)
    with pytest.raises(NotFound), transaction():
        decline_offer(offer.id, stranger, actor=stranger.user, now=NOW)
    assert db.session.get(ShiftOffer, offer.id).status == OfferStatus.PENDING


def test_the_job_expires_offers_nobody_answered_in_time_once(app, frozen):
    offer = offer_to_member()
    later = offer_to_member(shift__start_at=NOW + timedelta(days=3))
    assert expire_offers(NOW + OFFER_LIFETIME - timedelta(minutes=15)).summary == (
        "0 offer(s) expired"
    )
    frozen.move_to(NOW + OFFER_LIFETIME)
    run = expire_offers(NOW + OFFER_LIFETIME)
    assert run is not None and run.summary == "2 offer(s) expired"
    assert expire_offers(NOW + OFFER_LIFETIME + timedelta(minutes=1)) is None  # claimed
    for each in (offer, later):
        ended = db.session.get(ShiftOffer, each.id)
        assert (ended.status, ended.closed_at) == (OfferStatus.EXPIRED, NOW + OFFER_LIFETIME)
    assert actions("offer.") == ["offer.expired", "offer.expired"]


def test_accepting_after_the_expiry_before_the_job_ran_is_409_and_expires_the_offer(app):
    offer = offer_to_member(expires_at=NOW - timedelta(minutes=1))
    with pytest.raises(OfferClosed, match="expired at 08:59"):
        accept(offer)
    assert db.session.get(ShiftOffer, offer.id).status == OfferStatus.EXPIRED
    assert active_bookings(offer.shift_id) == []


def test_an_offer_past_its_expiry_lists_as_expired_at_once_though_the_job_has_not_run(app):
    """Listing a worker's offers ends theirs whose time has passed, as the job would (audited,
    the team told), and no one else's."""
    offer = offer_to_member(shift__start_at=NOW + timedelta(days=3))
    team = staff_user(Role.WORKFORCE, offer.shift.trust)
    others = offer_to_member()  # someone else's, also due by then
    due = offer.expires_at
    with transaction():
        found = offers_for_worker(offer.worker, now=due)
    assert (found.pending, [(o.id, o.status, o.closed_at) for o in found.recent]) == (
        [],
        [(offer.id, OfferStatus.EXPIRED, due)],
    )
    assert actions("offer.") == ["offer.expired"]
    told = f"{offer.worker.name} did not answer: {offer.shift.department.name}, Thu 05 Nov 09:00"
    assert titles(team) == [told]
    assert db.session.get(ShiftOffer, others.id).status == OfferStatus.PENDING
    with transaction():
        assert offers_for_worker(offer.worker, now=due).recent == found.recent
    assert actions("offer.") == ["offer.expired"]  # ended once


def test_an_offer_past_its_expiry_lists_as_expired_among_its_shifts_offers_at_once(app):
    offer = offer_to_member()
    elsewhere = offer_to_member()  # another shift's, also due by then
    with transaction():
        listed = offers_of_shift(offer.shift, now=offer.expires_at)
    assert [(o.id, o.status) for o in listed] == [(offer.id, OfferStatus.EXPIRED)]
    assert actions("offer.") == ["offer.expired"]
    assert db.session.get(ShiftOffer, elsewhere.id).status == OfferStatus.PENDING


def test_cancelling_the_shift_withdraws_its_offers_and_tells_the_worker(app):
    offer = offer_to_member(source=OfferSource.GAP_FILL)
    team = staff_user(Role.WORKFORCE, offer.shift.trust)
    with transaction():
        cancel_shift(offer.shift, team, reason="Ward closed", now=NOW)
    offer = db.session.get(ShiftOffer, offer.id)
    assert (offer.status, offer.closed_reason) == (
        OfferStatus.WITHDRAWN,
        "The shift was cancelled: Ward closed",
    )
    assert titles(offer.worker.user)[-1].startswith("Offer withdrawn: ")


def test_many_workers_accepting_offers_of_one_shift_at_once_book_it_once(app):
    from tests.bank.test_booking_race import race

    first = offer_to_member()
    offers = [first] + [offer_to_member(shift=first.shift) for _ in range(5)]

    def accept_at_once(worker_id: int, offer_id: int) -> bool:
        worker = db.session.get(Worker, worker_id)
        answer_offer(
            lambda: accept_offer(offer_id, worker, actor=worker.user, now=NOW), offer_id, now=NOW
        )
        return True

    answers = race(app, accept_at_once, [(o.worker_id, o.id) for o in offers])
    assert sorted(answers) == [False] * 5 + [True]
    db.session.rollback()  # end this test's snapshot: see what the threads committed
    [booking] = active_bookings(first.shift_id)
    statuses = {o.worker_id: db.session.get(ShiftOffer, o.id).status for o in offers}
    assert statuses.pop(booking.worker_id) == OfferStatus.ACCEPTED
    assert set(statuses.values()) == {OfferStatus.WITHDRAWN}


def test_the_demo_worker_has_shifts_offered_to_answer(app):
    from app.demo import generate
    from bank.demo import DEMO_OFFERS

    with transaction():
        made = generate(trusts=2, workers=12, seed=5, now=NOW)
    offers = db.session.scalars(sa.select(ShiftOffer)).all()
    assert len(offers) == DEMO_OFFERS
    assert {o.worker_id for o in offers} == {made.workers[0].id}
    assert all(o.status == OfferStatus.PENDING for o in offers)
