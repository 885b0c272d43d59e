"""WorkerSchedule: check candidate shifts quickly against all of one worker's commitments.

Built once per worker (sorted commitments, prefix sums of start and end times, a sparse table of
window sums), ``check`` looks only at the commitments near the candidate: neighbours and rolling
sums come from ``bisect``, so one check costs microseconds whatever the schedule's length.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from datetime import time
from itertools import accumulate

from bank.rules.model import (
    DAY_S,
    Breach,
    Commitment,
    Item,
    describe,
    format_day,
    format_hours,
    format_span,
    format_when,
    local_datetime,
    local_instant,
    make_item,
)
from bank.rules.ruleset import DOCTORS_IN_TRAINING, RuleSet, RunLimit

_WEEK_S = 7 * DAY_S
_MIDNIGHT = time(0, 0)


def _order(item: Item) -> tuple[int, int, str]:
    return (item.s, item.e, item.commitment.ref)


def _refs(items: Iterable[Item]) -> tuple[Commitment, ...]:
    return tuple(it.commitment for it in sorted(set(items), key=_order))


class _WindowIndex:
    """Worked seconds in rolling windows of one length, maximised with a sparse table.

    With the windows written [t, t + L), the worked time f(t) is piecewise linear in t and
    peaks only where a window starts at a shift start or ends at a shift end, so those
    breakpoints (``points``) and a range-maximum table over their sums answer any range of t.
    """

    def __init__(self, schedule: WorkerSchedule, length: int) -> None:
        self.length = length
        points = sorted(
            {it.s for it in schedule._items} | {it.e - length for it in schedule._items}
        )
        self.points = points
        self.sums = [schedule._worked(t, t + length) for t in points]
        table = [list(range(len(points)))]
        width = 1
        while 2 * width <= len(points):
            prev = table[-1]
            sums = self.sums
            row = []
            for i in range(len(points) - 2 * width + 1):
                a, b = prev[i], prev[i + width]
                row.append(a if sums[a] >= sums[b] else b)
            table.append(row)
            width *= 2
        self.table = table

    def argmax(self, lo: int, hi: int) -> int:
        """Index of the largest sum among points[lo:hi] (lo < hi)."""
        level = (hi - lo).bit_length() - 1
        row = self.table[level]
        a, b = row[lo], row[hi - (1 << level)]
        return a if self.sums[a] >= self.sums[b] else b


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
        self.rule_set = rule_set
        self.opted_out = opted_out
        self._tz = rule_set.definitions.timezone
        items = sorted((make_item(c, rule_set.definitions) for c in commitments), key=_order)
        self._items = items
        self._starts = [it.s for it in items]
        self._by_end = sorted(items, key=lambda it: (it.e, it.s, it.commitment.ref))
        self._ends = [it.e for it in self._by_end]
        self._start_sums = [0, *accumulate(self._starts)]
        self._end_sums = [0, *accumulate(self._ends)]
        self._max_len = max((it.e - it.s for it in items), default=0)
        self._by_day: dict[int, list[Item]] = {}
        self._by_weekend: dict[int, list[Item]] = {}
        for it in items:
            self._by_day.setdefault(it.day, []).append(it)
            for saturday in it.weekends:
                self._by_weekend.setdefault(saturday, []).append(it)
        self._days = [it.day for it in items]
        self._nights = sum(1 for it in items if it.night)
        self._night_worker = night_worker
        self._windows: dict[int, _WindowIndex] = {}
        for length, _limit, _code in self._window_rules(night_worker_possible=True):
            if length not in self._windows:
                self._windows[length] = _WindowIndex(self, length)
        rs = rule_set
        self._run_rules: list[tuple[RunLimit, Callable[[Item], bool], str, str, str]] = [
            (rule, pred, code, rest_code, noun)
            for rule, pred, code, rest_code, noun in (
                (
                    rs.consecutive_shifts,
                    _any,
                    "consecutive_shifts",
                    "rest_after_consecutive_shifts",
                    "shifts",
                ),
                (
                    rs.consecutive_long_shifts,
                    _is_long,
                    "consecutive_long_shifts",
                    "rest_after_long_shifts",
                    "long shifts",
                ),
                (
                    rs.consecutive_nights,
                    _is_night,
                    "consecutive_nights",
                    "rest_after_nights",
                    "night shifts",
                ),
                (
                    rs.consecutive_long_evenings,
                    _is_long_evening,
                    "consecutive_long_evenings",
                    "rest_after_long_evenings",
                    "long evening shifts",
                ),
            )  # fmt: skip
            if rule is not None
        ]

    def __len__(self) -> int:
        return len(self._items)

    @property
    def commitments(self) -> tuple[Commitment, ...]:
        """The worker's commitments in time order."""
        return tuple(it.commitment for it in self._items)

    def with_commitment(self, commitment: Commitment) -> WorkerSchedule:
        """A new schedule with one more commitment (e.g. once a booking is made)."""
        return WorkerSchedule(
            [*self.commitments, commitment],
            self.rule_set,
            opted_out=self.opted_out,
            night_worker=self._night_worker,
        )

    # -- the check ------------------------------------------------------------------------------

    def check(self, candidate: Commitment) -> list[Breach]:
        """Every rule the candidate shift would break, given all the worker's commitments."""
        rs = self.rule_set
        c = make_item(candidate, rs.definitions)
        breaches: list[Breach] = []
        self._check_overlap(c, breaches)
        if rs.max_shift is not None and c.e - c.s > rs.max_shift.total_seconds():
            breaches.append(
                Breach(
                    "max_shift",
                    f"This shift lasts {format_span(c.e - c.s)}; "
                    f"the limit is {format_span(int(rs.max_shift.total_seconds()))}",
                    (candidate,),
                )
            )
        if rs.min_rest is not None:
            self._check_rest(c, int(rs.min_rest.total_seconds()), breaches)
        for length, limit, code in self._window_rules(night_worker_possible=False, candidate=c):
            self._check_window(c, length, limit, code, breaches)
        if self._run_rules:
            self._check_runs(c, breaches)
        if rs.weekends is not None and c.weekends:
            self._check_weekends(c, breaches)
        if rs.weekly_rest is not None:
            self._check_weekly_rest(c, breaches)
        return breaches

    # -- overlap and rest between shifts ---------------------------------------------------------

    def _near(self, a: int, b: int) -> list[Item]:
        """Existing commitments overlapping [a, b)."""
        lo = bisect_left(self._starts, a - self._max_len)
        hi = bisect_left(self._starts, b)
        return [it for it in self._items[lo:hi] if it.e > a]

    def _check_overlap(self, c: Item, out: list[Breach]) -> None:
        for it in self._near(c.s, c.e):
            out.append(
                Breach(
                    "overlap",
                    f"This shift overlaps your {describe(it)} "
                    f"from {format_when(it.s, self._tz)} to {format_when(it.e, self._tz)}",
                    _refs((it, c)),
                )
            )

    def _check_rest(self, c: Item, need: int, out: list[Breach]) -> None:
        before = bisect_right(self._ends, c.s) - 1
        if before >= 0:
            prev = self._by_end[before]
            if c.s - prev.e < need:
                out.append(
                    Breach(
                        "min_rest",
                        f"Only {format_span(c.s - prev.e)} rest after your {describe(prev)} "
                        f"ending {format_when(prev.e, self._tz)}; {format_span(need)} needed",
                        _refs((prev, c)),
                    )
                )
        after = bisect_left(self._starts, c.e)
        if after < len(self._items):
            nxt = self._items[after]
            if nxt.s - c.e < need:
                out.append(
                    Breach(
                        "min_rest",
                        f"Only {format_span(nxt.s - c.e)} rest before your {describe(nxt)} "
                        f"starting {format_when(nxt.s, self._tz)}; {format_span(need)} needed",
                        _refs((c, nxt)),
                    )
                )

    # -- hours in rolling windows ----------------------------------------------------------------

    def _window_rules(
        self, *, night_worker_possible: bool, candidate: Item | None = None
    ) -> list[tuple[int, int, str]]:
        """(window seconds, worked-seconds limit, rule code) for each window rule that applies."""
        rs = self.rule_set
        rules: list[tuple[int, int, str]] = []
        if rs.rolling is not None:
            length = int(rs.rolling.window.total_seconds())
            rules.append((length, round(rs.rolling.max_hours * 3600), "rolling_hours"))
        if rs.average is not None:
            weekly = (
                rs.average.opted_out_max_weekly_hours
                if self.opted_out
                else (rs.average.max_weekly_hours)
            )
            if weekly is not None:
                weeks = rs.average.weeks
                rules.append((weeks * _WEEK_S, round(weekly * weeks * 3600), "average_hours"))
        nw = rs.night_work
        if nw is not None and (night_worker_possible or self._is_night_worker(candidate)):
            rules.append(
                (nw.reference_weeks * _WEEK_S, round(nw.max_hours * 3600), "night_work_average")
            )
        return rules

    def _is_night_worker(self, candidate: Item | None) -> bool:
        if self._night_worker is not None:
            return self._night_worker
        nw = self.rule_set.night_work
        assert nw is not None
        nights = self._nights + (1 if candidate is not None and candidate.night else 0)
        total = len(self._items) + (1 if candidate is not None else 0)
        return total > 0 and nights / total >= nw.night_worker_share

    def _cumulative(self, x: int) -> int:
        """Seconds worked by existing commitments before instant x."""
        a = bisect_left(self._starts, x)
        b = bisect_left(self._ends, x)
        return x * a - self._start_sums[a] - x * b + self._end_sums[b]

    def _worked(self, a: int, b: int) -> int:
        """Seconds worked by existing commitments in [a, b)."""
        return self._cumulative(b) - self._cumulative(a)

    def _window_peak(self, c: Item, length: int) -> tuple[int, int]:
        """(seconds, window start) of the busiest window of this length overlapping c."""
        idx = self._windows[length]
        points, sums = idx.points, idx.sums
        flat_lo, flat_hi = min(c.e - length, c.s), max(c.e - length, c.s)
        flat = min(c.e - c.s, length)
        best, best_t = -1, c.s
        # Windows holding as much of the candidate as they can: its share is constant.
        for t in (flat_lo, flat_hi):
            value = self._worked(t, t + length) + flat
            if value > best:
                best, best_t = value, t
        lo, hi = bisect_left(points, flat_lo), bisect_right(points, flat_hi)
        if lo < hi:
            k = idx.argmax(lo, hi)
            if sums[k] + flat > best:
                best, best_t = sums[k] + flat, points[k]
        # Windows holding part of it: few breakpoints, as the candidate is short.
        ranges = (
            (bisect_right(points, c.s - length), bisect_left(points, flat_lo)),
            (bisect_right(points, flat_hi), bisect_left(points, c.e)),
        )
        for lo, hi in ranges:
            for k in range(lo, hi):
                t = points[k]
                value = sums[k] + min(t + length, c.e) - max(t, c.s)
                if value > best:
                    best, best_t = value, t
        return best, best_t

    def _check_window(self, c: Item, length: int, limit: int, code: str, out: list[Breach]) -> None:
        # Fast path: everything within reach of the candidate already fits under the limit.
        if self._worked(c.s - length, c.e + length) + (c.e - c.s) <= limit:
            return
        worked, t = self._window_peak(c, length)
        if worked <= limit:
            return
        refs = _refs([*self._near(t, t + length), c])
        when = format_when(t, self._tz)
        if code == "rolling_hours":
            days = length // DAY_S
            message = (
                f"{format_span(worked)} of work in the {days} days from {when}; "
                f"at most {format_span(limit)} allowed"
            )
        else:
            weeks = length // _WEEK_S
            per_week = format_hours(worked / 3600 / weeks)
            allowed = format_hours(limit / 3600 / weeks)
            what = "a week" if code == "average_hours" else "a week as a night worker"
            message = (
                f"Average of {per_week} {what} over the {weeks} weeks from {when}; "
                f"at most {allowed} allowed"
            )
        out.append(Breach(code, message, refs))

    # -- consecutive shifts and the rest after a run ---------------------------------------------

    def _block_start(self, day: int) -> int:
        while day - 1 in self._by_day:
            day -= 1
        return day

    def _check_runs(self, c: Item, out: list[Breach]) -> None:
        # Runs never cross a day with no shift starting, so the blocks of busy days around the
        # candidate (and the block holding the shift just before it) contain every run it
        # joins or follows; the first shift after them is the one that ends the rest.
        days = self._by_day
        lo = self._block_start(c.day)
        before = bisect_left(self._starts, c.s)
        if before > 0:
            lo = min(lo, self._block_start(self._items[before - 1].day))
        hi = c.day
        while hi + 1 in days:
            hi += 1
        local = [it for day in range(lo, hi + 1) for it in days.get(day, ())]
        following = bisect_left(self._days, hi + 1)
        if following < len(self._items):
            local.append(self._items[following])
        local.append(c)
        local.sort(key=_order)
        for rule, pred, code, rest_code, noun in self._run_rules:
            out.extend(
                run_breaches(local, rule, pred, code, rest_code, noun, self._tz, involving=c)
            )

    # -- weekends ------------------------------------------------------------------------------

    def _check_weekends(self, c: Item, out: list[Breach]) -> None:
        rule = self.rule_set.weekends
        assert rule is not None
        worked = self._by_weekend
        span = rule.window_weekends
        for saturday in c.weekends:
            best: list[int] = []
            for first in range(saturday - 7 * (span - 1), saturday + 1, 7):
                hit = [
                    sat
                    for sat in range(first, first + 7 * span, 7)
                    if sat in worked or sat in c.weekends
                ]
                if len(hit) > len(best):
                    best = hit
            if len(best) > rule.max_weekends:
                items = [it for sat in best for it in worked.get(sat, ())]
                out.append(
                    Breach(
                        "weekend_frequency",
                        f"This would be {len(best)} weekends worked in {span} "
                        f"(weekends of {', '.join(format_day(sat) for sat in best)}); "
                        f"at most {rule.max_weekends} in {span}",
                        _refs([*items, c]),
                    )
                )

    # -- weekly rest (WTR) -------------------------------------------------------------------------

    def _gaps(self, c: Item, a: int, b: int) -> list[int]:
        """Uninterrupted rest periods inside [a, b), the candidate included."""
        spans = sorted([(it.s, it.e) for it in self._near(a, b)] + [(c.s, c.e)])
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

    def _check_weekly_rest(self, c: Item, out: list[Breach]) -> None:
        rule = self.rule_set.weekly_rest
        assert rule is not None
        weekly = int(rule.weekly.total_seconds())
        fortnightly = int(rule.fortnightly.total_seconds())
        tz = self._tz
        last_day = local_datetime(c.e - 1, tz).toordinal()
        monday = c.day - (c.day + 6) % 7  # date.weekday() of an ordinal
        while monday <= last_day:
            a, b = local_instant(monday, _MIDNIGHT, tz), local_instant(monday + 7, _MIDNIGHT, tz)
            gaps = self._gaps(c, a, b)
            if max(gaps, default=0) < weekly:
                # The WTR lets the employer give 48 h (or two 24 h) per fortnight instead; the
                # bank cannot know how that fortnight is anchored, so either pairing will do.
                fortnight_ok = False
                for fa, fb in ((local_instant(monday - 7, _MIDNIGHT, tz), b),
                               (a, local_instant(monday + 14, _MIDNIGHT, tz))):  # fmt: skip
                    long_gaps = [g for g in self._gaps(c, fa, fb) if g >= weekly]
                    if len(long_gaps) >= 2 or any(g >= fortnightly for g in long_gaps):
                        fortnight_ok = True
                if not fortnight_ok:
                    out.append(
                        Breach(
                            "weekly_rest",
                            f"No {format_span(weekly)} uninterrupted rest in the week from "
                            f"{format_day(monday)} (longest {format_span(max(gaps, default=0))})"
                            f", nor {format_span(fortnightly)} in a fortnight around it",
                            _refs([*self._near(a, b), c]),
                        )
                    )
            monday += 7


