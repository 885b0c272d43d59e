"""A worker's bank preferences: preferred Trusts and sites, a weekly cap, being booked directly
by the gap filler, and the Working Time Regulations opt-out. API, page, and their effect on the
gap filler and the safe-working rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.db import transaction
from app.extensions import db
from app.models import AuditEvent, Role
from bank.models import Tier, WorkerBankSettings
from bank.services import settings_of
from bank.services.eligibility import worker_context
from rota import gapfill_service
from rota.models_gapfill import GapFillKind
from tests.factories import (
    NOW,
    MembershipFactory,
    ShiftFactory,
    SiteFactory,
    TrustFactory,
    WorkerFactory,
    collaborative_bank,
    member_of_own_bank,
    staff_user,
)

pytestmark = pytest.mark.usefixtures("frozen")
URL = "/api/v1/me/bank-preferences"


@pytest.fixture
def ics(app):
    """A worker of Tame Hospitals in its own bank and in a collaborative bank with Ribble."""
    tame, ribble = TrustFactory(name="Tame Hospitals"), TrustFactory(name="Ribble Hospitals")
    worker = WorkerFactory(primary_trust=tame)
    member_of_own_bank(worker)
    bank = collaborative_bank(tame, ribble)
    MembershipFactory(bank=bank, worker=worker)
    sites = {
        "tame": SiteFactory(trust=tame, name="Tameside General"),
        "ribble": SiteFactory(trust=ribble, name="Royal Preston"),
    }
    return {
        "tame": tame,
        "ribble": ribble,
        "bank": bank,
        "worker": worker,
        "site_tame": sites["tame"],
        "site_ribble": sites["ribble"],
    }


def body(**fields):
    return {"accept_assignments": False, "wtr_opted_out": False, **fields}


def test_defaults_then_saved_preferences_are_read_back_and_audited(ics, api_client):
    api = api_client(ics["worker"].user)
    assert api.get(URL).get_json() == {
        "preferred_trusts": [],
        "preferred_sites": [],
        "max_shifts_per_week": None,
        "accept_assignments": False,
        "wtr_opted_out": False,
    }
    response = api.put(
        URL,
        json=body(
            preferred_trust_ids=[ics["ribble"].id],
            preferred_site_ids=[ics["site_ribble"].id],
            max_shifts_per_week=3,
            accept_assignments=True,
            wtr_opted_out=True,
        ),
    )
    assert response.status_code == 200, response.get_json()
    saved = api.get(URL).get_json()
    assert saved["preferred_trusts"] == [{"id": ics["ribble"].id, "name": "Ribble Hospitals"}]
    assert saved["preferred_sites"] == [{"id": ics["site_ribble"].id, "name": "Royal Preston"}]
    assert (saved["max_shifts_per_week"], saved["accept_assignments"], saved["wtr_opted_out"]) == (
        3,
        True,
        True,
    )
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "bank.preferences_changed")
    )
    assert event.before["wtr_opted_out"] is False and event.after["wtr_opted_out"] is True
    assert event.after["preferred_trust_ids"] == [ics["ribble"].id]
    # The opt-out reaches the safe-working rules that judge every booking.
    assert worker_context(ics["worker"], NOW).schedule.opted_out is True


def test_a_second_save_replaces_the_first(ics, api_client):
    api = api_client(ics["worker"].user)
    api.put(URL, json=body(preferred_trust_ids=[ics["tame"].id, ics["ribble"].id]))
    api.put(URL, json=body(preferred_trust_ids=[ics["tame"].id]))
    assert [t["id"] for t in api.get(URL).get_json()["preferred_trusts"]] == [ics["tame"].id]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkerBankSettings)) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"preferred_trust_ids": "outsider"}, "preferred_trust_ids"),
        ({"preferred_site_ids": "outsider_site"}, "preferred_site_ids"),
        (
            {"preferred_trust_ids": "tame", "preferred_site_ids": "site_ribble"},
            "preferred_site_ids",
        ),
        ({"max_shifts_per_week": 0}, "max_shifts_per_week"),
        ({"max_shifts_per_week": 8}, "max_shifts_per_week"),
        ({"max_shifts_per_week": "two"}, "max_shifts_per_week"),
        ({"accept_assignments": None}, "accept_assignments"),
    ],
)
def test_bad_preferences_answer_422_naming_the_field_and_change_nothing(
    ics, api_client, fields, field
):
    outsider = TrustFactory()
    ids = {
        "outsider": outsider.id,
        "outsider_site": SiteFactory(trust=outsider).id,
        "tame": ics["tame"].id,
        "site_ribble": ics["site_ribble"].id,
    }
    payload = body()
    for name, value in fields.items():
        payload[name] = [ids[value]] if name.endswith("_ids") else value
    if payload["accept_assignments"] is None:
        del payload["accept_assignments"]
    response = api_client(ics["worker"].user).put(URL, json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkerBankSettings)) == 0


def test_the_page_saves_ticked_trusts_and_sites_and_shows_errors_in_place(ics, client, auth):
    auth.login(ics["worker"].user.email)
    page = client.get("/banks/preferences").get_data(as_text=True)
    assert "Ribble Hospitals" in page and "Royal Preston, Ribble Hospitals" in page
    response = auth.post(
        "/banks/preferences",
        {
            "preferred_trust_ids": [str(ics["ribble"].id)],
            "max_shifts_per_week": "lots",
            "accept_assignments": "yes",
        },
    )
    assert response.status_code == 422
    assert "Give a whole number of shifts" in response.get_data(as_text=True)
    assert settings_of(ics["worker"]).id is None  # nothing saved
    response = auth.post(
        "/banks/preferences",
        {
            "preferred_trust_ids": [str(ics["ribble"].id)],
            "preferred_site_ids": [str(ics["site_ribble"].id)],
            "max_shifts_per_week": "2",
            "accept_assignments": "yes",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    settings = settings_of(ics["worker"])
    assert [t.id for t in settings.preferred_trusts] == [ics["ribble"].id]
    assert [s.id for s in settings.preferred_sites] == [ics["site_ribble"].id]
    assert settings.max_shifts_per_week == 2 and settings.accept_assignments
    assert not settings.wtr_opted_out


def test_a_worker_in_no_bank_is_told_to_join_one_first(client, auth):
    worker = WorkerFactory()
    auth.login(worker.user.email)
    assert 'data-testid="no-banks"' in client.get("/banks/preferences").get_data(as_text=True)


def test_the_gap_filler_places_each_worker_at_the_trust_they_prefer(app, ics):
    """Two shifts at the same time, one at each Trust; first come would give the earlier-posted
    Ribble shift to the first worker, who prefers Tame."""
    app.config["ROTA_SOLVE_INLINE"] = True
    tame, ribble, first = ics["tame"], ics["ribble"], ics["worker"]
    second = WorkerFactory(primary_trust=tame)
    member_of_own_bank(second)
    MembershipFactory(bank=ics["bank"], worker=second)
    for trust, worker in ((tame, first), (ribble, second)):
        db.session.add(
            WorkerBankSettings(
                worker_id=worker.id, preferred_trusts=[trust], accept_assignments=True
            )
        )
    start = NOW + timedelta(days=2)
    shifts = {}
    for trust in (ribble, tame):
        shifts[trust.id] = ShiftFactory(
            department__site__trust=trust,
            tier=Tier.COLLABORATIVE,
            start_at=start,
            end_at=start + timedelta(hours=12),
        )
    db.session.commit()
    admin = staff_user(Role.ICS_ADMIN, None)
    with transaction():
        run = gapfill_service.start_run(
            admin,
            trust_id=None,
            date_from=NOW,
            date_to=NOW + timedelta(days=7),
            time_limit=3,
            now=NOW,
        )
    run = gapfill_service.solve_run(run.id, now=NOW)
    placed = {i.shift_id: i.worker_id for i in run.items if i.kind != GapFillKind.OPEN}
    assert placed == {shifts[tame.id].id: first.id, shifts[ribble.id].id: second.id}
