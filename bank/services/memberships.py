"""Banks and who belongs to them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.models import Role, RoleMembership, User, Worker
from app.reference import StaffGroup
from app.services import notify, record_audit
from bank.models import (
    Bank,
    BankKind,
    BankMembership,
    MembershipStatus,
    WorkerBankSettings,
    bank_trusts,
)
from bank.rules import DOCTORS_IN_TRAINING, WORKING_TIME_REGULATIONS, RuleSet

# Doctors in training work under the 2016 terms; other doctors and every other staff group
# under the Working Time Regulations (shared/rules.md).
NOT_IN_TRAINING = {"SAS", "Consultant"}


def rule_set_for_worker(worker: Worker) -> RuleSet:
    """The safe-working rule set that applies to this worker."""
    if worker.staff_group == StaffGroup.MEDICAL and worker.grade not in NOT_IN_TRAINING:
        return DOCTORS_IN_TRAINING
    return WORKING_TIME_REGULATIONS


def settings_of(worker: Worker) -> WorkerBankSettings:
    """The worker's bank settings (defaults if never saved)."""
    found = db.session.scalar(
        sa.select(WorkerBankSettings).where(WorkerBankSettings.worker_id == worker.id)
    )
    return found or default_settings(worker.id)


def default_settings(worker_id: int) -> WorkerBankSettings:
    """The settings of a worker who never saved any (not added to the session)."""
    return WorkerBankSettings(worker_id=worker_id, wtr_opted_out=False, accept_assignments=False)


def banks_for_worker(worker: Worker) -> list[tuple[Bank, BankMembership | None]]:
    """The banks a worker could join: their Trust's own bank and the collaborative banks of
    which that Trust is a member, with the worker's membership of each."""
    banks = db.session.scalars(sa.select(Bank).order_by(Bank.kind.desc(), Bank.name)).all()
    memberships = {
        m.bank_id: m
        for m in db.session.scalars(
            sa.select(BankMembership).where(BankMembership.worker_id == worker.id)
        )
    }
    out = []
    for bank in banks:
        joinable = (
            bank.trust_id == worker.primary_trust_id
            if bank.kind == BankKind.TRUST
            else any(t.id == worker.primary_trust_id for t in bank.member_trusts)
        )
        if joinable or bank.id in memberships:
            out.append((bank, memberships.get(bank.id)))
    return out


def request_membership(
    worker: Worker, bank_id: int, *, actor: User, now: datetime
) -> BankMembership:
    """Ask to join a bank; the bank's workforce teams are told."""
    if actor.worker is None or actor.worker.id != worker.id:
        raise NotFound("You can ask to join a bank only for yourself.")
    options = {bank.id: (bank, m) for bank, m in banks_for_worker(worker)}
    if bank_id not in options:
        raise ValidationFailed.on("bank_id", "Choose your Trust's bank or the collaborative bank")
    bank, existing = options[bank_id]
    if existing is not None and existing.status != MembershipStatus.DECLINED:
        raise Conflict(f"You have already asked to join {bank.name}.")
    membership = existing or BankMembership(
        bank_id=bank.id, worker_id=worker.id, status=MembershipStatus.REQUESTED, requested_at=now
    )
    membership.status, membership.requested_at = MembershipStatus.REQUESTED, now
    membership.decided_at = membership.decided_by_user_id = membership.decline_reason = None
    db.session.add(membership)
    db.session.flush()
    record_audit(
        "bank_membership.requested",
        membership,
        actor=actor,
        now=now,
        trust_id=bank.trust_id or bank.lead_trust_id,
        after={"bank": bank.name},
    )
    for staff in workforce_of(bank):
        notify(
            staff,
            "bank_membership.requested",
            f"{worker.name} asks to join {bank.name}",
            now=now,
            body="Decide within 48 hours.",
            link="/workforce/memberships",
        )
    return membership


def workforce_of(bank: Bank) -> list[User]:
    trust_ids = [bank.trust_id] if bank.trust_id else [t.id for t in bank.member_trusts]
    from app.models import RoleMembership

    return list(
        db.session.scalars(
            sa.select(User)
            .join(RoleMembership)
            .where(RoleMembership.role == Role.WORKFORCE, RoleMembership.trust_id.in_(trust_ids))
            .distinct()
        )
    )


def bank_trust_ids(bank: Bank) -> list[int]:
    """The Trusts whose workforce teams run this bank."""
    return [bank.trust_id] if bank.trust_id else [t.id for t in bank.member_trusts]


def decide_membership(
    membership: BankMembership, actor: User, *, approve: bool, reason: str | None, now: datetime
) -> BankMembership:
    """Approve or decline a request to join; the time to decide is kept."""
    if not any(actor.has_role(Role.WORKFORCE, t) for t in bank_trust_ids(membership.bank)):
        raise NotFound(f"No membership request with id {membership.id} for your Trust's banks.")
    if membership.status != MembershipStatus.REQUESTED:
        raise Conflict(f"This request was already {membership.status.value}.")
    if not approve and not (reason or "").strip():
        raise ValidationFailed.on("reason", "Say why, so the worker knows what to do")
    membership.status = MembershipStatus.APPROVED if approve else MembershipStatus.DECLINED
    membership.decided_at = now
    membership.decided_by_user_id = actor.id
    membership.decline_reason = None if approve else reason.strip()
    hours = (now - membership.requested_at).total_seconds() / 3600
    record_audit(
        "bank_membership.approved" if approve else "bank_membership.declined",
        membership,
        actor=actor,
        now=now,
        trust_id=membership.bank.trust_id or membership.bank.lead_trust_id,
        after={"status": membership.status.value, "hours_to_decide": round(hours, 1)},
    )
    notify(
        membership.worker.user,
        "bank_membership.decided",
        f"{membership.bank.name}: {'welcome' if approve else 'not this time'}",
        now=now,
        body="You can now book its shifts." if approve else membership.decline_reason,
        link="/shifts",
    )
    return membership


def workforce_users(trust_id: int, roles: tuple[Role, ...] = (Role.WORKFORCE,)) -> list[User]:
    """Staff holding one of `roles` at the Trust."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(RoleMembership)
            .where(RoleMembership.role.in_(roles), RoleMembership.trust_id == trust_id)
            .distinct()
        )
    )


def bank_trusts_of(worker: Worker) -> tuple[set[int], set[int]]:
    """The Trusts of the worker's approved banks: (their own banks', the collaborative banks'
    member Trusts), in one query."""
    own: set[int] = set()
    collaborative: set[int] = set()
    banks = db.session.execute(  # each approved bank, with its member Trusts
        sa.select(Bank.kind, Bank.trust_id, bank_trusts.c.trust_id)
        .join(BankMembership, BankMembership.bank_id == Bank.id)
        .outerjoin(bank_trusts, bank_trusts.c.bank_id == Bank.id)
        .where(
            BankMembership.worker_id == worker.id,
            BankMembership.status == MembershipStatus.APPROVED,
        )
    )
    for kind, own_trust_id, member_trust_id in banks:
        if kind == BankKind.TRUST:
            own.add(own_trust_id)
        elif member_trust_id is not None:
            collaborative.add(member_trust_id)
    return own, collaborative
