"""Passport models: credential types, a worker's credentials and their history, what each
Trust requires, and the ICS's mutual-recognition policy."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import IdMixin, utcnow
from app.extensions import db
from app.models import Department, Trust, User, Worker, str_enum
from app.reference import RegistrationBody, StaffGroup
from passport.reference import Category, Evidence


class CredentialStatus(enum.StrEnum):
    AWAITING = "awaiting_verification"
    VERIFIED = "verified"
    REJECTED = "rejected"


class CredentialType(IdMixin, db.Model):
    __tablename__ = "credential_types"

    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    category: Mapped[Category] = mapped_column(str_enum(Category))
    check_standard: Mapped[str | None] = mapped_column(sa.String(40))
    evidence: Mapped[Evidence] = mapped_column(str_enum(Evidence))
    needs_expiry: Mapped[bool] = mapped_column(default=False)
    refresher_months: Mapped[int | None]
    registration_body: Mapped[RegistrationBody | None] = mapped_column(str_enum(RegistrationBody))
    reference_label: Mapped[str | None] = mapped_column(sa.String(60))
    # Passported: verified by one member Trust, accepted by all (the ICS may change it).
    recognised: Mapped[bool] = mapped_column(default=True)


class Credential(IdMixin, db.Model):
    """One credential of a worker's passport, with who verified it, when and how."""

    __tablename__ = "credentials"

    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    credential_type_id: Mapped[int] = mapped_column(sa.ForeignKey("credential_types.id"))
    status: Mapped[CredentialStatus] = mapped_column(str_enum(CredentialStatus, 30), index=True)
    reference: Mapped[str | None] = mapped_column(sa.String(60))
    issued_on: Mapped[date | None]
    expires_on: Mapped[date | None]
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    evidence_key: Mapped[str | None] = mapped_column(sa.String(100))
    evidence_filename: Mapped[str | None] = mapped_column(sa.String(200))
    evidence_content_type: Mapped[str | None] = mapped_column(sa.String(50))
    evidence_size: Mapped[int | None]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    verified_at: Mapped[datetime | None]
    verified_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    verified_by_trust_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trusts.id"))
    verification_method: Mapped[str | None] = mapped_column(sa.String(60))
    verification_note: Mapped[str | None] = mapped_column(sa.Text)
    rejected_reason: Mapped[str | None] = mapped_column(sa.Text)
    expiry_announced_at: Mapped[datetime | None]

    worker: Mapped[Worker] = relationship()
    credential_type: Mapped[CredentialType] = relationship(lazy="joined")
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_user_id])
    verified_by_trust: Mapped[Trust | None] = relationship()
    acceptances: Mapped[list[CredentialAcceptance]] = relationship(
        back_populates="credential", order_by="CredentialAcceptance.accepted_at"
    )
    events: Mapped[list[CredentialEvent]] = relationship(
        back_populates="credential", order_by="CredentialEvent.id"
    )


class CredentialEvent(IdMixin, db.Model):
    """The status history of a credential."""

    __tablename__ = "credential_events"

    credential_id: Mapped[int] = mapped_column(sa.ForeignKey("credentials.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    trust_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trusts.id"))
    action: Mapped[str] = mapped_column(sa.String(30))
    note: Mapped[str | None] = mapped_column(sa.Text)

    credential: Mapped[Credential] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    trust: Mapped[Trust | None] = relationship()


class CredentialAcceptance(IdMixin, db.Model):
    """A Trust relying on a credential another Trust verified: one check avoided."""

    __tablename__ = "credential_acceptances"
    __table_args__ = (sa.UniqueConstraint("credential_id", "trust_id"),)

    credential_id: Mapped[int] = mapped_column(sa.ForeignKey("credentials.id"), index=True)
    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trusts.id"), index=True)
    verified_by_trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trusts.id"))
    accepted_by_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)

    credential: Mapped[Credential] = relationship(back_populates="acceptances")
    trust: Mapped[Trust] = relationship(foreign_keys=[trust_id])
    accepted_by: Mapped[User] = relationship()


class TrustRequirement(IdMixin, db.Model):
    """A credential a Trust requires, for a staff group, grade and department (None: all)."""

    __tablename__ = "trust_requirements"
    __table_args__ = (
        sa.UniqueConstraint(
            "trust_id", "credential_type_id", "staff_group", "grade", "department_id"
        ),
    )

    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trusts.id"), index=True)
    credential_type_id: Mapped[int] = mapped_column(sa.ForeignKey("credential_types.id"))
    staff_group: Mapped[StaffGroup | None] = mapped_column(str_enum(StaffGroup))
    grade: Mapped[str | None] = mapped_column(sa.String(20))
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))

    credential_type: Mapped[CredentialType] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship()


class TrainingInterval(IdMixin, db.Model):
    """A Trust's own refresher interval for a training subject."""

    __tablename__ = "training_intervals"
    __table_args__ = (sa.UniqueConstraint("trust_id", "credential_type_id"),)

    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trusts.id"), index=True)
    credential_type_id: Mapped[int] = mapped_column(sa.ForeignKey("credential_types.id"))
    months: Mapped[int]

    credential_type: Mapped[CredentialType] = relationship(lazy="joined")
