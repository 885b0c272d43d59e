"""The workforce team's changes to a posted shift: releasing it from the Trust's own bank to the
collaborative bank (by hand, or automatically a set time before the start), escalating its
rate, and cancelling it.

Escalation follows shared/rules.md ("How the leaders behave"): own Trust bank first, then the
collaborative bank. Each Trust's own bank sets how long before the start a shift still open
goes to the collaborative bank (`Bank.release_hours_before`; None: only by hand).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from app.errors import Conflict, ValidationFailed
from app.extensions import db
from app.models import User
from app.services import notify, record_audit
from app.templating import short_time
from bank.models import (
    Application,
    ApplicationStatus,
    Bank,
    BankKind,
    RateEscalation,
    Shift,
    ShiftStatus,
    Tier,
    bank_trusts,
)
from bank.services.booking import cancel_booking
from bank.services.memberships import workforce_users
from bank.services.offers import withdraw_offers


def _when(shift: Shift) -> str:
    return short_time(shift.start_at)


def collaborative_bank_of(trust_id: int) -> Bank | None:
    """The collaborative bank the Trust belongs to, if any."""
    return db.session.scalar(
        sa.select(Bank)
        .join(bank_trusts, bank_trusts.c.bank_id == Bank.id)
        .where(bank_trusts.c.trust_id == trust_id, Bank.kind == BankKind.COLLABORATIVE)
        .order_by(Bank.id)
        .limit(1)
    )


def _tell_team(shift: Shift, actor: User | None, kind: str, title: str, now: datetime) -> None:
    for staff in workforce_users(shift.trust_id):
        if actor is None or staff.id != actor.id:
            notify(staff, kind, title, now=now, link=f"/workforce/shifts/{shift.id}")


def release_shift(shift: Shift, actor: User | None, *, now: datetime) -> Shift:
    """Show an open own-bank shift to the whole collaborative bank (actor None: automatic)."""
    if shift.status != ShiftStatus.OPEN:
        raise Conflict(f"This shift is {shift.status.value}: only open shifts are released.")
    if shift.tier == Tier.COLLABORATIVE:
        raise Conflict("This shift is already on the collaborative bank.")
    if shift.start_at <= now:
        raise Conflict("This shift has already started.")
    bank = collaborative_bank_of(shift.trust_id)
    if bank is None:
        raise Conflict(f"{shift.trust.name} is not a member of a collaborative bank.")
    # A conditional update: the release job and a person releasing at once change it once.
    released = db.session.execute(
        sa.update(Shift)
        .where(
            Shift.id == shift.id,
            Shift.status == ShiftStatus.OPEN,
            Shift.tier == Tier.OWN_BANK,
        )
        .values(tier=Tier.COLLABORATIVE, released_at=now)
        .execution_options(synchronize_session=False)
    )
    if released.rowcount != 1:
        raise Conflict("This shift has just been booked or released.")
    db.session.refresh(shift)
    record_audit(
        "shift.released",
        shift,
        actor=actor,
        now=now,
        before={"tier": Tier.OWN_BANK.value},
        after={"tier": Tier.COLLABORATIVE.value, "bank": bank.name, "automatic": actor is None},
    )
    how = "automatically" if actor is None else f"by {actor.full_name}"
    _tell_team(
        shift,
        actor,
        "shift.released",
        f"Released to {bank.name} {how}: {shift.department.name}, {_when(shift)}",
        now,
    )
    return shift


def shifts_due_for_release(now: datetime) -> list[Shift]:
    """Open own-bank shifts starting within their Trust's release time, for Trusts in a
    collaborative bank."""
    due: list[Shift] = []
    banks = db.session.scalars(
        sa.select(Bank).where(Bank.kind == BankKind.TRUST, Bank.release_hours_before.is_not(None))
    ).all()
    for bank in banks:
        if bank.trust_id is None or collaborative_bank_of(bank.trust_id) is None:
            continue
        due += db.session.scalars(
            sa.select(Shift)
            .where(
                Shift.trust_id == bank.trust_id,
                Shift.status == ShiftStatus.OPEN,
                Shift.tier == Tier.OWN_BANK,
                Shift.start_at > now,
                Shift.start_at <= now + timedelta(hours=bank.release_hours_before),
            )
            .order_by(Shift.start_at, Shift.id)
        ).unique()
    return due


def release_due_shifts(now: datetime) -> list[Shift]:
    """Release every shift whose Trust's release time has come."""
    return [release_shift(shift, None, now=now) for shift in shifts_due_for_release(now)]


