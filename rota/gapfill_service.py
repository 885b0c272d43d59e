"""The gap filler's adapter: load open bank shifts and workers, solve, write back, apply.

Eligibility comes from the booking service itself (`bank.services.eligibility.worker_context` and
`judge_shift`): bank membership and visibility, staff group, grade and the passport are judged
exactly as when a worker books, and the worker's commitments at every Trust (bookings and
declared rota work) are the ones booking checks the rules against. The pure solver
(`rota.solver.gapfill`) then checks the safe-working rules on whole schedules. Applying a run
books workers who accept assignments through `book_shift(..., source=SOLVER)` (so the claim,
the partial unique index, the audit and the notifications are the booking service's) and
offers the shift to the others.

A run is a row (`gap_fill_runs`): the entry point commits it queued, then
`rota.services.runs.start` hands it on, as for rota solves (a thread of the web process with
`SOLVES_IN_WEB`, otherwise the scheduler's `rota.run_queued_solves` job), and the page polls
the row.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import selectinload

from app.db import transaction, utcnow
from app.errors import Conflict, DomainError, NotFound, ValidationFailed
from app.extensions import db
from app.models import Role, Trust, User, Worker
from app.services import record_audit
from app.tenancy import Scope, scope_for
from bank.models import (
    Bank,
    BankKind,
    BankMembership,
    BookingSource,
    MembershipStatus,
    Shift,
    ShiftStatus,
    WorkerBankSettings,
)
from bank.models_offers import OfferSource
from bank.rules import Commitment, WorkerSchedule
from bank.services.booking import book_shift
from bank.services.eligibility import WorkerContext, commitments_by_worker
from bank.services.memberships import default_settings, rule_set_for_worker
from bank.services.offers import make_offer
from passport.eligibility import evaluate, local_date, valid_until
from passport.services import RequirementIndex, facts_by_worker, trust_policies
from rota.models_gapfill import GapFillItem, GapFillKind, GapFillOutcome, GapFillRun, GapFillStatus
from rota.services import runs
from rota.solver.gapfill import GapParams, GapProblem, GapResult, GapWorker, OpenShift, solve_gaps

log = logging.getLogger(__name__)
LONDON = ZoneInfo("Europe/London")
MAX_TIME_LIMIT = 120
MAX_DAYS = 28
# Refusals that make a worker ineligible whatever else they do; the rest are safe-working
# rules, which the solver checks on the whole schedule (judge_shift checks one shift alone).
NOT_RULES = {"not_member", "not_open", "started", "staff_group", "grade", "passport"}
LABELS = {
    "not_member": "not a member of its bank",
    "not_open": "shift no longer open",
    "started": "shift already started",
    "staff_group": "another staff group",
    "grade": "grade not accepted",
}


def gapfill_scope(user: User) -> Scope:
    """The Trusts whose gap filling the user may run: workforce teams' own, ICS admins all."""
    return scope_for(user, [Role.WORKFORCE, Role.ICS_ADMIN])


def run_for(user: User, run_id: int) -> GapFillRun:
    """A run the user may see, or NotFound."""
    run = db.session.get(GapFillRun, run_id)
    scope = gapfill_scope(user)
    if run is None or not (scope.everything or (run.trust_id and scope.allows(run.trust_id))):
        raise NotFound(f"No gap-filling run with id {run_id}.")
    return run


def runs_for(user: User, limit: int = 20) -> list[GapFillRun]:
    """The user's visible runs, newest first."""
    scope = gapfill_scope(user)
    stmt = sa.select(GapFillRun).order_by(GapFillRun.id.desc()).limit(limit)
    if not scope.everything:
        stmt = stmt.where(GapFillRun.trust_id.in_(sorted(scope.trust_ids or ())))
    return list(db.session.scalars(stmt))


