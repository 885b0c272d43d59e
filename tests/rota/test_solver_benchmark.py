"""The solver on real benchmark instances: the small ones proved within seconds, and the steps a
larger one takes."""

from __future__ import annotations

import time

import pytest

from rota.solver import SolveStatus, roster_cost, search, solve, sweep
from rota.solver.greedy import greedy_roster
from rota.solver.search import _Incumbent, _solve_full, construct
from rota.ssb.checker import check_roster
from rota.ssb.instance import instance_path, load_instance, to_problem
from tests.rota.clock import FrozenClock


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


def test_a_bound_above_the_optimum_never_costs_the_roster_in_hand() -> None:
    # The full model carries the proven bound as a constraint; were a bound ever wrong, the
    # model would be infeasible, and that must not read as "no roster exists".
    problem = to_problem(load_instance(instance_path(1)))
    greedy, _ = greedy_roster(problem, 0)
    best = _Incumbent(problem)
    best.offer(greedy)
    best.bound = 10**6

    assert _solve_full(problem, best, 10.0, 2, 0, None, None)
    assert best.roster == greedy


@pytest.mark.parametrize("whole_days", [84, 28])
def test_where_no_row_is_taken_whole_only_sweeps_and_request_swaps_follow_the_greedy(
    monkeypatch, whole_days: int
) -> None:
    # Instance15's 42-day rows are taken whole, unless rows longer than 28 days are not.
    instance = load_instance(instance_path(15))
    problem = to_problem(instance)
    monkeypatch.setattr(sweep, "WHOLE_DAYS", whole_days)
    phases, swaps = [], []
    monkeypatch.setattr(
        search, "improve", lambda problem, roster, *_, **__: phases.append(roster) or roster
    )
    real_grant = search.LocalSearch.grant_requests
    monkeypatch.setattr(
        search.LocalSearch,
        "grant_requests",
        lambda self, *args, **kwargs: swaps.append(self) or real_grant(self, *args, **kwargs),
    )

    result = solve(problem, time_limit=8, workers=2, seed=0)

    assert bool(phases) == (whole_days == 84)  # LNS phases only where some row is whole
    assert bool(swaps) == (whole_days == 28)  # request swaps between the sweeps otherwise
    report = check_roster(instance, [[c or "" for c in row] for row in result.roster])
    assert report.violations == () and report.objective == result.objective


@pytest.mark.parametrize("most_variables", [3_000, 2_000])
def test_window_passes_follow_the_sweeps_where_a_two_week_window_is_small(
    monkeypatch, most_variables: int
) -> None:
    # Instance15's two-week whole-staff window has 2,242 shift variables on average.
    problem = to_problem(load_instance(instance_path(15)))
    monkeypatch.setattr(search, "LP_DIVE_MAX_VARS", 0)  # straight to the sweeps and the LNS
    monkeypatch.setattr(search, "WINDOW_MAX_VARS", most_variables)
    events, _, _ = record_columns_and_sweeps(monkeypatch, problem)
    monkeypatch.setattr(
        search, "improve", lambda problem, roster, *_, **__: events.append("lns") or roster
    )
    monkeypatch.setattr(
        search,
        "window_pass",
        lambda problem, roster, *_, **__: events.append("windows") or roster,
    )

    solve(problem, time_limit=8, workers=2, seed=0)

    if most_variables == 3_000:
        assert events[:4] == ["sweep", "lns", "sweep", "windows"]
    else:
        assert "windows" not in events


