"""Department rotas: what a workforce team defines, what the solver proposes, what is published.

A rota covers whole weeks from a Monday. Cover is asked per day, shift type and grade group
(a night needs one registrar and two FY1s); a grade group may name the group that must
supervise it ("a trainee shift needs a senior on the same shift").
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import IdMixin, TimestampMixin, utcnow
from app.extensions import db
from app.models import Department, User, Worker, str_enum
from app.reference import StaffGroup


class RotaStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class RuleSetCode(enum.StrEnum):
    """Which safe-working rule set a rota member works under (bank.rules.RULE_SETS keys)."""

    DOCTOR_IN_TRAINING = "doctor_in_training"
    WTR = "wtr"


class SolveRunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Rota(IdMixin, TimestampMixin, db.Model):
    """A department's rota for whole weeks from a Monday."""

    __tablename__ = "rotas"

    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trusts.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    starts_on: Mapped[date]
    weeks: Mapped[int]
    status: Mapped[RotaStatus] = mapped_column(str_enum(RotaStatus), default=RotaStatus.DRAFT)
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    published_at: Mapped[datetime | None]
    published_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Bank shifts posted for the cover left unfilled when it was published.
    posted_shift_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)

    department: Mapped[Department] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_user_id])
    shift_types: Mapped[list[RotaShiftType]] = relationship(
        back_populates="rota", order_by="RotaShiftType.id", cascade="all, delete-orphan"
    )
    grade_groups: Mapped[list[RotaGradeGroup]] = relationship(
        back_populates="rota", order_by="RotaGradeGroup.id", cascade="all, delete-orphan"
    )
    covers: Mapped[list[RotaCover]] = relationship(
        back_populates="rota", order_by="RotaCover.id", cascade="all, delete-orphan"
    )
    members: Mapped[list[RotaMember]] = relationship(
        back_populates="rota", order_by="RotaMember.id", cascade="all, delete-orphan"
    )
    assignments: Mapped[list[RotaAssignment]] = relationship(
        back_populates="rota", order_by="RotaAssignment.id", cascade="all, delete-orphan"
    )

    @property
    def days(self) -> int:
        return 7 * self.weeks


