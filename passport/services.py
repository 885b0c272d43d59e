"""Passport operations: add, verify, reject and accept credentials; policy and requirements;
eligibility; the expiry run. Services flush; the caller commits once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import Department, Role, Trust, User, Worker
from app.reference import StaffGroup
from app.services import notify, record_audit
from app.signals import credential_expired
from app.storage import storage
from passport.eligibility import (
    CredentialFacts,
    Eligibility,
    Requirements,
    TrustPolicy,
    evaluate,
    local_date,
    valid_until,
)
from passport.models import (
    Credential,
    CredentialAcceptance,
    CredentialEvent,
    CredentialStatus,
    CredentialType,
    TrainingInterval,
    TrustRequirement,
)
from passport.reference import SPECS_BY_CODE, Category, Evidence, reference_problem

EXPIRING_SOON_DAYS = 30
# Files are recognised by their first bytes, not by the name or type the browser claims.
EVIDENCE_SIGNATURES = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
}
PASSPORT_STAFF_ROLES = (Role.COMPLIANCE, Role.WORKFORCE, Role.ICS_ADMIN)


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


# Who may see what -------------------------------------------------------------------------


def can_see_passports(user: User) -> bool:
    """Staff of any member Trust see passports: the point is that every Trust can rely on them."""
    return any(user.has_role(role) for role in PASSPORT_STAFF_ROLES)


def visible_worker(user: User, worker_id: int) -> Worker:
    """The worker whose passport `user` asks for: their own, or any if they are Trust staff."""
    worker = db.session.get(Worker, worker_id)
    own = user.worker is not None and user.worker.id == worker_id
    if worker is None or not (own or can_see_passports(user)):
        raise NotFound(f"No worker with id {worker_id} that you can see.")
    return worker


def visible_credential(user: User, credential_id: int) -> Credential:
    credential = db.session.get(Credential, credential_id)
    if credential is None:
        raise NotFound(f"No credential with id {credential_id} that you can see.")
    visible_worker(user, credential.worker_id)
    return credential


def acting_trust(user: User, trust_id: int | None, role: Role = Role.COMPLIANCE) -> Trust:
    """The Trust a Trust-level action is taken for: given, or the user's only one."""
    trust_ids = sorted({m.trust_id for m in user.memberships if m.role == role and m.trust_id})
    if trust_id is None:
        if len(trust_ids) != 1:
            raise ValidationFailed.on("trust_id", "Choose which of your Trusts this is for")
        trust_id = trust_ids[0]
    if trust_id not in trust_ids:
        raise NotFound(f"No Trust with id {trust_id} where you are a {role.label.lower()}.")
    return db.session.get(Trust, trust_id)


# Types, policy and requirements -----------------------------------------------------------


def credential_types() -> list[CredentialType]:
    return list(db.session.scalars(sa.select(CredentialType).order_by(CredentialType.id)))


def credential_type(code: str, field: str = "credential_type") -> CredentialType:
    found = db.session.scalar(sa.select(CredentialType).where(CredentialType.code == code))
    if found is None:
        raise ValidationFailed.on(field, f"Unknown credential type {code!r}")
    return found


def set_recognition(actor: User, recognised: dict[str, bool], *, now: datetime) -> None:
    """Set which types verified by one member Trust every other member accepts (ICS admin)."""
    if not actor.has_role(Role.ICS_ADMIN):
        raise Forbidden("Only an ICS administrator sets the passport policy.")
    for code, value in recognised.items():
        kind = credential_type(code, f"recognised.{code}")
        if kind.recognised != value:
            record_audit(
                "passport.recognition_changed",
                kind,
                actor=actor,
                now=now,
                before={"recognised": kind.recognised},
                after={"recognised": value},
            )
            kind.recognised = value


def trust_policy(trust_id: int) -> TrustPolicy:
    """The Trust's view of the passport: recognised types and its refresher intervals."""
    kinds = credential_types()
    months = {k.code: k.refresher_months for k in kinds if k.refresher_months}
    for interval in db.session.scalars(
        sa.select(TrainingInterval).where(TrainingInterval.trust_id == trust_id)
    ):
        months[interval.credential_type.code] = interval.months
    return TrustPolicy(frozenset(k.code for k in kinds if k.recognised), months)


