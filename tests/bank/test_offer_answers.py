"""Shift offers through the JSON API and the Offers page: a worker's own offers only, accepting
and declining, and every refusal named (409 for an offer that has ended, 422 for a rule that
now blocks or bad input, 404 for someone else's offer)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Role
from bank.models import Booking, BookingSource, ShiftStatus
from bank.models_offers import OfferStatus, ShiftOffer
from tests.bank.conftest import titles
from tests.factories import (
    NOW,
    BookingFactory,
    ShiftOfferFactory,
    WorkerFactory,
    clashing_booking,
    offer_to_member,
    staff_user,
)

pytestmark = pytest.mark.usefixtures("frozen")


def status_of(offer: ShiftOffer) -> OfferStatus:
    db.session.expire_all()
    return db.session.get(ShiftOffer, offer.id).status


# The API --------------------------------------------------------------------------------------


def test_a_worker_lists_their_own_offers_pending_first_then_ended(api_client):
    offer = offer_to_member()
    declined = ShiftOfferFactory(
        worker=offer.worker, status=OfferStatus.DECLINED, closed_at=NOW - timedelta(hours=1)
    )
    ShiftOfferFactory()  # someone else's
    found = api_client(offer.worker.user).get("/api/v1/me/offers")
    assert found.status_code == 200
    body = found.get_json()
    assert [(o["id"], o["status"]) for o in body] == [
        (offer.id, "pending"),
        (declined.id, "declined"),
    ]
    assert body[0]["shift"]["trust_name"] == offer.shift.trust.name
    assert body[0]["expires_at"] == "2026-11-03T09:00:00+00:00"


def test_an_offer_past_its_expiry_is_listed_as_expired_before_the_job_has_run(api_client, frozen):
    offer = offer_to_member()
    frozen.move_to(offer.expires_at)  # the 15-minute job has not run since
    body = api_client(offer.worker.user).get("/api/v1/me/offers").get_json()
    assert [(o["id"], o["status"]) for o in body] == [(offer.id, "expired")]
    assert status_of(offer) == OfferStatus.EXPIRED


def test_accepting_through_the_api_books_and_answers_the_offer(api_client):
    offer = offer_to_member()
    response = api_client(offer.worker.user).post(f"/api/v1/offers/{offer.id}/accept")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "accepted"
    booking = db.session.get(Booking, body["booking_id"])
    assert (booking.source, booking.worker_id) == (BookingSource.OFFER, offer.worker_id)


def test_another_workers_offer_answers_404(api_client):
    offer = offer_to_member()
    client = api_client(WorkerFactory().user)
    for action in ("accept", "decline"):
        response = client.post(f"/api/v1/offers/{offer.id}/{action}", json={})
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
    assert status_of(offer) == OfferStatus.PENDING


def test_accepting_an_answered_or_expired_offer_is_a_409_naming_why(api_client):
    declined = offer_to_member(status=OfferStatus.DECLINED, closed_at=NOW)
    client = api_client(declined.worker.user)
    response = client.post(f"/api/v1/offers/{declined.id}/accept")
    assert response.status_code == 409
    problem = response.get_json()
    assert problem["type"] == "/problems/offer-closed"
    assert problem["detail"] == "This offer was declined."
    lapsed = offer_to_member(worker=declined.worker, expires_at=NOW - timedelta(minutes=5))
    response = client.post(f"/api/v1/offers/{lapsed.id}/accept")
    assert response.status_code == 409
    assert response.get_json()["detail"] == "This offer expired at 08:55 on Mon 02 Nov."
    assert status_of(lapsed) == OfferStatus.EXPIRED


def test_a_shift_someone_else_booked_is_a_409_and_never_a_second_booking(api_client):
    offer = offer_to_member()
    BookingFactory(shift=offer.shift, worker=WorkerFactory())
    offer.shift.status = ShiftStatus.BOOKED
    db.session.commit()
    response = api_client(offer.worker.user).post(f"/api/v1/offers/{offer.id}/accept")
    assert response.status_code == 409
    assert response.get_json()["detail"] == "Someone else booked this shift."
    assert status_of(offer) == OfferStatus.WITHDRAWN
    count = (
        sa.select(sa.func.count()).select_from(Booking).where(Booking.shift_id == offer.shift_id)
    )
    assert db.session.scalar(count) == 1


def test_a_rule_that_now_blocks_is_a_422_with_the_reason_and_the_offer_stays(api_client):
    offer = offer_to_member()
    clashing_booking(offer)
    response = api_client(offer.worker.user).post(f"/api/v1/offers/{offer.id}/accept")
    assert response.status_code == 422
    assert any("overlap" in m.lower() for m in response.get_json()["errors"]["shift_id"])
    assert status_of(offer) == OfferStatus.PENDING


def test_declining_through_the_api_with_and_without_a_reason(api_client):
    offer = offer_to_member()
    team = staff_user(Role.WORKFORCE, offer.shift.trust)
    client = api_client(offer.worker.user)
    response = client.post(f"/api/v1/offers/{offer.id}/decline", json={"reason": "On leave"})
    assert response.status_code == 200
    assert (response.get_json()["status"], response.get_json()["decline_reason"]) == (
        "declined",
        "On leave",
    )
    assert titles(team)[-1].endswith(": On leave")
    other = offer_to_member(worker=offer.worker)
    assert client.post(f"/api/v1/offers/{other.id}/decline").status_code == 200
    assert status_of(other) == OfferStatus.DECLINED


def test_a_decline_reason_that_is_too_long_or_not_text_is_a_422_naming_the_field(api_client):
    offer = offer_to_member()
    client = api_client(offer.worker.user)
    for reason in ("x" * 501, 42):
        response = client.post(f"/api/v1/offers/{offer.id}/decline", json={"reason": reason})
        assert response.status_code == 422
        assert "reason" in response.get_json()["errors"]
    assert status_of(offer) == OfferStatus.PENDING


def test_the_offers_api_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {
        "/api/v1/me/offers",
        "/api/v1/offers/{offer_id}/accept",
        "/api/v1/offers/{offer_id}/decline",
    } <= set(paths)


# The page ---------------------------------------------------------------------------------


def test_the_offers_page_lists_pending_offers_and_is_in_the_workers_menu(client, auth):
    offer = offer_to_member()
    ShiftOfferFactory(
        worker=offer.worker,
        status=OfferStatus.WITHDRAWN,
        closed_at=NOW,
        closed_reason="Someone else booked this shift.",
    )
    auth.login(offer.worker.user.email)
    page = client.get("/offers").text
    shift = offer.shift
    for shown in (
        shift.trust.name,
        shift.department.site.name,
        shift.department.name,
        "Tue 03 Nov 09:00–21:00",
        "£93.00/h",
        "Answer by",
        "Withdrawn: Someone else booked this shift.",
    ):
        assert shown in page, shown
    assert 'href="/offers"' in client.get("/shifts").text


def test_the_offers_page_shows_an_offer_past_its_expiry_as_not_answered_in_time(
    client, auth, frozen
):
    offer = offer_to_member()
    auth.login(offer.worker.user.email)
    assert "Answer by" in client.get("/offers").text
    frozen.move_to(offer.expires_at)  # the 15-minute job has not run since
    page = client.get("/offers").text
    assert "Answer by" not in page and "Not answered in time" in page
    assert status_of(offer) == OfferStatus.EXPIRED


def test_accepting_on_the_page_books_and_shows_my_shifts(client, auth):
    offer = offer_to_member()
    auth.login(offer.worker.user.email)
    response = auth.post(f"/offers/{offer.id}/accept", form_page="/offers")
    assert response.status_code == 302 and response.headers["Location"] == "/shifts/mine"
    page = client.get("/shifts/mine").text
    assert "You are booked" in page and offer.shift.department.name in page
    assert status_of(offer) == OfferStatus.ACCEPTED


def test_a_refusal_is_shown_on_the_offers_page_with_its_reason(client, auth):
    offer = offer_to_member()
    clashing_booking(offer)
    auth.login(offer.worker.user.email)
    response = auth.post(f"/offers/{offer.id}/accept", form_page="/offers")
    assert response.status_code == 422
    assert 'data-testid="refused"' in response.text and "overlap" in response.text.lower()
    assert f'data-testid="offer-{offer.id}"' in response.text  # still there to answer


def test_declining_on_the_page_with_a_reason_and_a_reason_too_long(client, auth):
    offer = offer_to_member()
    auth.login(offer.worker.user.email)
    too_long = auth.post(f"/offers/{offer.id}/decline", {"reason": "x" * 501}, "/offers")
    assert too_long.status_code == 422
    assert f'href="#reason-{offer.id}"' in too_long.text
    assert status_of(offer) == OfferStatus.PENDING
    response = auth.post(f"/offers/{offer.id}/decline", {"reason": "Away"}, "/offers")
    assert response.status_code == 302
    page = client.get("/offers").text
    assert "You declined" in page and "Declined: Away" in page
    assert status_of(offer) == OfferStatus.DECLINED


def test_the_offer_forms_need_the_csrf_token(client, auth):
    offer = offer_to_member()
    auth.login(offer.worker.user.email)
    assert client.post(f"/offers/{offer.id}/accept").status_code == 400
    assert status_of(offer) == OfferStatus.PENDING


def test_staff_without_a_worker_role_have_no_offers_page(client, auth):
    auth.login(staff_user(Role.WORKFORCE, None).email)
    assert client.get("/offers").status_code == 404
