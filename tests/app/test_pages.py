"""Role home pages and their forms, through the test client."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Department, Role, Trust
from tests.factories import (
    DepartmentFactory,
    NotificationFactory,
    SiteFactory,
    TrustFactory,
    WorkerFactory,
    staff_user,
)


def test_workforce_home_lists_departments_and_the_trusts_workers(client, auth):
    department = DepartmentFactory(name="Acute Medical Unit")
    mine = WorkerFactory(primary_trust=department.trust)
    theirs = WorkerFactory()
    auth.login(staff_user(Role.WORKFORCE, department.trust).email)
    page = client.get("/workforce").get_data(as_text=True)
    assert "Acute Medical Unit" in page and mine.name in page and theirs.name not in page


def test_workforce_adds_a_department_through_the_form(client, auth):
    site = SiteFactory()
    auth.login(staff_user(Role.WORKFORCE, site.trust).email)
    response = auth.post(
        "/workforce",
        {"site_id": site.id, "name": "Ward 12", "specialty": "Cardiology", "cost_centre": "C-12"},
    )
    assert response.status_code == 302
    assert "Ward 12" in client.get("/workforce").get_data(as_text=True)


def test_an_incomplete_department_form_shows_errors_and_saves_nothing(client, auth):
    site = SiteFactory()
    auth.login(staff_user(Role.WORKFORCE, site.trust).email)
    response = auth.post("/workforce", {"site_id": site.id, "name": "Ward 12"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in page and 'href="#specialty"' in page
    assert db.session.scalar(sa.select(sa.func.count(Department.id))) == 0


def test_a_workforce_user_cannot_open_another_trusts_page(client, auth):
    mine, theirs = TrustFactory(), TrustFactory()
    auth.login(staff_user(Role.WORKFORCE, mine).email)
    assert client.get(f"/workforce?trust={theirs.id}").status_code == 404


def test_compliance_home_shows_registration_numbers(client, auth):
    worker = WorkerFactory(registration_number="7654321")
    auth.login(staff_user(Role.COMPLIANCE, worker.primary_trust).email)
    assert "7654321" in client.get("/compliance").get_data(as_text=True)


def test_ics_finance_lead_sees_headcount_for_all_trusts_and_one(client, auth):
    first, second = WorkerFactory(grade="FY1"), WorkerFactory(grade="FY1")
    auth.login(staff_user(Role.FINANCE, None).email)
    page = client.get("/finance").get_data(as_text=True)
    assert "Whole ICS" in page and 'data-testid="headcount-total">2<' in page
    page = client.get(f"/finance?trust={first.primary_trust_id}").get_data(as_text=True)
    assert 'data-testid="headcount-total">1<' in page
    assert second.primary_trust.name not in page.split("<h1>")[1].split("</h1>")[0]


def test_ics_admin_admits_a_trust_through_the_form(client, auth):
    auth.login(staff_user(Role.ICS_ADMIN, None).email)
    response = auth.post("/ics", {"name": "Tame Valley Hospitals", "ods_code": "RTV"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Trust.name).where(Trust.ods_code == "RTV"))
    duplicate = auth.post("/ics", {"name": "Another", "ods_code": "RTV"})
    assert duplicate.status_code == 422 and "RTV" in duplicate.get_data(as_text=True)


def test_account_page_creates_a_token_shown_once(client, auth):
    auth.login(staff_user(Role.ICS_ADMIN, None).email)
    response = auth.post("/account/tokens", {"name": "export"}, form_page="/account")
    assert response.status_code == 201 and 'data-testid="new-token"' in response.get_data(
        as_text=True
    )
    assert 'data-testid="new-token"' not in client.get("/account").get_data(as_text=True)


def test_inbox_marks_a_message_read(client, auth):
    message = NotificationFactory(title="Welcome to the bank")
    auth.login(message.user.email)
    assert "Inbox (1)" in client.get("/inbox").get_data(as_text=True)
    auth.post(f"/inbox/{message.id}/read", form_page="/inbox")
    assert "Inbox (1)" not in client.get("/inbox").get_data(as_text=True)
