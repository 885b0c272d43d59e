"""Finding and booking shifts: who may take which shift, and why not.

Every way onto a shift (instant booking, an approved application, an assignment by the
workforce team or the gap filler) goes through `book_shift`, so the same checks and the same
claim apply: the worker's banks, staff group and grade, their passport at the shift's start,
and the safe-working rules against all their work at every Trust. The claim is a conditional
`UPDATE shifts ... WHERE status = 'open'` checked by row count, backed by a partial unique
index on active bookings; the worker's row is locked first, so one worker's concurrent
bookings are checked one after another and can never overlap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload

from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.models import Department, Role, RoleMembership, Site, Trust, User, Worker
from app.services import notify, record_audit
from bank.models import (
    Application,
    ApplicationStatus,
    Bank,
    BankKind,
    BankMembership,
    Booking,
    BookingSource,
    BookingStatus,
    DeclaredCommitment,
    InstantBookRule,
    LateCancellation,
    MembershipStatus,
    Shift,
    ShiftStatus,
    Tier,
    bank_trusts,
)
from bank.rules import Commitment, WorkerSchedule
from bank.services.memberships import rule_set_for_worker, settings_of
from passport.eligibility import evaluate
from passport.services import RequirementIndex, trust_policies, worker_facts

_LONDON = ZoneInfo("Europe/London")
# How far back and ahead a worker's other work matters to the rules (the 26-week average).
RULES_HORIZON = timedelta(weeks=27)


class NotEligible(DomainError):
    status = 422
    title = "You cannot take this shift"
    type = "/problems/not-eligible"


class TooLateToCancel(DomainError):
    status = 409
    title = "Too late to cancel here"
    type = "/problems/too-late-to-cancel"


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


@dataclass
class Verdict:
    """A shift as one worker sees it: whether they can take it, how, and if not why."""

    shift: Shift
    refusals: list[Refusal] = field(default_factory=list)
    instant: bool = False

    @property
    def eligible(self) -> bool:
        return not self.refusals


@dataclass
class WorkerContext:
    """Everything about one worker that judging a shift needs, loaded once."""

    worker: Worker
    now: datetime
    own_bank_trust_ids: frozenset[int]
    collaborative_trust_ids: frozenset[int]
    facts: list
    schedule: WorkerSchedule
    requirement_index: RequirementIndex
    policies: dict
    trust_names: dict[int, str]
    instant_departments: frozenset[int]

    def sees(self, shift: Shift) -> bool:
        return shift.trust_id in self.own_bank_trust_ids or (
            shift.tier == Tier.COLLABORATIVE and shift.trust_id in self.collaborative_trust_ids
        )

    def visibility(self) -> sa.ColumnElement[bool]:
        """The same rule as `sees`, as SQL."""
        return sa.or_(
            Shift.trust_id.in_(sorted(self.own_bank_trust_ids)),
            sa.and_(
                Shift.tier == Tier.COLLABORATIVE,
                Shift.trust_id.in_(sorted(self.collaborative_trust_ids)),
            ),
        )


def _commitments(
    worker: Worker, now: datetime, names: dict[int, str], exclude_shift_id: int | None = None
) -> list[Commitment]:
    return [
        c
        for c in commitments_by_worker([worker.id], now, names)[worker.id]
        if c.ref != f"shift:{exclude_shift_id}"
    ]


def commitments_by_worker(
    worker_ids: list[int], now: datetime, names: dict[int, str]
) -> dict[int, list[Commitment]]:
    """Each worker's bank bookings and declared rota work, at any Trust, within the rules'
    horizon of `now`: what the safe-working rules count (two queries per 500 workers)."""
    since, until = now - RULES_HORIZON, now + RULES_HORIZON
    out: dict[int, list[Commitment]] = {worker_id: [] for worker_id in worker_ids}
    for first in range(0, len(worker_ids), 500):
        chunk = worker_ids[first : first + 500]
        rows = db.session.execute(
            sa.select(Booking.worker_id, Shift.id, Shift.start_at, Shift.end_at, Shift.trust_id)
            .join(Booking)
            .where(
                Booking.worker_id.in_(chunk),
                Booking.status == BookingStatus.ACTIVE,
                Shift.end_at > since,
                Shift.start_at < until,
            )
            .order_by(Shift.start_at, Shift.id)
        )
        for worker_id, sid, start, end, trust_id in rows:
            out[worker_id].append(
                Commitment(f"shift:{sid}", start, end, trust_id, "bank", names.get(trust_id))
            )
        declared = db.session.execute(
            sa.select(
                DeclaredCommitment.worker_id,
                DeclaredCommitment.id,
                DeclaredCommitment.start_at,
                DeclaredCommitment.end_at,
                DeclaredCommitment.trust_id,
            )
            .where(
                DeclaredCommitment.worker_id.in_(chunk),
                DeclaredCommitment.end_at > since,
                DeclaredCommitment.start_at < until,
            )
            .order_by(DeclaredCommitment.start_at, DeclaredCommitment.id)
        )
        for worker_id, did, start, end, trust_id in declared:
            out[worker_id].append(
                Commitment(
                    f"declared:{did}",
                    start,
                    end,
                    trust_id,
                    "rota",
                    names.get(trust_id) if trust_id else None,
                )
            )
    return out


def worker_context(worker: Worker, now: datetime) -> WorkerContext:
    """Load what judging shifts for `worker` needs (a handful of queries, once)."""
    own, collaborative = set(), set()
    banks = db.session.execute(  # one query: each approved bank, with its member Trusts
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
    trust_ids = sorted(own | collaborative)
    names = dict(db.session.execute(sa.select(Trust.id, Trust.name)).all())
    settings = settings_of(worker)
    schedule = WorkerSchedule(
        _commitments(worker, now, names),
        rule_set_for_worker(worker),
        opted_out=settings.wtr_opted_out,
    )
    rules = db.session.execute(
        sa.select(InstantBookRule.department_id, InstantBookRule.worker_id).where(
            sa.or_(InstantBookRule.worker_id.is_(None), InstantBookRule.worker_id == worker.id)
        )
    )
    return WorkerContext(
        worker=worker,
        now=now,
        own_bank_trust_ids=frozenset(own),
        collaborative_trust_ids=frozenset(collaborative),
        facts=worker_facts(worker.id),
        schedule=schedule,
        requirement_index=RequirementIndex(trust_ids),
        policies=trust_policies(trust_ids),
        trust_names=names,
        instant_departments=frozenset(department for department, _ in rules),
    )


def _grades(shift: Shift) -> str:
    grades = shift.acceptable_grades or [shift.grade]
    return grades[0] if len(grades) == 1 else ", ".join(grades[:-1]) + " or " + grades[-1]


def judge_shift(ctx: WorkerContext, shift: Shift) -> Verdict:
    """Whether the worker can take the shift, and every reason if not."""
    worker, refusals = ctx.worker, []
    trust_name = ctx.trust_names.get(shift.trust_id, "this Trust")
    if not ctx.sees(shift):
        refusals.append(
            Refusal(
                "not_member",
                f"Join {trust_name}'s bank or the collaborative bank to take its shifts",
            )
        )
    if shift.status != ShiftStatus.OPEN:
        refusals.append(Refusal("not_open", "This shift is no longer open"))
    elif shift.start_at <= ctx.now:
        refusals.append(Refusal("started", "This shift has already started"))
    if shift.staff_group != worker.staff_group:
        refusals.append(
            Refusal("staff_group", f"This shift is for {shift.staff_group.label.lower()} staff")
        )
    elif worker.grade not in (shift.acceptable_grades or [shift.grade]):
        refusals.append(
            Refusal("grade", f"This shift needs {_grades(shift)}; you are {worker.grade}")
        )
    if refusals:
        return Verdict(shift, refusals)
    policy = ctx.policies.get(shift.trust_id)
    if policy is None:  # a Trust outside the worker's banks: load its policy once
        policy = ctx.policies[shift.trust_id] = trust_policies([shift.trust_id])[shift.trust_id]
        ctx.requirement_index = RequirementIndex(sorted({*ctx.policies}))
    requirements = ctx.requirement_index.requirements(
        shift.trust_id,
        worker.staff_group,
        worker.grade,
        shift.department_id,
        tuple(shift.required_credentials or ()),
    )
    passport = evaluate(ctx.facts, requirements, policy, shift.start_at, now=ctx.now)
    refusals += [Refusal("passport", f"{s.type_name}: {s.detail}") for s in passport.shortfalls]
    candidate = Commitment(
        f"shift:{shift.id}", shift.start_at, shift.end_at, shift.trust_id, "bank", trust_name
    )
    refusals += [Refusal(breach.rule, breach.message) for breach in ctx.schedule.check(candidate)]
    return Verdict(shift, refusals, instant=shift.department_id in ctx.instant_departments)


@dataclass(frozen=True)
class SearchFilters:
    date_from: datetime | None = None
    date_to: datetime | None = None
    trust_id: int | None = None
    site_id: int | None = None
    specialty: str | None = None
    min_pence_per_hour: int | None = None
    eligible_only: bool = False
    limit: int = 500


def search_open_shifts(
    worker: Worker, *, now: datetime, filters: SearchFilters = SearchFilters()
) -> list[Verdict]:
    """Open shifts the worker's banks show them, for their staff group, soonest first, each
    judged for this worker (the rate, how they can take it, or why not)."""
    ctx = worker_context(worker, now)
    stmt = (
        sa.select(Shift)
        .join(Department)
        .join(Site)
        .where(
            Shift.status == ShiftStatus.OPEN,
            Shift.start_at > now,
            Shift.staff_group == worker.staff_group,
            ctx.visibility(),
        )
        .order_by(Shift.start_at, Shift.id)
        .limit(filters.limit)
        # The joins above also load each shift's department and site, and one more query its
        # Trust: the answer names all three, without a query per shift.
        .options(
            contains_eager(Shift.department).contains_eager(Department.site),
            selectinload(Shift.trust),
        )
    )
    if filters.date_from:
        stmt = stmt.where(Shift.start_at >= filters.date_from)
    if filters.date_to:
        stmt = stmt.where(Shift.start_at < filters.date_to)
    if filters.trust_id:
        stmt = stmt.where(Shift.trust_id == filters.trust_id)
    if filters.site_id:
        stmt = stmt.where(Department.site_id == filters.site_id)
    if filters.specialty:
        stmt = stmt.where(Department.specialty == filters.specialty)
    if filters.min_pence_per_hour:
        stmt = stmt.where(Shift.pence_per_hour >= filters.min_pence_per_hour)
    verdicts = [judge_shift(ctx, shift) for shift in db.session.scalars(stmt).unique()]
    return [v for v in verdicts if v.eligible] if filters.eligible_only else verdicts


def _lock_worker(worker: Worker) -> None:
    # PostgreSQL: one booking at a time per worker (the row lock lasts until commit). SQLite
    # serialises every write transaction already (BEGIN IMMEDIATE), and ignores FOR UPDATE.
    db.session.execute(sa.select(Worker.id).where(Worker.id == worker.id).with_for_update())


def _workforce_users(trust_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(RoleMembership)
            .where(RoleMembership.role == Role.WORKFORCE, RoleMembership.trust_id == trust_id)
            .distinct()
        )
    )


def book_shift(
    worker: Worker, shift_id: int, *, actor: User, now: datetime, source: BookingSource
) -> Booking:
    """Book the shift for the worker, if they may take it and nobody has yet."""
    _lock_worker(worker)
    shift = db.session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(f"No shift with id {shift_id}.")
    if shift.status == ShiftStatus.OPEN:
        verdict = judge_shift(worker_context(worker, now), shift)
        if source == BookingSource.INSTANT and verdict.eligible and not verdict.instant:
            verdict.refusals.append(
                Refusal(
                    "not_instant",
                    "This department asks you to apply for its shifts rather than book instantly",
                )
            )
        if not verdict.eligible:
            raise NotEligible(
                "; ".join(r.message for r in verdict.refusals),
                errors={"shift_id": [r.message for r in verdict.refusals]},
            )
    claimed = db.session.execute(
        sa.update(Shift)
        .where(Shift.id == shift_id, Shift.status == ShiftStatus.OPEN)
        .values(status=ShiftStatus.BOOKED)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise Conflict(
            "Someone else has just booked this shift.",
            errors={"shift_id": ["This shift is no longer open"]},
        )
    booking = Booking(
        shift_id=shift_id,
        worker_id=worker.id,
        status=BookingStatus.ACTIVE,
        source=source,
        booked_at=now,
        booked_by_user_id=actor.id,
    )
    db.session.add(booking)
    try:
        db.session.flush()
    except IntegrityError as error:  # the partial unique index: never two active bookings
        raise Conflict("Someone else has just booked this shift.") from error
    db.session.refresh(shift)
    _close_applications(shift, worker, actor, now)
    record_audit(
        "booking.created",
        booking,
        actor=actor,
        now=now,
        trust_id=shift.trust_id,
        after={"shift_id": shift_id, "worker_id": worker.id, "source": source.value},
    )
    from bank.services.offers import settle_offers  # (offers accept through book_shift)

    settle_offers(shift, booking, actor=actor, now=now)
    when = shift.start_at.astimezone(_LONDON).strftime("%a %d %b %H:%M")
    notify(
        worker.user,
        "booking.created",
        f"Booked: {shift.department.name}, {when}",
        now=now,
        body=f"{shift.trust.name}, {shift.hours:g} hours at "
        f"£{shift.pence_per_hour / 100:.2f} an hour.",
        link="/shifts/mine",
    )
    if source != BookingSource.INSTANT:
        return booking
    for staff in _workforce_users(shift.trust_id):
        notify(
            staff,
            "booking.created",
            f"{worker.name} booked {shift.department.name}, {when}",
            now=now,
            link=f"/workforce/shifts/{shift.id}",
        )
    return booking


def _close_applications(shift: Shift, booked: Worker, actor: User, now: datetime) -> None:
    pending = db.session.scalars(
        sa.select(Application).where(
            Application.shift_id == shift.id, Application.status == ApplicationStatus.PENDING
        )
    )
    for application in pending:
        mine = application.worker_id == booked.id
        application.status = ApplicationStatus.APPROVED if mine else ApplicationStatus.DECLINED
        application.decided_at, application.decided_by_user_id = now, actor.id
        if not mine:
            notify(
                application.worker.user,
                "application.declined",
                f"{shift.department.name} has been filled",
                now=now,
                body="Someone else took this shift. Look for others on Find shifts.",
                link="/shifts",
            )


def apply_for_shift(worker: Worker, shift_id: int, *, actor: User, now: datetime) -> Application:
    """Apply for a shift the department fills by approval."""
    if actor.worker is None or actor.worker.id != worker.id:
        raise NotFound("You can apply only for yourself.")
    shift = db.session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(f"No shift with id {shift_id}.")
    verdict = judge_shift(worker_context(worker, now), shift)
    if not verdict.eligible:
        raise NotEligible(
            "; ".join(r.message for r in verdict.refusals),
            errors={"shift_id": [r.message for r in verdict.refusals]},
        )
    existing = db.session.scalar(
        sa.select(Application).where(
            Application.shift_id == shift_id, Application.worker_id == worker.id
        )
    )
    if existing is not None and existing.status == ApplicationStatus.PENDING:
        raise Conflict("You have already applied for this shift.")
    application = existing or Application(
        shift_id=shift_id, worker_id=worker.id, status=ApplicationStatus.PENDING
    )
    application.status, application.applied_at = ApplicationStatus.PENDING, now
    application.decided_at = application.decided_by_user_id = None
    db.session.add(application)
    db.session.flush()
    record_audit(
        "application.created",
        application,
        actor=actor,
        now=now,
        trust_id=shift.trust_id,
        after={"shift_id": shift_id},
    )
    for staff in _workforce_users(shift.trust_id):
        notify(
            staff,
            "application.created",
            f"{worker.name} applied for {shift.department.name}",
            now=now,
            link=f"/workforce/shifts/{shift.id}",
        )
    return application


def _application_for_staff(application_id: int, actor: User) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or not actor.has_role(Role.WORKFORCE, application.shift.trust_id):
        raise NotFound(f"No application with id {application_id} at your Trust.")
    if application.status != ApplicationStatus.PENDING:
        raise Conflict(f"This application was already {application.status.value}.")
    return application


def approve_application(application_id: int, actor: User, *, now: datetime) -> Booking:
    """Approve an application: the worker is booked, through the same checks as anyone."""
    application = _application_for_staff(application_id, actor)
    return book_shift(
        application.worker,
        application.shift_id,
        actor=actor,
        now=now,
        source=BookingSource.APPLICATION,
    )


def decline_application(application_id: int, actor: User, *, now: datetime) -> Application:
    application = _application_for_staff(application_id, actor)
    application.status = ApplicationStatus.DECLINED
    application.decided_at, application.decided_by_user_id = now, actor.id
    record_audit(
        "application.declined",
        application,
        actor=actor,
        now=now,
        trust_id=application.shift.trust_id,
    )
    notify(
        application.worker.user,
        "application.declined",
        f"Not this time: {application.shift.department.name}",
        now=now,
        link="/shifts",
    )
    return application


def cancel_booking(booking: Booking, actor: User, *, reason: str | None, now: datetime) -> Booking:
    """Cancel a booking: by the worker inside the Trust's window, or by the workforce team.

    A worker cancelling later than the window gets `TooLateToCancel` and nothing changes;
    the entry point then records the late request (`record_late_cancellation`) in its own
    transaction. The booking stands until the department cancels it.
    """
    shift = booking.shift
    by_worker = actor.worker is not None and actor.worker.id == booking.worker_id
    if not by_worker and not actor.has_role(Role.WORKFORCE, shift.trust_id):
        raise NotFound(f"No booking with id {booking.id} that you can cancel.")
    if booking.status != BookingStatus.ACTIVE:
        raise Conflict("This booking is already cancelled.")
    own_bank = db.session.scalar(sa.select(Bank).where(Bank.trust_id == shift.trust_id))
    window = timedelta(hours=own_bank.cancellation_window_hours if own_bank else 48)
    late = shift.start_at - now < window
    if by_worker and late:
        raise TooLateToCancel(
            f"It is less than {window.total_seconds() / 3600:g} hours before the shift: please "
            f"call {shift.department.name} at {shift.trust.name} to cancel. We have told them."
        )
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at, booking.cancelled_by_user_id = now, actor.id
    booking.cancel_reason = (reason or "").strip() or None
    booking.late_cancellation = late
    db.session.flush()
    reopened = shift.start_at > now
    db.session.execute(
        sa.update(Shift)
        .where(Shift.id == shift.id)
        .values(status=ShiftStatus.OPEN if reopened else ShiftStatus.CANCELLED)
    )
    db.session.refresh(shift)
    record_audit(
        "booking.cancelled",
        booking,
        actor=actor,
        now=now,
        trust_id=shift.trust_id,
        after={
            "by": "worker" if by_worker else "workforce",
            "late": late,
            "reason": booking.cancel_reason,
        },
    )
    if not by_worker:
        notify(
            booking.worker.user,
            "booking.cancelled",
            f"Cancelled: {shift.department.name}",
            now=now,
            body=booking.cancel_reason or "The department cancelled your booking.",
            link="/shifts/mine",
        )
    return booking


def record_late_cancellation(booking: Booking, actor: User, *, now: datetime) -> LateCancellation:
    """Record a worker's request to cancel inside the window, and tell the department."""
    shift = booking.shift
    late = LateCancellation(
        booking_id=booking.id,
        worker_id=booking.worker_id,
        requested_at=now,
        hours_before_start=round((shift.start_at - now).total_seconds() / 3600, 1),
    )
    db.session.add(late)
    db.session.flush()
    record_audit(
        "booking.late_cancellation_requested",
        booking,
        actor=actor,
        now=now,
        trust_id=shift.trust_id,
    )
    for staff in _workforce_users(shift.trust_id):
        notify(
            staff,
            "booking.late_cancellation",
            f"{booking.worker.name} asks to cancel {shift.department.name} late",
            now=now,
            link=f"/workforce/shifts/{shift.id}",
        )
    return late
