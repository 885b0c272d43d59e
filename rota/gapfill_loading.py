"""Loading a gap-filling run: the open shifts of its Trusts and every bank worker who might
take one, judged by the booking service's own eligibility (`bank.services.eligibility`), as the
pure solver's `GapProblem`.

Bank membership and visibility, staff group, grade and the passport are judged exactly as when
a worker books; the rules on each worker's whole schedule are the solver's. At ICS scale a run
judges a million (worker, shift) pairs, so alike shifts share a verdict (see `load_problem`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Trust, Worker
from app.templating import short_time
from bank.models import (
    Bank,
    BankKind,
    BankMembership,
    MembershipStatus,
    Shift,
    ShiftStatus,
    WorkerBankSettings,
)
from bank.rules import Commitment, WorkerSchedule
from bank.services.eligibility import WorkerContext, commitments_by_worker
from bank.services.memberships import default_settings, rule_set_for_worker
from passport.eligibility import TrustPolicy, evaluate, local_date, valid_until
from passport.services import RequirementIndex, facts_by_worker, trust_policies
from rota.models_gapfill import GapFillRun
from rota.solver.gapfill import GapProblem, GapWorker, OpenShift

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
    shift: Shift | _ShiftFacts,
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
    group, grade = ctx.worker.staff_group, ctx.worker.grade
    if not ctx.sees(shift):
        return LABELS["not_member"]
    if shift.status != ShiftStatus.OPEN:
        return LABELS["not_open"]
    if shift.start_at <= ctx.now:
        return LABELS["started"]
    if shift.staff_group != group:
        return LABELS["staff_group"]
    if grade not in (shift.acceptable_grades or [shift.grade]):
        return LABELS["grade"]
    requirements = ctx.requirement_index.requirements(
        shift.trust_id,
        group,
        grade,
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


def _contexts(workers: list[Worker], now: datetime, requirements: RequirementIndex | None = None):
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
    requirements = requirements or RequirementIndex(all_trusts)
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
    """What judging a worker for an open shift reads of it, read once as plain values.

    The fields `blocking` reads carry the `Shift`'s own names, so `blocking` judges these as
    it judges the row: the loop over a million pairs at ICS scale then reads no ORM attribute
    (those reads cost a fifth of the loading time).
    """

    shift_id: int
    trust_id: int
    tier: str
    status: str
    start_at: datetime
    staff_group: str
    grade: str
    acceptable_grades: tuple[str, ...]
    department_id: int
    required_credentials: tuple[str, ...]
    grades: frozenset[str]
    day: date  # UK date of the start, which the passport is judged at
    started: bool

    @classmethod
    def of(cls, shift: Shift, now: datetime) -> _ShiftFacts:
        grades = tuple(shift.acceptable_grades or ())
        required = tuple(shift.required_credentials or ())
        return cls(
            shift.id,
            shift.trust_id,
            shift.tier,
            shift.status,
            shift.start_at,
            shift.staff_group,
            shift.grade,
            grades,
            shift.department_id,
            required,
            frozenset(grades or [shift.grade]),
            local_date(shift.start_at),
            shift.start_at <= now,
        )

    def judged_alike(self, requirements: RequirementIndex, group: str, grade: str) -> tuple:
        """All that `blocking` reads of the shift for a worker of this group and grade (who
        meets only shifts open to them): its department and own credentials count only
        through the credentials they make the worker need, so shifts at one Trust asking the
        same credentials share a verdict whatever their department."""
        needed = requirements.requirements(
            self.trust_id, group, grade, self.department_id, self.required_credentials
        )
        return (self.trust_id, self.tier, self.status, self.started, needed.type_codes)


def _date_sensitive_trusts(
    ctx: WorkerContext,
    window: tuple[date, date] | None,
    intervals: dict[str, list[tuple[TrustPolicy, frozenset[int]]]] | None = None,
) -> set[int]:
    """Trusts where one of the worker's credentials lapses between the run's first and last
    day (by that Trust's refresher intervals): only there can the date change their passport.

    A credential covers every day up to its `valid_until`, so a verdict can only change
    between two days if some `valid_until` falls between them. `intervals`, shared by every
    worker of a run, memoises the Trusts grouped by refresher interval per credential type:
    Trusts of one group agree on `valid_until`, so it is worked out once per group, not once
    per Trust (that cost an eighth of the loading time).
    """
    if window is None:
        return set()
    first, last = window
    intervals = {} if intervals is None else intervals
    lapsing: set[int] = set()
    for facts in ctx.facts:
        if facts.type_code not in intervals:
            intervals[facts.type_code] = _by_interval(ctx.policies, facts.type_code)
        for policy, trust_ids in intervals[facts.type_code]:
            until = valid_until(facts, policy)
            if until is not None and first <= until < last:
                lapsing |= trust_ids
    return lapsing


def _by_interval(
    policies: dict[int, TrustPolicy], type_code: str
) -> list[tuple[TrustPolicy, frozenset[int]]]:
    """The Trusts grouped by their refresher interval for one credential type, each group with
    one of its policies."""
    groups: dict[int | None, list[int]] = defaultdict(list)
    for trust_id, policy in policies.items():
        groups[policy.refresher_months.get(type_code)].append(trust_id)
    return [(policies[ids[0]], frozenset(ids)) for ids in groups.values()]


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
    requirements = RequirementIndex(sorted(db.session.scalars(sa.select(Trust.id))))
    by_grade: dict[tuple[str, str], list[tuple[_ShiftFacts, tuple]]] = defaultdict(list)
    for group, alike in by_group.items():
        for facts in alike:
            for grade in facts.grades:
                by_grade[group, grade].append(
                    (facts, facts.judged_alike(requirements, group, grade))
                )
    graded = Counter((w.staff_group, w.grade) for w in workers)
    in_group = Counter(w.staff_group for w in workers)
    for group, alike in by_group.items():
        for facts in alike:
            if wrong := in_group[group] - sum(graded[group, g] for g in facts.grades):
                excluded[facts.shift_id][LABELS["grade"]] = wrong
    intervals: dict[str, list[tuple[TrustPolicy, frozenset[int]]]] = {}
    for worker, ctx, settings, commitments in _contexts(workers, now, requirements):
        worker_id = worker.id
        dated = _date_sensitive_trusts(ctx, window, intervals)
        verdicts: dict[tuple, str | None] = {}
        passports: dict[tuple, str | None] = {}
        for facts, alike in by_grade[worker.staff_group, worker.grade]:
            # Shifts alike in all that `blocking` reads share its answer for this worker; the
            # date counts only where one of their credentials lapses within the run.
            key = (alike, facts.day) if dated and facts.trust_id in dated else alike
            if key not in verdicts:
                verdicts[key] = blocking(ctx, facts, passports, dated)
            if why := verdicts[key]:
                excluded[facts.shift_id][why] += 1
            else:
                eligible[facts.shift_id].append(worker_id)
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
            f"{s.department.name}, {short_time(s.start_at)}",
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
