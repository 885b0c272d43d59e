"""The adapter between a department's rota and the pure engine (`rota.solver`).

A rota is read into plain frozen dataclasses (`RotaSpec`, no database), reduced to an engine
`Problem`, and every roster the engine proposes is verified person by person with the one
definition of the safe-working rules (`bank.rules.check_schedule`). The reduction:

- Cover by grade: one engine shift type per (shift type, grade group), so "a night needs one
  registrar and two FY1s" is two engine cover lines; a member may work only the engine types of
  their own group (``max_shifts`` 0 for every other group's types). A group supervised by
  another asks for at least one of the supervisors on every shift it has cover on.
- Rest: a pair of shift types is ``forbidden_next`` when the first, worked on one day, ends less
  than the rule set's minimum rest (11 h) before the second starts the next day, by clock times.
- Runs, weekends and hours: ``max_consecutive`` from the tightest run limit of the rule set
  that the rota's shift types meet (4 with long shifts or nights); "1 in 3" weekends as each
  member's own weekends, staggered, the others kept off; minutes from the contracted hours less
  leave (a weekday of leave counts a fifth of the week).

What the engine cannot say (72 h in any 7 days, runs of nights and the 46 h after them, a night
into a Saturday counting as a weekend, the real-time rest across a clock change, the WTR
weekly rest, work at other Trusts) is found by `verify`; `solve_verified` then keeps the
offending member off that day and solves again, so a proposal either keeps every rule or lists
exactly what it breaks.
"""

from __future__ import annotations

import math
import time as clock
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bank.rules import Commitment, RuleSet, check_schedule
from rota.solver import Cover, Employee, Problem, Request, Roster, ShiftType, SolveResult, solve

LONDON = ZoneInfo("Europe/London")
DAY_MINUTES = 24 * 60
# Cover lines a group has none for still price extra people, so nobody is rostered for nothing.
DEFAULT_UNDER_WEIGHT = 100
DEFAULT_OVER_WEIGHT = 10
# The WTR asks 24 h uninterrupted rest a week (reg. 11): a day off in any seven days gives it
# for shifts of up to 12 h whatever their times, so WTR staff work at most 6 days in a row.
WTR_MAX_CONSECUTIVE = 6
# An off-request this heavy outweighs any cover line: the engine treats it as a rule.
GUARD_WEIGHT = 10_000

#: cells[(member id, day index)] = shift type id
Cells = dict[tuple[int, int], int]


@dataclass(frozen=True)
class ShiftTypeSpec:
    id: int
    code: str
    name: str
    starts_at: time
    minutes: int

    def start_minute(self) -> int:
        return self.starts_at.hour * 60 + self.starts_at.minute


@dataclass(frozen=True)
class GroupSpec:
    id: int
    name: str
    supervised_by: int | None = None
    staff_group: str = "medical"
    grades: tuple[str, ...] = ()


@dataclass(frozen=True)
class CoverSpec:
    shift_type: int
    group: int
    required: int
    weekday: int | None = None
    under_weight: int = DEFAULT_UNDER_WEIGHT
    over_weight: int = DEFAULT_OVER_WEIGHT


@dataclass(frozen=True)
class RequestSpec:
    on: date
    shift_type: int
    wants: bool
    weight: int


@dataclass(frozen=True)
class MemberSpec:
    id: int
    name: str
    group: int
    contracted_minutes_per_week: int
    rule_set: RuleSet
    leave: frozenset[date] = frozenset()
    requests: tuple[RequestSpec, ...] = ()
    # Work elsewhere (bank bookings at any Trust) that counts toward every limit.
    other_commitments: tuple[Commitment, ...] = ()


@dataclass(frozen=True)
class RotaSpec:
    starts_on: date  # a Monday
    weeks: int
    shift_types: tuple[ShiftTypeSpec, ...]
    groups: tuple[GroupSpec, ...]
    covers: tuple[CoverSpec, ...]
    members: tuple[MemberSpec, ...]

    @property
    def days(self) -> int:
        return 7 * self.weeks

    def day_index(self, on: date) -> int:
        return (on - self.starts_on).days

    def date_of(self, day: int) -> date:
        return self.starts_on + timedelta(days=day)


def engine_type(shift_type: int, group: int) -> str:
    return f"T{shift_type}G{group}"


def engine_employee(member: int) -> str:
    return f"M{member}"


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


# Verification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A hard rule a roster breaks: for a member on a day (rule codes of bank.rules, plus
    ``leave`` and ``supervision``)."""

    rule: str
    message: str
    day: int
    member_id: int | None
    members: tuple[int, ...] = ()  # everyone whose shift takes part (supervision)
    days: tuple[int, ...] = ()  # every rota day whose shift takes part

    def involves(self, member_id: int, day: int) -> bool:
        """Whether the member's shift on that day takes part in the breach."""
        return day in self.days and member_id in (self.members or (self.member_id,))


def shift_times(spec: RotaSpec, st: ShiftTypeSpec, day: int) -> tuple[datetime, datetime]:
    """Real start and end of a shift type worked on a rota day (UK local start time)."""
    start = datetime.combine(spec.date_of(day), st.starts_at, LONDON)
    # Added in UTC: a night across the clock change lasts its real length.
    end = (start.astimezone(ZoneInfo("UTC")) + timedelta(minutes=st.minutes)).astimezone(LONDON)
    return start, end


def member_commitments(spec: RotaSpec, member: MemberSpec, cells: Mapping) -> list[Commitment]:
    types = {st.id: st for st in spec.shift_types}
    found = list(member.other_commitments)
    for day in range(spec.days):
        st_id = cells.get((member.id, day))
        if st_id is None:
            continue
        start, end = shift_times(spec, types[st_id], day)
        found.append(Commitment(f"rota:{member.id}:{day}", start, end, kind="rota"))
    return found


