"""Independent checker for SSB rosters: recomputes the objective and every hard constraint.

Written from the benchmark's description alone and sharing no code with ``rota.solver``, so a
bug in the model cannot hide itself by also living in the check. Usage::

    python -m rota.ssb.checker INSTANCE.txt ROSTER.txt

prints one JSON object: objective, feasible, violations (hard) and the cost breakdown (soft).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from rota.ssb.instance import SsbInstance, instance_path, load_instance

#: A roster as read from a file: one row per employee, one cell per day, "" for a day off.
Grid = list[list[str]]


@dataclass(frozen=True)
class Violation:
    """One broken hard constraint."""

    rule: str
    employee: str | None
    detail: str


@dataclass(frozen=True)
class CheckReport:
    """What the checker found in a roster."""

    instance: str
    objective: int
    feasible: bool
    violations: tuple[Violation, ...]
    cover_under: int
    cover_over: int
    on_requests: int
    off_requests: int

    def to_json(self) -> str:
        """The report as one line of JSON."""
        return json.dumps(asdict(self))


def parse_roster(text: str) -> Grid:
    """Parse roster text: one line per employee, tab-separated cells, empty cell = day off.

    Args:
        text: File content.

    Returns:
        One list of cells per non-empty line.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    return [[cell.strip() for cell in line.split("\t")] for line in lines]


def _runs(worked: list[bool], value: bool) -> list[tuple[int, int]]:
    """Maximal runs of ``value`` as ``(first day, length)``."""
    runs: list[tuple[int, int]] = []
    start = None
    for day, flag in enumerate([*worked, not value]):
        if flag == value and start is None:
            start = day
        elif flag != value and start is not None:
            runs.append((start, day - start))
            start = None
    return runs


def _check_employee(instance: SsbInstance, idx: int, row: list[str]) -> list[Violation]:
    staff = instance.staff[idx]
    horizon = instance.horizon
    shifts = {s.id: s for s in instance.shifts}
    found: list[Violation] = []

    def bad(rule: str, detail: str) -> None:
        found.append(Violation(rule, staff.id, detail))

    for day, cell in enumerate(row):
        if cell and cell not in shifts:
            bad("unknown_shift", f"day {day}: {cell!r}")
    cells = [cell if cell in shifts else "" for cell in row]
    worked = [bool(cell) for cell in cells]

    for day in instance.days_off.get(staff.id, ()):
        if 0 <= day < horizon and worked[day]:
            bad("day_off", f"works {cells[day]} on day off {day}")
    for day in range(horizon - 1):
        if worked[day] and worked[day + 1] and cells[day + 1] in shifts[cells[day]].cannot_follow:
            bad("forbidden_successor", f"{cells[day]} on day {day} then {cells[day + 1]}")

    limits = dict(staff.max_shifts)
    for shift_id in shifts:
        count = cells.count(shift_id)
        if count > limits.get(shift_id, horizon):
            bad("max_shifts", f"{count} x {shift_id} > {limits.get(shift_id)}")
    minutes = sum(shifts[cell].minutes for cell in cells if cell)
    if minutes > staff.max_total_minutes:
        bad("max_minutes", f"{minutes} > {staff.max_total_minutes}")
    if minutes < staff.min_total_minutes:
        bad("min_minutes", f"{minutes} < {staff.min_total_minutes}")

    for start, length in _runs(worked, True):
        if length > staff.max_consecutive_shifts:
            bad("max_consecutive", f"{length} days from day {start}")
        touches_edge = start == 0 or start + length == horizon
        if length < staff.min_consecutive_shifts and not touches_edge:
            bad("min_consecutive", f"{length} days from day {start}")
    for start, length in _runs(worked, False):
        touches_edge = start == 0 or start + length == horizon
        if length < staff.min_consecutive_days_off and not touches_edge:
            bad("min_days_off", f"{length} days off from day {start}")

    weekends = sum(
        1
        for saturday in range(5, horizon, 7)
        if worked[saturday] or (saturday + 1 < horizon and worked[saturday + 1])
    )
    if weekends > staff.max_weekends:
        bad("max_weekends", f"{weekends} > {staff.max_weekends}")
    return found


def check_roster(instance: SsbInstance, grid: Grid) -> CheckReport:
    """Check a roster against an instance.

    Args:
        instance: The parsed instance.
        grid: ``grid[e][d]`` is a shift id or ``""``, employees in ``SECTION_STAFF`` order.

    Returns:
        The objective recomputed from the roster and every hard-constraint violation.
    """
    violations: list[Violation] = []
    horizon = instance.horizon
    if len(grid) != len(instance.staff):
        violations.append(
            Violation("shape", None, f"{len(grid)} rows for {len(instance.staff)} employees")
        )
    rows: list[list[str]] = []
    for idx, staff in enumerate(instance.staff):
        row = list(grid[idx]) if idx < len(grid) else []
        if len(row) != horizon:
            violations.append(Violation("shape", staff.id, f"{len(row)} cells for {horizon} days"))
        row = (row + [""] * horizon)[:horizon]
        rows.append(row)
        violations.extend(_check_employee(instance, idx, row))

    by_id = {staff.id: row for staff, row in zip(instance.staff, rows, strict=True)}
    under = over = 0
    for line in instance.cover:
        have = sum(1 for row in rows if row[line.day] == line.shift)
        under += max(0, line.requirement - have) * line.weight_under
        over += max(0, have - line.requirement) * line.weight_over
    on = sum(r.weight for r in instance.on_requests if by_id[r.employee][r.day] != r.shift)
    off = sum(r.weight for r in instance.off_requests if by_id[r.employee][r.day] == r.shift)
    return CheckReport(
        instance=instance.name,
        objective=under + over + on + off,
        feasible=not violations,
        violations=tuple(violations),
        cover_under=under,
        cover_over=over,
        on_requests=on,
        off_requests=off,
    )


def check_files(instance_file: str | Path, roster_file: str | Path) -> CheckReport:
    """Check a roster file against an instance file.

    Args:
        instance_file: ``InstanceN.txt`` (or ``N``, looked up in the benchmark folder).
        roster_file: A roster as written by ``python -m rota.ssb --out``.

    Returns:
        The check report.
    """
    instance = load_instance(instance_path(str(instance_file)))
    grid = parse_roster(Path(roster_file).read_text(encoding="utf-8"))
    return check_roster(instance, grid)


def main(argv: list[str] | None = None) -> int:
    """Command line: print the report as JSON; exit 1 when a hard constraint is broken."""
    parser = argparse.ArgumentParser(prog="python -m rota.ssb.checker", description=__doc__)
    parser.add_argument("instance", help="instance file, or its number")
    parser.add_argument("roster", help="roster file (tab-separated, one line per employee)")
    args = parser.parse_args(argv)
    report = check_files(args.instance, args.roster)
    print(report.to_json())
    return 0 if report.feasible else 1


if __name__ == "__main__":
    sys.exit(main())
