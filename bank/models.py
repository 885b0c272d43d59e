"""Bank models: banks and memberships, rate cards, shifts, applications, bookings,
timesheets and payroll batches. Money is in pence; times are aware UTC."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import IdMixin, utcnow
from app.extensions import db
from app.models import Department, Site, Trust, User, Worker, str_enum
from app.reference import StaffGroup


class BankKind(enum.StrEnum):
    TRUST = "trust"  # one Trust's own bank
    COLLABORATIVE = "collaborative"  # the ICS bank of many Trusts


class EmploymentModel(enum.StrEnum):
    """Who employs and pays a collaborative bank's workers."""

    LEAD_EMPLOYER = "lead_employer"  # one lead Trust pays for all shifts, recharging the rest
    DISTRIBUTED = "distributed"  # each Trust pays its own shifts


class MembershipStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    DECLINED = "declined"


class RateBand(enum.StrEnum):
    CORE = "core"
    UNSOCIAL = "unsocial"
    ON_CALL = "on_call"


class Tier(enum.StrEnum):
    """Who sees an open shift: the Trust's own bank first, then the collaborative bank."""

    OWN_BANK = "own_bank"
    COLLABORATIVE = "collaborative"


class ShiftStatus(enum.StrEnum):
    OPEN = "open"
    BOOKED = "booked"
    CANCELLED = "cancelled"


class BookingStatus(enum.StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class BookingSource(enum.StrEnum):
    INSTANT = "instant"
    APPLICATION = "application"
    ASSIGNED = "assigned"
    SOLVER = "solver"
    OFFER = "offer"  # the worker accepted a shift offer (bank.models_offers)


class ApplicationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class TimesheetStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    SIGNED_OFF = "signed_off"
    PAYMENT_APPROVED = "payment_approved"
    WITH_PAYROLL = "with_payroll"
    QUERIED = "queried"


class Bank(IdMixin, db.Model):
    __tablename__ = "banks"

    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[BankKind] = mapped_column(str_enum(BankKind))
    trust_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trusts.id"), unique=True)
    employment_model: Mapped[EmploymentModel | None] = mapped_column(str_enum(EmploymentModel))
    lead_trust_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trusts.id"))
    # A worker cancelling later than this before the start is told to call the department.
    cancellation_window_hours: Mapped[int] = mapped_column(default=48)
    # Own-bank shifts still open this long before the start go to the collaborative bank.
    release_hours_before: Mapped[int | None] = mapped_column(default=72)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    trust: Mapped[Trust | None] = relationship(foreign_keys=[trust_id])
    member_trusts: Mapped[list[Trust]] = relationship(
        secondary="bank_trusts", order_by="Trust.name"
    )


bank_trusts = sa.Table(
    "bank_trusts",
    db.metadata,
    sa.Column("bank_id", sa.ForeignKey("banks.id"), primary_key=True),
    sa.Column("trust_id", sa.ForeignKey("trusts.id"), primary_key=True),
)


class BankMembership(IdMixin, db.Model):
    """A worker's request to join a bank, and its decision (time to decide is measured)."""

    __tablename__ = "bank_memberships"
    __table_args__ = (sa.UniqueConstraint("bank_id", "worker_id"),)

    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("banks.id"), index=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    status: Mapped[MembershipStatus] = mapped_column(str_enum(MembershipStatus))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)

    bank: Mapped[Bank] = relationship()
    worker: Mapped[Worker] = relationship()
    decided_by: Mapped[User | None] = relationship()


class WorkerBankSettings(IdMixin, db.Model):
    """A worker's own settings for bank work."""

    __tablename__ = "worker_bank_settings"

    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), unique=True)
    wtr_opted_out: Mapped[bool] = mapped_column(default=False)
    accept_assignments: Mapped[bool] = mapped_column(default=False)  # solver may book them
    max_shifts_per_week: Mapped[int | None]

    # Where they would rather work; empty: anywhere their banks reach. The gap filler places
    # them elsewhere only when nobody who prefers the shift's Trust or site can take it.
    preferred_trusts: Mapped[list[Trust]] = relationship(
        secondary="worker_preferred_trusts", order_by="Trust.name"
    )
    preferred_sites: Mapped[list[Site]] = relationship(
        secondary="worker_preferred_sites", order_by="Site.name"
    )