def set_training_interval(
    trust: Trust, actor: User, code: str, months: int, *, now: datetime
) -> TrainingInterval:
    """A Trust's own refresher interval for a training subject."""
    kind = credential_type(code)
    if kind.category != Category.TRAINING:
        raise ValidationFailed.on("credential_type", f"{kind.name} is not a training subject")
    if not 1 <= months <= 120:
        raise ValidationFailed.on("months", "Enter a number of months from 1 to 120")
    interval = db.session.scalar(
        sa.select(TrainingInterval).where(
            TrainingInterval.trust_id == trust.id, TrainingInterval.credential_type_id == kind.id
        )
    )
    before = {"months": interval.months if interval else kind.refresher_months}
    if interval is None:
        interval = TrainingInterval(trust_id=trust.id, credential_type_id=kind.id, months=months)
        db.session.add(interval)
    interval.months = months
    db.session.flush()
    record_audit(
        "passport.training_interval_set",
        interval,
        actor=actor,
        now=now,
        before=before,
        after={"months": months, "subject": code},
    )
    return interval


def add_requirement(
    trust: Trust,
    actor: User,
    *,
    code: str,
    staff_group: StaffGroup | None,
    grade: str | None,
    department_id: int | None,
    now: datetime,
) -> TrustRequirement:
    """Require a credential at the Trust, for a staff group, grade and department (None: all)."""
    kind = credential_type(code)
    if department_id is not None:
        department = db.session.get(Department, department_id)
        if department is None or department.trust_id != trust.id:
            raise ValidationFailed.on("department_id", f"Choose one of {trust.name}'s departments")
    exists = db.session.scalar(
        sa.select(TrustRequirement.id).where(
            TrustRequirement.trust_id == trust.id,
            TrustRequirement.credential_type_id == kind.id,
            TrustRequirement.staff_group.is_(None)
            if staff_group is None
            else TrustRequirement.staff_group == staff_group,
            TrustRequirement.grade.is_(None) if grade is None else TrustRequirement.grade == grade,
            TrustRequirement.department_id.is_(None)
            if department_id is None
            else TrustRequirement.department_id == department_id,
        )
    )
    if exists:
        raise Conflict(f"{trust.name} already requires {kind.name} for those staff.")
    requirement = TrustRequirement(
        trust_id=trust.id,
        credential_type_id=kind.id,
        staff_group=staff_group,
        grade=grade,
        department_id=department_id,
    )
    db.session.add(requirement)
    db.session.flush()
    record_audit(
        "passport.requirement_added",
        requirement,
        actor=actor,
        now=now,
        after={
            "type": code,
            "staff_group": staff_group and staff_group.value,
            "grade": grade,
            "department_id": department_id,
        },
    )
    return requirement


def remove_requirement(trust: Trust, actor: User, requirement_id: int, *, now: datetime) -> None:
    requirement = db.session.get(TrustRequirement, requirement_id)
    if requirement is None or requirement.trust_id != trust.id:
        raise NotFound(f"No requirement with id {requirement_id} at {trust.name}.")
    record_audit(
        "passport.requirement_removed",
        requirement,
        actor=actor,
        now=now,
        before={"type": requirement.credential_type.code},
    )
    db.session.delete(requirement)


def requirements_for(
    trust_id: int, staff_group: StaffGroup, grade: str, department_id: int | None = None
) -> Requirements:
    """What a Trust requires of this staff group and grade in this department."""
    rows = db.session.scalars(
        sa.select(TrustRequirement)
        .where(
            TrustRequirement.trust_id == trust_id,
            sa.or_(
                TrustRequirement.staff_group.is_(None), TrustRequirement.staff_group == staff_group
            ),
            sa.or_(TrustRequirement.grade.is_(None), TrustRequirement.grade == grade),
            sa.or_(
                TrustRequirement.department_id.is_(None),
                TrustRequirement.department_id == department_id,
            ),
        )
        .order_by(TrustRequirement.credential_type_id)
    )
    kinds = {row.credential_type.code: row.credential_type.name for row in rows}
    return Requirements(trust_id, tuple(kinds), kinds)


# Credentials ------------------------------------------------------------------------------


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


# Eligibility ------------------------------------------------------------------------------


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


