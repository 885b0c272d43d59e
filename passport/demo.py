"""Demo passports: most credentials verified by the worker's own Trust, some awaiting
verification, some expiring soon, and what each Trust requires."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Role, RoleMembership, Trust
from app.reference import RegistrationBody, StaffGroup
from passport.eligibility import local_date
from passport.models import Credential, CredentialStatus, TrustRequirement
from passport.services import ensure_credential_types

EVERYONE = [
    "identity",
    "right_to_work",
    "references",
    "dbs_enhanced",
    "work_health",
    "immunisations",
    "cstf_infection_prevention",
    "cstf_safeguarding_adults",
    "cstf_fire_safety",
    "cstf_information_governance",
]
REGISTRATION = {
    RegistrationBody.GMC: "gmc_registration",
    RegistrationBody.NMC: "nmc_registration",
    RegistrationBody.HCPC: "hcpc_registration",
}
METHOD = {
    "gmc_registration": "Online register check",
    "nmc_registration": "Online register check",
    "hcpc_registration": "Online register check",
    "dbs_enhanced": "DBS Update Service status check",
    "right_to_work": "Home Office online right to work check",
}


def load_demo(made, *, rng: random.Random, now: datetime) -> None:
    """Receiver of `app.signals.demo_core_loaded`: add passports and Trust requirements."""
    types = {t.code: t for t in ensure_credential_types()}
    officers = dict(
        db.session.execute(
            sa.select(RoleMembership.trust_id, RoleMembership.user_id).where(
                RoleMembership.role == Role.COMPLIANCE
            )
        ).all()
    )
    today = local_date(now)
    rows = []
    for index, worker in enumerate(made.workers):
        codes = list(EVERYONE)
        if worker.registration_body:
            codes.append(REGISTRATION[worker.registration_body])
        if worker.staff_group in (StaffGroup.MEDICAL, StaffGroup.NURSING):
            codes.append("cstf_resuscitation")
        for code in codes:
            kind = types[code]
            # The demo worker's passport is complete; others have gaps to work through.
            roll = 1.0 if index == 0 else rng.random()
            status = (
                CredentialStatus.VERIFIED
                if roll > 0.08
                else CredentialStatus.AWAITING
                if roll > 0.02
                else None
            )
            if status is None:
                continue
            issued = today - timedelta(days=rng.randint(30, 600))
            expires = None
            if kind.needs_expiry:
                soon = index != 0 and rng.random() < 0.05
                expires = today + timedelta(
                    days=rng.randint(5, 28) if soon else rng.randint(60, 900)
                )
            reference = None
            if kind.registration_body:
                reference = worker.registration_number
            elif code == "dbs_enhanced":
                reference = f"{(index * 7919 + 1000) % 10**12:012d}"
            verified = status == CredentialStatus.VERIFIED
            when = now - timedelta(days=rng.randint(1, 25))
            rows.append(
                Credential(
                    worker_id=worker.id,
                    credential_type_id=kind.id,
                    status=status,
                    reference=reference,
                    issued_on=issued,
                    expires_on=expires,
                    submitted_at=when - timedelta(days=1),
                    verified_at=when if verified else None,
                    verified_by_user_id=officers.get(worker.primary_trust_id) if verified else None,
                    verified_by_trust_id=worker.primary_trust_id if verified else None,
                    verification_method=METHOD.get(code, "Original document seen in person")
                    if verified
                    else None,
                )
            )
    db.session.add_all(rows)
    trusts = list(db.session.scalars(sa.select(Trust).order_by(Trust.id)))
    for number, trust in enumerate(trusts):
        for code in EVERYONE[:5]:
            db.session.add(TrustRequirement(trust_id=trust.id, credential_type_id=types[code].id))
        for group, code in (
            (StaffGroup.MEDICAL, "gmc_registration"),
            (StaffGroup.NURSING, "nmc_registration"),
            (StaffGroup.AHP, "hcpc_registration"),
        ):
            db.session.add(
                TrustRequirement(
                    trust_id=trust.id, staff_group=group, credential_type_id=types[code].id
                )
            )
        if number == len(trusts) - 1 and number > 0:  # one Trust inducts everyone itself
            db.session.add(
                TrustRequirement(trust_id=trust.id, credential_type_id=types["local_induction"].id)
            )
    db.session.flush()
