"""A fast greedy roster: one row per employee by dynamic programming, for the largest instances.

CP-SAT needs 0.4-2 s to find a first row for one Instance23 employee (364 days, 16 shift types,
minutes within a 960-minute window), so building 100 rows that way eats the whole minute. Here a
row is built in two steps, each exact for its part of the rules:

1. Which days to work: a dynamic programme over (run state, days worked so far) that respects
   days off, min/max consecutive working days, min consecutive days off (with the exemption at
   both ends of the horizon), and a working-day count that fits the minutes; weekends beyond the
   limit are closed beforehand, keeping the ones where cover is short. It maximises residual
   cover demand, so later rows fill what earlier rows left open.
2. Which shift on each working day: greedy by residual demand among the types of one length
   (so the minutes are exact), honouring per-type limits and banned successors.

Rows the greedy cannot build (no single shift length fits the minutes, or a dead end in step 2)
are left to CP-SAT; every row is checked against the employee's rules before it is kept.
"""

from __future__ import annotations

import random

import numpy as np

from rota.solver.problem import Employee, Problem, Roster

_NEG = -np.inf


def row_keeps_rules(problem: Problem, emp: Employee, row: tuple[str | None, ...]) -> bool:
    """Whether one employee's row keeps every hard rule.

    Args:
        problem: The rostering problem.
        emp: The employee.
        row: Shift id or None per day.

    Returns:
        True when the row may be used as it is.
    """
    horizon = problem.days
    shifts = {s.id: s for s in problem.shifts}
    if len(row) != horizon or any(c is not None and c not in shifts for c in row):
        return False
    if any(row[d] is not None for d in emp.days_off if 0 <= d < horizon):
        return False
    for d in range(horizon - 1):
        if row[d] is not None and row[d + 1] in shifts[row[d]].forbidden_next:
            return False
    for sid in shifts:
        if row.count(sid) > emp.limit_for(sid, horizon):
            return False
    if not emp.min_minutes <= problem.paid_minutes(row) <= emp.max_minutes:
        return False
    start = 0
    for d in range(1, horizon + 1):
        if d == horizon or (row[d] is None) != (row[start] is None):
            length, inner = d - start, start > 0 and d < horizon
            if row[start] is not None:
                if length > emp.max_consecutive or (inner and length < emp.min_consecutive):
                    return False
            elif inner and length < emp.min_days_off:
                return False
            start = d
    weekends = sum(
        1
        for sat in range(5, horizon, 7)
        if any(row[d] is not None for d in (sat, sat + 1) if d < horizon)
    )
    return weekends <= emp.max_weekends


def _work_days(
    emp: Employee, horizon: int, closed: set[int], gain: np.ndarray, lo: int, hi: int
) -> list[bool] | None:
    """Best working pattern with between ``lo`` and ``hi`` working days (step 1)."""
    max_c = min(emp.max_consecutive, horizon)
    min_c, min_off = emp.min_consecutive, max(1, emp.min_days_off)
    if max_c < 1:
        return [False] * horizon if lo == 0 else None
    # States: ("W", r, first) for r in 1..max_c and ("O", r, first) for r in 1..min_off (longer
    # rests are all alike); "first" marks the run from day 0, exempt from the minimum lengths.
    states = [("W", r, f) for r in range(1, max_c + 1) for f in (False, True)]
    states += [("O", r, f) for r in range(1, min_off + 1) for f in (False, True)]
    index = {st: i for i, st in enumerate(states)}
    src, dst, works = [], [], []
    for i, (kind, r, first) in enumerate(states):
        if kind == "W":
            moves = [(("W", r + 1, first), 1)] if r < max_c else []
            if first or r >= min_c:
                moves.append((("O", 1, False), 0))
        else:
            moves = [(("O", min(r + 1, min_off), first), 0)]
            if first or r >= min_off:
                moves.append((("W", 1, False), 1))
        for target, w in moves:
            src.append(i)
            dst.append(index[target])
            works.append(w)
    # Moves sorted by target so one maximum.reduceat takes the best move into every state.
    order = np.argsort(np.array(dst), kind="stable")
    src_a, dst_a = np.array(src)[order], np.array(dst)[order]
    work_a = np.array(works, dtype=bool)[order]
    targets, starts = np.unique(dst_a, return_index=True)
    n_counts = hi + 1
    value = np.full((len(states), n_counts), _NEG)
    if 0 not in closed and hi >= 1:
        value[index["W", 1, True], 1] = gain[0]
    value[index["O", 1, True], 0] = 0.0
    history = [value]
    for day in range(1, horizon):
        cand = value[src_a].copy()
        shifted = np.full((int(work_a.sum()), n_counts), _NEG)
        if day not in closed:
            shifted[:, 1:] = cand[work_a, :-1] + gain[day]
        cand[work_a] = shifted
        value = np.full((len(states), n_counts), _NEG)
        value[targets] = np.maximum.reduceat(cand, starts, axis=0)
        history.append(value)

    tail = value[:, lo:]
    if tail.size == 0 or tail.max() == _NEG:
        return None
    state, offset = np.unravel_index(int(np.argmax(tail)), tail.shape)
    state, count = int(state), lo + int(offset)
    pattern = [False] * horizon
    for day in range(horizon - 1, 0, -1):
        # Walk back through any move that reproduces the stored value.
        target = history[day][state, count]
        for k in np.flatnonzero(dst_a == state):
            w = int(work_a[k])
            prev = history[day - 1][src_a[k], count - w] if count - w >= 0 else _NEG
            if prev != _NEG and prev + (gain[day] if w else 0.0) == target:
                pattern[day] = bool(w)
                state, count = int(src_a[k]), count - w
                break
        else:
            return None
    pattern[0] = states[state][0] == "W"
    return pattern


