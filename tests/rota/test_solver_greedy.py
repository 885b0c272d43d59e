"""The greedy row builder only keeps rows that break no hard rule."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from rota.solver.greedy import greedy_roster, row_keeps_rules
from rota.ssb.checker import check_roster
from rota.ssb.instance import SsbInstance, instance_path, load_instance, to_problem
from tests.rota.test_solver_property import instances


def violations_outside(instance: SsbInstance, roster, failed: list[int]) -> list[str]:
    """Checker violations of the employees the greedy claims to have placed."""
    names = {instance.staff[e].id for e in failed}
    report = check_roster(instance, [[cell or "" for cell in row] for row in roster])
    return [v.rule for v in report.violations if v.employee not in names]


@pytest.mark.parametrize("number", [5, 15])
def test_greedy_rows_on_benchmark_instances_keep_every_rule(number: int) -> None:
    instance = load_instance(instance_path(number))
    roster, failed = greedy_roster(to_problem(instance), seed=0)
    assert violations_outside(instance, roster, failed) == []
    assert len(failed) < len(instance.staff) // 2


def test_row_check_rejects_a_run_that_is_too_long() -> None:
    problem = to_problem(load_instance(instance_path(1)))
    employee = problem.employees[0]  # at most 5 days in a row, 2 days off at least
    assert not row_keeps_rules(problem, employee, ("D",) * 6 + (None,) * 8)


@settings(
    max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(instances())
def test_greedy_rows_on_random_instances_keep_every_rule(instance: SsbInstance) -> None:
    roster, failed = greedy_roster(to_problem(instance), seed=0)
    assert violations_outside(instance, roster, failed) == []
