"""Credentials: add with evidence, verify, reject, accept another Trust's check, the
verification queue, and the expiry run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import Trust, User, Worker
from app.services import notify, record_audit
from app.signals import credential_expired
from app.storage import storage
from passport.eligibility import (
    CredentialFacts,
    TrustPolicy,
    local_date,
    valid_until,
)
from passport.models import (
    Credential,
    CredentialAcceptance,
    CredentialEvent,
    CredentialStatus,
)
from passport.reference import SPECS_BY_CODE, Category, Evidence, reference_problem
from passport.services.policy import credential_type

EXPIRING_SOON_DAYS = 30


# Files are recognised by their first bytes, not by the name or type the browser claims.
EVIDENCE_SIGNATURES = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
}


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def _check_evidence(upload: Upload | None) -> tuple[str, int] | None:
    if upload is None:
        return None
    limit = current_app.config["EVIDENCE_MAX_BYTES"]
    if len(upload.data) > limit:
        raise ValidationFailed.on(
            "evidence", f"The file must be smaller than {limit // 1024**2} MB"
        )
    if not upload.data:
        raise ValidationFailed.on("evidence", "The file is empty")
    for content_type, signature in EVIDENCE_SIGNATURES.items():
        if upload.data.startswith(signature):
            return content_type, len(upload.data)
    raise ValidationFailed.on("evidence", "The file must be a PDF, PNG or JPEG")


def add_credential(
    worker: Worker,
    actor: User,
    *,
    credential_type_code: str,
    reference: str | None = None,
    issued_on: date | None = None,
    expires_on: date | None = None,
    evidence: Upload | None = None,
    now: datetime,
) -> Credential:
    """Add a credential to the worker's own passport, awaiting verification."""
    if actor.worker is None or actor.worker.id != worker.id:
        raise NotFound("You can add credentials only to your own passport.")
    kind = credential_type(credential_type_code)
    spec = SPECS_BY_CODE.get(kind.code)
    reference = (reference or "").strip().upper() or None
    errors: dict[str, list[str]] = {}
    if kind.evidence == Evidence.DOCUMENT and evidence is None:
        errors["evidence"] = ["Upload the document (PDF, PNG or JPEG)"]
    if kind.evidence == Evidence.REFERENCE and reference is None:
        errors["reference"] = [f"Enter the {kind.reference_label or 'reference'}"]
    if kind.evidence == Evidence.EITHER and reference is None and evidence is None:
        errors["reference"] = [
            f"Enter the {kind.reference_label or 'reference'} or upload the document"
        ]
    if reference and spec and (problem := reference_problem(spec, reference)):
        errors["reference"] = [problem]
    today = local_date(now)
    if issued_on and issued_on > today:
        errors["issued_on"] = ["The issue date must be today or in the past"]
    if kind.category == Category.TRAINING and issued_on is None:
        errors["issued_on"] = ["Enter the date you completed the training"]
    if kind.needs_expiry and expires_on is None:
        errors["expires_on"] = ["Enter the expiry date"]
    if issued_on and expires_on and expires_on < issued_on:
        errors["expires_on"] = ["The expiry date must be after the issue date"]
    if errors:
        raise ValidationFailed("Some details of the credential are not valid.", errors=errors)
    checked = _check_evidence(evidence)
    credential = Credential(
        worker_id=worker.id,
        credential_type_id=kind.id,
        status=CredentialStatus.AWAITING,
        reference=reference,
        issued_on=issued_on,
        expires_on=expires_on,
        submitted_at=now,
    )
    if evidence is not None and checked is not None:
        credential.evidence_key = storage().save(evidence.data)
        credential.evidence_filename = evidence.filename[-200:] or "evidence"
        credential.evidence_content_type, credential.evidence_size = checked
    db.session.add(credential)
    db.session.flush()
    _event(credential, "submitted", actor, None, now)
    record_audit(
        "credential.submitted",
        credential,
        actor=actor,
        now=now,
        trust_id=worker.primary_trust_id,
        after={
            "type": kind.code,
            "reference": reference,
            "expires_on": expires_on and expires_on.isoformat(),
        },
    )
    return credential


def _event(
    credential: Credential,
    action: str,
    actor: User | None,
    trust: Trust | None,
    now: datetime,
    note: str | None = None,
) -> None:
    db.session.add(
        CredentialEvent(
            credential_id=credential.id,
            at=now,
            actor_user_id=actor.id if actor else None,
            trust_id=trust.id if trust else None,
            action=action,
            note=note,
        )
    )


def _awaiting(credential: Credential, actor: User) -> None:
    if actor.worker is not None and actor.worker.id == credential.worker_id:
        raise Forbidden("You cannot verify or reject your own credential.")
    if credential.status != CredentialStatus.AWAITING:
        raise Conflict(f"This credential is already {credential.status.value.replace('_', ' ')}.")


def verify_credential(
    credential: Credential,
    actor: User,
    trust: Trust,
    *,
    method: str,
    note: str | None,
    now: datetime,
) -> Credential:
    """Verify a credential for the ICS: recorded with the verifier, Trust, method and evidence."""
    _awaiting(credential, actor)
    if not method.strip():
        raise ValidationFailed.on("method", "Say how you checked it")
    credential.status = CredentialStatus.VERIFIED
    credential.verified_at = now
    credential.verified_by_user_id = actor.id
    credential.verified_by_trust_id = trust.id
    credential.verification_method = method.strip()
    credential.verification_note = (note or "").strip() or None
    _event(credential, "verified", actor, trust, now, credential.verification_note)
    record_audit(
        "credential.verified",
        credential,
        actor=actor,
        now=now,
        trust_id=trust.id,
        before={"status": "awaiting_verification"},
        after={"status": "verified", "method": credential.verification_method},
    )
    notify(
        credential.worker.user,
        "credential.verified",
        f"{credential.credential_type.name} verified",
        now=now,
        body=f"{trust.name} verified it. Every Trust in the bank can now rely on it.",
        link="/passport",
    )
    return credential


