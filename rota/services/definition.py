"""Defining a rota: shift types, grade groups, cover, staff, leave and requests."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from app.errors import ValidationFailed
from app.extensions import db
from app.models import Trust, User, Worker
from app.reference import GRADES, StaffGroup, grade_problem
from rota.models import (
    Rota,
    RotaCover,
    RotaGradeGroup,
    RotaMember,
    RotaRequest,
    RotaShiftType,
    RuleSetCode,
)
from rota.services.common import (
    CODE,
    MAX_WEEKS,
    TRAINEE_GRADES,
    _audit,
    _draft,
    _fail,
    _in_period,
    _member,
)


def create_rota(
    trust: Trust,
    actor: User,
    *,
    department_id: int,
    name: str,
    starts_on: date,
    weeks: int,
    now: datetime,
) -> Rota:
    """A draft rota for a department of the Trust, for whole weeks from a Monday."""
    errors: dict[str, list[str]] = {}
    if not any(d.id == department_id for d in trust.departments):
        errors["department_id"] = [f"Choose one of {trust.name}'s departments"]
    if not name.strip():
        errors["name"] = ["Enter a name for the rota"]
    if starts_on.weekday() != 0:
        errors["starts_on"] = ["A rota starts on a Monday"]
    if not 1 <= weeks <= MAX_WEEKS:
        errors["weeks"] = [f"A rota lasts from 1 to {MAX_WEEKS} weeks"]
    _fail(errors)
    rota = Rota(
        trust_id=trust.id,
        department_id=department_id,
        name=name.strip(),
        starts_on=starts_on,
        weeks=weeks,
        created_by_user_id=actor.id,
        posted_shift_ids=[],
    )
    db.session.add(rota)
    db.session.flush()
    _audit("rota.created", rota, actor, now, name=rota.name, starts_on=starts_on.isoformat())
    return rota


def add_shift_type(
    rota: Rota, actor: User, *, code: str, name: str, starts_at: time, minutes: int, now: datetime
) -> RotaShiftType:
    """A shift type (a day, a long day, a night) with its start time and paid length."""
    _draft(rota)
    errors: dict[str, list[str]] = {}
    if not CODE.fullmatch(code):
        errors["code"] = ["Enter a short code of letters and digits, like LD"]
    elif any(st.code == code for st in rota.shift_types):
        errors["code"] = [f"The rota already has a shift type {code}"]
    if not name.strip():
        errors["name"] = ["Enter a name, like Long day"]
    if not 60 <= minutes <= 24 * 60:
        errors["minutes"] = ["A shift lasts from 1 to 24 hours"]
    _fail(errors)
    st = RotaShiftType(code=code, name=name.strip(), starts_at=starts_at, minutes=minutes)
    rota.shift_types.append(st)
    db.session.flush()
    _audit("rota.shift_type_added", rota, actor, now, code=code)
    return st


def add_grade_group(
    rota: Rota,
    actor: User,
    *,
    name: str,
    staff_group: StaffGroup,
    grades: list[str],
    supervised_by_id: int | None = None,
    now: datetime,
) -> RotaGradeGroup:
    """Grades that cover the same demand; `supervised_by_id` names the group that must be on
    every shift this one works."""
    _draft(rota)
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = ["Enter a name, like Registrar"]
    elif any(g.name == name.strip() for g in rota.grade_groups):
        errors["name"] = [f"The rota already has a group {name.strip()}"]
    if not grades:
        errors["grades"] = ["Choose at least one grade"]
    elif bad := [g for g in grades if grade_problem(staff_group, g)]:
        errors["grades"] = [f"Not {staff_group.label.lower()} grades: {', '.join(bad)}"]
    if supervised_by_id is not None and not any(
        g.id == supervised_by_id for g in rota.grade_groups
    ):
        errors["supervised_by_id"] = ["Choose one of this rota's grade groups"]
    _fail(errors)
    group = RotaGradeGroup(
        name=name.strip(),
        staff_group=staff_group,
        grades=[g for g in GRADES[staff_group] if g in grades],
        supervised_by_id=supervised_by_id,
    )
    rota.grade_groups.append(group)
    db.session.flush()
    _audit("rota.grade_group_added", rota, actor, now, name=group.name)
    return group


def add_cover(
    rota: Rota,
    actor: User,
    *,
    shift_type_id: int,
    grade_group_id: int,
    required: int,
    weekday: int | None = None,
    under_weight: int = 100,
    over_weight: int = 10,
    now: datetime,
) -> RotaCover:
    """People of a grade group a shift type needs, every day or on one weekday."""
    _draft(rota)
    errors: dict[str, list[str]] = {}
    if not any(st.id == shift_type_id for st in rota.shift_types):
        errors["shift_type_id"] = ["Choose one of this rota's shift types"]
    if not any(g.id == grade_group_id for g in rota.grade_groups):
        errors["grade_group_id"] = ["Choose one of this rota's grade groups"]
    if not 0 <= required <= 50:
        errors["required"] = ["Enter a number of people from 0 to 50"]
    if weekday is not None and not 0 <= weekday <= 6:
        errors["weekday"] = ["Choose a day of the week"]
    if under_weight < 0 or over_weight < 0:
        errors["under_weight"] = ["Weights cannot be negative"]
    if not errors and any(
        c.shift_type_id == shift_type_id
        and c.grade_group_id == grade_group_id
        and c.weekday == weekday
        for c in rota.covers
    ):
        errors["required"] = ["This shift type already has cover for that group and day"]
    _fail(errors)
    cover = RotaCover(
        shift_type_id=shift_type_id,
        grade_group_id=grade_group_id,
        required=required,
        weekday=weekday,
        under_weight=under_weight,
        over_weight=over_weight,
    )
    rota.covers.append(cover)
    db.session.flush()
    _audit("rota.cover_added", rota, actor, now, shift_type_id=shift_type_id, required=required)
    return cover


def rule_set_code_for(worker: Worker) -> RuleSetCode:
    """Doctors in training work under the 2016 TCS; everyone else under the WTR."""
    if worker.staff_group == StaffGroup.MEDICAL and worker.grade in TRAINEE_GRADES:
        return RuleSetCode.DOCTOR_IN_TRAINING
    return RuleSetCode.WTR


def add_member(
    rota: Rota,
    actor: User,
    *,
    worker_id: int,
    grade_group_id: int,
    contracted_hours: float,
    now: datetime,
) -> RotaMember:
    """A substantive member of the Trust's staff, in the grade group of their grade."""
    _draft(rota)
    errors: dict[str, list[str]] = {}
    worker = db.session.get(Worker, worker_id)
    group = next((g for g in rota.grade_groups if g.id == grade_group_id), None)
    if worker is None or worker.primary_trust_id != rota.trust_id:
        errors["worker_id"] = ["Choose a member of the Trust's staff"]
    elif any(m.worker_id == worker_id for m in rota.members):
        errors["worker_id"] = [f"{worker.name} is already on this rota"]
    if group is None:
        errors["grade_group_id"] = ["Choose one of this rota's grade groups"]
    elif worker is not None and "worker_id" not in errors and worker.grade not in group.grades:
        errors["grade_group_id"] = [
            f"{worker.name} is {worker.grade}, not a grade of {group.name} "
            f"({', '.join(group.grades)})"
        ]
    if not 0 < contracted_hours <= 56:
        errors["contracted_hours"] = ["Enter contracted hours a week from 1 to 56"]
    _fail(errors)
    assert worker is not None
    member = RotaMember(
        worker_id=worker.id,
        grade_group_id=grade_group_id,
        contracted_minutes_per_week=round(contracted_hours * 60),
        rule_set=rule_set_code_for(worker),
        leave=[],
    )
    rota.members.append(member)
    db.session.flush()
    _audit("rota.member_added", rota, actor, now, worker_id=worker.id)
    return member


