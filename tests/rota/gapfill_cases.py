"""Small hand-made gap-filling cases for the tests: one week from Monday 2 November 2026."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bank.rules import DOCTORS_IN_TRAINING, Commitment, RuleSet, check_schedule
from rota.solver.gapfill import GapParams, GapProblem, GapResult, GapWorker, OpenShift

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2026, 11, 2, tzinfo=LONDON)
FAST = GapParams(time_limit=5, workers=1, seed=0, top_k=12)

# Doctors' rules with only what a test is about switched on.
ONLY_REST = dataclasses.replace(
    DOCTORS_IN_TRAINING,
    rolling=None,
    average=None,
    consecutive_shifts=None,
    consecutive_long_shifts=None,
    consecutive_nights=None,
    consecutive_long_evenings=None,
    weekends=None,
)


def at(day: int, hour: float) -> datetime:
    """Local time on day ``day`` (0 = Monday) at ``hour``."""
    return (MONDAY + timedelta(days=day)).replace(hour=int(hour), minute=int(hour % 1 * 60))


def shift(
    sid: int,
    day: int,
    hour: float = 8,
    hours: float = 8,
    *,
    trust: int = 1,
    site: int | None = None,
    urgent: bool = False,
    cost: int = 80_000,
) -> OpenShift:
    start = at(day, hour)
    end = (start.astimezone(ZoneInfo("UTC")) + timedelta(hours=hours)).astimezone(LONDON)
    return OpenShift(sid, start, end, trust, site, urgent, cost, f"shift {sid}")


def busy(ref: str, day: int, hour: float = 8, hours: float = 8, trust: int = 2) -> Commitment:
    """An existing commitment (a rota shift at another Trust by default)."""
    start = at(day, hour)
    return Commitment(ref, start, start + timedelta(hours=hours), trust, "rota")


def worker(wid: int, rule_set: RuleSet = DOCTORS_IN_TRAINING, **fields) -> GapWorker:
    return GapWorker(wid, rule_set=rule_set, **fields)


def problem(shifts, workers, eligible=None, **fields) -> GapProblem:
    """Everyone eligible for everything unless told otherwise."""
    if eligible is None:
        eligible = {s.id: tuple(w.id for w in workers) for s in shifts}
    return GapProblem(tuple(shifts), tuple(workers), eligible, **fields)


def assert_safe(p: GapProblem, result: GapResult) -> None:
    """Every worker's whole schedule, proposals included, passes every rule; one per shift;
    proposals only to eligible workers; weekly limits kept."""
    shifts = {s.id: s for s in p.shifts}
    by_worker = defaultdict(list)
    seen = set()
    for a in result.assignments:
        assert a.shift_id not in seen
        seen.add(a.shift_id)
        assert a.worker_id in p.eligible[a.shift_id]
        by_worker[a.worker_id].append(shifts[a.shift_id])
    for w in p.workers:
        mine = by_worker.get(w.id, [])
        schedule = [*w.commitments, *(s.commitment() for s in mine)]
        breaches = check_schedule(schedule, w.rule_set, opted_out=w.opted_out)
        assert breaches == [], (w.id, [b.message for b in breaches])
        if w.max_shifts_per_week is not None:
            weeks = defaultdict(int)
            for s in mine:
                local = s.start.astimezone(LONDON)
                weeks[local.toordinal() - local.weekday()] += 1
            assert max(weeks.values(), default=0) <= w.max_shifts_per_week


def proposed(result: GapResult) -> dict[int, int]:
    return {a.shift_id: a.worker_id for a in result.assignments}


def reasons(result: GapResult) -> dict[int, str]:
    return {o.shift_id: o.reason.value for o in result.left_open}
