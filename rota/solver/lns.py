"""Rostering-aware large-neighbourhood search.

CP-SAT's own LNS knows nothing about rosters and, with two workers, shares one thread. Here the
neighbourhoods follow the structure of the problem: every hard rule belongs to one employee and
only cover ties employees together, so

* re-solving a few employees over the whole horizon keeps every other row as it is and lets the
  chosen ones trade shifts (their rows can change completely);
* re-solving a block of days for many employees moves cover around inside the block, with the
  runs, totals and weekends of each employee held by the fixed days around it.

Blocks are drawn more often where the current roster pays penalties. Each kind keeps its own size,
grown when CP-SAT proves the sub-model optimal within its time slice and shrunk when it does not.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from rota.solver.model import RosterModel
from rota.solver.params import make_solver
from rota.solver.problem import Problem, Roster
from rota.solver.result import roster_cost, roster_penalties


@dataclass(frozen=True)
class Neighbourhood:
    """Cells to re-solve: ``employees`` x ``days``."""

    kind: str
    employees: tuple[int, ...]
    days: range


class NeighbourhoodPicker:
    """Draws neighbourhoods and adapts their size to how hard the sub-models turn out.

    Args:
        problem: The rostering problem.
        rng: Source of randomness (seeded by the caller).
        cells: Starting size, in free employee-days, of each neighbourhood.
    """

    MIN_CELLS = 16

    def __init__(self, problem: Problem, rng: random.Random, cells: int) -> None:
        self.problem = problem
        self.rng = rng
        n_emp = len(problem.employees)
        # A neighbourhood as large as the whole roster is just the full model: cap below that.
        self.max_cells = max(self.MIN_CELLS, n_emp * problem.days * 3 // 4)
        start = min(cells, self.max_cells)
        self.size = {"employees": float(start), "days": float(start)}
        self.allowed = [
            {st.id for st in problem.shifts if emp.limit_for(st.id, problem.days) > 0}
            for emp in problem.employees
        ]

    def pick(self, roster: Roster) -> Neighbourhood:
        """Draw the next neighbourhood around the penalties of ``roster``.

        Args:
            roster: The incumbent.

        Returns:
            The cells to free.
        """
        kind = self.rng.choice(("employees", "days"))
        cells = int(self.size[kind])
        horizon = self.problem.days
        n_emp = len(self.problem.employees)
        focus = self._focus(roster)
        if kind == "employees":
            count = max(2, min(n_emp, cells // horizon))
            employees = self._employees_around(roster, focus, count)
            return Neighbourhood(kind, tuple(sorted(employees)), range(horizon))
        width = max(2, min(horizon, cells // n_emp))
        employees = list(range(n_emp))
        if width < 7 and horizon >= 7:
            # Too many staff for a useful block of days: take a week and a share of the staff.
            width = 7
            employees = self._employees_around(roster, focus, max(2, cells // width))
        day = focus[0] if focus else self.rng.randrange(horizon)
        first = max(0, min(horizon - width, day - self.rng.randrange(width)))
        return Neighbourhood(kind, tuple(sorted(employees)), range(first, first + width))

    def feedback(self, neighbourhood: Neighbourhood, proved: bool) -> None:
        """Grow the kind's size after a proved sub-model, shrink it after a timed-out one.

        Args:
            neighbourhood: The neighbourhood just solved.
            proved: Whether CP-SAT proved the sub-model optimal in time.
        """
        size = self.size[neighbourhood.kind] * (1.15 if proved else 0.85)
        self.size[neighbourhood.kind] = min(self.max_cells, max(self.MIN_CELLS, size))

    def _focus(self, roster: Roster) -> tuple[int, str] | None:
        """A (day, shift) pair drawn with probability proportional to its penalty."""
        penalties = roster_penalties(self.problem, roster)
        if not penalties or self.rng.random() < 0.2:
            return None
        chosen = self.rng.choices(penalties, weights=[p.cost for p in penalties])[0]
        return chosen.day, chosen.shift

    def _employees_around(
        self, roster: Roster, focus: tuple[int, str] | None, count: int
    ) -> list[int]:
        """``count`` employees, half of them able to work the focused shift if any."""
        n_emp = len(self.problem.employees)
        count = min(count, n_emp)
        if focus is None:
            return self.rng.sample(range(n_emp), count)
        day, shift = focus
        # Those who can take the shift, and those already working that day, can fix the penalty.
        able = [e for e in range(n_emp) if shift in self.allowed[e] or roster[e][day] == shift]
        self.rng.shuffle(able)
        chosen = able[: max(1, count // 2)]
        rest = [e for e in range(n_emp) if e not in set(chosen)]
        chosen += self.rng.sample(rest, min(len(rest), count - len(chosen)))
        return chosen


def improve(
    problem: Problem,
    roster: Roster,
    deadline: float,
    workers: int,
    rng: random.Random,
    slice_seconds: float,
    cells: int,
    subsolvers: list[str] | None = None,
    log: Callable[[str], None] | None = None,
    max_rounds: int | None = None,
) -> Roster:
    """Improve a feasible roster by re-solving neighbourhoods until ``deadline``.

    Args:
        problem: The rostering problem.
        roster: A roster that keeps every hard rule.
        deadline: ``time.monotonic()`` value to stop at.
        workers: CP-SAT threads per sub-solve.
        rng: Seeded source of randomness.
        slice_seconds: Time limit of one sub-solve.
        cells: Starting neighbourhood size in employee-days.
        subsolvers: CP-SAT subsolvers for the sub-solves, None for CP-SAT's portfolio.
        log: Called with progress lines when given.
        max_rounds: Stop after this many sub-solves (tests use it instead of the clock).

    Returns:
        The best roster found (``roster`` itself if nothing better turned up).
    """
    picker = NeighbourhoodPicker(problem, rng, cells)
    best, best_cost = roster, roster_cost(problem, roster)
    rounds = improved = 0
    build = 0.0
    # Stop early enough that building one more sub-model cannot overrun the deadline.
    while (remaining := deadline - time.monotonic()) > 0.05 + 2 * build and rounds != max_rounds:
        nb = picker.pick(best)
        started = time.monotonic()
        sub = RosterModel(problem, best, nb.employees, nb.days)
        build = max(build, time.monotonic() - started)
        remaining = deadline - time.monotonic()
        solver = make_solver(
            min(slice_seconds, remaining), workers, rng.randrange(1 << 30), subsolvers
        )
        status = solver.solve(sub.model)
        rounds += 1
        picker.feedback(nb, status == cp_model.OPTIMAL)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            continue
        candidate = sub.solution(solver)
        cost = roster_cost(problem, candidate)
        # Equal cost is accepted too: moving sideways lets the next neighbourhoods see new rows.
        if cost <= best_cost:
            if cost < best_cost:
                improved += 1
                if log:
                    log(f"lns {nb.kind} {len(nb.employees)}x{len(nb.days)}: {best_cost} -> {cost}")
            best, best_cost = candidate, cost
    if log:
        log(f"lns: {rounds} rounds, {improved} improvements, sizes {picker.size}")
    return best