class RotaShiftType(IdMixin, db.Model):
    """A kind of shift on this rota: a day, a long day, a night; starts in UK local time."""

    __tablename__ = "rota_shift_types"
    __table_args__ = (sa.UniqueConstraint("rota_id", "code"),)

    rota_id: Mapped[int] = mapped_column(sa.ForeignKey("rotas.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(10))
    name: Mapped[str] = mapped_column(sa.String(100))
    starts_at: Mapped[time]
    minutes: Mapped[int]

    rota: Mapped[Rota] = relationship(back_populates="shift_types")


class RotaGradeGroup(IdMixin, db.Model):
    """Grades that cover the same demand (Registrar: ST3 to ST8), optionally supervised."""

    __tablename__ = "rota_grade_groups"
    __table_args__ = (sa.UniqueConstraint("rota_id", "name"),)

    rota_id: Mapped[int] = mapped_column(sa.ForeignKey("rotas.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    staff_group: Mapped[StaffGroup] = mapped_column(str_enum(StaffGroup))
    grades: Mapped[list[str]] = mapped_column(sa.JSON)
    # When this group works a shift, someone of that group must work the same shift.
    supervised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rota_grade_groups.id"))

    rota: Mapped[Rota] = relationship(back_populates="grade_groups")
    supervised_by: Mapped[RotaGradeGroup | None] = relationship(remote_side="RotaGradeGroup.id")


class RotaCover(IdMixin, db.Model):
    """People of a grade group wanted on a shift type, every day or on one weekday."""

    __tablename__ = "rota_covers"

    rota_id: Mapped[int] = mapped_column(sa.ForeignKey("rotas.id"), index=True)
    shift_type_id: Mapped[int] = mapped_column(sa.ForeignKey("rota_shift_types.id"))
    grade_group_id: Mapped[int] = mapped_column(sa.ForeignKey("rota_grade_groups.id"))
    weekday: Mapped[int | None]  # 0 Monday .. 6 Sunday; None: every day without its own line
    required: Mapped[int]
    under_weight: Mapped[int] = mapped_column(default=100)
    over_weight: Mapped[int] = mapped_column(default=10)

    rota: Mapped[Rota] = relationship(back_populates="covers")
    shift_type: Mapped[RotaShiftType] = relationship()
    grade_group: Mapped[RotaGradeGroup] = relationship()


class RotaMember(IdMixin, db.Model):
    """A substantive member of staff on the rota, with contracted hours, leave and requests."""

    __tablename__ = "rota_members"
    __table_args__ = (sa.UniqueConstraint("rota_id", "worker_id"),)

    rota_id: Mapped[int] = mapped_column(sa.ForeignKey("rotas.id"), index=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    grade_group_id: Mapped[int] = mapped_column(sa.ForeignKey("rota_grade_groups.id"))
    contracted_minutes_per_week: Mapped[int]
    rule_set: Mapped[RuleSetCode] = mapped_column(str_enum(RuleSetCode, length=30))
    leave: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # ISO dates off

    rota: Mapped[Rota] = relationship(back_populates="members")
    worker: Mapped[Worker] = relationship()
    grade_group: Mapped[RotaGradeGroup] = relationship()
    requests: Mapped[list[RotaRequest]] = relationship(
        back_populates="member", order_by="RotaRequest.id", cascade="all, delete-orphan"
    )

    @property
    def name(self) -> str:
        return self.worker.user.full_name


class RotaRequest(IdMixin, db.Model):
    """A member's wish to work (wants) or not to work a shift type on a day, and its weight."""

    __tablename__ = "rota_requests"

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("rota_members.id"), index=True)
    on: Mapped[date]
    shift_type_id: Mapped[int] = mapped_column(sa.ForeignKey("rota_shift_types.id"))
    wants: Mapped[bool]
    weight: Mapped[int] = mapped_column(default=5)

    member: Mapped[RotaMember] = relationship(back_populates="requests")
    shift_type: Mapped[RotaShiftType] = relationship()


class RotaAssignment(IdMixin, db.Model):
    """One member working one shift type on one day of the rota."""

    __tablename__ = "rota_assignments"
    __table_args__ = (sa.UniqueConstraint("member_id", "on"),)

    rota_id: Mapped[int] = mapped_column(sa.ForeignKey("rotas.id"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("rota_members.id"))
    on: Mapped[date]
    shift_type_id: Mapped[int] = mapped_column(sa.ForeignKey("rota_shift_types.id"))

    rota: Mapped[Rota] = relationship(back_populates="assignments")
    member: Mapped[RotaMember] = relationship()
    shift_type: Mapped[RotaShiftType] = relationship()


class RotaSolveRun(IdMixin, db.Model):
    """One run of the solver on a rota, followed by the page while it runs."""

    __tablename__ = "rota_solve_runs"

    rota_id: Mapped[int] = mapped_column(sa.ForeignKey("rotas.id"), index=True)
    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trusts.id"), index=True)
    status: Mapped[SolveRunStatus] = mapped_column(
        str_enum(SolveRunStatus), default=SolveRunStatus.QUEUED
    )
    time_limit: Mapped[int]
    seed: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    progress: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    solver_status: Mapped[str | None] = mapped_column(sa.String(20))
    best_objective: Mapped[int | None]
    bound: Mapped[int | None]
    # Best roster so far: {member id: [shift type id or None per day]}.
    roster: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)

    rota: Mapped[Rota] = relationship()

    @property
    def seconds(self) -> float | None:
        """How long the run took, once it has ended."""
        if self.started_at is None or self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds(), 1)
