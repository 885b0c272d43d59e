"""Row sweeps only ever replace a row by a cheaper (or, wandering, an equally cheap) legal one."""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import HealthCheck, given, settings

from rota.solver import pricing, roster_cost, sweep
from rota.solver.greedy import greedy_roster
from rota.solver.problem import Cover, Employee, Problem, ShiftType
from rota.solver.sweep import RowSweep
from rota.ssb.checker import check_roster
from rota.ssb.instance import SsbInstance, instance_path, load_instance, to_problem
from tests.rota.test_solver_local import FAR, grid
from tests.rota.test_solver_property import instances


def test_sweeps_on_instance11_keep_every_rule_and_lower_the_cost() -> None:
    instance = load_instance(instance_path(11))
    problem = to_problem(instance)
    start, failed = greedy_roster(problem, seed=0)
    assert failed == []

    swept = RowSweep(problem).sweep(start, time.monotonic() + FAR, random.Random(0))

    report = check_roster(instance, grid(swept))
    assert report.violations == ()
    assert report.objective == roster_cost(problem, swept) < roster_cost(problem, start)


def test_wandering_goes_on_past_the_first_local_optimum_and_keeps_the_cheapest() -> None:
    instance = load_instance(instance_path(11))
    problem = to_problem(instance)
    start, _ = greedy_roster(problem, seed=0)
    sweep = RowSweep(problem)
    settled = sweep.sweep(start, time.monotonic() + FAR, random.Random(0))

    wandered = sweep.sweep(settled, time.monotonic() + FAR, random.Random(0), wander=3)

    assert check_roster(instance, grid(wandered)).violations == ()
    assert roster_cost(problem, wandered) <= roster_cost(problem, settled)


def test_rows_too_long_to_take_whole_are_swept_a_stretch_at_a_time(monkeypatch) -> None:
    instance = load_instance(instance_path(17))  # 56 days
    problem = to_problem(instance)
    start, failed = greedy_roster(problem, seed=0)
    assert failed == []
    pricers = [pricing.RowPricer(problem, e) for e in range(len(problem.employees))]
    # A budget that holds every four-week stretch but no whole row.
    budget = max(p.stretch_work(sweep.STRETCH_DAYS) for p in pricers)
    assert budget < min(p.states * p.days for p in pricers)
    monkeypatch.setattr(pricing, "MAX_WORK", budget)
    monkeypatch.setattr(sweep, "MAX_WORK", budget)

    sweeper = sweep.RowSweep(problem)
    swept = sweeper.sweep(start, time.monotonic() + FAR, random.Random(0), wander=2)

    assert not sweeper.whole and len(sweeper.pricers) == len(problem.employees)
    report = check_roster(instance, grid(swept))
    assert report.violations == ()
    assert report.objective == roster_cost(problem, swept) < roster_cost(problem, start)


def test_parallel_sweeps_keep_every_rule_and_lower_the_cost() -> None:
    instance = load_instance(instance_path(11))
    problem = to_problem(instance)
    start, _ = greedy_roster(problem, seed=0)

    swept = RowSweep(problem).sweep(
        start, time.monotonic() + FAR, random.Random(0), wander=2, threads=2
    )

    report = check_roster(instance, grid(swept))
    assert report.violations == ()
    assert report.objective == roster_cost(problem, swept) < roster_cost(problem, start)


def test_two_rows_priced_at_once_do_not_both_take_the_one_short_cell() -> None:
    # Two alike employees, one shift each; Wednesday is short and the rest have no cover line.
    one_shift = {"min_minutes": 480, "max_minutes": 480}
    problem = Problem(
        days=7,
        shifts=(ShiftType("D", 480),),
        employees=(Employee("A", **one_shift), Employee("B", **one_shift)),
        covers=(Cover(2, "D", 1, 100, 1),),
    )
    monday = ("D", None, None, None, None, None, None)
    run = sweep._Sweep(
        RowSweep(problem), (monday, monday), time.monotonic() + FAR, random.Random(0), 0
    )
    # Both rows are priced against the same cover before either is kept, as two threads do.
    first, second = run._next(), run._next()
    priced = [(step, run.sweep.pricers[step[0]].price(step[3])[0]) for step in (first, second)]
    assert priced[0][1] == priced[1][1] == (None, None, "D", None, None, None, None)

    for (e, start, stop, _, wandering, _near), row in priced:
        run._settle(e, start, stop, row, wandering)

    # The second is judged against the cover as it is by then: Wednesday is met, so it stays.
    assert set(run.best) == {monday, priced[0][1]}
    assert (
        run.best_cost
        == -100
        == roster_cost(problem, run.best) - roster_cost(problem, (monday, monday))
    )


def test_a_row_moves_its_shift_to_the_day_the_cover_is_short() -> None:
    problem = Problem(
        days=7,
        shifts=(ShiftType("D", 480),),
        employees=(Employee("A", min_minutes=480, max_minutes=480),),
        covers=(Cover(2, "D", 1, 100, 1),),
    )
    monday_only = (("D", None, None, None, None, None, None),)

    swept = RowSweep(problem).sweep(monday_only, time.monotonic() + FAR, random.Random(0))

    assert swept == ((None, None, "D", None, None, None, None),)


@settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(instances())
def test_sweeps_on_random_instances_keep_every_rule_and_never_cost_more(
    instance: SsbInstance,
) -> None:
    problem = to_problem(instance)
    start, failed = greedy_roster(problem, seed=0)
    if failed:
        return  # rows the greedy leaves to CP-SAT: not a roster to start from

    swept = RowSweep(problem).sweep(start, time.monotonic() + FAR, random.Random(0), wander=2)

    assert check_roster(instance, grid(swept)).violations == ()
    assert roster_cost(problem, swept) <= roster_cost(problem, start)


