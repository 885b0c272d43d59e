"""The cheapest row of one employee under given cell prices, by dynamic programming.

Column generation (:mod:`rota.solver.columns`) asks, round after round and for every employee,
for the row that minimises the sum of its cells' prices while keeping the employee's rules. A
row is a path through the days; what the rules need to know about the path so far is small:

* the shift worked yesterday (for the "may not follow" pairs and the weekend count), or off;
* the length of the current run of working days or of days off (longest and shortest runs;
  runs that touch the first day are exempt from the shortest-run rules, the last day's too);
* the paid minutes so far, in units of the shift lengths' greatest common divisor;
* the weekends worked so far.

A dynamic programme over those states finds the cheapest row keeping all of them in
milliseconds (compiled by numba), where the one-employee CP-SAT model takes a tenth of a second
on Instance13. The per-type maxima are the one rule the states leave out: they are priced in by
Lagrangian multipliers, raised while the row breaks one, and a row that still breaks one is not
returned. Every value the programme gives for a multiplier is a lower bound on the employee's
least reduced cost (the relaxation of a minimum), so the bound column generation proves stays
valid whatever the rows.
"""

from __future__ import annotations

import math
from functools import reduce

import numpy as np
from numba import njit

from rota.solver.problem import Problem

Row = tuple[str | None, ...]

#: Largest state space (states per day) the programme takes on; above it pricing stays with
#: CP-SAT. Instance19's largest employee has 6 x 6 x 217 x 7 = 54,684; Instance23's would need
#: millions (936 minute units and 27 weekend counts).
MAX_STATES = 200_000

#: Rounds of multiplier updates for the per-type maxima before giving up on a row.
LAGRANGE_ROUNDS = 8

_INF = 1e300


@njit(cache=True, nogil=True)
def _cheapest_path(  # noqa: PLR0912, PLR0913, PLR0915 - one tight loop nest, compiled
    cost: np.ndarray,
    units: np.ndarray,
    allowed: np.ndarray,
    forbid: np.ndarray,
    max_run: int,
    min_run: int,
    min_rest: int,
    low: int,
    high: int,
    max_weekends: int,
    weekday: int,
) -> tuple[float, np.ndarray]:
    """Cheapest row under ``cost`` keeping every rule but the per-type maxima.

    Args:
        cost: Price of working shift type ``s`` on day ``d``, shape (days, types).
        units: Length of each shift type in minute units.
        allowed: Whether the employee may work type ``s`` on day ``d``.
        forbid: ``forbid[a, b]``: type ``b`` may not be worked the day after type ``a``.
        max_run: Longest run of working days.
        min_run: Shortest run of working days not touching the horizon's ends.
        min_rest: Shortest run of days off not touching the horizon's ends.
        low: Fewest minute units in all.
        high: Most minute units in all.
        max_weekends: Most weekends worked.
        weekday: Day of the week of day 0 (0 is Monday).

    Returns:
        The row's price (``_INF`` when no row keeps the rules) and the row, one type index per
        day, -1 for a day off.
    """
    days, types = cost.shape
    runs = max(max_run, min_rest) + 1
    shape = (types + 1, runs, high + 1, max_weekends + 1)
    value = np.full(shape, _INF)
    nxt = np.full(shape, _INF)
    # pred[d, state] = flat index of the state on day d - 1 it was reached from.
    pred = np.empty((days, shape[0] * shape[1] * shape[2] * shape[3]), dtype=np.int32)
    s1, s2, s3 = shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3]
    longest = 0
    for s in range(types):
        longest = max(longest, units[s])
    # Day 0.
    day_of_week = weekday % 7
    value[0, 1, 0, 0] = 0.0
    first_weekend = 1 if day_of_week >= 5 else 0
    if first_weekend <= max_weekends:
        for s in range(types):
            if allowed[0, s] and units[s] <= high:
                value[s + 1, 1, units[s], first_weekend] = cost[0, s]
    for d in range(1, days):
        day_of_week = (weekday + d) % 7
        saturday = day_of_week == 5
        sunday = day_of_week == 6
        left = days - d  # days still to come, today included
        nxt[:] = _INF
        for last in range(types + 1):
            for run in range(1, runs):
                for m in range(high + 1):
                    # Too few minutes to reach the minimum even working every day left.
                    if m + longest * left < low:
                        continue
                    for w in range(max_weekends + 1):
                        here = value[last, run, m, w]
                        if here >= _INF:
                            continue
                        origin = last * s1 + run * s2 + m * s3 + w
                        # A day off.
                        if last == 0:
                            rest = min(run + 1, max(min_rest, 1))
                            if here < nxt[0, rest, m, w]:
                                nxt[0, rest, m, w] = here
                                pred[d, rest * s2 + m * s3 + w] = origin
                        elif (run >= min_run or run == d) and here < nxt[0, 1, m, w]:
                            nxt[0, 1, m, w] = here
                            pred[d, 1 * s2 + m * s3 + w] = origin
                        # A working day.
                        if last == 0:
                            if run < min_rest and run != d:
                                continue
                            new_run = 1
                        else:
                            new_run = run + 1
                            if new_run > max_run:
                                continue
                        new_w = w
                        if saturday or (sunday and last == 0):
                            new_w = w + 1
                            if new_w > max_weekends:
                                continue
                        for s in range(types):
                            if not allowed[d, s]:
                                continue
                            if last > 0 and forbid[last - 1, s]:
                                continue
                            new_m = m + units[s]
                            if new_m > high:
                                continue
                            candidate = here + cost[d, s]
                            if candidate < nxt[s + 1, new_run, new_m, new_w]:
                                nxt[s + 1, new_run, new_m, new_w] = candidate
                                pred[d, (s + 1) * s1 + new_run * s2 + new_m * s3 + new_w] = origin
        value, nxt = nxt, value
    best, at = _INF, -1
    for last in range(types + 1):
        for run in range(1, runs):
            for m in range(low, high + 1):
                for w in range(max_weekends + 1):
                    if value[last, run, m, w] < best:
                        best = value[last, run, m, w]
                        at = last * s1 + run * s2 + m * s3 + w
    row = np.full(days, -1, dtype=np.int64)
    if at < 0:
        return _INF, row
    for d in range(days - 1, -1, -1):
        row[d] = at // s1 - 1
        at = pred[d, at] if d > 0 else -1
    return best, row


