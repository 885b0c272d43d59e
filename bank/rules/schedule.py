"""WorkerSchedule: check candidate shifts quickly against all of one worker's commitments.

Built once per worker (commitments sorted, prefix sums of their start and end times, runs by
day, window sums in a sparse table), ``check`` looks only at what is near the candidate:
neighbours and rolling sums come from ``bisect``, so one check costs tens of microseconds
whatever the length of the schedule.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from itertools import accumulate

from bank.rules.model import (
    WEEK_S,
    Breach,
    Commitment,
    Item,
    describe,
    format_span,
    format_when,
    make_item,
    order,
    refs_of,
)
from bank.rules.ruleset import DOCTORS_IN_TRAINING, RuleSet
from bank.rules.runs import RunIndex, run_rules
from bank.rules.weeks import check_weekends, check_weekly_rest
from bank.rules.windows import WindowIndex, check_window


class WorkerSchedule:
    """One worker's commitments at every Trust, ready to check candidate shifts against."""

    def __init__(
        self,
        commitments: Iterable[Commitment],
        rule_set: RuleSet = DOCTORS_IN_TRAINING,
        *,
        opted_out: bool = False,
        night_worker: bool | None = None,
    ) -> None:
        items = [make_item(c, rule_set.definitions) for c in commitments]
        self._build(items, rule_set, opted_out, night_worker)

    @classmethod
    def _from_items(
        cls, items: list[Item], rule_set: RuleSet, opted_out: bool, night_worker: bool | None
    ) -> WorkerSchedule:
        schedule = cls.__new__(cls)
        schedule._build(items, rule_set, opted_out, night_worker)
        return schedule

    def _build(
        self, items: list[Item], rule_set: RuleSet, opted_out: bool, night_worker: bool | None
    ) -> None:
        self.rule_set = rule_set
        self.opted_out = opted_out
        self.tz = rule_set.definitions.timezone
        # Read-only indexes shared with the rule modules (runs, windows, weeks).
        self.items = sorted(items, key=order)
        self.keys = [order(it) for it in self.items]
        self.starts = [it.s for it in self.items]
        self.by_end = sorted(self.items, key=lambda it: (it.e, it.s, it.commitment.ref))
        self.ends = [it.e for it in self.by_end]
        self.by_weekend: dict[int, list[Item]] = {}
        for it in self.items:
            for saturday in it.weekends:
                self.by_weekend.setdefault(saturday, []).append(it)
        self._start_sums = [0, *accumulate(self.starts)]
        self._end_sums = [0, *accumulate(self.ends)]
        self._max_len = max((it.e - it.s for it in self.items), default=0)
        self._nights = sum(1 for it in self.items if it.night)
        self._night_worker = night_worker
        self._windows = {
            length: WindowIndex(self, length)
            for length in {length for length, _, _ in self._window_rules(None, everyone=True)}
        }
        self._runs = [RunIndex(rule, self.items) for rule in run_rules(rule_set)]
        # Longest rest of each week (by Monday ordinal), filled as checks ask for it.
        self.week_rest_cache: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.items)

    @property
    def commitments(self) -> tuple[Commitment, ...]:
        """The worker's commitments in time order."""
        return tuple(it.commitment for it in self.items)

    def with_commitment(self, commitment: Commitment) -> WorkerSchedule:
        """A new schedule with one more commitment (e.g. once a booking is made)."""
        item = make_item(commitment, self.rule_set.definitions)
        return WorkerSchedule._from_items(
            [*self.items, item], self.rule_set, self.opted_out, self._night_worker
        )

    def check(self, candidate: Commitment) -> list[Breach]:
        """Every rule the candidate shift would break, given all the worker's commitments."""
        return self._check_item(make_item(candidate, self.rule_set.definitions))

    def _check_item(self, c: Item) -> list[Breach]:
        rs = self.rule_set
        breaches: list[Breach] = []
        for it in self.near(c.s, c.e):
            breaches.append(
                Breach(
                    "overlap",
                    f"This shift overlaps your {describe(it)} "
                    f"from {format_when(it.s, self.tz)} to {format_when(it.e, self.tz)}",
                    refs_of((it, c)),
                )
            )
        if rs.max_shift is not None and c.e - c.s > rs.max_shift.total_seconds():
            breaches.append(
                Breach(
                    "max_shift",
                    f"This shift lasts {format_span(c.e - c.s)}; "
                    f"the limit is {format_span(int(rs.max_shift.total_seconds()))}",
                    (c.commitment,),
                )
            )
        if rs.min_rest is not None:
            self._check_rest(c, int(rs.min_rest.total_seconds()), breaches)
        for length, limit, code in self._window_rules(c):
            check_window(c, self, self._windows[length], limit, code, breaches)
        if self._runs:
            before = bisect_left(self.keys, order(c))
            prev = self.items[before - 1] if before else None
            for runs in self._runs:
                runs.check(c, prev, self, breaches)
        if rs.weekends is not None and c.weekends:
            check_weekends(c, self, breaches)
        if rs.weekly_rest is not None:
            check_weekly_rest(c, self, breaches)
        return breaches

    # -- indexes shared with the rule modules --------------------------------------------------

    def near(self, a: int, b: int) -> list[Item]:
        """Existing commitments overlapping [a, b) (epoch seconds)."""
        lo = bisect_left(self.starts, a - self._max_len)
        hi = bisect_left(self.starts, b)
        return [it for it in self.items[lo:hi] if it.e > a]

    def worked(self, a: int, b: int) -> int:
        """Seconds worked by existing commitments in [a, b)."""
        return self._cumulative(b) - self._cumulative(a)

    def _cumulative(self, x: int) -> int:
        # Sum over commitments of (x - start) for those started, less (x - end) for those ended.
        started = bisect_left(self.starts, x)
        ended = bisect_left(self.ends, x)
        return x * started - self._start_sums[started] - x * ended + self._end_sums[ended]

    # -- rest between shifts -------------------------------------------------------------------

    def _check_rest(self, c: Item, need: int, out: list[Breach]) -> None:
        before = bisect_right(self.ends, c.s) - 1
        if before >= 0:
            prev = self.by_end[before]
            if c.s - prev.e < need:
                out.append(
                    Breach(
                        "min_rest",
                        f"Only {format_span(c.s - prev.e)} rest after your {describe(prev)} "
                        f"ending {format_when(prev.e, self.tz)}; {format_span(need)} needed",
                        refs_of((prev, c)),
                    )
                )
        after = bisect_left(self.starts, c.e)
        if after < len(self.items):
            following = self.items[after]
            if following.s - c.e < need:
                out.append(
                    Breach(
                        "min_rest",
                        f"Only {format_span(following.s - c.e)} rest before your "
                        f"{describe(following)} starting {format_when(following.s, self.tz)}; "
                        f"{format_span(need)} needed",
                        refs_of((c, following)),
                    )
                )

    # -- window rules ----------------------------------------------------------------------------

    def _window_rules(
        self, candidate: Item | None, *, everyone: bool = False
    ) -> list[tuple[int, int, str]]:
        """(window seconds, worked-seconds limit, rule code) of each window rule that applies."""
        rs = self.rule_set
        rules: list[tuple[int, int, str]] = []
        if rs.rolling is not None:
            length = int(rs.rolling.window.total_seconds())
            rules.append((length, round(rs.rolling.max_hours * 3600), "rolling_hours"))
        if rs.average is not None:
            average = rs.average
            weekly = (
                average.opted_out_max_weekly_hours if self.opted_out else average.max_weekly_hours
            )
            if weekly is not None:
                length, limit = average.weeks * WEEK_S, round(weekly * average.weeks * 3600)
                rules.append((length, limit, "average_hours"))
        night = rs.night_work
        if night is not None and (everyone or self._is_night_worker(candidate)):
            length, limit = night.reference_weeks * WEEK_S, round(night.max_hours * 3600)
            rules.append((length, limit, "night_work_average"))
        return rules

    def _is_night_worker(self, candidate: Item | None) -> bool:
        # WTR reg. 2: night work "as a normal course"; unless the caller knows, a worker is a
        # night worker when nights make up the rule set's share of their shifts.
        if self._night_worker is not None:
            return self._night_worker
        night = self.rule_set.night_work
        assert night is not None
        nights = self._nights + (1 if candidate is not None and candidate.night else 0)
        total = len(self.items) + (1 if candidate is not None else 0)
        return total > 0 and nights / total >= night.night_worker_share


def check_schedule(
    commitments: Iterable[Commitment],
    rule_set: RuleSet = DOCTORS_IN_TRAINING,
    *,
    opted_out: bool = False,
    night_worker: bool | None = None,
) -> list[Breach]:
    """Every breach in a whole schedule (a rota, a solver result), each reported once."""
    items = [make_item(c, rule_set.definitions) for c in commitments]
    seen: set[tuple[str, tuple[int, ...]]] = set()
    found: list[Breach] = []
    # Each commitment in turn is the candidate against all the others; a breach seen from two
    # of its commitments (a short rest names both) is kept once.
    for i, item in enumerate(items):
        others = WorkerSchedule._from_items(
            items[:i] + items[i + 1 :], rule_set, opted_out, night_worker
        )
        for breach in others._check_item(item):
            key = (breach.rule, tuple(id(ref) for ref in breach.refs))
            if key not in seen:
                seen.add(key)
                found.append(breach)
    return found
