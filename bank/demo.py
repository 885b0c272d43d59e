"""Demo bank: each Trust's own bank and the collaborative bank, rate cards, memberships, and
a month of shifts (a week back, four weeks ahead), many already booked."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.extensions import db
from app.reference import GRADES, StaffGroup
from bank.models import (
    Bank,
    BankKind,
    BankMembership,
    Booking,
    BookingSource,
    BookingStatus,
    EmploymentModel,
    InstantBookRule,
    MembershipStatus,
    RateBand,
    RateCard,
    Shift,
    ShiftStatus,
    Tier,
    WorkerBankSettings,
)
from bank.services.shifts import band_for

LONDON = ZoneInfo("Europe/London")
# Hourly weekday rates: the 2023 BMA rate card for doctors (shared/rules.md); Agenda for
# Change bank rates for the bands. Unsocial +30%, on-call +10% (a Trust's own choice).
CORE_PENCE = {
    "FY1": 6200,
    "FY2": 7200,
    "CT1": 8200,
    "CT2": 8200,
    "ST3": 9300,
    "ST4": 9300,
    "ST5": 9300,
    "ST6": 10300,
    "ST7": 10300,
    "ST8": 10300,
    "SAS": 9800,
    "Consultant": 13500,
    "Band 2": 1250,
    "Band 3": 1350,
    "Band 4": 1500,
    "Band 5": 1900,
    "Band 6": 2400,
    "Band 7": 2900,
    "Band 8a": 3400,
}
PATTERNS = [  # (start, hours): day, long day, night
    (time(8, 0), 8.5),
    (time(8, 0), 12.5),
    (time(20, 0), 12.5),
]


def load_demo(made, *, rng: random.Random, now: datetime) -> None:
    """Receiver of `app.signals.demo_core_loaded`."""
    if not made.trusts:
        return
    collaborative = Bank(
        name="ICS Collaborative Bank",
        kind=BankKind.COLLABORATIVE,
        employment_model=EmploymentModel.DISTRIBUTED,
        created_at=now,
        lead_trust_id=made.trusts[0].id,
        member_trusts=list(made.trusts),
        release_hours_before=None,
    )
    own = {
        trust.id: Bank(
            name=f"{trust.name} Bank",
            kind=BankKind.TRUST,
            trust_id=trust.id,
            created_at=now,
            cancellation_window_hours=48,
            release_hours_before=72,
        )
        for trust in made.trusts
    }
    db.session.add_all([collaborative, *own.values()])
    for trust in made.trusts:
        uplift = 1 + rng.choice([-0.05, 0, 0, 0.05, 0.1])  # Trusts keep different rates
        for grade, pence in CORE_PENCE.items():
            core = round(pence * uplift)
            db.session.add_all(
                [
                    RateCard(
                        trust_id=trust.id, grade=grade, band=RateBand.CORE, pence_per_hour=core
                    ),
                    RateCard(
                        trust_id=trust.id,
                        grade=grade,
                        band=RateBand.UNSOCIAL,
                        pence_per_hour=round(core * 1.3),
                    ),
                    RateCard(
                        trust_id=trust.id,
                        grade=grade,
                        band=RateBand.ON_CALL,
                        pence_per_hour=round(core * 1.1),
                    ),
                ]
            )
    db.session.flush()

    members = []
    for index, worker in enumerate(made.workers):
        roll = 1.0 if index == 0 else rng.random()
        status = MembershipStatus.APPROVED if roll > 0.06 else MembershipStatus.REQUESTED
        asked = now - timedelta(
            hours=rng.randint(1, 47)
            if status == MembershipStatus.REQUESTED
            else rng.randint(100, 4000)
        )
        decided = asked + timedelta(hours=rng.randint(2, 40))
        for bank in (own[worker.primary_trust_id], collaborative):
            db.session.add(
                BankMembership(
                    bank_id=bank.id,
                    worker_id=worker.id,
                    status=status,
                    requested_at=asked,
                    decided_at=decided if status == MembershipStatus.APPROVED else None,
                )
            )
        if status == MembershipStatus.APPROVED:
            members.append(worker)
    # Half the departments let every bank member book instantly; the rest take applications.
    for trust in made.trusts:
        for department in trust.departments[::2]:
            db.session.add(InstantBookRule(department_id=department.id, worker_id=None))
    _shifts(made, members, rng, now)
    _preferences(made, members, rng)
    db.session.flush()
    _offers(made, now)


# The demo worker finds this many shifts offered to them on their Offers page.
DEMO_OFFERS = 2


def _offers(made, now: datetime) -> None:
    """Offer the demo worker a few shifts they can take, as a gap-filling run would (no
    random draws, so the rest of the demo stays as it was)."""
    from bank.services.eligibility import SearchFilters, search_open_shifts
    from bank.services.offers import make_offer

    if not made.workers:
        return
    worker = made.workers[0]
    soon = SearchFilters(date_from=now + timedelta(days=2), eligible_only=True, limit=50)
    for verdict in search_open_shifts(worker, now=now, filters=soon)[:DEMO_OFFERS]:
        make_offer(verdict.shift, worker, actor=None, now=now)


def _preferences(made, members, rng: random.Random) -> None:
    """Most members prefer their own Trust and a neighbour; some cap their weeks, and some let
    the gap filler book them directly (drawn after the shifts, so those stay as they were)."""
    trusts = list(made.trusts)
    for worker in members:
        roll = rng.random()
        settings = WorkerBankSettings(
            worker_id=worker.id,
            accept_assignments=rng.random() < 0.4,
            max_shifts_per_week=rng.choice([None, None, None, 1, 2, 3, 4]),
        )
        if roll < 0.6 and len(trusts) > 1:
            home = next(i for i, t in enumerate(trusts) if t.id == worker.primary_trust_id)
            settings.preferred_trusts = [trusts[home], trusts[(home + 1) % len(trusts)]]
        db.session.add(settings)


def _shifts(made, members, rng: random.Random, now: datetime) -> None:
    by_grade: dict[tuple[StaffGroup, str], list] = {}
    for worker in members:
        by_grade.setdefault((worker.staff_group, worker.grade), []).append(worker)
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    today = now.astimezone(LONDON).date()
    per_day = max(2, 40 // max(1, len(made.trusts)))
    rates = {
        (r.trust_id, r.grade, r.band): r.pence_per_hour
        for r in db.session.scalars(db.select(RateCard))
    }
    demo_worker = made.workers[0] if made.workers else None

    def free(worker, start, end) -> bool:
        # Keep demo bookings safe: 11 h apart, at most two a week.
        taken = busy.get(worker.id, [])
        week = sum(1 for s, _ in taken if abs((s - start).days) < 7)
        return week < 2 and all(
            end + timedelta(hours=11) <= s or e + timedelta(hours=11) <= start for s, e in taken
        )

    for trust in made.trusts:
        departments = list(trust.departments)
        for offset in range(-7, 28):
            day = today + timedelta(days=offset)
            for _ in range(per_day):
                department = rng.choice(departments)
                group = rng.choices([StaffGroup.MEDICAL, StaffGroup.NURSING], [0.6, 0.4])[0]
                grade = rng.choice(GRADES[group][:-1])
                begin, hours = rng.choice(PATTERNS)
                start = datetime.combine(day, begin, LONDON)
                end = start + timedelta(hours=hours)
                band = band_for(start, end)
                grades = GRADES[group]
                position = grades.index(grade)
                shift = Shift(
                    trust_id=trust.id,
                    department_id=department.id,
                    staff_group=group,
                    grade=grade,
                    acceptable_grades=list(grades[max(0, position - 1) : position + 2]),
                    required_credentials=[],
                    start_at=start,
                    end_at=end,
                    band=band,
                    pence_per_hour=rates[(trust.id, grade, band)],
                    status=ShiftStatus.OPEN,
                    tier=Tier.OWN_BANK if offset > 3 else Tier.COLLABORATIVE,
                    released_at=now if offset <= 3 else None,
                    urgent=0 <= offset <= 1,
                    posted_at=now - timedelta(days=10),
                )
                db.session.add(shift)
                # Past shifts were mostly filled; the further ahead, the more are still open.
                fill = 0.85 if offset < 0 else max(0.15, 0.7 - offset * 0.02)
                candidates = [
                    w
                    for g in shift.acceptable_grades
                    for w in by_grade.get((group, g), [])
                    if w is not demo_worker
                ]
                if rng.random() < fill and candidates:
                    worker = rng.choice(candidates)
                    if free(worker, start, end):
                        busy.setdefault(worker.id, []).append((start, end))
                        shift.status = ShiftStatus.BOOKED
                        db.session.flush()
                        db.session.add(
                            Booking(
                                shift_id=shift.id,
                                worker_id=worker.id,
                                status=BookingStatus.ACTIVE,
                                source=BookingSource.APPLICATION,
                                booked_at=now - timedelta(days=rng.randint(1, 9)),
                            )
                        )
