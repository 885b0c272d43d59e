"""Core models: Trusts and their sites and departments, users, roles, workers, audit, inbox."""

from __future__ import annotations

import enum
from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.db import IdMixin, TimestampMixin, utcnow
from app.extensions import db
from app.reference import RegistrationBody, StaffGroup


def str_enum(enum_cls: type[enum.Enum], length: int = 20) -> sa.Enum:
    """A portable enum column stored as its string value (no native PostgreSQL type)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Role(enum.StrEnum):
    WORKER = "worker"
    WORKFORCE = "workforce"
    COMPLIANCE = "compliance"
    FINANCE = "finance"
    ICS_ADMIN = "ics_admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.WORKER: "Bank worker",
    Role.WORKFORCE: "Workforce team",
    Role.COMPLIANCE: "Compliance officer",
    Role.FINANCE: "Finance lead",
    Role.ICS_ADMIN: "ICS administrator",
}

# Roles that act for one Trust; the others are ICS-wide (finance may be either).
TRUST_ROLES = {Role.WORKFORCE, Role.COMPLIANCE}
ICS_ROLES = {Role.ICS_ADMIN, Role.WORKER}


class Trust(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "trusts"
    __tenant_column__ = "id"

    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    ods_code: Mapped[str] = mapped_column(sa.String(5), unique=True)

    sites: Mapped[list[Site]] = relationship(back_populates="trust", order_by="Site.name")
    departments: Mapped[list[Department]] = relationship(
        back_populates="trust", order_by="Department.name"
    )


class Site(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "sites"
    __table_args__ = (sa.UniqueConstraint("trust_id", "name"),)

    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trusts.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    postcode: Mapped[str | None] = mapped_column(sa.String(10))

    trust: Mapped[Trust] = relationship(back_populates="sites")


class Department(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "departments"
    __table_args__ = (
        sa.UniqueConstraint("trust_id", "cost_centre"),
        sa.UniqueConstraint("site_id", "name"),
    )

    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trusts.id"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    specialty: Mapped[str] = mapped_column(sa.String(100))
    cost_centre: Mapped[str] = mapped_column(sa.String(20))

    trust: Mapped[Trust] = relationship(back_populates="departments")
    site: Mapped[Site] = relationship()


class User(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[RoleMembership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="RoleMembership.id"
    )
    worker: Mapped[Worker | None] = relationship(back_populates="user")

    def has_role(self, role: Role, trust_id: int | None = None) -> bool:
        """Whether the user holds `role`, for `trust_id` if given (an ICS-wide grant covers all)."""
        return any(
            m.role == role and (trust_id is None or m.trust_id in (None, trust_id))
            for m in self.memberships
        )

    @property
    def roles(self) -> list[Role]:
        """The user's distinct roles, in the order they were granted."""
        return list(dict.fromkeys(m.role for m in self.memberships))


class RoleMembership(IdMixin, db.Model):
    """A role held by a user, for one Trust or (trust_id NULL) for the whole ICS."""

    __tablename__ = "role_memberships"
    __table_args__ = (sa.UniqueConstraint("user_id", "role", "trust_id"),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    trust_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trusts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    trust: Mapped[Trust | None] = relationship()


class UserSession(IdMixin, db.Model):
    """A signed-in browser. The cookie holds only a random id; revoking the row ends it."""

    __tablename__ = "user_sessions"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str | None] = mapped_column(sa.String(300))

    user: Mapped[User] = relationship()


