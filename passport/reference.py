"""Credential types of the passport, as data (seeded by the passport migration).

Sources (see ../shared/rules.md): the six NHS Employment Check Standards (NHS Employers);
the NHS Digital Staff Passport (NHS England); regulators' renewal cycles: NMC annual fee and
revalidation every 3 years, GMC annual appraisal and revalidation every 5 years, HCPC renewal
every 2 years; DBS certificates do not expire, status is checked on the Update Service; the
Core Skills Training Framework's 11 statutory and mandatory subjects, with the refresher
intervals Skills for Health recommends (each Trust may set its own).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from app.reference import RegistrationBody


class Category(enum.StrEnum):
    EMPLOYMENT_CHECK = "employment_check"
    REGISTRATION = "registration"
    OCCUPATIONAL_HEALTH = "occupational_health"
    TRAINING = "training"
    LOCAL = "local"


class Evidence(enum.StrEnum):
    """What a worker must give when adding a credential."""

    DOCUMENT = "document"
    REFERENCE = "reference"
    EITHER = "either"


@dataclass(frozen=True)
class CredentialTypeSpec:
    code: str
    name: str
    category: Category
    check_standard: str | None  # which NHS Employment Check Standard it answers
    evidence: Evidence
    needs_expiry: bool = False  # an expiry date must be given (registrations, visas...)
    refresher_months: int | None = None  # training: valid this long after completion
    registration_body: RegistrationBody | None = None
    recognised_by_default: bool = True  # passported across the ICS unless the ICS says not
    reference_label: str | None = None


CSTF = [
    ("conflict_resolution", "Conflict resolution", 36),
    ("equality_diversity", "Equality, diversity and human rights", 36),
    ("fire_safety", "Fire safety", 24),
    ("health_safety", "Health, safety and welfare", 36),
    ("infection_prevention", "Infection prevention and control", 12),
    ("information_governance", "Information governance and data security", 12),
    ("moving_handling", "Moving and handling", 24),
    ("prevent", "Preventing radicalisation (Prevent)", 36),
    ("resuscitation", "Resuscitation", 12),
    ("safeguarding_adults", "Safeguarding adults", 36),
    ("safeguarding_children", "Safeguarding children", 36),
]

CREDENTIAL_TYPES: list[CredentialTypeSpec] = [
    CredentialTypeSpec(
        "identity", "Identity check", Category.EMPLOYMENT_CHECK, "identity", Evidence.DOCUMENT
    ),
    CredentialTypeSpec(
        "right_to_work",
        "Right to work",
        Category.EMPLOYMENT_CHECK,
        "right_to_work",
        Evidence.EITHER,
        reference_label="Share code",
    ),
    CredentialTypeSpec(
        "references",
        "Employment history and references",
        Category.EMPLOYMENT_CHECK,
        "employment_history",
        Evidence.DOCUMENT,
    ),
    CredentialTypeSpec(
        "dbs_enhanced",
        "Enhanced DBS check with barred lists",
        Category.EMPLOYMENT_CHECK,
        "criminal_record",
        Evidence.EITHER,
        reference_label="DBS certificate number",
    ),
    CredentialTypeSpec(
        "gmc_registration",
        "GMC registration and licence to practise",
        Category.REGISTRATION,
        "registration",
        Evidence.REFERENCE,
        needs_expiry=True,
        registration_body=RegistrationBody.GMC,
        reference_label="GMC number",
    ),
    CredentialTypeSpec(
        "nmc_registration",
        "NMC registration",
        Category.REGISTRATION,
        "registration",
        Evidence.REFERENCE,
        needs_expiry=True,
        registration_body=RegistrationBody.NMC,
        reference_label="NMC PIN",
    ),
    CredentialTypeSpec(
        "hcpc_registration",
        "HCPC registration",
        Category.REGISTRATION,
        "registration",
        Evidence.REFERENCE,
        needs_expiry=True,
        registration_body=RegistrationBody.HCPC,
        reference_label="HCPC registration number",
    ),
    CredentialTypeSpec(
        "work_health",
        "Work health assessment",
        Category.OCCUPATIONAL_HEALTH,
        "work_health",
        Evidence.DOCUMENT,
    ),
    CredentialTypeSpec(
        "immunisations",
        "Immunisations (hepatitis B, MMR, varicella, TB)",
        Category.OCCUPATIONAL_HEALTH,
        "work_health",
        Evidence.DOCUMENT,
    ),
    *[
        CredentialTypeSpec(
            f"cstf_{code}",
            name,
            Category.TRAINING,
            None,
            Evidence.DOCUMENT,
            refresher_months=months,
        )
        for code, name, months in CSTF
    ],
    # Each Trust inducts its own staff: never passported.
    CredentialTypeSpec(
        "local_induction",
        "Local induction",
        Category.LOCAL,
        None,
        Evidence.DOCUMENT,
        recognised_by_default=False,
    ),
]

DBS_CERTIFICATE = re.compile(r"\d{12}")
SHARE_CODE = re.compile(r"[A-Z0-9]{9}")


def reference_problem(spec: CredentialTypeSpec, reference: str) -> str | None:
    """Why `reference` is not a valid reference for this credential type, or None."""
    from app.reference import registration_number_problem

    if spec.registration_body is not None:
        return registration_number_problem(spec.registration_body, reference)
    if spec.code == "dbs_enhanced" and not DBS_CERTIFICATE.fullmatch(reference):
        return "Enter the 12-digit DBS certificate number"
    if spec.code == "right_to_work" and not SHARE_CODE.fullmatch(reference.replace(" ", "")):
        return "Enter the 9-character Home Office share code, like W4T2B6C8X"
    return None


SPECS_BY_CODE = {spec.code: spec for spec in CREDENTIAL_TYPES}
