"""Row sweeps: each employee's row in turn becomes the cheapest row given everyone else's.

One employee adds at most one person to any (day, shift) cell, so with the other rows fixed the
cost of a roster is the employee's request costs plus, for every cell they work, the change in
that cell's cover penalty from one more person: under-cover weight saved if the cell is short
without them, over-cover weight paid if it is not. Those are prices per cell, and the pricing
programme of :mod:`rota.solver.pricing` finds the cheapest row under them keeping every rule,
exactly, in milliseconds. A sweep replaces every row that has a cheaper replacement, which is
an exact re-solve of a one-employee neighbourhood: what the LNS gets from CP-SAT in a tenth of
a second or more, here a hundred times over in the same time.

Where a whole row's state space is too large, or the horizon longer than ``WHOLE_DAYS``
(Instances 21 and 23: 182 and 364 days), a random four-week stretch of the row is re-solved
instead, the rest of the row held: its minutes, weekends and type counts, and the runs that
meet the stretch at either end. From the greedy rows this took Instance23 from 181509 to 43681
in 10 s.

Half the steps of those rows re-solve the whole row instead, near the row it replaces: its running
minutes and weekends stay within ``REACH`` of the old row's, which keeps the programme small
(Instance23: up to 2,200 states a day where a whole row needs up to 1.4 million) while letting a
row move work from one end of the horizon to the other.

Where the weekend demand nearly uses up the weekends the staff may work (Instance23: 4,617
weekend shifts against at most 4,850, with every employee at their most weekends), a weekend
worked on one day only wastes what is scarce, and single-row moves cannot see it: the day it
leaves is covered by someone else's weekend. There the sweeps weigh every such weekend at
``HALF_WEEKEND`` (``HALF_WEEKEND_WHOLE`` where every row is taken whole), in the rows they price
and in the rows they keep: a row may cost a little more if it works fewer half weekends, and the
sweep keeps the cheapest roster it meets.

With two or more threads, rows are priced at once (the programme releases the GIL); each is
weighed again against the cover as it is when its price comes back.
"""

from __future__ import annotations

import random
import threading
import time

import numpy as np

from rota.solver.pricing import MAX_WORK, RowPricer, request_prices
from rota.solver.problem import Problem, Roster

Row = tuple[str | None, ...]

#: Days re-solved at once in the rows too long for the programme to take whole.
STRETCH_DAYS = 28

#: Longest horizon whose rows are re-solved whole (when the programme can take them).
#: Instance19's 84-day rows do better whole (10 s from the greedy: 5074-6109 against
#: 6890-7072 by stretches).
WHOLE_DAYS = 84

#: Most a wandering row's lean to longer shifts may be worth, in cost units, over a whole row
#: (its random tie-breaking noise may be worth the rest of half a unit), and the most the staff's
#: minutes may exceed the demand's, as a ratio, for rows to lean at all.
LEAN = 0.2
TIGHT = 1.01

#: Share of the steps of rows swept a stretch at a time that re-solve the whole row near the old
#: one instead, and how near: minute units and weekends either way of the old row's running
#: totals. Instance23, 60 s, seeds 0 and 1: 23764 and 23773 / 23109 against 23904 / 25174 and
#: 24643 / 24701 by stretches alone. Where rows are taken whole they do worse near (Instance19,
#: seeds 0-2: 3515, 3781, 3867 against 3721, 3667, 3730).
NEAR_SHARE = 0.5
REACH = (6, 1)

