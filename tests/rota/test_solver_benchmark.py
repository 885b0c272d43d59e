"""The solver on real benchmark instances (the small ones, proved within seconds)."""

from __future__ import annotations

import time

from rota.solver import SolveStatus, solve
from rota.solver.search import construct
from rota.ssb.checker import check_roster
from rota.ssb.instance import instance_path, load_instance, to_problem


def test_instance1_is_solved_to_its_proven_optimum_607() -> None:
    instance = load_instance(instance_path(1))
    result = solve(to_problem(instance), time_limit=30, workers=2, seed=0)
    assert result.objective == 607
    assert result.bound == 607
    assert result.status is SolveStatus.OPTIMAL
    report = check_roster(instance, [[c or "" for c in row] for row in result.roster])
    assert report.feasible and report.objective == 607


def test_employee_group_construction_gives_a_roster_keeping_every_rule() -> None:
    instance = load_instance(instance_path(3))
    problem = to_problem(instance)
    # A far deadline; the deterministic work cap per group, not the clock, bounds each solve.
    roster = construct(
        problem, time.monotonic() + 3600, workers=2, seed=0, group_cells=100, group_work=1.0
    )
    assert roster is not None
    report = check_roster(instance, [[c or "" for c in row] for row in roster])
    assert report.violations == ()
