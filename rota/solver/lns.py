"""Rostering-aware large-neighbourhood search.

CP-SAT's own LNS knows nothing about rosters and, with two workers, shares one thread. Here the
neighbourhoods follow the structure of the problem: every hard rule belongs to one employee and
only cover ties employees together, so

* re-solving a few employees over the whole horizon keeps every other row as it is and lets the
  chosen ones trade shifts (their rows can change completely);
* re-solving a block of days for many employees moves cover around inside the block, with the
  runs, totals and weekends of each employee held by the fixed days around it;
* re-solving a weekend short of staff, Thursday to Tuesday, for a share of the staff (half of
  them able to work the short shift) moves shifts between people over both of its days and the
  runs around them;
* re-solving the whole staff over two weeks (:func:`window_pass`, one window after another
  across the horizon, not drawn) moves shifts between any of them, where such a window is
  small enough to prove.

Blocks are drawn more often where the current roster pays penalties, and the staff freed
around a penalty are, beside those able to work its shift, first those with paid minutes to
spare (see ``NeighbourhoodPicker._employees_around``). Each kind keeps its own size,
grown when CP-SAT proves the sub-model optimal within its time slice and shrunk when it does not
(a weekend's never above the starting size: larger ones gained less). Kinds are drawn in
proportion to what they took off the cost a second lately. On Instance13, 15 s of LNS from
one roster of 2436 (two threads, nine runs) ended at 2008-2296 (median 2193) with the weekend
kind and these draws, against 2198-2414 (median 2398, six runs) with the two other kinds drawn
evenly (one run's spread is about 100 either way); whole runs at 60 s (seeds 0-3) at 2015,
2269, 2182 and 2004, against 2171, 2359, 2555 (seeds 0-2) and 2188, 2447 and 2213 (seeds 4-6)
before. Instance19 did not change (3579, 3601, 3730 against
3695, 3391, 3607, seeds 0-2): its shortfalls need weekends moved between far-apart weeks.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from rota.solver.greedy import row_keeps_rules
from rota.solver.model import RosterModel
from rota.solver.params import FULL_LP_SUBSOLVERS, make_solver
from rota.solver.problem import Problem, Roster
from rota.solver.result import roster_cost, roster_penalties

#: Days in each whole-staff window of :func:`window_pass`, and the days from one window's start
#: to the next's (so each day is freed twice, with different neighbours).
WINDOW_DAYS = 14
WINDOW_STEP = 7

#: Days either side of a weekend that a weekend neighbourhood frees too (Thursday to Tuesday):
#: the runs and rest around the weekend must move with it.
WEEKEND_MARGIN = 2


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

    #: Least share of draws each kind keeps, however little it gains: a kind that gains
    #: nothing for a while may gain again once the roster has moved on. With 0.15 the LNS on
    #: Instance13 ended at 2185, 2284 and 2204 in the 15 s runs quoted above (seeds 1-3).
    KIND_FLOOR = 0.05

    #: Weight the gains and seconds of earlier sub-solves keep at each new one, per kind.
    KIND_MEMORY = 0.95

    def __init__(self, problem: Problem, rng: random.Random, cells: int) -> None:
        self.problem = problem
        self.rng = rng
        n_emp = len(problem.employees)
        # A neighbourhood as large as the whole roster is just the full model: cap below that.
        self.max_cells = max(self.MIN_CELLS, n_emp * problem.days * 3 // 4)
        start = min(cells, self.max_cells)
        self.start_size = start
        kinds = ("employees", "days", "weekend")
        self.size = {kind: float(start) for kind in kinds}
        # Cost taken off and seconds spent by each kind's recent sub-solves (decaying sums,
        # from an even start): kinds are drawn in proportion to what they gain a second.
        self.gain = dict.fromkeys(kinds, 1.0)
        self.spent = dict.fromkeys(kinds, 1.0)
        self.allowed = [
            {st.id for st in problem.shifts if emp.limit_for(st.id, problem.days) > 0}
            for emp in problem.employees
        ]

    def pick(self, roster: Roster, exclude: set[int] | None = None) -> Neighbourhood:
        """Draw the next neighbourhood around the penalties of ``roster``.

        Args:
            roster: The incumbent.
            exclude: Employees another sub-solve holds, left out when staff are chosen.

        Returns:
            The cells to free.
        """
        kind = self._kind()
        cells = int(self.size[kind])
        horizon = self.problem.days
        pool = [e for e in range(len(self.problem.employees)) if not exclude or e not in exclude]
        if not pool:
            pool = list(range(len(self.problem.employees)))
        if kind == "weekend":
            weekend = self._weekend_around(roster, cells, pool)
            if weekend is not None:
                return weekend
            kind = "days"  # nobody short on a weekend: a block of days instead
            cells = int(self.size[kind])
        focus = self._focus(roster)
        if kind == "employees":
            count = max(1, min(len(pool), cells // horizon))
            employees = self._employees_around(roster, focus, count, pool)
            return Neighbourhood(kind, tuple(sorted(employees)), range(horizon))
        width = max(2, min(horizon, cells // len(pool)))
        employees = pool
        if width < 7 and horizon >= 7:
            # Too many staff for a useful block of days: take a week and a share of the staff.
            width = 7
            employees = self._employees_around(roster, focus, max(2, cells // width), pool)
        day = focus[0] if focus else self.rng.randrange(horizon)
        first = max(0, min(horizon - width, day - self.rng.randrange(width)))
        return Neighbourhood(kind, tuple(sorted(employees)), range(first, first + width))

    def feedback(
        self, neighbourhood: Neighbourhood, proved: bool, gain: int = 0, seconds: float = 0.0
    ) -> None:
        """Grow the kind's size after a proved sub-model, shrink it after a timed-out one, and
        count what it gained in how long.

        Args:
            neighbourhood: The neighbourhood just solved.
            proved: Whether CP-SAT proved the sub-model optimal in time.
            gain: Cost the sub-solve took off the incumbent.
            seconds: Seconds the sub-solve took.
        """
        kind = neighbourhood.kind
        size = self.size[kind] * (1.15 if proved else 0.85)
        most = self.start_size if kind == "weekend" else self.max_cells
        self.size[kind] = min(most, max(self.MIN_CELLS, size))
        self.gain[kind] = self.KIND_MEMORY * self.gain[kind] + max(0, gain)
        self.spent[kind] = self.KIND_MEMORY * self.spent[kind] + max(0.0, seconds)

    def rates(self) -> dict[str, float]:
        """What each kind's recent sub-solves took off the cost a second (decaying)."""
        return {kind: self.gain[kind] / max(self.spent[kind], 1e-3) for kind in self.gain}

    def _kind(self) -> str:
        """The kind of the next neighbourhood: each at least ``KIND_FLOOR`` of the time, the
        rest in proportion to what each gained a second lately."""
        rates = self.rates()
        kinds = list(rates)
        total = sum(rates.values()) or 1.0
        spread = 1 - len(kinds) * self.KIND_FLOOR
        weights = [self.KIND_FLOOR + spread * rates[kind] / total for kind in kinds]
        return self.rng.choices(kinds, weights=weights)[0]

    def _weekend_around(self, roster: Roster, cells: int, pool: list[int]) -> Neighbourhood | None:
        """A weekend short of staff, drawn by the shortfall's cost, from the Thursday before to the
        Tuesday after, for staff of ``pool`` chosen as ``_employees_around`` chooses them; None
        if no weekend day is short.

        Weekends bind hardest: on instances 13, 19 and 23 nearly every shortfall left falls on
        a Saturday or a Sunday (16 of 18, 31 of 31, 150 of 150 in rosters of 60 s runs) and
        most staff work their most weekends, so a person more on one weekend day means shifts
        moved between people over both days and the days around.
        """
        focus = self._focus(roster, weekend_short=True)
        if focus is None:
            return None
        saturday = focus[0] - focus[0] % 7 + 5
        last = min(self.problem.days, saturday + 2 + WEEKEND_MARGIN)
        days = range(max(0, saturday - WEEKEND_MARGIN), last)
        count = max(2, cells // len(days))
        employees = self._employees_around(roster, focus, count, pool)
        return Neighbourhood("weekend", tuple(sorted(employees)), days)

    def _focus(self, roster: Roster, weekend_short: bool = False) -> tuple[int, str] | None:
        """A (day, shift) pair drawn with probability proportional to its penalty (none one
        time in five, for a neighbourhood anywhere); with ``weekend_short``, among the cells
        short on a Saturday or a Sunday only, and None only if there are none."""
        penalties = roster_penalties(self.problem, roster)
        if weekend_short:
            penalties = [p for p in penalties if p.day % 7 >= 5 and p.kind == "cover_under"]
        if not penalties or (not weekend_short and self.rng.random() < 0.2):
            return None
        chosen = self.rng.choices(penalties, weights=[p.cost for p in penalties])[0]
        return chosen.day, chosen.shift

    def _employees_around(
        self, roster: Roster, focus: tuple[int, str] | None, count: int, pool: list[int]
    ) -> list[int]:
        """``count`` employees of ``pool``: half of them able to work the focused shift if any,
        the others first among those with paid minutes to spare.

        Where the staff's minutes barely cover the demand (Instance13: 939,000 paid minutes at
        most against 941,160 asked for), a short cell is filled only once minutes are freed for
        it: the staff below their most minutes are the ones who can take on a shift, or let
        someone else drop one. From one Instance13 roster of 2436, 15 s of LNS (two threads,
        seeds 1-9) ended at 1992-2176 (median 2077) drawing them first, against 2067-2373
        (median 2188) drawing the others at random.
        """
        count = min(count, len(pool))
        if focus is None:
            return self.rng.sample(pool, count)
        day, shift = focus
        # Those who can take the shift, and those already working that day, can fix the penalty.
        able = [e for e in pool if shift in self.allowed[e] or roster[e][day] == shift]
        self.rng.shuffle(able)
        chosen = able[: max(1, count // 2)]
        taken = set(chosen)
        rest = [e for e in pool if e not in taken]
        # The others in random order, those with minutes to spare first (the sort is stable).
        self.rng.shuffle(rest)
        rest.sort(key=lambda e: self._spare_minutes(roster, e) <= 0)
        return chosen + rest[: count - len(chosen)]

    def _spare_minutes(self, roster: Roster, e: int) -> int:
        """Paid minutes employee ``e`` could still work under their maximum."""
        return self.problem.employees[e].max_minutes - self.problem.paid_minutes(roster[e])


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
    picker: NeighbourhoodPicker | None = None,
) -> Roster:
    """Improve a feasible roster by re-solving neighbourhoods until ``deadline``.

    With two or more workers, that many sub-solves run side by side in threads, each with one
    CP-SAT worker (CP-SAT releases the GIL while it solves). Small sub-models gain nothing from
    a second CP-SAT worker (one Instance13 employee: 0.14 s with one worker or with two), so
    two neighbourhoods at once nearly double the rounds. The threads draw neighbourhoods with
    disjoint employees; a result is merged into the incumbent as it is then, kept only if every
    changed row still keeps its employee's rules and the cost does not rise.

    Args:
        problem: The rostering problem.
        roster: A roster that keeps every hard rule.
        deadline: ``time.monotonic()`` value to stop at.
        workers: CP-SAT threads in all: parallel sub-solves of one worker each when above 1.
        rng: Seeded source of randomness.
        slice_seconds: Time limit of one sub-solve.
        cells: Starting neighbourhood size in employee-days.
        subsolvers: CP-SAT subsolvers for one sub-solve given all ``workers`` (sequential
            mode only), None for CP-SAT's portfolio.
        log: Called with progress lines when given.
        max_rounds: Stop after this many sub-solves (tests use it instead of the clock).
        picker: Neighbourhood picker to carry on with (its learnt sizes), or None for a new
            one starting at ``cells``.

    Returns:
        The best roster found (``roster`` itself if nothing better turned up).
    """
    search = _Search(problem, roster, rng, cells, deadline, max_rounds, log)
    if picker is not None:
        search.picker = picker
    if workers <= 1:
        search.run(slice_seconds, 1, subsolvers)
    else:
        threads = [
            threading.Thread(target=search.run, args=(slice_seconds, 1, None, number), daemon=True)
            for number in range(workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if search.error is not None:
            raise search.error
    if log:
        log(
            f"lns: {search.rounds} rounds, {search.improved} improvements, "
            f"sizes {search.picker.size}, gain a second "
            f"{ {kind: round(rate, 1) for kind, rate in search.picker.rates().items()} }"
        )
    return search.best


class _Search:
    """The incumbent and the neighbourhood draws shared by the LNS threads."""

    def __init__(
        self,
        problem: Problem,
        roster: Roster,
        rng: random.Random,
        cells: int,
        deadline: float,
        max_rounds: int | None,
        log: Callable[[str], None] | None,
    ) -> None:
        self.problem = problem
        self.rng = rng
        self.picker = NeighbourhoodPicker(problem, rng, cells)
        self.deadline = deadline
        self.max_rounds = max_rounds
        self.log = log
        self.best, self.cost = roster, roster_cost(problem, roster)
        self.rounds = self.started = self.improved = 0
        self.build = 0.0
        self.busy: set[int] = set()
        self.lock = threading.Lock()
        self.error: BaseException | None = None

    def _next(self) -> tuple[Neighbourhood, Roster, int] | None:
        with self.lock:
            remaining = self.deadline - time.monotonic()
            # Stop early enough that building one more sub-model cannot overrun the deadline.
            if remaining <= 0.05 + 2 * self.build or self.started == self.max_rounds:
                return None
            self.started += 1
            nb = self.picker.pick(self.best, exclude=self.busy)
            self.busy.update(nb.employees)
            return nb, self.best, self.rng.randrange(1 << 30)

    def run(
        self, slice_seconds: float, workers: int, subsolvers: list[str] | None, thread: int = 0
    ) -> None:
        try:
            while (drawn := self._next()) is not None:
                nb, base, seed = drawn
                try:
                    self._round(nb, base, seed, slice_seconds, workers, subsolvers, thread)
                finally:
                    with self.lock:
                        self.busy.difference_update(nb.employees)
        except BaseException as error:  # surfaced by improve() in the calling thread
            self.error = error
            self.deadline = 0.0

    def _round(
        self,
        nb: Neighbourhood,
        base: Roster,
        seed: int,
        slice_seconds: float,
        workers: int,
        subsolvers: list[str] | None,
        thread: int = 0,
    ) -> None:
        started = time.monotonic()
        sub = RosterModel(self.problem, base, nb.employees, nb.days)
        build = time.monotonic() - started
        remaining = self.deadline - time.monotonic()
        solver = make_solver(min(slice_seconds, remaining), workers, seed, subsolvers)
        if workers == 1 and subsolvers is None:
            # One worker on a small sub-model: the full LP proves it faster (Instance13, one
            # employee over the horizon: 0.19 s against 0.31 s with CP-SAT's default level).
            solver.parameters.linearization_level = 2
            if thread % 2:
                # The other thread searches as CP-SAT's quick_restart worker does, the partner
                # of max_lp in FULL_LP_SUBSOLVERS: it finds improving rows in sub-models too
                # big to prove within the slice.
                solver.parameters.search_branching = cp_model.PORTFOLIO_WITH_QUICK_RESTART_SEARCH
        status = solver.solve(sub.model)
        proved = status == cp_model.OPTIMAL
        found = sub.solution(solver) if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None
        with self.lock:
            self.build = max(self.build, build)
            self.rounds += 1
            gain = self._merge(nb, base, found) if found is not None else 0
            self.picker.feedback(nb, proved, gain, time.monotonic() - started)

    def _merge(self, nb: Neighbourhood, base: Roster, found: Roster) -> int:
        """Carry the neighbourhood's cells of ``found`` over to the incumbent, if no worse;
        returns the cost taken off."""
        if self.best is base:
            candidate = found
        else:
            # Another thread moved the incumbent meanwhile: its rows outside this
            # neighbourhood may differ from the ones this sub-model was built around.
            rows = [list(row) for row in self.best]
            for e in nb.employees:
                for d in nb.days:
                    rows[e][d] = found[e][d]
                if not row_keeps_rules(self.problem, self.problem.employees[e], tuple(rows[e])):
                    return 0
            candidate = tuple(tuple(row) for row in rows)
        cost = roster_cost(self.problem, candidate)
        gain = max(0, self.cost - cost)
        # Equal cost is accepted too: moving sideways lets the next neighbourhoods see new rows.
        if cost <= self.cost:
            if cost < self.cost:
                self.improved += 1
                if self.log:
                    self.log(
                        f"lns {nb.kind} {len(nb.employees)}x{len(nb.days)}: {self.cost} -> {cost}"
                    )
            self.best, self.cost = candidate, cost
        return gain


def window_pass(
    problem: Problem,
    roster: Roster,
    deadline: float,
    workers: int,
    seed: int,
    seconds: float,
    log: Callable[[str], None] | None = None,
) -> Roster:
    """Re-solve the whole staff over one window of ``WINDOW_DAYS`` days after another, from the
    first day to the last, each with every worker for up to ``seconds``.

    The LNS frees most of the staff over a block of days, or a few employees over more; a
    window frees everyone, so shifts move between any of them within it, with each row's runs,
    totals and weekends held by its days outside. Where such a sub-model is small enough for
    CP-SAT to prove in a second or two (Instance19: 40 staff, 5 types), a pass mends what the
    LNS leaves: from a 60 s roster of 3468 one pass of 14-day windows reached 3322 in 15 s,
    every window proven optimal, and a second 3317 in 7 s. It does little where the windows
    are larger: Instance15 (45 staff, 6 types) 3948 -> 3944 in 21 s, Instance13 (120 staff, 18
    types) 2238 -> 2216 in 16 s, neither proving its windows in 5 s.

    Returns:
        The best roster found (``roster`` itself if nothing better turned up).
    """
    best, cost = roster, roster_cost(problem, roster)
    last = max(0, problem.days - WINDOW_DAYS)
    for start in [*range(0, last, WINDOW_STEP), last]:
        left = deadline - time.monotonic()
        if left <= 0.1:
            break
        days = range(start, min(problem.days, start + WINDOW_DAYS))
        sub = RosterModel(problem, best, None, days)
        solver = make_solver(min(seconds, left), workers, seed + start, FULL_LP_SUBSOLVERS)
        status = solver.solve(sub.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            continue
        found = sub.solution(solver)
        found_cost = roster_cost(problem, found)
        if found_cost < cost:
            if log:
                log(f"window days {days.start}-{days.stop - 1}: {cost} -> {found_cost}")
            best, cost = found, found_cost
    return best
