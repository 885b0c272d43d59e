"""Consecutive shifts, long shifts, nights and long evenings, and the rest after a run.

"Consecutive" means on consecutive calendar days (the local date a shift starts), so a run is
counted in days: two shifts starting the same day add one day. The rest after a run runs from
the end of its last shift to the start of the next commitment of any kind.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bank.rules.model import Breach, Item, format_day, format_span, format_when, order, refs_of
from bank.rules.ruleset import RuleSet, RunLimit

if TYPE_CHECKING:
    from bank.rules.schedule import WorkerSchedule


@dataclass(frozen=True, slots=True)
class RunRule:
    """One consecutive-shift limit bound to the kind of shift it counts."""

    limit: RunLimit
    member: Callable[[Item], bool]
    code: str
    rest_code: str
    noun: str


def run_rules(rule_set: RuleSet) -> list[RunRule]:
    """The consecutive-shift rules a rule set switches on."""
    rs = rule_set
    candidates = (
        (rs.consecutive_shifts, _any, "consecutive_shifts", "rest_after_consecutive_shifts",
         "shifts"),
        (rs.consecutive_long_shifts, _is_long, "consecutive_long_shifts",
         "rest_after_long_shifts", "long shifts"),
        (rs.consecutive_nights, _is_night, "consecutive_nights", "rest_after_nights",
         "night shifts"),
        (rs.consecutive_long_evenings, _is_long_evening, "consecutive_long_evenings",
         "rest_after_long_evenings", "long evening shifts"),
    )  # fmt: skip
    return [RunRule(*spec) for spec in candidates if spec[0] is not None]


def _any(item: Item) -> bool:
    return True


def _is_long(item: Item) -> bool:
    return item.long


def _is_night(item: Item) -> bool:
    return item.night


def _is_long_evening(item: Item) -> bool:
    return item.long_evening


class RunIndex:
    """The runs of one kind of shift in a schedule: each day's run as (first day, last day)."""

    def __init__(self, rule: RunRule, items: list[Item]) -> None:
        self.rule = rule
        self.by_day: dict[int, list[Item]] = {}
        for it in items:
            if rule.member(it):
                self.by_day.setdefault(it.day, []).append(it)
        self.runs: dict[int, tuple[int, int]] = {}
        days = sorted(self.by_day)
        start = 0
        for i, day in enumerate(days):
            if i + 1 == len(days) or days[i + 1] != day + 1:
                for run_day in days[start : i + 1]:
                    self.runs[run_day] = (days[start], day)
                start = i + 1

    def check(
        self, c: Item, prev: Item | None, schedule: WorkerSchedule, out: list[Breach]
    ) -> None:
        """Breaches of this rule by the candidate (``prev``: the commitment just before it)."""
        limit, runs = self.rule.limit, self.runs
        joined = self.rule.member(c)
        first = last = c.day
        if joined:
            d = c.day
            first = runs[d - 1][0] if d - 1 in runs else runs[d][0] if d in runs else d
            last = runs[d + 1][1] if d + 1 in runs else runs[d][1] if d in runs else d
            if last - first + 1 > limit.max_run:
                self._too_long(first, last, c, out)
            if last - first + 1 >= limit.rest_after_run_of:
                self._rest_after(first, last, c, schedule, out, joined=True)
        # The commitment just before the candidate may end a run the candidate must rest after.
        if (
            prev is not None
            and self.rule.member(prev)
            and not (joined and first <= prev.day <= last)
        ):
            run_first, run_last = runs[prev.day]
            if run_last - run_first + 1 >= limit.rest_after_run_of:
                self._rest_after(run_first, run_last, c, schedule, out, joined=False)

    def _members(self, first: int, last: int, c: Item, joined: bool) -> list[Item]:
        members = [it for day in range(first, last + 1) for it in self.by_day.get(day, ())]
        return [*members, c] if joined else members

    def _too_long(self, first: int, last: int, c: Item, out: list[Breach]) -> None:
        limit = self.rule.limit
        out.append(
            Breach(
                self.rule.code,
                f"This would be {last - first + 1} {self.rule.noun} on consecutive days "
                f"({format_day(first)} "
                f"to {format_day(last)}); at most {limit.max_run} in a row",
                refs_of(self._members(first, last, c, True)),
            )
        )

    def _rest_after(
        self,
        first: int,
        last: int,
        c: Item,
        schedule: WorkerSchedule,
        out: list[Breach],
        *,
        joined: bool,
    ) -> None:
        member = self.rule.member
        final_day = list(self.by_day.get(last, ()))
        if joined and c.day == last:
            final_day.append(c)
        end_of_run = max(final_day, key=lambda it: (it.e, it.s, it.commitment.ref))
        # The next commitment after the run's last shift, skipping shifts of the run itself;
        # a candidate outside the run competes for that place.
        items, keys = schedule.items, schedule.keys
        j = bisect_right(keys, order(end_of_run))
        while j < len(items) and member(items[j]) and first <= items[j].day <= last:
            j += 1
        following = items[j] if j < len(items) else None
        after_run = not joined and order(c) > order(end_of_run)
        if after_run and (following is None or order(c) < order(following)):
            following = c
        if following is None or not (joined or following is c):
            return
        need = int(self.rule.limit.rest_after.total_seconds())
        rest = following.s - end_of_run.e
        if rest >= need:
            return
        length = last - first + 1
        noun = self.rule.noun
        run = f"{length} consecutive {noun}" if length > 1 else f"a {noun.removesuffix('s')}"
        out.append(
            Breach(
                self.rule.rest_code,
                f"Only {format_span(rest)} rest after {run} ending "
                f"{format_when(end_of_run.e, schedule.tz)}; {format_span(need)} needed",
                refs_of([*self._members(first, last, c, joined), following]),
            )
        )
