"""Row sweeps: each employee's row in turn becomes the cheapest row given everyone else's.

One employee adds at most one person to any (day, shift) cell, so with the other rows fixed the
cost of a roster is the employee's request costs plus, for every cell they work, the change in
that cell's cover penalty from one more person: under-cover weight saved if the cell is short
without them, over-cover weight paid if it is not. Those are prices per cell, and the pricing
programme of :mod:`rota.solver.pricing` finds the cheapest row under them keeping every rule,
exactly, in milliseconds. A sweep replaces every row that has a cheaper replacement, which is
an exact re-solve of a one-employee neighbourhood: what the LNS gets from CP-SAT in a tenth of
a second or more, here a hundred times over in the same time.

Where a whole row's state space is too large (Instances 21 and 23: 182 and 364 days, 936 minute
units a row), a random four-week stretch of the row is re-solved instead, the rest of the row
held: its minutes, weekends and type counts, and the runs that meet the stretch at either end.
From the greedy rows this took Instance23 from 181509 to 43681 in 10 s.
"""

from __future__ import annotations

import random
import time

import numpy as np

from rota.solver.pricing import MAX_WORK, RowPricer, request_prices
from rota.solver.problem import Problem, Roster

#: Days re-solved at once in the rows too long for the programme to take whole.
STRETCH_DAYS = 28


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
        # stretch of STRETCH_DAYS at a time (Instances 21 and 23: 936 minute units a row).
        self.whole: set[int] = set()
        for e in range(len(problem.employees)):
            pricer = RowPricer(problem, e)
            if pricer.usable:
                self.whole.add(e)
                self.pricers[e] = pricer
            elif pricer.stretch_work(STRETCH_DAYS) <= MAX_WORK:
                self.pricers[e] = pricer
        self.requests = request_prices(problem)
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

    def sweep(self, roster: Roster, deadline: float, rng: random.Random, wander: int = 0) -> Roster:
        """Replace rows by cheaper ones until a whole pass changes none, or until ``deadline``.

        Args:
            roster: A roster that keeps every hard rule.
            deadline: ``time.monotonic()`` value to stop at.
            rng: Seeded source of randomness for the order of the employees.
            wander: Passes to go on after the last improvement, taking rows that cost the
                same as the current ones (ties broken at random): one row giving up a short
                cell to fill another costs nothing by itself, but lets the next row fill the
                first. Zero stops at the first pass without a change.

        Returns:
            The cheapest roster met, which keeps every hard rule and costs no more than
            ``roster``.
        """
        rows = [list(row) for row in roster]
        have = np.zeros_like(self.wanted)
        for row in rows:
            for d, sid in enumerate(row):
                if sid is not None:
                    have[d, self.index[sid]] += 1
        order = list(self.pricers)
        days = self.problem.days
        # Ties are broken by noise below half a unit over a whole row: every weight is a whole
        # number, so the noisy cheapest row is always one of the truly cheapest.
        jitter = np.random.default_rng(rng.randrange(1 << 32))
        noise = 0.5 / max(1, self.problem.days)
        cost = best_cost = 0
        best = tuple(tuple(row) for row in rows)
        idle = 0  # passes since the last improvement
        while idle <= wander:
            wandering = idle > 0
            improved = False
            rng.shuffle(order)
            for e in order:
                if time.monotonic() > deadline:
                    return best
                first, stop = 0, days
                if e not in self.whole:
                    first = 7 * rng.randrange(max(1, -(-(days - STRETCH_DAYS) // 7) + 1))
                    stop = min(days, first + STRETCH_DAYS)
                mine = self._cells(rows[e], first, stop)
                have[mine] -= 1
                # One more person on a cell: saves the under weight while it is short, costs
                # the over weight once it is met; cells without a cover line cost nothing.
                cover = np.where(have < self.wanted, -self.under, self.over) * self.covered
                prices = self.requests[e] + cover
                asked = prices[first:stop]
                if wandering:
                    asked = asked + jitter.random(asked.shape) * noise
                if e in self.whole:
                    row, _ = self.pricers[e].price(asked)
                else:
                    stretch = self.pricers[e].price_stretch(asked, tuple(rows[e]), first)
                    row = None if stretch is None else (*rows[e][:first], *stretch, *rows[e][stop:])
                if row is not None and list(row) != rows[e]:
                    cells = self._cells(list(row), first, stop)
                    change = round(float(prices[cells].sum() - prices[mine].sum()))
                    if change < 0 or (wandering and change == 0):
                        rows[e], mine, cost = list(row), cells, cost + change
                        if cost < best_cost:
                            best_cost, best, improved = cost, tuple(tuple(r) for r in rows), True
                have[mine] += 1
            idle = 0 if improved else idle + 1
        return best

    def _cells(self, row: list[str | None], first: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """The (day, type index) cells ``row`` works from ``first`` to ``stop`` - 1."""
        days = [d for d in range(first, stop) if row[d] is not None]
        return (
            np.array(days, dtype=np.int64),
            np.array([self.index[row[d]] for d in days], dtype=np.int64),
        )
