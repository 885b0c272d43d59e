"""CP-SAT parameter choices, in one place so each can be measured and explained."""

from __future__ import annotations

from ortools.sat.python import cp_model

#: A full-LP worker for the bound and a fast-restart one for solutions. With two workers the
#: default portfolio keeps the run and weekend rules out of the LP of its only full-problem
#: worker; measured on instances 3 to 11 at 30 s this pair proved 3 optimal in 3 s (default: no
#: proof, bound 2) and gave bounds of 920 on 5 and 3437 on 11 where the default had 1 and 2. On
#: LNS sub-models it proves 4-employee neighbourhoods of instance 5 in 0.5 s (default 3.7 s).
FULL_LP_SUBSOLVERS = ["max_lp", "quick_restart"]


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
    if subsolvers and workers > 1:
        params.subsolvers.extend(subsolvers[:workers])
    elif subsolvers:
        params.linearization_level = 2  # one worker: give it the full LP
    return solver