class RowPricer:
    """One employee's pricing by dynamic programming, with the employee's rules held as arrays.

    Args:
        problem: The rostering problem.
        e: The employee's index.
    """

    def __init__(self, problem: Problem, e: int) -> None:
        emp = problem.employees[e]
        self.ids = [s.id for s in problem.shifts]
        days, types = problem.days, len(self.ids)
        minutes = [s.minutes for s in problem.shifts]
        unit = reduce(math.gcd, [m for m in minutes if m > 0], 0) or 1
        self.units = np.array([m // unit for m in minutes], dtype=np.int64)
        horizon_units = days * int(self.units.max(initial=0))
        self.high = min(emp.max_minutes // unit, horizon_units)
        self.low = -(-emp.min_minutes // unit)
        self.limits = np.array([emp.limit_for(sid, days) for sid in self.ids], dtype=np.int64)
        self.allowed = np.zeros((days, types), dtype=np.bool_)
        for s in range(types):
            if self.limits[s] > 0:
                self.allowed[:, s] = True
        for d in emp.days_off:
            if 0 <= d < days:
                self.allowed[d, :] = False
        index = {sid: s for s, sid in enumerate(self.ids)}
        self.forbid = np.zeros((types, types), dtype=np.bool_)
        for s, shift in enumerate(problem.shifts):
            for banned in shift.forbidden_next:
                if banned in index:
                    self.forbid[s, index[banned]] = True
        self.max_run = min(emp.max_consecutive, days)
        self.min_run = min(emp.min_consecutive, days)
        self.min_rest = min(emp.min_days_off, days)
        self.max_weekends = min(emp.max_weekends, (days + 1) // 7)
        runs = max(self.max_run, self.min_rest) + 1
        self.states = (types + 1) * runs * (max(self.high, 0) + 1) * (self.max_weekends + 1)
        # Some type limited below the horizon: those are priced in by multipliers.
        self._limited = [s for s in range(types) if 0 < self.limits[s] < days]

    @property
    def usable(self) -> bool:
        """Whether the state space is small enough for the programme."""
        return self.states <= MAX_STATES and self.high >= self.low

    def price(self, cost: np.ndarray) -> tuple[Row | None, float]:
        """The cheapest row under ``cost`` (shape days x types) and a lower bound on its price.

        Returns:
            The row (None when no row keeping every rule was found) and a lower bound on the
            price of any row keeping every rule (``math.inf`` when none does).
        """
        penalty = np.zeros(len(self.ids))
        bound = -math.inf
        scale = float(np.abs(cost).max(initial=0.0)) + 1.0
        for _ in range(LAGRANGE_ROUNDS):
            value, path = _cheapest_path(
                cost + penalty,
                self.units,
                self.allowed,
                self.forbid,
                self.max_run,
                self.min_run,
                self.min_rest,
                self.low,
                self.high,
                self.max_weekends,
                0,
            )
            if value >= _INF:
                return None, math.inf
            # min over rows of cost + penalty * (count - limit) is at most the optimum.
            bound = max(bound, value - float(penalty @ self.limits))
            counts = np.bincount(path[path >= 0], minlength=len(self.ids))
            over = [s for s in self._limited if counts[s] > self.limits[s]]
            if not over:
                row = tuple(self.ids[s] if s >= 0 else None for s in path)
                return row, bound
            for s in over:
                penalty[s] += scale * (counts[s] - self.limits[s]) / max(1, counts[s])
        return None, bound
