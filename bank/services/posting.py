"""Posting shifts in bulk: a repeating block (the same shift on chosen weekdays between two
dates, all or nothing) and a CSV upload (every bad row reported with its line and reason; the
good rows posted only when the user confirms). Each shift goes through `post_shift`, so the
checks and the rate card are the same as for one shift posted by hand."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.errors import ValidationFailed
from app.extensions import db
from app.models import Department, Trust, User
from app.reference import StaffGroup
from app.services import record_audit
from bank.models import Shift
from bank.services.shifts import post_shift

LONDON = ZoneInfo("Europe/London")
MAX_BLOCK_SHIFTS = 200
MAX_BLOCK_DAYS = 366
MAX_CSV_ROWS = 2000
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def local_span(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """A shift's start and end as aware datetimes from UK wall-clock times; an end at or before
    the start is the next day (a night). Clock changes are real: zoneinfo gives the offset."""
    start_at = datetime.combine(day, start, LONDON)
    end_day = day + timedelta(days=1) if end <= start else day
    return start_at, datetime.combine(end_day, end, LONDON)


def block_dates(date_from: date, date_to: date, weekdays: list[int]) -> list[date]:
    """The dates from `date_from` to `date_to` (inclusive) falling on `weekdays` (0 Monday)."""
    days = (date_to - date_from).days + 1
    return [
        date_from + timedelta(days=n)
        for n in range(max(days, 0))
        if (date_from + timedelta(days=n)).weekday() in weekdays
    ]


def post_block(
    trust: Trust,
    actor: User,
    *,
    department_id: int,
    staff_group: StaffGroup,
    grade: str,
    date_from: date,
    date_to: date,
    weekdays: list[int],
    start: time,
    end: time,
    now: datetime,
    **details,
) -> list[Shift]:
    """Post the same shift on each chosen weekday between two dates, all or nothing: the first
    invalid date raises and the caller's transaction posts none of them."""
    if date_to < date_from:
        raise ValidationFailed.on("date_to", "The last date must be on or after the first")
    if (date_to - date_from).days >= MAX_BLOCK_DAYS:
        raise ValidationFailed.on("date_to", "A block can cover at most a year")
    if not weekdays:
        raise ValidationFailed.on("weekdays", "Choose at least one day of the week")
    days = block_dates(date_from, date_to, sorted(set(weekdays)))
    if not days:
        raise ValidationFailed.on("weekdays", "None of these days fall between the dates")
    if len(days) > MAX_BLOCK_SHIFTS:
        raise ValidationFailed.on(
            "date_to", f"That makes {len(days)} shifts; post at most {MAX_BLOCK_SHIFTS} at once"
        )
    shifts = []
    for day in days:
        start_at, end_at = local_span(day, start, end)
        try:
            shifts.append(
                post_shift(
                    trust,
                    actor,
                    department_id=department_id,
                    staff_group=staff_group,
                    grade=grade,
                    start_at=start_at,
                    end_at=end_at,
                    now=now,
                    **details,
                )
            )
        except ValidationFailed as error:
            on = f"{WEEKDAYS[day.weekday()]} {day:%d %B %Y}"
            raise ValidationFailed(
                f"{on}: {error.detail}",
                errors={k: [f"{on}: {m}" for m in v] for k, v in error.errors.items()},
            ) from error
    record_audit(
        "shift.block_posted",
        trust,
        actor=actor,
        now=now,
        trust_id=trust.id,
        after={
            "shifts": [s.id for s in shifts],
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
            "weekdays": sorted(set(weekdays)),
        },
    )
    return shifts


# CSV upload --------------------------------------------------------------------------------

REQUIRED_COLUMNS = ("department", "date", "start", "end", "grade")
OPTIONAL_COLUMNS = ("staff_group", "rate", "acceptable_grades", "urgent", "notes")
ALIASES = {
    "cost_centre": "department",
    "department_id": "department",
    "cost centre": "department",
    "staff group": "staff_group",
    "rate_gbp": "rate",
    "acceptable grades": "acceptable_grades",
}


@dataclass(frozen=True)
class Preview:
    """A row's shift as it would be posted (kept after a dry run rolls the shift back)."""

    department_id: int
    department_name: str
    start_at: datetime
    end_at: datetime
    grade: str
    band: str
    pence_per_hour: int


@dataclass
class RowResult:
    line: int
    errors: list[str] = field(default_factory=list)
    shift: Shift | None = None
    preview: Preview | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportResult:
    dry_run: bool
    rows: list[RowResult]

    @property
    def good_rows(self) -> int:
        return sum(r.ok for r in self.rows)

    @property
    def bad_rows(self) -> int:
        return len(self.rows) - self.good_rows

    @property
    def posted(self) -> int:
        return 0 if self.dry_run else self.good_rows


def _date(text: str) -> date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a date only)
        except ValueError:
            pass
    raise ValueError(f"'{text}' is not a date (use 2026-11-05 or 05/11/2026)")


def _time(text: str, column: str) -> time:
    try:
        return time.fromisoformat(text.strip().zfill(5))
    except ValueError:
        raise ValueError(f"{column} '{text.strip()}' is not a time (use 08:00)") from None


