"""The core JSON API: tokens, problem details, validation, tenancy, the OpenAPI document."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Department, Role, Trust
from tests.factories import DepartmentFactory, SiteFactory, TrustFactory, WorkerFactory, staff_user


def test_api_without_a_token_answers_401_problem_json(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 401 and "Bearer" in body["detail"]


def test_me_returns_the_token_owner_and_roles(api_client):
    trust = TrustFactory()
    user = staff_user(Role.WORKFORCE, trust)
    body = api_client(user).get("/api/v1/me").get_json()
    assert body["email"] == user.email
    assert body["roles"] == [{"role": "workforce", "trust_id": trust.id}]


def test_a_revoked_token_stops_working_at_once(api_client):
    user = staff_user(Role.ICS_ADMIN, None)
    client = api_client(user)
    token_id = client.get("/api/v1/tokens").get_json()[0]["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}").status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_a_new_token_is_shown_once_and_works(api_client, app):
    client = api_client(staff_user(Role.ICS_ADMIN, None))
    created = client.post("/api/v1/tokens", json={"name": "rota export"})
    assert created.status_code == 201
    secret = created.get_json()["token"]
    assert secret.startswith("sbk_")
    listed = client.get("/api/v1/tokens").get_json()
    assert all("token" not in row for row in listed)
    fresh = app.test_client()
    assert fresh.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_ics_admin_admits_a_trust_and_it_is_audited(api_client):
    admin = staff_user(Role.ICS_ADMIN, None)
    response = api_client(admin).post(
        "/api/v1/trusts", json={"name": "Lune Hospitals", "ods_code": "RL1"}
    )
    assert response.status_code == 201
    trust_id = response.get_json()["id"]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "trust.created"))
    assert event.object_id == str(trust_id) and event.actor_user_id == admin.id


def test_invalid_fields_answer_422_naming_each_field_and_save_nothing(api_client):
    client = api_client(staff_user(Role.ICS_ADMIN, None))
    response = client.post("/api/v1/trusts", json={"name": "", "ods_code": "lower-case!"})
    assert response.status_code == 422
    body = response.get_json()
    assert response.mimetype == "application/problem+json"
    assert set(body["errors"]) == {"name", "ods_code"}
    assert db.session.scalar(sa.select(sa.func.count(Trust.id))) == 0


def test_unknown_fields_are_refused(api_client):
    client = api_client(staff_user(Role.ICS_ADMIN, None))
    response = client.post("/api/v1/trusts", json={"name": "X", "ods_code": "RX1", "extra": 1})
    assert response.status_code == 422 and "extra" in response.get_json()["errors"]


def test_malformed_json_answers_400(api_client):
    client = api_client(staff_user(Role.ICS_ADMIN, None))
    response = client.post(
        "/api/v1/trusts", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_oversized_bodies_answer_413(api_client, app):
    client = api_client(staff_user(Role.ICS_ADMIN, None))
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/api/v1/trusts", data=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.get_json()["status"] == 413


def test_duplicate_ods_code_is_a_409_conflict(api_client):
    TrustFactory(ods_code="RAB")
    client = api_client(staff_user(Role.ICS_ADMIN, None))
    response = client.post("/api/v1/trusts", json={"name": "Another", "ods_code": "RAB"})
    assert response.status_code == 409


def test_only_an_ics_admin_may_admit_a_trust(api_client):
    client = api_client(staff_user(Role.WORKFORCE, TrustFactory()))
    assert client.post("/api/v1/trusts", json={"name": "X", "ods_code": "RX9"}).status_code == 403


def test_workforce_adds_a_department_to_their_own_trust(api_client):
    site = SiteFactory()
    client = api_client(staff_user(Role.WORKFORCE, site.trust))
    response = client.post(
        f"/api/v1/trusts/{site.trust_id}/departments",
        json={
            "site_id": site.id,
            "name": "Ward 9",
            "specialty": "Cardiology",
            "cost_centre": "cc-99",
        },
    )
    assert response.status_code == 201
    assert response.get_json()["cost_centre"] == "CC-99"


def test_another_trusts_department_list_cannot_be_written_and_answers_404(api_client):
    mine, theirs = TrustFactory(), SiteFactory()
    client = api_client(staff_user(Role.WORKFORCE, mine))
    response = client.post(
        f"/api/v1/trusts/{theirs.trust_id}/departments",
        json={"site_id": theirs.id, "name": "Ward 1", "specialty": "ED", "cost_centre": "CC1"},
    )
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Department.id))) == 0


def test_a_site_of_another_trust_is_a_field_error(api_client):
    mine, theirs = SiteFactory(), SiteFactory()
    client = api_client(staff_user(Role.WORKFORCE, mine.trust))
    response = client.post(
        f"/api/v1/trusts/{mine.trust_id}/departments",
        json={"site_id": theirs.id, "name": "Ward 1", "specialty": "ED", "cost_centre": "CC1"},
    )
    assert response.status_code == 422 and "site_id" in response.get_json()["errors"]


def test_duplicate_cost_centre_in_a_trust_is_a_409(api_client):
    department = DepartmentFactory(cost_centre="CC-1")
    client = api_client(staff_user(Role.WORKFORCE, department.trust))
    response = client.post(
        f"/api/v1/trusts/{department.trust_id}/departments",
        json={
            "site_id": department.site_id,
            "name": "Other",
            "specialty": "ED",
            "cost_centre": "cc-1",
        },
    )
    assert response.status_code == 409 and "cost_centre" in response.get_json()["errors"]


def test_workers_of_another_trust_are_invisible(api_client):
    mine, theirs = WorkerFactory(), WorkerFactory()
    client = api_client(staff_user(Role.COMPLIANCE, mine.primary_trust))
    listed = client.get("/api/v1/workers").get_json()
    assert [w["id"] for w in listed] == [mine.id]
    assert client.get(f"/api/v1/workers/{theirs.id}").status_code == 404
    assert client.get(f"/api/v1/workers/{mine.id}").status_code == 200


def test_a_worker_sees_only_their_own_profile(api_client):
    me, other = WorkerFactory(), WorkerFactory()
    client = api_client(me.user)
    assert [w["id"] for w in client.get("/api/v1/workers").get_json()] == [me.id]
    assert client.get(f"/api/v1/workers/{other.id}").status_code == 404


def test_ics_admin_sees_every_worker(api_client):
    workers = [WorkerFactory(), WorkerFactory()]
    client = api_client(staff_user(Role.ICS_ADMIN, None))
    assert {w["id"] for w in client.get("/api/v1/workers").get_json()} == {w.id for w in workers}


def test_audit_events_are_scoped_to_the_users_trusts(api_client):
    mine, theirs = TrustFactory(), TrustFactory()
    admin = api_client(staff_user(Role.ICS_ADMIN, None))
    for trust in (mine, theirs):
        admin.post(f"/api/v1/trusts/{trust.id}/sites", json={"name": f"Site of {trust.name}"})
    events = api_client(staff_user(Role.FINANCE, mine)).get("/api/v1/audit-events").get_json()
    assert {e["trust_id"] for e in events} == {mine.id}


def test_unexpected_errors_answer_500_problem_without_a_trace(app, api_client):
    def explode():
        raise RuntimeError("secret internals")

    app.add_url_rule("/api/v1/explode", "explode", explode)
    response = api_client(staff_user(Role.ICS_ADMIN, None)).get("/api/v1/explode")
    assert response.status_code == 500
    assert "secret internals" not in response.get_data(as_text=True)
    assert response.get_json()["title"] == "Internal Server Error"


def test_openapi_document_lists_the_core_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v1/me",
        "/api/v1/trusts",
        "/api/v1/trusts/{trust_id}/departments",
        "/api/v1/workers",
        "/api/v1/audit-events",
        "/api/v1/tokens",
    ):
        assert path in spec["paths"], path
    assert "bearerAuth" in spec["components"]["securitySchemes"]


def test_notifications_are_private_to_their_owner(api_client):
    from tests.factories import NotificationFactory

    mine = NotificationFactory()
    theirs = NotificationFactory()
    client = api_client(mine.user)
    assert [n["id"] for n in client.get("/api/v1/notifications").get_json()] == [mine.id]
    assert client.post(f"/api/v1/notifications/{theirs.id}/read").status_code == 404
    read = client.post(f"/api/v1/notifications/{mine.id}/read").get_json()
    assert read["read_at"] is not None