class ApiToken(IdMixin, db.Model):
    """A personal API token; only its SHA-256 is stored, shown once at creation."""

    __tablename__ = "api_tokens"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class Worker(IdMixin, TimestampMixin, db.Model):
    """A bank worker's profile: who they are professionally and where they are employed."""

    __tablename__ = "workers"
    __tenant_column__ = "primary_trust_id"
    __table_args__ = (sa.UniqueConstraint("registration_body", "registration_number"),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    staff_group: Mapped[StaffGroup] = mapped_column(str_enum(StaffGroup))
    grade: Mapped[str] = mapped_column(sa.String(20))
    registration_body: Mapped[RegistrationBody | None] = mapped_column(str_enum(RegistrationBody))
    registration_number: Mapped[str | None] = mapped_column(sa.String(20))
    primary_trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trusts.id"), index=True)

    user: Mapped[User] = relationship(back_populates="worker")
    primary_trust: Mapped[Trust] = relationship()

    @property
    def name(self) -> str:
        return self.user.full_name

    @property
    def trust_id(self) -> int:
        """The Trust that owns the profile, for tenant scoping."""
        return self.primary_trust_id


class AuditEvent(IdMixin, db.Model):
    """Append-only record of a write that matters to money, safety or compliance."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),)

    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(100))
    trust_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trusts.id"), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(50))
    object_id: Mapped[str] = mapped_column(sa.String(50))
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    actor: Mapped[User | None] = relationship()


@event.listens_for(Session, "before_flush")
def _audit_is_append_only(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent):
            raise PermissionError("audit events are append-only")


class Notification(IdMixin, db.Model):
    """A message in a user's in-app inbox."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_unread", "user_id", "read_at"),
        sa.UniqueConstraint("user_id", "once_key"),
    )

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(50))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]
    # Set when a message must reach a user once only (a credential's 14-day warning):
    # unique per user, so a job run twice, or two schedulers, cannot send it again.
    once_key: Mapped[str | None] = mapped_column(sa.String(100))

    user: Mapped[User] = relationship()


# Notifications: preferences and the email outbox ----------------------------------------


class ShiftNudgeFrequency(enum.StrEnum):
    """How a worker hears about new shifts that fit them (the bank reads this)."""

    INSTANT = "instant"
    DAILY_DIGEST = "daily_digest"


class NotificationPreference(IdMixin, TimestampMixin, db.Model):
    """How a user wants to be told. No row means the defaults (in-app only, instant)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    # The in-app inbox always gets every message; email is the user's choice.
    email: Mapped[bool] = mapped_column(default=False)
    new_shifts: Mapped[ShiftNudgeFrequency] = mapped_column(
        str_enum(ShiftNudgeFrequency), default=ShiftNudgeFrequency.INSTANT
    )
    # UK local times; a window may wrap midnight (22:00 to 07:00). Both set or both empty.
    quiet_hours_start: Mapped[time | None]
    quiet_hours_end: Mapped[time | None]

    user: Mapped[User] = relationship()


class EmailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxEmail(IdMixin, db.Model):
    """An email waiting to go, written in the transaction that caused it and sent by a job."""

    __tablename__ = "outbox_emails"
    __table_args__ = (sa.Index("ix_outbox_emails_due", "status", "not_before"),)

    notification_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notifications.id"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[EmailStatus] = mapped_column(str_enum(EmailStatus), default=EmailStatus.PENDING)
    # Not sent before this time: the end of the user's quiet hours, or the next retry.
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


# Scheduled jobs ---------------------------------------------------------------------------


class JobRun(IdMixin, db.Model):
    """One run of a scheduled job, claimed in the job's own transaction.

    The unique (job_id, scheduled_for) row is the claim: a second scheduler started by mistake
    fails to insert it and does nothing.
    """

    __tablename__ = "job_runs"
    __table_args__ = (sa.UniqueConstraint("job_id", "scheduled_for"),)

    job_id: Mapped[str] = mapped_column(sa.String(100))
    scheduled_for: Mapped[datetime]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    summary: Mapped[str | None] = mapped_column(sa.String(300))


# The job store of APScheduler (`SQLAlchemyJobStore`), declared here with the same columns so
# that migrations create it and `flask db migrate` never proposes to drop it.
scheduler_jobs = sa.Table(
    "apscheduler_jobs",
    db.metadata,
    sa.Column("id", sa.Unicode(191), primary_key=True),
    sa.Column("next_run_time", sa.Float(25), index=True),
    sa.Column("job_state", sa.LargeBinary, nullable=False),
)
