"""Taking parts off a draft rota, and deleting a draft rota.

A published rota keeps every part: its staff have been told of it and its gaps are bank shifts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa

from app.errors import Conflict, ValidationFailed
from app.extensions import db
from app.models import User
from rota.models import Rota, RotaCover, RotaGradeGroup, RotaShiftType, RotaSolveRun, RotaStatus
from rota.services.common import _audit, _draft, _member
from rota.services.solving import live_run

Part = TypeVar("Part", RotaShiftType, RotaGradeGroup, RotaCover)


def _one_of(parts: list[Part], part_id: int, field: str, what: str) -> Part:
    """The rota's part with this id, or a 422 naming the field."""
    found = next((p for p in parts if p.id == part_id), None)
    if found is None:
        raise ValidationFailed.on(field, f"Choose one of this rota's {what}")
    return found


def _take_off(parts: list[Any], unwanted: Callable[[Any], bool]) -> int:
    """Remove the unwanted parts from a relationship list; how many went."""
    gone = [p for p in parts if unwanted(p)]
    for part in gone:
        parts.remove(part)
    return len(gone)


def remove_cover(rota: Rota, actor: User, *, cover_id: int, now: datetime) -> Rota:
    """Take a cover line off a draft rota."""
    _draft(rota)
    cover = _one_of(rota.covers, cover_id, "cover_id", "cover lines")
    rota.covers.remove(cover)
    db.session.flush()
    _audit("rota.cover_removed", rota, actor, now, cover_id=cover_id)
    return rota


def remove_member(rota: Rota, actor: User, *, member_id: int, now: datetime) -> Rota:
    """Take a member off a draft rota, with their shifts, leave and requests."""
    _draft(rota)
    member = _member(rota, member_id)
    _take_off(rota.assignments, lambda a: a.member_id == member.id)
    db.session.flush()
    rota.members.remove(member)
    db.session.flush()
    _audit("rota.member_removed", rota, actor, now, member_id=member_id)
    return rota


def remove_shift_type(rota: Rota, actor: User, *, shift_type_id: int, now: datetime) -> Rota:
    """Take a shift type off a draft rota, with its cover lines, the requests that name it
    and the shifts of it already on the rota."""
    _draft(rota)
    st = _one_of(rota.shift_types, shift_type_id, "shift_type_id", "shift types")
    covers = _take_off(rota.covers, lambda c: c.shift_type_id == st.id)
    shifts = _take_off(rota.assignments, lambda a: a.shift_type_id == st.id)
    requests = sum(
        _take_off(member.requests, lambda r: r.shift_type_id == st.id) for member in rota.members
    )
    db.session.flush()
    rota.shift_types.remove(st)
    db.session.flush()
    _audit(
        "rota.shift_type_removed",
        rota,
        actor,
        now,
        code=st.code,
        covers=covers,
        requests=requests,
        shifts=shifts,
    )
    return rota


def remove_grade_group(rota: Rota, actor: User, *, grade_group_id: int, now: datetime) -> Rota:
    """Take a grade group and its cover lines off a draft rota; refused while staff are in it
    or another group needs it on the same shift."""
    _draft(rota)
    group = _one_of(rota.grade_groups, grade_group_id, "grade_group_id", "grade groups")
    members = [m for m in rota.members if m.grade_group_id == group.id]
    if members:
        raise ValidationFailed.on(
            "grade_group_id",
            f"Take the {len(members)} member{'s' if len(members) != 1 else ''} of {group.name} "
            "off the rota first",
        )
    if supervised := [g.name for g in rota.grade_groups if g.supervised_by_id == group.id]:
        raise ValidationFailed.on(
            "grade_group_id",
            f"{', '.join(supervised)} needs {group.name} on the same shift: remove that first",
        )
    covers = _take_off(rota.covers, lambda c: c.grade_group_id == group.id)
    db.session.flush()
    rota.grade_groups.remove(group)
    db.session.flush()
    _audit("rota.grade_group_removed", rota, actor, now, name=group.name, covers=covers)
    return rota


def remove_leave(
    rota: Rota,
    actor: User,
    *,
    member_id: int,
    first_day: date,
    last_day: date | None = None,
    now: datetime,
) -> Rota:
    """Take days of leave (`first_day` to `last_day`, or the one day) off a member."""
    _draft(rota)
    member = _member(rota, member_id)
    last_day = last_day or first_day
    if last_day < first_day:
        raise ValidationFailed.on("last_day", "The last day cannot be before the first")
    days = {
        (first_day + timedelta(days=n)).isoformat() for n in range((last_day - first_day).days + 1)
    }
    taken = sorted(days & set(member.leave))
    if not taken:
        raise ValidationFailed.on("first_day", f"{member.name} has no leave on those days")
    member.leave = [d for d in member.leave if d not in days]
    db.session.flush()
    _audit("rota.leave_removed", rota, actor, now, member_id=member.id, days=taken)
    return rota


def remove_request(rota: Rota, actor: User, *, request_id: int, now: datetime) -> Rota:
    """Take a member's request for or against a shift off a draft rota."""
    _draft(rota)
    for member in rota.members:
        for request in member.requests:
            if request.id == request_id:
                member.requests.remove(request)
                db.session.flush()
                _audit(
                    "rota.request_removed",
                    rota,
                    actor,
                    now,
                    member_id=member.id,
                    on=request.on.isoformat(),
                )
                return rota
    raise ValidationFailed.on("request_id", "Choose one of this rota's requests")


def delete_rota(rota: Rota, actor: User, *, now: datetime) -> None:
    """Delete a draft rota with everything defined on it and its solve runs.

    A published rota cannot be deleted: its staff have been told of it, their shifts count in
    the bank's checks and its gaps are bank shifts. Nor can a rota the solver is building.
    """
    if rota.status != RotaStatus.DRAFT:
        raise Conflict(
            "This rota is published: its staff have been told of it and its gaps posted to "
            "the bank, so it cannot be deleted."
        )
    if live_run(rota, now) is not None:
        raise Conflict("The solver is building this rota: wait for it to finish, then delete it.")
    _audit(
        "rota.deleted",
        rota,
        actor,
        now,
        name=rota.name,
        department_id=rota.department_id,
        starts_on=rota.starts_on.isoformat(),
        weeks=rota.weeks,
    )
    db.session.execute(sa.delete(RotaSolveRun).where(RotaSolveRun.rota_id == rota.id))
    db.session.delete(rota)
    db.session.flush()
