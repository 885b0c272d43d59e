"""The passport through its API: adding, verifying, passporting, policy, eligibility, expiry."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import sqlalchemy as sa
import time_machine

from app.db import transaction
from app.extensions import db
from app.models import AuditEvent, Notification, Role
from app.signals import credential_expired
from passport.models import Credential, CredentialAcceptance, CredentialStatus
from passport.services import expire_credentials
from tests.factories import (
    CredentialFactory,
    TrustFactory,
    WorkerFactory,
    credential_type,
    staff_user,
)

PDF = b"%PDF-1.4\n% evidence\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


def add(client, worker, **fields):
    files = fields.pop("files", {})
    data = {
        **fields,
        **{name: (io.BytesIO(content), filename) for name, (content, filename) in files.items()},
    }
    return client.post(
        f"/api/v1/workers/{worker.id}/credentials", data=data, content_type="multipart/form-data"
    )


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count(model.id)))


def test_a_worker_adds_a_gmc_registration_awaiting_verification(api_client):
    credential_type("gmc_registration")
    worker = WorkerFactory()
    response = add(
        api_client(worker.user),
        worker,
        credential_type="gmc_registration",
        reference="7012345",
        issued_on="2020-08-01",
        expires_on="2027-08-01",
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "awaiting_verification" and body["reference"] == "7012345"
    assert body["history"][0]["action"] == "submitted"


def test_a_dbs_with_an_uploaded_certificate_is_stored_outside_the_database(api_client, app):
    credential_type("dbs_enhanced")
    worker = WorkerFactory()
    client = api_client(worker.user)
    response = add(
        client, worker, credential_type="dbs_enhanced", files={"evidence": (PDF, "dbs.pdf")}
    )
    assert response.status_code == 201
    credential_id = response.get_json()["id"]
    download = client.get(f"/api/v1/credentials/{credential_id}/evidence")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"


def test_bad_credentials_answer_422_naming_each_field_and_save_nothing(api_client):
    credential_type("gmc_registration")
    worker = WorkerFactory()
    client = api_client(worker.user)
    wrong_number = add(
        client,
        worker,
        credential_type="gmc_registration",
        reference="12345",
        issued_on="2026-05-01",
        expires_on="2026-04-01",
    )
    assert wrong_number.status_code == 422
    assert set(wrong_number.get_json()["errors"]) == {"reference", "expires_on"}
    unknown = add(client, worker, credential_type="pilot_licence")
    assert unknown.status_code == 422 and "credential_type" in unknown.get_json()["errors"]
    bad_date = add(client, worker, credential_type="identity", issued_on="31/02/2026")
    assert bad_date.status_code == 422 and "issued_on" in bad_date.get_json()["errors"]
    assert count(Credential) == 0


def test_evidence_must_be_a_real_pdf_png_or_jpeg_within_the_size_limit(api_client, app):
    credential_type("identity")
    worker = WorkerFactory()
    client = api_client(worker.user)
    text = add(
        client,
        worker,
        credential_type="identity",
        files={"evidence": (b"just text, named like a pdf", "passport.pdf")},
    )
    assert text.status_code == 422 and "evidence" in text.get_json()["errors"]
    big = PNG + b"\0" * app.config["EVIDENCE_MAX_BYTES"]
    too_big = add(client, worker, credential_type="identity", files={"evidence": (big, "a.png")})
    assert too_big.status_code == 422 and "smaller" in too_big.get_json()["errors"]["evidence"][0]
    assert count(Credential) == 0


def test_nobody_adds_to_or_reads_another_workers_passport(api_client):
    credential_type("identity")
    me, other = WorkerFactory(), WorkerFactory()
    theirs = CredentialFactory(worker=other)
    client = api_client(me.user)
    assert (
        add(
            client, other, credential_type="identity", files={"evidence": (PDF, "id.pdf")}
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/workers/{other.id}/credentials").status_code == 404
    assert client.get(f"/api/v1/credentials/{theirs.id}").status_code == 404
    assert client.get(f"/api/v1/credentials/{theirs.id}/evidence").status_code == 404


def test_an_officer_verifies_and_the_worker_is_told(api_client):
    credential = CredentialFactory(type_code="dbs_enhanced")
    officer = staff_user(Role.COMPLIANCE, credential.worker.primary_trust)
    response = api_client(officer).post(
        f"/api/v1/credentials/{credential.id}/verify",
        json={"method": "DBS Update Service status check", "note": "Certificate 001234567890"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "verified" and body["verified_by"] == officer.full_name
    assert body["verified_by_trust_id"] == credential.worker.primary_trust_id
    assert db.session.scalar(
        sa.select(Notification.title).where(Notification.user_id == credential.worker.user_id)
    ) == ("Enhanced DBS check with barred lists verified")
    assert db.session.scalar(
        sa.select(AuditEvent.action).where(AuditEvent.action == "credential.verified")
    )


def test_verifying_twice_is_a_conflict_and_a_reason_is_needed_to_reject(api_client):
    credential = CredentialFactory()
    officer = api_client(staff_user(Role.COMPLIANCE, credential.worker.primary_trust))
    url = f"/api/v1/credentials/{credential.id}"
    assert officer.post(f"{url}/reject", json={"reason": ""}).status_code == 422
    assert officer.post(f"{url}/verify", json={"method": "Seen"}).status_code == 200
    assert officer.post(f"{url}/verify", json={"method": "Seen"}).status_code == 409


def test_a_worker_who_is_also_an_officer_cannot_verify_their_own_credential(api_client):
    credential = CredentialFactory()
    worker_user = credential.worker.user
    from app.models import RoleMembership

    with transaction():
        db.session.add(
            RoleMembership(
                user_id=worker_user.id,
                role=Role.COMPLIANCE,
                trust_id=credential.worker.primary_trust_id,
            )
        )
    response = api_client(worker_user).post(
        f"/api/v1/credentials/{credential.id}/verify", json={"method": "Seen"}
    )
    assert response.status_code == 403
    assert db.session.get(Credential, credential.id).status == CredentialStatus.AWAITING


def test_another_trusts_officer_sees_who_verified_and_accepts_without_checking(api_client):
    trust_a, trust_b = TrustFactory(), TrustFactory()
    officer_a = staff_user(Role.COMPLIANCE, trust_a)
    credential = CredentialFactory(
        worker=WorkerFactory(primary_trust=trust_a), verified_by=(officer_a, trust_a)
    )
    officer_b = api_client(staff_user(Role.COMPLIANCE, trust_b))
    seen = officer_b.get(f"/api/v1/workers/{credential.worker_id}/credentials").get_json()[0]
    assert seen["verified_by_trust_id"] == trust_a.id and seen["verified_by"] == officer_a.full_name
    assert seen["verification_method"]
    accepted = officer_b.post(f"/api/v1/credentials/{credential.id}/accept", json={})
    assert accepted.status_code == 200
    assert accepted.get_json()["accepted_by"][0]["trust_id"] == trust_b.id
    assert count(CredentialAcceptance) == 1
    assert officer_b.post(f"/api/v1/credentials/{credential.id}/accept", json={}).status_code == 409


def test_the_verifying_trust_cannot_count_an_acceptance_of_its_own_check(api_client):
    trust = TrustFactory()
    officer = staff_user(Role.COMPLIANCE, trust)
    credential = CredentialFactory(verified_by=(officer, trust))
    response = api_client(officer).post(f"/api/v1/credentials/{credential.id}/accept", json={})
    assert response.status_code == 409 and count(CredentialAcceptance) == 0


def test_an_officer_of_several_trusts_must_say_which_one_acts(api_client):
    first, second = TrustFactory(), TrustFactory()
    officer = staff_user(Role.COMPLIANCE, first)
    from app.models import RoleMembership

    with transaction():
        db.session.add(RoleMembership(user_id=officer.id, role=Role.COMPLIANCE, trust_id=second.id))
    credential = CredentialFactory()
    client = api_client(officer)
    missing = client.post(f"/api/v1/credentials/{credential.id}/verify", json={"method": "Seen"})
    assert missing.status_code == 422 and "trust_id" in missing.get_json()["errors"]
    chosen = client.post(
        f"/api/v1/credentials/{credential.id}/verify",
        json={"method": "Seen", "trust_id": second.id},
    )
    assert chosen.get_json()["verified_by_trust_id"] == second.id


def test_workforce_may_see_but_not_verify_and_finance_cannot_see(api_client):
    credential = CredentialFactory()
    url = f"/api/v1/credentials/{credential.id}/verify"
    for role, status in ((Role.WORKFORCE, 403), (Role.FINANCE, 404)):
        client = api_client(staff_user(role, credential.worker.primary_trust))
        assert client.post(url, json={"method": "Seen"}).status_code == status


def test_only_the_ics_admin_sets_the_passport_policy_and_it_is_audited(api_client):
    credential_type("dbs_enhanced")
    officer = api_client(staff_user(Role.COMPLIANCE, TrustFactory()))
    assert (
        officer.put(
            "/api/v1/passport-policy", json={"recognised": {"dbs_enhanced": False}}
        ).status_code
        == 403
    )
    admin = api_client(staff_user(Role.ICS_ADMIN, None))
    response = admin.put("/api/v1/passport-policy", json={"recognised": {"dbs_enhanced": False}})
    assert response.status_code == 200
    assert not next(t for t in response.get_json() if t["code"] == "dbs_enhanced")["recognised"]
    assert db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "passport.recognition_changed")
    ).before == {"recognised": True}
    bad = admin.put("/api/v1/passport-policy", json={"recognised": {"nonsense": True}})
    assert bad.status_code == 422


def test_eligibility_for_a_trust_b_shift_passes_on_trust_a_checks(api_client):
    trust_a, trust_b = TrustFactory(), TrustFactory()
    officer_a, officer_b = (
        staff_user(Role.COMPLIANCE, trust_a),
        staff_user(Role.COMPLIANCE, trust_b),
    )
    worker = WorkerFactory(primary_trust=trust_a)
    CredentialFactory(worker=worker, type_code="dbs_enhanced", verified_by=(officer_a, trust_a))
    client_b = api_client(officer_b)
    for code in ("dbs_enhanced", "gmc_registration"):
        assert (
            client_b.post(
                f"/api/v1/trusts/{trust_b.id}/requirements", json={"credential_type": code}
            ).status_code
            == 201
        )
    check = {"trust_id": trust_b.id, "at": "2026-12-05T20:00:00+00:00"}
    result = client_b.post(f"/api/v1/workers/{worker.id}/eligibility", json=check).get_json()
    assert not result["eligible"]
    assert [(s["credential_type"], s["reason"]) for s in result["shortfalls"]] == [
        ("gmc_registration", "missing")
    ]
    CredentialFactory(
        worker=worker,
        type_code="gmc_registration",
        verified_by=(officer_a, trust_a),
        expires_on=date(2027, 8, 1),
    )
    result = client_b.post(f"/api/v1/workers/{worker.id}/eligibility", json=check).get_json()
    assert result["eligible"] and set(result["required"]) == {"dbs_enhanced", "gmc_registration"}


def test_requirements_by_staff_group_apply_only_to_that_group(api_client):
    trust = TrustFactory()
    client = api_client(staff_user(Role.COMPLIANCE, trust))
    credential_type("nmc_registration")
    client.post(
        f"/api/v1/trusts/{trust.id}/requirements",
        json={"credential_type": "nmc_registration", "staff_group": "nursing"},
    )
    doctor = WorkerFactory()
    result = client.post(
        f"/api/v1/workers/{doctor.id}/eligibility",
        json={"trust_id": trust.id, "at": "2026-12-05T20:00:00+00:00"},
    ).get_json()
    assert result["eligible"] and result["required"] == []
    duplicate = client.post(
        f"/api/v1/trusts/{trust.id}/requirements",
        json={"credential_type": "nmc_registration", "staff_group": "nursing"},
    )
    assert duplicate.status_code == 409


def test_another_trusts_requirements_cannot_be_changed(api_client):
    mine, theirs = TrustFactory(), TrustFactory()
    credential_type("identity")
    client = api_client(staff_user(Role.COMPLIANCE, mine))
    response = client.post(
        f"/api/v1/trusts/{theirs.id}/requirements", json={"credential_type": "identity"}
    )
    assert response.status_code == 404


def test_a_trusts_own_training_interval_changes_what_counts(api_client):
    trust = TrustFactory()
    officer = staff_user(Role.COMPLIANCE, trust)
    client = api_client(officer)
    worker = WorkerFactory()
    CredentialFactory(
        worker=worker,
        type_code="cstf_resuscitation",
        issued_on=date(2025, 11, 1),
        verified_by=(officer, trust),
    )
    check = {
        "trust_id": trust.id,
        "at": "2026-12-05T09:00:00+00:00",
        "credential_types": ["cstf_resuscitation"],
    }
    url = f"/api/v1/workers/{worker.id}/eligibility"
    assert not client.post(url, json=check).get_json()["eligible"]  # default 12 months
    assert (
        client.put(
            f"/api/v1/trusts/{trust.id}/training-intervals",
            json={"credential_type": "cstf_resuscitation", "months": 24},
        ).status_code
        == 200
    )
    assert client.post(url, json=check).get_json()["eligible"]
    bad = client.put(
        f"/api/v1/trusts/{trust.id}/training-intervals",
        json={"credential_type": "identity", "months": 24},
    )
    assert bad.status_code == 422


def test_the_queue_lists_awaiting_credentials_of_the_trusts_workers(api_client):
    mine = CredentialFactory()
    CredentialFactory()  # another Trust's worker
    client = api_client(staff_user(Role.COMPLIANCE, mine.worker.primary_trust))
    queue = client.get(f"/api/v1/trusts/{mine.worker.primary_trust_id}/verification-queue")
    assert [c["id"] for c in queue.get_json()] == [mine.id]


def test_expiry_is_announced_once_with_a_signal_and_a_message(app):
    trust = TrustFactory()
    officer = staff_user(Role.COMPLIANCE, trust)
    credential = CredentialFactory(
        type_code="gmc_registration", expires_on=date(2026, 3, 28), verified_by=(officer, trust)
    )
    received = []

    def on_expired(sender, **kwargs):
        received.append((sender.id, kwargs["type_code"], kwargs["expired_on"]))

    credential_expired.connect(on_expired)
    try:
        # 23:30 UTC on 28 March is still 28 March in London: not yet expired.
        with transaction():
            assert expire_credentials(datetime(2026, 3, 28, 23, 30, tzinfo=UTC)) == []
        # After the spring clock change, 23:30 UTC on the 29th is the 30th in London.
        with transaction():
            expire_credentials(datetime(2026, 3, 29, 23, 30, tzinfo=UTC))
        with transaction():
            assert expire_credentials(datetime(2026, 3, 30, 9, 0, tzinfo=UTC)) == []
    finally:
        credential_expired.disconnect(on_expired)
    assert received == [(credential.id, "gmc_registration", date(2026, 3, 28))]
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.kind == "credential.expired"
            )
        )
        == 1
    )


def test_display_status_shows_expiring_soon_and_expired(api_client):
    trust = TrustFactory()
    officer = staff_user(Role.COMPLIANCE, trust)
    worker = WorkerFactory()
    CredentialFactory(
        worker=worker,
        type_code="gmc_registration",
        expires_on=date(2026, 12, 1),
        verified_by=(officer, trust),
    )
    client = api_client(worker.user)
    with time_machine.travel(datetime(2026, 11, 22, 12, 0, tzinfo=UTC), tick=False):
        soon = client.get(f"/api/v1/workers/{worker.id}/credentials").get_json()[0]
    with time_machine.travel(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), tick=False):
        gone = client.get(f"/api/v1/workers/{worker.id}/credentials").get_json()[0]
    assert (soon["display_status"], gone["display_status"]) == ("expiring_soon", "expired")


def test_openapi_documents_the_passport(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/workers/{worker_id}/credentials",
        "/api/v1/credentials/{credential_id}/verify",
        "/api/v1/credentials/{credential_id}/accept",
        "/api/v1/passport-policy",
        "/api/v1/workers/{worker_id}/eligibility",
        "/api/v1/trusts/{trust_id}/requirements",
    ):
        assert path in paths, path