def add_leave(
    rota: Rota, actor: User, *, member_id: int, first_day: date, last_day: date, now: datetime
) -> RotaMember:
    """Days of leave (the member works none of them)."""
    _draft(rota)
    member = _member(rota, member_id)
    errors: dict[str, list[str]] = {}
    if not _in_period(rota, first_day):
        errors["first_day"] = ["Leave must start within the rota's weeks"]
    if last_day < first_day:
        errors["last_day"] = ["Leave cannot end before it starts"]
    _fail(errors)
    days = set(member.leave)
    day = first_day
    while day <= last_day and _in_period(rota, day):
        days.add(day.isoformat())
        day += timedelta(days=1)
    member.leave = sorted(days)
    db.session.flush()
    _audit("rota.leave_added", rota, actor, now, member_id=member.id, first=first_day.isoformat())
    return member


def add_request(
    rota: Rota,
    actor: User,
    *,
    member_id: int,
    on: date,
    shift_type_id: int,
    wants: bool,
    weight: int = 5,
    now: datetime,
) -> RotaRequest:
    """A member's request for (wants) or against a shift on a day, with how much it matters."""
    _draft(rota)
    member = _member(rota, member_id)
    errors: dict[str, list[str]] = {}
    if not _in_period(rota, on):
        errors["on"] = ["Choose a day within the rota's weeks"]
    if not any(st.id == shift_type_id for st in rota.shift_types):
        errors["shift_type_id"] = ["Choose one of this rota's shift types"]
    if not 1 <= weight <= 100:
        errors["weight"] = ["Enter a weight from 1 to 100"]
    _fail(errors)
    request = RotaRequest(on=on, shift_type_id=shift_type_id, wants=wants, weight=weight)
    member.requests.append(request)
    db.session.flush()
    _audit("rota.request_added", rota, actor, now, member_id=member.id, on=on.isoformat())
    return request