def verify_member(spec: RotaSpec, member: MemberSpec, cells: Mapping) -> list[Finding]:
    """Every hard rule one member's rota breaks (their work elsewhere included)."""
    findings: list[Finding] = []
    for day in sorted(spec.day_index(d) for d in member.leave):
        if (member.id, day) in cells:
            findings.append(
                Finding("leave", f"{member.name} is on leave that day", day, member.id, days=(day,))
            )
    commitments = member_commitments(spec, member, cells)
    for breach in check_schedule(commitments, member.rule_set):
        rota_days = [int(c.ref.rsplit(":", 1)[1]) for c in breach.refs if c.ref.startswith("rota:")]
        if not rota_days:
            continue  # a breach among their other work alone is not this rota's doing
        findings.append(
            Finding(
                breach.rule,
                f"{member.name}: {breach.message}",
                max(rota_days),
                member.id,
                days=tuple(sorted(rota_days)),
            )
        )
    return findings


def verify_supervision(spec: RotaSpec, cells: Mapping) -> list[Finding]:
    """Shifts where a supervised group works with none of its supervisors."""
    group_of = {m.id: m.group for m in spec.members}
    groups = {g.id: g for g in spec.groups}
    types = {st.id: st for st in spec.shift_types}
    working: dict[tuple[int, int], dict[int, list[int]]] = {}
    for (member, day), st_id in cells.items():
        working.setdefault((day, st_id), {}).setdefault(group_of[member], []).append(member)
    findings = []
    for (day, st_id), by_group in sorted(working.items()):
        for group_id, people in sorted(by_group.items()):
            senior = groups[group_id].supervised_by
            if senior is not None and not by_group.get(senior):
                findings.append(
                    Finding(
                        "supervision",
                        f"{types[st_id].name} on {spec.date_of(day):%a %d %b}: "
                        f"{groups[group_id].name} working with no {groups[senior].name}",
                        day,
                        None,
                        tuple(sorted(people)),
                        (day,),
                    )
                )
    return findings


def verify(spec: RotaSpec, cells: Mapping) -> list[Finding]:
    """Every hard rule a roster breaks, person by person, then supervision."""
    findings: list[Finding] = []
    for member in spec.members:
        findings += verify_member(spec, member, cells)
    return findings + verify_supervision(spec, cells)


# Solving --------------------------------------------------------------------------------


@dataclass
class Proposal:
    """The best roster found so far and what is known about it."""

    result: SolveResult
    reduction: Reduction
    cells: Cells | None
    findings: list[Finding] = field(default_factory=list)
    rounds: int = 0


def solve_verified(
    spec: RotaSpec,
    *,
    time_limit: float,
    seed: int = 0,
    workers: int = 2,
    repair_rounds: int = 4,
    log: Callable[[str], None] | None = None,
    on_roster: Callable[[Proposal], None] | None = None,
) -> Proposal:
    """Solve, verify with bank.rules, keep breaching members off those days and solve again.

    Args:
        spec: The rota.
        time_limit: Seconds for everything.
        seed: The engine's random seed.
        workers: CP-SAT threads.
        repair_rounds: Most re-solves after a verification finds breaches.
        log: Progress lines (the engine's and ours).
        on_roster: Called with each better verified proposal (the best rota so far).

    Returns:
        The best proposal (fewest breaches, then lowest cost): its findings are empty unless
        repair ran out of rounds or time; without any roster, the last attempt.
    """
    deadline = clock.monotonic() + time_limit
    extra: dict[int, set[int]] = {}
    hint: Roster | None = None
    best: Proposal | None = None
    last: Proposal | None = None
    polishing = False  # a clean roster is in hand: spend what time is left improving it
    for round_no in range(repair_rounds + 2):
        left = deadline - clock.monotonic()
        if last is not None and left < 1.0:
            break
        if polishing:
            share = left
        elif round_no == 0 and repair_rounds:
            share = 0.3 * left  # a first rota to show soon; repairs and polish start from it
        else:
            share = left / max(1, repair_rounds + 1 - round_no)
        reduction = build_problem(spec, extra)
        result = solve(
            reduction.problem,
            time_limit=max(1.0, share),
            workers=workers,
            seed=seed + round_no,
            hint=hint,
            log=log,
        )
        cells = cells_from_roster(reduction, result.roster) if result.roster else None
        findings = verify(spec, cells) if cells is not None else []
        last = Proposal(result, reduction, cells, findings, round_no)
        if log:
            log(
                f"round {round_no + 1}: {result.status.value}, cost {result.objective}, "
                f"{len(findings)} rule breaches"
            )
        if cells is not None and (best is None or _rank(last) < _rank(best)):
            best = last
            if on_roster is not None:
                on_roster(best)
        if cells is None or polishing or round_no == repair_rounds:
            break
        if not findings:
            polishing, hint = True, result.roster
            continue
        for finding in findings:
            for member in finding.members or (finding.member_id,):
                if member is not None:
                    extra.setdefault(member, set()).add(finding.day)
        hint = tuple(
            tuple(
                None if d in extra.get(reduction.members[e.id], ()) else s
                for d, s in enumerate(row)
            )
            for e, row in zip(reduction.problem.employees, result.roster, strict=True)
        )
    assert last is not None
    return best or last


def _rank(proposal: Proposal) -> tuple[int, int]:
    """Fewer breaches first, then the lower cost."""
    return (len(proposal.findings), proposal.result.objective or 0)
