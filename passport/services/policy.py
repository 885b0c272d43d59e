"""What each Trust recognises and requires: credential types, passported types, refresher
intervals for the Core Skills Training Framework, and requirements by staff group, grade and
department."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import Department, Role, Trust, User
from app.reference import StaffGroup
from app.services import record_audit
from passport.eligibility import (
    Requirements,
    TrustPolicy,
)
from passport.models import (
    CredentialType,
    TrainingInterval,
    TrustRequirement,
)
from passport.reference import SPECS_BY_CODE, Category


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


def trust_requirements(trust: Trust) -> list[TrustRequirement]:
    return list(
        db.session.scalars(
            sa.select(TrustRequirement)
            .where(TrustRequirement.trust_id == trust.id)
            .order_by(TrustRequirement.credential_type_id, TrustRequirement.id)
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