def define_rota(trust: Trust, actor: User, data: dict[str, Any], *, now: datetime) -> Rota:
    """A whole rota in one go: shift types and grade groups by code and name, cover, members
    with leave and requests. Errors name the field's path (``members.0.worker_id``)."""
    rota = create_rota(
        trust,
        actor,
        department_id=data["department_id"],
        name=data["name"],
        starts_on=data["starts_on"],
        weeks=data["weeks"],
        now=now,
    )

    def each(key: str, items: list[dict[str, Any]], add) -> None:
        for i, item in enumerate(items):
            try:
                add(item)
            except ValidationFailed as error:
                raise ValidationFailed(
                    error.detail, errors={f"{key}.{i}.{f}": m for f, m in error.errors.items()}
                ) from error

    types: dict[str, int] = {}
    groups: dict[str, int] = {}

    def ref(table: dict[str, int], value: str, field: str) -> int:
        if value not in table:
            raise ValidationFailed.on(field, f"No {value!r} defined on this rota")
        return table[value]

    def shift_type(item: dict[str, Any]) -> None:
        st = add_shift_type(rota, actor, now=now, **item)
        types[st.code] = st.id

    def group(item: dict[str, Any]) -> None:
        senior = item.get("supervised_by")
        made = add_grade_group(
            rota,
            actor,
            name=item["name"],
            staff_group=item["staff_group"],
            grades=item["grades"],
            supervised_by_id=ref(groups, senior, "supervised_by") if senior else None,
            now=now,
        )
        groups[made.name] = made.id

    def cover(item: dict[str, Any]) -> None:
        add_cover(
            rota,
            actor,
            shift_type_id=ref(types, item["shift_type"], "shift_type"),
            grade_group_id=ref(groups, item["grade_group"], "grade_group"),
            required=item["required"],
            weekday=item.get("weekday"),
            under_weight=item.get("under_weight", 100),
            over_weight=item.get("over_weight", 10),
            now=now,
        )

    def member(item: dict[str, Any]) -> None:
        made = add_member(
            rota,
            actor,
            worker_id=item["worker_id"],
            grade_group_id=ref(groups, item["grade_group"], "grade_group"),
            contracted_hours=item["contracted_hours"],
            now=now,
        )
        for i, leave in enumerate(item.get("leave", [])):
            try:
                add_leave(rota, actor, member_id=made.id, now=now, **leave)
            except ValidationFailed as error:
                raise ValidationFailed(
                    error.detail, errors={f"leave.{i}.{f}": m for f, m in error.errors.items()}
                ) from error
        for i, wish in enumerate(item.get("requests", [])):
            try:
                add_request(
                    rota,
                    actor,
                    member_id=made.id,
                    on=wish["on"],
                    shift_type_id=ref(types, wish["shift_type"], "shift_type"),
                    wants=wish["wants"],
                    weight=wish.get("weight", 5),
                    now=now,
                )
            except ValidationFailed as error:
                raise ValidationFailed(
                    error.detail, errors={f"requests.{i}.{f}": m for f, m in error.errors.items()}
                ) from error

    each("shift_types", data.get("shift_types", []), shift_type)
    each("grade_groups", data.get("grade_groups", []), group)
    each("covers", data.get("covers", []), cover)
    each("members", data.get("members", []), member)
    return rota