def start_run(
    actor: User,
    *,
    trust_id: int | None,
    date_from: datetime,
    date_to: datetime,
    time_limit: int = 20,
    seed: int = 0,
    now: datetime,
) -> GapFillRun:
    """A queued run; the entry point commits it, then hands it to `runs.start`.

    A workforce team runs its own Trust; an ICS administrator may leave `trust_id` out to run
    the whole collaborative bank.
    """
    scope = gapfill_scope(actor)
    if trust_id is None and not scope.everything:
        raise ValidationFailed.on("trust_id", "Choose your Trust")
    if trust_id is not None and not scope.allows(trust_id):
        raise NotFound(f"No Trust with id {trust_id} that you run.")
    errors: dict[str, list[str]] = {}
    if not 1 <= time_limit <= MAX_TIME_LIMIT:
        errors["time_limit"] = [f"Give the solver from 1 to {MAX_TIME_LIMIT} seconds"]
    if date_to <= date_from:
        errors["date_to"] = ["End after the start"]
    elif date_to - date_from > timedelta(days=MAX_DAYS):
        errors["date_to"] = [f"Fill at most {MAX_DAYS} days at a time"]
    if errors:
        raise ValidationFailed("Check the run's settings.", errors=errors)
    unfinished = db.session.scalars(
        sa.select(GapFillRun).where(
            GapFillRun.trust_id.is_(None) if trust_id is None else GapFillRun.trust_id == trust_id,
            GapFillRun.status.in_([GapFillStatus.QUEUED, GapFillStatus.RUNNING]),
        )
    ).all()
    if any(not runs.is_dead(r, now) for r in unfinished):
        raise Conflict("The gap filler is already running for these shifts.")
    run = GapFillRun(
        trust_id=trust_id,
        date_from=date_from,
        date_to=date_to,
        time_limit=time_limit,
        seed=seed,
        created_at=now,
        created_by_user_id=actor.id,
        penalties={},
    )
    db.session.add(run)
    db.session.flush()
    record_audit(
        "gapfill.started",
        run,
        actor=actor,
        now=now,
        trust_id=trust_id,
        after={"from": date_from.isoformat(), "to": date_to.isoformat(), "time_limit": time_limit},
    )
    return run


# Loading ------------------------------------------------------------------------------------


def _run_trust_ids(run: GapFillRun) -> list[int]:
    if run.trust_id is not None:
        return [run.trust_id]
    banks = db.session.scalars(sa.select(Bank).where(Bank.kind == BankKind.COLLABORATIVE))
    return sorted({t.id for bank in banks for t in bank.member_trusts})


def _label(refusal) -> str:
    if refusal.code == "passport":
        return f"missing or invalid {refusal.message.split(':')[0]}"
    return LABELS.get(refusal.code, refusal.code)


def blocking(
    ctx: WorkerContext,
    shift: Shift,
    passports: dict[tuple, str | None] | None = None,
    dated: frozenset[int] | set[int] = frozenset(),
) -> str | None:
    """What keeps the worker off the shift other than the rules, as `judge_shift` judges it
    (its first refusal), or None.

    `judge_shift`'s own steps, from its pieces, without its safe-working check: a run judges
    a million pairs at ICS scale and the rules are the solver's (a test holds the two equal).
    With `passports`, a memo of this worker's passport verdicts, shifts asking the same
    credentials at one Trust share one; the date counts only at the Trusts in `dated` (see
    `_date_sensitive_trusts`).
    """
    worker = ctx.worker
    if not ctx.sees(shift):
        return LABELS["not_member"]
    if shift.status != ShiftStatus.OPEN:
        return LABELS["not_open"]
    if shift.start_at <= ctx.now:
        return LABELS["started"]
    if shift.staff_group != worker.staff_group:
        return LABELS["staff_group"]
    if worker.grade not in (shift.acceptable_grades or [shift.grade]):
        return LABELS["grade"]
    requirements = ctx.requirement_index.requirements(
        shift.trust_id,
        worker.staff_group,
        worker.grade,
        shift.department_id,
        tuple(shift.required_credentials or ()),
    )
    if passports is None:
        return _passport_refusal(ctx, requirements, shift)
    key = (
        requirements.type_codes,
        shift.trust_id,
        local_date(shift.start_at) if shift.trust_id in dated else None,
    )
    if key not in passports:
        passports[key] = _passport_refusal(ctx, requirements, shift)
    return passports[key]


def _passport_refusal(ctx: WorkerContext, requirements, shift: Shift) -> str | None:
    passport = evaluate(
        ctx.facts, requirements, ctx.policies[shift.trust_id], shift.start_at, now=ctx.now
    )
    if passport.shortfalls:
        return f"missing or invalid {passport.shortfalls[0].type_name}"
    return None