def greedy_roster(problem: Problem, seed: int = 0) -> tuple[Roster, list[int]]:
    """Build rows employee by employee against residual cover.

    Args:
        problem: The rostering problem.
        seed: Random seed for the employee order and tie-breaking.

    Returns:
        The roster and the indices of employees whose row could not be built (all-off rows,
        to be filled by CP-SAT).
    """
    rng = random.Random(seed)
    horizon = problem.days
    shift_ids = [s.id for s in problem.shifts]
    length = {s.id: s.minutes for s in problem.shifts}
    banned = {s.id: s.forbidden_next for s in problem.shifts}
    need: dict[tuple[int, str], int] = {}
    for cover in problem.covers:
        need[cover.day, cover.shift] = need.get((cover.day, cover.shift), 0) + cover.requirement
    rows: list[tuple[str | None, ...]] = [(None,) * horizon for _ in problem.employees]
    failed: list[int] = []
    order = list(range(len(problem.employees)))
    rng.shuffle(order)
    n_weekends = (horizon + 1) // 7
    for e in order:
        emp = problem.employees[e]
        row = _build_row(problem, emp, need, shift_ids, length, banned, n_weekends, rng)
        if row is None or not row_keeps_rules(problem, emp, row):
            failed.append(e)
            continue
        rows[e] = row
        for d, sid in enumerate(row):
            if sid is not None:
                need[d, sid] = need.get((d, sid), 0) - 1
    return tuple(rows), sorted(failed)


