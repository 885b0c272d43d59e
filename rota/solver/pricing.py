"""The cheapest row of one employee under given cell prices, by dynamic programming.

Column generation (:mod:`rota.solver.columns`) asks, round after round and for every employee,
for the row that minimises the sum of its cells' prices while keeping the employee's rules. A
row is a path through the days; what the rules need to know about the path so far is small:

* the kind of shift worked yesterday, or off (for the "may not follow" pairs and the weekend
  count; shift types that forbid the same types the next day are one kind);
* the length of the current run of working days or of days off (longest and shortest runs;
  runs that touch the first day are exempt from the shortest-run rules, the last day's too);
* the paid minutes so far, in units of the shift lengths' greatest common divisor;
* the weekends worked so far.

A dynamic programme over those states finds the cheapest row keeping all of them in
milliseconds (compiled by numba), where the one-employee CP-SAT model takes a tenth of a second
on Instance13. The per-type maxima are what the states hold least well: they may count the
shifts of up to two limited types (the states then multiply by each maximum plus one, so those
maxima hold exactly), and the other maxima are priced in by Lagrangian multipliers, raised while
the row breaks one; a row that still breaks one is not returned. Every value the programme gives
for a multiplier is a lower bound on the employee's least reduced cost (the relaxation of a
minimum), so the bound column generation proves stays valid whatever the rows. Counting the one
limited type of instances 5, 7 and 9 let column generation converge without CP-SAT pricing:
Instance9 in 1.2 s instead of 9.6 s (428 CP-SAT pricing solves), Instance7 in 0.5 s instead
of 3.5 s. Counting two (Instance15's nights, n1 and n2, whose demand exceeds what the staff may
work, so both maxima bind in nearly every row the duals ask for) let its LP settle at the true
3823.7 with a proven bound of 3824 in 11-17 s, where with one counted it settled at 3920-4130
and proved 2000-2400.

The same programme re-solves a stretch of a row with the rest held (:meth:`RowPricer.
price_stretch`, for :mod:`rota.solver.sweep`): it starts from the run that ends the day before
the stretch and accepts only ends that meet the run starting the day after within the rules.
It also re-solves a whole row near another (:meth:`RowPricer.price_near`): its states then hold
only the minute and weekend totals within a few units of the other row's running totals, which
lets it take on whole rows of a year. The sweeps may also have it weigh each weekend worked on
one day only (``half``).
"""

from __future__ import annotations

import math
from functools import reduce
from typing import NamedTuple

import numpy as np
from numba import njit

from rota.solver.problem import Problem

Row = tuple[str | None, ...]

#: Most states (per day, times days) the programme takes on; above it the caller turns to
#: CP-SAT (column generation) or re-solves the row a stretch at a time (sweeps). Instance19's
#: largest employee has 5 x 6 x 217 x 7 = 45,570 states a day over 84 days (3.8 million, about
#: 19 ms a row); Instance21's rows need 4.3 to 21 million, Instance23's 4.9 to 516 million.
MAX_WORK = 6_000_000

#: Most per-type maxima the states count at once (each multiplies them by its maximum plus
#: one); the rest are priced in by multipliers.
MAX_COUNTED = 2

#: Most states times days the programme takes on when it counts types: counting Instance15's
#: two nights (maxima 4 and 3) multiplies its 550,000 by 20, to 5.6 ms a row against 2.9 ms
#: with one counted.
COUNT_WORK = 15_000_000

#: Rounds of multiplier updates for the per-type maxima before giving up on a row.
LAGRANGE_ROUNDS = 8

_INF = 1e300


#: ``next_shift`` value saying the days priced run to the end of the horizon.
_HORIZON_END = -2


#: The programme's one signature, given so that numba compiles it when this module is imported
#: (or loads it from its on-disk cache) rather than inside the first solve's time limit: the
#: first compilation takes about 3 s, which a 4 s rota solve could not spare.
_SIGNATURE = (
    "Tuple((float64, int64[:]))(float64[:, :], int64[:], boolean[:, :], boolean[:, :], "
    "int64[:], int64, int64, int64, int64, int64, int64, int64, int64, int64, int64, int64, "
    "boolean, int64[:], int64[:], boolean[:, :], int64[:], int64, int64[:], int64, float64)"
)


