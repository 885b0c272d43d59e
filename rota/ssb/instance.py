"""Reader for the Curtois & Qu shift scheduling benchmark (SSB) text format.

The files are distributed with Windows line endings; ``#`` starts a comment line and a blank line
ends a section. :class:`SsbInstance` mirrors the file as it is, so the independent checker can
work from it without the solver; :func:`to_problem` turns it into the solver's dataclasses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rota.solver.problem import Cover, Employee, Problem, Request, Roster, ShiftType

#: ``ssb/`` in the shared benchmarks folder next to the repository (override with SSB_DIR).
DEFAULT_SSB_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks" / "ssb"


def ssb_dir() -> Path:
    """Folder holding the benchmark instances: ``$SSB_DIR`` or the shared benchmarks folder."""
    return Path(os.environ.get("SSB_DIR", DEFAULT_SSB_DIR))


def instance_path(name: str | int) -> Path:
    """Path of a benchmark instance given as ``3``, ``"Instance3"`` or a file path."""
    text = str(name)
    if text.isdigit():
        return ssb_dir() / f"Instance{text}.txt"
    path = Path(text)
    if path.exists() or path.suffix:
        return path
    return ssb_dir() / f"{text}.txt"


@dataclass(frozen=True)
class SsbShift:
    """A ``SECTION_SHIFTS`` line."""

    id: str
    minutes: int
    cannot_follow: tuple[str, ...]


@dataclass(frozen=True)
class SsbStaff:
    """A ``SECTION_STAFF`` line."""

    id: str
    max_shifts: tuple[tuple[str, int], ...]
    max_total_minutes: int
    min_total_minutes: int
    max_consecutive_shifts: int
    min_consecutive_shifts: int
    min_consecutive_days_off: int
    max_weekends: int


@dataclass(frozen=True)
class SsbRequest:
    """A ``SECTION_SHIFT_ON_REQUESTS`` or ``SECTION_SHIFT_OFF_REQUESTS`` line."""

    employee: str
    day: int
    shift: str
    weight: int


@dataclass(frozen=True)
class SsbCover:
    """A ``SECTION_COVER`` line."""

    day: int
    shift: str
    requirement: int
    weight_under: int
    weight_over: int


@dataclass(frozen=True)
class SsbInstance:
    """One benchmark instance, field for field as in the file."""

    name: str
    horizon: int
    shifts: tuple[SsbShift, ...]
    staff: tuple[SsbStaff, ...]
    days_off: dict[str, tuple[int, ...]]
    on_requests: tuple[SsbRequest, ...]
    off_requests: tuple[SsbRequest, ...]
    cover: tuple[SsbCover, ...]


def _sections(text: str) -> dict[str, list[list[str]]]:
    sections: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for raw in text.splitlines():  # splitlines also eats the Windows "\r"
        line = raw.strip()
        if line.startswith("#"):
            continue
        if not line:
            current = None
            continue
        if line.startswith("SECTION_"):
            current = sections.setdefault(line, [])
            continue
        if current is None:
            raise ValueError(f"data outside a section: {line!r}")
        current.append([field.strip() for field in line.split(",")])
    return sections


def parse_instance(text: str, name: str = "instance") -> SsbInstance:
    """Parse the text of an SSB instance.

    Args:
        text: File content (any line endings).
        name: Name to carry along, e.g. ``"Instance1"``.

    Returns:
        The instance as written in the file.
    """
    sections = _sections(text)
    horizon = int(sections["SECTION_HORIZON"][0][0])
    shifts = tuple(
        SsbShift(f[0], int(f[1]), tuple(t for t in (f[2] if len(f) > 2 else "").split("|") if t))
        for f in sections.get("SECTION_SHIFTS", [])
    )
    staff = []
    for f in sections.get("SECTION_STAFF", []):
        pairs = tuple(
            (key, int(value)) for key, value in (p.split("=") for p in f[1].split("|") if p)
        )
        staff.append(SsbStaff(f[0], pairs, *(int(v) for v in f[2:8])))
    days_off = {
        f[0]: tuple(int(d) for d in f[1:] if d) for f in sections.get("SECTION_DAYS_OFF", [])
    }

    def requests(section: str) -> tuple[SsbRequest, ...]:
        return tuple(
            SsbRequest(f[0], int(f[1]), f[2], int(f[3])) for f in sections.get(section, [])
        )

    cover = tuple(
        SsbCover(int(f[0]), f[1], int(f[2]), int(f[3]), int(f[4]))
        for f in sections.get("SECTION_COVER", [])
    )
    return SsbInstance(
        name=name,
        horizon=horizon,
        shifts=shifts,
        staff=tuple(staff),
        days_off=days_off,
        on_requests=requests("SECTION_SHIFT_ON_REQUESTS"),
        off_requests=requests("SECTION_SHIFT_OFF_REQUESTS"),
        cover=cover,
    )


def load_instance(path: str | os.PathLike[str]) -> SsbInstance:
    """Read and parse an SSB instance file.

    Args:
        path: The ``InstanceN.txt`` file.

    Returns:
        The parsed instance, named after the file's stem.
    """
    path = Path(path)
    return parse_instance(path.read_text(encoding="utf-8-sig"), name=path.stem)


def to_problem(instance: SsbInstance) -> Problem:
    """Convert an SSB instance into the solver's problem.

    Args:
        instance: A parsed instance.

    Returns:
        The same rules as solver dataclasses, staff in file order.
    """
    shifts = tuple(ShiftType(s.id, s.minutes, frozenset(s.cannot_follow)) for s in instance.shifts)
    employees = tuple(
        Employee(
            id=st.id,
            max_shifts=dict(st.max_shifts),
            max_minutes=st.max_total_minutes,
            min_minutes=st.min_total_minutes,
            max_consecutive=st.max_consecutive_shifts,
            min_consecutive=st.min_consecutive_shifts,
            min_days_off=st.min_consecutive_days_off,
            max_weekends=st.max_weekends,
            days_off=frozenset(instance.days_off.get(st.id, ())),
        )
        for st in instance.staff
    )

    def requests(items: tuple[SsbRequest, ...]) -> tuple[Request, ...]:
        return tuple(Request(r.employee, r.day, r.shift, r.weight) for r in items)

    covers = tuple(
        Cover(c.day, c.shift, c.requirement, c.weight_under, c.weight_over) for c in instance.cover
    )
    return Problem(
        days=instance.horizon,
        shifts=shifts,
        employees=employees,
        on_requests=requests(instance.on_requests),
        off_requests=requests(instance.off_requests),
        covers=covers,
    )


def format_roster(roster: Roster) -> str:
    """Roster file text: one line per employee, one tab-separated cell per day (empty = off).

    Args:
        roster: ``roster[e][d]`` is a shift id or None, employees in ``SECTION_STAFF`` order.

    Returns:
        The text RosterViewer and :mod:`rota.ssb.checker` read.
    """
    return "".join("\t".join(cell or "" for cell in row) + "\n" for row in roster)


def format_instance(instance: SsbInstance) -> str:
    """Write an instance in the SSB text format, with the Windows line endings of the originals.

    Args:
        instance: The instance.

    Returns:
        Text that :func:`parse_instance` reads back to an equal instance.
    """
    sections: list[tuple[str, list[str]]] = [
        ("SECTION_HORIZON", [str(instance.horizon)]),
        (
            "SECTION_SHIFTS",
            [f"{s.id},{s.minutes},{'|'.join(s.cannot_follow)}" for s in instance.shifts],
        ),
        (
            "SECTION_STAFF",
            [
                ",".join(
                    [
                        st.id,
                        "|".join(f"{k}={v}" for k, v in st.max_shifts),
                        *(
                            str(v)
                            for v in (
                                st.max_total_minutes,
                                st.min_total_minutes,
                                st.max_consecutive_shifts,
                                st.min_consecutive_shifts,
                                st.min_consecutive_days_off,
                                st.max_weekends,
                            )
                        ),
                    ]
                )
                for st in instance.staff
            ],
        ),
        (
            "SECTION_DAYS_OFF",
            [",".join([emp, *map(str, days)]) for emp, days in instance.days_off.items() if days],
        ),
    ]
    for name, requests in (
        ("SECTION_SHIFT_ON_REQUESTS", instance.on_requests),
        ("SECTION_SHIFT_OFF_REQUESTS", instance.off_requests),
    ):
        sections.append((name, [f"{r.employee},{r.day},{r.shift},{r.weight}" for r in requests]))
    sections.append(
        (
            "SECTION_COVER",
            [
                f"{c.day},{c.shift},{c.requirement},{c.weight_under},{c.weight_over}"
                for c in instance.cover
            ],
        )
    )
    lines: list[str] = []
    for name, body in sections:
        lines += [name, *body, ""]
    return "\r\n".join(lines) + "\r\n"
