"""Commitments, breaches, and the classification of a shift in local time.

Durations are computed on absolute time (whole seconds since the epoch, UTC), never by
subtracting two datetimes of the same zone, which Python does on wall-clock time and which would
count a night across the October clock change as 12 h instead of its real 13 h.
Local-time ideas (night hours, weekends, calendar days, "ends after 23:00") use the rule set's
time zone, Europe/London by default.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bank.rules.ruleset import Definitions

_SECOND = timedelta(seconds=1)
_MIDNIGHT = time(0, 0)
DAY_S = 86_400
WEEK_S = 7 * DAY_S
SATURDAY = 5


@dataclass(frozen=True, slots=True)
class Commitment:
    """A period the worker is committed to work: a bank booking or substantive rota hours."""

    ref: str
    start: datetime
    end: datetime
    trust_id: int | None = None
    kind: str = "bank"
    place: str | None = None  # how the worker knows where it is ("Tame Hospitals"), if known

    def __post_init__(self) -> None:
        if self.start.utcoffset() is None or self.end.utcoffset() is None:
            raise ValueError(f"commitment {self.ref}: start and end must be timezone-aware")
        if self.end <= self.start:
            raise ValueError(f"commitment {self.ref}: end must be after start")


@dataclass(frozen=True, slots=True)
class Breach:
    """One safe-working rule broken, with the commitments involved (in time order)."""

    rule: str
    message: str
    refs: tuple[Commitment, ...]


def epoch_seconds(moment: datetime) -> int:
    """Whole seconds since 1970-01-01 UTC (absolute time, whatever the zone)."""
    # timestamp() works on the UTC instant and, for any moment after 1970, int() floors the
    # microseconds: times are resolved to the second.
    return int(moment.timestamp())


@lru_cache(maxsize=64)
def zone(key: str) -> ZoneInfo:
    """The ZoneInfo for a key (cached)."""
    return ZoneInfo(key)


@lru_cache(maxsize=8192)
def local_instant(ordinal: int, at: time, tz_key: str) -> int:
    """Epoch seconds of a local wall-clock time on a local date."""
    moment = datetime.combine(date.fromordinal(ordinal), at, tzinfo=zone(tz_key))
    return epoch_seconds(moment)


def local_datetime(seconds: int, tz_key: str) -> datetime:
    """The local datetime of an epoch second."""
    return datetime.fromtimestamp(seconds, zone(tz_key))


class Item(NamedTuple):
    """A commitment prepared for checking: epoch seconds, local day and its classification."""

    # A named tuple rather than a frozen dataclass: the candidate is classified on every check,
    # and a tuple is several times quicker to build.

    commitment: Commitment
    s: int
    e: int
    day: int  # local calendar date (ordinal) the shift starts on
    night: bool
    long: bool
    long_evening: bool
    weekends: tuple[int, ...]  # ordinals of the Saturdays of weekends it touches

    @property
    def hours(self) -> float:
        """Real hours worked."""
        return (self.e - self.s) / 3600


# Night windows (epoch seconds) by local day, per (zone, night start, night end): computed once
# per day, as zoneinfo conversions are the slowest part of classifying a shift.
_NIGHT_WINDOWS: dict[tuple[str, time, time], dict[int, tuple[int, int]]] = {}


def night_seconds(s: int, e: int, first_day: int, last_day: int, d: Definitions) -> int:
    """Real seconds of [s, e) falling in local night time (23:00-06:00 by default)."""
    windows = _NIGHT_WINDOWS.setdefault((d.timezone, d.night_start, d.night_end), {})
    total = 0
    for day in range(first_day - 1, last_day + 1):
        window = windows.get(day)
        if window is None:
            wraps = d.night_end <= d.night_start
            window = (
                local_instant(day, d.night_start, d.timezone),
                local_instant(day + 1 if wraps else day, d.night_end, d.timezone),
            )
            windows[day] = window
        overlap = min(e, window[1]) - max(s, window[0])
        if overlap > 0:
            total += overlap
    return total


def make_item(c: Commitment, d: Definitions) -> Item:
    """Classify a commitment (night, long, long evening, weekends) under the definitions."""
    s = epoch_seconds(c.start)
    e = epoch_seconds(c.end)
    tz = d.timezone
    local_start = local_datetime(s, tz)
    local_end = local_datetime(e, tz)
    first_day = local_start.toordinal()
    # The last day worked: a shift ending at midnight has not worked the day it ends on.
    last_day = local_end.toordinal() - (1 if local_end.time() == _MIDNIGHT else 0)
    length = e - s
    night = night_seconds(s, e, first_day, last_day, d) >= d.night_min // _SECOND
    long = length > d.long_shift_over // _SECOND
    ends_late = local_end.toordinal() > first_day or local_end.time() > d.long_evening_ends_after
    # A long shift running past 23:00 with 3 h of night is a night, not a long evening: the
    # TCS limits them separately and counting it twice would double the same fatigue rule.
    long_evening = long and ends_late and not night
    weekends: list[int] = []
    for day in range(first_day, last_day + 1):
        weekday = (day + 6) % 7  # date.weekday() of an ordinal
        if weekday >= SATURDAY:
            saturday = day - (weekday - SATURDAY)
            if saturday not in weekends:
                weekends.append(saturday)
    return Item(c, s, e, first_day, night, long, long_evening, tuple(weekends))


def order(item: Item) -> tuple[int, int, str]:
    """The time order of commitments: start, then end, then reference."""
    return (item.s, item.e, item.commitment.ref)


def refs_of(items: Iterable[Item]) -> tuple[Commitment, ...]:
    """The distinct commitments of some items, in time order."""
    unique = {id(it): it for it in items}  # by identity: hashing a commitment is slow
    return tuple(it.commitment for it in sorted(unique.values(), key=order))


def format_span(seconds: int) -> str:
    """A duration as "10 h 59 min" (or "11 h", "30 min")."""
    minutes = max(seconds, 0) // 60
    hours, mins = divmod(minutes, 60)
    if not mins:
        return f"{hours} h"
    return f"{hours} h {mins} min" if hours else f"{mins} min"


def format_hours(hours: float) -> str:
    """Hours as "72 h 30 min"."""
    return format_span(round(hours * 3600))


@lru_cache(maxsize=4096)
def format_when(seconds: int, tz_key: str) -> str:
    """A moment in local time, as "Tue 02 Jun 08:00"."""
    return local_datetime(seconds, tz_key).strftime("%a %d %b %H:%M")


def format_day(ordinal: int) -> str:
    """A local date, as "Sat 06 Jun"."""
    return date.fromordinal(ordinal).strftime("%a %d %b")


def describe(item: Item) -> str:
    """A worker-facing name for a commitment: "night shift at Trust 3", "rota shift at Trust 1"."""
    c = item.commitment
    kind = "" if c.kind == "bank" else f"{c.kind} "
    shape = "night shift" if item.night else "shift"
    if c.place:
        where = f" at {c.place}"
    else:
        where = f" at Trust {c.trust_id}" if c.trust_id is not None else ""
    return f"{kind}{shape}{where}"