def _contexts(workers: list[Worker], now: datetime):
    """(worker, `WorkerContext`, settings, commitments) for each worker, as `worker_context`
    builds them.

    The same pieces, with what every worker shares (Trust names, requirements, policies) and
    what can be read at once (memberships, settings) loaded once for all: a run judges
    thousands of workers. Instant booking plays no part in eligibility, so it is left empty.
    """
    ids = [w.id for w in workers]
    own: dict[int, set[int]] = defaultdict(set)
    collaborative: dict[int, set[int]] = defaultdict(set)
    for chunk in range(0, len(ids), 500):
        memberships = db.session.scalars(
            sa.select(BankMembership).where(
                BankMembership.worker_id.in_(ids[chunk : chunk + 500]),
                BankMembership.status == MembershipStatus.APPROVED,
            )
        )
        for membership in memberships:
            bank = membership.bank
            if bank.kind == BankKind.TRUST:
                own[membership.worker_id].add(bank.trust_id)
            else:
                collaborative[membership.worker_id].update(t.id for t in bank.member_trusts)
    saved: dict[int, WorkerBankSettings] = {}
    for chunk in range(0, len(ids), 500):
        saved.update(
            (s.worker_id, s)
            for s in db.session.scalars(
                sa.select(WorkerBankSettings)
                .where(WorkerBankSettings.worker_id.in_(ids[chunk : chunk + 500]))
                .options(
                    selectinload(WorkerBankSettings.preferred_trusts),
                    selectinload(WorkerBankSettings.preferred_sites),
                )
            )
        )
    names = dict(db.session.execute(sa.select(Trust.id, Trust.name)).all())
    all_trusts = sorted(names)
    requirements = RequirementIndex(all_trusts)
    policies = trust_policies(all_trusts)
    empty: dict[tuple[int, bool], WorkerSchedule] = {}
    facts: dict[int, list] = {}
    booked: dict[int, list[Commitment]] = {}
    for index, worker in enumerate(workers):
        if index % 500 == 0:  # the next 500 workers' credentials and commitments at once
            chunk = ids[index : index + 500]
            facts, booked = facts_by_worker(chunk), commitments_by_worker(chunk, now, names)
        settings = saved.get(worker.id) or default_settings(worker.id)
        rule_set = rule_set_for_worker(worker)
        commitments = tuple(booked[worker.id])
        # Judge eligibility against an empty schedule: the rules on the worker's real one
        # (these same commitments) are the solver's to check, once per shift time rather than
        # once per pair, and judging them here too would double a run's loading time.
        key = (id(rule_set), settings.wtr_opted_out)
        if key not in empty:
            empty[key] = WorkerSchedule((), rule_set, opted_out=settings.wtr_opted_out)
        ctx = WorkerContext(
            worker=worker,
            now=now,
            own_bank_trust_ids=frozenset(own[worker.id]),
            collaborative_trust_ids=frozenset(collaborative[worker.id]),
            facts=facts[worker.id],
            schedule=empty[key],
            requirement_index=requirements,
            policies=dict(policies),
            trust_names=names,
            instant_departments=frozenset(),
        )
        yield worker, ctx, settings, commitments


@dataclass(frozen=True)
class _ShiftFacts:
    """What judging a worker for an open shift reads of it, read once."""

    shift: Shift
    shift_id: int
    trust_id: int
    grades: frozenset[str]
    day: date  # UK date of the start, which the passport is judged at
    judged_alike: tuple  # every other field `blocking` reads (grades are checked first)

    @classmethod
    def of(cls, shift: Shift, now: datetime) -> _ShiftFacts:
        return cls(
            shift,
            shift.id,
            shift.trust_id,
            frozenset(shift.acceptable_grades or [shift.grade]),
            local_date(shift.start_at),
            (
                shift.trust_id,
                shift.tier,
                shift.status,
                shift.start_at <= now,
                shift.department_id,
                tuple(shift.required_credentials or ()),
            ),
        )


def _date_sensitive_trusts(ctx: WorkerContext, window: tuple[date, date] | None) -> set[int]:
    """Trusts where one of the worker's credentials lapses between the run's first and last
    day (by that Trust's refresher intervals): only there can the date change their passport.

    A credential covers every day up to its `valid_until`, so a verdict can only change
    between two days if some `valid_until` falls between them.
    """
    if window is None:
        return set()
    first, last = window
    return {
        trust_id
        for trust_id, policy in ctx.policies.items()
        if any(
            (until := valid_until(f, policy)) is not None and first <= until < last
            for f in ctx.facts
        )
    }