def _any(item: Item) -> bool:
    return True


def _is_long(item: Item) -> bool:
    return item.long


def _is_night(item: Item) -> bool:
    return item.night


def _is_long_evening(item: Item) -> bool:
    return item.long_evening


def run_breaches(
    local: list[Item],
    rule: RunLimit,
    pred: Callable[[Item], bool],
    code: str,
    rest_code: str,
    noun: str,
    tz: str,
    *,
    involving: Item | None = None,
) -> list[Breach]:
    """Breaches of one consecutive-shift rule in a time-ordered list of commitments.

    "Consecutive" means on consecutive calendar days (the day a shift starts, local time), so a
    run is counted in days: two shifts starting the same day add one day to the run.
    """
    members_by_day: dict[int, list[Item]] = {}
    for it in local:
        if pred(it):
            members_by_day.setdefault(it.day, []).append(it)
    out: list[Breach] = []
    position = {id(it): i for i, it in enumerate(local)}
    run_days: list[int] = []
    for day in sorted(members_by_day):
        if run_days and day != run_days[-1] + 1:
            _one_run(run_days, members_by_day, local, position, rule, code, rest_code, noun, tz,
                     involving, out)  # fmt: skip
            run_days = []
        run_days.append(day)
    if run_days:
        _one_run(run_days, members_by_day, local, position, rule, code, rest_code, noun, tz,
                 involving, out)  # fmt: skip
    return out


