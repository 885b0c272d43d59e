"""The large-neighbourhood search only ever moves between rosters that keep every hard rule."""

from __future__ import annotations

import random
import time

from hypothesis import HealthCheck, given, settings

from rota.solver import roster_cost
from rota.solver.lns import NeighbourhoodPicker, improve
from rota.solver.params import FULL_LP_SUBSOLVERS
from rota.solver.search import construct
from rota.ssb.checker import check_roster
from rota.ssb.instance import SsbInstance, instance_path, load_instance, to_problem
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
    better = improve(
        problem,
        start,
        time.monotonic() + FAR,
        workers=2,
        rng=random.Random(0),
        slice_seconds=0.5,
        cells=120,
        subsolvers=FULL_LP_SUBSOLVERS,
        max_rounds=6,
    )
    report = check_roster(instance, grid(better))
    assert report.violations == ()
    assert report.objective == roster_cost(problem, better) <= roster_cost(problem, start)


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
