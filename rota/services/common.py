"""What every rota service shares: limits, the Trust-scoped look-ups, small checks."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from app.errors import Conflict, ValidationFailed
from app.models import Role, User
from app.services import record_audit
from app.tenancy import Scope, get_scoped, scope_for
from rota.models import Rota, RotaMember, RotaSolveRun, RotaStatus

MAX_WEEKS = 13
MAX_TIME_LIMIT = 300
TRAINEE_GRADES = {"FY1", "FY2", "CT1", "CT2", "ST3", "ST4", "ST5", "ST6", "ST7", "ST8"}
CODE = re.compile(r"[A-Za-z0-9]{1,10}")


def rota_scope(user: User) -> Scope:
    return scope_for(user, [Role.WORKFORCE, Role.ICS_ADMIN])


def rota_for(user: User, rota_id: int) -> Rota:
    """A rota of a Trust the user works for as workforce team (404 otherwise)."""
    return get_scoped(Rota, rota_id, rota_scope(user), what="rota")


def run_for(user: User, run_id: int) -> RotaSolveRun:
    return get_scoped(RotaSolveRun, run_id, rota_scope(user), what="solve run")


def _draft(rota: Rota) -> None:
    if rota.status != RotaStatus.DRAFT:
        raise Conflict("This rota is published: it can no longer be changed.")


def _fail(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationFailed("Some details of the rota are not valid.", errors=errors)


def _audit(action: str, rota: Rota, actor: User | None, now: datetime, **after: Any) -> None:
    record_audit(action, rota, actor=actor, now=now, after=after or None)


def _member(rota: Rota, member_id: int, field: str = "member_id") -> RotaMember:
    member = next((m for m in rota.members if m.id == member_id), None)
    if member is None:
        raise ValidationFailed.on(field, "Choose a member of this rota")
    return member


def _in_period(rota: Rota, day: date) -> bool:
    return rota.starts_on <= day < rota.starts_on + timedelta(days=rota.days)
