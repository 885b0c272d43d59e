"""Rota operations: define a department's rota, solve it, review and edit it, publish it.

Services flush and never commit; the entry point wraps each call in `app.db.transaction()`.
The one exception is `run_solve`, the body of a solve run, which is itself an entry point
(it runs outside any request) and commits its progress as it goes.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from app.db import transaction, utcnow
from app.errors import Conflict, ValidationFailed
from app.extensions import db
from app.models import Role, Trust, User, Worker
from app.notifications import notify
from app.reference import GRADES, StaffGroup, grade_problem
from app.services import record_audit
from app.tenancy import Scope, get_scoped, scope_for
from bank.models import Booking, BookingStatus, DeclaredCommitment, Shift
from bank.rules import RULE_SETS, Commitment
from bank.services.shifts import band_for, post_shift, rate_for
from rota.builder import (
    Cells,
    CoverSpec,
    Finding,
    GroupSpec,
    MemberSpec,
    Proposal,
    RequestSpec,
    RotaSpec,
    ShiftTypeSpec,
    build_problem,
    hours_target,
    required_cover,
    roster_from_cells,
    shift_times,
    solve_verified,
    verify,
)
from rota.models import (
    Rota,
    RotaAssignment,
    RotaCover,
    RotaGradeGroup,
    RotaMember,
    RotaRequest,
    RotaShiftType,
    RotaSolveRun,
    RotaStatus,
    RuleSetCode,
    SolveRunStatus,
)
from rota.solver import roster_penalties

log = logging.getLogger(__name__)

MAX_WEEKS = 13
MAX_TIME_LIMIT = 300
STALE_AFTER = 120  # seconds past its time limit after which an unfinished run is dead
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


# Defining -------------------------------------------------------------------------------


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


def _member(rota: Rota, member_id: int, field: str = "member_id") -> RotaMember:
    member = next((m for m in rota.members if m.id == member_id), None)
    if member is None:
        raise ValidationFailed.on(field, "Choose a member of this rota")
    return member


def _in_period(rota: Rota, day: date) -> bool:
    return rota.starts_on <= day < rota.starts_on + timedelta(days=rota.days)


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


def remove_cover(rota: Rota, actor: User, *, cover_id: int, now: datetime) -> Rota:
    """Take a cover line off a draft rota."""
    _draft(rota)
    cover = next((c for c in rota.covers if c.id == cover_id), None)
    if cover is None:
        raise ValidationFailed.on("cover_id", "Choose one of this rota's cover lines")
    rota.covers.remove(cover)
    db.session.flush()
    _audit("rota.cover_removed", rota, actor, now, cover_id=cover_id)
    return rota


def remove_member(rota: Rota, actor: User, *, member_id: int, now: datetime) -> Rota:
    """Take a member off a draft rota, with their shifts, leave and requests."""
    _draft(rota)
    member = _member(rota, member_id)
    for assignment in [a for a in rota.assignments if a.member_id == member.id]:
        rota.assignments.remove(assignment)
    db.session.flush()
    rota.members.remove(member)
    db.session.flush()
    _audit("rota.member_removed", rota, actor, now, member_id=member_id)
    return rota


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


# Reading a rota into the engine's terms ---------------------------------------------------


def _declared_as(rota: Rota) -> str:
    """How a published rota's shifts are described among the workers' declared rota work."""
    return f"Rota #{rota.id}: {rota.name}"


def _other_work(
    rota: Rota, worker_id: int, start: datetime, end: datetime
) -> tuple[Commitment, ...]:
    """The worker's other work around the rota, at every Trust: active bank bookings and
    declared substantive rota shifts (other published rotas included, not this one)."""
    rows = db.session.execute(
        sa.select(Shift.id, Shift.start_at, Shift.end_at, Shift.trust_id)
        .join(Booking, Booking.shift_id == Shift.id)
        .where(
            Booking.worker_id == worker_id,
            Booking.status == BookingStatus.ACTIVE,
            Shift.end_at > start,
            Shift.start_at < end,
        )
    ).all()
    found = [Commitment(f"bank:{r.id}", r.start_at, r.end_at, r.trust_id) for r in rows]
    declared = db.session.scalars(
        sa.select(DeclaredCommitment).where(
            DeclaredCommitment.worker_id == worker_id,
            DeclaredCommitment.end_at > start,
            DeclaredCommitment.start_at < end,
            sa.not_(DeclaredCommitment.description.startswith(_declared_as(rota), autoescape=True)),
        )
    )
    found += [
        Commitment(f"declared:{d.id}", d.start_at, d.end_at, d.trust_id, "rota") for d in declared
    ]
    return tuple(found)


def spec_from_rota(rota: Rota) -> RotaSpec:
    """The rota as the builder's plain data."""
    start = datetime.combine(rota.starts_on, time(0), UTC) - timedelta(days=28)
    end = start + timedelta(days=rota.days + 56)
    return RotaSpec(
        starts_on=rota.starts_on,
        weeks=rota.weeks,
        shift_types=tuple(
            ShiftTypeSpec(st.id, st.code, st.name, st.starts_at, st.minutes)
            for st in rota.shift_types
        ),
        groups=tuple(
            GroupSpec(g.id, g.name, g.supervised_by_id, g.staff_group.value, tuple(g.grades))
            for g in rota.grade_groups
        ),
        covers=tuple(
            CoverSpec(
                c.shift_type_id,
                c.grade_group_id,
                c.required,
                c.weekday,
                c.under_weight,
                c.over_weight,
            )
            for c in rota.covers
        ),
        members=tuple(
            MemberSpec(
                id=m.id,
                name=m.name,
                group=m.grade_group_id,
                contracted_minutes_per_week=m.contracted_minutes_per_week,
                rule_set=RULE_SETS[m.rule_set.value],
                leave=frozenset(date.fromisoformat(d) for d in m.leave),
                requests=tuple(
                    RequestSpec(r.on, r.shift_type_id, r.wants, r.weight) for r in m.requests
                ),
                other_commitments=_other_work(rota, m.worker_id, start, end),
            )
            for m in rota.members
        ),
    )


