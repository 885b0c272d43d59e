"""Pure-Python local search: cheap moves on one employee's row, checked and costed incrementally.

The greedy rows leave cover short on some (day, shift) pairs and over on others (Instance21:
1,060 people short and 1,885 over), most of it fixable by moving one cell of one row: change a
shift's type, add or drop a working day, or move a working day to another day. A CP-SAT
neighbourhood costs 0.1-0.3 s to build and solve; here a move is judged in microseconds, so a
few seconds of descent clears what would take the LNS most of the minute.

Every move changes a single employee's row and is kept only if the row still keeps every hard
rule (checked around the changed days, with the row's minutes, per-type counts and weekends
kept up to date) and the cost falls.

One move changes two rows: a swap of two employees' cells over a few days around a request
either of them wants granted. Each day keeps the same shifts, so the cover does not change, and
only the requests can gain. Single-row moves and row sweeps never make it, since leaving a
covered cell costs a person short before anyone takes it up; the LNS makes it where it runs,
but instances 21 and 23 are swept only. From a 60 s Instance23 roster (22599), one pass of
swaps of up to 7 days took 534 off in 3 s, and four more passes 120 (14 days: 3-4 times as
long for the same gain); from 60 s rosters of instances 13, 15 and 19 a pass found 13, 2 and 0.
"""

from __future__ import annotations

import random
import time

from rota.solver.problem import Problem, Roster

_OFF = None


#: Longest block of days two employees swap to grant a request.
SWAP_DAYS = 7


