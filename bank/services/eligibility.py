"""Who may take which shift, and why not: a worker's banks, staff group and grade, their
passport at the shift's start, and the safe-working rules against all their work at every
Trust (`judge_shift`); and the marketplace search built on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from app.errors import DomainError
from app.extensions import db
from app.models import Department, Site, Trust, Worker
from bank.models import (
    Booking,
    BookingStatus,
    DeclaredCommitment,
    InstantBookRule,
    Shift,
    ShiftStatus,
    Tier,
)
from bank.rules import Commitment, WorkerSchedule
from bank.services.memberships import bank_trusts_of, rule_set_for_worker, settings_of
from passport.eligibility import evaluate
from passport.services import RequirementIndex, trust_policies, worker_facts

# How far back and ahead a worker's other work matters to the rules (the 26-week average).
RULES_HORIZON = timedelta(weeks=27)


class NotEligible(DomainError):
    status = 422
    title = "You cannot take this shift"
    type = "/problems/not-eligible"


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
    own, collaborative = bank_trusts_of(worker)
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
