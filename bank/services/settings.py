"""Settings the workforce team keeps (who may instant-book a department's shifts; the Trust's
own bank's cancellation window and release time) and the substantive rota hours a worker
declares, which the safe-working rules count with their bank work (shared/rules.md, "Bank
work counts")."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import Department, Role, Trust, User, Worker
from app.services import notify, record_audit
from app.templating import short_time
from bank.models import Bank, BankKind, DeclaredCommitment, InstantBookRule
from bank.services.memberships import workforce_users

MAX_WINDOW_HOURS = 24 * 14
MAX_COMMITMENT = timedelta(hours=24)


# Instant booking ----------------------------------------------------------------------------


def department_for_staff(department_id: int, actor: User) -> Department:
    """A department of a Trust where the actor is on the workforce team (404 otherwise)."""
    department = db.session.get(Department, department_id)
    if department is None or not actor.has_role(Role.WORKFORCE, department.trust_id):
        raise NotFound(f"No department with id {department_id} at your Trust.")
    return department


def instant_book_rules(department: Department) -> tuple[bool, list[Worker]]:
    """Whether everyone may instant-book the department's shifts, and the workers listed."""
    rules = db.session.scalars(
        sa.select(InstantBookRule).where(InstantBookRule.department_id == department.id)
    ).all()
    everyone = any(r.worker_id is None for r in rules)
    listed = sorted((r.worker for r in rules if r.worker is not None), key=lambda w: w.name)
    return everyone, listed


def set_instant_book(
    department: Department,
    actor: User,
    *,
    everyone: bool,
    worker_ids: list[int],
    now: datetime,
) -> tuple[bool, list[Worker]]:
    """Let everyone, the listed workers, or (neither) nobody book the department instantly;
    workers newly allowed are told."""
    wanted = sorted(set(worker_ids))
    found = db.session.scalars(sa.select(Worker).where(Worker.id.in_(wanted))).all()
    if missing := sorted(set(wanted) - {w.id for w in found}):
        raise ValidationFailed.on("worker_ids", f"No worker with id {', '.join(map(str, missing))}")
    before_everyone, before = instant_book_rules(department)
    before_ids = {w.id for w in before}
    db.session.execute(
        sa.delete(InstantBookRule).where(InstantBookRule.department_id == department.id)
    )
    if everyone:
        db.session.add(InstantBookRule(department_id=department.id, worker_id=None))
    for worker_id in wanted:
        db.session.add(InstantBookRule(department_id=department.id, worker_id=worker_id))
    db.session.flush()
    record_audit(
        "instant_book.changed",
        department,
        actor=actor,
        now=now,
        before={"everyone": before_everyone, "worker_ids": sorted(before_ids)},
        after={"everyone": everyone, "worker_ids": wanted},
    )
    for worker in found:
        if worker.id not in before_ids and not everyone:
            notify(
                worker.user,
                "instant_book.allowed",
                f"You can now book {department.name} at {department.trust.name} instantly",
                now=now,
                link="/shifts",
            )
    return instant_book_rules(department)


# The Trust's own bank ---------------------------------------------------------------------------


def own_bank(trust: Trust) -> Bank:
    """The Trust's own bank (404 if it has none yet)."""
    bank = db.session.scalar(
        sa.select(Bank).where(Bank.trust_id == trust.id, Bank.kind == BankKind.TRUST)
    )
    if bank is None:
        raise NotFound(f"{trust.name} has no bank of its own yet.")
    return bank


def update_bank_settings(
    bank: Bank,
    actor: User,
    *,
    cancellation_window_hours: int,
    release_hours_before: int | None,
    now: datetime,
) -> Bank:
    """Change the own bank's cancellation window and automatic release time (None: off)."""
    errors: dict[str, list[str]] = {}
    if not 0 <= cancellation_window_hours <= MAX_WINDOW_HOURS:
        errors["cancellation_window_hours"] = [
            f"Give a number of hours from 0 to {MAX_WINDOW_HOURS}"
        ]
    if release_hours_before is not None and not 0 <= release_hours_before <= MAX_WINDOW_HOURS:
        errors["release_hours_before"] = [
            f"Give a number of hours from 0 to {MAX_WINDOW_HOURS}, or leave it empty"
        ]
    if errors:
        raise ValidationFailed("Some settings are not valid.", errors=errors)
    before = {
        "cancellation_window_hours": bank.cancellation_window_hours,
        "release_hours_before": bank.release_hours_before,
    }
    bank.cancellation_window_hours = cancellation_window_hours
    bank.release_hours_before = release_hours_before
    db.session.flush()
    after = {
        "cancellation_window_hours": cancellation_window_hours,
        "release_hours_before": release_hours_before,
    }
    record_audit("bank.settings_changed", bank, actor=actor, now=now, before=before, after=after)
    release = (
        f"shifts go to the collaborative bank {release_hours_before} h before the start"
        if release_hours_before is not None
        else "shifts go to the collaborative bank only by hand"
    )
    for staff in workforce_users(bank.trust_id):
        if staff.id != actor.id:
            notify(
                staff,
                "bank.settings_changed",
                f"{actor.full_name} changed {bank.name}'s settings",
                now=now,
                body=f"Workers may cancel up to {cancellation_window_hours} h before; {release}.",
                link="/workforce/settings",
            )
    return bank