def wednesday_short_and_long(*employees: Employee) -> Problem:
    """A week whose one cover is Wednesday: one short (S, 480) and one long (L, 720) shift."""
    return Problem(
        days=7,
        shifts=(ShiftType("S", 480), ShiftType("L", 720)),
        employees=employees,
        covers=(Cover(2, "S", 1, 100, 1), Cover(2, "L", 1, 100, 1)),
    )


def test_wandering_rows_lean_to_the_longer_shift_so_the_next_row_can_fill_the_short_one() -> None:
    # A works the short shift and has the minutes for the long; B may only work short shifts.
    # A moving to L costs nothing by itself (L is met, S is short instead), but then B fills S.
    # Their minutes just cover the demand.
    problem = wednesday_short_and_long(
        Employee("A", max_minutes=720), Employee("B", max_shifts={"L": 0}, max_minutes=480)
    )
    off = (None,) * 7
    start = ((None, None, "S", None, None, None, None), off)
    sweeper = RowSweep(problem)
    sweeper.noise = 0.0  # only the lean breaks the tie

    swept = sweeper.sweep(start, time.monotonic() + FAR, random.Random(0), wander=2)

    assert roster_cost(problem, start) == 100
    assert swept == (
        (None, None, "L", None, None, None, None),
        (None, None, "S", None, None, None, None),
    )
    assert roster_cost(problem, swept) == 0


def test_rows_lean_only_where_the_staffs_minutes_barely_cover_the_demand() -> None:
    tight = RowSweep(wednesday_short_and_long(Employee("A", max_minutes=1200)))
    plentiful = RowSweep(wednesday_short_and_long(Employee("A", max_minutes=2400)))

    # A's most minutes are one S and one L: that row leans by LEAN, the most any row may.
    assert tight.lean[0, 1] > tight.lean[0, 0] > 0
    assert tight.lean[3, 0] + tight.lean[5, 1] == pytest.approx(sweep.LEAN)
    assert tight.noise == pytest.approx(0.5 - sweep.LEAN)
    assert not plentiful.lean.any() and plentiful.noise == 0.5


def weekend_pair(requirement: int) -> Problem:
    """A and B, a weekend each at most and one to three shifts, and one weekend's cover."""
    return Problem(
        days=7,
        shifts=(ShiftType("D", 480),),
        employees=(
            Employee("A", min_minutes=480, max_minutes=1440, max_weekends=1),
            Employee("B", min_minutes=480, max_minutes=1440, max_weekends=1),
        ),
        covers=(Cover(5, "D", requirement, 100, 1), Cover(6, "D", requirement, 100, 1)),
    )


def test_weekends_are_weighed_only_where_the_staff_barely_have_enough(monkeypatch) -> None:
    # Four weekend shifts, or two, against the four that two weekends hold.
    assert RowSweep(weekend_pair(requirement=2)).half == sweep.HALF_WEEKEND_WHOLE
    assert RowSweep(weekend_pair(requirement=1)).half == 0
    # Rows swept a stretch at a time weigh half weekends less than rows taken whole.
    monkeypatch.setattr(sweep, "WHOLE_DAYS", 0)
    assert RowSweep(weekend_pair(requirement=2)).half == sweep.HALF_WEEKEND
    assert sweep.HALF_WEEKEND_WHOLE > sweep.HALF_WEEKEND > 0


@pytest.mark.parametrize("scarce", [True, False])
def test_where_weekends_are_scarce_a_half_weekend_gives_way_to_a_whole_one(
    monkeypatch, scarce: bool
) -> None:
    problem = weekend_pair(requirement=1)
    monkeypatch.setattr(sweep, "WEEKENDS_TIGHT", 0.5 if scarce else 1.0)
    # A works Saturday and B Sunday: every cell covered, at no cost, but both weekends are
    # spent on one day each.
    halves = ((None,) * 5 + ("D", None), (None,) * 6 + ("D",))

    swept = RowSweep(problem).sweep(halves, time.monotonic() + FAR, random.Random(0), wander=2)

    assert roster_cost(problem, swept) == roster_cost(problem, halves) == 0
    if not scarce:
        assert swept == halves  # nothing cheaper, so nothing changes
        return
    # One takes the other's day too (one over, for a moment) and the other gives it up for
    # weekdays: the same cost, with one weekend spent where two were.
    assert {row[5:] for row in swept} == {(None, None), ("D", "D")}


def test_rows_too_long_to_take_whole_are_also_re_solved_near_the_old_row(monkeypatch) -> None:
    instance = load_instance(instance_path(17))  # 56 days
    problem = to_problem(instance)
    start, _ = greedy_roster(problem, seed=0)
    monkeypatch.setattr(sweep, "WHOLE_DAYS", 28)
    monkeypatch.setattr(sweep, "NEAR_SHARE", 1.0)  # every step near, none by stretches
    sweeper = sweep.RowSweep(problem)
    assert sweeper.near == set(range(len(problem.employees))) and not sweeper.whole

    swept = sweeper.sweep(start, time.monotonic() + FAR, random.Random(0), wander=1, threads=2)

    report = check_roster(instance, grid(swept))
    assert report.violations == ()
    assert report.objective == roster_cost(problem, swept) < roster_cost(problem, start)