def reject_credential(
    credential: Credential, actor: User, trust: Trust, *, reason: str, now: datetime
) -> Credential:
    """Reject a credential, telling the worker why."""
    _awaiting(credential, actor)
    if not reason.strip():
        raise ValidationFailed.on("reason", "Say why it is rejected, so the worker can fix it")
    credential.status = CredentialStatus.REJECTED
    credential.rejected_reason = reason.strip()
    _event(credential, "rejected", actor, trust, now, credential.rejected_reason)
    record_audit(
        "credential.rejected",
        credential,
        actor=actor,
        now=now,
        trust_id=trust.id,
        before={"status": "awaiting_verification"},
        after={"status": "rejected", "reason": credential.rejected_reason},
    )
    notify(
        credential.worker.user,
        "credential.rejected",
        f"{credential.credential_type.name} was not accepted",
        now=now,
        body=f"{trust.name}: {credential.rejected_reason}",
        link="/passport",
    )
    return credential


def accept_credential(
    credential: Credential, actor: User, trust: Trust, *, now: datetime
) -> CredentialAcceptance:
    """Rely on a credential another Trust verified, without checking it again."""
    if credential.status != CredentialStatus.VERIFIED:
        raise Conflict("Only a verified credential can be accepted.")
    if credential.verified_by_trust_id == trust.id:
        raise Conflict(f"{trust.name} verified this credential itself.")
    if any(a.trust_id == trust.id for a in credential.acceptances):
        raise Conflict(f"{trust.name} has already accepted this credential.")
    acceptance = CredentialAcceptance(
        credential_id=credential.id,
        trust_id=trust.id,
        verified_by_trust_id=credential.verified_by_trust_id,
        accepted_by_user_id=actor.id,
        accepted_at=now,
    )
    db.session.add(acceptance)
    db.session.flush()
    _event(credential, "accepted", actor, trust, now)
    record_audit(
        "credential.accepted",
        credential,
        actor=actor,
        now=now,
        trust_id=trust.id,
        after={"verified_by_trust_id": credential.verified_by_trust_id, "check_avoided": True},
    )
    return acceptance


def checks_avoided(trust_id: int | None = None) -> int:
    """How many checks Trusts skipped by relying on another Trust's verification."""
    stmt = sa.select(sa.func.count(CredentialAcceptance.id))
    if trust_id is not None:
        stmt = stmt.where(CredentialAcceptance.trust_id == trust_id)
    return db.session.scalar(stmt) or 0


def verification_queue(trust: Trust) -> list[Credential]:
    """Credentials awaiting verification for the workers the Trust employs, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Credential)
            .join(Worker)
            .where(
                Credential.status == CredentialStatus.AWAITING, Worker.primary_trust_id == trust.id
            )
            .order_by(Credential.submitted_at, Credential.id)
        )
    )


def passport_of(worker: Worker) -> list[Credential]:
    return list(
        db.session.scalars(
            sa.select(Credential)
            .where(Credential.worker_id == worker.id)
            .order_by(Credential.credential_type_id, Credential.submitted_at.desc())
        )
    )


def display_status(credential: Credential, now: datetime) -> str:
    """What the worker sees: verified, awaiting verification, expiring soon, expired, rejected."""
    if credential.status != CredentialStatus.VERIFIED:
        return credential.status.value
    until = valid_until(
        facts_of(credential),
        TrustPolicy(
            frozenset(),
            {credential.credential_type.code: credential.credential_type.refresher_months}
            if credential.credential_type.refresher_months
            else {},
        ),
    )
    today = local_date(now)
    if until is not None and until < today:
        return "expired"
    if until is not None and until <= today + timedelta(days=EXPIRING_SOON_DAYS):
        return "expiring_soon"
    return "verified"


def facts_of(credential: Credential) -> CredentialFacts:
    return CredentialFacts(
        type_code=credential.credential_type.code,
        verified=credential.status == CredentialStatus.VERIFIED,
        rejected=credential.status == CredentialStatus.REJECTED,
        issued_on=credential.issued_on,
        expires_on=credential.expires_on,
        verified_by_trust_id=credential.verified_by_trust_id,
        accepted_by_trust_ids=frozenset(a.trust_id for a in credential.acceptances),
    )


def expire_credentials(now: datetime) -> list[Credential]:
    """Announce every verified credential whose expiry date has passed (once each).

    Sends `app.signals.credential_expired` for each, so the bank can act on future bookings.
    """
    today = local_date(now)
    expired = list(
        db.session.scalars(
            sa.select(Credential)
            .where(
                Credential.status == CredentialStatus.VERIFIED,
                Credential.expires_on < today,
                Credential.expiry_announced_at.is_(None),
            )
            .order_by(Credential.id)
        )
    )
    for credential in expired:
        credential.expiry_announced_at = now
        _event(credential, "expired", None, None, now)
        record_audit(
            "credential.expired",
            credential,
            actor=None,
            now=now,
            trust_id=credential.worker.primary_trust_id,
            after={"expires_on": credential.expires_on.isoformat()},
        )
        notify(
            credential.worker.user,
            "credential.expired",
            f"{credential.credential_type.name} has expired",
            now=now,
            body="Add the renewed one to your passport: you cannot book work that needs it "
            "until it is verified.",
            link="/passport",
        )
        credential_expired.send(
            credential,
            worker_id=credential.worker_id,
            type_code=credential.credential_type.code,
            expired_on=credential.expires_on,
            now=now,
        )
    return expired
