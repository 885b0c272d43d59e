"""Reading a rota into the builder's terms, reviewing a roster, and editing it by hand."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from app.errors import ValidationFailed
from app.extensions import db
from app.models import User
from bank.models import Booking, BookingStatus, DeclaredCommitment, Shift
from bank.rules import RULE_SETS, Commitment
from bank.services.shifts import band_for, rate_for
from rota.builder import (
    Cells,
    CoverSpec,
    Finding,
    GroupSpec,
    MemberSpec,
    RequestSpec,
    RotaSpec,
    ShiftTypeSpec,
    build_problem,
    hours_target,
    required_cover,
    roster_from_cells,
    shift_times,
    verify,
)
from rota.models import Rota, RotaAssignment, RotaMember, RotaStatus
from rota.services.common import _audit, _draft, _fail, _in_period, _member
from rota.solver import roster_penalties


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