#: Weight of a weekend worked on one day only, where the weekend demand is at least
#: WEEKENDS_TIGHT of the most the staff may work on weekends (and the minutes are not tight:
#: there the lean to longer shifts leads): HALF_WEEKEND where rows are swept a stretch at a time
#: or near the old row, HALF_WEEKEND_WHOLE where every row is taken whole. Instance23, 60 s,
#: seed 0: 23904 with 2, 24771 with 4, 25917 with 1, 28198 without; Instance19: 3721 against
#: 4161. With the near steps too, 4 did worse on Instance21 (22030, 21984, 22077 against 21930,
#: 21904, 21905) but better where rows are whole: seeds 0-4, run in turn, Instance19 3563,
#: 3681, 3398, 3596, 3657 against 3895, 3863, 3711, 3627, 3624 (medians 3596 and 3711),
#: Instance15 4374, 4554, 4802, 4480, 5094 against 4664, 4548, 4999, 4475, 4800 (medians 4554
#: and 4664: within the noise), and Instance17 still proven optimal on seeds 0-2 (25, 40, 26 s;
#: 11, 26, 40 s with 2). A weight of 8: Instance19 3795, 3743, 3615, Instance15 4783, 4459, 4765.
HALF_WEEKEND = 2.0
HALF_WEEKEND_WHOLE = 4.0
WEEKENDS_TIGHT = 0.9