def eligibility(
    worker: Worker, requirements: Requirements, at: datetime, *, now: datetime | None = None
) -> Eligibility:
    """Eligible, or the exact list of missing, unverified or expired items at time `at`."""
    facts = [facts_of(c) for c in passport_of(worker)]
    return evaluate(facts, requirements, trust_policy(requirements.trust_id), at, now=now)


# Expiry -----------------------------------------------------------------------------------


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


def trust_requirements(trust: Trust) -> list[TrustRequirement]:
    return list(
        db.session.scalars(
            sa.select(TrustRequirement)
            .where(TrustRequirement.trust_id == trust.id)
            .order_by(TrustRequirement.credential_type_id, TrustRequirement.id)
        )
    )


def check_work(
    worker: Worker,
    *,
    trust_id: int,
    department_id: int | None,
    at: datetime,
    type_codes: list[str] | None,
    now: datetime,
) -> dict:
    """Eligibility of `worker` for work at a Trust (and department) starting at `at`.

    The credentials needed are `type_codes` if given, else what the Trust requires of the
    worker's staff group and grade in that department.
    """
    trust = db.session.get(Trust, trust_id)
    if trust is None:
        raise ValidationFailed.on("trust_id", f"No Trust with id {trust_id}")
    if department_id is not None:
        department = db.session.get(Department, department_id)
        if department is None or department.trust_id != trust_id:
            raise ValidationFailed.on("department_id", f"Choose one of {trust.name}'s departments")
    if type_codes is None:
        requirements = requirements_for(trust_id, worker.staff_group, worker.grade, department_id)
    else:
        names = {code: credential_type(code, "credential_types").name for code in type_codes}
        requirements = Requirements(trust_id, tuple(names), names)
    result = eligibility(worker, requirements, at, now=now)
    return {
        "eligible": result.eligible,
        "required": list(requirements.type_codes),
        "shortfalls": list(result.shortfalls),
        "trust": trust,
        "names": dict(requirements.type_names),
    }


