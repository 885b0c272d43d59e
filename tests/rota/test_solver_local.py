"""The local search only makes moves that keep every hard rule and lower the cost."""

from __future__ import annotations

import random
import time

from hypothesis import HealthCheck, given, settings

from rota.solver import roster_cost
from rota.solver.greedy import greedy_roster
from rota.solver.local import LocalSearch
from rota.ssb.checker import check_roster
from rota.ssb.instance import SsbInstance, instance_path, load_instance, to_problem
from tests.rota.test_solver_property import instances

FAR = 3600.0  # a deadline that never binds: passes, not the clock, end these searches


def grid(roster) -> list[list[str]]:
    return [[cell or "" for cell in row] for row in roster]


def test_local_search_on_instance13_keeps_every_rule_and_lowers_the_cost_it_reports() -> None:
    instance = load_instance(instance_path(13))
    problem = to_problem(instance)
    start, failed = greedy_roster(problem, seed=0)
    assert failed == []
    search = LocalSearch(problem, start)
    gained = search.descend(time.monotonic() + FAR, random.Random(0), max_passes=2)
    better = search.roster()
    report = check_roster(instance, grid(better))
    assert report.violations == ()
    assert gained < 0
    assert report.objective == roster_cost(problem, better) == roster_cost(problem, start) + gained


@settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(instances())
def test_local_search_on_random_instances_keeps_every_rule(instance: SsbInstance) -> None:
    problem = to_problem(instance)
    start, failed = greedy_roster(problem, seed=0)
    if failed:
        return  # rows the greedy leaves to CP-SAT: not a roster to start from
    search = LocalSearch(problem, start)
    gained = search.descend(time.monotonic() + FAR, random.Random(0), max_passes=3)
    better = search.roster()
    assert check_roster(instance, grid(better)).violations == ()
    assert roster_cost(problem, better) == roster_cost(problem, start) + gained