def _build_row(
    problem: Problem,
    emp: Employee,
    need: dict[tuple[int, str], int],
    shift_ids: list[str],
    length: dict[str, int],
    banned: dict[str, frozenset[str]],
    n_weekends: int,
    rng: random.Random,
) -> tuple[str | None, ...] | None:
    horizon = problem.days
    allowed = [s for s in shift_ids if emp.limit_for(s, horizon) > 0]
    # One shift length for the whole row makes the minutes a plain count of working days.
    by_length: dict[int, list[str]] = {}
    for s in allowed:
        by_length.setdefault(length[s], []).append(s)
    plans = []
    for minutes, types in by_length.items():
        lo = -(-emp.min_minutes // minutes)
        hi = min(emp.max_minutes // minutes, sum(emp.limit_for(s, horizon) for s in types), horizon)
        if minutes > 0 and lo <= hi:
            plans.append((len(types), minutes, types, lo, hi))
    # Plans with more shift types first (more freedom in step 2), shorter shifts before longer.
    plans.sort(key=lambda plan: (-plan[0], plan[1]))
    # First a mixed plan: every allowed type, as many working days as the demanded shift
    # lengths suggest, minutes brought into range afterwards by swapping types. Rows of one
    # length cannot cover demand for the other lengths (Instance21 left its 12-hour shifts open).
    lengths = [length[s] for s in allowed if length[s] > 0]
    if len(set(lengths)) > 1:
        weight = {s: 1 + sum(max(0, need.get((d, s), 0)) for d in range(horizon)) for s in allowed}
        average = sum(length[s] * weight[s] for s in allowed) / sum(weight.values())
        middle = round((emp.min_minutes + emp.max_minutes) / 2 / average)
        lo = max(-(-emp.min_minutes // max(lengths)), middle - 2)
        hi = min(emp.max_minutes // min(lengths), middle + 2, horizon)
        if lo <= hi:
            plans.insert(0, (len(allowed), 0, allowed, lo, hi))
    for _, mixed, types, lo, hi in plans:
        for closing in range(4 if mixed else 2):
            row = _try_plan(problem, emp, need, types, lo, hi, banned, n_weekends, closing, rng)
            if row is not None and mixed == 0:
                row = _fix_minutes(emp, row, types, length, banned, need, horizon)
            if row is not None:
                return row
    return None


def _fix_minutes(
    emp: Employee,
    row: tuple[str | None, ...],
    types: list[str],
    length: dict[str, int],
    banned: dict[str, frozenset[str]],
    need: dict[tuple[int, str], int],
    horizon: int,
) -> tuple[str | None, ...] | None:
    """Swap shift types on working days until the minutes are within the contract."""
    cells = list(row)
    used = {s: cells.count(s) for s in types}
    limit = {s: emp.limit_for(s, horizon) for s in types}  # looked up in the hot loop below
    total = sum(length[c] for c in cells if c is not None)
    while not emp.min_minutes <= total <= emp.max_minutes:
        too_long = total > emp.max_minutes
        best = None
        for d, cur in enumerate(cells):
            if cur is None:
                continue
            prev = cells[d - 1] if d > 0 else None
            nxt = cells[d + 1] if d + 1 < horizon else None
            for t in types:
                delta = length[t] - length[cur]
                if (delta < 0) != too_long or delta == 0:
                    continue
                if used[t] >= limit[t]:
                    continue
                if (prev is not None and t in banned[prev]) or (
                    nxt is not None and nxt in banned[t]
                ):
                    continue
                loss = need.get((d, cur), 0) - need.get((d, t), 0)
                key = (loss, -abs(delta))
                if best is None or key < best[0]:
                    best = (key, d, t, delta)
        if best is None:
            return None
        _, d, t, delta = best
        used[cells[d]] -= 1
        used[t] += 1
        cells[d] = t
        total += delta
    return tuple(cells)


def _try_plan(
    problem: Problem,
    emp: Employee,
    need: dict[tuple[int, str], int],
    types: list[str],
    lo: int,
    hi: int,
    banned: dict[str, frozenset[str]],
    n_weekends: int,
    closing: int,
    rng: random.Random,
) -> tuple[str | None, ...] | None:
    """One row from one shift length and one way of closing surplus weekends, or None."""
    horizon = problem.days

    def shortage(day: int) -> float:
        return sum(max(0, need.get((day, s), 0)) for s in types)

    gain = np.array(
        [
            100.0 * min(1.0, shortage(d)) - (0.0 if shortage(d) else 1.0) + rng.random() * 0.01
            for d in range(horizon)
        ]
    )
    # Weekends beyond the limit are closed: those where cover is least short, or every other
    # one (either parity), or at random; the spread ones leave room for long enough runs.
    if closing == 0:
        ranking = sorted(
            range(n_weekends),
            key=lambda k: -sum(shortage(d) for d in (7 * k + 5, 7 * k + 6) if d < horizon),
        )
    elif closing in (1, 2):
        ranking = sorted(range(n_weekends), key=lambda k: ((k + closing) % 2, k))
    else:
        ranking = rng.sample(range(n_weekends), n_weekends)
    closed = set(emp.days_off)
    if emp.max_weekends < n_weekends:
        for k in ranking[emp.max_weekends :]:
            closed.update(d for d in (7 * k + 5, 7 * k + 6) if d < horizon)
    pattern = _work_days(emp, horizon, closed, gain, lo, hi)
    if pattern is None:
        return None

    left = {s: emp.limit_for(s, horizon) for s in types}
    row: list[str | None] = [None] * horizon
    day = 0
    while day < horizon:
        if not pattern[day]:
            day += 1
            continue
        end = day
        while end < horizon and pattern[end]:
            end += 1
        run = _run_types(types, banned, left, need, range(day, end), rng)
        if run is None:
            return None
        for d, sid in zip(range(day, end), run, strict=True):
            row[d] = sid
            left[sid] -= 1
        day = end
    return tuple(row)


def _run_types(
    types: list[str],
    banned: dict[str, frozenset[str]],
    left: dict[str, int],
    need: dict[tuple[int, str], int],
    days: range,
    rng: random.Random,
) -> list[str] | None:
    """Shift types for one run of working days: a small DP over (day, type) that respects
    banned successors and keeps to types with enough of their limit left for the whole run."""
    usable = [s for s in types if left[s] >= len(days)]
    if not usable:
        return None
    score = {s: need.get((days[0], s), 0) + rng.random() * 1e-3 for s in usable}
    back: list[dict[str, str]] = []
    for d in days[1:]:
        new: dict[str, float] = {}
        choice: dict[str, str] = {}
        for t in usable:
            preds = [p for p in score if t not in banned[p]]
            if preds:
                p = max(preds, key=score.__getitem__)
                new[t] = score[p] + need.get((d, t), 0) + rng.random() * 1e-3
                choice[t] = p
        if not new:
            return None
        score = new
        back.append(choice)
    last = max(score, key=score.__getitem__)
    seq = [last]
    for choice in reversed(back):
        seq.append(choice[seq[-1]])
    return seq[::-1]