class LocalSearch:
    """A roster under repair, with the counters that make a move cheap to judge.

    Args:
        problem: The rostering problem.
        roster: A roster that keeps every hard rule.
    """

    #: Two-cell moves tried per cell, the most promising first (by the cover they free or fill).
    TRIES = 12

    def __init__(self, problem: Problem, roster: Roster) -> None:
        self.problem = problem
        self.horizon = horizon = problem.days
        self.rows = [list(row) for row in roster]
        shifts = {s.id: s for s in problem.shifts}
        self.minutes = {s.id: s.minutes for s in problem.shifts}
        self.banned = {s.id: s.forbidden_next for s in problem.shifts}
        self.allowed = [
            [s for s in shifts if emp.limit_for(s, horizon) > 0] for emp in problem.employees
        ]
        self.limit = [{s: emp.limit_for(s, horizon) for s in shifts} for emp in problem.employees]
        self.used = [{s: row.count(s) for s in shifts} for row in self.rows]
        self.total = [problem.paid_minutes(row) for row in self.rows]
        self.weekend_of = [(d - 5) // 7 if d % 7 in (5, 6) else -1 for d in range(horizon)]
        self.weekends = [self._weekends(row) for row in self.rows]
        # Cover lines per (day, shift): requirement and weights (a pair may have several).
        self.cover: dict[tuple[int, str], list[tuple[int, int, int]]] = {}
        for c in problem.covers:
            self.cover.setdefault((c.day, c.shift), []).append(
                (c.requirement, c.under_weight, c.over_weight)
            )
        self.have: dict[tuple[int, str], int] = {}
        for row in self.rows:
            for d, s in enumerate(row):
                if s is not None:
                    self.have[d, s] = self.have.get((d, s), 0) + 1
        staff = problem.employee_index()
        # Requests per cell: (shift, weight, wanted) with wanted True for on-requests.
        self._drop: dict[tuple[int, str], int] = {}
        self._add: dict[tuple[int, str], int] = {}
        self._spare: dict[int, list[int]] = {}
        self._short: list[tuple[int, str]] = []
        self.requests: dict[tuple[int, int], list[tuple[str, int, bool]]] = {}
        for reqs, wanted in ((problem.on_requests, True), (problem.off_requests, False)):
            for r in reqs:
                self.requests.setdefault((staff[r.employee], r.day), []).append(
                    (r.shift, r.weight, wanted)
                )

    def _weekends(self, row: list[str | None]) -> int:
        return sum(
            1
            for sat in range(5, self.horizon, 7)
            if row[sat] is not None or (sat + 1 < self.horizon and row[sat + 1] is not None)
        )

    # -- cost ----------------------------------------------------------------------------------

    def _cover_delta(self, d: int, s: str, change: int) -> int:
        lines = self.cover.get((d, s))
        if not lines:
            return 0
        have = self.have.get((d, s), 0)
        if len(lines) == 1:
            req, under, over = lines[0]
            if change > 0:
                return -under if have < req else over
            return under if have <= req else -over
        delta = 0
        for req, under, over in lines:
            before = under * max(0, req - have) + over * max(0, have - req)
            after = under * max(0, req - have - change) + over * max(0, have + change - req)
            delta += after - before
        return delta

    def _request_cost(self, e: int, d: int, value: str | None) -> int:
        cost = 0
        for shift, weight, wanted in self.requests.get((e, d), ()):
            if (value == shift) != wanted:
                cost += weight
        return cost

    def delta(self, e: int, changes: list[tuple[int, str | None]]) -> int:
        """Cost change of setting the given (day, value) cells of row ``e`` (days distinct)."""
        row = self.rows[e]
        total = 0
        for d, value in changes:
            old = row[d]
            if old == value:
                continue
            total += self._request_cost(e, d, value) - self._request_cost(e, d, old)
            if old is not None:
                total += self._cover_delta(d, old, -1)
                self.have[d, old] -= 1
            if value is not None:
                total += self._cover_delta(d, value, +1)
                self.have[d, value] = self.have.get((d, value), 0) + 1
        for d, value in changes:  # undo the provisional head counts
            old = row[d]
            if old == value:
                continue
            if old is not None:
                self.have[d, old] += 1
            if value is not None:
                self.have[d, value] -= 1
        return total

    # -- hard rules ----------------------------------------------------------------------------

    def _feasible(self, e: int, changes: list[tuple[int, str | None]]) -> bool:
        """Whether row ``e`` keeps every rule with ``changes`` applied (they are applied)."""
        emp = self.problem.employees[e]
        row = self.rows[e]
        horizon = self.horizon
        for d, value in changes:
            if value is not None and (d in emp.days_off or self.limit[e].get(value, 0) <= 0):
                return False
        if not emp.min_minutes <= self.total[e] <= emp.max_minutes:
            return False
        for _, value in changes:
            if value is not None and self.used[e][value] > self.limit[e][value]:
                return False
        if self.weekends[e] > emp.max_weekends:
            return False
        checked: set[int] = set()
        for d, _ in changes:
            for day in (d - 1, d, d + 1):
                if 0 <= day < horizon - 1 and day not in checked:
                    checked.add(day)
                    today = row[day]
                    if today is not None and row[day + 1] in self.banned[today]:
                        return False
        seen: set[int] = set()
        for d, _ in changes:
            for day in (d - 1, d, d + 1):
                if 0 <= day < horizon and day not in seen:
                    start, stop = self._run(row, day)
                    seen.update(range(start, stop))
                    length, inner = stop - start, start > 0 and stop < horizon
                    if row[day] is not None:
                        if length > emp.max_consecutive:
                            return False
                        if inner and length < emp.min_consecutive:
                            return False
                    elif inner and length < emp.min_days_off:
                        return False
        return True

    def _run(self, row: list[str | None], day: int) -> tuple[int, int]:
        working = row[day] is not None
        start = day
        while start > 0 and (row[start - 1] is not None) == working:
            start -= 1
        stop = day + 1
        while stop < self.horizon and (row[stop] is not None) == working:
            stop += 1
        return start, stop

    def _apply(self, e: int, changes: list[tuple[int, str | None]]) -> list[tuple[int, str | None]]:
        row = self.rows[e]
        undo = []
        for d, value in changes:
            old = row[d]
            undo.append((d, old))
            if old == value:
                continue
            if old is not None:
                self.used[e][old] -= 1
                self.total[e] -= self.minutes[old]
            if value is not None:
                self.used[e][value] += 1
                self.total[e] += self.minutes[value]
            wk = self.weekend_of[d]
            if wk >= 0:
                sat = 7 * wk + 5
                before = any(
                    (old if x == d else row[x]) is not None
                    for x in (sat, sat + 1)
                    if x < self.horizon
                )
                row[d] = value
                after = any(row[x] is not None for x in (sat, sat + 1) if x < self.horizon)
                self.weekends[e] += int(after) - int(before)
            else:
                row[d] = value
        return undo

    def try_move(self, e: int, changes: list[tuple[int, str | None]]) -> int:
        """Make the move if it keeps the rules and lowers the cost.

        Returns:
            The cost change made: negative, or 0 when the move was refused.
        """
        emp = self.problem.employees[e]
        row = self.rows[e]
        total = self.total[e]
        for d, value in changes:
            if value is not None:
                if d in emp.days_off or self.used[e][value] >= self.limit[e][value]:
                    return 0
                total += self.minutes[value]
            if row[d] is not None:
                total -= self.minutes[row[d]]
        if not emp.min_minutes <= total <= emp.max_minutes:
            return 0
        delta = self.delta(e, changes)
        if delta >= 0:
            return 0
        undo = self._apply(e, changes)
        if not self._feasible(e, changes):
            self._apply(e, undo[::-1])
            return 0
        for d, old in undo:
            value = self.rows[e][d]
            if old != value:
                if old is not None:
                    self.have[d, old] -= 1
                if value is not None:
                    self.have[d, value] = self.have.get((d, value), 0) + 1
        return delta

    def try_swap(self, a: int, b: int, days: range) -> int:
        """Swap rows ``a`` and ``b`` on ``days`` if both keep every rule and the requests gain.

        Returns:
            The cost change made: negative, or 0 when the swap was refused. The cover is the
            same either way: each day keeps its shifts, only who works them changes.
        """
        row_a, row_b = self.rows[a], self.rows[b]
        to_a = [(d, row_b[d]) for d in days if row_a[d] != row_b[d]]
        to_b = [(d, row_a[d]) for d in days if row_a[d] != row_b[d]]
        delta = 0
        for d, had_b in to_a:
            had_a = row_a[d]
            delta += self._request_cost(a, d, had_b) - self._request_cost(a, d, had_a)
            delta += self._request_cost(b, d, had_a) - self._request_cost(b, d, had_b)
        if delta >= 0:
            return 0
        undo_a = self._apply(a, to_a)
        if self._feasible(a, to_a):
            undo_b = self._apply(b, to_b)
            if self._feasible(b, to_b):
                return delta
            self._apply(b, undo_b[::-1])
        self._apply(a, undo_a[::-1])
        return 0

    def grant_requests(self, deadline: float, rng: random.Random, longest: int = SWAP_DAYS) -> int:
        """One pass over the requests not granted, each tried by a swap with another employee.

        For a shift wanted and not worked, the others are those who work it that day; for a
        shift worked and not wanted, those who do not and may. Blocks around the day grow from
        one day to ``longest``, and the first swap that gains is kept.

        Returns:
            The total cost change (negative or zero).
        """
        gained = 0
        staff = range(len(self.rows))
        requests = list(self.requests.items())
        rng.shuffle(requests)
        for (e, d), wishes in requests:
            if time.monotonic() > deadline:
                break
            for shift, _, wanted in wishes:
                now = self.rows[e][d]
                if (now == shift) == wanted:
                    continue
                if wanted:
                    others = [o for o in staff if self.rows[o][d] == shift]
                else:
                    others = [
                        o
                        for o in staff
                        if o != e and self.rows[o][d] != shift and self.limit[o].get(shift, 0) > 0
                    ]
                rng.shuffle(others)
                gained += self._swap_around(e, d, others, longest)
        return gained

    def _swap_around(self, e: int, d: int, others: list[int], longest: int) -> int:
        """The first gaining swap of row ``e`` with one of ``others`` on a block holding ``d``."""
        for length in range(1, longest + 1):
            for start in range(max(0, d - length + 1), min(d, self.horizon - length) + 1):
                days = range(start, start + length)
                for other in others:
                    delta = self.try_swap(e, other, days)
                    if delta:
                        return delta
        return 0

    # -- search --------------------------------------------------------------------------------

    def roster(self) -> Roster:
        """The current roster."""
        return tuple(tuple(row) for row in self.rows)

    def descend(self, deadline: float, rng: random.Random, max_passes: int = 50) -> int:
        """First-improvement descent around the penalised cells until none helps.

        Args:
            deadline: ``time.monotonic()`` value to stop at.
            rng: Seeded source of randomness for the visiting order.
            max_passes: Most passes over the penalised cells.

        Returns:
            The total cost change (negative or zero).
        """
        gained = 0
        n_emp = len(self.rows)
        for _ in range(max_passes):
            before = gained
            # Cost of dropping or adding one person per (day, shift), to rank two-cell moves;
            # refreshed each pass (a little stale within one, which only affects the order).
            self._drop = {key: self._cover_delta(*key, -1) for key in self.cover}
            self._add = {key: self._cover_delta(*key, +1) for key in self.cover}
            self._spare = {}
            short, extra = [], []
            for (d, s), lines in self.cover.items():
                have = self.have.get((d, s), 0)
                req = lines[0][0]
                if have < req:
                    short.append((d, s))
                elif have > req:
                    extra.append((d, s))
            rng.shuffle(short)
            rng.shuffle(extra)
            self._short = list(short)
            staff = list(range(n_emp))
            for d, s in short:
                if time.monotonic() > deadline:
                    return gained
                rng.shuffle(staff)
                for e in staff:
                    if self.have.get((d, s), 0) >= self.cover[d, s][0][0]:
                        break
                    if self.limit[e].get(s, 0) <= 0 or self.rows[e][d] == s:
                        continue
                    gained += self._fill(e, d, s, rng)
            for d, s in extra:
                if time.monotonic() > deadline:
                    return gained
                for e in range(n_emp):
                    if self.rows[e][d] != s:
                        continue
                    if self.have.get((d, s), 0) <= self.cover[d, s][0][0]:
                        break
                    gained += self._relieve(e, d, s, rng)
            for (e, d), reqs in list(self.requests.items()):
                if time.monotonic() > deadline:
                    return gained
                for shift, _, wanted in reqs:
                    if wanted and self.rows[e][d] != shift:
                        gained += self._fill(e, d, shift, rng)
                    elif not wanted and self.rows[e][d] == shift:
                        gained += self._relieve(e, d, shift, rng)
            if gained == before:
                break
        return gained

    def _fill(self, e: int, d: int, s: str, rng: random.Random) -> int:
        """Put ``s`` on day ``d`` of row ``e``: on its own, or giving up another working day."""
        delta = self.try_move(e, [(d, s)])
        if delta:
            return delta
        row = self.rows[e]
        if row[d] is not None or self.limit[e].get(s, 0) <= 0:
            return 0
        # Move a working day here, from a day whose shift the cover can spare: only those can
        # pay for the move (requests aside), which prunes the candidates to a handful.
        gain = self._cover_delta(d, s, +1)
        drop = self._drop
        if e not in self._spare:
            # Working days whose shift is over its cover at the start of the pass (a stale
            # entry only makes a weaker candidate: every move is re-costed and re-checked).
            self._spare[e] = [
                x for x, c in enumerate(row) if c is not None and drop.get((x, c), 0) < 0
            ]
        days = [
            x
            for x in self._spare[e]
            if row[x] is not None and x != d and drop.get((x, row[x]), 0) + gain < 0
        ]
        rng.shuffle(days)
        days.sort(key=lambda x: drop.get((x, row[x]), 0))
        for x in days[: self.TRIES]:
            delta = self.try_move(e, [(x, None), (d, s)])
            if delta:
                return delta
        return 0

    def _relieve(self, e: int, d: int, s: str, rng: random.Random) -> int:
        """Take ``s`` off day ``d`` of row ``e``: drop it, change its type, or move it."""
        delta = self.try_move(e, [(d, None)])
        if delta:
            return delta
        for t in self.allowed[e]:
            if t != s:
                delta = self.try_move(e, [(d, t)])
                if delta:
                    return delta
        row = self.rows[e]
        add = self._add
        gain = self._cover_delta(d, s, -1)
        options = [
            (add[x, t], x, t)
            for x, t in self._short
            if row[x] is None and x != d and self.limit[e].get(t, 0) > 0 and add[x, t] + gain < 0
        ]
        rng.shuffle(options)
        options.sort(key=lambda option: option[0])
        for _, x, t in options[: self.TRIES]:
            delta = self.try_move(e, [(d, None), (x, t)])
            if delta:
                return delta
        return 0
