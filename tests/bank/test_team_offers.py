"""A workforce team offers one of its open shifts to a worker by hand (API and shift page): only
to a worker who could take it, once per worker, never another Trust's shift; and the team hears
when an offer lapses unanswered."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Role
from bank.models_offers import OfferStatus, ShiftOffer
from bank.services.offers import expire_due_offers
from tests.bank.conftest import titles
from tests.factories import (
    NOW,
    ShiftFactory,
    ShiftOfferFactory,
    TrustFactory,
    WorkerFactory,
    member_of_own_bank,
    staff_user,
)

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def ward(app):
    """An open ST3 shift of Tame Hospitals, its team, and an ST3 of its own bank."""
    trust = TrustFactory(name="Tame Hospitals")
    shift = ShiftFactory(department__site__trust=trust, department__name="Acute Medical Unit")
    worker = WorkerFactory(primary_trust=trust, grade="ST3", user__full_name="Priya Patel")
    member_of_own_bank(worker)
    return {"shift": shift, "team": staff_user(Role.WORKFORCE, trust), "worker": worker}


def offers_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ShiftOffer))


def test_the_team_offers_a_shift_the_worker_is_told_and_the_offer_is_listed(ward, api_client):
    team = api_client(ward["team"])
    url = f"/api/v1/shifts/{ward['shift'].id}/offers"
    made = team.post(url, json={"worker_id": ward["worker"].id})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["status"] == "pending"
    assert made.get_json()["worker_name"] == "Priya Patel"
    assert titles(ward["worker"].user)[-1].startswith("Offered: Acute Medical Unit")
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "offer.made"))
    listed = team.get(url).get_json()
    assert [(o["worker_id"], o["status"]) for o in listed] == [(ward["worker"].id, "pending")]
    again = team.post(url, json={"worker_id": ward["worker"].id})
    assert again.status_code == 409
    assert offers_count() == 1


def test_the_team_sees_an_offer_past_its_expiry_as_expired_before_the_job_has_run(
    ward, api_client, client, auth, frozen
):
    on_page = ShiftOfferFactory(shift=ward["shift"], worker=ward["worker"])
    in_api = ShiftOfferFactory(shift__department=ward["shift"].department, worker=ward["worker"])
    db.session.commit()
    frozen.move_to(on_page.expires_at)  # both due; the 15-minute job has not run since
    listed = api_client(ward["team"]).get(f"/api/v1/shifts/{in_api.shift_id}/offers")
    assert [(o["id"], o["status"]) for o in listed.get_json()] == [(in_api.id, "expired")]
    auth.login(ward["team"].email)
    page = client.get(f"/workforce/shifts/{on_page.shift_id}").get_data(as_text=True)
    assert "Not answered in time" in page and "Waiting for an answer" not in page


def test_a_worker_who_could_not_take_the_shift_is_not_offered_it(ward, api_client):
    outsider = WorkerFactory(grade="ST3")  # in no bank of the Trust
    senior = WorkerFactory(primary_trust=ward["shift"].trust, grade="ST6")
    member_of_own_bank(senior)
    team = api_client(ward["team"])
    url = f"/api/v1/shifts/{ward['shift'].id}/offers"
    for worker in (outsider, senior):
        refused = team.post(url, json={"worker_id": worker.id})
        assert refused.status_code == 422
        body = refused.get_json()
        assert body["errors"]["worker_id"], body
        assert body["detail"].startswith(f"{worker.name} cannot take this shift")
    unknown = team.post(url, json={"worker_id": 999_999})
    assert unknown.status_code == 422 and "worker_id" in unknown.get_json()["errors"]
    assert team.post(url, json={}).status_code == 422
    assert offers_count() == 0


def test_another_trusts_team_cannot_offer_or_see_the_shifts_offers(ward, api_client):
    stranger = api_client(staff_user(Role.WORKFORCE, TrustFactory()))
    url = f"/api/v1/shifts/{ward['shift'].id}/offers"
    assert stranger.post(url, json={"worker_id": ward["worker"].id}).status_code == 404
    assert stranger.get(url).status_code == 404
    assert offers_count() == 0


def test_the_shift_page_offers_by_email_and_shows_the_answer_awaited(ward, client, auth):
    auth.login(ward["team"].email)
    page = f"/workforce/shifts/{ward['shift'].id}"
    auth.post(page, {"action": "offer", "email": ward["worker"].user.email})
    shown = client.get(page).get_data(as_text=True)
    assert "Priya Patel (ST3)" in shown and "Waiting for an answer" in shown
    outsider = WorkerFactory(grade="ST3", user__full_name="Sam Jones")
    response = auth.post(page, {"action": "offer", "email": outsider.user.email})
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sam Jones cannot take this shift" in follow
    assert offers_count() == 1


def test_an_offer_that_lapses_unanswered_is_told_to_the_team_while_the_shift_is_open(ward):
    later = ShiftFactory(
        department=ward["shift"].department,
        start_at=NOW + timedelta(days=3),
        end_at=NOW + timedelta(days=3, hours=12),
    )
    offer = ShiftOfferFactory(shift=later, worker=ward["worker"])
    soon = ShiftFactory(
        department=ward["shift"].department,
        start_at=NOW + timedelta(hours=6),
        end_at=NOW + timedelta(hours=14),
    )
    at_start = ShiftOfferFactory(shift=soon, worker=ward["worker"])  # lapses as the shift starts
    db.session.commit()
    assert offer.expires_at == NOW + timedelta(hours=24) and at_start.expires_at < offer.expires_at
    assert expire_due_offers(at_start.expires_at) == 1
    assert titles(ward["team"]) == []  # the shift has started: nothing left to do
    assert expire_due_offers(offer.expires_at - timedelta(seconds=1)) == 0
    assert expire_due_offers(offer.expires_at) == 1
    db.session.expire_all()
    assert db.session.get(ShiftOffer, offer.id).status == OfferStatus.EXPIRED
    assert titles(ward["team"]) == [
        "Priya Patel did not answer: Acute Medical Unit, Thu 05 Nov 09:00"
    ]
