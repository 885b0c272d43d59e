"""Gap-filling runs: what the gap filler proposed for open bank shifts, and what became of it.

A run covers the open shifts of one Trust (its workforce team) or of every Trust in the
collaborative bank (an ICS administrator) between two dates. Its items are the proposals
(book or offer a worker) and the shifts left open with their reason.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import IdMixin, utcnow
from app.extensions import db
from app.models import Trust, User, Worker, str_enum
from bank.models import Shift
from bank.models_offers import ShiftOffer


class GapFillStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SOLVED = "solved"
    APPLIED = "applied"
    FAILED = "failed"


class GapFillKind(enum.StrEnum):
    BOOK = "book"  # the worker accepts assignments: applying books them
    OFFER = "offer"  # applying offers the shift to the worker
    OPEN = "open"  # nobody proposed; `reason` says why


class GapFillOutcome(enum.StrEnum):
    PENDING = "pending"
    BOOKED = "booked"
    OFFERED = "offered"
    FAILED = "failed"  # the shift or the worker changed since the run: `outcome_detail`


class GapFillRun(IdMixin, db.Model):
    """One run of the gap filler, followed by the page while it runs."""

    __tablename__ = "gap_fill_runs"

    # None: every Trust of the collaborative bank (an ICS administrator's run).
    trust_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trusts.id"), index=True)
    date_from: Mapped[datetime]
    date_to: Mapped[datetime]
    status: Mapped[GapFillStatus] = mapped_column(
        str_enum(GapFillStatus), default=GapFillStatus.QUEUED
    )
    time_limit: Mapped[int]
    seed: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    applied_at: Mapped[datetime | None]
    applied_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    solver_status: Mapped[str | None] = mapped_column(sa.String(20))
    open_shifts: Mapped[int] = mapped_column(default=0)
    filled: Mapped[int] = mapped_column(default=0)
    upper_bound: Mapped[int] = mapped_column(default=0)
    objective: Mapped[int | None] = mapped_column(sa.BigInteger)
    best_bound: Mapped[float | None]
    seconds: Mapped[float | None]  # the solver's share of the run
    penalties: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    error: Mapped[str | None] = mapped_column(sa.Text)

    trust: Mapped[Trust | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_user_id])
    items: Mapped[list[GapFillItem]] = relationship(
        back_populates="run", order_by="GapFillItem.id", cascade="all, delete-orphan"
    )

    @property
    def run_seconds(self) -> float | None:
        """Seconds from the run's start to its result (loading, solving and writing the
        proposals), which its time limit bounds; None before it ends."""
        if self.started_at is None or self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds(), 1)


class GapFillItem(IdMixin, db.Model):
    """A proposal (a worker for a shift) or a shift left open, with its reason."""

    __tablename__ = "gap_fill_items"

    run_id: Mapped[int] = mapped_column(sa.ForeignKey("gap_fill_runs.id"), index=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts.id"), index=True)
    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trusts.id"), index=True)
    worker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("workers.id"))
    kind: Mapped[GapFillKind] = mapped_column(str_enum(GapFillKind))
    cost_pence: Mapped[int] = mapped_column(default=0)
    reason_code: Mapped[str | None] = mapped_column(sa.String(40))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    outcome: Mapped[GapFillOutcome] = mapped_column(
        str_enum(GapFillOutcome), default=GapFillOutcome.PENDING
    )
    outcome_detail: Mapped[str | None] = mapped_column(sa.Text)

    run: Mapped[GapFillRun] = relationship(back_populates="items")
    shift: Mapped[Shift] = relationship(lazy="joined")
    worker: Mapped[Worker | None] = relationship()
    # The offer applying made of an OFFER proposal, whose status says what became of it. The
    # bank's offer names its item without a foreign key (bank sits below rota), hence foreign().
    offer: Mapped[ShiftOffer | None] = relationship(
        primaryjoin="foreign(ShiftOffer.gap_fill_item_id) == GapFillItem.id",
        viewonly=True,
        uselist=False,
        lazy="selectin",
    )