def record_columns_and_sweeps(monkeypatch, problem) -> tuple[list, list, list]:
    """Record, in order, each column generation built ("columns") and each row sweep ("sweep")
    of the search. Returns the events, the keyword arguments of each column generation, and
    each sweep's (cost before, cost after)."""
    events, built, swept = [], [], []
    real = search.ColumnGeneration

    def columns(*args, **kwargs):
        built.append(kwargs)
        events.append("columns")
        return real(*args, **kwargs)

    real_sweep = search.RowSweep.sweep

    def sweep_recorded(self, roster, until, *args, **kwargs):
        events.append("sweep")
        result = real_sweep(self, roster, until, *args, **kwargs)
        swept.append((roster_cost(problem, roster), roster_cost(problem, result)))
        return result

    monkeypatch.setattr(search, "ColumnGeneration", columns)
    monkeypatch.setattr(search.RowSweep, "sweep", sweep_recorded)
    return events, built, swept


@pytest.mark.parametrize("most_variables", [8_000, 6_000])
def test_instance15_turns_from_the_greedy_to_rows_priced_by_the_programme_alone(
    monkeypatch, most_variables: int
) -> None:
    # Instance15 has 6,726 shift variables: over the small instances' limit, and every row
    # is taken whole by the sweeps but several per-type maxima bind.
    instance = load_instance(instance_path(15))
    problem = to_problem(instance)
    monkeypatch.setattr(search, "LP_DIVE_MAX_VARS", most_variables)
    events, built, _ = record_columns_and_sweeps(monkeypatch, problem)

    result = solve(problem, time_limit=6, workers=2, seed=0)

    priced = most_variables == 8_000
    assert built == ([{"programme_only": True}] if priced else [])
    # On that path column generation starts from the greedy rows, before any sweep: the LP,
    # not the sweeps, leads from there. Off it the sweeps start from the greedy rows.
    assert events[0] == ("columns" if priced else "sweep")
    report = check_roster(instance, [[c or "" for c in row] for row in result.roster])
    assert report.violations == () and report.objective == result.objective
    assert result.bound <= result.objective


def test_instance15_sweeps_the_greedy_rows_when_the_lp_does_not_settle_in_time(
    monkeypatch,
) -> None:
    problem = to_problem(load_instance(instance_path(15)))
    monkeypatch.setattr(search, "LP_COLUMNS_SHARE", 0.0)  # no time for column generation
    events, _, swept = record_columns_and_sweeps(monkeypatch, problem)
    monkeypatch.setattr(
        search, "improve", lambda problem, roster, *_, **__: events.append("lns") or roster
    )

    result = solve(problem, time_limit=4, workers=2, seed=0)

    assert events[:3] == ["columns", "sweep", "lns"]
    greedy, polished = swept[0]
    assert polished < greedy  # the sweeps, not the LNS, take the greedy rows' first polish
    assert result.objective <= polished


class _TimedDives:
    """Column generation whose every dive takes ``seconds`` of the clock and gives the greedy."""

    def __init__(self, problem, clock: FrozenClock, seconds: float) -> None:
        self.problem = problem
        self.clock = clock
        self.seconds = seconds
        self.calls = []

    def dive(self, until, workers, seed, **kwargs):
        self.calls.append(kwargs)
        self.clock.now += self.seconds
        return greedy_roster(self.problem, len(self.calls))[0]


@pytest.mark.parametrize(("finish", "dives"), [(6, 2), (0, 3)])
def test_no_dive_that_finishes_with_cp_sat_starts_with_less_time_than_the_last_took(
    monkeypatch, finish: int, dives: int
) -> None:
    problem = to_problem(load_instance(instance_path(5)))
    clock = FrozenClock()
    monkeypatch.setattr(search.time, "monotonic", clock)
    columns = _TimedDives(problem, clock, seconds=10.0)

    # 25 s to go and dives of 10 s: a third would start with 5 s left.
    search._dive(
        columns,
        _Incumbent(problem),
        clock.now + 25,
        workers=2,
        seed=0,
        rng=None,
        sweep=lambda roster, until: roster,
        log=None,
        finish=finish,
        finish_seconds=5.0,
    )

    # Cut short, a dive that leaves its last rows to CP-SAT ends far from the LP; without
    # that last step, dives go on until the time is up, as before.
    assert len(columns.calls) == dives
    assert all(call["finish"] == finish for call in columns.calls)
