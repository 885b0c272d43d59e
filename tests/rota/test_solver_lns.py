"""The large-neighbourhood search only ever moves between rosters that keep every hard rule."""

from __future__ import annotations

import random
import time
from collections import Counter

from hypothesis import HealthCheck, given, settings

from rota.solver import roster_cost
from rota.solver.greedy import greedy_roster
from rota.solver.lns import NeighbourhoodPicker, improve, window_pass
from rota.solver.params import FULL_LP_SUBSOLVERS
from rota.solver.problem import Cover, Employee, Problem, ShiftType
from rota.solver.search import construct
from rota.ssb.checker import check_roster
from rota.ssb.instance import (
    SsbCover,
    SsbInstance,
    SsbShift,
    SsbStaff,
    instance_path,
    load_instance,
    to_problem,
)
from tests.rota.test_solver_property import instances

FAR = 3600.0  # a deadline that never binds: rounds, not the clock, end these searches


def grid(roster) -> list[list[str]]:
    return [[cell or "" for cell in row] for row in roster]


def test_lns_rounds_on_instance5_keep_every_rule_and_never_raise_the_cost() -> None:
    instance = load_instance(instance_path(5))
    problem = to_problem(instance)
    start = construct(
        problem, time.monotonic() + FAR, workers=2, seed=0, group_cells=200, group_work=0.5
    )
    assert start is not None
    assert check_roster(instance, grid(start)).violations == ()
    picker = NeighbourhoodPicker(problem, random.Random(0), cells=120)
    better = improve(
        problem,
        start,
        time.monotonic() + FAR,
        workers=1,
        rng=random.Random(0),
        slice_seconds=FAR,
        cells=120,
        subsolvers=FULL_LP_SUBSOLVERS,
        max_rounds=6,
        picker=picker,
    )
    report = check_roster(instance, grid(better))
    assert report.violations == ()
    assert report.objective == roster_cost(problem, better) <= roster_cost(problem, start)
    # What the rounds took off is counted to their kinds (each started at 1, then decays).
    gained = roster_cost(problem, start) - roster_cost(problem, better)
    assert gained > 10
    assert sum(picker.gain.values()) >= 0.7 * gained


def test_neighbourhoods_stay_inside_the_roster_and_grow_after_proofs() -> None:
    problem = to_problem(load_instance(instance_path(3)))
    picker = NeighbourhoodPicker(problem, random.Random(0), cells=50)
    for _ in range(20):
        nb = picker.pick(problem.all_off())
        assert nb.employees and all(0 <= e < len(problem.employees) for e in nb.employees)
        assert 0 <= nb.days.start < nb.days.stop <= problem.days
        before = picker.size[nb.kind]
        picker.feedback(nb, proved=True)
        assert picker.size[nb.kind] >= before


def _weekend_problem() -> Problem:
    """Three weeks, six staff of whom the first two may work nights; the one cover line is a
    night on the second Sunday (day 13)."""
    return Problem(
        days=21,
        shifts=(ShiftType("D", 480), ShiftType("N", 480)),
        employees=tuple(Employee(f"E{i}", max_shifts={} if i < 2 else {"N": 0}) for i in range(6)),
        covers=(Cover(13, "N", 1, 100, 1),),
    )


def _weekends_only(picker: NeighbourhoodPicker) -> None:
    picker.KIND_FLOOR = 0.0
    picker.gain = {"employees": 0.0, "days": 0.0, "weekend": 1.0}


def test_a_short_weekend_frees_thursday_to_tuesday_for_staff_able_to_fill_it() -> None:
    problem = _weekend_problem()
    picker = NeighbourhoodPicker(problem, random.Random(0), cells=12)
    _weekends_only(picker)
    for _ in range(10):
        nb = picker.pick(problem.all_off())
        assert nb.kind == "weekend"
        assert nb.days == range(10, 16)  # Thursday 10 to Tuesday 15, around Saturday 12
        assert len(nb.employees) == 12 // 6
        assert set(nb.employees) & {0, 1}  # someone who may work the short night


def test_without_a_short_weekend_the_weekend_kind_frees_a_block_of_days() -> None:
    problem = _weekend_problem()
    night_met = tuple(
        tuple("N" if (e, d) == (0, 13) else None for d in range(21)) for e in range(6)
    )
    picker = NeighbourhoodPicker(problem, random.Random(0), cells=12)
    _weekends_only(picker)
    nb = picker.pick(night_met)
    assert nb.kind == "days"


