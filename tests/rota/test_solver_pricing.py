"""The pricing programme: its rows keep every rule, and it agrees with CP-SAT on the cheapest."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from rota.solver.greedy import greedy_roster, row_keeps_rules
from rota.solver.model import RosterModel
from rota.solver.params import make_solver
from rota.solver.pricing import RowPricer
from rota.solver.problem import Employee, Problem, ShiftType
from rota.ssb.instance import SsbInstance, to_problem
from tests.rota.test_solver_property import instances


def cheapest_by_cp_sat(
    problem: Problem, e: int, cost: np.ndarray, roster=None, first: int = 0
) -> float | None:
    """The exact cheapest price under integer ``cost`` of the employee's row, or of its days
    from ``first`` on (as many as ``cost`` has) with the rest of ``roster`` fixed, by CP-SAT."""
    days = None if roster is None else range(first, first + len(cost))
    built = RosterModel(problem, roster, [e], days, hint=False, penalties=False)
    terms = [
        (int(cost[d - first, s]), lit)
        for (_, d), shifts in built.x.items()
        for s, lit in shifts.items()
    ]
    built.model.minimize(sum(weight * lit for weight, lit in terms))
    solver = make_solver(20.0, 1, 0)
    status = solver.solve(built.model)
    if status == cp_model.INFEASIBLE:
        return None
    assert status == cp_model.OPTIMAL
    return solver.objective_value


def price_of(problem: Problem, row, cost: np.ndarray) -> float:
    index = problem.shift_index()
    return float(sum(cost[d, index[s]] for d, s in enumerate(row) if s is not None))


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(instances(), st.integers(0, 2**32 - 1))
def test_the_programme_finds_the_cheapest_row_keeping_every_rule(
    instance: SsbInstance, seed: int
) -> None:
    problem = to_problem(instance)
    rng = np.random.default_rng(seed)
    for e, employee in enumerate(problem.employees):
        cost = rng.integers(-60, 30, size=(problem.days, len(problem.shifts))).astype(float)
        pricer = RowPricer(problem, e)
        row, bound = pricer.price(cost)
        optimum = cheapest_by_cp_sat(problem, e, cost)

        if optimum is None:
            assert row is None  # no row keeps the rules (any bound holds over no rows)
            continue
        assert bound <= optimum + 1e-6  # a lower bound, whatever the per-type maxima
        limited = [
            s for s in employee.max_shifts if employee.limit_for(s, problem.days) < problem.days
        ]
        if len(limited) <= 1:
            # One maximum below the horizon at most: the states count it, the row is exact.
            assert row is not None and price_of(problem, row, cost) == optimum == bound
        if row is None:
            continue  # a binding per-type maximum the multipliers did not settle
        assert row_keeps_rules(problem, employee, row)
        assert price_of(problem, row, cost) >= optimum - 1e-6
        if bound >= price_of(problem, row, cost) - 1e-6:
            assert price_of(problem, row, cost) == optimum  # proven cheapest is the cheapest


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(instances(), st.integers(0, 2**32 - 1))
def test_a_stretch_of_a_row_is_re_solved_around_the_rest_of_it(
    instance: SsbInstance, seed: int
) -> None:
    problem = to_problem(instance)
    roster, failed = greedy_roster(problem, seed=0)
    if failed:
        return  # rows the greedy leaves to CP-SAT: not a roster to start from
    rng = np.random.default_rng(seed)
    weeks = problem.days // 7
    index = problem.shift_index()
    for e, employee in enumerate(problem.employees):
        first = 7 * int(rng.integers(0, weeks))
        width = 7 * int(rng.integers(1, weeks - first // 7 + 1))
        cost = rng.integers(-60, 30, size=(width, len(problem.shifts))).astype(float)
        pricer = RowPricer(problem, e)

        stretch = pricer.price_stretch(cost, roster[e], first)

        optimum = cheapest_by_cp_sat(problem, e, cost, roster, first)
        assert optimum is not None  # the row's own cells are a candidate
        if stretch is None:
            assert pricer.limited  # only a binding per-type maximum may leave it without one
            continue
        row = (*roster[e][:first], *stretch, *roster[e][first + width :])
        assert row_keeps_rules(problem, employee, row)
        price = float(
            sum(cost[d - first, index[row[d]]] for d in range(first, first + width) if row[d])
        )
        assert price >= optimum - 1e-6
        if not pricer.limited:
            assert price == optimum


def one_employee(days: int, **contract) -> Problem:
    return Problem(
        days=days,
        shifts=(ShiftType("D", 480), ShiftType("N", 600, frozenset({"D"}))),
        employees=(Employee("A", **contract),),
    )


def test_runs_touching_either_end_of_the_horizon_may_be_short() -> None:
    problem = one_employee(7, min_consecutive=2, min_days_off=2)
    reward_first_and_last = np.zeros((7, 2))
    reward_first_and_last[0, 0] = reward_first_and_last[6, 0] = -10

    row, bound = RowPricer(problem, 0).price(reward_first_and_last)

    assert row == ("D", None, None, None, None, None, "D")
    assert bound == -20


def test_a_lone_working_day_inside_the_horizon_is_not_a_row() -> None:
    problem = one_employee(7, min_consecutive=2, min_days_off=2)
    reward_wednesday = np.full((7, 2), 1.0)
    reward_wednesday[2, 0] = -10

    row, _ = RowPricer(problem, 0).price(reward_wednesday)

    # Wednesday alone is too short a run: it comes with Tuesday or Thursday, at a price of 1.
    assert row is not None and row[2] == "D"
    assert sum(cell is not None for cell in row) == 2
    assert row_keeps_rules(problem, problem.employees[0], row)


def test_a_night_is_never_followed_by_a_day_and_weekends_are_capped() -> None:
    problem = one_employee(14, max_weekends=1)
    reward_everything = np.full((14, 2), -1.0)
    reward_everything[:, 1] = -2.0  # nights pay more

    row, _ = RowPricer(problem, 0).price(reward_everything)

    assert row is not None and row_keeps_rules(problem, problem.employees[0], row)
    worked_weekends = sum(1 for sat in (5, 12) if row[sat] is not None or row[sat + 1] is not None)
    assert worked_weekends == 1
    assert all(not (row[d] == "N" and row[d + 1] == "D") for d in range(13))


def test_a_per_type_maximum_is_kept_and_the_bound_stays_below_the_cheapest_row() -> None:
    problem = one_employee(7, max_shifts={"N": 1})
    nights_pay = np.zeros((7, 2))
    nights_pay[:, 1] = -5.0
    nights_pay[:, 0] = -1.0

    row, bound = RowPricer(problem, 0).price(nights_pay)

    assert row is not None and row.count("N") <= 1
    assert row_keeps_rules(problem, problem.employees[0], row)
    optimum = cheapest_by_cp_sat(problem, 0, nights_pay)
    assert bound <= optimum <= price_of(problem, row, nights_pay)


def test_the_states_count_a_binding_maximum_so_the_row_is_the_cheapest_and_proven() -> None:
    # Nights pay far more than days: the multipliers alone would swing between all nights and
    # none; counted in the states, the row takes exactly its two nights and proves it.
    problem = one_employee(14, max_shifts={"N": 2}, max_consecutive=5, min_days_off=2)
    nights_pay = np.full((14, 2), -1.0)
    nights_pay[:, 1] = -9.0

    row, bound = RowPricer(problem, 0).price(nights_pay)

    assert row is not None and row.count("N") == 2
    assert row_keeps_rules(problem, problem.employees[0], row)
    assert price_of(problem, row, nights_pay) == bound == cheapest_by_cp_sat(problem, 0, nights_pay)


def test_minutes_outside_the_contract_leave_no_row() -> None:
    problem = one_employee(7, min_minutes=600 * 7 + 1)  # more than seven nights pay

    row, bound = RowPricer(problem, 0).price(np.zeros((7, 2)))

    assert row is None and bound == math.inf


#: Contract, the row's second week (held), and the price of the first week's cells that tempt
#: the programme to break a rule where the two weeks meet.
EDGES = {
    "a night may not be followed by the held day shift": (
        {},
        ("D", None, None, None, None, None, None),
        {(6, "N"): -50},
    ),
    "days off on both sides add up to the shortest rest": (
        {"min_days_off": 3},
        (None, "D", "D", None, None, None, None),
        {(5, "D"): -10, (6, "D"): 20},
    ),
    "a run across the edge keeps to the longest run": (
        {"max_consecutive": 3},
        ("D", "D", None, None, None, None, None),
        {(5, "D"): -10, (6, "D"): -10},
    ),
    "a run the held week starts keeps to the shortest run": (
        {"min_consecutive": 3, "min_days_off": 1},
        ("D", None, None, None, None, None, None),
        {(4, "D"): 0, (5, "D"): 5, (6, "D"): 5},
    ),
}


@pytest.mark.parametrize("case", EDGES)
def test_a_stretch_meets_the_rest_of_its_row_within_the_rules(case: str) -> None:
    contract, held, tempting = EDGES[case]
    problem = one_employee(14, **contract)
    index = problem.shift_index()
    cost = np.zeros((7, 2))
    for (d, sid), price in tempting.items():
        cost[d, index[sid]] = price
    # A legal first week to start from: the same cells as the held week's tail allows.
    roster = (((None,) * 7) + held,)
    if held[0] is not None and contract.get("min_consecutive", 1) > 1:
        roster = ((None, None, None, None, "D", "D", "D", *held),)
    assert row_keeps_rules(problem, problem.employees[0], roster[0])

    stretch = RowPricer(problem, 0).price_stretch(cost, roster[0], 0)

    assert stretch is not None
    row = (*stretch, *held)
    assert row_keeps_rules(problem, problem.employees[0], row)
    assert price_of(problem, (*stretch, *(None,) * 7), np.vstack([cost, cost])) == (
        cheapest_by_cp_sat(problem, 0, cost, roster, 0)
    )


def three_types(days: int, **contract) -> Problem:
    return Problem(
        days=days,
        shifts=(
            ShiftType("D", 480),
            ShiftType("L", 480, frozenset({"D"})),
            ShiftType("N", 600, frozenset({"D", "L"})),
        ),
        employees=(Employee("A", **contract),),
    )


def test_rows_are_priced_exactly_with_at_most_two_maxima_below_the_horizon() -> None:
    one_limit = one_employee(14, max_shifts={"N": 2})
    two_limits = three_types(14, max_shifts={"N": 2, "L": 3})
    three_limits = three_types(14, max_shifts={"N": 2, "L": 3, "D": 5})
    no_limit = one_employee(14)

    assert RowPricer(one_limit, 0).exact
    assert RowPricer(no_limit, 0).exact
    assert RowPricer(two_limits, 0).exact
    assert not RowPricer(three_limits, 0).exact  # the third is left to multipliers
    assert not RowPricer(one_limit, 0, count=False).exact


def test_the_states_count_two_binding_maxima_so_the_row_is_the_cheapest_and_proven() -> None:
    # Lates and nights both pay more than days and both maxima bind: with one counted, the
    # multiplier on the other swings between too many and too few; with both counted, the row
    # takes its three lates and two nights and proves it.
    problem = three_types(14, max_shifts={"N": 2, "L": 3}, max_consecutive=5, min_days_off=2)
    pay = np.full((14, 3), -1.0)
    pay[:, 1] = -6.0
    pay[:, 2] = -9.0
    pay[3, 2] = -4.0  # one night pays less: the nights taken are not just any two

    row, bound = RowPricer(problem, 0).price(pay)

    assert row is not None and row.count("N") == 2 and row.count("L") == 3
    assert row_keeps_rules(problem, problem.employees[0], row)
    assert price_of(problem, row, pay) == bound == cheapest_by_cp_sat(problem, 0, pay)


def running_totals(problem: Problem, row) -> tuple[list[int], list[int]]:
    """Minutes and weekends a row has worked before each day (and after the last)."""
    minutes = {s.id: s.minutes for s in problem.shifts}
    worked, weekends = [0], [0]
    for d, sid in enumerate(row):
        worked.append(worked[-1] + (minutes[sid] if sid is not None else 0))
        starts = sid is not None and (d % 7 == 5 or (d % 7 == 6 and row[d - 1] is None))
        weekends.append(weekends[-1] + starts)
    return worked, weekends


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(instances(), st.integers(0, 2**32 - 1), st.integers(0, 3), st.integers(0, 1))
def test_a_row_re_solved_near_another_keeps_every_rule_and_its_running_totals_near(
    instance: SsbInstance, seed: int, reach_m: int, reach_w: int
) -> None:
    problem = to_problem(instance)
    start, failed = greedy_roster(problem, seed=0)
    rng = np.random.default_rng(seed)
    for e, employee in enumerate(problem.employees):
        if e in failed:
            continue
        cost = rng.integers(-60, 30, size=(problem.days, len(problem.shifts))).astype(float)
        pricer = RowPricer(problem, e)
        unit = math.gcd(*(s.minutes for s in problem.shifts))

        row = pricer.price_near(cost, start[e], reach_m, reach_w)

        if row is None:
            assert not pricer.exact  # the old row is always a candidate when priced exactly
            continue
        assert row_keeps_rules(problem, employee, row)
        (old_m, old_w), (new_m, new_w) = (
            running_totals(problem, start[e]),
            running_totals(problem, row),
        )
        assert all(abs(a - b) <= reach_m * unit for a, b in zip(old_m, new_m, strict=True))
        assert all(abs(a - b) <= reach_w for a, b in zip(old_w, new_w, strict=True))
        if pricer.exact:
            assert price_of(problem, row, cost) <= price_of(problem, start[e], cost)
            # Near enough to hold every total, it is the cheapest row of all.
            whole = pricer.price_near(cost, start[e], pricer.high + 1, problem.days)
            assert price_of(problem, whole, cost) == price_of(problem, pricer.price(cost)[0], cost)


def test_a_weekend_worked_on_one_day_only_is_weighed_when_asked() -> None:
    problem = one_employee(7, min_minutes=480, max_minutes=960)
    saturday_pays = np.full((7, 2), 5.0)
    saturday_pays[5, 0], saturday_pays[6, 0] = -1.0, 0.4

    alone, _ = RowPricer(problem, 0).price(saturday_pays)
    weighed, _ = RowPricer(problem, 0).price(saturday_pays, half=1.0)

    assert alone == (None, None, None, None, None, "D", None)
    assert weighed == (None, None, None, None, None, "D", "D")  # -0.6 against -1 + 1
