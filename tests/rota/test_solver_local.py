"""The local search only makes moves that keep every hard rule and lower the cost."""

from __future__ import annotations

import random
import time

from hypothesis import HealthCheck, given, settings

from rota.solver import roster_cost
from rota.solver.greedy import greedy_roster
from rota.solver.local import LocalSearch
from rota.ssb.checker import check_roster
from rota.ssb.instance import (
    SsbCover,
    SsbInstance,
    SsbRequest,
    SsbShift,
    SsbStaff,
    instance_path,
    load_instance,
    to_problem,
)
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


def two_nurses(
    *,
    on_requests: tuple[SsbRequest, ...] = (),
    off_requests: tuple[SsbRequest, ...] = (),
    b_days: int = 7,
    a_off: tuple[int, ...] = (),
) -> SsbInstance:
    """Two employees A and B over a week, a day shift D and a night N that D may not follow,
    one of each wanted every day; B may work at most ``b_days`` D shifts, A not on ``a_off``."""
    staff = (
        SsbStaff("A", (("D", 7), ("N", 7)), 10_000, 0, 4, 1, 1, 1),
        SsbStaff("B", (("D", b_days), ("N", 7)), 10_000, 0, 4, 1, 1, 1),
    )
    return SsbInstance(
        name="two-nurses",
        horizon=7,
        shifts=(SsbShift("D", 480, ()), SsbShift("N", 480, ("D",))),
        staff=staff,
        days_off={"A": a_off},
        on_requests=on_requests,
        off_requests=off_requests,
        cover=tuple(SsbCover(d, s, 1, 100, 1) for d in range(7) for s in "DN"),
    )


def rows(*lines: str):
    return tuple(tuple(None if c == "." else c for c in line) for line in lines)


def swapped(instance: SsbInstance, start):
    """The cost change of one pass of request swaps from ``start``, and the roster it leaves."""
    search = LocalSearch(to_problem(instance), start)
    gained = search.grant_requests(time.monotonic() + FAR, random.Random(0))
    return gained, search.roster()


def test_a_swap_grants_a_request_and_leaves_the_cover_as_it_was() -> None:
    # A wants the night of day 2 that B works. Every block of days shorter than the four both
    # work leaves a D straight after an N in one of the rows, which the rules forbid.
    instance = two_nurses(on_requests=(SsbRequest("A", 2, "N", 3),))
    start = rows("DDDD...", "NNNN...")

    gained, roster = swapped(instance, start)

    report = check_roster(instance, grid(roster))
    assert report.violations == ()
    assert gained == -3 and report.on_requests == 0
    assert report.objective == roster_cost(to_problem(instance), start) - 3
    assert roster == rows("NNNN...", "DDDD...")


def test_an_off_request_is_granted_by_handing_the_shift_to_someone_free() -> None:
    instance = two_nurses(off_requests=(SsbRequest("A", 5, "D", 2),))

    gained, roster = swapped(instance, rows("...DDD.", "DDD...."))

    report = check_roster(instance, grid(roster))
    assert report.violations == ()
    assert gained == -2 and report.off_requests == 0


def test_no_swap_is_made_that_breaks_a_rule() -> None:
    # B wants the D that A works on day 4 but may work at most three D shifts, all worked,
    # and A may not take any of them: those days are A's days off.
    instance = two_nurses(on_requests=(SsbRequest("B", 4, "D", 3),), b_days=3, a_off=(0, 1, 2))
    start = rows("....D..", "DDD....")

    assert swapped(instance, start) == (0, start)


@settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(instances())
def test_request_swaps_on_random_instances_keep_every_rule_and_the_cover(
    instance: SsbInstance,
) -> None:
    problem = to_problem(instance)
    start, failed = greedy_roster(problem, seed=0)
    if failed:
        return
    gained, roster = swapped(instance, start)
    report = check_roster(instance, grid(roster))
    assert report.violations == ()
    assert report.objective == roster_cost(problem, start) + gained
    assert report.cover_under + report.cover_over == sum(
        getattr(check_roster(instance, grid(start)), k) for k in ("cover_under", "cover_over")
    )