# Declared substantive commitments ----------------------------------------------------------------


def record_rota_work(
    worker_id: int,
    *,
    trust_id: int | None,
    start_at: datetime,
    end_at: datetime,
    description: str | None,
) -> DeclaredCommitment:
    """Record substantive rota work of a worker, which the safe-working rules then count: a
    shift the worker declares, or one of a rota their Trust publishes (the caller audits)."""
    commitment = DeclaredCommitment(
        worker_id=worker_id,
        trust_id=trust_id,
        start_at=start_at,
        end_at=end_at,
        description=(description or "").strip()[:200] or "Substantive rota",
    )
    db.session.add(commitment)
    db.session.flush()
    return commitment


def declare_commitment(
    worker: Worker,
    actor: User,
    *,
    start_at: datetime,
    end_at: datetime,
    trust_id: int | None,
    description: str | None,
    now: datetime,
) -> DeclaredCommitment:
    """Declare a shift of the worker's substantive rota (at any Trust, or elsewhere)."""
    if actor.id != worker.user_id:
        raise NotFound("You can declare only your own rota.")
    errors: dict[str, list[str]] = {}
    if start_at.tzinfo is None or end_at.tzinfo is None:
        errors["start_at"] = ["Give times with their UTC offset"]
    elif end_at <= start_at:
        errors["end_at"] = ["The shift must end after it starts"]
    elif end_at - start_at > MAX_COMMITMENT:
        errors["end_at"] = ["A rota shift cannot be longer than 24 hours"]
    elif end_at <= now - timedelta(weeks=26):
        errors["end_at"] = ["Declare work from the last 26 weeks or later"]
    if trust_id is not None and db.session.get(Trust, trust_id) is None:
        errors["trust_id"] = [f"No Trust with id {trust_id}"]
    if errors:
        raise ValidationFailed("The rota shift is not valid.", errors=errors)
    commitment = record_rota_work(
        worker.id, trust_id=trust_id, start_at=start_at, end_at=end_at, description=description
    )
    record_audit(
        "declared_commitment.created",
        commitment,
        actor=actor,
        now=now,
        trust_id=trust_id,
        after={"start_at": start_at.isoformat(), "end_at": end_at.isoformat()},
    )
    notify(
        worker.user,
        "declared_commitment.created",
        f"Rota shift added: {short_time(start_at)}",
        now=now,
        body="It now counts toward your rest and hours limits when you book bank shifts.",
        link="/my-rota",
    )
    return commitment


def delete_commitment(
    worker: Worker, actor: User, commitment_id: int, *, now: datetime
) -> DeclaredCommitment:
    """Remove one of the worker's declared rota shifts."""
    commitment = db.session.get(DeclaredCommitment, commitment_id)
    if commitment is None or commitment.worker_id != worker.id or actor.id != worker.user_id:
        raise NotFound(f"No declared rota shift with id {commitment_id} of yours.")
    record_audit(
        "declared_commitment.deleted",
        commitment,
        actor=actor,
        now=now,
        trust_id=commitment.trust_id,
        before={
            "start_at": commitment.start_at.isoformat(),
            "end_at": commitment.end_at.isoformat(),
        },
    )
    db.session.delete(commitment)
    db.session.flush()
    notify(
        worker.user,
        "declared_commitment.deleted",
        f"Rota shift removed: {short_time(commitment.start_at)}",
        now=now,
        link="/my-rota",
    )
    return commitment


def commitments_of(worker: Worker, *, since: datetime) -> list[DeclaredCommitment]:
    return list(
        db.session.scalars(
            sa.select(DeclaredCommitment)
            .where(DeclaredCommitment.worker_id == worker.id, DeclaredCommitment.end_at > since)
            .order_by(DeclaredCommitment.start_at)
        )
    )
