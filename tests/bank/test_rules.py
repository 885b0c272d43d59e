"""Unit tests for the safe-working rules (bank.rules): every rule at its boundaries."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bank.rules import (
    DOCTORS_IN_TRAINING,
    WORKING_TIME_REGULATIONS,
    Breach,
    Commitment,
    RunLimit,
    WorkerSchedule,
    check_schedule,
    required_break_minutes,
    rule_set_for,
)

LONDON = ZoneInfo("Europe/London")
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def at(when: str) -> datetime:
    """A Europe/London wall-clock time, "2026-06-01 08:00" (June 2026 starts on a Monday)."""
    return datetime.strptime(when, "%Y-%m-%d %H:%M").replace(tzinfo=LONDON)


def shift(
    ref: str,
    start: str,
    hours: float | None = None,
    *,
    end: str | None = None,
    minutes: int = 0,
    trust: int | None = 1,
    kind: str = "bank",
) -> Commitment:
    """A commitment from a local start, lasting real hours (UTC arithmetic) or to a local end."""
    begin = at(start)
    if end is not None:
        finish = at(end)
    else:
        assert hours is not None
        real = timedelta(hours=hours, minutes=minutes)
        finish = (begin.astimezone(UTC) + real).astimezone(LONDON)
    return Commitment(ref, begin, finish, trust, kind)


def daily(prefix: str, first: str, days: int, start: str, hours: float, **kw: object) -> list:
    """One shift a day for ``days`` days from the local date ``first`` at local time ``start``."""
    day0 = datetime.strptime(first, "%Y-%m-%d")
    return [
        shift(f"{prefix}{i}", f"{(day0 + timedelta(days=i)):%Y-%m-%d} {start}", hours, **kw)
        for i in range(days)
    ]


def rules_of(breaches: list[Breach]) -> list[str]:
    return sorted(b.rule for b in breaches)


def check(
    existing: list[Commitment], candidate: Commitment, rule_set=DOCTORS_IN_TRAINING, **kw: object
) -> list[Breach]:
    return WorkerSchedule(existing, rule_set, **kw).check(candidate)


# -- rest between shifts -------------------------------------------------------------------------


def test_booking_allowed_with_exactly_11_hours_rest_after_a_shift() -> None:
    night = shift("n", "2026-06-01 21:00", end="2026-06-02 08:00")
    assert check([night], shift("x", "2026-06-02 19:00", 8)) == []


def test_booking_refused_when_rest_under_11_hours() -> None:
    night = shift("n", "2026-06-01 21:00", end="2026-06-02 08:00", trust=3)
    candidate = shift("x", "2026-06-02 18:59", 8)
    [breach] = check([night], candidate)
    assert breach.rule == "min_rest"
    assert breach.message == (
        "Only 10 h 59 min rest after your night shift at Trust 3 ending Tue 02 Jun 08:00; "
        "11 h needed"
    )
    assert breach.refs == (night, candidate)


def test_booking_refused_when_rest_before_the_next_commitment_is_under_11_hours() -> None:
    later = shift("r", "2026-06-03 08:00", 8, trust=2, kind="rota")
    candidate = shift("x", "2026-06-02 13:01", 8)
    [breach] = check([later], candidate)
    assert breach.rule == "min_rest"
    assert "rest before your rota shift at Trust 2 starting Wed 03 Jun 08:00" in breach.message
    assert check([later], shift("x", "2026-06-02 13:00", 8)) == []


# -- shift length ----------------------------------------------------------------------------------


def test_shift_of_exactly_13_hours_is_allowed() -> None:
    assert check([], shift("x", "2026-06-01 08:00", 13)) == []


def test_shift_of_13_hours_1_minute_is_refused() -> None:
    candidate = shift("x", "2026-06-01 08:00", 13, minutes=1)
    [breach] = check([], candidate)
    assert breach.rule == "max_shift"
    assert breach.message == "This shift lasts 13 h 1 min; the limit is 13 h"
    assert breach.refs == (candidate,)


# -- 72 hours in any 7 days ----------------------------------------------------------------------


def _week_of_72_hours(last_minutes: int) -> tuple[list[Commitment], Commitment]:
    # Six 10 h days (not "long") and one 12 h day: 72 h in 7 consecutive days.
    days = daily("d", "2026-06-01", 6, "08:00", 10)
    return days, shift("x", "2026-06-07 08:00", 12, minutes=last_minutes)


def test_exactly_72_hours_in_7_days_is_allowed() -> None:
    days, candidate = _week_of_72_hours(0)
    assert check(days, candidate) == []


def test_more_than_72_hours_in_7_days_is_refused() -> None:
    days, candidate = _week_of_72_hours(1)
    [breach] = check(days, candidate)
    assert breach.rule == "rolling_hours"
    assert breach.message.startswith("This would make 72 h 1 min of work in the 7 days from")
    assert set(breach.refs) == {*days, candidate}


def test_72_hours_counts_a_window_holding_only_part_of_the_candidate() -> None:
    # 60 h Tue 02 Jun to Sun 07 Jun from 08:00; the 7 days from Tue 08:00 end at Tue 09 Jun
    # 08:00, which cuts the Monday night: 12 h of it inside is fine, 12 h 1 min is not.
    days = daily("d", "2026-06-02", 6, "08:00", 10)
    assert check(days, shift("x", "2026-06-08 20:00", 13)) == []
    candidate = shift("x", "2026-06-08 19:59", 13)
    [breach] = check(days, candidate)
    assert breach.rule == "rolling_hours"
    # The busiest windows form a plateau from Tue 08:00 to 08:59; either names the breach.
    assert breach.message.startswith(
        "This would make 72 h 1 min of work in the 7 days from Tue 02 Jun 08:"
    )
    assert breach.message.endswith("; at most 72 h allowed")


# -- consecutive shifts --------------------------------------------------------------------------


def test_seven_consecutive_shifts_are_allowed() -> None:
    days = daily("d", "2026-06-01", 6, "09:00", 8)
    assert check(days, shift("x", "2026-06-07 09:00", 8)) == []


def test_an_eighth_consecutive_shift_is_refused() -> None:
    days = daily("d", "2026-06-01", 7, "09:00", 8)
    candidate = shift("x", "2026-06-08 09:00", 8)
    [breach] = check(days, candidate)
    assert breach.rule == "consecutive_shifts"
    assert breach.message == (
        "This would be 8 shifts on consecutive days (Mon 01 Jun to Mon 08 Jun); at most 7 in a row"
    )
    assert breach.refs == (*days, candidate)


def test_48_hours_rest_needed_after_seven_consecutive_shifts() -> None:
    days = daily("d", "2026-06-01", 7, "09:00", 8)  # last ends Sun 07 Jun 17:00
    assert check(days, shift("x", "2026-06-09 17:00", 8)) == []
    candidate = shift("x", "2026-06-09 16:59", 8)
    [breach] = check(days, candidate)
    assert breach.rule == "rest_after_consecutive_shifts"
    assert breach.message == (
        "Only 47 h 59 min rest after 7 consecutive shifts ending Sun 07 Jun 17:00; 48 h needed"
    )
    assert breach.refs == (*days, candidate)


def test_candidate_completing_a_run_of_seven_needs_the_rest_before_the_next_shift() -> None:
    days = daily("d", "2026-06-02", 6, "09:00", 8)  # Tue-Sun
    after = shift("a", "2026-06-09 09:00", 8)  # Tue: 40 h after Sun 17:00
    candidate = shift("x", "2026-06-01 09:00", 8)  # Mon makes the run seven
    breaches = check([*days, after], candidate)
    assert rules_of(breaches) == ["rest_after_consecutive_shifts"]
    assert candidate in breaches[0].refs and after in breaches[0].refs


# -- nights ----------------------------------------------------------------------------------------


def test_four_consecutive_nights_are_allowed() -> None:
    nights = daily("n", "2026-06-01", 3, "22:00", 9)
    assert check(nights, shift("x", "2026-06-04 22:00", 9)) == []


def test_a_fifth_consecutive_night_is_refused() -> None:
    nights = daily("n", "2026-06-01", 4, "22:00", 9)
    candidate = shift("x", "2026-06-05 22:00", 9)
    [breach] = check(nights, candidate)
    assert breach.rule == "consecutive_nights"
    assert breach.refs == (*nights, candidate)


def test_46_hours_rest_needed_after_any_run_of_nights() -> None:
    nights = daily("n", "2026-06-01", 4, "22:00", 9)  # last ends Fri 05 Jun 07:00
    assert check(nights, shift("x", "2026-06-07 05:00", 8)) == []
    candidate = shift("x", "2026-06-07 04:59", 8)
    [breach] = check(nights, candidate)
    assert breach.rule == "rest_after_nights"
    assert "46 h needed" in breach.message
    # 2019: even a single night is followed by 46 h.
    one = shift("n", "2026-06-01 22:00", 9)
    assert rules_of(check([one], shift("x", "2026-06-03 09:00", 8))) == ["rest_after_nights"]


def test_a_night_shift_needs_3_hours_between_23_00_and_06_00() -> None:
    # 20:00-02:00 has 3 h of night; 15:00-01:59 has 2 h 59 min, so is no night.
    three = shift("a", "2026-06-01 20:00", end="2026-06-02 02:00")
    almost = shift("b", "2026-06-01 15:00", end="2026-06-02 01:59")
    day = shift("x", "2026-06-03 08:00", 8)  # 30 h after: too soon after a night
    assert rules_of(check([three], day)) == ["rest_after_nights"]
    assert check([almost], day) == []


# -- long shifts and long evenings ---------------------------------------------------------------


def test_five_consecutive_long_shifts_are_allowed_and_a_sixth_refused() -> None:
    longs = daily("l", "2026-06-01", 5, "08:00", 11)
    assert check(longs[:4], longs[4]) == []
    candidate = shift("x", "2026-06-06 08:00", 11)
    assert rules_of(check(longs, candidate)) == ["consecutive_long_shifts"]


def test_48_hours_rest_needed_after_five_consecutive_long_shifts() -> None:
    longs = daily("l", "2026-06-01", 5, "08:00", 11)  # last ends Fri 05 Jun 19:00
    assert check(longs, shift("x", "2026-06-07 19:00", 8)) == []
    assert rules_of(check(longs, shift("x", "2026-06-07 18:59", 8))) == ["rest_after_long_shifts"]


def test_the_long_shift_limit_is_configurable() -> None:
    four = dataclasses.replace(
        DOCTORS_IN_TRAINING,
        consecutive_long_shifts=RunLimit(max_run=4, rest_after=48 * HOUR, rest_after_run_of=4),
    )
    longs = daily("l", "2026-06-01", 4, "08:00", 11)
    assert rules_of(check(longs, shift("x", "2026-06-05 08:00", 11), four)) == [
        "consecutive_long_shifts"
    ]


def test_a_shift_of_exactly_10_hours_is_not_long() -> None:
    # Four long days, then Saturday only 14 h after Friday's shift: fine unless Friday is long.
    schedule = [*daily("l", "2026-06-01", 4, "08:00", 11), shift("s", "2026-06-06 08:00", 8)]
    assert check(schedule, shift("x", "2026-06-05 08:00", 10)) == []
    assert rules_of(check(schedule, shift("x", "2026-06-05 08:00", 10, minutes=1))) == [
        "rest_after_long_shifts"
    ]


def test_four_long_evenings_are_allowed_and_a_fifth_refused() -> None:
    # 13:00-23:30: over 10 h, ends after 23:00, only 30 min of night.
    evenings = daily("e", "2026-06-01", 4, "13:00", 10.5)
    assert check(evenings[:3], evenings[3]) == []
    candidate = shift("x", "2026-06-05 13:00", 10.5)
    [breach] = check(evenings, candidate)
    assert breach.rule == "consecutive_long_evenings"
    assert breach.message.startswith("This would be 5 long evening shifts on consecutive days")


def test_48_hours_rest_needed_after_four_long_evenings() -> None:
    evenings = daily("e", "2026-06-01", 4, "13:00", 10.5)  # last ends Thu 04 Jun 23:30
    assert check(evenings, shift("x", "2026-06-06 23:30", 8)) == []
    assert rules_of(check(evenings, shift("x", "2026-06-06 23:29", 8))) == [
        "rest_after_long_evenings"
    ]


# -- weekends ----------------------------------------------------------------------------------


def test_one_weekend_in_three_is_allowed() -> None:
    worked = shift("w", "2026-06-06 08:00", 8)  # Sat 06 Jun
    assert check([worked], shift("x", "2026-06-27 08:00", 8)) == []  # three weeks later


def test_a_second_weekend_within_three_is_refused() -> None:
    worked = shift("w", "2026-06-06 08:00", 8)
    candidate = shift("x", "2026-06-21 08:00", 8)  # Sun 21 Jun, two weekends later
    [breach] = check([worked], candidate)
    assert breach.rule == "weekend_frequency"
    assert breach.refs == (worked, candidate)
    assert "at most 1 in 3" in breach.message


def test_saturday_and_sunday_of_one_weekend_count_as_one_weekend() -> None:
    saturday = shift("a", "2026-06-06 08:00", 8)
    assert check([saturday], shift("x", "2026-06-07 08:00", 8)) == []


def test_schedule_check_finds_weekends_too_close_even_when_each_is_worked_twice() -> None:
    weekends = [
        shift("sat-1", "2026-06-06 08:00", 8),
        shift("sun-1", "2026-06-07 08:00", 8),
        shift("sat-2", "2026-06-13 08:00", 8),
        shift("sun-2", "2026-06-14 08:00", 8),
    ]
    breaches = check_schedule(weekends)
    assert rules_of(breaches) == ["weekend_frequency"]
    assert breaches[0].refs == tuple(weekends)


def test_a_friday_night_into_saturday_works_that_weekend() -> None:
    friday_night = shift("f", "2026-06-12 21:00", end="2026-06-13 08:00")
    candidate = shift("x", "2026-06-06 09:00", 8)
    assert rules_of(check([friday_night], candidate)) == ["weekend_frequency"]
    ends_at_midnight = shift("f", "2026-06-12 14:00", end="2026-06-13 00:00")
    assert check([ends_at_midnight], candidate) == []


# -- average weekly hours ----------------------------------------------------------------------


def _weeks(weeks: int, pattern: list[tuple[int, str, float]]) -> list[Commitment]:
    """``weeks`` repeats of (weekday offset from Monday, local start, hours) from 2 Mar 2026."""
    monday = datetime(2026, 3, 2)
    return [
        shift(f"w{w}d{d}", f"{(monday + timedelta(weeks=w, days=d)):%Y-%m-%d} {start}", hours)
        for w in range(weeks)
        for d, start, hours in pattern
    ]


FORTY_EIGHT = [(0, "08:00", 12), (1, "08:00", 12), (2, "08:00", 12), (3, "08:00", 12)]
FIFTY_SIX = [*FORTY_EIGHT, (4, "09:00", 8)]


def test_average_of_48_hours_over_26_weeks_is_allowed() -> None:
    rota = _weeks(26, FORTY_EIGHT)
    assert check(rota[:-1], rota[-1]) == []


def test_average_over_48_hours_across_26_weeks_is_refused() -> None:
    rota = _weeks(26, FORTY_EIGHT)
    candidate = shift("x", "2026-04-10 09:00", 4)  # a Friday in week 6
    [breach] = check(rota, candidate)
    assert breach.rule == "average_hours"
    assert breach.message.startswith("Average of 48 h 9 min a week over the 26 weeks from")
    assert candidate in breach.refs and len(breach.refs) == len(rota) + 1


def test_opted_out_doctor_may_average_56_hours_but_not_more() -> None:
    rota = _weeks(26, FIFTY_SIX)
    assert check(rota[:-1], rota[-1], opted_out=True) == []
    assert rules_of(check(rota[:-1], rota[-1])) == ["average_hours"]
    extra = shift("x", "2026-04-11 09:00", 4)  # a Saturday
    assert rules_of(check(rota, extra, opted_out=True)) == ["average_hours"]


# -- Working Time Regulations (everyone else) --------------------------------------------------


def test_staff_groups_other_than_doctors_in_training_follow_the_wtr() -> None:
    assert rule_set_for("doctor_in_training") is DOCTORS_IN_TRAINING
    assert rule_set_for("nurse") is WORKING_TIME_REGULATIONS


def test_wtr_needs_11_hours_daily_rest_but_has_no_13_hour_limit() -> None:
    day = shift("d", "2026-06-01 07:00", 14)  # ends 21:00
    assert check([day], shift("x", "2026-06-02 08:00", 8), WORKING_TIME_REGULATIONS) == []
    assert rules_of(check([day], shift("x", "2026-06-02 07:59", 8), WORKING_TIME_REGULATIONS)) == [
        "min_rest"
    ]


def test_wtr_week_without_24_hours_rest_is_refused_when_no_fortnight_makes_up() -> None:
    # Every day for four weeks from Mon 25 May: 12 h rest a night, never 24 h.
    every_day = daily("d", "2026-05-25", 28, "08:00", 12)
    candidate = every_day.pop(10)  # Thu 04 Jun, in the second week
    breaches = check(every_day, candidate, WORKING_TIME_REGULATIONS)
    assert rules_of(breaches) == ["weekly_rest"]
    assert breaches[0].message.startswith("No 24 h uninterrupted rest in the week from Mon 01 Jun")


def test_wtr_week_without_24_hours_rest_is_allowed_when_the_fortnight_has_48_hours() -> None:
    # The week before is free, so a fortnight around the busy week holds 48 h of rest.
    week = daily("d", "2026-06-01", 7, "08:00", 12)
    assert check(week[:-1], week[-1], WORKING_TIME_REGULATIONS) == []


def test_wtr_day_off_each_week_gives_weekly_rest() -> None:
    weeks = [s for s in daily("d", "2026-05-25", 28, "08:00", 12) if s.start.weekday() != 6]
    assert check(weeks[:10], weeks[10], WORKING_TIME_REGULATIONS) == []


def test_wtr_average_is_48_hours_over_17_weeks_unless_opted_out() -> None:
    rota = _weeks(17, FORTY_EIGHT)
    assert check(rota[:-1], rota[-1], WORKING_TIME_REGULATIONS) == []
    extra = shift("x", "2026-04-10 09:00", 4)
    assert rules_of(check(rota, extra, WORKING_TIME_REGULATIONS)) == ["average_hours"]
    assert check(rota, extra, WORKING_TIME_REGULATIONS, opted_out=True) == []


def test_wtr_night_worker_averages_at_most_8_hours_per_24_hours_even_when_opted_out() -> None:
    # Four 12.5 h nights a week for 17 weeks: 850 h > 8 h x 102 days = 816 h.
    nights = _weeks(17, [(d, "19:30", 12.5) for d in range(4)])
    breaches = check(nights[:-1], nights[-1], WORKING_TIME_REGULATIONS, opted_out=True)
    assert rules_of(breaches) == ["night_work_average"]
    # The same hours by day are not night work.
    days = _weeks(17, [(d, "07:30", 12.5) for d in range(4)])
    assert check(days[:-1], days[-1], WORKING_TIME_REGULATIONS, opted_out=True) == []


# -- real hours across the clock changes -------------------------------------------------------


def test_night_across_the_october_clock_change_counts_its_real_13_hours() -> None:
    # Sun 25 Oct 2026: clocks go back at 02:00 BST, so 20:00 to 08:00 is 13 real hours.
    thirteen = shift("n", "2026-10-24 20:00", end="2026-10-25 08:00")
    assert thirteen.end - thirteen.start == 12 * HOUR  # Python's wall-clock arithmetic
    assert check([], thirteen) == []
    over = shift("n", "2026-10-24 20:00", end="2026-10-25 08:01")
    [breach] = check([], over)
    assert breach.rule == "max_shift"
    assert "13 h 1 min" in breach.message


def test_night_across_the_march_clock_change_counts_its_real_hours() -> None:
    # Sun 29 Mar 2026: clocks go forward at 01:00 GMT, so 20:00 to 10:00 is 13 real hours.
    assert check([], shift("n", "2026-03-28 20:00", end="2026-03-29 10:00")) == []
    over = shift("n", "2026-03-28 20:00", end="2026-03-29 10:01")
    assert rules_of(check([], over)) == ["max_shift"]


def test_rest_across_the_october_clock_change_is_real_time() -> None:
    late = shift("a", "2026-10-24 13:00", end="2026-10-24 21:00")
    # 21:00 BST to 07:00 GMT is 11 real hours although the clock shows 10.
    assert check([late], shift("x", "2026-10-25 07:00", 8)) == []
    assert rules_of(check([late], shift("x", "2026-10-25 06:59", 8))) == ["min_rest"]


def test_rest_across_the_march_clock_change_is_real_time() -> None:
    late = shift("a", "2026-03-28 13:00", end="2026-03-28 21:00")
    # 21:00 GMT to 09:00 BST is 11 real hours although the clock shows 12.
    assert check([late], shift("x", "2026-03-29 09:00", 8)) == []
    assert rules_of(check([late], shift("x", "2026-03-29 08:59", 8))) == ["min_rest"]


def test_candidate_in_another_zone_is_compared_on_absolute_time() -> None:
    late = shift("a", "2026-06-01 13:00", end="2026-06-01 21:00")  # 20:00 UTC
    candidate = Commitment(
        "x", datetime(2026, 6, 2, 7, tzinfo=UTC), datetime(2026, 6, 2, 15, tzinfo=UTC)
    )
    assert check([late], candidate) == []


# -- across Trusts, and reporting --------------------------------------------------------------


def test_commitments_at_two_trusts_both_count() -> None:
    rota = shift("rota-1", "2026-06-01 08:00", 12, trust=1, kind="rota")
    bank = shift("bank-7", "2026-06-02 08:00", 12, trust=2)
    candidate = shift("x", "2026-06-02 22:00", 8, trust=3)
    breaches = check([rota, bank], candidate)
    assert rules_of(breaches) == ["min_rest"]
    assert breaches[0].refs == (bank, candidate)
    assert "at Trust 2" in breaches[0].message
    nights_at_two_trusts = [
        shift("n1", "2026-06-01 22:00", 9, trust=1),
        shift("n2", "2026-06-02 22:00", 9, trust=2),
        shift("n3", "2026-06-03 22:00", 9, trust=1),
        shift("n4", "2026-06-04 22:00", 9, trust=2),
    ]
    fifth = shift("x", "2026-06-05 22:00", 9, trust=3)
    [breach] = check(nights_at_two_trusts, fifth)
    assert {c.trust_id for c in breach.refs} == {1, 2, 3}


def test_overlapping_a_commitment_is_refused() -> None:
    rota = shift("r", "2026-06-01 08:00", 8, trust=1, kind="rota")
    candidate = shift("x", "2026-06-01 15:00", 4, trust=2)
    [breach] = check([rota], candidate)
    assert breach.rule == "overlap"
    assert breach.refs == (rota, candidate)
    assert "overlaps your rota shift at Trust 1" in breach.message


def test_several_rules_broken_at_once_are_all_reported_and_each_names_the_candidate() -> None:
    nights = daily("n", "2026-06-01", 4, "21:00", 11)  # Mon-Thu, last ends Fri 08:00
    worked_weekend = shift("w", "2026-06-13 08:00", 8)
    candidate = shift("x", "2026-06-05 18:00", 14)  # Fri night: 10 h rest, 14 h, 5th night
    breaches = check([*nights, worked_weekend], candidate)
    assert rules_of(breaches) == [
        "consecutive_nights",
        "max_shift",
        "min_rest",
        "weekend_frequency",
    ]
    assert all(candidate in b.refs for b in breaches)
    assert all(b.refs == tuple(sorted(b.refs, key=lambda c: c.start)) for b in breaches)


def test_commitments_must_be_timezone_aware_and_end_after_they_start() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Commitment("x", datetime(2026, 6, 1, 8), datetime(2026, 6, 1, 16))
    with pytest.raises(ValueError, match="end must be after start"):
        Commitment("x", at("2026-06-01 08:00"), at("2026-06-01 08:00"))


# -- whole schedules -------------------------------------------------------------------------------


def test_schedule_check_reports_each_breach_once() -> None:
    first = shift("a", "2026-06-01 08:00", 12)
    second = shift("b", "2026-06-02 06:00", 8)  # 10 h rest
    third = shift("c", "2026-06-03 08:00", 14)
    breaches = check_schedule([first, second, third])
    assert sorted((b.rule, tuple(c.ref for c in b.refs)) for b in breaches) == [
        ("max_shift", ("c",)),
        ("min_rest", ("a", "b")),
    ]


def test_schedule_check_of_a_safe_rota_is_empty() -> None:
    assert check_schedule(_weeks(8, FORTY_EIGHT)) == []


def test_schedule_can_grow_by_one_booking() -> None:
    schedule = WorkerSchedule([shift("a", "2026-06-01 08:00", 8)])
    grown = schedule.with_commitment(shift("b", "2026-06-02 08:00", 8))
    assert [c.ref for c in grown.commitments] == ["a", "b"]
    assert rules_of(grown.check(shift("x", "2026-06-02 20:00", 8))) == ["min_rest"]


# -- breaks --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "minutes"),
    [(4 * HOUR + 59 * MINUTE, 0), (5 * HOUR, 30), (9 * HOUR, 60), (12 * HOUR, 90), (13 * HOUR, 90)],
)
def test_doctors_get_30_minutes_per_5_hours_and_three_breaks_on_12_hours(
    length: timedelta, minutes: int
) -> None:
    assert required_break_minutes(length) == minutes


def test_wtr_break_is_20_minutes_over_6_hours() -> None:
    assert required_break_minutes(6 * HOUR, WORKING_TIME_REGULATIONS) == 0
    assert required_break_minutes(6 * HOUR + MINUTE, WORKING_TIME_REGULATIONS) == 20


# -- more across Trusts, rule sets and reporting -------------------------------------------------


def test_substantive_rota_hours_at_another_trust_count_toward_the_72_hours() -> None:
    rota = [*daily("rota-", "2026-06-01", 5, "08:00", 10, trust=1, kind="rota")]
    bank = shift("bank-1", "2026-06-06 08:00", 10, trust=2)
    candidate = shift("x", "2026-06-07 08:00", 12, minutes=1, trust=3)
    [breach] = check([*rota, bank], candidate)
    assert breach.rule == "rolling_hours"
    assert {c.trust_id for c in breach.refs} == {1, 2, 3}


def test_rules_switched_off_in_a_rule_set_are_not_checked() -> None:
    nights = daily("n", "2026-06-01", 6, "22:00", 9)
    assert check(nights[:-1], nights[-1], WORKING_TIME_REGULATIONS) == []
    no_nights = dataclasses.replace(DOCTORS_IN_TRAINING, consecutive_nights=None)
    assert check(nights[:-1], nights[-1], no_nights) == []


def test_wtr_night_worker_status_can_be_given_by_the_caller() -> None:
    nights = _weeks(17, [(d, "19:30", 12.5) for d in range(4)])
    kw = {"opted_out": True, "night_worker": False}
    assert check(nights[:-1], nights[-1], WORKING_TIME_REGULATIONS, **kw) == []
    days = _weeks(17, [(d, "07:30", 12.5) for d in range(4)])
    kw = {"opted_out": True, "night_worker": True}
    assert rules_of(check(days[:-1], days[-1], WORKING_TIME_REGULATIONS, **kw)) == [
        "night_work_average"
    ]


def test_every_message_is_written_for_the_worker() -> None:
    nights = daily("n", "2026-06-01", 4, "21:00", 11)
    candidate = shift("x", "2026-06-05 18:00", 14)
    for breach in check([*nights, shift("w", "2026-06-13 08:00", 8)], candidate):
        assert breach.message[0].isupper()
        assert "None" not in breach.message


def test_schedule_check_names_both_ends_of_a_short_rest_across_trusts() -> None:
    rota = shift("rota", "2026-06-01 20:00", 12, trust=1, kind="rota")
    bank = shift("bank", "2026-06-02 18:00", 8, trust=2)  # 10 h after the rota night
    [breach] = check_schedule([bank, rota])
    assert breach.rule == "min_rest"
    assert breach.refs == (rota, bank)


def test_schedule_check_uses_the_rule_set_and_opt_out() -> None:
    rota = _weeks(17, FIFTY_SIX)
    assert rules_of(check_schedule(rota, WORKING_TIME_REGULATIONS)) != []
    assert check_schedule(rota, WORKING_TIME_REGULATIONS, opted_out=True) == []


def test_micro_benchmark_reports_speed() -> None:
    from bench.rules import run_rules_bench

    result = run_rules_bench(count=50)
    assert result["candidates"] == 50
    assert result["commitments"] == 40
    assert result["candidates_per_second"] > 0
    assert result["mean_us_per_check"] > 0


def test_rules_package_imports_no_flask_and_no_database() -> None:
    code = (
        "import sys, bank.rules, bench.rules; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'sqlalchemy', 'app', 'passport', 'rota')]; "
        "assert not bad, bad"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
