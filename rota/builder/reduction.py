"""The reduction of a rota to the engine's problem, and rosters back to rota cells."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bank.rules import RuleSet
from rota.builder.spec import (
    DAY_MINUTES,
    GUARD_WEIGHT,
    LONDON,
    WTR_MAX_CONSECUTIVE,
    Cells,
    CoverSpec,
    MemberSpec,
    RotaSpec,
    ShiftTypeSpec,
    engine_employee,
    engine_type,
)
from rota.solver import Cover, Employee, Problem, Request, Roster, ShiftType


@dataclass(frozen=True)
class Reduction:
    """The engine problem of a rota and the way back from engine ids to the rota's rows."""

    problem: Problem
    types: Mapping[str, tuple[int, int]]  # engine type id -> (shift type id, group id)
    members: Mapping[str, int]  # engine employee id -> member id


def rest_minutes(first: ShiftTypeSpec, second: ShiftTypeSpec) -> int:
    """Clock minutes from the end of `first` on one day to the start of `second` the next day."""
    return DAY_MINUTES + second.start_minute() - (first.start_minute() + first.minutes)


def is_night(st: ShiftTypeSpec) -> bool:
    """At least 3 h between 23:00 and 06:00 by the clock (the TCS definition of a night)."""
    start, end = st.start_minute(), st.start_minute() + st.minutes
    night = sum(
        max(0, min(end, hi) - max(start, lo))
        for lo, hi in ((-60, 360), (23 * 60, 30 * 60), (47 * 60, 54 * 60))
    )
    return night >= 180


def required_cover(spec: RotaSpec) -> dict[tuple[int, int, int], CoverSpec]:
    """The cover line for each (day, shift type, group), supervision included."""
    by_key: dict[tuple[int, int, int | None], CoverSpec] = {
        (c.shift_type, c.group, c.weekday): c for c in spec.covers
    }
    lines: dict[tuple[int, int, int], CoverSpec] = {}
    for day in range(spec.days):
        for st in spec.shift_types:
            for group in spec.groups:
                line = by_key.get((st.id, group.id, day % 7)) or by_key.get((st.id, group.id, None))
                if line is not None:
                    lines[day, st.id, group.id] = line
    # A supervised group's shift needs one of its supervisors on the same shift.
    for (day, st_id, group_id), line in list(lines.items()):
        group = next(g for g in spec.groups if g.id == group_id)
        if group.supervised_by is None or line.required <= 0:
            continue
        key = (day, st_id, group.supervised_by)
        senior = lines.get(key)
        if senior is None or senior.required < 1:
            base = senior or CoverSpec(st_id, group.supervised_by, 0)
            lines[key] = CoverSpec(
                st_id, group.supervised_by, 1, base.weekday, base.under_weight, base.over_weight
            )
    return lines


def is_long(st: ShiftTypeSpec, rules: RuleSet) -> bool:
    return st.minutes * 60 > rules.definitions.long_shift_over.total_seconds()


def too_long(st: ShiftTypeSpec, rules: RuleSet) -> bool:
    """Longer than one shift may be (13 h for doctors in training)."""
    return rules.max_shift is not None and st.minutes * 60 > rules.max_shift.total_seconds()


def is_long_evening(st: ShiftTypeSpec, rules: RuleSet) -> bool:
    """A long shift ending after 23:00 (by the clock) that is not a night."""
    late = rules.definitions.long_evening_ends_after
    ends = st.start_minute() + st.minutes
    return (
        is_long(st, rules)
        and not is_night(st)
        and (ends > DAY_MINUTES or ends > late.hour * 60 + late.minute)
    )


def longest_run(rules: RuleSet, spec: RotaSpec) -> int:
    """Most working days in a row the engine allows: the tightest run limit that applies to
    the rota's shift types, one day short of a limit whose reaching asks for 48 h of rest
    (two days off after a night give only 47 h 30 min), so that rest is never needed."""
    limits = [rules.consecutive_shifts]
    if any(is_long(st, rules) for st in spec.shift_types):
        limits.append(rules.consecutive_long_shifts)
    if any(is_long_evening(st, rules) for st in spec.shift_types):
        limits.append(rules.consecutive_long_evenings)
    if any(is_night(st) for st in spec.shift_types):
        limits.append(rules.consecutive_nights)
    runs = [
        limit.max_run - (1 if limit.rest_after_run_of >= limit.max_run else 0)
        for limit in limits
        if limit is not None
    ]
    if runs:
        return min(runs)
    # The WTR has no run limit but 24 h rest a week (reg. 11).
    return WTR_MAX_CONSECUTIVE if rules.weekly_rest is not None else spec.days