@njit(_SIGNATURE, cache=True, nogil=True)
def _cheapest_path(  # noqa: PLR0912, PLR0913, PLR0915 - one tight loop nest, compiled
    cost: np.ndarray,
    units: np.ndarray,
    allowed: np.ndarray,
    forbid: np.ndarray,
    kind: np.ndarray,
    max_run: int,
    min_run: int,
    min_rest: int,
    low: int,
    high: int,
    max_weekends: int,
    offset: int,
    first_last: int,
    first_run: int,
    next_shift: int,
    next_run: int,
    next_to_end: bool,
    counted: np.ndarray,
    most: np.ndarray,
    counted_on: np.ndarray,
    base_m: np.ndarray,
    width_m: int,
    base_w: np.ndarray,
    width_w: int,
    half: float,
) -> tuple[float, np.ndarray]:
    """Cheapest cells for a stretch of days under ``cost``, keeping every rule but type maxima.

    The stretch is days ``offset`` to ``offset + len(cost) - 1`` of the horizon (``offset`` a
    multiple of 7, so it starts on a Monday and splits no weekend); what the row holds before
    and after it is summed up by the ``first_*`` and ``next_*`` arguments.

    Args:
        cost: Price of working shift type ``s`` on day ``d`` of the stretch, (days, types).
        units: Length of each shift type in minute units.
        allowed: Whether the employee may work type ``s`` on day ``d`` of the stretch (never
            the counted type: see ``counted_on``).
        forbid: ``forbid[k, b]``: type ``b`` may not be worked the day after a type of kind
            ``k``.
        kind: Each type's kind: types that forbid the same types the next day are one kind,
            and the state holds yesterday's kind, not its type (Instance23's 16 types are 7
            kinds, so the programme has less than half the states).
        max_run: Longest run of working days.
        min_run: Shortest run of working days not touching the horizon's ends.
        min_rest: Shortest run of days off not touching the horizon's ends.
        low: Fewest minute units within the stretch.
        high: Most minute units within the stretch.
        max_weekends: Most weekends worked within the stretch.
        offset: The stretch's first day in the horizon.
        first_last: The day before: 0 off, else the kind of the type worked plus one.
        first_run: Length of the run (of work or rest) ending the day before; at the start of
            the horizon, a long rest (``max(min_rest, 1)``).
        next_shift: The day after: ``_HORIZON_END`` if the stretch ends the horizon, -1 off,
            else the type index worked.
        next_run: Length of the run (of work or rest) starting the day after.
        next_to_end: Whether that run reaches the end of the horizon.
        counted: The types whose shifts the states count (none, one or two): their maxima then
            hold exactly, not through multipliers.
        most: The most shifts of each ``counted`` type within the stretch.
        counted_on: Whether the employee may work each ``counted`` type on each day of the
            stretch (days x counted). The counted types have their own step after the other
            types', so that their loop stays as tight as without counting (with a test for the
            counted type inside it, row sweeps priced 16% fewer rows a second on Instance15).
        base_m: The minute units held by the states' first minutes index before each day
            (``days + 1`` values): the states hold minutes from ``base_m[d]`` to ``base_m[d] +
            width_m - 1``. All zeros and ``width_m = high + 1`` hold every total; a band
            around another row's running total (see :meth:`RowPricer.price_near`) holds
            fewer, so the programme takes on whole rows of long horizons.
        width_m: Minute indices of the states.
        base_w: The same for the weekends worked (``days + 1`` values).
        width_w: Weekend indices of the states.
        half: Added to the price of every weekend worked on one of its days only.

    Returns:
        The cells' price (``_INF`` when none keep the rules) and the cells, one type index per
        day, -1 for a day off.
    """
    days, types = cost.shape
    kinds = forbid.shape[0]
    rest_cap = max(min_rest, 1)
    runs = max(max_run, rest_cap) + 1
    # The states' last index tallies weekends worked and the shifts of each counted type:
    # tally = weekends * counts + sum over counted types k of shifts_k * stride[k] (weekends
    # from base_w), where the shifts of type k range over most[k] + 1 values.
    stride = np.ones(len(counted), dtype=np.int64)
    counts = 1
    for k in range(len(counted) - 1, -1, -1):
        stride[k] = counts
        counts *= most[k] + 1
    tallies = width_w * counts
    shape = (kinds + 1, runs, width_m, tallies)
    value = np.full(shape, _INF)
    nxt = np.full(shape, _INF)
    # pred[d, state] = flat index of the state on day d - 1 it was reached from.
    pred = np.empty((days, shape[0] * shape[1] * shape[2] * shape[3]), dtype=np.int32)
    # took[d, state] = the type worked on day d to reach a working state (its kind is not
    # enough to tell).
    took = np.empty((days, shape[0] * shape[1] * shape[2] * shape[3]), dtype=np.int8)
    s1, s2, s3 = shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3]
    longest = 0
    for s in range(types):
        longest = max(longest, units[s])
    if not (0 <= -base_m[0] < width_m and 0 <= -base_w[0] < width_w):
        return _INF, np.full(days, -1, dtype=np.int64)
    value[first_last, min(first_run, runs - 1), -base_m[0], -base_w[0] * counts] = 0.0
    for d in range(days):
        day = offset + d  # in the horizon
        saturday = day % 7 == 5
        sunday = day % 7 == 6
        left = days - d  # days still to come, today included
        nxt[:] = _INF
        # Indices move with the bases: tomorrow's index of today's total m is m - shift_m.
        here_m, shift_m = base_m[d], base_m[d + 1] - base_m[d]
        shift_t = (base_w[d + 1] - base_w[d]) * counts
        # No more minutes than the longest shift every day so far, nor than ``high``.
        first_m = max(0, -here_m)
        top = min(width_m - 1, min(high, longest * d) - here_m)
        next_top = min(width_m - 1, high - base_m[d + 1])
        next_tallies = min(tallies, (max_weekends - base_w[d + 1] + 1) * counts)
        for last in range(kinds + 1):
            for run in range(1, runs):
                # The run ending yesterday started on the horizon's first day: exempt from the
                # shortest-run rules.
                from_start = day - run == 0
                # Sunday after a Saturday worked, off; or after a Saturday off, worked.
                rest_half = half if sunday and last > 0 else 0.0
                work_half = half if sunday and last == 0 else 0.0
                for m in range(first_m, top + 1):
                    # Too few minutes to reach the minimum even working every day left.
                    if here_m + m + longest * left < low:
                        continue
                    rest_m = m - shift_m
                    resting = 0 <= rest_m <= next_top
                    for t in range(tallies):
                        here = value[last, run, m, t]
                        if here >= _INF:
                            continue
                        origin = last * s1 + run * s2 + m * s3 + t
                        # A day off.
                        rest_t = t - shift_t
                        if resting and 0 <= rest_t < next_tallies:
                            if last == 0:
                                rest = min(run + 1, rest_cap)
                                if here < nxt[0, rest, rest_m, rest_t]:
                                    nxt[0, rest, rest_m, rest_t] = here
                                    pred[d, rest * s2 + rest_m * s3 + rest_t] = origin
                            elif (run >= min_run or from_start) and (
                                here + rest_half < nxt[0, 1, rest_m, rest_t]
                            ):
                                nxt[0, 1, rest_m, rest_t] = here + rest_half
                                pred[d, 1 * s2 + rest_m * s3 + rest_t] = origin
                        # A working day.
                        if last == 0:
                            if run < min_rest and not from_start:
                                continue
                            new_run = 1
                        else:
                            new_run = run + 1
                            if new_run > max_run:
                                continue
                        new_t = rest_t
                        if saturday or (sunday and last == 0):
                            new_t += counts  # one more weekend
                        if new_t < 0 or new_t >= next_tallies:
                            continue
                        here += work_half
                        for s in range(types):
                            if not allowed[d, s]:
                                continue
                            if last > 0 and forbid[last - 1, s]:
                                continue
                            new_m = rest_m + units[s]
                            if new_m > next_top or new_m < 0:
                                continue
                            candidate = here + cost[d, s]
                            new_k = kind[s] + 1
                            if candidate < nxt[new_k, new_run, new_m, new_t]:
                                nxt[new_k, new_run, new_m, new_t] = candidate
                                state = new_k * s1 + new_run * s2 + new_m * s3 + new_t
                                pred[d, state] = origin
                                took[d, state] = s
                        # The counted types, while their maxima are not reached. Written out
                        # again rather than shared with the loop above: as an inlined helper
                        # taking the state as a tuple, sweeps priced a quarter of the rows a
                        # second (Instance15, one thread, 10 s: 606-624 rows against 2100-2674).
                        for k in range(len(counted)):
                            c = counted[k]
                            if not counted_on[d, k] or (t // stride[k]) % (most[k] + 1) == most[k]:
                                continue
                            if last > 0 and forbid[last - 1, c]:
                                continue
                            new_m = rest_m + units[c]
                            if new_m > next_top or new_m < 0:
                                continue
                            candidate = here + cost[d, c]
                            new_k = kind[c] + 1
                            tally = new_t + stride[k]
                            if candidate < nxt[new_k, new_run, new_m, tally]:
                                nxt[new_k, new_run, new_m, tally] = candidate
                                state = new_k * s1 + new_run * s2 + new_m * s3 + tally
                                pred[d, state] = origin
                                took[d, state] = c
        value, nxt = nxt, value
    best, at = _INF, -1
    end = offset + days  # the day after the stretch
    for last in range(kinds + 1):
        for run in range(1, runs):
            from_start = end - run == 0
            if next_shift != _HORIZON_END:
                # The stretch's last run meets the run that starts the day after.
                if last > 0 and next_shift >= 0:
                    if forbid[last - 1, next_shift] or run + next_run > max_run:
                        continue
                    if run + next_run < min_run and not (from_start or next_to_end):
                        continue
                elif last > 0:
                    if run < min_run and not from_start:
                        continue
                    if next_run < min_rest and not next_to_end:
                        continue
                elif next_shift >= 0:
                    if run < min_rest and not from_start:
                        continue
                    if next_run < min_run and not next_to_end:
                        continue
                elif run + next_run < min_rest and not (from_start or next_to_end):
                    continue
            for m in range(max(low - base_m[days], 0), min(width_m - 1, high - base_m[days]) + 1):
                for t in range(tallies):
                    if value[last, run, m, t] < best:
                        best = value[last, run, m, t]
                        at = last * s1 + run * s2 + m * s3 + t
    row = np.full(days, -1, dtype=np.int64)
    if at < 0:
        return _INF, row
    for d in range(days - 1, -1, -1):
        row[d] = took[d, at] if at >= s1 else -1
        at = pred[d, at]
    return best, row


class _Band(NamedTuple):
    """Which minute and weekend totals the programme's states hold before each day: from
    ``base_m[d]`` to ``base_m[d] + width_m - 1`` minute units, and the same for weekends."""

    base_m: np.ndarray
    width_m: int
    base_w: np.ndarray
    width_w: int


def prices_exactly(problem: Problem) -> bool:
    """Whether the programme prices every employee's whole row exactly (see
    :attr:`RowPricer.exact`): column generation then needs no CP-SAT, and branch and price may
    hold its decisions in the programme."""
    return all(RowPricer(problem, e).exact for e in range(len(problem.employees)))


def request_prices(problem: Problem) -> list[np.ndarray]:
    """Per employee, each (day, shift type) cell's request price: what working it costs
    (off-requests) less what it saves (on-requests), summed over repeated requests.

    A row's request cost is then the employee's on-request total plus the prices of the cells
    it works.
    """
    shape = (problem.days, len(problem.shifts))
    index, staff = problem.shift_index(), problem.employee_index()
    prices = [np.zeros(shape) for _ in problem.employees]
    for requests, sign in ((problem.off_requests, 1), (problem.on_requests, -1)):
        for req in requests:
            prices[staff[req.employee]][req.day, index[req.shift]] += sign * req.weight
    return prices


class RowPricer:
    """One employee's pricing by dynamic programming, with the employee's rules held as arrays.

    Args:
        problem: The rostering problem.
        e: The employee's index.
        count: Whether the states may count a per-type maximum (exact rows and bounds, for
            column generation) or leave every maximum to multipliers (more rows a second, for
            sweeps: 15 s of sweeps took Instance13 to 3175-3508 without counting and to
            3681-4201 with it).
    """

    def __init__(self, problem: Problem, e: int, count: bool = True) -> None:
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
        self.index = problem.shift_index()
        forbid = np.zeros((types, types), dtype=np.bool_)
        for s, shift in enumerate(problem.shifts):
            for banned in shift.forbidden_next:
                if banned in self.index:
                    forbid[s, self.index[banned]] = True
        # Types that forbid the same types the next day are one kind to the programme.
        rows = [tuple(bool(x) for x in forbid[s]) for s in range(types)]
        distinct = list(dict.fromkeys(rows))
        self.kind = np.array([distinct.index(r) for r in rows], dtype=np.int64)
        self.kind_forbid = np.array(distinct, dtype=np.bool_).reshape(len(distinct), types)
        self.max_run = min(emp.max_consecutive, days)
        self.min_run = min(emp.min_consecutive, days)
        self.min_rest = min(emp.min_days_off, days)
        self.max_weekends = min(emp.max_weekends, (days + 1) // 7)
        self.runs = max(self.max_run, self.min_rest, 1) + 1
        self.states = self._states(max(self.high, 0), self.max_weekends)
        self.days = days
        # Some types limited below the horizon: the states count up to two of them (those that
        # broke their maxima most often under the multipliers), the rest are priced in by
        # multipliers.
        self._limited = [s for s in range(types) if 0 < self.limits[s] < days]
        self.count = count
        self._broken = np.zeros(types)
        for s in self._limited:
            self._broken[s] = 1.0 / (1 + self.limits[s])  # at first: the smallest maximum

    @property
    def limited(self) -> bool:
        """Whether a per-type maximum could bind (the programme's rows may then not be the
        cheapest, or be missing)."""
        return bool(self._limited)

    def _states(self, high: int, max_weekends: int) -> int:
        """States a day of the programme with up to ``high`` minute units and
        ``max_weekends`` weekends: (yesterday's kind or off) x run length x minutes x weekends."""
        return (len(self.kind_forbid) + 1) * self.runs * (high + 1) * (max_weekends + 1)

    def stretch_work(self, days: int) -> int:
        """States per day times days of the programme over a stretch of ``days``."""
        units = min(self.high, days * int(self.units.max(initial=0)))
        return self._states(units, min(self.max_weekends, (days + 1) // 7)) * days

    @property
    def usable(self) -> bool:
        """Whether the state space is small enough for the programme."""
        return self.states * self.days <= MAX_WORK and self.high >= self.low

    @property
    def exact(self) -> bool:
        """Whether the programme prices every whole row exactly: it can take the row on and
        counts every per-type maximum that could bind, if any (no multipliers needed)."""
        if not self.usable:
            return False
        counted, _ = self._counted(self.limits, self.days, self.states * self.days)
        return len(counted) == len(self._limited)

    def price(
        self, cost: np.ndarray, half: float = 0.0, allowed: np.ndarray | None = None
    ) -> tuple[Row | None, float]:
        """The cheapest row under ``cost`` (shape days x types) and a lower bound on its price.

        ``allowed`` narrows the cells the employee may work (days x types; within their own,
        which it must not widen): branch and price bans cells this way.

        Returns:
            The row (None when no row keeping every rule was found) and a lower bound on the
            price of any row keeping every rule (``math.inf`` when none does).
        """
        start = (0, max(self.min_rest, 1))
        path, bound = self._solve(
            cost,
            self.allowed if allowed is None else allowed,
            self.limits,
            (self.low, self.high, self.max_weekends),
            0,
            start,
            (_HORIZON_END, 0, True),
            half=half,
        )
        if path is None:
            return None, bound
        return tuple(self.ids[s] if s >= 0 else None for s in path), bound

    def price_stretch(
        self, cost: np.ndarray, row: Row, first: int, half: float = 0.0
    ) -> Row | None:
        """The cheapest cells for days ``first`` onwards (as many as ``cost`` has rows).

        The rest of ``row`` (which keeps every rule) stays as it is; ``first`` is a Monday, a
        multiple of 7, so the stretch splits no weekend.

        Returns:
            The stretch's new cells, with which the whole row keeps every rule, or None if the
            programme found none (or the stretch's state space is too large for it).
        """
        days = len(row)
        stop = first + len(cost)
        outside = [
            self.index[sid]
            for d, sid in enumerate(row)
            if sid is not None and not first <= d < stop
        ]
        used = sum(int(self.units[s]) for s in outside)
        low = self.low - used
        high = min(self.high - used, len(cost) * int(self.units.max(initial=0)))
        weekends = sum(
            1
            for sat in range(5, days, 7)
            if not first <= sat < stop
            and (row[sat] is not None or (sat + 1 < days and row[sat + 1] is not None))
        )
        max_weekends = min(self.max_weekends - weekends, (len(cost) + 1) // 7)
        limits = self.limits - np.bincount(
            np.array(outside, dtype=np.int64), minlength=len(self.ids)
        )
        if high < max(low, 0) or max_weekends < 0 or (limits < 0).any():
            return None
        if self._states(high, max_weekends) * len(cost) > MAX_WORK:
            return None
        before = self._run(row, first - 1, -1) if first > 0 else (0, max(self.min_rest, 1))
        if stop >= days:
            after = (_HORIZON_END, 0, True)
        else:
            kind, length = self._run(row, stop, +1)
            after = (kind - 1, length, stop + length >= days)
        path, _ = self._solve(
            cost,
            self.allowed[first:stop],
            limits,
            (low, high, max_weekends),
            first,
            before,
            after,
            half=half,
        )
        if path is None:
            return None
        return tuple(self.ids[s] if s >= 0 else None for s in path)

    def near_work(self, reach_m: int, reach_w: int) -> int:
        """States per day times days of :meth:`price_near` over the whole horizon."""
        kinds = len(self.kind_forbid) + 1
        return kinds * self.runs * (2 * reach_m + 1) * (2 * reach_w + 1) * self.days

    def price_near(
        self, cost: np.ndarray, row: Row, reach_m: int, reach_w: int, half: float = 0.0
    ) -> Row | None:
        """The cheapest whole row under ``cost`` whose running totals stay near ``row``'s.

        Before every day, the new row's minutes so far are within ``reach_m`` minute units of
        ``row``'s and its weekends so far within ``reach_w`` of ``row``'s; only those totals
        are states, so the programme takes on whole rows of horizons far too long for it
        otherwise (Instance23, 364 days, within 6 units and one weekend: up to 2,200 states a
        day instead of up to 1.4 million), and the row may still move work from one end of the
        horizon to the other, a little at a time.

        Returns:
            The new row, keeping every rule, or None if the programme found none (``row``
            itself keeps every rule and stays in its own band, but a per-type maximum the
            multipliers could not settle may leave no row).
        """
        days = len(row)
        units = np.zeros(days + 1, dtype=np.int64)
        weekends = np.zeros(days + 1, dtype=np.int64)
        for d, sid in enumerate(row):
            works = sid is not None
            units[d + 1] = units[d] + (int(self.units[self.index[sid]]) if works else 0)
            starts = works and (d % 7 == 5 or (d % 7 == 6 and row[d - 1] is None))
            weekends[d + 1] = weekends[d] + starts
        band = _Band(units - reach_m, 2 * reach_m + 1, weekends - reach_w, 2 * reach_w + 1)
        path, _ = self._solve(
            cost,
            self.allowed,
            self.limits,
            (self.low, self.high, self.max_weekends),
            0,
            (0, max(self.min_rest, 1)),
            (_HORIZON_END, 0, True),
            band,
            half,
        )
        if path is None:
            return None
        return tuple(self.ids[s] if s >= 0 else None for s in path)

    def _run(self, row: Row, day: int, step: int) -> tuple[int, int]:
        """What ``row`` works on ``day`` (0 off, else type index + 1) and the length of the
        run of work or rest from ``day`` going ``step`` (capped where the rules stop caring)."""
        working = row[day] is not None
        kind = 0 if not working else self.index[row[day]] + 1
        cap = self.max_run + 1 if working else max(self.min_rest, 1)
        length, d = 0, day
        while 0 <= d < len(row) and (row[d] is not None) == working and length < len(row):
            length += 1
            d += step
        return kind, length if step > 0 else min(length, cap)

    def _counted(self, limits: np.ndarray, days: int, work: int) -> tuple[list[int], list[int]]:
        """The limited types the states count over ``days`` (up to ``MAX_COUNTED``, those
        broken most often under the multipliers first) and their maxima there.

        Counting multiplies the states by the maximum plus one, so a type is counted only while
        the programme stays within ``COUNT_WORK``, and only where its maximum could bind.
        """
        if not self.count:
            return [], []
        binding = sorted(
            (s for s in self._limited if limits[s] < days), key=lambda s: -self._broken[s]
        )
        counted: list[int] = []
        most: list[int] = []
        for s in binding:
            if len(counted) == MAX_COUNTED:
                break
            if work * (int(limits[s]) + 1) > COUNT_WORK:
                continue
            work *= int(limits[s]) + 1
            counted.append(s)
            most.append(int(limits[s]))
        return counted, most

    def _solve(
        self,
        cost: np.ndarray,
        allowed: np.ndarray,
        limits: np.ndarray,
        totals: tuple[int, int, int],
        offset: int,
        before: tuple[int, int],
        after: tuple[int, int, bool],
        band: _Band | None = None,
        half: float = 0.0,
    ) -> tuple[np.ndarray | None, float]:
        """The programme, with up to two per-type maxima counted by the states and the others
        priced in by multipliers; the states hold every total, or only those of ``band``."""
        low, high, max_weekends = totals
        last = before[0] and int(self.kind[before[0] - 1]) + 1  # the day before, as a kind
        days = len(cost)
        if band is None:
            none = np.zeros(days + 1, dtype=np.int64)
            band = _Band(none, high + 1, none, max_weekends + 1)
        work = (len(self.kind_forbid) + 1) * self.runs * band.width_m * band.width_w * days
        counted, most = self._counted(limits, days, work)
        counted_on = allowed[:, counted].copy()
        if counted:
            allowed = allowed.copy()
            allowed[:, counted] = False
        penalty = np.zeros(len(self.ids))
        bound = -math.inf
        scale = float(np.abs(cost).max(initial=0.0)) + 1.0
        for _ in range(LAGRANGE_ROUNDS):
            value, path = _cheapest_path(
                cost + penalty,
                self.units,
                allowed,
                self.kind_forbid,
                self.kind,
                self.max_run,
                self.min_run,
                self.min_rest,
                low,
                high,
                max_weekends,
                offset,
                last,
                before[1],
                after[0],
                after[1],
                after[2],
                np.array(counted, dtype=np.int64),
                np.array(most, dtype=np.int64),
                counted_on,
                band.base_m,
                band.width_m,
                band.base_w,
                band.width_w,
                half,
            )
            if value >= _INF:
                return None, math.inf
            # min over rows of cost + penalty * (count - limit) is at most the optimum.
            bound = max(bound, value - float(penalty @ limits))
            counts = np.bincount(path[path >= 0], minlength=len(self.ids))
            over = [s for s in self._limited if counts[s] > limits[s]]
            if not over:
                return path, bound
            for s in over:
                self._broken[s] += 1
                penalty[s] += scale * (counts[s] - limits[s]) / max(1, counts[s])
        return None, bound
