"""Booking under contention: whatever the concurrency, one active booking per shift and no
worker in two overlapping shifts. The race harness is shown to catch a deliberately unsafe
claim, so a pass means something."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import sqlalchemy as sa

from app.db import transaction
from app.errors import DomainError
from app.extensions import db
from app.models import Worker
from bank.models import Booking, BookingSource, BookingStatus, Shift, ShiftStatus
from bank.services import book_shift
from tests.factories import (
    NOW,
    InstantBookRuleFactory,
    ShiftFactory,
    TrustFactory,
    WorkerFactory,
    member_of_own_bank,
)

THREADS = 12


def race(app, claim: Callable[[int, int], bool], pairs: list[tuple[int, int]]) -> list[bool]:
    """Run `claim(worker_id, shift_id)` for every pair at once, each in its own thread, app
    context and database session; the answers, True for a claim that succeeded."""
    start = threading.Barrier(len(pairs))
    answers: list[bool] = []

    def run(worker_id: int, shift_id: int) -> None:
        with app.app_context():
            start.wait()
            try:
                answers.append(claim(worker_id, shift_id))
            except DomainError:
                answers.append(False)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def safe_claim(worker_id: int, shift_id: int) -> bool:
    worker = db.session.get(Worker, worker_id)
    with transaction():
        book_shift(worker, shift_id, actor=worker.user, now=NOW, source=BookingSource.INSTANT)
    return True


def unsafe_claim(worker_id: int, shift_id: int) -> bool:
    """The classic bug: read the status, decide, then write without a condition."""
    status = db.session.scalar(sa.select(Shift.status).where(Shift.id == shift_id))
    db.session.rollback()
    if status != ShiftStatus.OPEN:
        return False
    time.sleep(0.05)  # the window in which everyone else reads "open" too
    with transaction():
        db.session.execute(
            sa.update(Shift).where(Shift.id == shift_id).values(status=ShiftStatus.BOOKED)
        )
    return True


def crowd(count: int = THREADS):
    trust = TrustFactory()
    shift = ShiftFactory(department__site__trust=trust)
    InstantBookRuleFactory(department_id=shift.department_id)
    workers = [WorkerFactory(primary_trust=trust) for _ in range(count)]
    for worker in workers:
        member_of_own_bank(worker)
    return shift, workers


def active_bookings(shift_id: int) -> int:
    db.session.commit()
    return db.session.scalar(
        sa.select(sa.func.count(Booking.id)).where(
            Booking.shift_id == shift_id, Booking.status == BookingStatus.ACTIVE
        )
    )


def test_many_workers_racing_for_one_shift_make_exactly_one_booking(app):
    shift, workers = crowd()
    answers = race(app, safe_claim, [(w.id, shift.id) for w in workers])
    assert len(answers) == THREADS and answers.count(True) == 1
    assert active_bookings(shift.id) == 1


def test_the_race_harness_catches_an_unsafe_claim(app):
    shift, workers = crowd()
    answers = race(app, unsafe_claim, [(w.id, shift.id) for w in workers])
    assert answers.count(True) > 1  # double booking, seen by the same harness


def test_one_worker_racing_into_overlapping_shifts_gets_only_one(app):
    trust = TrustFactory()
    worker = WorkerFactory(primary_trust=trust)
    member_of_own_bank(worker)
    shifts = [ShiftFactory(department__site__trust=trust) for _ in range(6)]  # all at one time
    for shift in shifts:
        InstantBookRuleFactory(department_id=shift.department_id)
    answers = race(app, safe_claim, [(worker.id, s.id) for s in shifts])
    assert answers.count(True) == 1
    db.session.commit()
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Booking.id)).where(Booking.worker_id == worker.id)
        )
        == 1
    )
