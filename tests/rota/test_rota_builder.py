"""The reduction of a department's rota to the engine, and its verification by bank.rules.

Pure tests: hand-made rotas as plain dataclasses, no app and no database.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from bank.rules import DOCTORS_IN_TRAINING, WORKING_TIME_REGULATIONS
from rota.builder import (
    CoverSpec,
    GroupSpec,
    MemberSpec,
    RequestSpec,
    RotaSpec,
    ShiftTypeSpec,
    build_problem,
    cells_from_roster,
    engine_employee,
    engine_type,
    roster_from_cells,
    solve_verified,
    verify,
)

MONDAY = date(2026, 11, 2)
DAY = ShiftTypeSpec(1, "D", "Day", time(8, 0), 510)
LONG = ShiftTypeSpec(2, "LD", "Long day", time(8, 0), 750)
NIGHT = ShiftTypeSpec(3, "N", "Night", time(20, 0), 750)
LATE = ShiftTypeSpec(4, "L", "Late", time(14, 0), 480)
EARLY = ShiftTypeSpec(5, "E", "Early", time(7, 0), 480)
REG = GroupSpec(10, "Registrar", grades=("ST3", "ST4"))
FY1 = GroupSpec(11, "FY1", supervised_by=10, grades=("FY1",))


def member(mid: int, group: GroupSpec = FY1, **kwargs) -> MemberSpec:
    kwargs.setdefault("contracted_minutes_per_week", 40 * 60)
    kwargs.setdefault("rule_set", DOCTORS_IN_TRAINING)
    return MemberSpec(mid, f"Dr {mid}", group.id, **kwargs)


def rota(members, covers=(), shift_types=(DAY, NIGHT), weeks=1) -> RotaSpec:
    return RotaSpec(MONDAY, weeks, tuple(shift_types), (REG, FY1), tuple(covers), tuple(members))


def cover_of(problem, day, shift):
    return next(c for c in problem.covers if c.day == day and c.shift == shift)


def test_cover_by_grade_becomes_one_engine_cover_line_per_group():
    spec = rota(
        [member(1, REG), member(2), member(3)],
        covers=[CoverSpec(NIGHT.id, REG.id, 1), CoverSpec(NIGHT.id, FY1.id, 2)],
    )
    problem = build_problem(spec).problem
    assert cover_of(problem, 0, engine_type(NIGHT.id, REG.id)).requirement == 1
    assert cover_of(problem, 6, engine_type(NIGHT.id, FY1.id)).requirement == 2
    fy1 = problem.employees[1]
    assert fy1.max_shifts[engine_type(NIGHT.id, REG.id)] == 0
    assert engine_type(NIGHT.id, FY1.id) not in fy1.max_shifts


def test_a_weekday_line_overrides_the_every_day_line():
    spec = rota(
        [member(1, REG)],
        covers=[CoverSpec(DAY.id, REG.id, 2), CoverSpec(DAY.id, REG.id, 1, weekday=5)],
    )
    problem = build_problem(spec).problem
    assert cover_of(problem, 4, engine_type(DAY.id, REG.id)).requirement == 2
    assert cover_of(problem, 5, engine_type(DAY.id, REG.id)).requirement == 1


def test_trainee_cover_asks_for_a_senior_on_the_same_shift():
    spec = rota([member(1, REG), member(2)], covers=[CoverSpec(DAY.id, FY1.id, 2)])
    problem = build_problem(spec).problem
    assert cover_of(problem, 0, engine_type(DAY.id, REG.id)).requirement == 1


def test_leave_is_days_off_and_lowers_the_hours_target():
    spec = rota([member(1, REG, leave=frozenset({MONDAY, MONDAY + timedelta(days=5)}))])
    employee = build_problem(spec).problem.employees[0]
    assert employee.days_off == frozenset({0, 5})
    # 40 h less one weekday of leave (a Saturday off costs nothing): 32 h.
    assert employee.max_minutes == 32 * 60
    assert employee.min_minutes == 32 * 60 - NIGHT.minutes


def test_rest_under_11_hours_forbids_the_next_days_shift():
    spec = rota([member(1, REG)], shift_types=(DAY, LONG, NIGHT, LATE, EARLY))
    forbidden = {s.id: s.forbidden_next for s in build_problem(spec).problem.shifts}

    def banned(first, second):
        return engine_type(second.id, REG.id) in forbidden[engine_type(first.id, REG.id)]

    assert banned(NIGHT, DAY)  # ends 08:30, the day starts 08:00
    assert banned(LATE, EARLY)  # 22:00 to 07:00 is 9 h
    assert not banned(LONG, DAY)  # 20:30 to 08:00 is 11 h 30
    assert not banned(DAY, NIGHT)
    assert not banned(NIGHT, NIGHT)


def test_doctors_limits_come_from_their_rule_set():
    spec = rota([member(1, REG), member(2, REG, rule_set=WORKING_TIME_REGULATIONS)], weeks=3)
    doctor, nurse = build_problem(spec).problem.employees
    # Nights on the rota: at most 4 in a row; days alone: 6 (7 would ask 48 h rest after).
    assert doctor.max_consecutive == 4
    days_only = rota([member(1, REG)], shift_types=(DAY,), weeks=3)
    assert build_problem(days_only).problem.employees[0].max_consecutive == 6
    assert doctor.min_days_off == 2  # with nights on the rota: 46 h after them
    assert nurse.min_days_off == 1
    assert doctor.max_weekends == 1  # 1 in 3
    assert nurse.max_weekends == 3
    assert nurse.max_consecutive == 6


def test_each_doctor_works_only_their_own_weekends_one_in_three_staggered():
    spec = rota([member(1, REG), member(2, REG), member(3, REG)], weeks=3)
    problem = build_problem(spec).problem
    weekends = [
        {week for week in range(3) if 7 * week + 5 not in e.days_off} for e in problem.employees
    ]
    assert weekends == [{0}, {2}, {1}]
    # A night on the Friday before a weekend off would run into Saturday: priced as a rule.
    guarded = {(r.employee, r.day) for r in problem.off_requests if r.weight >= 10_000}
    assert (engine_employee(1), 11) in guarded and (engine_employee(1), 4) not in guarded


def test_requests_map_to_the_members_own_engine_type():
    wish = RequestSpec(MONDAY + timedelta(days=2), NIGHT.id, wants=False, weight=7)
    spec = rota([member(2, requests=(wish,))])
    request = build_problem(spec).problem.off_requests[0]
    assert (request.employee, request.day, request.weight) == (engine_employee(2), 2, 7)
    assert request.shift == engine_type(NIGHT.id, FY1.id)


def test_cells_and_roster_round_trip():
    spec = rota([member(1, REG), member(2)])
    reduction = build_problem(spec)
    cells = {(1, 0): DAY.id, (2, 3): NIGHT.id}
    roster = roster_from_cells(spec, reduction, cells)
    assert roster[1][3] == engine_type(NIGHT.id, FY1.id)
    assert cells_from_roster(reduction, roster) == cells


def test_verification_catches_five_nights_in_a_row_which_the_engine_cannot_express():
    spec = rota([member(1, REG)], weeks=1)
    cells = {(1, day): NIGHT.id for day in range(5)}
    rules = {f.rule for f in verify(spec, cells)}
    assert "consecutive_nights" in rules


def test_verification_catches_72_hours_in_7_days():
    spec = rota([member(1, REG)], shift_types=(LONG,))
    cells = {(1, day): LONG.id for day in range(6)}  # 6 x 12.5 h = 75 h
    findings = verify(spec, cells)
    assert "rolling_hours" in {f.rule for f in findings}


def test_verification_catches_leave_and_an_unsupervised_trainee():
    spec = rota([member(1, REG), member(2, leave=frozenset({MONDAY}))])
    findings = verify(spec, {(2, 0): DAY.id})
    assert {f.rule for f in findings} == {"leave", "supervision"}
    supervision = next(f for f in findings if f.rule == "supervision")
    assert supervision.members == (2,)
    assert "FY1 working with no Registrar" in supervision.message
    assert verify(spec, {(1, 1): DAY.id, (2, 1): DAY.id}) == []


def test_a_short_solve_of_a_tiny_department_keeps_every_rule():
    wish = RequestSpec(MONDAY, DAY.id, wants=False, weight=5)
    members = [member(1, REG), member(2, REG), member(3, REG), member(4, REG)]
    members += [member(5, requests=(wish,)), member(6), member(7), member(8)]
    spec = rota(
        members,
        covers=[
            CoverSpec(DAY.id, REG.id, 1),
            CoverSpec(DAY.id, FY1.id, 1),
            CoverSpec(NIGHT.id, REG.id, 1),
            CoverSpec(NIGHT.id, FY1.id, 1),
        ],
    )
    proposal = solve_verified(spec, time_limit=4, seed=1, workers=1)
    assert proposal.cells is not None
    assert proposal.findings == []
    assert verify(spec, proposal.cells) == []
    assert proposal.cells.get((5, 0)) != DAY.id


def test_a_day_worked_elsewhere_is_a_day_off():
    from datetime import datetime

    from bank.rules import Commitment
    from rota.builder import LONDON

    elsewhere = Commitment(
        "bank:1",
        datetime(2026, 11, 4, 8, 0, tzinfo=LONDON),
        datetime(2026, 11, 4, 20, 0, tzinfo=LONDON),
        trust_id=9,
    )
    spec = rota([member(1, REG, other_commitments=(elsewhere,))])
    assert 2 in build_problem(spec).problem.employees[0].days_off


def test_an_edit_may_mend_a_breach_a_step_at_a_time_but_not_cause_one():
    from rota.services import _made_worse

    spec = rota([member(1, REG)])
    six_nights = {(1, day): NIGHT.id for day in range(6)}
    before = verify(spec, six_nights)
    assert "consecutive_nights" in {f.rule for f in before}

    def without(day):
        cells = dict(six_nights)
        del cells[1, day]
        return _made_worse(before, verify(spec, cells), (1, day), None)

    assert without(5) == []  # six nights cut to five: still a breach, but a smaller one
    worse = without(2)  # two runs of nights with 35 h 30 min between them
    assert [f.rule for f in worse] == ["rest_after_nights"]
    # A shift added into a breach is refused even when the rule was already broken.
    added = {**six_nights, (1, 6): NIGHT.id}
    assert _made_worse(before, verify(spec, added), (1, 6), NIGHT.id)


def test_a_shift_longer_than_the_rules_allow_is_never_given_to_a_doctor():
    marathon = ShiftTypeSpec(6, "M", "Marathon", time(8, 0), 14 * 60)
    spec = rota(
        [member(1, REG), member(2, REG, rule_set=WORKING_TIME_REGULATIONS)],
        shift_types=(DAY, marathon),
    )
    doctor, other = build_problem(spec).problem.employees
    assert doctor.max_shifts[engine_type(marathon.id, REG.id)] == 0
    assert engine_type(marathon.id, REG.id) not in other.max_shifts