def test_the_staff_beside_those_able_come_first_from_those_with_minutes_to_spare() -> None:
    # Eight staff; only the first two may work the short Sunday night. The six others all work
    # days 0-4 (five shifts of 480 minutes): E2 and E3 may work ten, E4 to E7 are at their most.
    most = {2: 10 * 480, 3: 10 * 480}
    problem = Problem(
        days=21,
        shifts=(ShiftType("D", 480), ShiftType("N", 480)),
        employees=(
            Employee("E0"),
            Employee("E1"),
            *(Employee(f"E{i}", {"N": 0}, max_minutes=most.get(i, 5 * 480)) for i in range(2, 8)),
        ),
        covers=(Cover(13, "N", 1, 100, 1),),
    )
    roster = tuple(tuple("D" if e >= 2 and d < 5 else None for d in range(21)) for e in range(8))
    picker = NeighbourhoodPicker(problem, random.Random(0), cells=24)
    _weekends_only(picker)
    for _ in range(10):
        nb = picker.pick(roster)
        assert nb.kind == "weekend" and len(nb.employees) == 24 // 6
        assert set(nb.employees) == {0, 1, 2, 3}


def test_kinds_are_drawn_by_what_they_gained_a_second_each_keeping_its_floor() -> None:
    problem = to_problem(load_instance(instance_path(3)))
    picker = NeighbourhoodPicker(problem, random.Random(0), cells=50)
    short = problem.all_off()  # short every day, weekends included
    for _ in range(30):
        nb = picker.pick(short)
        gained = 40 if nb.kind == "weekend" else 0
        picker.feedback(nb, proved=False, gain=gained, seconds=0.5)
    rates = picker.rates()
    assert rates["weekend"] > 10 * max(rates["days"], rates["employees"])

    drawn = Counter(picker.pick(short).kind for _ in range(400))
    assert drawn["weekend"] > 0.6 * 400
    floor = picker.KIND_FLOOR * 400  # each kind's least expected share
    assert drawn["days"] > floor / 2 and drawn["employees"] > floor / 2


@settings(
    max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(instances())
def test_construction_and_lns_on_random_instances_keep_every_rule(instance: SsbInstance) -> None:
    problem = to_problem(instance)
    start = construct(
        problem, time.monotonic() + FAR, workers=1, seed=0, group_cells=20, group_work=1.0
    )
    if start is None:
        return  # some random contract is impossible
    assert check_roster(instance, grid(start)).violations == ()
    better = improve(
        problem,
        start,
        time.monotonic() + FAR,
        workers=1,
        rng=random.Random(0),
        slice_seconds=5,
        cells=20,
        max_rounds=6,
    )
    assert check_roster(instance, grid(better)).violations == ()
    assert roster_cost(problem, better) <= roster_cost(problem, start)


def test_a_window_pass_covers_every_day_the_whole_staff_can() -> None:
    # Three staff, three weeks, one D wanted a day; nobody works yet. Each window re-solves
    # everyone over 14 days (days 0-13, then 7-20), so between them they cover all 21.
    staff = tuple(SsbStaff(e, (("D", 21),), 10_000, 0, 5, 1, 1, 3) for e in ("A", "B", "C"))
    instance = SsbInstance(
        name="three-weeks",
        horizon=21,
        shifts=(SsbShift("D", 480, ()),),
        staff=staff,
        days_off={},
        on_requests=(),
        off_requests=(),
        cover=tuple(SsbCover(d, "D", 1, 100, 1) for d in range(21)),
    )
    problem = to_problem(instance)

    better = window_pass(problem, problem.all_off(), time.monotonic() + FAR, 1, 0, seconds=60)

    report = check_roster(instance, grid(better))
    assert report.violations == ()
    assert report.objective == 0


@settings(
    max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(instances())
def test_window_passes_on_random_instances_keep_every_rule(instance: SsbInstance) -> None:
    problem = to_problem(instance)
    start, failed = greedy_roster(problem, seed=0)
    if failed:
        return
    better = window_pass(problem, start, time.monotonic() + FAR, 1, 0, seconds=5)
    assert check_roster(instance, grid(better)).violations == ()
    assert roster_cost(problem, better) <= roster_cost(problem, start)