def load_problem(run: GapFillRun, now: datetime) -> tuple[GapProblem, dict[int, Shift]]:
    """The run's open shifts and every bank worker who might take one, as the solver's data."""
    trust_ids = _run_trust_ids(run)
    shifts = list(
        db.session.scalars(
            sa.select(Shift)
            .where(
                Shift.status == ShiftStatus.OPEN,
                Shift.trust_id.in_(trust_ids),
                Shift.start_at >= max(run.date_from, now),
                Shift.start_at < run.date_to,
            )
            .order_by(Shift.start_at, Shift.id)
        ).unique()
    )
    # Each shift once as plain values: the loop below visits a million pairs at ICS scale, and
    # reading ORM attributes there cost a sixth of the loading time.
    by_group: dict[str, list[_ShiftFacts]] = defaultdict(list)
    for shift in shifts:
        by_group[shift.staff_group].append(_ShiftFacts.of(shift, now))
    workers = (
        list(
            db.session.scalars(
                sa.select(Worker)
                .join(BankMembership, BankMembership.worker_id == Worker.id)
                .where(
                    BankMembership.status == MembershipStatus.APPROVED,
                    Worker.staff_group.in_(sorted(by_group)),
                )
                .distinct()
                .order_by(Worker.id)  # first come: who joined first is asked first
            )
        )
        if shifts
        else []
    )
    eligible: dict[int, list[int]] = defaultdict(list)
    excluded: dict[int, Counter] = defaultdict(Counter)
    people = []
    days = [f.day for group in by_group.values() for f in group]
    window = (min(days), max(days)) if days else None
    # Workers only meet the shifts open to their grade; the others are counted, not visited.
    by_grade: dict[tuple[str, str], list[_ShiftFacts]] = defaultdict(list)
    for group, alike in by_group.items():
        for facts in alike:
            for grade in facts.grades:
                by_grade[group, grade].append(facts)
    graded = Counter((w.staff_group, w.grade) for w in workers)
    in_group = Counter(w.staff_group for w in workers)
    for group, alike in by_group.items():
        for facts in alike:
            if wrong := in_group[group] - sum(graded[group, g] for g in facts.grades):
                excluded[facts.shift_id][LABELS["grade"]] = wrong
    for worker, ctx, settings, commitments in _contexts(workers, now):
        dated = _date_sensitive_trusts(ctx, window)
        verdicts: dict[tuple, str | None] = {}
        passports: dict[tuple, str | None] = {}
        for facts in by_grade[worker.staff_group, worker.grade]:
            # Shifts alike in all that `blocking` reads share its answer for this worker; the
            # date counts only where one of their credentials lapses within the run.
            key = (facts.judged_alike, facts.day if facts.trust_id in dated else None)
            if key not in verdicts:
                verdicts[key] = blocking(ctx, facts.shift, passports, dated)
            if why := verdicts[key]:
                excluded[facts.shift_id][why] += 1
            else:
                eligible[facts.shift_id].append(worker.id)
        people.append(
            GapWorker(
                worker.id,
                commitments,
                rule_set_for_worker(worker),
                opted_out=settings.wtr_opted_out,
                max_shifts_per_week=settings.max_shifts_per_week,
                preferred_trust_ids=frozenset(t.id for t in settings.preferred_trusts),
                preferred_site_ids=frozenset(s.id for s in settings.preferred_sites),
                accepts_assignments=settings.accept_assignments,
            )
        )
    for counts in excluded.values():
        # "Wrong grade" explains nothing when workers of the right grade exist.
        if len(counts) > 1:
            counts.pop(LABELS["grade"], None)
    open_shifts = tuple(
        OpenShift(
            s.id,
            s.start_at,
            s.end_at,
            s.trust_id,
            s.department.site_id,
            s.urgent,
            round(s.pence_per_hour * s.hours),
            f"{s.department.name}, {s.start_at.astimezone(LONDON):%a %d %b %H:%M}",
        )
        for s in shifts
    )
    problem = GapProblem(
        open_shifts,
        tuple(people),
        {sid: tuple(ws) for sid, ws in eligible.items()},
        {sid: dict(c) for sid, c in excluded.items()},
    )
    return problem, {s.id: s for s in shifts}


# Solving ------------------------------------------------------------------------------------


def launch(app: Flask, run_id: int) -> threading.Thread:
    """Solve a run in a thread of this process (see `rota.services.runs` for where runs run)."""
    return runs.launch(app, GapFillRun, solve_run, run_id, "gapfill")