def _preference_table(name: str, column: str, target: str) -> sa.Table:
    """A worker's preferred places of one kind: (their settings, a Trust or a site)."""
    return sa.Table(
        name,
        db.metadata,
        sa.Column(
            "settings_id",
            sa.ForeignKey("worker_bank_settings.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(column, sa.ForeignKey(f"{target}.id"), primary_key=True),
    )


worker_preferred_trusts = _preference_table("worker_preferred_trusts", "trust_id", "trusts")
worker_preferred_sites = _preference_table("worker_preferred_sites", "site_id", "sites")


class DeclaredCommitment(IdMixin, db.Model):
    """Substantive rota work a worker declares, so the rules count it (any Trust)."""

    __tablename__ = "declared_commitments"

    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    trust_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trusts.id"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    description: Mapped[str] = mapped_column(sa.String(200), default="Substantive rota")


class RateCard(IdMixin, db.Model):
    """A Trust's hourly bank rate for a grade in a time band."""

    __tablename__ = "rate_cards"
    __table_args__ = (sa.UniqueConstraint("trust_id", "grade", "band"),)

    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trusts.id"), index=True)
    grade: Mapped[str] = mapped_column(sa.String(20))
    band: Mapped[RateBand] = mapped_column(str_enum(RateBand))
    pence_per_hour: Mapped[int]

    trust: Mapped[Trust] = relationship()


class InstantBookRule(IdMixin, db.Model):
    """Who may book a department's shifts instantly: one worker, or (worker NULL) everyone."""

    __tablename__ = "instant_book_rules"
    __table_args__ = (sa.UniqueConstraint("department_id", "worker_id"),)

    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    worker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("workers.id"))

    worker: Mapped[Worker | None] = relationship()


class Shift(IdMixin, db.Model):
    __tablename__ = "shifts"
    __table_args__ = (
        sa.Index("ix_shifts_status_start", "status", "start_at"),
        sa.Index("ix_shifts_trust_start", "trust_id", "start_at"),
        sa.CheckConstraint("end_at > start_at", name="ends_after_start"),
    )

    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trusts.id"))
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    staff_group: Mapped[StaffGroup] = mapped_column(str_enum(StaffGroup))
    grade: Mapped[str] = mapped_column(sa.String(20))
    acceptable_grades: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    required_credentials: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    band: Mapped[RateBand] = mapped_column(str_enum(RateBand))
    pence_per_hour: Mapped[int]
    status: Mapped[ShiftStatus] = mapped_column(str_enum(ShiftStatus), default=ShiftStatus.OPEN)
    tier: Mapped[Tier] = mapped_column(str_enum(Tier), default=Tier.OWN_BANK)
    released_at: Mapped[datetime | None]
    urgent: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    posted_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)

    trust: Mapped[Trust] = relationship()
    department: Mapped[Department] = relationship(lazy="joined")
    bookings: Mapped[list[Booking]] = relationship(back_populates="shift", order_by="Booking.id")

    @property
    def hours(self) -> float:
        return (self.end_at - self.start_at).total_seconds() / 3600

    @property
    def active_booking(self) -> Booking | None:
        return next((b for b in self.bookings if b.status == BookingStatus.ACTIVE), None)


class Booking(IdMixin, db.Model):
    __tablename__ = "bookings"
    __table_args__ = (
        # The database itself refuses a second active booking of a shift.
        sa.Index(
            "uq_bookings_active_shift",
            "shift_id",
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        ),
    )

    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts.id"), index=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    status: Mapped[BookingStatus] = mapped_column(str_enum(BookingStatus))
    source: Mapped[BookingSource] = mapped_column(str_enum(BookingSource))
    booked_at: Mapped[datetime] = mapped_column(default=utcnow)
    booked_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None]
    cancelled_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    late_cancellation: Mapped[bool] = mapped_column(default=False)

    shift: Mapped[Shift] = relationship(back_populates="bookings", lazy="joined")
    worker: Mapped[Worker] = relationship()


class Application(IdMixin, db.Model):
    __tablename__ = "applications"
    __table_args__ = (sa.UniqueConstraint("shift_id", "worker_id"),)

    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts.id"), index=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    status: Mapped[ApplicationStatus] = mapped_column(str_enum(ApplicationStatus))
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    shift: Mapped[Shift] = relationship(lazy="joined")
    worker: Mapped[Worker] = relationship()


class LateCancellation(IdMixin, db.Model):
    """A worker asking to cancel inside the cancellation window (repeat late cancellers
    are flagged to the workforce team)."""

    __tablename__ = "late_cancellations"

    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("bookings.id"), index=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    hours_before_start: Mapped[float]


class RateEscalation(IdMixin, db.Model):
    __tablename__ = "rate_escalations"

    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts.id"), index=True)
    from_pence: Mapped[int]
    to_pence: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.Text)
    authorised_by: Mapped[str] = mapped_column(sa.String(200))
    requested_by_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class PayrollBatch(IdMixin, db.Model):
    __tablename__ = "payroll_batches"

    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trusts.id"), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    timesheet_count: Mapped[int] = mapped_column(default=0)
    total_pence: Mapped[int] = mapped_column(default=0)

    trust: Mapped[Trust] = relationship()


class Timesheet(IdMixin, db.Model):
    __tablename__ = "timesheets"

    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("bookings.id"), unique=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trusts.id"), index=True)
    actual_start: Mapped[datetime]
    actual_end: Mapped[datetime]
    break_minutes: Mapped[int]
    worked_minutes: Mapped[int]
    amount_pence: Mapped[int]
    status: Mapped[TimesheetStatus] = mapped_column(str_enum(TimesheetStatus))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    signed_off_at: Mapped[datetime | None]
    signed_off_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    payment_approved_at: Mapped[datetime | None]
    payroll_batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payroll_batches.id"))
    query_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Who pays the worker: the Trust of the shift, or the lead employer of the collaborative
    # bank for its shifts (which then recharges the Trust where the shift was worked).
    paying_trust_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trusts.id"), index=True)
    payment_approved_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    queried_at: Mapped[datetime | None]

    booking: Mapped[Booking] = relationship(lazy="joined")
    worker: Mapped[Worker] = relationship()
    trust: Mapped[Trust] = relationship(foreign_keys=[trust_id])
    paying_trust: Mapped[Trust | None] = relationship(foreign_keys=[paying_trust_id])


class IdempotentRequest(IdMixin, db.Model):
    """The first answer to a request sent with an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(sa.String(100))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int]
    body: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
