"""Demo rota: the junior doctors of one department of the first demo Trust, with a draft rota
for the four weeks from next Monday, ready to build at /workforce/rotas.

Days, long days and nights; cover by grade group (registrars, SHOs, and FY1s, who need a
registrar on the same shift); fifteen doctors on their contracts (two less than full time), a
little leave and a few requests. The doctors are the Trust's own staff, not bank members.
The rota is defined through the rota services, as a workforce team would, so it is valid by
the same checks, and by the demo's workforce lead, so the audit shows who.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.demo import DEMO_DOMAIN, FIRST_NAMES, LAST_NAMES, registration_number
from app.extensions import db
from app.models import Role, RoleMembership, User, Worker
from app.reference import RegistrationBody, StaffGroup
from rota.models import Rota
from rota.services import define_rota

LONDON = ZoneInfo("Europe/London")
WEEKS = 4
# Departments the demo rota prefers, in order; else the Trust's first.
DEPARTMENTS = ("Acute Medical Unit", "Emergency Department", "Elderly Care Ward 7")
SHIFT_TYPES = (
    {"code": "D", "name": "Day", "starts_at": time(8, 0), "minutes": 510},
    {"code": "LD", "name": "Long day", "starts_at": time(8, 0), "minutes": 750},
    {"code": "N", "name": "Night", "starts_at": time(20, 0), "minutes": 750},
)
GROUPS = (
    {"name": "Registrar", "grades": ["ST3", "ST4", "ST5", "ST6", "ST7", "ST8"]},
    {"name": "SHO", "grades": ["FY2", "CT1", "CT2"]},
    {"name": "FY1", "grades": ["FY1"], "supervised_by": "Registrar"},
)
SATURDAY, SUNDAY = 5, 6
# (shift type, grade group, people, weekday or None for every other day): a registrar and an
# SHO on every long day and night and on weekday days (the ward round); the FY1s work weekdays
# only, two on the day and one on the long day, always with a registrar on the same shift.
COVER = tuple(
    line
    for group in ("Registrar", "SHO")
    for line in (
        ("D", group, 1, None),
        ("D", group, 0, SATURDAY),
        ("D", group, 0, SUNDAY),
        ("LD", group, 1, None),
        ("N", group, 1, None),
    )
) + (
    ("D", "FY1", 2, None),
    ("D", "FY1", 0, SATURDAY),
    ("D", "FY1", 0, SUNDAY),
    ("LD", "FY1", 1, None),
    ("LD", "FY1", 0, SATURDAY),
    ("LD", "FY1", 0, SUNDAY),
)
# (grade group, grade, contracted hours a week): two doctors work less than full time.
STAFF = (
    ("Registrar", "ST3", 40),
    ("Registrar", "ST4", 40),
    ("Registrar", "ST4", 40),
    ("Registrar", "ST5", 32),
    ("Registrar", "ST6", 40),
    ("Registrar", "ST7", 40),
    ("SHO", "FY2", 40),
    ("SHO", "FY2", 40),
    ("SHO", "CT1", 40),
    ("SHO", "CT1", 32),
    ("SHO", "CT2", 40),
    ("FY1", "FY1", 40),
    ("FY1", "FY1", 40),
    ("FY1", "FY1", 40),
    ("FY1", "FY1", 40),
)
# GMC numbers of the rota's doctors, clear of the bank workers' (app.demo).
FIRST_REGISTRATION = 900_000


def first_monday_after(day: date) -> date:
    return day + timedelta(days=7 - day.weekday())


def plan(rng: random.Random, starts_on: date) -> dict[str, Any]:
    """The rota's definition (as `define_rota` takes it) and its doctors' names, without the
    workers' ids: a pure function of the random state and the first day."""
    days = [starts_on + timedelta(days=n) for n in range(7 * WEEKS)]
    weekdays = [d for d in days if d.weekday() < SATURDAY]
    doctors = []
    for group, grade, hours in STAFF:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        doctors.append(
            {"name": name, "grade": grade, "grade_group": group, "contracted_hours": hours}
        )
    # Annual leave: three doctors, a few weekdays each, in different weeks.
    for number, doctor in enumerate(rng.sample(doctors, 3)):
        first = rng.choice(weekdays[5 * number : 5 * number + 3])
        doctor["leave"] = [
            {"first_day": first, "last_day": first + timedelta(days=rng.randint(1, 3))}
        ]
    # Requests: some would rather not work a night (a course, a family event), some ask for
    # a day shift; the weights say how much it matters.
    for doctor in rng.sample(doctors, 6):
        wants = doctor["grade_group"] != "Registrar" and rng.random() < 0.4
        doctor["requests"] = [
            {
                "on": rng.choice(weekdays if wants else days),
                "shift_type": "D" if wants else "N",
                "wants": wants,
                "weight": rng.choice([5, 10, 20]),
            }
        ]
    return {
        "name": f"Junior doctors from {starts_on.day} {starts_on:%B %Y}",
        "starts_on": starts_on,
        "weeks": WEEKS,
        "shift_types": [dict(st) for st in SHIFT_TYPES],
        "grade_groups": [
            {"staff_group": StaffGroup.MEDICAL, "supervised_by": None, **group} for group in GROUPS
        ],
        "covers": [
            {"shift_type": st, "grade_group": group, "required": people, "weekday": weekday}
            for st, group, people, weekday in COVER
        ],
        "doctors": doctors,
    }


def load_demo(made, *, rng: random.Random, now: datetime) -> Rota | None:
    """Receiver of `app.signals.demo_core_loaded`: the first Trust's draft rota and its staff."""
    if not made.trusts:
        return None
    trust = made.trusts[0]
    lead = db.session.scalar(
        sa.select(User).where(User.email == f"workforce.{trust.ods_code.lower()}@{DEMO_DOMAIN}")
    )
    by_name = {d.name: d for d in trust.departments}
    department = next((by_name[n] for n in DEPARTMENTS if n in by_name), trust.departments[0])
    # A copy of the demo's random state: the same seed makes the same rota, and the other
    # domains' demo data does not change with it.
    own = random.Random()
    own.setstate(rng.getstate())
    definition = plan(own, first_monday_after(now.astimezone(LONDON).date()))
    members = []
    for index, doctor in enumerate(definition.pop("doctors")):
        user = User(
            email=f"{doctor['name'].replace(' ', '.')}.rota{index + 1}@{DEMO_DOMAIN}".lower(),
            full_name=doctor["name"],
            password_hash=lead.password_hash,  # the demo password, as every demo login
            password_changed_at=now,
            created_at=now,
            updated_at=now,
        )
        user.memberships = [RoleMembership(role=Role.WORKER, trust_id=None, created_at=now)]
        worker = Worker(
            user=user,
            staff_group=StaffGroup.MEDICAL,
            grade=doctor["grade"],
            registration_body=RegistrationBody.GMC,
            registration_number=registration_number(
                RegistrationBody.GMC, FIRST_REGISTRATION + index
            ),
            primary_trust_id=trust.id,
            created_at=now,
            updated_at=now,
        )
        db.session.add_all([user, worker])
        db.session.flush()
        members.append(
            {
                "worker_id": worker.id,
                "grade_group": doctor["grade_group"],
                "contracted_hours": doctor["contracted_hours"],
                "leave": doctor.get("leave", []),
                "requests": doctor.get("requests", []),
            }
        )
    return define_rota(
        trust,
        lead,
        {**definition, "department_id": department.id, "members": members},
        now=now,
    )
