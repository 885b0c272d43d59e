"""The demo and load-data generator: a realistic ICS of any size, seeded and repeatable.

`flask demo load --trusts 5` makes the demo; `--trusts 24 --workers 6000` makes the reference
ICS the benchmarks run on. It writes rows directly (it is a loader, not a user action) and
then sends `app.signals.demo_core_loaded` so that each domain adds its own demo data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from app.auth import hash_password
from app.extensions import db
from app.models import Department, Role, RoleMembership, Site, Trust, User, Worker
from app.reference import GRADES, REGISTRATION_BODY_FOR_GROUP, RegistrationBody, StaffGroup
from app.services import record_audit
from app.signals import demo_core_loaded

DEMO_PASSWORD = "bank-demo-2026"
DEMO_DOMAIN = "demo.nhs.uk"

PLACES = (
    "Mersey Vale",
    "Pennine",
    "Ribble",
    "Irwell",
    "Wyre",
    "Fylde",
    "Bollin",
    "Tame",
    "Calder",
    "Douglas",
    "Weaver",
    "Dane",
    "Lune",
    "Kent Estuary",
    "Goyt",
    "Roch",
    "Croal",
    "Sankey",
    "Alt",
    "Ditton",
    "Etherow",
    "Hodder",
    "Yarrow",
    "Medlock",
)
TRUST_KINDS = (
    "Teaching Hospitals NHS Foundation Trust",
    "Hospitals NHS Trust",
    "University Hospitals NHS Foundation Trust",
)
SITE_KINDS = ("General Hospital", "Royal Infirmary", "Community Hospital")
SPECIALTIES = (
    ("Emergency Department", "Emergency medicine"),
    ("Acute Medical Unit", "Acute medicine"),
    ("Ward 4 Respiratory", "Respiratory medicine"),
    ("Surgical Assessment Unit", "General surgery"),
    ("Paediatrics", "Paediatrics"),
    ("Labour Ward", "Obstetrics and gynaecology"),
    ("Critical Care", "Intensive care medicine"),
    ("Elderly Care Ward 7", "Geriatric medicine"),
    ("Orthopaedics", "Trauma and orthopaedics"),
    ("Cardiology", "Cardiology"),
)
FIRST_NAMES = (
    "Amara",
    "Oliver",
    "Priya",
    "James",
    "Siobhan",
    "Mohammed",
    "Chloe",
    "Tomasz",
    "Aisha",
    "Daniel",
    "Grace",
    "Kwame",
    "Hannah",
    "Rhys",
    "Fatima",
    "Liam",
    "Mei",
    "Owen",
    "Zara",
    "Samuel",
    "Niamh",
    "Arjun",
    "Ellie",
    "Chidi",
    "Sophie",
    "Yusuf",
    "Isla",
    "Ravi",
    "Megan",
    "Ioana",
    "Callum",
    "Leah",
    "Hamza",
    "Rosie",
    "Adebayo",
    "Lucy",
    "Imran",
    "Freya",
    "Kofi",
)
LAST_NAMES = (
    "Okafor",
    "Hughes",
    "Patel",
    "Walsh",
    "Khan",
    "Roberts",
    "Nowak",
    "Begum",
    "Evans",
    "Mensah",
    "Taylor",
    "Jones",
    "Ahmed",
    "Murphy",
    "Chen",
    "Williams",
    "Singh",
    "Davies",
    "Adeyemi",
    "Thompson",
    "Kowalski",
    "Hussain",
    "Wright",
    "Osei",
    "Clarke",
    "Ali",
    "Lewis",
    "Nguyen",
    "Brown",
    "Popescu",
    "Wilson",
    "Shah",
    "Green",
    "Ibrahim",
    "Hall",
    "Iqbal",
)
# Shares of the bank by staff group: collaborative banks are mostly doctors and nurses.
STAFF_MIX = (
    (StaffGroup.MEDICAL, 0.55),
    (StaffGroup.NURSING, 0.35),
    (StaffGroup.AHP, 0.05),
    (StaffGroup.SUPPORT, 0.05),
)


@dataclass
class DemoICS:
    """What the generator made, and the logins to print."""

    trusts: list[Trust] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, email, where)


def demo_present() -> bool:
    """Whether a demo (or any data) is already loaded."""
    return db.session.scalar(sa.select(sa.func.count(Trust.id))) > 0


def registration_number(body: RegistrationBody, index: int) -> str:
    """A well-formed, unique registration number for the index-th worker."""
    if body == RegistrationBody.GMC:
        return f"{7_000_000 + index:07d}"
    if body == RegistrationBody.NMC:
        letters = "ABCDEFGHJKLMNPRSTUVWXY"
        return (
            f"{10 + index % 90:02d}{letters[index // 10_000 % len(letters)]}"
            f"{index % 10_000:04d}{letters[index % len(letters)]}"
        )
    return f"PH{100_000 + index:06d}"


def generate(*, trusts: int, workers: int, seed: int, now: datetime) -> DemoICS:
    """Add a demo ICS of `trusts` Trusts and `workers` bank workers; flushes, never commits."""
    rng = random.Random(seed)
    password_hash = hash_password(DEMO_PASSWORD)  # one hash for every demo login: fast to load
    made = DemoICS()
    users: list[User] = []

    def user(email: str, name: str, roles: list[tuple[Role, int | None]]) -> User:
        row = User(
            email=email,
            full_name=name,
            password_hash=password_hash,
            password_changed_at=now,
            created_at=now,
            updated_at=now,
        )
        row.memberships = [RoleMembership(role=r, trust_id=t, created_at=now) for r, t in roles]
        users.append(row)
        return row

    for index in range(trusts):
        place = PLACES[index % len(PLACES)] + ("" if index < len(PLACES) else f" {index}")
        trust = Trust(
            name=f"{place} {TRUST_KINDS[index % len(TRUST_KINDS)]}",
            ods_code=f"R{index + 1:02d}",
            created_at=now,
            updated_at=now,
        )
        db.session.add(trust)
        made.trusts.append(trust)
    db.session.flush()

    for trust in made.trusts:
        place = trust.name.split(" Teaching")[0].split(" Hospitals")[0].split(" University")[0]
        sites = [
            Site(trust_id=trust.id, name=f"{place} {kind}", created_at=now, updated_at=now)
            for kind in SITE_KINDS[: rng.randint(1, 3)]
        ]
        db.session.add_all(sites)
        db.session.flush()
        for number, (name, specialty) in enumerate(rng.sample(SPECIALTIES, rng.randint(4, 7))):
            db.session.add(
                Department(
                    trust_id=trust.id,
                    site_id=rng.choice(sites).id,
                    name=name,
                    specialty=specialty,
                    cost_centre=f"{trust.ods_code}-{number + 101}",
                    created_at=now,
                    updated_at=now,
                )
            )
        slug = trust.ods_code.lower()
        for role, prefix, title in (
            (Role.WORKFORCE, "workforce", "Workforce Lead"),
            (Role.COMPLIANCE, "compliance", "Compliance Officer"),
            (Role.FINANCE, "finance", "Finance Lead"),
        ):
            email = f"{prefix}.{slug}@{DEMO_DOMAIN}"
            user(email, f"{title}, {trust.ods_code}", [(role, trust.id)])
            if trust is made.trusts[0]:
                made.logins.append((role.label, email, trust.name))

    user(f"ics.admin@{DEMO_DOMAIN}", "ICS Administrator", [(Role.ICS_ADMIN, None)])
    user(f"finance.ics@{DEMO_DOMAIN}", "ICS Finance Lead", [(Role.FINANCE, None)])
    made.logins.append((Role.ICS_ADMIN.label, f"ics.admin@{DEMO_DOMAIN}", "the whole ICS"))
    made.logins.append((Role.FINANCE.label, f"finance.ics@{DEMO_DOMAIN}", "the whole ICS"))

    groups, weights = zip(*STAFF_MIX, strict=True)
    for index in range(workers):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        group = rng.choices(groups, weights)[0]
        grade = rng.choice(GRADES[group])
        if index == 0:  # the demo worker: a registrar, so the medical story can be shown
            group, grade = StaffGroup.MEDICAL, "ST4"
        email = (
            f"worker@{DEMO_DOMAIN}"
            if index == 0
            else f"{first}.{last}.{index}@{DEMO_DOMAIN}".lower()
        )
        login = user(email, f"{first} {last}", [(Role.WORKER, None)])
        body = REGISTRATION_BODY_FOR_GROUP[group]
        made.workers.append(
            Worker(
                user=login,
                staff_group=group,
                grade=grade,
                registration_body=body,
                registration_number=registration_number(body, index) if body else None,
                primary_trust_id=rng.choice(made.trusts).id if made.trusts else None,
                created_at=now,
                updated_at=now,
            )
        )
        if index == 0:
            made.logins.insert(0, (Role.WORKER.label, email, "any Trust in the bank"))
    db.session.add_all(users)
    db.session.add_all(made.workers)
    db.session.flush()
    if made.trusts:
        record_audit(
            "demo.loaded",
            made.trusts[0],
            actor=None,
            now=now,
            trust_id=None,
            after={"trusts": trusts, "workers": workers, "seed": seed},
        )
    demo_core_loaded.send(made, rng=rng, now=now)
    return made