def evidence_response(user: User, credential_id: int):
    """The evidence file as a download, for those who may see the passport."""
    from flask import Response

    credential = visible_credential(user, credential_id)
    if credential.evidence_key is None:
        raise NotFound("This credential has no evidence file.")
    response = Response(
        storage().load(credential.evidence_key), mimetype=credential.evidence_content_type
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="credential-{credential.id}-evidence"'
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def find_workers(query: str, limit: int = 50) -> list[Worker]:
    """Workers of the bank whose name, email or registration number contains `query`."""
    pattern = f"%{query.lower()}%"
    return list(
        db.session.scalars(
            sa.select(Worker)
            .join(User)
            .where(
                sa.or_(
                    sa.func.lower(User.full_name).like(pattern),
                    sa.func.lower(User.email).like(pattern),
                    sa.func.lower(Worker.registration_number).like(pattern),
                )
            )
            .order_by(User.full_name, Worker.id)
            .limit(limit)
        )
    )


def ensure_credential_types() -> list[CredentialType]:
    """Add any credential type of `passport.reference` the database lacks (tests, demo)."""
    from passport.reference import CREDENTIAL_TYPES

    present = set(db.session.scalars(sa.select(CredentialType.code)))
    for spec in CREDENTIAL_TYPES:
        if spec.code not in present:
            db.session.add(
                CredentialType(
                    code=spec.code,
                    name=spec.name,
                    category=spec.category,
                    check_standard=spec.check_standard,
                    evidence=spec.evidence,
                    needs_expiry=spec.needs_expiry,
                    refresher_months=spec.refresher_months,
                    registration_body=spec.registration_body,
                    reference_label=spec.reference_label,
                    recognised=spec.recognised_by_default,
                )
            )
    db.session.flush()
    return credential_types()


def trust_policies(trust_ids: list[int]) -> dict[int, TrustPolicy]:
    """`trust_policy` for many Trusts at once (two queries, for searches over many shifts)."""
    kinds = db.session.execute(
        sa.select(CredentialType.code, CredentialType.recognised, CredentialType.refresher_months)
    ).all()
    recognised = frozenset(code for code, is_recognised, _ in kinds if is_recognised)
    defaults = {code: refresher for code, _, refresher in kinds if refresher}
    months: dict[int, dict[str, int]] = {trust_id: dict(defaults) for trust_id in trust_ids}
    for trust_id, code, interval in db.session.execute(
        sa.select(TrainingInterval.trust_id, CredentialType.code, TrainingInterval.months)
        .join(CredentialType, CredentialType.id == TrainingInterval.credential_type_id)
        .where(TrainingInterval.trust_id.in_(trust_ids))
    ):
        months[trust_id][code] = interval
    return {trust_id: TrustPolicy(recognised, months[trust_id]) for trust_id in trust_ids}


class RequirementIndex:
    """What each Trust requires, loaded once, answered per staff group, grade and department."""

    def __init__(self, trust_ids: list[int]) -> None:
        # Plain tuples per Trust, not ORM rows: a search asks for hundreds of combinations.
        rows = db.session.execute(
            sa.select(
                TrustRequirement.trust_id,
                TrustRequirement.staff_group,
                TrustRequirement.grade,
                TrustRequirement.department_id,
                CredentialType.code,
                CredentialType.name,
            )
            .join(CredentialType, CredentialType.id == TrustRequirement.credential_type_id)
            .where(TrustRequirement.trust_id.in_(trust_ids))
            .order_by(TrustRequirement.credential_type_id)
        )
        self._by_trust: dict[int, list[tuple]] = {}
        for trust_id, *row in rows:
            self._by_trust.setdefault(trust_id, []).append(tuple(row))
        self._cache: dict[tuple, Requirements] = {}

    def requirements(
        self,
        trust_id: int,
        staff_group: StaffGroup,
        grade: str,
        department_id: int | None,
        extra: tuple[str, ...] = (),
    ) -> Requirements:
        key = (trust_id, staff_group, grade, department_id, extra)
        if key not in self._cache:
            names = {
                code: name
                for group, level, department, code, name in self._by_trust.get(trust_id, ())
                if group in (None, staff_group)
                and level in (None, grade)
                and department in (None, department_id)
            }
            for code in extra:
                names.setdefault(code, SPECS_BY_CODE[code].name if code in SPECS_BY_CODE else code)
            self._cache[key] = Requirements(trust_id, tuple(names), names)
        return self._cache[key]


def worker_facts(worker_id: int) -> list[CredentialFacts]:
    """The eligibility facts of all a worker's credentials (`facts_of` each, in one query of
    plain rows: every marketplace search and booking starts here)."""
    return facts_by_worker([worker_id])[worker_id]


def facts_by_worker(worker_ids: list[int]) -> dict[int, list[CredentialFacts]]:
    """`worker_facts` of many workers, in one query per 500 of them."""
    credentials: dict[int, tuple] = {}
    accepted: dict[int, set[int]] = {}
    for first in range(0, len(worker_ids), 500):
        rows = db.session.execute(
            sa.select(
                Credential.id,
                Credential.worker_id,
                CredentialType.code,
                Credential.status,
                Credential.issued_on,
                Credential.expires_on,
                Credential.verified_by_trust_id,
                CredentialAcceptance.trust_id,
            )
            .join(CredentialType, CredentialType.id == Credential.credential_type_id)
            .outerjoin(CredentialAcceptance, CredentialAcceptance.credential_id == Credential.id)
            .where(Credential.worker_id.in_(worker_ids[first : first + 500]))
            .order_by(Credential.id)
        )
        for credential_id, *facts, accepted_by in rows:
            credentials.setdefault(credential_id, tuple(facts))
            if accepted_by is not None:
                accepted.setdefault(credential_id, set()).add(accepted_by)
    out: dict[int, list[CredentialFacts]] = {worker_id: [] for worker_id in worker_ids}
    for credential_id, (
        worker_id,
        code,
        status,
        issued_on,
        expires_on,
        verified_by,
    ) in credentials.items():
        out[worker_id].append(
            CredentialFacts(
                type_code=code,
                verified=status == CredentialStatus.VERIFIED,
                rejected=status == CredentialStatus.REJECTED,
                issued_on=issued_on,
                expires_on=expires_on,
                verified_by_trust_id=verified_by,
                accepted_by_trust_ids=frozenset(accepted.get(credential_id, ())),
            )
        )
    return out
