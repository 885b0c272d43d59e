"""What the solver hands back, and the cost of a roster recomputed from the roster itself.

The cost is recomputed here rather than taken from CP-SAT: on feasible (not optimal) results the
solver's reported objective can be higher than what the returned roster really costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rota.solver.problem import Problem, Roster


class SolveStatus(StrEnum):
    """Outcome of a solve, named as CP-SAT names it."""

    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class Penalty:
    """One soft rule the roster breaks, and what it costs.

    Attributes:
        kind: ``"cover_under"``, ``"cover_over"``, ``"shift_on_request"`` or
            ``"shift_off_request"``.
        day: Day index.
        shift: Shift type id.
        employee: Employee id for requests, None for cover.
        amount: People short or in excess for cover, 1 for a request.
        cost: Weighted cost added to the objective.
    """

    kind: str
    day: int
    shift: str
    employee: str | None
    amount: int
    cost: int


@dataclass(frozen=True)
class SolveResult:
    """A roster and how good it is.

    Attributes:
        status: OPTIMAL when the roster's cost equals the proven bound.
        roster: ``roster[e][d]`` is a shift id or None; None when no roster was found.
        objective: Cost of ``roster`` recomputed from the roster, None without a roster.
        bound: Best proven lower bound on any roster's cost.
        penalties: Every violated request and cover shortfall or excess, with its cost.
        seconds: Wall time spent.
    """

    status: SolveStatus
    roster: Roster | None
    objective: int | None
    bound: int
    penalties: tuple[Penalty, ...]
    seconds: float


def roster_penalties(problem: Problem, roster: Roster) -> tuple[Penalty, ...]:
    """List every soft-rule violation of a roster.

    Args:
        problem: The problem the roster answers.
        roster: ``roster[e][d]`` is a shift id or None.

    Returns:
        One penalty per unmet request and per cover line that is short or over, in the order
        cover, on-requests, off-requests.
    """
    staff = problem.employee_index()
    counts: dict[tuple[int, str], int] = {}
    for row in roster:
        for day, shift in enumerate(row):
            if shift is not None:
                counts[day, shift] = counts.get((day, shift), 0) + 1

    penalties: list[Penalty] = []
    for cover in problem.covers:
        have = counts.get((cover.day, cover.shift), 0)
        if have < cover.requirement:
            short = cover.requirement - have
            penalties.append(
                Penalty(
                    "cover_under", cover.day, cover.shift, None, short, short * cover.under_weight
                )
            )
        elif have > cover.requirement:
            extra = have - cover.requirement
            penalties.append(
                Penalty(
                    "cover_over", cover.day, cover.shift, None, extra, extra * cover.over_weight
                )
            )
    for req in problem.on_requests:
        if roster[staff[req.employee]][req.day] != req.shift:
            penalties.append(
                Penalty("shift_on_request", req.day, req.shift, req.employee, 1, req.weight)
            )
    for req in problem.off_requests:
        if roster[staff[req.employee]][req.day] == req.shift:
            penalties.append(
                Penalty("shift_off_request", req.day, req.shift, req.employee, 1, req.weight)
            )
    return tuple(penalties)


def roster_cost(problem: Problem, roster: Roster) -> int:
    """Objective value of a roster: the sum of its penalties' costs.

    Args:
        problem: The problem the roster answers.
        roster: ``roster[e][d]`` is a shift id or None.

    Returns:
        The weighted sum of unmet requests and cover shortfall and excess.
    """
    return sum(p.cost for p in roster_penalties(problem, roster))
