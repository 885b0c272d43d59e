"""Search strategy: how the CP-SAT models of :mod:`rota.solver.model` are solved."""

from __future__ import annotations

import time
from collections.abc import Callable

from ortools.sat.python import cp_model

from rota.solver.model import RosterModel
from rota.solver.problem import Problem, Roster
from rota.solver.result import SolveResult, SolveStatus, roster_cost, roster_penalties


def make_solver(
    time_limit: float, workers: int, seed: int, subsolvers: list[str] | None = None
) -> cp_model.CpSolver:
    """A CP-SAT solver with the given limits.

    Args:
        time_limit: Wall-clock seconds.
        workers: Search threads.
        seed: Random seed, for reproducible runs.
        subsolvers: Exact list of CP-SAT subsolvers to run, or None for CP-SAT's own portfolio.

    Returns:
        A configured solver.
    """
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = max(0.01, time_limit)
    params.num_workers = workers
    params.random_seed = seed
    if subsolvers:
        params.subsolvers[:] = subsolvers
    return solver


def solve(
    problem: Problem,
    time_limit: float = 60.0,
    workers: int = 2,
    seed: int = 0,
    hint: Roster | None = None,
    log: Callable[[str], None] | None = None,
) -> SolveResult:
    """Find a low-cost roster that keeps every hard rule.

    Args:
        problem: The rostering problem.
        time_limit: Wall-clock budget in seconds, model building included.
        workers: CP-SAT search threads.
        seed: Random seed; the same seed and limits give the same search.
        hint: A roster to start from (need not be feasible).
        log: Called with progress lines when given.

    Returns:
        The best roster found, its recomputed cost, the proven bound and its penalties.
    """
    started = time.monotonic()
    built = RosterModel(problem, hint)
    remaining = time_limit - (time.monotonic() - started)
    solver = make_solver(remaining, workers, seed)
    status = solver.solve(built.model)
    seconds = time.monotonic() - started
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        roster = built.solution(solver)
        cost = roster_cost(problem, roster)
        bound = int(round(solver.best_objective_bound))
        return SolveResult(
            status=SolveStatus.OPTIMAL if cost <= bound else SolveStatus.FEASIBLE,
            roster=roster,
            objective=cost,
            bound=min(bound, cost),
            penalties=roster_penalties(problem, roster),
            seconds=seconds,
        )
    return SolveResult(
        status=SolveStatus.INFEASIBLE if status == cp_model.INFEASIBLE else SolveStatus.UNKNOWN,
        roster=None,
        objective=None,
        bound=int(round(solver.best_objective_bound)) if status != cp_model.INFEASIBLE else 0,
        penalties=(),
        seconds=seconds,
    )
