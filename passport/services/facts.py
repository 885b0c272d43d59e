"""The eligibility facts of workers' credentials, and what work at a Trust needs of them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.errors import ValidationFailed
from app.extensions import db
from app.models import Department, Trust, Worker
from passport.eligibility import (
    CredentialFacts,
    Eligibility,
    Requirements,
    evaluate,
)
from passport.models import (
    Credential,
    CredentialAcceptance,
    CredentialStatus,
    CredentialType,
)
from passport.services.credentials import facts_of, passport_of
from passport.services.policy import (
    credential_type,
    requirements_for,
    trust_policy,
)


def eligibility(
    worker: Worker, requirements: Requirements, at: datetime, *, now: datetime | None = None
) -> Eligibility:
    """Eligible, or the exact list of missing, unverified or expired items at time `at`."""
    facts = [facts_of(c) for c in passport_of(worker)]
    return evaluate(facts, requirements, trust_policy(requirements.trust_id), at, now=now)


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
