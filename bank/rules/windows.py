"""Hours in rolling windows: 72 h in any 7 days, the average over 26 (or 17) weeks, night work.

A candidate breaks a window rule when any window holding part of it goes over the limit. The
worked time f(t) of the window [t, t + L) is piecewise linear in t and peaks only where a window
starts at a shift start or ends at a shift end, so the schedule keeps those breakpoints with a
sparse table of their sums and answers any range of t in O(1) after a bisect.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import TYPE_CHECKING

from bank.rules.model import (
    DAY_S,
    WEEK_S,
    Breach,
    Item,
    format_hours,
    format_span,
    format_when,
    refs_of,
)

if TYPE_CHECKING:
    from bank.rules.schedule import WorkerSchedule


class WindowIndex:
    """Breakpoints of rolling windows of one length, with a range-maximum table of their sums."""

    def __init__(self, schedule: WorkerSchedule, length: int) -> None:
        self.length = length
        items = schedule.items
        self.points = sorted({it.s for it in items} | {it.e - length for it in items})
        self.sums = [schedule.worked(t, t + length) for t in self.points]
        sums = self.sums
        self.table = [list(range(len(self.points)))]
        width = 1
        while 2 * width <= len(self.points):
            prev = self.table[-1]
            self.table.append(
                [a if sums[a] >= sums[b] else b for a, b in zip(prev, prev[width:], strict=False)]
            )
            width *= 2

    def argmax(self, lo: int, hi: int) -> int:
        """Index of the largest sum among points[lo:hi] (lo < hi)."""
        level = (hi - lo).bit_length() - 1
        row = self.table[level]
        a, b = row[lo], row[hi - (1 << level)]
        return a if self.sums[a] >= self.sums[b] else b

    def peak(self, c: Item, schedule: WorkerSchedule) -> tuple[int, int]:
        """(seconds worked, window start) of the busiest window overlapping the candidate."""
        length, points, sums = self.length, self.points, self.sums
        flat_lo, flat_hi = min(c.e - length, c.s), max(c.e - length, c.s)
        share = min(c.e - c.s, length)
        best, best_t = -1, c.s
        # Windows holding as much of the candidate as they can: its share is constant. Ties go
        # to a window starting at a shift start (the breakpoints), which reads best.
        lo, hi = bisect_left(points, flat_lo), bisect_right(points, flat_hi)
        if lo < hi:
            k = self.argmax(lo, hi)
            best, best_t = sums[k] + share, points[k]
        for t in (flat_lo, flat_hi):
            value = schedule.worked(t, t + length) + share
            if value > best:
                best, best_t = value, t
        # Windows holding part of it: few breakpoints, as the candidate is short.
        for lo, hi in (
            (bisect_right(points, c.s - length), bisect_left(points, flat_lo)),
            (bisect_right(points, flat_hi), bisect_left(points, c.e)),
        ):
            for k in range(lo, hi):
                t = points[k]
                value = sums[k] + min(t + length, c.e) - max(t, c.s)
                if value > best:
                    best, best_t = value, t
        return best, best_t


def check_window(
    c: Item,
    schedule: WorkerSchedule,
    index: WindowIndex,
    limit: int,
    code: str,
    out: list[Breach],
) -> None:
    """Append a breach when a window of this length overlapping c holds over ``limit`` seconds."""
    length = index.length
    # Fast path: everything within reach of the candidate already fits under the limit.
    if schedule.worked(c.s - length, c.e + length) + (c.e - c.s) <= limit:
        return
    worked, t = index.peak(c, schedule)
    if worked <= limit:
        return
    inside = [*schedule.near(t, t + length), c]  # the busiest window always overlaps c
    # Name the window from its first hour of work: sliding the start past idle time cannot add
    # work at the end (this window is already the busiest), and it reads better.
    t = max(t, min(it.s for it in inside))
    when = format_when(t, schedule.tz)
    if code == "rolling_hours":
        message = (
            f"This would make {format_span(worked)} of work in the {format_window(length)} "
            f"from {when}; "
            f"at most {format_span(limit)} allowed"
        )
    else:
        weeks = length // WEEK_S
        per_week = format_hours(worked / 3600 / weeks)
        allowed = format_hours(limit / 3600 / weeks)
        what = "a week as a night worker" if code == "night_work_average" else "a week"
        message = (
            f"Average of {per_week} {what} over the {weeks} weeks from {when}; "
            f"at most {allowed} allowed"
        )
    out.append(Breach(code, message, refs_of(inside)))


def format_window(seconds: int) -> str:
    """A window length, as "7 days" (or "36 h")."""
    return f"{seconds // DAY_S} days" if seconds % DAY_S == 0 else format_span(seconds)