def current_cells(rota: Rota, spec: RotaSpec) -> Cells:
    return {(a.member_id, spec.day_index(a.on)): a.shift_type_id for a in rota.assignments}


# Review ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PenaltyLine:
    """A broken soft preference or a cover line missed, and its cost."""

    kind: str
    on: date
    shift_type: str
    grade_group: str
    member: str | None
    amount: int
    cost: int


@dataclass(frozen=True)
class Shortfall:
    on: date
    shift_type_id: int
    shift_type: str
    grade_group_id: int
    grade_group: str
    short: int
    grade: str  # the grade the bank shift is posted at (the group's first)
    band: str  # core or unsocial, by when the shift falls
    pence_per_hour: int | None  # from the Trust's rate card; None: it has no such rate


@dataclass(frozen=True)
class Review:
    """A rota's roster and everything a workforce team needs to judge it."""

    rota: Rota
    days: list[date]
    grid: list[tuple[RotaMember, list[str]]]  # shift codes per day ("" off, "L" leave)
    hours: dict[int, tuple[float, float]]  # member id -> (hours rostered, contracted less leave)
    objective: int
    penalties: list[PenaltyLine]
    shortfalls: list[Shortfall]
    breaches: list[Finding]

    @property
    def publishable(self) -> bool:
        return not self.breaches and self.rota.status == RotaStatus.DRAFT


