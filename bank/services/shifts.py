"""Posting shifts and pricing them from the Trust's rate card."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import Department, Role, Trust, User
from app.reference import GRADES, StaffGroup, grade_problem
from app.services import record_audit
from app.tenancy import get_scoped, scope_for
from bank.models import RateBand, RateCard, Shift, ShiftStatus, Tier
from passport.reference import SPECS_BY_CODE

LONDON = ZoneInfo("Europe/London")
MAX_SHIFT = timedelta(hours=24)
# Agenda for Change unsocial hours are 20:00 to 06:00 on weekdays, and all of Saturday and
# Sunday (shared/rules.md, "Rates"); a shift is priced unsocial when most of it falls there.
UNSOCIAL_FROM, UNSOCIAL_TO = 20, 6


def _unsocial_minutes(start: datetime, end: datetime) -> int:
    minutes, moment = 0, start
    while moment < end:
        local = moment.astimezone(LONDON)
        if local.weekday() >= 5 or local.hour >= UNSOCIAL_FROM or local.hour < UNSOCIAL_TO:
            minutes += 1
        moment += timedelta(minutes=1)
    return minutes


def band_for(start: datetime, end: datetime) -> RateBand:
    """Core or unsocial, by where most of the shift's real minutes fall in UK time."""
    total = int((end - start).total_seconds() // 60)
    return RateBand.UNSOCIAL if _unsocial_minutes(start, end) * 2 > total else RateBand.CORE


def rate_for(trust_id: int, grade: str, band: RateBand) -> int | None:
    """The Trust's hourly rate in pence for a grade and band, if its rate card has one."""
    return db.session.scalar(
        sa.select(RateCard.pence_per_hour).where(
            RateCard.trust_id == trust_id, RateCard.grade == grade, RateCard.band == band
        )
    )


def visible_shift_for_staff(user: User, shift_id: int, roles=(Role.WORKFORCE,)) -> Shift:
    """A shift of a Trust the user works for in `roles` (404 otherwise)."""
    return get_scoped(Shift, shift_id, scope_for(user, [*roles, Role.ICS_ADMIN]), what="shift")


def post_shift(
    trust: Trust,
    actor: User,
    *,
    department_id: int,
    staff_group: StaffGroup,
    grade: str,
    start_at: datetime,
    end_at: datetime,
    now: datetime,
    acceptable_grades: list[str] | None = None,
    required_credentials: list[str] | None = None,
    band: RateBand | None = None,
    pence_per_hour: int | None = None,
    urgent: bool = False,
    notes: str | None = None,
) -> Shift:
    """Post an open shift to the Trust's own bank, priced from its rate card."""
    errors: dict[str, list[str]] = {}
    department = db.session.get(Department, department_id)
    if department is None or department.trust_id != trust.id:
        errors["department_id"] = [f"Choose one of {trust.name}'s departments"]
    if problem := grade_problem(staff_group, grade):
        errors["grade"] = [problem]
    others = [g for g in (acceptable_grades or []) if g != grade]
    if bad := [g for g in others if g not in GRADES[staff_group]]:
        errors["acceptable_grades"] = [f"Not a {staff_group.label.lower()} grade: {', '.join(bad)}"]
    if bad := [c for c in (required_credentials or []) if c not in SPECS_BY_CODE]:
        errors["required_credentials"] = [f"Unknown credential type: {', '.join(bad)}"]
    if start_at.tzinfo is None or end_at.tzinfo is None:
        errors["start_at"] = ["Give times with their UTC offset"]
    elif end_at <= start_at:
        errors["end_at"] = ["The shift must end after it starts"]
    elif end_at - start_at > MAX_SHIFT:
        errors["end_at"] = ["A shift cannot be longer than 24 hours"]
    elif start_at <= now:
        errors["start_at"] = ["The shift must start in the future"]
    if errors:
        raise ValidationFailed("Some details of the shift are not valid.", errors=errors)
    band = band or band_for(start_at, end_at)
    if pence_per_hour is None:
        pence_per_hour = rate_for(trust.id, grade, band)
        if pence_per_hour is None:
            raise ValidationFailed.on(
                "pence_per_hour",
                f"{trust.name}'s rate card has no {band.value} rate for {grade}: give the rate",
            )
    elif pence_per_hour <= 0:
        raise ValidationFailed.on("pence_per_hour", "The rate must be more than zero")
    shift = Shift(
        trust_id=trust.id,
        department_id=department_id,
        staff_group=staff_group,
        grade=grade,
        acceptable_grades=[grade, *others],
        required_credentials=list(required_credentials or []),
        start_at=start_at,
        end_at=end_at,
        band=band,
        pence_per_hour=pence_per_hour,
        status=ShiftStatus.OPEN,
        tier=Tier.OWN_BANK,
        urgent=urgent,
        notes=notes,
        posted_by_user_id=actor.id,
        posted_at=now,
    )
    db.session.add(shift)
    db.session.flush()
    record_audit(
        "shift.posted",
        shift,
        actor=actor,
        now=now,
        after={"start_at": start_at.isoformat(), "grade": grade, "pence_per_hour": pence_per_hour},
    )
    return shift


def shift_or_404(shift_id: int) -> Shift:
    shift = db.session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(f"No shift with id {shift_id}.")
    return shift
