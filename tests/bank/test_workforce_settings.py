"""Instant-book settings per department, the Trust's own bank settings, and the substantive
rota a worker declares (which the safe-working rules then count)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Notification, Role
from bank.models import Bank, DeclaredCommitment, InstantBookRule
from tests.factories import (
    NOW,
    BankFactory,
    DeclaredCommitmentFactory,
    DepartmentFactory,
    InstantBookRuleFactory,
    ShiftFactory,
    TrustFactory,
    WorkerFactory,
    member_of_own_bank,
    staff_user,
)

pytestmark = pytest.mark.usefixtures("frozen")


def rules(department) -> set[int | None]:
    return set(
        db.session.scalars(
            sa.select(InstantBookRule.worker_id).where(
                InstantBookRule.department_id == department.id
            )
        )
    )


def test_workforce_lets_listed_workers_instant_book_and_they_are_told(api_client):
    ward = DepartmentFactory()
    InstantBookRuleFactory(department_id=ward.id)  # everyone, before
    alice, bob = WorkerFactory(), WorkerFactory()
    team = api_client(staff_user(Role.WORKFORCE, ward.trust))
    url = f"/api/v1/departments/{ward.id}/instant-book"
    assert team.get(url).get_json() == {
        "department_id": ward.id,
        "everyone": True,
        "worker_ids": [],
    }
    response = team.put(url, json={"everyone": False, "worker_ids": [alice.id, bob.id]})
    assert response.status_code == 200
    assert response.get_json()["worker_ids"] == sorted([alice.id, bob.id])
    assert rules(ward) == {alice.id, bob.id}
    assert db.session.scalar(
        sa.select(Notification.title).where(Notification.user_id == alice.user_id)
    ).startswith("You can now book")
    assert db.session.scalar(
        sa.select(AuditEvent.after).where(AuditEvent.action == "instant_book.changed")
    ) == {"everyone": False, "worker_ids": sorted([alice.id, bob.id])}


def test_an_unknown_worker_is_refused_and_nothing_changes(api_client):
    ward = DepartmentFactory()
    InstantBookRuleFactory(department_id=ward.id)
    team = api_client(staff_user(Role.WORKFORCE, ward.trust))
    response = team.put(
        f"/api/v1/departments/{ward.id}/instant-book", json={"everyone": False, "worker_ids": [999]}
    )
    assert response.status_code == 422 and "worker_ids" in response.get_json()["errors"]
    assert rules(ward) == {None}


def test_another_trusts_department_and_bank_answer_404(api_client):
    ward = DepartmentFactory()
    BankFactory(trust=ward.trust)
    stranger = api_client(staff_user(Role.WORKFORCE, TrustFactory()))
    assert stranger.get(f"/api/v1/departments/{ward.id}/instant-book").status_code == 404
    assert (
        stranger.put(
            f"/api/v1/trusts/{ward.trust_id}/bank-settings",
            json={"cancellation_window_hours": 1, "release_hours_before": 1},
        ).status_code
        == 404
    )


def test_workforce_changes_the_cancellation_window_and_release_time(api_client):
    bank = BankFactory()
    me, colleague = (staff_user(Role.WORKFORCE, bank.trust) for _ in range(2))
    team = api_client(me)
    url = f"/api/v1/trusts/{bank.trust_id}/bank-settings"
    assert team.get(url).get_json()["release_hours_before"] == 72
    response = team.put(url, json={"cancellation_window_hours": 24, "release_hours_before": None})
    assert response.status_code == 200, response.get_json()
    db.session.refresh(bank)
    assert (bank.cancellation_window_hours, bank.release_hours_before) == (24, None)
    assert db.session.scalar(
        sa.select(Notification.body).where(Notification.user_id == colleague.id)
    ).endswith("only by hand.")
    bad = team.put(url, json={"cancellation_window_hours": -1, "release_hours_before": 5000})
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"cancellation_window_hours", "release_hours_before"}
    assert db.session.get(Bank, bank.id).cancellation_window_hours == 24


def test_a_declared_rota_shift_counts_toward_the_rest_rule(api_client):
    trust = TrustFactory()
    worker = WorkerFactory(primary_trust=trust)
    member_of_own_bank(worker)
    # A bank shift tomorrow 09:00-21:00; the worker's substantive night ends 02:00 that day.
    shift = ShiftFactory(department__site__trust=trust)
    client = api_client(worker.user)
    response = client.post(
        "/api/v1/me/commitments",
        json={
            "start_at": (NOW + timedelta(hours=7)).isoformat(),
            "end_at": (NOW + timedelta(hours=17)).isoformat(),
            "trust_id": TrustFactory(name="Home Trust").id,
            "description": "Night on ICU",
        },
    )
    assert response.status_code == 201, response.get_json()
    listed = client.get("/api/v1/me/commitments").get_json()
    assert [c["description"] for c in listed] == ["Night on ICU"]
    refused = client.post(f"/api/v1/shifts/{shift.id}/applications")
    assert refused.status_code == 422
    assert "11 h" in " ".join(refused.get_json()["errors"]["shift_id"])
    assert client.delete(f"/api/v1/me/commitments/{listed[0]['id']}").status_code == 204
    assert client.post(f"/api/v1/shifts/{shift.id}/applications").status_code == 201


def test_a_declared_shift_must_end_after_it_starts_and_is_only_the_workers_own(api_client):
    worker = WorkerFactory()
    client = api_client(worker.user)
    response = client.post(
        "/api/v1/me/commitments",
        json={"start_at": NOW.isoformat(), "end_at": (NOW - timedelta(hours=1)).isoformat()},
    )
    assert response.status_code == 422 and "end_at" in response.get_json()["errors"]
    assert db.session.scalar(sa.select(sa.func.count(DeclaredCommitment.id))) == 0
    theirs = DeclaredCommitmentFactory()
    assert client.delete(f"/api/v1/me/commitments/{theirs.id}").status_code == 404