def review_cells(rota: Rota, spec: RotaSpec, cells: Cells) -> Review:
    """Penalties (the engine's, named), cover shortfalls and hard-rule breaches of a roster."""
    reduction = build_problem(spec)
    types = {st.id: st for st in rota.shift_types}
    groups = {g.id: g for g in rota.grade_groups}
    members = {m.id: m for m in rota.members}
    penalties = []
    for p in roster_penalties(reduction.problem, roster_from_cells(spec, reduction, cells)):
        st_id, group_id = reduction.types[p.shift]
        who = members[reduction.members[p.employee]].name if p.employee else None
        penalties.append(
            PenaltyLine(
                p.kind,
                spec.date_of(p.day),
                types[st_id].name,
                groups[group_id].name,
                who,
                p.amount,
                p.cost,
            )
        )
    have = Counter(
        (day, st_id, members[member].grade_group_id) for (member, day), st_id in cells.items()
    )
    prices: dict[tuple[int, int, int], tuple[str, str, int | None]] = {}

    def price(day: int, st_id: int, group_id: int) -> tuple[str, str, int | None]:
        """How publishing would post this gap: grade, band and rate (bands by weekday)."""
        key = (day % 7, st_id, group_id)
        if key not in prices:
            start, end = shift_times(spec, spec_types[st_id], day)
            grade = groups[group_id].grades[0]
            band = band_for(start, end)
            prices[key] = (grade, band.value, rate_for(rota.trust_id, grade, band))
        return prices[key]

    spec_types = {st.id: st for st in spec.shift_types}
    shortfalls = [
        Shortfall(
            spec.date_of(day),
            st_id,
            types[st_id].name,
            group_id,
            groups[group_id].name,
            line.required - have[day, st_id, group_id],
            *price(day, st_id, group_id),
        )
        for (day, st_id, group_id), line in sorted(required_cover(spec).items())
        if line.required > have[day, st_id, group_id]
    ]
    grid = []
    for member in rota.members:
        leave = set(member.leave)
        row = []
        for day in range(spec.days):
            st_id = cells.get((member.id, day))
            if st_id is not None:
                row.append(types[st_id].code)
            else:
                row.append("L" if spec.date_of(day).isoformat() in leave else "")
        grid.append((member, row))
    return Review(
        rota=rota,
        days=[spec.date_of(d) for d in range(spec.days)],
        grid=grid,
        hours={
            m.id: (
                sum(types[t].minutes for (mid, _), t in cells.items() if mid == m.id) / 60,
                hours_target(m, spec) / 60,
            )
            for m in spec.members
        },
        objective=sum(p.cost for p in penalties),
        penalties=penalties,
        shortfalls=shortfalls,
        breaches=verify(spec, cells),
    )


def review(rota: Rota) -> Review:
    spec = spec_from_rota(rota)
    return review_cells(rota, spec, current_cells(rota, spec))


# Editing by hand ------------------------------------------------------------------------


def edit_assignment(
    rota: Rota,
    actor: User,
    *,
    member_id: int,
    on: date,
    shift_type_id: int | None,
    from_member_id: int | None = None,
    from_on: date | None = None,
    now: datetime,
) -> Review:
    """Assign, unassign or move a shift, refusing any edit that breaks a hard rule.

    With `from_member_id` and `from_on`, the shift there moves to (`member_id`, `on`); the
    shift type moved is the one at the source unless `shift_type_id` is given.
    """
    _draft(rota)
    spec = spec_from_rota(rota)
    cells = current_cells(rota, spec)
    member = _member(rota, member_id)
    errors: dict[str, list[str]] = {}
    if not _in_period(rota, on):
        errors["on"] = ["Choose a day within the rota's weeks"]
    if shift_type_id is not None and not any(st.id == shift_type_id for st in rota.shift_types):
        errors["shift_type_id"] = ["Choose one of this rota's shift types"]
    _fail(errors)
    after = dict(cells)
    if from_member_id is not None or from_on is not None:
        source = _member(rota, from_member_id or member_id, "from_member_id")
        key = (source.id, spec.day_index(from_on or on))
        if key not in after:
            raise ValidationFailed.on("from_on", f"{source.name} has no shift that day to move")
        moved = after.pop(key)
        shift_type_id = shift_type_id or moved
    target = (member.id, spec.day_index(on))
    if shift_type_id is None:
        after.pop(target, None)
    else:
        after[target] = shift_type_id
    new = _made_worse(verify(spec, cells), verify(spec, after), target, shift_type_id)
    if new:
        raise ValidationFailed(
            "This change would break a safe-working rule.",
            errors={"shift_type_id": [f.message for f in new]},
        )
    _write_cells(rota, spec, after)
    _audit(
        "rota.edited",
        rota,
        actor,
        now,
        member_id=member.id,
        on=on.isoformat(),
        shift_type_id=shift_type_id,
        moved_from=[from_member_id, from_on.isoformat() if from_on else None]
        if from_member_id or from_on
        else None,
    )
    return review_cells(rota, spec, after)