def solve_run(run_id: int, *, now: datetime | None = None) -> GapFillRun:
    """The body of a run: load, solve, and write the proposals in one transaction."""
    with transaction():
        run = db.session.get(GapFillRun, run_id)
        run.status = GapFillStatus.RUNNING
        run.started_at = utcnow()
    now = now or utcnow()
    try:
        problem, shifts = load_problem(run, now)
        db.session.commit()  # end the read transaction before the long solve
        params = GapParams(
            time_limit=run.time_limit,
            workers=current_app.config.get("ROTA_SOLVER_WORKERS", 2),
            seed=run.seed,
        )
        result = solve_gaps(problem, params)
        with transaction():
            run = db.session.get(GapFillRun, run_id)
            _write(run, problem, result)
    except Exception as error:  # a run must end in the row, whatever went wrong
        log.exception("gap-filling run %s failed", run_id)
        db.session.rollback()
        with transaction():
            run = db.session.get(GapFillRun, run_id)
            run.status = GapFillStatus.FAILED
            run.finished_at = utcnow()
            run.error = f"The gap filler stopped: {type(error).__name__}"
    return run


def _write(run: GapFillRun, problem: GapProblem, result: GapResult) -> None:
    trust_of = {s.id: s.trust_id for s in problem.shifts}
    for a in result.assignments:
        db.session.add(
            GapFillItem(
                run_id=run.id,
                shift_id=a.shift_id,
                trust_id=trust_of[a.shift_id],
                worker_id=a.worker_id,
                kind=GapFillKind.BOOK if a.book else GapFillKind.OFFER,
                cost_pence=a.cost_pence,
            )
        )
    for left in result.left_open:
        db.session.add(
            GapFillItem(
                run_id=run.id,
                shift_id=left.shift_id,
                trust_id=trust_of[left.shift_id],
                kind=GapFillKind.OPEN,
                reason_code=left.reason.value,
                reason=left.detail,
            )
        )
    run.status = GapFillStatus.SOLVED
    run.finished_at = utcnow()
    run.solver_status = result.status
    run.open_shifts = len(problem.shifts)
    run.filled = len(result.assignments)
    run.upper_bound = result.upper_bound
    run.objective = result.objective
    run.best_bound = result.best_bound
    run.seconds = round(result.seconds, 2)
    run.penalties = dict(result.penalties)
    record_audit(
        "gapfill.solved",
        run,
        actor=None,
        now=run.finished_at,
        trust_id=run.trust_id,
        after={"filled": run.filled, "open": run.open_shifts, "upper_bound": run.upper_bound},
    )


# Applying -----------------------------------------------------------------------------------


def apply_run(run: GapFillRun, actor: User, *, now: datetime) -> GapFillRun:
    """Book opted-in workers and offer the rest, in the entry point's one transaction.

    Each booking goes through `book_shift`, and each offer through `make_offer` (the worker
    accepts or declines it on their Offers page), in a savepoint: a shift booked by someone
    else since the run, or a worker no longer eligible, fails that proposal alone (recorded
    on the item) and the rest still apply.
    """
    if run.status != GapFillStatus.SOLVED:
        raise Conflict(f"This run is {run.status.value}: only a solved run can be applied.")
    booked = offered = failed = 0
    for item in run.items:
        if item.kind == GapFillKind.OPEN:
            continue
        worker = item.worker
        if item.kind == GapFillKind.BOOK:
            try:
                with db.session.begin_nested():
                    book_shift(
                        worker, item.shift_id, actor=actor, now=now, source=BookingSource.SOLVER
                    )
                item.outcome = GapFillOutcome.BOOKED
                booked += 1
            except DomainError as error:
                item.outcome, item.outcome_detail = GapFillOutcome.FAILED, str(error)
                failed += 1
            continue
        try:
            with db.session.begin_nested():
                make_offer(
                    db.session.get(Shift, item.shift_id),
                    worker,
                    actor=actor,
                    now=now,
                    source=OfferSource.GAP_FILL,
                    gap_fill_item_id=item.id,
                )
            item.outcome = GapFillOutcome.OFFERED
            offered += 1
        except DomainError as error:
            item.outcome, item.outcome_detail = GapFillOutcome.FAILED, str(error)
            failed += 1
    run.status = GapFillStatus.APPLIED
    run.applied_at, run.applied_by_user_id = now, actor.id
    db.session.flush()
    record_audit(
        "gapfill.applied",
        run,
        actor=actor,
        now=now,
        trust_id=run.trust_id,
        after={"booked": booked, "offered": offered, "failed": failed},
    )
    return run