def escalate_rate(
    shift: Shift,
    actor: User,
    *,
    pence_per_hour: int,
    reason: str,
    authorised_by: str,
    now: datetime,
) -> RateEscalation:
    """Raise an open shift's bank rate, with the reason and who authorised it.

    This is the bank rate only: paying an agency above the NHS England price cap is a
    separate "break glass" approval (shared/rules.md, "Agency rules").
    """
    errors: dict[str, list[str]] = {}
    reason, authorised_by = (reason or "").strip(), (authorised_by or "").strip()
    if not reason:
        errors["reason"] = ["Say why the rate goes up"]
    if not authorised_by:
        errors["authorised_by"] = ["Name who authorised the new rate"]
    if pence_per_hour <= shift.pence_per_hour:
        errors["pence_per_hour"] = [
            f"The new rate must be above the current £{shift.pence_per_hour / 100:.2f} an hour"
        ]
    elif pence_per_hour > 3 * shift.pence_per_hour:
        errors["pence_per_hour"] = ["The new rate cannot be more than three times the current"]
    if errors:
        raise ValidationFailed("The escalation is not valid.", errors=errors)
    if shift.status != ShiftStatus.OPEN or shift.start_at <= now:
        raise Conflict("Only an open shift that has not started can have its rate raised.")
    escalation = RateEscalation(
        shift_id=shift.id,
        from_pence=shift.pence_per_hour,
        to_pence=pence_per_hour,
        reason=reason,
        authorised_by=authorised_by,
        requested_by_user_id=actor.id,
        at=now,
    )
    shift.pence_per_hour = pence_per_hour
    db.session.add(escalation)
    db.session.flush()
    record_audit(
        "shift.rate_escalated",
        shift,
        actor=actor,
        now=now,
        before={"pence_per_hour": escalation.from_pence},
        after={
            "pence_per_hour": pence_per_hour,
            "reason": reason,
            "authorised_by": authorised_by,
        },
    )
    title = f"Rate raised to £{pence_per_hour / 100:.2f}/h: {shift.department.name}, {_when(shift)}"
    _tell_team(shift, actor, "shift.rate_escalated", title, now)
    for application in _pending(shift):
        notify(application.worker.user, "shift.rate_escalated", title, now=now, link="/shifts")
    return escalation


def _pending(shift: Shift) -> list[Application]:
    return list(
        db.session.scalars(
            sa.select(Application).where(
                Application.shift_id == shift.id, Application.status == ApplicationStatus.PENDING
            )
        ).unique()
    )


def cancel_shift(shift: Shift, actor: User, *, reason: str, now: datetime) -> Shift:
    """Cancel a shift: its booking is cancelled (the worker told), applicants are told, and
    it leaves the marketplace."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.on("reason", "Say why, so the worker knows")
    if shift.status == ShiftStatus.CANCELLED:
        raise Conflict("This shift is already cancelled.")
    if shift.start_at <= now:
        raise Conflict("This shift has already started; cancel its booking instead.")
    before = shift.status.value
    booking = shift.active_booking
    if booking is not None:
        cancel_booking(booking, actor, reason=reason, now=now)  # tells the worker
    for application in _pending(shift):
        application.status = ApplicationStatus.DECLINED
        application.decided_at, application.decided_by_user_id = now, actor.id
        notify(
            application.worker.user,
            "shift.cancelled",
            f"Cancelled: {shift.department.name}, {_when(shift)}",
            now=now,
            body=reason,
            link="/shifts",
        )
    withdraw_offers(shift, f"The shift was cancelled: {reason}", actor=actor, now=now)
    db.session.execute(
        sa.update(Shift)
        .where(Shift.id == shift.id)
        .values(status=ShiftStatus.CANCELLED, cancelled_at=now, cancel_reason=reason)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(shift)
    record_audit(
        "shift.cancelled",
        shift,
        actor=actor,
        now=now,
        before={"status": before},
        after={
            "status": ShiftStatus.CANCELLED.value,
            "reason": reason,
            "booking_id": booking.id if booking else None,
        },
    )
    _tell_team(
        shift,
        actor,
        "shift.cancelled",
        f"Cancelled by {actor.full_name}: {shift.department.name}, {_when(shift)}",
        now,
    )
    return shift