def _made_worse(
    before: list[Finding], after: list[Finding], target: tuple[int, int], assigned: int | None
) -> list[Finding]:
    """The breaches an edit causes: any the new shift takes part in, anyone left without
    supervision, and a rule a member did not break before. A breach the edit only changes
    (a run of six nights cut to five) is not refused, so a rota can be mended a step at a time.
    """
    known = {(f.rule, f.message) for f in before}
    broken = {(f.rule, f.member_id) for f in before}
    return [
        f
        for f in after
        if (f.rule, f.message) not in known
        and (
            (assigned is not None and f.involves(*target))
            or f.rule == "supervision"
            or (f.rule, f.member_id) not in broken
        )
    ]


def _write_cells(rota: Rota, spec: RotaSpec, cells: Cells) -> None:
    """Make the rota's assignments exactly `cells`, touching only what changed."""
    current = {(a.member_id, spec.day_index(a.on)): a for a in rota.assignments}
    for key, assignment in current.items():
        if key not in cells:
            rota.assignments.remove(assignment)
        elif cells[key] != assignment.shift_type_id:
            assignment.shift_type_id = cells[key]
    db.session.flush()
    for (member_id, day), st_id in sorted(cells.items()):
        if (member_id, day) not in current:
            rota.assignments.append(
                RotaAssignment(member_id=member_id, on=spec.date_of(day), shift_type_id=st_id)
            )
    db.session.flush()


# Solving --------------------------------------------------------------------------------


def start_solve(
    rota: Rota, actor: User, *, time_limit: int, seed: int = 0, now: datetime
) -> RotaSolveRun:
    """A queued solve run; the entry point commits it, then calls `launch` (or `run_solve`)."""
    _draft(rota)
    errors: dict[str, list[str]] = {}
    if not 1 <= time_limit <= MAX_TIME_LIMIT:
        errors["time_limit"] = [f"Give the solver from 1 to {MAX_TIME_LIMIT} seconds"]
    if not rota.members:
        errors["time_limit"] = ["Add staff to the rota before building it"]
    if not rota.shift_types:
        errors["time_limit"] = ["Add shift types to the rota before building it"]
    _fail(errors)
    unfinished = db.session.scalars(
        sa.select(RotaSolveRun).where(
            RotaSolveRun.rota_id == rota.id,
            RotaSolveRun.status.in_([SolveRunStatus.QUEUED, SolveRunStatus.RUNNING]),
        )
    ).all()
    # A run past its time limit by a wide margin died with its process: it holds nothing.
    if any(r.created_at + timedelta(seconds=r.time_limit + STALE_AFTER) > now for r in unfinished):
        raise Conflict("The solver is already building this rota.")
    run = RotaSolveRun(
        rota_id=rota.id,
        trust_id=rota.trust_id,
        time_limit=time_limit,
        seed=seed,
        created_at=now,
        created_by_user_id=actor.id,
        progress=[],
    )
    db.session.add(run)
    db.session.flush()
    _audit("rota.solve_started", rota, actor, now, run_id=run.id, time_limit=time_limit)
    return run


