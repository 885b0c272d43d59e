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


def rest_periods(c: Item, schedule: WorkerSchedule, a: int, b: int) -> list[int]:
    """Uninterrupted rest periods (seconds) inside [a, b), the candidate included."""
    spans = sorted([(it.s, it.e) for it in schedule.near(a, b)] + [(c.s, c.e)])
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
    """Append a breach for each week of the candidate left without its weekly rest."""
    rule = schedule.rule_set.weekly_rest
    assert rule is not None
    weekly = int(rule.weekly.total_seconds())
    fortnightly = int(rule.fortnightly.total_seconds())
    tz = schedule.tz
    last_day = local_datetime(c.e - 1, tz).toordinal()
    monday = c.day - (c.day + 6) % 7  # (ordinal + 6) % 7 is date.weekday()
    while monday <= last_day:
        a, b = local_instant(monday, _MIDNIGHT, tz), local_instant(monday + 7, _MIDNIGHT, tz)
        gaps = rest_periods(c, schedule, a, b)
        if max(gaps, default=0) < weekly and not any(
            _fortnight_rested(c, schedule, local_instant(start, _MIDNIGHT, tz),
                              local_instant(start + 14, _MIDNIGHT, tz), weekly, fortnightly)
            # The bank cannot know how the employer anchors fortnights: either pairing will do.
            for start in (monday - 7, monday)
        ):  # fmt: skip
            out.append(
                Breach(
                    "weekly_rest",
                    f"No {format_span(weekly)} uninterrupted rest in the week from "
                    f"{format_day(monday)} (longest {format_span(max(gaps, default=0))}), "
                    f"nor {format_span(fortnightly)} in a fortnight around it",
                    refs_of([*schedule.near(a, b), c]),
                )
            )
        monday += 7


def _fortnight_rested(
    c: Item, schedule: WorkerSchedule, a: int, b: int, weekly: int, fortnightly: int
) -> bool:
    long_rests = [g for g in rest_periods(c, schedule, a, b) if g >= weekly]
    return len(long_rests) >= 2 or any(g >= fortnightly for g in long_rests)