def _staff_group(text: str) -> StaffGroup:
    text = text.strip().lower()
    if not text:
        return StaffGroup.MEDICAL
    for group in StaffGroup:
        if text in (group.value, group.label.lower()):
            return group
    raise ValueError(f"staff group '{text}' is not one of {', '.join(g.value for g in StaffGroup)}")


def _departments(trust: Trust) -> dict[str, int]:
    """Keys a CSV may use for a department of the Trust: its cost centre, id or name."""
    keys: dict[str, int] = {}
    for department in db.session.scalars(
        sa.select(Department).where(Department.trust_id == trust.id)
    ):
        keys[department.name.strip().lower()] = department.id
        keys[str(department.id)] = department.id
        keys[department.cost_centre.strip().lower()] = department.id
    return keys


def _header(reader: csv.DictReader) -> list[str]:
    names = [ALIASES.get(n.strip().lower(), n.strip().lower()) for n in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise ValidationFailed.on(
            "file",
            f"Line 1 (the header) lacks the column(s) {', '.join(missing)}; the columns are "
            f"{', '.join(REQUIRED_COLUMNS)} and optionally {', '.join(OPTIONAL_COLUMNS)}",
        )
    return names


def import_shifts_csv(
    trust: Trust, actor: User, text: str, *, now: datetime, dry_run: bool
) -> ImportResult:
    """Check every row of a CSV of shifts and, unless `dry_run`, post the good ones.

    Each row is posted in a savepoint, so a bad row is reported (with its line number in the
    file, the header being line 1) and the rest go on; a dry run rolls every row back.
    """
    if text.startswith("\ufeff"):  # Excel's byte order mark
        text = text[1:]
    reader = csv.DictReader(io.StringIO(text))
    reader.fieldnames = _header(reader)
    departments = _departments(trust)
    results: list[RowResult] = []
    outer = db.session.begin_nested()
    for row in reader:
        line = reader.line_num
        if len(results) >= MAX_CSV_ROWS:
            raise ValidationFailed.on("file", f"Upload at most {MAX_CSV_ROWS} rows at once")
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # a blank line
        results.append(_import_row(trust, actor, row, line, departments, now))
    if not results:
        outer.rollback()
        raise ValidationFailed.on("file", "The file has no rows of shifts under its header")
    if dry_run:
        outer.rollback()
        for result in results:
            result.shift = None
    else:
        outer.commit()
        if not any(r.ok for r in results):
            raise ValidationFailed(
                "No row of the file can be posted.",
                errors={"file": [f"Line {r.line}: {'; '.join(r.errors)}" for r in results]},
            )
        record_audit(
            "shift.csv_imported",
            trust,
            actor=actor,
            now=now,
            trust_id=trust.id,
            after={
                "shifts": [r.shift.id for r in results if r.shift],
                "bad_lines": [r.line for r in results if not r.ok],
            },
        )
    return ImportResult(dry_run, results)


def _import_row(
    trust: Trust,
    actor: User,
    row: dict,
    line: int,
    departments: dict[str, int],
    now: datetime,
) -> RowResult:
    result = RowResult(line)

    def cell(name: str) -> str:
        value = row.get(name)
        return value.strip() if isinstance(value, str) else ""

    department_id = departments.get(cell("department").lower())
    if department_id is None:
        result.errors.append(f"no department '{cell('department')}' at {trust.name}")
    day = start = end = group = rate = None
    try:
        day = _date(cell("date"))
    except ValueError as error:
        result.errors.append(str(error))
    for column in ("start", "end"):
        try:
            value = _time(cell(column), column)
            start, end = (value, end) if column == "start" else (start, value)
        except ValueError as error:
            result.errors.append(str(error))
    try:
        group = _staff_group(cell("staff_group"))
    except ValueError as error:
        result.errors.append(str(error))
    if cell("rate"):
        try:
            rate = round(float(cell("rate").lstrip("£")) * 100)
        except ValueError:
            result.errors.append(f"rate '{cell('rate')}' is not an amount in pounds (like 82.50)")
    if not cell("grade"):
        result.errors.append("grade is missing")
    if result.errors:
        return result
    start_at, end_at = local_span(day, start, end)
    extra = [g.strip() for g in cell("acceptable_grades").replace(";", ",").split(",")]
    try:
        with db.session.begin_nested():
            result.shift = post_shift(
                trust,
                actor,
                department_id=department_id,
                staff_group=group,
                grade=cell("grade"),
                start_at=start_at,
                end_at=end_at,
                now=now,
                acceptable_grades=[g for g in extra if g],
                pence_per_hour=rate,
                urgent=cell("urgent").lower() in ("1", "yes", "y", "true"),
                notes=cell("notes") or None,
            )
        shift = result.shift
        result.preview = Preview(
            shift.department_id,
            shift.department.name,
            shift.start_at,
            shift.end_at,
            shift.grade,
            shift.band.value,
            shift.pence_per_hour,
        )
    except ValidationFailed as error:
        result.errors += [m for messages in error.errors.values() for m in messages] or [
            error.detail
        ]
    return result