def _one_run(
    run_days: list[int],
    members_by_day: dict[int, list[Item]],
    local: list[Item],
    position: dict[int, int],
    rule: RunLimit,
    code: str,
    rest_code: str,
    noun: str,
    tz: str,
    involving: Item | None,
    out: list[Breach],
) -> None:
    members = [it for day in run_days for it in members_by_day[day]]
    length = len(run_days)
    in_run = involving is None or any(it is involving for it in members)
    if length > rule.max_run and in_run:
        out.append(
            Breach(
                code,
                f"{length} {noun} on consecutive days ({format_day(run_days[0])} to "
                f"{format_day(run_days[-1])}); at most {rule.max_run} in a row",
                _refs(members),
            )
        )
    if length < rule.rest_after_run_of:
        return
    last = max(members_by_day[run_days[-1]], key=lambda it: (it.e, it.s))
    member_ids = {id(it) for it in members}
    nxt = next(
        (it for it in local[position[id(last)] + 1 :] if id(it) not in member_ids),
        None,
    )
    if nxt is None or not (in_run or nxt is involving):
        return
    need = int(rule.rest_after.total_seconds())
    if nxt.s - last.e < need:
        runs = f"{length} consecutive {noun}" if length > 1 else f"a {noun[:-1]}"
        out.append(
            Breach(
                rest_code,
                f"Only {format_span(nxt.s - last.e)} rest after {runs} ending "
                f"{format_when(last.e, tz)}; {format_span(need)} needed",
                _refs([*members, nxt]),
            )
        )


def check_schedule(
    commitments: Iterable[Commitment],
    rule_set: RuleSet = DOCTORS_IN_TRAINING,
    *,
    opted_out: bool = False,
    night_worker: bool | None = None,
) -> list[Breach]:
    """Every breach in a whole schedule (a rota, a solver result), each reported once."""
    everything = list(commitments)
    seen: set[tuple[str, tuple[Commitment, ...]]] = set()
    found: list[Breach] = []
    for i, commitment in enumerate(everything):
        others = WorkerSchedule(
            everything[:i] + everything[i + 1 :],
            rule_set,
            opted_out=opted_out,
            night_worker=night_worker,
        )
        for breach in others.check(commitment):
            key = (breach.rule, breach.refs)
            if key not in seen:
                seen.add(key)
                found.append(breach)
    return found