def hours_target(member: MemberSpec, spec: RotaSpec) -> int:
    """Contracted minutes over the rota, less a fifth of a week per weekday of leave."""
    weekday_leave = sum(
        1 for day in member.leave if 0 <= spec.day_index(day) < spec.days and day.weekday() < 5
    )
    per_week = member.contracted_minutes_per_week
    return max(0, per_week * spec.weeks - weekday_leave * per_week // 5)


def build_problem(
    spec: RotaSpec, extra_days_off: Mapping[int, Iterable[int]] | None = None
) -> Reduction:
    """Reduce a rota to the engine's problem.

    Args:
        spec: The rota.
        extra_days_off: Days (indices) to keep members off beyond their leave, by member id:
            how `solve_verified` repairs breaches the engine cannot express.

    Returns:
        The problem and the maps from engine ids back to the rota's ids.
    """
    extra_days_off = extra_days_off or {}
    min_rest = max(
        (
            int(m.rule_set.min_rest.total_seconds() // 60)
            for m in spec.members
            if m.rule_set.min_rest is not None
        ),
        default=0,
    )
    types: dict[str, tuple[int, int]] = {}
    shifts: list[ShiftType] = []
    for group in spec.groups:
        for st in spec.shift_types:
            forbidden = frozenset(
                engine_type(nxt.id, group.id)
                for nxt in spec.shift_types
                if rest_minutes(st, nxt) < min_rest
            )
            eid = engine_type(st.id, group.id)
            types[eid] = (st.id, group.id)
            shifts.append(ShiftType(eid, st.minutes, forbidden))

    longest = max((st.minutes for st in spec.shift_types), default=0)
    # Doctors need 46 h off after any run of nights (TCS 2019): a night is followed by another
    # night or by a day off (forbidden_next), and days off coming in pairs make that 46 h for
    # any shift starting after 06:30. The engine cannot say "two days later" any other way.
    nights = any(is_night(st) for st in spec.shift_types)
    position: dict[int, int] = {}
    for group in spec.groups:
        for i, m in enumerate(m for m in spec.members if m.group == group.id):
            position[m.id] = i
    employees: list[Employee] = []
    on_requests: list[Request] = []
    off_requests: list[Request] = []
    members: dict[str, int] = {}
    for member in spec.members:
        eid = engine_employee(member.id)
        members[eid] = member.id
        rules = member.rule_set
        target = hours_target(member, spec)
        if rules.average is not None:
            target = min(target, int(rules.average.max_weekly_hours * 60) * spec.weeks)
        max_consecutive = longest_run(rules, spec)
        max_weekends = spec.weeks
        days_off = {spec.day_index(d) for d in member.leave}
        if rules.weekends is not None:
            limit = rules.weekends
            max_weekends = math.ceil(spec.weeks * limit.max_weekends / limit.window_weekends)
            # The engine counts weekends over the whole rota, the rule counts them in every
            # window of 3: each member gets their own weekends (staggered through their group,
            # so every weekend has a share of each group) and is off on the others, Friday
            # nights into Saturday included.
            offset = position[member.id]
            for week in range(spec.weeks):
                if (week + offset) % limit.window_weekends < limit.max_weekends:
                    continue
                days_off |= {7 * week + 5, 7 * week + 6}
                off_requests += [
                    Request(eid, 7 * week + 4, engine_type(st.id, member.group), GUARD_WEIGHT)
                    for st in spec.shift_types
                    if st.start_minute() + st.minutes > DAY_MINUTES
                ]
        # A day the member already works elsewhere (a bank shift, another Trust's rota) is
        # not theirs to roster: the engine cannot see that work, the verification would.
        days_off |= {
            spec.day_index(c.start.astimezone(LONDON).date()) for c in member.other_commitments
        }
        repairs = set(extra_days_off.get(member.id, ())) - days_off
        days_off |= repairs
        employees.append(
            Employee(
                id=eid,
                max_shifts={
                    engine_type(st.id, g.id): 0
                    for g in spec.groups
                    for st in spec.shift_types
                    # Only their own group's types, none longer than their rules allow.
                    if g.id != member.group or too_long(st, rules)
                },
                max_minutes=target,
                # A day kept off by a repair may cost a shift of the target.
                min_minutes=max(0, target - longest * (1 + len(repairs))),
                max_consecutive=max_consecutive,
                min_days_off=2 if nights and rules.consecutive_nights is not None else 1,
                max_weekends=max_weekends,
                days_off=frozenset(d for d in days_off if 0 <= d < spec.days),
            )
        )
        for req in member.requests:
            day = spec.day_index(req.on)
            if not 0 <= day < spec.days:
                continue
            made = Request(eid, day, engine_type(req.shift_type, member.group), req.weight)
            (on_requests if req.wants else off_requests).append(made)

    covers = [
        Cover(day, engine_type(st_id, group_id), line.required, line.under_weight, line.over_weight)
        for (day, st_id, group_id), line in sorted(required_cover(spec).items())
    ]
    problem = Problem(
        days=spec.days,
        shifts=tuple(shifts),
        employees=tuple(employees),
        on_requests=tuple(on_requests),
        off_requests=tuple(off_requests),
        covers=tuple(covers),
    )
    return Reduction(problem, types, members)


def cells_from_roster(reduction: Reduction, roster: Roster) -> Cells:
    """The engine's roster as (member id, day) -> shift type id."""
    cells: Cells = {}
    for employee, row in zip(reduction.problem.employees, roster, strict=True):
        member = reduction.members[employee.id]
        for day, shift in enumerate(row):
            if shift is not None:
                cells[member, day] = reduction.types[shift][0]
    return cells


def roster_from_cells(spec: RotaSpec, reduction: Reduction, cells: Mapping) -> Roster:
    """A roster in the engine's terms from (member id, day) -> shift type id."""
    group_of = {m.id: m.group for m in spec.members}
    return tuple(
        tuple(
            engine_type(cells[member, day], group_of[member])
            if (member := reduction.members[e.id], day) in cells
            else None
            for day in range(spec.days)
        )
        for e in reduction.problem.employees
    )