def launch(app: Flask, run_id: int) -> threading.Thread:
    """Run a solve in a background thread with its own app context.

    A thread is acceptable here: CP-SAT releases the GIL while it searches, the run is bounded
    by its time limit (at most five minutes), and everything it produces is in the
    `rota_solve_runs` row, so the page needs nothing from the thread but that row. A run lost
    with its web process stays "running"; production runs solves in the scheduler/worker
    process instead (`flask scheduler run`, which claims jobs in the database), so web
    workers never hold a solver and a restart cannot lose one.
    """
    thread = threading.Thread(
        target=_run_in_context, args=(app, run_id), name=f"rota-solve-{run_id}", daemon=True
    )
    thread.start()
    return thread


def _run_in_context(app: Flask, run_id: int) -> None:
    with app.app_context():
        run_solve(run_id)


def run_solve(run_id: int) -> RotaSolveRun:
    """The body of a solve run: solve, verify and repair, recording progress and the best
    roster so far as it goes; write the final roster to the rota in one transaction."""
    with transaction():
        run = db.session.get(RotaSolveRun, run_id)
        run.status = SolveRunStatus.RUNNING
        run.started_at = utcnow()
        rota = run.rota
        spec = spec_from_rota(rota)
    workers = current_app.config.get("ROTA_SOLVER_WORKERS", 2)

    def progress(line: str) -> None:
        with transaction():
            run.progress = [*run.progress, line][-200:]
            if (match := re.search(r"cost (\d+)", line)) and (
                run.best_objective is None or int(match.group(1)) < run.best_objective
            ):
                run.best_objective = int(match.group(1))

    def better(proposal: Proposal) -> None:
        with transaction():
            run.roster = _roster_json(proposal)
            run.best_objective = proposal.result.objective
            run.bound = proposal.result.bound
            run.solver_status = proposal.result.status.value

    try:
        proposal = solve_verified(
            spec,
            time_limit=run.time_limit,
            seed=run.seed,
            workers=workers,
            log=progress,
            on_roster=better,
        )
        with transaction():
            run.solver_status = proposal.result.status.value
            run.bound = proposal.result.bound
            run.finished_at = utcnow()
            run.status = SolveRunStatus.DONE
            if proposal.cells is None:
                run.error = (
                    "The solver found no rota keeping every hard rule: check contracted hours, "
                    "leave and shift times."
                    if proposal.result.status.value == "INFEASIBLE"
                    else "The solver found no rota in the time given: give it longer."
                )
            elif rota.status == RotaStatus.DRAFT:
                _write_cells(rota, spec, proposal.cells)
                run.best_objective = proposal.result.objective
                _audit(
                    "rota.solved",
                    rota,
                    db.session.get(User, run.created_by_user_id)
                    if run.created_by_user_id
                    else None,
                    run.finished_at,
                    run_id=run.id,
                    objective=proposal.result.objective,
                    breaches=len(proposal.findings),
                )
    except Exception as error:  # a run must end in the row, whatever went wrong
        log.exception("rota solve run %s failed", run_id)
        db.session.rollback()
        with transaction():
            run = db.session.get(RotaSolveRun, run_id)
            run.status = SolveRunStatus.FAILED
            run.error = f"The solver stopped: {type(error).__name__}"
            run.finished_at = utcnow()
    return run


def _roster_json(proposal: Proposal) -> dict[str, Any]:
    days = proposal.reduction.problem.days
    cells = proposal.cells or {}
    return {
        str(member): [cells.get((member, day)) for day in range(days)]
        for member in proposal.reduction.members.values()
    }


