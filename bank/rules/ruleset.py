"""Rule sets: the safe-working limits of each staff group, as data.

Every number here comes from shared/rules.md (beside the repository); see the package docstring
for the public sources. A limit set to ``None`` is not checked for that staff group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from types import MappingProxyType

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class WindowLimit:
    """At most ``max_hours`` of work in any rolling window of length ``window``."""

    window: timedelta
    max_hours: float


@dataclass(frozen=True, slots=True)
class AverageLimit:
    """Average weekly hours over a rolling reference period of ``weeks`` weeks."""

    weeks: int
    max_weekly_hours: float
    # A worker who signed the WTR opt-out: doctors in training keep a 56 h cap (TCS), everyone
    # else has no average cap at all (None).
    opted_out_max_weekly_hours: float | None


@dataclass(frozen=True, slots=True)
class RunLimit:
    """At most ``max_run`` such shifts on consecutive days; ``rest_after`` once a run is long."""

    max_run: int
    rest_after: timedelta
    # Length of run that triggers the rest: the maximum for shifts, long shifts and long
    # evenings, but 1 for nights, because the 2019 amendment asks 46 h after *any* run of nights.
    rest_after_run_of: int


@dataclass(frozen=True, slots=True)
class WeekendLimit:
    """At most ``max_weekends`` weekends worked in any ``window_weekends`` consecutive weekends."""

    max_weekends: int = 1
    window_weekends: int = 3


@dataclass(frozen=True, slots=True)
class WeeklyRest:
    """WTR reg. 11: 24 h uninterrupted rest in each week, or 48 h (or 2 x 24 h) per fortnight."""

    weekly: timedelta = 24 * HOUR
    fortnightly: timedelta = 48 * HOUR


@dataclass(frozen=True, slots=True)
class NightWorkLimit:
    """WTR reg. 6: a night worker's hours average at most ``hours_per_24h`` per 24 h."""

    hours_per_24h: float = 8.0
    reference_weeks: int = 17
    # Reg. 6(5): days of weekly rest entitlement are left out of the divisor.
    rest_days_per_week: int = 1
    # Reg. 2 "as a normal course": after R v A-G for Northern Ireland ex p Burns [1999] a
    # regular feature is enough (nights one week in three), so a third of shifts by default.
    night_worker_share: float = 1 / 3

    @property
    def max_hours(self) -> float:
        """Hours allowed in one reference period."""
        days = self.reference_weeks * (7 - self.rest_days_per_week)
        return self.hours_per_24h * days


@dataclass(frozen=True, slots=True)
class BreakRule:
    """Break minutes due for a shift: ``minutes`` for each threshold the shift reaches."""

    thresholds: tuple[timedelta, ...]
    minutes: int
    # WTR reg. 12 says "more than six hours"; the TCS says "for every 5 hours worked".
    strictly_longer: bool


@dataclass(frozen=True, slots=True)
class Definitions:
    """How shifts are classified; local-time concepts use ``timezone``."""

    timezone: str = "Europe/London"
    # TCS 2016 sched. 3: a night shift has at least 3 hours of work between 23:00 and 06:00
    # (WTR reg. 2 uses the same 23:00-06:00 night time and 3 hours for a night worker).
    night_start: time = time(23, 0)
    night_end: time = time(6, 0)
    night_min: timedelta = 3 * HOUR
    long_shift_over: timedelta = 10 * HOUR
    long_evening_ends_after: time = time(23, 0)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """All safe-working limits for one staff group (``None`` switches a rule off)."""

    staff_group: str
    max_shift: timedelta | None
    min_rest: timedelta | None
    rolling: WindowLimit | None
    average: AverageLimit | None
    consecutive_shifts: RunLimit | None
    consecutive_long_shifts: RunLimit | None
    consecutive_nights: RunLimit | None
    consecutive_long_evenings: RunLimit | None
    weekends: WeekendLimit | None
    weekly_rest: WeeklyRest | None
    night_work: NightWorkLimit | None
    breaks: BreakRule
    definitions: Definitions = field(default_factory=Definitions)


DOCTOR_IN_TRAINING = "doctor_in_training"
WTR = "wtr"

# 2016 TCS for doctors and dentists in training, as amended in 2019 (shared/rules.md table).
DOCTORS_IN_TRAINING = RuleSet(
    staff_group=DOCTOR_IN_TRAINING,
    max_shift=13 * HOUR,
    min_rest=11 * HOUR,
    rolling=WindowLimit(window=timedelta(days=7), max_hours=72.0),
    average=AverageLimit(weeks=26, max_weekly_hours=48.0, opted_out_max_weekly_hours=56.0),
    consecutive_shifts=RunLimit(max_run=7, rest_after=48 * HOUR, rest_after_run_of=7),
    # NHS Employers' FAQ says 5; secondary sources say 4 since 2019: a Trust can lower it here.
    consecutive_long_shifts=RunLimit(max_run=5, rest_after=48 * HOUR, rest_after_run_of=5),
    consecutive_nights=RunLimit(max_run=4, rest_after=46 * HOUR, rest_after_run_of=1),
    consecutive_long_evenings=RunLimit(max_run=4, rest_after=48 * HOUR, rest_after_run_of=4),
    weekends=WeekendLimit(max_weekends=1, window_weekends=3),
    # The TCS limits are stricter than, and agreed in place of, the WTR rest and night-work
    # rules (hospital derogation, WTR reg. 21(c)), so those are not repeated for doctors.
    weekly_rest=None,
    night_work=None,
    # TCS sched. 3: 30 min per 5 h; a second after 9 h; a third on shifts of 12 h or more (2019).
    breaks=BreakRule(thresholds=(5 * HOUR, 9 * HOUR, 12 * HOUR), minutes=30, strictly_longer=False),
)

# Working Time Regulations 1998, for nurses, AHPs, HCAs, consultants and everyone else.
WORKING_TIME_REGULATIONS = RuleSet(
    staff_group=WTR,
    max_shift=None,
    min_rest=11 * HOUR,
    rolling=None,
    average=AverageLimit(weeks=17, max_weekly_hours=48.0, opted_out_max_weekly_hours=None),
    consecutive_shifts=None,
    consecutive_long_shifts=None,
    consecutive_nights=None,
    consecutive_long_evenings=None,
    weekends=None,
    weekly_rest=WeeklyRest(),
    night_work=NightWorkLimit(),
    breaks=BreakRule(thresholds=(6 * HOUR,), minutes=20, strictly_longer=True),
)

RULE_SETS: MappingProxyType[str, RuleSet] = MappingProxyType(
    {DOCTOR_IN_TRAINING: DOCTORS_IN_TRAINING, WTR: WORKING_TIME_REGULATIONS}
)


def rule_set_for(staff_group: str) -> RuleSet:
    """The default rule set of a staff group; the WTR for anyone not a doctor in training."""
    return RULE_SETS.get(staff_group, WORKING_TIME_REGULATIONS)


def required_break_minutes(shift_length: timedelta, rule_set: RuleSet = DOCTORS_IN_TRAINING) -> int:
    """Minutes of break due on a shift of this length (information for timesheets)."""
    rule = rule_set.breaks
    if rule.strictly_longer:
        due = sum(1 for threshold in rule.thresholds if shift_length > threshold)
    else:
        due = sum(1 for threshold in rule.thresholds if shift_length >= threshold)
    return due * rule.minutes
