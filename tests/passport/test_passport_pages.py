"""Passport pages through the test client: forms, errors, and who may see what."""

from __future__ import annotations

import io

import sqlalchemy as sa

from app.extensions import db
from app.models import Role
from passport.models import Credential, CredentialStatus, CredentialType, TrustRequirement
from tests.conftest import csrf_token
from tests.factories import (
    CredentialFactory,
    TrustFactory,
    WorkerFactory,
    credential_type,
    staff_user,
)


def test_worker_adds_a_credential_with_a_document(client, auth):
    credential_type("identity")
    worker = WorkerFactory()
    auth.login(worker.user.email)
    response = client.post(
        "/passport",
        data={
            "csrf_token": csrf_token(client, "/passport"),
            "credential_type": "identity",
            "evidence": (io.BytesIO(b"%PDF-1.7 passport scan"), "passport.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = client.get("/passport").get_data(as_text=True)
    assert "Identity check" in page and 'data-status="awaiting_verification"' in page


def test_a_bad_credential_form_shows_the_error_summary_and_saves_nothing(client, auth):
    credential_type("gmc_registration")
    worker = WorkerFactory()
    auth.login(worker.user.email)
    response = auth.post(
        "/passport",
        {
            "credential_type": "gmc_registration",
            "reference": "GMC-1",
            "expires_on": "2020-01-01",
            "issued_on": "2021-01-01",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "There is a problem" in page
    assert "a GMC number is seven digits" in page
    assert "The expiry date must be after the issue date" in page
    assert db.session.scalar(sa.select(sa.func.count(Credential.id))) == 0


def test_officer_verifies_from_the_worker_page(client, auth):
    credential = CredentialFactory(type_code="references")
    auth.login(staff_user(Role.COMPLIANCE, credential.worker.primary_trust).email)
    path = f"/compliance/workers/{credential.worker_id}"
    response = auth.post(
        path, {"action": "verify", "credential_id": credential.id, "method": "Referee contacted"}
    )
    assert response.status_code == 302
    assert db.session.get(Credential, credential.id).status == CredentialStatus.VERIFIED
    assert "Referee contacted" in client.get(path).get_data(as_text=True)


def test_rejecting_without_a_reason_shows_an_error(client, auth):
    credential = CredentialFactory()
    auth.login(staff_user(Role.COMPLIANCE, credential.worker.primary_trust).email)
    response = auth.post(
        f"/compliance/workers/{credential.worker_id}",
        {"action": "reject", "credential_id": credential.id},
    )
    assert response.status_code == 422
    assert "Say why it is rejected" in response.get_data(as_text=True)
    assert db.session.get(Credential, credential.id).status == CredentialStatus.AWAITING


def test_officer_finds_a_worker_of_another_trust_by_registration_number(client, auth):
    worker = WorkerFactory(registration_number="7654321")
    auth.login(staff_user(Role.COMPLIANCE, TrustFactory()).email)
    page = client.get("/compliance/workers?q=765432").get_data(as_text=True)
    assert worker.name in page


def test_requirements_page_adds_removes_and_sets_intervals(client, auth):
    credential_type("identity")
    trust = TrustFactory()
    auth.login(staff_user(Role.COMPLIANCE, trust).email)
    assert (
        auth.post(
            "/compliance/requirements", {"action": "add", "credential_type": "identity"}
        ).status_code
        == 302
    )
    requirement_id = db.session.scalar(sa.select(TrustRequirement.id))
    bad = auth.post(
        "/compliance/requirements",
        {"action": "interval", "credential_type": "cstf_resuscitation", "months": "0"},
    )
    assert bad.status_code == 422 and "from 1 to 120" in bad.get_data(as_text=True)
    assert (
        auth.post(
            "/compliance/requirements",
            {"action": "interval", "credential_type": "cstf_resuscitation", "months": "18"},
        ).status_code
        == 302
    )
    assert 'value="18"' in client.get("/compliance/requirements").get_data(as_text=True)
    auth.post("/compliance/requirements", {"action": "remove", "requirement_id": requirement_id})
    assert db.session.scalar(sa.select(sa.func.count(TrustRequirement.id))) == 0


def test_ics_admin_changes_the_passport_policy(client, auth):
    credential_type("identity")
    auth.login(staff_user(Role.ICS_ADMIN, None).email)
    auth.post("/ics/passport-policy", {"recognised": "identity"})
    recognised = set(
        db.session.scalars(sa.select(CredentialType.code).where(CredentialType.recognised))
    )
    assert recognised == {"identity"}


def test_a_worker_cannot_open_compliance_pages_or_anothers_evidence(client, auth):
    other = CredentialFactory()
    worker = WorkerFactory()
    auth.login(worker.user.email)
    assert client.get("/compliance/queue").status_code == 404
    assert client.get(f"/compliance/workers/{other.worker_id}").status_code == 404
    assert client.get(f"/passport/credentials/{other.id}/evidence").status_code == 404


def test_the_work_check_lists_what_is_missing(client, auth):
    trust = TrustFactory()
    credential_type("dbs_enhanced")
    from app.db import transaction, utcnow
    from passport.services import add_requirement

    officer = staff_user(Role.COMPLIANCE, trust)
    with transaction():
        add_requirement(
            trust,
            officer,
            code="dbs_enhanced",
            staff_group=None,
            grade=None,
            department_id=None,
            now=utcnow(),
        )
    worker = WorkerFactory()
    auth.login(worker.user.email)
    page = client.get(f"/passport?check_trust={trust.id}&check_at=2026-12-05T20:00")
    text = page.get_data(as_text=True)
    assert "does not cover this work yet" in text and "Enhanced DBS check" in text


def test_the_expire_command_announces_expired_credentials(runner):
    from datetime import date

    trust = TrustFactory()
    officer = staff_user(Role.COMPLIANCE, trust)
    CredentialFactory(
        type_code="gmc_registration", expires_on=date(2020, 1, 1), verified_by=(officer, trust)
    )
    assert "1 credential(s) newly expired" in runner.invoke(args=["passport", "expire"]).output
    assert "0 credential(s) newly expired" in runner.invoke(args=["passport", "expire"]).output