def run_review(run: RotaSolveRun) -> Review | None:
    """The review of a run's best roster so far (None before it has one)."""
    if not run.roster:
        return None
    rota = run.rota
    spec = spec_from_rota(rota)
    cells = {
        (int(member), day): st_id
        for member, row in run.roster.items()
        for day, st_id in enumerate(row)
        if st_id is not None and any(m.id == int(member) for m in rota.members)
    }
    return review_cells(rota, spec, cells)


# Publishing -----------------------------------------------------------------------------


def publish_rota(rota: Rota, actor: User, *, now: datetime) -> list[Shift]:
    """Publish: refuse while a hard rule is broken; tell every member; post each unfilled
    cover requirement to the Trust's bank, priced from its rate card. Returns the new shifts.
    """
    _draft(rota)
    result = review(rota)
    if result.breaches:
        raise Conflict(
            "The rota breaks safe-working rules: fix them before publishing.",
            errors={"rota": [f.message for f in result.breaches]},
        )
    if not rota.assignments and not result.shortfalls:
        raise ValidationFailed.on("rota", "The rota has no shifts to publish")
    trust = db.session.get(Trust, rota.trust_id)
    spec = spec_from_rota(rota)
    types = {st.id: st for st in rota.shift_types}
    groups = {g.id: g for g in rota.grade_groups}
    posted: list[Shift] = []
    for gap in result.shortfalls:
        st, group = types[gap.shift_type_id], groups[gap.grade_group_id]
        start, end = shift_times(
            spec,
            ShiftTypeSpec(st.id, st.code, st.name, st.starts_at, st.minutes),
            spec.day_index(gap.on),
        )
        if start <= now:
            continue  # a gap already started cannot be offered to the bank
        for _ in range(gap.short):
            try:
                shift = post_shift(
                    trust,
                    actor,
                    department_id=rota.department_id,
                    staff_group=group.staff_group,
                    grade=group.grades[0],
                    acceptable_grades=list(group.grades),
                    start_at=start,
                    end_at=end,
                    now=now,
                    notes=f"Unfilled on the rota {rota.name}: {st.name}, {group.name}",
                )
            except ValidationFailed as error:
                if "pence_per_hour" in error.errors:
                    raise ValidationFailed(
                        error.detail, errors={"rate_card": error.errors["pence_per_hour"]}
                    ) from error
                raise
            posted.append(shift)
    # The rota's shifts join each member's declared rota work, which the bank's booking checks
    # count (bank.services.booking): a bank shift can then never break rest against the rota.
    # bank offers no service to declare on someone's behalf (it asks the worker to be the
    # actor), so the rows are written here, described so this rota can leave them out.
    for assignment in rota.assignments:
        st = types[assignment.shift_type_id]
        start, end = shift_times(
            spec,
            ShiftTypeSpec(st.id, st.code, st.name, st.starts_at, st.minutes),
            spec.day_index(assignment.on),
        )
        db.session.add(
            DeclaredCommitment(
                worker_id=assignment.member.worker_id,
                trust_id=rota.trust_id,
                start_at=start,
                end_at=end,
                description=f"{_declared_as(rota)} ({st.name})"[:200],
            )
        )
    counts = Counter(a.member_id for a in rota.assignments)
    for member in rota.members:
        notify(
            member.worker.user,
            "rota_published",
            f"Your rota is published: {rota.department.name} from {rota.starts_on:%d %b %Y}",
            now=now,
            body=(
                f"You have {counts[member.id]} shifts on the rota {rota.name} "
                f"({rota.weeks} weeks from {rota.starts_on:%A %d %B %Y}). They count toward "
                "your rest and hours limits when you book bank shifts."
            ),
            link="/my-rota",
        )
    rota.status = RotaStatus.PUBLISHED
    rota.published_at = now
    rota.published_by_user_id = actor.id
    rota.posted_shift_ids = [s.id for s in posted]
    db.session.flush()
    _audit(
        "rota.published",
        rota,
        actor,
        now,
        assignments=len(rota.assignments),
        bank_shifts=len(posted),
    )
    return posted
