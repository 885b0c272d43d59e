"""Greedy fills: the first-come baseline, and the start the CP-SAT search is hinted with.

Both add a shift to a worker only when the worker's whole schedule still checks clean with
``bank.rules``, so both are proposals that break no rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from bank.rules import WorkerSchedule
from rota.solver.gapfill.prepare import Prepared


class Tracker:
    """Proposals made so far, per worker: their schedules and weekly counts."""

    def __init__(self, prep: Prepared) -> None:
        self.prep = prep
        self.schedules: dict[int, WorkerSchedule] = {}
        self.spans: dict[int, list[tuple[int, int]]] = {}
        self.per_week: Counter = Counter()
        self.spent = 0
        self.chosen: dict[int, int] = {}

    def fits(self, sid: int, wid: int) -> bool:
        """Whether the worker can take the shift on top of what they already have."""
        prep = self.prep
        state = prep.states[wid]
        week = prep.week(sid, state.tz)
        if self.per_week[wid, week] >= state.room(week):
            return False
        budget = prep.problem.budget_pence
        if budget is not None and self.spent + prep.problem.cost(prep.shifts[sid], wid) > budget:
            return False
        if not prep.fits_alone(sid, wid):
            return False
        schedule = self.schedules.get(wid)
        if schedule is None:
            return True
        s, e = prep.epoch[sid]
        if any(a < e + state.rest and b + state.rest > s for a, b in self.spans[wid]):
            return False
        return not schedule.check(prep.shifts[sid].commitment())

    def take(self, sid: int, wid: int) -> None:
        prep = self.prep
        state = prep.states[wid]
        shift = prep.shifts[sid]
        schedule = self.schedules.get(wid, state.schedule)
        self.schedules[wid] = schedule.with_commitment(shift.commitment())
        self.spans.setdefault(wid, []).append(prep.epoch[sid])
        self.per_week[wid, prep.week(sid, state.tz)] += 1
        self.spent += prep.problem.cost(shift, wid)
        self.chosen[sid] = wid


def first_come(prep: Prepared) -> dict[int, int]:
    """The baseline: soonest shift first, to the first eligible worker it still fits.

    "First" is the order of the shift's eligible list (the adapter gives workers in the order
    they joined the bank), as a workforce team ringing round its list would.
    """
    tracker = Tracker(prep)
    for shift in sorted(prep.problem.shifts, key=lambda s: (s.start, s.id)):
        for wid in prep.eligible[shift.id]:
            if tracker.fits(shift.id, wid):
                tracker.take(shift.id, wid)
                break
    return tracker.chosen


def best_first(prep: Prepared, pairs: dict[int, list[int]] | None = None) -> dict[int, int]:
    """Most valuable shift first (urgent, soonest), to its best-weighted candidate that fits.

    Used as the CP-SAT hint: a complete, rule-clean start.
    """
    pairs = prep.candidates if pairs is None else pairs
    tracker = Tracker(prep)
    load: Counter = Counter()
    for sid in sorted(pairs, key=lambda s: (-prep.value[s], len(pairs[s]), s)):
        ranked: Iterable[int] = sorted(
            pairs[sid], key=lambda w: (-prep.pair_weight(sid, w), load[w], w)
        )
        for wid in ranked:
            if tracker.fits(sid, wid):
                tracker.take(sid, wid)
                load[wid] += 1
                break
    return tracker.chosen
