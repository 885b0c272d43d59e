"""Calendar rules: weekend frequency (TCS) and weekly rest (WTR reg. 11).

Weekend: any work between Saturday 00:00 and Monday 00:00 local time, named by its Saturday.
A bank sees no rota cycle to average over, so "no more than 1 weekend in 3" is read strictly:
at most ``max_weekends`` worked in any ``window_weekends`` consecutive weekends.
Weekly rest: WTR weeks start at midnight between Sunday and Monday (reg. 11(6)); a week without
24 h of uninterrupted rest is still fine when a fortnight around it holds 48 h (or 2 x 24 h).
"""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from bank.rules.model import (
    Breach,
    Item,
    format_day,
    format_span,
    local_datetime,
    local_instant,
    refs_of,
)

if TYPE_CHECKING:
    from bank.rules.schedule import WorkerSchedule

_MIDNIGHT = time(0, 0)


def check_weekends(c: Item, schedule: WorkerSchedule, out: list[Breach]) -> None:
    """Append a breach for each weekend of the candidate worked too often."""
    rule = schedule.rule_set.weekends
    assert rule is not None
    worked = schedule.by_weekend
    span = rule.window_weekends
    for saturday in c.weekends:
        busiest: list[int] = []
        for first in range(saturday - 7 * (span - 1), saturday + 1, 7):
            hit = [
                sat
                for sat in range(first, first + 7 * span, 7)
                if sat in worked or sat in c.weekends
            ]
            if len(hit) > len(busiest):
                busiest = hit
        if len(busiest) > rule.max_weekends:
            items = [it for sat in busiest for it in worked.get(sat, ())]
            out.append(
                Breach(
                    "weekend_frequency",
                    f"This would be {len(busiest)} weekends worked in {span} (weekends of "
                    f"{', '.join(format_day(sat) for sat in busiest)}); "
                    f"at most {rule.max_weekends} in {span}",
                    refs_of([*items, c]),
                )
            )


def rest_periods(c: Item | None, schedule: WorkerSchedule, a: int, b: int) -> list[int]:
    """Uninterrupted rest periods (seconds) inside [a, b), with the candidate if given."""
    spans = [(it.s, it.e) for it in schedule.near(a, b)]
    if c is not None:
        spans.append((c.s, c.e))
    spans.sort()
    gaps, cur = [], a
    for s, e in spans:
        if s > cur:
            gaps.append(min(s, b) - cur)
        cur = max(cur, e)
        if cur >= b:
            break
    if b > cur:
        gaps.append(b - cur)
    return gaps


def check_weekly_rest(c: Item, schedule: WorkerSchedule, out: list[Breach]) -> None:
    """Append a breach for each week the candidate leaves without its weekly rest."""
    rule = schedule.rule_set.weekly_rest
    assert rule is not None
    tz = schedule.tz
    last_day = local_datetime(c.e - 1, tz).toordinal()
    # (ordinal + 6) % 7 is date.weekday(): these are the Mondays of the candidate's weeks.
    first_monday = c.day - (c.day + 6) % 7
    last_monday = last_day - (last_day + 6) % 7
    # The weeks either side share a fortnight with the candidate's, so it can break them too;
    # they are reported only when the candidate is what breaks them.
    weekly_s = int(rule.weekly.total_seconds())
    for monday in range(first_monday - 7, last_monday + 8, 7):
        own = first_monday <= monday <= last_monday
        # A neighbouring week's own rest does not depend on the candidate: usually enough.
        if not own and _longest_rest(schedule, monday) >= weekly_s:
            continue
        rested, longest = _week_rested(c, schedule, monday)
        if rested:
            continue
        if not own and not _week_rested(None, schedule, monday)[0]:
            continue
        a, b = local_instant(monday, _MIDNIGHT, tz), local_instant(monday + 7, _MIDNIGHT, tz)
        weekly, fortnightly = (
            format_span(int(rule.weekly.total_seconds())),
            format_span(int(rule.fortnightly.total_seconds())),
        )
        out.append(
            Breach(
                "weekly_rest",
                f"No {weekly} uninterrupted rest in the week from {format_day(monday)} "
                f"(longest {format_span(longest)}), nor {fortnightly} in a fortnight around it",
                refs_of([*schedule.near(a, b), c]),
            )
        )


def _week_rested(c: Item | None, schedule: WorkerSchedule, monday: int) -> tuple[bool, int]:
    """Whether the week from this Monday has its weekly rest; and its longest rest."""
    rule = schedule.rule_set.weekly_rest
    assert rule is not None
    tz = schedule.tz
    weekly = int(rule.weekly.total_seconds())
    fortnightly = int(rule.fortnightly.total_seconds())
    a, b = local_instant(monday, _MIDNIGHT, tz), local_instant(monday + 7, _MIDNIGHT, tz)
    longest = max(rest_periods(c, schedule, a, b), default=0)
    if longest >= weekly:
        return True, longest
    # The WTR lets the employer give 48 h (or two 24 h) per fortnight instead; the bank cannot
    # know how the employer anchors fortnights, so either pairing with a neighbour will do.
    for start in (monday - 7, monday):
        fa = local_instant(start, _MIDNIGHT, tz)
        fb = local_instant(start + 14, _MIDNIGHT, tz)
        long_rests = [g for g in rest_periods(c, schedule, fa, fb) if g >= weekly]
        if len(long_rests) >= 2 or any(g >= fortnightly for g in long_rests):
            return True, longest
    return False, longest


def _longest_rest(schedule: WorkerSchedule, monday: int) -> int:
    """The longest rest in a week without the candidate (cached on the schedule)."""
    cache = schedule.week_rest_cache
    longest = cache.get(monday)
    if longest is None:
        tz = schedule.tz
        a, b = local_instant(monday, _MIDNIGHT, tz), local_instant(monday + 7, _MIDNIGHT, tz)
        longest = cache[monday] = max(rest_periods(None, schedule, a, b), default=0)
    return longest
