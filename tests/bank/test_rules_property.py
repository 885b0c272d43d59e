"""Property tests: WorkerSchedule.check agrees with a slow, obvious checker on small schedules.

The slow checker re-derives every rule from its definition with no indexes: night hours and
rest by scanning a 15-minute grid, rolling windows by summing every commitment at every
breakpoint, runs over the whole timeline. Times sit on a 15-minute grid around both clock
changes of 2026, so the grid scan is exact.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bank.rules import (
    DOCTORS_IN_TRAINING,
    WORKING_TIME_REGULATIONS,
    AverageLimit,
    Commitment,
    NightWorkLimit,
    RuleSet,
    RunLimit,
    WeekendLimit,
    WindowLimit,
    WorkerSchedule,
    check_schedule,
)

LONDON = ZoneInfo("Europe/London")
STEP = 15 * 60
HOUR = timedelta(hours=1)
# Mondays just before each 2026 clock change, so schedules straddle it.
BASES = (datetime(2026, 3, 23, tzinfo=LONDON), datetime(2026, 10, 19, tzinfo=LONDON))

TIGHT_DOCTORS = dataclasses.replace(
    DOCTORS_IN_TRAINING,
    rolling=WindowLimit(window=timedelta(days=3), max_hours=30.0),
    average=AverageLimit(weeks=1, max_weekly_hours=40.0, opted_out_max_weekly_hours=45.0),
    consecutive_shifts=RunLimit(max_run=3, rest_after=30 * HOUR, rest_after_run_of=3),
    consecutive_long_shifts=RunLimit(max_run=2, rest_after=40 * HOUR, rest_after_run_of=2),
    consecutive_nights=RunLimit(max_run=2, rest_after=46 * HOUR, rest_after_run_of=1),
    consecutive_long_evenings=RunLimit(max_run=1, rest_after=48 * HOUR, rest_after_run_of=1),
    weekends=WeekendLimit(max_weekends=1, window_weekends=2),
)
TIGHT_WTR = dataclasses.replace(
    WORKING_TIME_REGULATIONS,
    average=AverageLimit(weeks=1, max_weekly_hours=35.0, opted_out_max_weekly_hours=None),
    night_work=NightWorkLimit(hours_per_24h=4.0, reference_weeks=1, night_worker_share=0.3),
)
RULE_SETS = (DOCTORS_IN_TRAINING, WORKING_TIME_REGULATIONS, TIGHT_DOCTORS, TIGHT_WTR)


class Slow(NamedTuple):
    c: Commitment
    s: int
    e: int
    day: int
    night: bool
    long: bool
    long_evening: bool
    weekends: frozenset[int]

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.s, self.e, self.c.ref)


def _secs(moment: datetime) -> int:
    return int(moment.timestamp())


def _local(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, LONDON)


def slow_item(c: Commitment, rules: RuleSet) -> Slow:
    d = rules.definitions
    s, e = _secs(c.start), _secs(c.end)
    night_steps, saturdays = 0, set()
    for t in range(s, e, STEP):
        local = _local(t).time()
        if local >= d.night_start or local < d.night_end:
            night_steps += 1
        day = _local(t).date()
        if day.weekday() >= 5:
            saturdays.add((day - timedelta(days=day.weekday() - 5)).toordinal())
    night = night_steps * STEP >= d.night_min.total_seconds()
    long = e - s > d.long_shift_over.total_seconds()
    start, end = _local(s), _local(e)
    late = end.date() > start.date() or end.time() > d.long_evening_ends_after
    return Slow(
        c, s, e, start.toordinal(), night, long, long and late and not night, frozenset(saturdays)
    )


def slow_check(
    existing: list[Commitment], candidate: Commitment, rules: RuleSet, opted_out: bool
) -> Counter:
    """The breaches of the candidate by definition, as (rule, refs) for exact rules."""
    old = [slow_item(x, rules) for x in existing]
    c = slow_item(candidate, rules)
    every = sorted([*old, c], key=lambda x: x.key)
    found: Counter = Counter()

    def add(rule: str, *items: Slow) -> None:
        found[(rule, tuple(x.c.ref for x in sorted(set(items), key=lambda x: x.key)))] += 1

    for x in old:
        if x.s < c.e and x.e > c.s:
            add("overlap", x, c)
    if rules.max_shift is not None and c.e - c.s > rules.max_shift.total_seconds():
        add("max_shift", c)
    if rules.min_rest is not None:
        need = rules.min_rest.total_seconds()
        before = [x for x in old if x.e <= c.s]
        if before:
            prev = max(before, key=lambda x: (x.e, x.s, x.c.ref))
            if c.s - prev.e < need:
                add("min_rest", prev, c)
        after = [x for x in old if x.s >= c.e]
        if after:
            nxt = min(after, key=lambda x: x.key)
            if nxt.s - c.e < need:
                add("min_rest", c, nxt)

    # Rolling windows: hours of everything in [t, t + L) at every breakpoint that cuts c.
    def peak(length: int) -> int:
        points = {p for x in every for p in (x.s, x.e, x.s - length, x.e - length)}
        return max(
            sum(max(0, min(x.e, t + length) - max(x.s, t)) for x in every)
            for t in points
            if c.s - length < t < c.e
        )

    windows = []
    if rules.rolling is not None:
        windows.append(("rolling_hours", rules.rolling.window, rules.rolling.max_hours))
    if rules.average is not None:
        weekly = (
            rules.average.opted_out_max_weekly_hours
            if opted_out
            else rules.average.max_weekly_hours
        )
        if weekly is not None:
            weeks = rules.average.weeks
            windows.append(("average_hours", timedelta(weeks=weeks), weekly * weeks))
    nw = rules.night_work
    if nw is not None and sum(x.night for x in every) / len(every) >= nw.night_worker_share:
        windows.append(("night_work_average", timedelta(weeks=nw.reference_weeks), nw.max_hours))
    for code, length, hours in windows:
        if peak(int(length.total_seconds())) > round(hours * 3600):
            found[(code,)] += 1

    runs = (
        (rules.consecutive_shifts, lambda x: True, "consecutive_shifts",
         "rest_after_consecutive_shifts"),
        (rules.consecutive_long_shifts, lambda x: x.long, "consecutive_long_shifts",
         "rest_after_long_shifts"),
        (rules.consecutive_nights, lambda x: x.night, "consecutive_nights", "rest_after_nights"),
        (rules.consecutive_long_evenings, lambda x: x.long_evening, "consecutive_long_evenings",
         "rest_after_long_evenings"),
    )  # fmt: skip
    for rule, pred, code, rest_code in runs:
        if rule is None:
            continue
        days = sorted({x.day for x in every if pred(x)})
        groups: list[list[int]] = []
        for day in days:
            if groups and groups[-1][-1] == day - 1:
                groups[-1].append(day)
            else:
                groups.append([day])
        for group in groups:
            members = [x for x in every if pred(x) and x.day in group]
            in_run = c in members
            if len(group) > rule.max_run and in_run:
                add(code, *members)
            if len(group) >= rule.rest_after_run_of:
                last = max(
                    (x for x in members if x.day == group[-1]), key=lambda x: (x.e, x.s, x.c.ref)
                )
                later = [x for x in every if x.key > last.key and x not in members]
                need = rule.rest_after.total_seconds()
                if later and (in_run or later[0] is c) and later[0].s - last.e < need:
                    add(rest_code, *members, later[0])

    if rules.weekends is not None:
        worked = {sat for x in every for sat in x.weekends}
        span = rules.weekends.window_weekends
        for sat in c.weekends:
            counts = [
                sum(1 for k in range(span) if first + 7 * k in worked)
                for first in range(sat - 7 * (span - 1), sat + 1, 7)
            ]
            if max(counts) > rules.weekends.max_weekends:
                found[("weekend_frequency",)] += 1

    if rules.weekly_rest is not None:

        def free_runs(a: int, b: int, with_candidate: bool) -> list[int]:
            busy = every if with_candidate else old
            runs, current = [], 0
            for t in range(a, b, STEP):
                if any(x.s <= t < x.e for x in busy):
                    if current:
                        runs.append(current)
                    current = 0
                else:
                    current += STEP
            return [*runs, current] if current else runs

        def midnight(day: date) -> int:
            return _secs(datetime(day.year, day.month, day.day, tzinfo=LONDON))

        weekly = rules.weekly_rest.weekly.total_seconds()
        fortnightly = rules.weekly_rest.fortnightly.total_seconds()

        def rested(monday: date, with_candidate: bool) -> bool:
            week = free_runs(midnight(monday), midnight(monday + timedelta(days=7)), with_candidate)
            if max(week, default=0) >= weekly:
                return True
            for a, b in ((-7, 7), (0, 14)):
                gaps = free_runs(
                    midnight(monday + timedelta(days=a)),
                    midnight(monday + timedelta(days=b)),
                    with_candidate,
                )
                long_gaps = [g for g in gaps if g >= weekly]
                if len(long_gaps) >= 2 or any(g >= fortnightly for g in long_gaps):
                    return True
            return False

        first = _local(c.s).date()
        last = _local(c.e - 1).date()
        own = {first - timedelta(days=first.weekday()), last - timedelta(days=last.weekday())}
        for monday in {m + timedelta(days=k) for m in own for k in (-7, 0, 7)}:
            if rested(monday, True):
                continue
            if monday in own or rested(monday, False):
                found[("weekly_rest",)] += 1
    return found


EXACT = {
    "overlap",
    "max_shift",
    "min_rest",
    "consecutive_shifts",
    "rest_after_consecutive_shifts",
    "consecutive_long_shifts",
    "rest_after_long_shifts",
    "consecutive_nights",
    "rest_after_nights",
    "consecutive_long_evenings",
    "rest_after_long_evenings",
}


def fast_check(
    existing: list[Commitment], candidate: Commitment, rules: RuleSet, opted_out: bool
) -> Counter:
    found: Counter = Counter()
    for breach in WorkerSchedule(existing, rules, opted_out=opted_out).check(candidate):
        if breach.rule in EXACT:
            found[(breach.rule, tuple(c.ref for c in breach.refs))] += 1
        else:
            found[(breach.rule,)] += 1
    return found


def _commitment(ref: str, base: datetime, start_step: int, steps: int) -> Commitment:
    start = base.astimezone(UTC) + timedelta(seconds=start_step * STEP)
    end = start + timedelta(seconds=steps * STEP)
    return Commitment(ref, start.astimezone(LONDON), end.astimezone(LONDON), start_step % 4)


STARTS = (7, 8, 9, 13, 14, 19, 20, 21, 22)  # local hours; never in a clock-change hour
day_shape = st.tuples(
    st.integers(0, 99), st.sampled_from(STARTS), st.integers(-4, 4), st.integers(12, 56)
)


def _local_shift(
    ref: str, base: datetime, day: int, shape: tuple[int, int, int, int]
) -> Commitment:
    _, hour, jitter, steps = shape
    wall = base.replace(tzinfo=None) + timedelta(days=day, hours=hour, minutes=15 * jitter)
    start = wall.replace(tzinfo=LONDON).astimezone(UTC)
    end = start + timedelta(seconds=steps * STEP)
    return Commitment(ref, start.astimezone(LONDON), end.astimezone(LONDON), day % 3)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[Commitment], Commitment, RuleSet, bool]:
    """A three-week schedule, dense or sparse, of typical shifts, and one candidate."""
    base = draw(st.sampled_from(BASES))
    density = draw(st.sampled_from((30, 60, 90, 100)))
    # A steady pattern (one start time every day) makes runs and short weekly rest likely.
    steady = draw(st.sampled_from((None, *STARTS)))
    existing: list[Commitment] = []
    for day, shape in enumerate(draw(st.lists(day_shape, min_size=21, max_size=21))):
        if shape[0] >= density:
            continue
        if steady is not None:
            shape = (shape[0], steady, 0, shape[3])
        shift = _local_shift(f"c{day}", base, day, shape)
        # Existing commitments never overlap each other: the bank refused that already.
        if not existing or existing[-1].end <= shift.start:
            existing.append(shift)
    candidate = _local_shift("cand", base, draw(st.integers(0, 20)), draw(day_shape))
    return existing, candidate, draw(st.sampled_from(RULE_SETS)), draw(st.booleans())


@settings(max_examples=300, deadline=None, database=None)
@given(scenarios())
def test_fast_check_agrees_with_the_definitions(
    scenario: tuple[list[Commitment], Commitment, RuleSet, bool],
) -> None:
    existing, candidate, rules, opted_out = scenario
    assert fast_check(existing, candidate, rules, opted_out) == slow_check(
        existing, candidate, rules, opted_out
    )


@settings(max_examples=100, deadline=None, database=None)
@given(scenarios())
def test_every_breach_names_the_candidate(
    scenario: tuple[list[Commitment], Commitment, RuleSet, bool],
) -> None:
    existing, candidate, rules, opted_out = scenario
    for breach in WorkerSchedule(existing, rules, opted_out=opted_out).check(candidate):
        assert candidate in breach.refs
        assert breach.message


@st.composite
def proposals(draw: st.DrawFn) -> tuple[list[Commitment], RuleSet, bool, bool]:
    """Shifts offered in a random order over three weeks, a rule set, opt-out, night worker."""
    base = draw(st.sampled_from(BASES))
    days = draw(st.lists(st.integers(0, 20), min_size=1, max_size=30))
    offers = [_local_shift(f"p{i}", base, day, draw(day_shape)) for i, day in enumerate(days)]
    return offers, draw(st.sampled_from(RULE_SETS)), draw(st.booleans()), draw(st.booleans())


@settings(max_examples=150, deadline=None, database=None)
@given(proposals())
def test_a_schedule_grown_only_by_accepted_bookings_has_no_breaches(
    scenario: tuple[list[Commitment], RuleSet, bool, bool],
) -> None:
    offers, rules, opted_out, night_worker = scenario
    schedule = WorkerSchedule([], rules, opted_out=opted_out, night_worker=night_worker)
    for offer in offers:
        if not schedule.check(offer):
            schedule = schedule.with_commitment(offer)
    kw = {"opted_out": opted_out, "night_worker": night_worker}
    assert check_schedule(schedule.commitments, rules, **kw) == []
