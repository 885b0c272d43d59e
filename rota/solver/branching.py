"""Branch and price: column generation at every node of a search tree over cell decisions.

Column generation (:mod:`rota.solver.columns`) proves a bound from the LP over whole rows, and
its dives follow the LP to rosters near it; neither can prove a roster optimal when the LP
bound sits below the best roster (Instance5: 1141 against 1143), nor search past a dive that
fixed the wrong row. Branch and price can: each node holds decisions of the form "employee
``e`` works on day ``d``" (or on shift ``s`` of day ``d``) or "does not", the LP holds only
rows that keep them, and the pricing programme generates only such rows (cells ruled out are
not allowed, cells ruled in are priced far below any row). The node's LP value, once no row
improves it, bounds every roster below the node; a node whose bound cannot beat the best
roster is closed, and one whose LP picks a single row per employee is a roster.

The tree is searched depth first, following the LP: the next decision is the day (or, when
every employee's days are whole, the shift) an employee's rows share most evenly, and the
child that agrees with the LP's larger share comes first. A tree searched to its end proves
the best roster optimal; one cut short by the deadline still proves the least bound of the
nodes left open.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from rota.solver.columns import EPSILON, CellRule, ColumnGeneration, Row
from rota.solver.pricing import prices_exactly
from rota.solver.problem import Roster


class BranchAndPrice:
    """A depth-first branch and price over a converged column generation.

    Args:
        columns: Column generation whose every row the programme prices exactly (its pool and
            LP are shared: rows generated in the tree stay in the pool).

    Raises:
        ValueError: If some employee's rows are not priced exactly: their pricing would go to
            CP-SAT, which knows nothing of the tree's decisions, and the bounds would not hold.
    """

    def __init__(self, columns: ColumnGeneration) -> None:
        if not prices_exactly(columns.problem):
            raise ValueError("branch and price needs every row priced exactly by the programme")
        self.columns = columns
        self.nodes = 0
        # Decisions of the nodes still to search, each with its parent's bound.
        self._open: list[tuple[tuple[CellRule, ...], float]] = [((), -math.inf)]
        # Bounds of nodes given up on: their LP leans on a stand-in row, so they neither give
        # a roster nor a decision to branch on (the stand-in costs more than any roster should,
        # but nothing proves it does).
        self._given_up: list[float] = []

    @property
    def done(self) -> bool:
        """Whether every node has been searched (the best roster is then optimal)."""
        return not self._open and not self._given_up

    def bound(self, best: int | None) -> int:
        """The bound proven on every roster: the least of the open nodes' bounds, or ``best``
        once the tree is searched."""
        floor = min([b for _, b in self._open] + self._given_up, default=math.inf)
        if best is not None:
            floor = min(floor, best)
        return max(0, math.ceil(floor - EPSILON)) if math.isfinite(floor) else 0

    def search(
        self,
        deadline: float,
        workers: int,
        seed: int,
        best: Callable[[], int | None],
        offer: Callable[[Roster], None],
    ) -> None:
        """Search nodes until the tree is done or ``deadline`` comes.

        Args:
            deadline: ``time.monotonic()`` value to stop at (the node being searched is put
                back as it was).
            workers: Pricing problems solved at once.
            seed: Random seed of the pricing (CP-SAT is not used here).
            best: The cost of the best roster known (nodes that cannot beat it are closed).
            offer: Called with each roster a node's LP settles on.
        """
        columns = self.columns
        try:
            with ThreadPoolExecutor(max(1, workers)) as pool:
                while self._open and time.monotonic() < deadline:
                    rules, parent = self._open.pop()
                    known = best()
                    cutoff = math.inf if known is None else known - 1 + EPSILON
                    if parent > cutoff:
                        continue
                    columns.restrict(rules)
                    bound, values = columns.settle(pool, seed, deadline, cutoff)
                    if time.monotonic() >= deadline and bound < cutoff:
                        self._open.append((rules, parent))  # cut short: search it again
                        break
                    self.nodes += 1
                    if bound > cutoff or math.isinf(bound):
                        continue  # closed: it cannot beat the best roster, or has none
                    roster = _single_rows(values)
                    if roster is not None:
                        offer(roster)
                        continue
                    rule = _most_even(values)
                    if rule is None:
                        self._given_up.append(bound)
                        continue
                    first, second = rule, CellRule(rule.employee, rule.day, rule.shift, False)
                    if not _share(values, rule) >= 0.5:
                        first, second = second, first
                    self._open.append(((*rules, second), bound))
                    self._open.append(((*rules, first), bound))
        finally:
            columns.restrict(())


def _single_rows(values: list[dict[Row, float]]) -> Roster | None:
    """The roster the LP picks when it takes one row per employee whole, else None."""
    rows = []
    for mine in values:
        whole = [row for row, x in mine.items() if x > 1 - EPSILON]
        if not whole:
            return None
        rows.append(whole[0])
    return tuple(rows)


def _share(values: list[dict[Row, float]], rule: CellRule) -> float:
    """The LP's share of the employee's rows that work as ``rule`` says they do."""
    return sum(x for row, x in values[rule.employee].items() if rule.admits(row))


def _most_even(values: list[dict[Row, float]]) -> CellRule | None:
    """The decision the LP is least sure of: the (employee, day) whose rows split most evenly
    between working and not, or, when every day is whole, the (employee, day, shift)."""
    best: tuple[float, CellRule] | None = None
    for whole_days in (True, False):
        for e, mine in enumerate(values):
            shares: dict[tuple[int, str | None], float] = {}
            for row, x in mine.items():
                for d, sid in enumerate(row):
                    if sid is not None:
                        key = (d, None if whole_days else sid)
                        shares[key] = shares.get(key, 0.0) + x
            for (d, sid), share in shares.items():
                if EPSILON < share < 1 - EPSILON:
                    evenness = abs(share - 0.5)
                    if best is None or evenness < best[0]:
                        best = (evenness, CellRule(e, d, sid, True))
        if best is not None:
            return best[1]
    return None
