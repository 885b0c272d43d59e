"""The rota as plain frozen data the builder works on (no database), and engine ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from bank.rules import Commitment, RuleSet

LONDON = ZoneInfo("Europe/London")
DAY_MINUTES = 24 * 60
# Cover lines a group has none for still price extra people, so nobody is rostered for nothing.
DEFAULT_UNDER_WEIGHT = 100
DEFAULT_OVER_WEIGHT = 10
# The WTR asks 24 h uninterrupted rest a week (reg. 11): a day off in any seven days gives it
# for shifts of up to 12 h whatever their times, so WTR staff work at most 6 days in a row.
WTR_MAX_CONSECUTIVE = 6
# An off-request this heavy outweighs any cover line: the engine treats it as a rule.
GUARD_WEIGHT = 10_000

#: cells[(member id, day index)] = shift type id
Cells = dict[tuple[int, int], int]


@dataclass(frozen=True)
class ShiftTypeSpec:
    id: int
    code: str
    name: str
    starts_at: time
    minutes: int

    def start_minute(self) -> int:
        return self.starts_at.hour * 60 + self.starts_at.minute


@dataclass(frozen=True)
class GroupSpec:
    id: int
    name: str
    supervised_by: int | None = None
    staff_group: str = "medical"
    grades: tuple[str, ...] = ()


@dataclass(frozen=True)
class CoverSpec:
    shift_type: int
    group: int
    required: int
    weekday: int | None = None
    under_weight: int = DEFAULT_UNDER_WEIGHT
    over_weight: int = DEFAULT_OVER_WEIGHT


@dataclass(frozen=True)
class RequestSpec:
    on: date
    shift_type: int
    wants: bool
    weight: int


@dataclass(frozen=True)
class MemberSpec:
    id: int
    name: str
    group: int
    contracted_minutes_per_week: int
    rule_set: RuleSet
    leave: frozenset[date] = frozenset()
    requests: tuple[RequestSpec, ...] = ()
    # Work elsewhere (bank bookings at any Trust) that counts toward every limit.
    other_commitments: tuple[Commitment, ...] = ()


@dataclass(frozen=True)
class RotaSpec:
    starts_on: date  # a Monday
    weeks: int
    shift_types: tuple[ShiftTypeSpec, ...]
    groups: tuple[GroupSpec, ...]
    covers: tuple[CoverSpec, ...]
    members: tuple[MemberSpec, ...]

    @property
    def days(self) -> int:
        return 7 * self.weeks

    def day_index(self, on: date) -> int:
        return (on - self.starts_on).days

    def date_of(self, day: int) -> date:
        return self.starts_on + timedelta(days=day)


def engine_type(shift_type: int, group: int) -> str:
    return f"T{shift_type}G{group}"


def engine_employee(member: int) -> str:
    return f"M{member}"