class RowSweep:
    """The employees whose rows the pricing programme can take on, and their request prices.

    Args:
        problem: The rostering problem.
    """

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.index = problem.shift_index()
        shape = (problem.days, len(problem.shifts))
        self.pricers: dict[int, RowPricer] = {}
        # Employees whose whole row the programme takes on; the others' rows are re-solved a
        # stretch of STRETCH_DAYS at a time. On long horizons a stretch beats a whole row even
        # where the programme could take it: 10 s of sweeps from Instance21's greedy rows gave
        # 24624-25473 by stretches, 27548-27995 with ten of its rows taken whole.
        self.whole: set[int] = set()
        self.stretches: set[int] = set()
        for e in range(len(problem.employees)):
            pricer = RowPricer(problem, e, count=False)
            if pricer.usable and problem.days <= WHOLE_DAYS:
                self.whole.add(e)
                self.pricers[e] = pricer
            elif pricer.stretch_work(STRETCH_DAYS) <= MAX_WORK:
                self.stretches.add(e)
                self.pricers[e] = pricer
        # Employees not taken whole whose rows may be re-solved whole near the old row.
        self.near: set[int] = set()
        for e in range(len(problem.employees)):
            if e in self.whole:
                continue
            pricer = self.pricers.get(e) or RowPricer(problem, e, count=False)
            if pricer.near_work(*REACH) <= MAX_WORK:
                self.near.add(e)
                self.pricers.setdefault(e, pricer)
        self.requests = request_prices(problem)
        # Where the staff's minutes barely cover the demand (Instance13: 939,000 against
        # 941,160), wandering rows lean to the longer shifts, by a bonus per minute worth at most
        # LEAN over a whole row (so it only breaks ties). A short cell moved from a 720-minute
        # shift to a 600 or a 480 costs nothing by itself, and without the lean nothing drives
        # the chain of such moves that ends where someone has the minutes to fill it: 20 s of
        # sweeps from a 2917 roster reached 2106 and 2189 with it (noise at 0.25), 2505 and 2503
        # without. Where minutes are plentiful it only gets in the way (Instance15, 60 s:
        # 4887-4986 against 4667-4773), so there the noise alone breaks ties.
        minutes = np.array([s.minutes for s in problem.shifts], dtype=float)
        most = problem.days * float(minutes.max(initial=0.0))
        reachable = [min(emp.max_minutes, most) for emp in problem.employees]
        demand = sum(c.requirement * minutes[self.index[c.shift]] for c in problem.covers)
        lean = LEAN if sum(reachable) <= TIGHT * demand else 0.0
        # No row works more minutes than the most any employee may, so no row leans by more.
        self.lean = np.broadcast_to(minutes * (lean / max([1.0, *reachable])), shape)
        self.noise = 0.5 - lean
        weekends = problem.days // 7
        most = sum(2 * min(emp.max_weekends, weekends) for emp in problem.employees)
        demand = sum(c.requirement for c in problem.covers if c.day % 7 >= 5)
        tight = lean == 0 and demand >= WEEKENDS_TIGHT * most
        weight = HALF_WEEKEND_WHOLE if self.whole and not self.stretches else HALF_WEEKEND
        self.half = weight if tight else 0.0
        self.wanted = np.zeros(shape)
        self.under = np.zeros(shape)
        self.over = np.zeros(shape)
        self.covered = np.zeros(shape, dtype=bool)
        # One cover line per (day, shift), as the benchmark and the rota builder make them (a
        # second line on a cell would be priced as the last one; the search re-costs every
        # swept roster in full before keeping it, so it would cost a weaker sweep, never a
        # dearer roster).
        for c in problem.covers:
            s = self.index[c.shift]
            self.wanted[c.day, s] = c.requirement
            self.under[c.day, s] = c.under_weight
            self.over[c.day, s] = c.over_weight
            self.covered[c.day, s] = True

    def sweep(
        self,
        roster: Roster,
        deadline: float,
        rng: random.Random,
        wander: int = 0,
        threads: int = 1,
    ) -> Roster:
        """Replace rows by cheaper ones until a whole pass changes none, or until ``deadline``.

        Args:
            roster: A roster that keeps every hard rule.
            deadline: ``time.monotonic()`` value to stop at.
            rng: Seeded source of randomness for the order of the employees.
            wander: Passes to go on after the last improvement, taking rows that cost the
                same as the current ones (ties broken at random): one row giving up a short
                cell to fill another costs nothing by itself, but lets the next row fill the
                first. Zero stops at the first pass without a change.
            threads: Rows priced at once, in threads (the programme releases the GIL). Each
                row is judged again against the cover as it is when its price comes back, so
                two rows priced together never both take the one short cell.

        Returns:
            The cheapest roster met, which keeps every hard rule and costs no more than
            ``roster``.
        """
        run = _Sweep(self, roster, deadline, rng, wander)
        if threads <= 1 or len(self.pricers) < 2:
            run.work()
        else:
            workers = [threading.Thread(target=run.work, daemon=True) for _ in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            if run.error is not None:
                raise run.error
        return run.best

    def cell_prices(self, e: int, have: np.ndarray) -> np.ndarray:
        """Employee ``e``'s price of each cell, given ``have`` people on it without them.

        One more person on a cell saves the under weight while it is short and costs the over
        weight once it is met; cells without a cover line cost nothing.
        """
        cover = np.where(have < self.wanted, -self.under, self.over) * self.covered
        return self.requests[e] + cover

    def cells(self, row: list[str | None], first: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """The (day, type index) cells ``row`` works from ``first`` to ``stop`` - 1."""
        days = [d for d in range(first, stop) if row[d] is not None]
        return (
            np.array(days, dtype=np.int64),
            np.array([self.index[row[d]] for d in days], dtype=np.int64),
        )


class _Sweep:
    """The rows and cover of one sweep, shared by the threads that price its rows.

    Each step takes the next employee of the pass (none another thread is pricing), prices
    their row (or a stretch of it) against the cover without them, outside the lock, and then
    weighs the new row against the cover as it is by then: kept if it is cheaper, or as cheap
    when wandering.
    """

    def __init__(
        self, sweep: RowSweep, roster: Roster, deadline: float, rng: random.Random, wander: int
    ) -> None:
        self.sweep = sweep
        self.rows = [list(row) for row in roster]
        self.have = np.zeros_like(sweep.wanted)
        for row in self.rows:
            self.have[sweep.cells(row, 0, len(row))] += 1
        self.deadline = deadline
        self.rng = rng
        # Ties are broken by the lean to longer shifts and by noise, below half a unit together
        # over a whole row: every weight is a whole number, so the cheapest row under them is
        # always one of the truly cheapest.
        self.jitter = np.random.default_rng(rng.randrange(1 << 32))
        self.noise = sweep.noise / max(1, sweep.problem.days)
        self.order: list[int] = []
        self.busy: set[int] = set()
        # Rows priced since the last improvement: a pass without one is len(pricers) of them,
        # and the sweep stops after wander + 1 such passes.
        self.idle = 0
        self.patience = (wander + 1) * len(sweep.pricers)
        self.cost = self.best_cost = 0
        self.halves = self.best_halves = 0  # half weekends, against the roster's own
        self.best = tuple(tuple(row) for row in self.rows)
        self.lock = threading.Lock()
        self.error: BaseException | None = None

    def work(self) -> None:
        """Price rows until the sweep ends; the threads of a parallel sweep all run this."""
        try:
            while (step := self._next()) is not None:
                e, first, stop, asked, wandering, near = step
                pricer = self.sweep.pricers[e]
                half = self.sweep.half
                held = tuple(self.rows[e])  # only this thread changes row e meanwhile
                if near:
                    row = pricer.price_near(asked, held, *REACH, half=half)
                elif e in self.sweep.whole:
                    row, _ = pricer.price(asked, half)
                else:
                    stretch = pricer.price_stretch(asked, held, first, half)
                    row = None if stretch is None else (*held[:first], *stretch, *held[stop:])
                with self.lock:
                    self.busy.discard(e)
                    self._settle(e, first, stop, row, wandering)
        except BaseException as error:  # surfaced by RowSweep.sweep in the calling thread
            self.error = error
            self.deadline = 0.0

    def _next(self) -> tuple[int, int, int, np.ndarray, bool, bool] | None:
        """The next employee, the days to re-solve and their prices; None once the sweep ends."""
        with self.lock:
            if self.idle >= self.patience or time.monotonic() > self.deadline:
                return None
            e = self._take()
            if e is None:
                return None
            self.idle += 1
            wandering = self.idle > len(self.sweep.pricers)
            days = self.sweep.problem.days
            first, stop = 0, days
            near = e in self.sweep.near and (
                e not in self.sweep.stretches or self.rng.random() < NEAR_SHARE
            )
            if not near and e not in self.sweep.whole:
                first = 7 * self.rng.randrange(max(1, -(-(days - STRETCH_DAYS) // 7) + 1))
                stop = min(days, first + STRETCH_DAYS)
            have = self.have.copy()
            have[self.sweep.cells(self.rows[e], first, stop)] -= 1
            asked = self.sweep.cell_prices(e, have)[first:stop]
            if wandering:
                noise = self.jitter.random(asked.shape) * self.noise
                asked = asked + noise - self.sweep.lean[first:stop]
            return e, first, stop, asked, wandering, near

    def _take(self) -> int | None:
        """The next employee of the pass that no thread is pricing (a new pass when it ends)."""
        for _ in range(2):
            while self.order:
                e = self.order.pop()
                if e not in self.busy:
                    self.busy.add(e)
                    return e
            self.order = list(self.sweep.pricers)
            self.rng.shuffle(self.order)
        return None

    def _settle(self, e: int, first: int, stop: int, row: Row | None, wandering: bool) -> None:
        """Keep ``row`` for employee ``e`` if it is cheaper against the cover as it is now,
        its half weekends weighed in where weekends are scarce."""
        if row is None or list(row) == self.rows[e]:
            return
        sweep = self.sweep
        mine = sweep.cells(self.rows[e], first, stop)
        cells = sweep.cells(list(row), first, stop)
        self.have[mine] -= 1
        prices = sweep.cell_prices(e, self.have)
        change = round(float(prices[cells].sum() - prices[mine].sum()))
        # What the sweep minimises: the cost, and the half weekends at their weight.
        halves = _half_weekends(row) - _half_weekends(self.rows[e]) if sweep.half else 0
        weighed = change + sweep.half * halves
        if weighed < 0 or (wandering and weighed == 0):
            self.rows[e], mine = list(row), cells
            self.cost += change
            self.halves += halves
            # The cheapest roster met, and of those the one with the fewest half weekends.
            if (self.cost, self.halves) < (self.best_cost, self.best_halves):
                self.best_cost, self.best_halves = self.cost, self.halves
                self.best = tuple(tuple(r) for r in self.rows)
                self.idle = 0
        self.have[mine] += 1


def _half_weekends(row: Row | list[str | None]) -> int:
    """Weekends ``row`` works on one of their two days only."""
    return sum(
        1 for sat in range(5, len(row) - 1, 7) if (row[sat] is None) != (row[sat + 1] is None)
    )
