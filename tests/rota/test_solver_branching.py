"""Branch and price: rows keep its decisions, and a searched tree proves the true optimum."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rota.solver import solve
from rota.solver.branching import BranchAndPrice
from rota.solver.columns import CellRule, ColumnGeneration, _Pricer
from rota.solver.greedy import greedy_roster
from rota.solver.pricing import RowPricer, prices_exactly, request_prices
from rota.solver.problem import Employee, Problem, ShiftType
from rota.solver.result import SolveStatus
from rota.solver.search import _Incumbent
from rota.ssb.checker import check_roster
from rota.ssb.instance import SsbInstance, instance_path, load_instance, to_problem
from tests.rota.test_solver_columns import FAR, _optimum, grid
from tests.rota.test_solver_pricing import cheapest_by_cp_sat
from tests.rota.test_solver_property import instances


def _search(problem: Problem, best: _Incumbent) -> BranchAndPrice:
    """Column generation to convergence, then the whole tree, from ``best``."""
    greedy, failed = greedy_roster(problem, 0)
    columns = ColumnGeneration(problem, [] if failed else [greedy])
    columns.run(time.monotonic() + FAR, workers=2, max_rounds=200)
    tree = BranchAndPrice(columns)
    tree.search(time.monotonic() + FAR, 2, 0, lambda: best.cost, best.offer)
    return tree


def _pricer(problem: Problem) -> _Pricer:
    return _Pricer(problem, 0, request_prices(problem)[0], 0)


def _one_employee(days: int = 7, **contract) -> Problem:
    return Problem(
        days=days,
        shifts=(ShiftType("D", 480), ShiftType("N", 600, frozenset({"D"}))),
        employees=(Employee("A", **contract),),
    )


def test_a_day_ruled_in_is_worked_and_a_shift_ruled_out_is_not() -> None:
    problem = _one_employee(min_consecutive=1)
    pricer = _pricer(problem)
    cost = np.full((7, 2), 5.0)  # every cell costs: left alone, the row would work nothing
    cost[2, 1] = 1.0  # of the shifts on day 2, the night is the cheaper

    rules = (CellRule(0, 2, None, True), CellRule(0, 2, "N", False))
    row, bound = pricer._price_within(cost, rules)

    assert row == (None, None, "D", None, None, None, None)
    assert bound == 5.0
    worked, _ = pricer._price_within(cost, (CellRule(0, 2, None, True),))
    assert worked == (None, None, "N", None, None, None, None)


def test_a_day_ruled_in_that_the_rules_forbid_leaves_no_row() -> None:
    problem = _one_employee(days_off=frozenset({3}))
    pricer = _pricer(problem)

    row, bound = pricer._price_within(np.zeros((7, 2)), (CellRule(0, 3, "D", True),))

    assert row is None
    assert bound == math.inf


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(instances(), st.integers(0, 2**32 - 1))
def test_rows_priced_under_decisions_keep_them_and_are_the_cheapest_that_do(
    instance: SsbInstance, seed: int
) -> None:
    problem = to_problem(instance)
    rng = np.random.default_rng(seed)
    for e in range(len(problem.employees)):
        if not RowPricer(problem, e).exact:
            continue
        cost = rng.integers(-60, 30, size=(problem.days, len(problem.shifts))).astype(float)
        ids = [None, *(s.id for s in problem.shifts)]  # None: the day, any shift
        rules = tuple(
            CellRule(e, int(rng.integers(problem.days)), rng.choice(ids), bool(rng.random() < 0.5))
            for _ in range(int(rng.integers(1, 4)))
        )
        pricer = _Pricer(problem, e, np.zeros_like(cost), 0)

        row, bound = pricer._price_within(cost, rules)

        # CP-SAT's cheapest row under the same decisions: ruled-out cells priced out of reach,
        # ruled-in days or cells priced far below any row.
        big = 10_000
        ruled = cost.copy()
        musts = 0
        for rule in rules:
            cells = slice(None) if rule.shift is None else problem.shift_index()[rule.shift]
            if rule.works:
                musts += 1
                if rule.shift is not None:
                    others = [s for s in range(len(problem.shifts)) if s != cells]
                    ruled[rule.day, others] += big
                ruled[rule.day, cells] -= big
            else:
                ruled[rule.day, cells] += big
        optimum = cheapest_by_cp_sat(problem, e, ruled)
        if optimum is None or optimum + big * musts >= big / 2:
            assert row is None and bound == math.inf  # no row keeps rules and decisions
            continue
        assert row is not None
        assert all(rule.admits(row) for rule in rules)
        index = problem.shift_index()
        price = sum(cost[d, index[s]] for d, s in enumerate(row) if s is not None)
        assert price == bound == optimum + big * musts


@settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(instances())
def test_a_searched_tree_ends_at_the_proven_optimum(instance: SsbInstance) -> None:
    problem = to_problem(instance)
    assume(prices_exactly(problem))
    optimum = _optimum(instance)
    assume(optimum is not None)
    best = _Incumbent(problem)

    tree = _search(problem, best)

    assert tree.done
    assert best.cost == tree.bound(best.cost) == optimum
    assert check_roster(instance, grid(best.roster)).violations == ()
    # From a roster one dearer than the optimum, the tree closes no node that holds it.
    dearer = _Incumbent(problem)
    dearer.cost = optimum + 1
    assert _search(problem, dearer).done
    assert dearer.cost == optimum


def test_branch_and_price_proves_instance5_optimal_at_1143() -> None:
    instance = load_instance(instance_path(5))
    problem = to_problem(instance)
    best = _Incumbent(problem)

    tree = _search(problem, best)

    assert tree.done
    assert best.cost == tree.bound(best.cost) == 1143
    report = check_roster(instance, grid(best.roster))
    assert report.violations == () and report.objective == 1143
    # The decisions are undone: the LP is the relaxation again, below the optimum.
    columns = tree.columns
    columns.run(time.monotonic() + FAR, workers=2, max_rounds=1)
    assert columns.lp_value < 1142


def test_from_a_roster_one_above_the_best_known_the_tree_finds_instance7s_1056() -> None:
    # Instance7's LP bound is 1055 and the best known roster costs 1056: every node whose
    # bound is below 1056 must be searched, and the roster of 1056 is found and proven.
    instance = load_instance(instance_path(7))
    problem = to_problem(instance)
    best = _Incumbent(problem)
    best.cost = 1057

    tree = _search(problem, best)

    assert tree.done
    assert best.cost == tree.bound(best.cost) == 1056
    assert check_roster(instance, grid(best.roster)).objective == 1056


def test_a_tree_cut_short_proves_no_more_than_its_open_nodes() -> None:
    problem = to_problem(load_instance(instance_path(9)))
    best = _Incumbent(problem)
    greedy, _ = greedy_roster(problem, 0)
    columns = ColumnGeneration(problem, [greedy])
    bound = columns.run(time.monotonic() + FAR, workers=2, max_rounds=200)
    tree = BranchAndPrice(columns)

    tree.search(time.monotonic() + 2.0, 2, 0, lambda: best.cost, best.offer)

    assert not tree.done  # Instance9's LP (405.7) is far below its optimum 439
    assert tree.bound(best.cost) <= 439
    assert bound == 406  # the open nodes' bounds are at least the root's


def test_a_tree_refuses_rows_the_programme_cannot_price_exactly() -> None:
    # Three per-type maxima below the horizon: the states count two, the third is left to
    # multipliers.
    problem = Problem(
        days=7,
        shifts=(ShiftType("D", 480), ShiftType("L", 480), ShiftType("N", 600)),
        employees=(Employee("A", max_shifts={"D": 2, "L": 2, "N": 2}),),
    )
    columns = ColumnGeneration(problem, [])

    with pytest.raises(ValueError, match="priced exactly"):
        BranchAndPrice(columns)


def test_the_solver_proves_instance5_optimal() -> None:
    problem = to_problem(load_instance(instance_path(5)))

    # It returns as soon as the tree is searched (under a second here); the limit is headroom.
    result = solve(problem, time_limit=60.0, workers=2, seed=0)

    assert result.status == SolveStatus.OPTIMAL
    assert result.objective == result.bound == 1143
