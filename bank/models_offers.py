"""Shift offers: a Trust offering one open shift to one bank worker, who accepts or declines.

An offer is made by the gap filler (a proposal for a worker who did not opt in to being
assigned) or by a workforce team. Accepting books the worker through the booking service, so
every check still applies; an offer ends accepted, declined, expired (unanswered in time) or
withdrawn (the shift was cancelled or someone else booked it), with `closed_reason` saying why.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import IdMixin, utcnow
from app.extensions import db
from app.models import User, Worker, str_enum
from bank.models import Booking, Shift


class OfferStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class OfferSource(enum.StrEnum):
    GAP_FILL = "gap_fill"  # a gap-fill run's proposal (`gap_fill_item_id`)
    WORKFORCE = "workforce"  # a workforce team, by hand


class ShiftOffer(IdMixin, db.Model):
    """One open shift offered to one worker, until they answer or it ends."""

    __tablename__ = "shift_offers"
    __table_args__ = (
        # The database itself refuses a second pending offer of a shift to the same worker.
        sa.Index(
            "uq_shift_offers_pending",
            "shift_id",
            "worker_id",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
        sa.Index("ix_shift_offers_status_expires", "status", "expires_at"),
    )

    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts.id"), index=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trusts.id"), index=True)
    offered_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    source: Mapped[OfferSource] = mapped_column(str_enum(OfferSource))
    # The rota's gap-fill item that proposed it. No foreign key: the bank sits below rota and
    # knows nothing of its tables; rota looks its offers up by this id.
    gap_fill_item_id: Mapped[int | None] = mapped_column(index=True)
    status: Mapped[OfferStatus] = mapped_column(str_enum(OfferStatus), default=OfferStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]  # the worker's answer (accepted or declined)
    closed_at: Mapped[datetime | None]  # when it stopped being pending, whichever way
    closed_reason: Mapped[str | None] = mapped_column(sa.Text)  # expired or withdrawn: why
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bookings.id"))

    shift: Mapped[Shift] = relationship(lazy="joined")
    worker: Mapped[Worker] = relationship()
    offered_by: Mapped[User | None] = relationship()
    booking: Mapped[Booking | None] = relationship()
