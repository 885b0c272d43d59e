"""The rostering problem the solver takes: frozen dataclasses, no framework types.

The shape follows the Curtois & Qu shift scheduling benchmark, which is also what a Trust's
rota looks like once it is reduced to days, shift types, staff limits, requests and cover.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

#: A roster: ``roster[e][d]`` is the shift type id employee ``e`` works on day ``d``, or None.
Roster = tuple[tuple[str | None, ...], ...]


def _frozen_mapping(values: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(values))


@dataclass(frozen=True)
class ShiftType:
    """A kind of shift, e.g. an early, a long day or a night.

    Attributes:
        id: Unique short name.
        minutes: Paid length of the shift.
        forbidden_next: Shift type ids that may not be worked on the day after this one.
    """

    id: str
    minutes: int
    forbidden_next: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Employee:
    """One member of staff and the hard limits of their contract.

    Attributes:
        id: Unique short name.
        max_shifts: Most shifts of each type over the horizon; a type left out is unlimited,
            0 means the employee never works that type.
        max_minutes: Most paid minutes over the horizon.
        min_minutes: Fewest paid minutes over the horizon.
        max_consecutive: Longest allowed run of working days.
        min_consecutive: Shortest allowed run of working days (runs touching either end of the
            horizon are exempt).
        min_days_off: Shortest allowed run of days off (same exemption).
        max_weekends: Most weekends worked (a weekend is worked if Saturday or Sunday is).
        days_off: Days the employee must not work.
    """

    id: str
    max_shifts: Mapping[str, int] = field(default_factory=dict, hash=False)
    max_minutes: int = 10**9
    min_minutes: int = 0
    max_consecutive: int = 10**9
    min_consecutive: int = 1
    min_days_off: int = 1
    max_weekends: int = 10**9
    days_off: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        # A read-only view keeps the "frozen" promise for the nested mapping too.
        object.__setattr__(self, "max_shifts", _frozen_mapping(self.max_shifts))

    def limit_for(self, shift_id: str, horizon: int) -> int:
        """Most shifts of ``shift_id`` this employee may work within ``horizon`` days."""
        return min(self.max_shifts.get(shift_id, horizon), horizon)


@dataclass(frozen=True)
class Request:
    """A wish to work (on-request) or not to work (off-request) a shift on a day.

    Attributes:
        employee: Employee id.
        day: Day index, from 0.
        shift: Shift type id.
        weight: Cost if the wish is not honoured.
    """

    employee: str
    day: int
    shift: str
    weight: int


@dataclass(frozen=True)
class Cover:
    """How many people a shift type needs on a day, and the price of missing it.

    Attributes:
        day: Day index, from 0.
        shift: Shift type id.
        requirement: Wanted head count.
        under_weight: Cost per person short.
        over_weight: Cost per person too many.
    """

    day: int
    shift: str
    requirement: int
    under_weight: int
    over_weight: int


@dataclass(frozen=True)
class Problem:
    """Everything the solver needs to build a roster.

    Day 0 is a Monday, so weekend ``k`` is days ``7k + 5`` and ``7k + 6``.

    Attributes:
        days: Length of the horizon in days.
        shifts: Shift types.
        employees: Staff, in the order rosters list them.
        on_requests: Shifts employees asked to work.
        off_requests: Shifts employees asked not to work.
        covers: Wanted head count per day and shift type.
    """

    days: int
    shifts: tuple[ShiftType, ...]
    employees: tuple[Employee, ...]
    on_requests: tuple[Request, ...] = ()
    off_requests: tuple[Request, ...] = ()
    covers: tuple[Cover, ...] = ()

    def shift_index(self) -> dict[str, int]:
        """Map each shift type id to its position in ``shifts``."""
        return {s.id: i for i, s in enumerate(self.shifts)}

    def employee_index(self) -> dict[str, int]:
        """Map each employee id to its position in ``employees``."""
        return {e.id: i for i, e in enumerate(self.employees)}

    def paid_minutes(self, row: Sequence[str | None]) -> int:
        """Paid minutes of one employee's row (a shift type id or None per day)."""
        minutes = {s.id: s.minutes for s in self.shifts}
        return sum(minutes[c] for c in row if c is not None)

    def all_off(self) -> Roster:
        """The roster in which nobody works (usually breaks minimum-hours rules)."""
        return tuple((None,) * self.days for _ in self.employees)
